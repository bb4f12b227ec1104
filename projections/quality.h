// Quality: the anomalies in the events a node holds (SPEC "Keeping the record right", the
// quality report). The checks at entry refuse these mistakes when a person makes them on
// this node; import and sync take events from elsewhere whatever they say, so what breaks
// the checks is listed here instead, for someone to put right (docs/quality.md).
//
// A plain function of the set of events: no I/O, no clock, no arrival order. Every
// "earliest" is in the canonical order (occurred_at, recorded_at, id: facts.h), so every
// node holding the same events lists the same anomalies, with the same details.
//
// Voids. A record.voided stands over the event it names when that event may be voided
// (IsVoidable, fold.h; as WithoutVoided, facts.h); the voided event is then absent, as if
// it had never arrived: its own anomalies go, and the others are judged without it
// (voiding the first case.opened makes the second the opening). A void naming an event
// that is not held is void_target_missing.
//
// The kinds, precisely (alert.* events are derived: never judged, never an anomaly):
//   case_reopened          a case.opened of a case other than its earliest, naming the same
//                          subject;
//   case_subject_conflict  the same, naming another subject;
//   after_close            an event of a case (not a case.opened: those are the two above,
//                          nor the earliest case.closed itself) whose occurred_at is after the
//                          earliest case.closed's;
//   not_referred           an intervention.started, .completed, .exited or an
//                          attendance.recorded naming an intervention the case holds no
//                          intervention.referred for;
//   not_started            an intervention.completed of a referred intervention with no
//                          intervention.started at or before it;
//   ended_twice            an intervention.completed or .exited of a referred intervention
//                          other than its earliest ending (the earliest stands);
//   not_active             an attendance.recorded of a referred intervention whose occurred_at
//                          is outside [earliest start, earliest ending): not started, not yet
//                          started, or ended (CaseContext::Interval::Active);
//   unknown_session        an attendance.recorded naming a session no session.held is held for;
//   future_dated           a case event, session.held or incident.reported whose occurred_at is
//                          more than max_future after the physical time of its recorded_at
//                          (the HLC its origin stamped when it was recorded);
//   unknown_case           an event of a case no case.opened is held for (then only this and
//                          future_dated are judged of that case's events: the rest waits for the
//                          opening);
//   void_target_missing    a record.voided naming an event that is not held.
// An event may show under more than one kind (an attendance both after_close and
// not_active).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "projections/facts.h"

namespace holdfast {

enum class AnomalyKind : uint8_t {
  kCaseReopened,
  kCaseSubjectConflict,
  kAfterClose,
  kNotReferred,
  kNotStarted,
  kEndedTwice,
  kNotActive,
  kUnknownSession,
  kFutureDated,
  kUnknownCase,
  kVoidTargetMissing,
};

// "case_reopened", as the report shows it.
std::string_view AnomalyKindName(AnomalyKind kind);
// Every kind, in the order above.
const std::vector<AnomalyKind>& AllAnomalyKinds();

struct Anomaly {
  AnomalyKind kind = AnomalyKind::kUnknownCase;
  std::string case_id;  // "" when the event names no case (a session, an incident, a void)
  Uuid event;           // the event that is wrong
  EventType type = EventType::CASE_OPENED;
  int64_t occurred_at = 0;
  std::string intervention;  // the intervention the event names ("" when none)
  std::string detail;        // one line for a probation officer: what is wrong, what to do
};

// The report's order: case, then occurred_at, then event id, then kind.
bool AnomalyLess(const Anomaly& a, const Anomaly& b);
void SortAnomalies(std::vector<Anomaly>* anomalies);

struct QualityConfig {
  // [node] max_future_seconds, in nanoseconds.
  int64_t max_future_nanos = 300LL * 1000000000LL;
};

// The whole report over a set of events (any order; alert.* ignored), sorted.
std::vector<Anomaly> FindAnomalies(const std::vector<Fact>& events, const QualityConfig& config);

// The pieces FindAnomalies is made of, for a reader that holds a case at a time (the daemon:
// one pass over the log for the voids and sessions, then each case's stream).

// Whether a held session.held (not voided) names `session`.
using SessionHeld = std::function<bool(const std::string& session)>;
// Appends the anomalies of one case: `case_events` are its events held and not voided, in
// any order (alert.* ignored). Unsorted.
void CaseAnomalies(const std::vector<Fact>& case_events, const SessionHeld& session_held,
                   const QualityConfig& config, std::vector<Anomaly>* out);
// future_dated for one event (a case's, a session.held or an incident.reported); false when
// it is not. Events without a recorded_at (not stored yet) are never future dated.
bool FutureDated(const Fact& event, const QualityConfig& config, Anomaly* out);
// void_target_missing for a record.voided whose target is not held.
Anomaly VoidTargetMissing(const Fact& void_event);

}  // namespace holdfast
