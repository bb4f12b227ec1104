# holdfast event vocabulary: the single source of truth for every event type, its fields,
# its enumerations and its JSON form (see ../shared/SPEC.md, "Event vocabulary").
#
# On disk and on the wire an event is one unpacked Cap'n Proto message whose root is
# `Event`; `capnp decode eventstore/event.capnp Event < bytes` prints it.
#
# The JSON form follows from the annotations below (field and enumerant names, the
# "type"/"data" discriminator, the flattened provenance): Cap'n Proto's JSON codec writes it,
# and eventstore/event_json.cc reads it (simdjson, then this schema walked field by field),
# with Uuid <-> "8-4-4-4-12" hex, Timestamp <-> RFC 3339 UTC and
# Hlc <-> "RFC3339-millis/logical" (see docs/json.md).
#
# Adding an event type: add its struct, add it to Event's union with a $Json.name, and
# the JSON codec, validation and storage all follow from this file.

@0xe8f90f587028c90a;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("holdfast::schema");

using Json = import "/capnp/compat/json.capnp";

annotation optional @0x8073525d839bc31c (field) :Void;
# The field may be left out of an event. Every field without this annotation is required:
# validation refuses an event that lacks it, naming the field.

annotation freeText @0xce511ddf7aa5b3d2 (field) :Void;
# A Text field holding free-form words (notes, reasons, details). Text fields without this
# annotation are identifiers: 1 to 128 printable characters with no white space.

struct Uuid {
  # A 128-bit event or alert id, big-endian halves. JSON: "7f0c2a4e-5d1b-4c8e-9a51-2f7b9d0e6c13".
  hi @0 :UInt64;
  lo @1 :UInt64;
}

struct Timestamp {
  # An instant in the world, nanoseconds since 1970-01-01T00:00:00Z.
  # JSON: RFC 3339 in UTC, e.g. "2025-03-04T18:00:00Z" (fractional seconds when present).
  unixNanos @0 :Int64;
}

struct Hlc {
  # A hybrid logical clock value: physical milliseconds since the epoch in the high 48 bits,
  # a logical counter in the low 16. Ordered as an unsigned integer.
  # JSON: "2025-03-04T18:00:00.123Z/0" (the physical time, a slash, the counter).
  value @0 :UInt64;
}

enum Role {
  probation @0;
  facilitator @1;
  police @2;
  operator @3;
  system @4;  # the daemon itself, authoring alert lifecycle events it derives
  analyst @5;  # the partnership's analyst: aggregate reports only, never an author
}

struct Author {
  user @0 :Text;
  role @1 :Role;
  agency @2 :Text;
}

struct Provenance {
  # Set by the store when an event is first appended at its origin node; kept as it is when
  # the event travels to other nodes. Absent on an event not yet stored.
  origin @0 :Text;                        # node id of the node that first appended it
  seq @1 :UInt64;                         # that node's sequence number, 1, 2, 3, ... per origin
  recordedAt @2 :Hlc $Json.name("recorded_at");
}

enum OrderKind {
  communityOrder @0 $Json.name("community_order");
  suspendedSentence @1 $Json.name("suspended_sentence");
  licence @2;
  dvpo @3;
  voluntary @4;
}

enum RiskLevel {
  # Ranked in this order: standard < medium < high < veryHigh.
  standard @0;
  medium @1;
  high @2;
  veryHigh @3 $Json.name("very_high");
}

enum CloseReason {
  orderEnded @0 $Json.name("order_ended");
  completed @1;
  revoked @2;
  transferred @3;
  other @4;
}

enum ExitReason {
  nonCompliance @0 $Json.name("non_compliance");
  withdrew @1;
  movedArea @2 $Json.name("moved_area");
  custody @3;
  other @4;
}

enum AttendanceOutcome {
  attended @0;
  late @1;
  leftEarly @2 $Json.name("left_early");
  absentAcceptable @3 $Json.name("absent_acceptable");
  absentUnacceptable @4 $Json.name("absent_unacceptable");
}

enum BreachKind {
  failureToComply @0 $Json.name("failure_to_comply");
  orderBreach @1 $Json.name("order_breach");
  dvpoBreach @2 $Json.name("dvpo_breach");
  recall @3;
}

enum IncidentCategory {
  domesticAbuse @0 $Json.name("domestic_abuse");
  sexualOffence @1 $Json.name("sexual_offence");
  other @2;
}

enum AlertRule {
  nonEngagement @0 $Json.name("non_engagement");
  noContact @1 $Json.name("no_contact");
  reoffending @2;
  breach @3;
  dropout @4;
  riskEscalation @5 $Json.name("risk_escalation");
}

enum Severity {
  low @0;
  medium @1;
  high @2;
}

struct CaseOpened {
  caseId @0 :Text $Json.name("case");
  subject @1 :Text;
  order @2 :OrderKind;
  risk @3 :RiskLevel;
  leadAgency @4 :Text $Json.name("lead_agency");
}

struct CaseRiskChanged {
  caseId @0 :Text $Json.name("case");
  risk @1 :RiskLevel;
  marac @2 :Bool $optional;
}

struct CaseClosed {
  caseId @0 :Text $Json.name("case");
  reason @1 :CloseReason;
}

