# The projector's records in the store's "projections" column family (keys in
# projections/row_keys.h). Internal: rebuilt from the log by `holdfast projections rebuild`.

@0xef25dd686cf65120;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("holdfast::state");

using Ev = import "/eventstore/event.capnp";

struct EventKey {
  # An event's place in the canonical order: occurred_at, recorded_at, id.
  occurredAt @0 :Int64;
  recordedAt @1 :UInt64;
  id @2 :Ev.Uuid;
}

struct CaseRecord {
  caseId @0 :Text;
  opened @1 :EventKey;          # the earliest case.opened; null until it arrives
  subject @2 :Text;
  order @3 :Ev.OrderKind;
  leadAgency @4 :Text;
  risk @5 :Ev.RiskLevel;        # as set by the latest opening or risk change
  riskSet @6 :EventKey;
  closed @7 :EventKey;          # the earliest case.closed; null while open
  events @8 :UInt32;            # events of the case held (alert lifecycle excluded)
}

struct StandingAttendance {
  # Per (case, session): the record with the latest recorded_at, then the larger id.
  recordedAt @0 :UInt64;
  id @1 :Ev.Uuid;
  occurredAt @2 :Int64;
  outcome @3 :Ev.AttendanceOutcome;
  intervention @4 :Text;
}

struct Transition {
  withdrawn @0 :Bool;
  at @1 :Int64;
  recordedAt @2 :UInt64;
  id @3 :Ev.Uuid;
  rank @4 :UInt64;  # its basis's rank; 0 for an event derived before bases
}

struct AlertRecord {
  alert @0 :Ev.Uuid;
  hasRaised @1 :Bool;
  rule @2 :Ev.AlertRule;
  caseId @3 :Text;
  subject @4 :Text;
  intervention @5 :Text;
  reason @6 :Text;
  severity @7 :Ev.Severity;
  trigger @8 :Ev.Uuid;
  withdrawn @9 :Bool;
  raisedAt @10 :Int64;
  raisedBy @11 :Text;
  withdrawReason @12 :Text;
  transitions @13 :List(Transition);
  acknowledgedAt @14 :Int64;
  acknowledgedBy @15 :Text;
  note @16 :Text;
  acknowledgedId @17 :Ev.Uuid;
  resolvedAt @18 :Int64;
  resolvedBy @19 :Text;
  action @20 :Text;
  resolvedId @21 :Ev.Uuid;
  # The standing assignment (alert.assigned): latest recorded_at, then the larger id.
  # assignedTo empty: never assigned (records written before alert.assigned read so).
  assignedTo @22 :Text;
  assignedBy @23 :Text;
  assignedAt @24 :Int64;            # the assignment's occurred_at
  assignedRecordedAt @25 :UInt64;
  assignedId @26 :Ev.Uuid;
  assignNote @27 :Text;
}

struct IndicatorFact {
  # The few fields the indicators read from referrals, starts, completions, exits and
  # incidents, under a key ordered by occurred_at.
  type @0 :UInt16;
  exitReason @1 :Ev.ExitReason;
  subject @2 :Text;
  incident @3 :Text;
  category @4 :Ev.IncidentCategory;
}

struct VoidRecord {
  # The void that stands over an event (row void/<event id>): the canonically first of its
  # record.voided events.
  voidId @0 :Ev.Uuid;
  occurredAt @1 :Int64;
  recordedAt @2 :UInt64;
  reason @3 :Text;
  user @4 :Text;
}