struct InterventionReferred {
  caseId @0 :Text $Json.name("case");
  intervention @1 :Text;
  programme @2 :Text;  # e.g. building_choices, respect_dvpp, drive, one_to_one
  provider @3 :Text;
}

struct InterventionStarted {
  caseId @0 :Text $Json.name("case");
  intervention @1 :Text;
  group @2 :Text $optional;  # the programme group joined (session roster)
}

struct InterventionCompleted {
  caseId @0 :Text $Json.name("case");
  intervention @1 :Text;
}

struct InterventionExited {
  caseId @0 :Text $Json.name("case");
  intervention @1 :Text;
  reason @2 :ExitReason;
}

struct SessionHeld {
  session @0 :Text;
  group @1 :Text;
  module @2 :Text $freeText;
  facilitator @3 :Text;
  notes @4 :Text $optional $freeText;
}

struct AttendanceRecorded {
  caseId @0 :Text $Json.name("case");
  intervention @1 :Text;
  session @2 :Text;
  outcome @3 :AttendanceOutcome;
  reason @4 :Text $optional $freeText;
  concern @5 :Bool $optional;
}

struct BreachReported {
  caseId @0 :Text $Json.name("case");
  kind @1 :BreachKind;
  detail @2 :Text $optional $freeText;
}

struct IncidentReported {
  subject @0 :Text;
  incident @1 :Text;
  category @2 :IncidentCategory;
  crime @3 :Bool;
}

struct Basis {
  # What a deriving node knew when it derived an alert lifecycle event, and where that puts
  # the event among the alert's others (docs/alert-lifecycle.md): of an alert's
  # alert.raised and alert.withdrawn events, the one of highest rank stands (then the larger
  # id), whatever node holds them and in whatever order they came.
  rank @0 :UInt64;
  # The node's version vector then: "origin:seq" for each origin it held, by origin,
  # separated by spaces (the record of the evidence; rank is what orders).
  marks @1 :Text $optional $freeText;
}

struct AlertRaised {
  alert @0 :Uuid;
  rule @1 :AlertRule;
  caseId @2 :Text $Json.name("case");
  subject @3 :Text;
  intervention @4 :Text $optional;
  severity @5 :Severity;
  trigger @6 :Uuid;
  reason @7 :Text $freeText;
  basis @8 :Basis $optional;  # absent on events derived before bases (ordered below all)
}

struct AlertAcknowledged {
  alert @0 :Uuid;
  note @1 :Text $optional $freeText;
}

struct AlertResolved {
  alert @0 :Uuid;
  action @1 :Text $freeText;
}

struct AlertWithdrawn {
  alert @0 :Uuid;
  reason @1 :Text $freeText;
  basis @2 :Basis $optional;
}

struct AlertAssigned {
  # Who is to act on an alert (SPEC "Alerts reach people", triage). The latest assignment by
  # recorded_at stands (then the larger event id); it is kept across raises and withdrawals.
  alert @0 :Uuid;
  to @1 :Text;  # a user id of the node that assigns (not checked against other nodes' users)
  note @2 :Text $optional $freeText;
}

struct SubjectErased {
  subject @0 :Text;
}

struct RecordVoided {
  # A mistaken event set aside (SPEC "Keeping the record right"): the voided event stays in
  # the log. Projections do not honour voids yet; sync sends a void to a peer exactly when
  # its filter lets the voided event through (docs/guide-operator.md).
  event @0 :Uuid;  # the id of the event voided
  reason @1 :Text $freeText;
}

struct Event $Json.discriminator(name = "type", valueName = "data") {
  id @0 :Uuid;
  occurredAt @1 :Timestamp $Json.name("occurred_at");
  author @2 :Author;
  provenance @3 :Provenance $Json.flatten();
  signature @4 :Data $Json.base64 $optional;  # reserved for signed events; empty today

  union {
    caseOpened @5 :CaseOpened $Json.name("case.opened");
    caseRiskChanged @6 :CaseRiskChanged $Json.name("case.risk_changed");
    caseClosed @7 :CaseClosed $Json.name("case.closed");
    interventionReferred @8 :InterventionReferred $Json.name("intervention.referred");
    interventionStarted @9 :InterventionStarted $Json.name("intervention.started");
    interventionCompleted @10 :InterventionCompleted $Json.name("intervention.completed");
    interventionExited @11 :InterventionExited $Json.name("intervention.exited");
    sessionHeld @12 :SessionHeld $Json.name("session.held");
    attendanceRecorded @13 :AttendanceRecorded $Json.name("attendance.recorded");
    breachReported @14 :BreachReported $Json.name("breach.reported");
    incidentReported @15 :IncidentReported $Json.name("incident.reported");
    alertRaised @16 :AlertRaised $Json.name("alert.raised");
    alertAcknowledged @17 :AlertAcknowledged $Json.name("alert.acknowledged");
    alertResolved @18 :AlertResolved $Json.name("alert.resolved");
    alertWithdrawn @19 :AlertWithdrawn $Json.name("alert.withdrawn");
    subjectErased @20 :SubjectErased $Json.name("subject.erased");
    recordVoided @21 :RecordVoided $Json.name("record.voided");
    alertAssigned @22 :AlertAssigned $Json.name("alert.assigned");
  }
}
