// Facts: events reduced to the fields projections, rules and indicators read. Plain
// values, so rules are plain functions that tests can feed by hand.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>
#include <unordered_set>
#include <vector>

#include "eventstore/event.h"
#include "eventstore/ids.h"

namespace holdfast {

constexpr int64_t kNanosPerDay = 86400LL * 1000000000LL;

// A field added here must also be reset in FactInto (facts.cc).
struct Fact {
  Uuid id;
  EventType type = EventType::CASE_OPENED;
  int64_t occurred_at = 0;   // unix nanoseconds
  uint64_t recorded_at = 0;  // HLC at the origin
  std::string origin;

  // Body fields, set where the event type has them.
  std::string case_id, subject, intervention, session, incident, lead_agency, programme;
  std::string provider;  // intervention.referred: the agency that delivers it
  std::string group;     // intervention.started (optional) and session.held
  schema::OrderKind order = schema::OrderKind::COMMUNITY_ORDER;
  schema::RiskLevel risk = schema::RiskLevel::STANDARD;
  bool marac = false;
  schema::CloseReason close_reason = schema::CloseReason::OTHER;
  schema::ExitReason exit_reason = schema::ExitReason::OTHER;
  schema::AttendanceOutcome outcome = schema::AttendanceOutcome::ATTENDED;
  schema::BreachKind breach_kind = schema::BreachKind::FAILURE_TO_COMPLY;
  schema::IncidentCategory category = schema::IncidentCategory::OTHER;
  bool crime = false;
  // alert.* events
  Uuid alert;
  schema::AlertRule rule = schema::AlertRule::BREACH;
  schema::Severity severity = schema::Severity::MEDIUM;
  Uuid trigger;
  std::string text;      // alert reason, note, action or withdrawal reason
  std::string user;      // the author's user (for acknowledgements, resolutions, assignments)
  std::string assignee;  // alert.assigned: the user it assigns the alert to
  uint64_t rank = 0;     // alert.raised / alert.withdrawn: its basis's rank (0: no basis)
  Uuid voided;           // record.voided: the event it voids (its reason is `text`)
  // The event's local log position when the reader knows it (0: not known). A fold makes
  // feed entries (alert changes) only of events with a position.
  uint64_t position = 0;
};

inline bool IsAlertType(EventType t) {
  return t == EventType::ALERT_RAISED || t == EventType::ALERT_ACKNOWLEDGED ||
         t == EventType::ALERT_RESOLVED || t == EventType::ALERT_WITHDRAWN ||
         t == EventType::ALERT_ASSIGNED;
}

// Whether a record.voided may void an event of this type: every type but alert.*,
// record.voided and subject.erased (SPEC "Keeping the record right"). A void naming one of
// those is refused at entry, and changes nothing if it arrives.
inline bool IsVoidable(EventType t) {
  return !IsAlertType(t) && t != EventType::RECORD_VOIDED && t != EventType::SUBJECT_ERASED;
}

struct UuidHash {
  size_t operator()(const Uuid& u) const {
    return static_cast<size_t>(u.hi ^ (u.lo * 0x9e3779b97f4a7c15ULL));
  }
};

// The events voided before a fold's events: the targets of the void/ rows held.
class VoidedIds {
 public:
  bool Contains(const Uuid& id) const { return ids_.count(id) > 0; }
  void Insert(const Uuid& id) { ids_.insert(id); }
  void Erase(const Uuid& id) { ids_.erase(id); }
  void Clear() { ids_.clear(); }
  size_t size() const { return ids_.size(); }

 private:
  std::unordered_set<Uuid, UuidHash> ids_;
};

// Voids as plain code, for the rules and their tests: `events` as if every voided event had
// never arrived. Drops each voidable event that a record.voided among `events` or `voids`
// names, and the record.voided events themselves (a void may come before or after its
// event, in either list).
std::vector<Fact> WithoutVoided(const std::vector<Fact>& events,
                                const std::vector<Fact>& voids = {});

Fact FactOf(schema::Event::Reader event);
// The same into an existing Fact, reusing its strings' storage: every field is set (to its
// default where the event has no such field), so a Fact can be reused across events.
void FactInto(schema::Event::Reader event, Fact* fact);
// Every field back to its default, keeping the strings' storage.
void ClearFact(Fact* fact);

// The canonical order: occurred_at, then recorded_at, then id. Folding in this order makes
// a result depend only on the set of events, never on their arrival order.
bool CanonicalLess(const Fact& a, const Fact& b);
void SortCanonical(std::vector<Fact>* facts);

// Positive contact: attended, late or left_early.
bool IsPositive(schema::AttendanceOutcome outcome);

// The correction rule (SPEC "Corrections"): of the attendance records of one (case,
// session), sorted by this key, the last stands: the latest recorded_at, then the larger id.
// The projections' fold (fold.h) and StandingAttendance both choose by it.
inline std::tuple<const uint64_t&, const Uuid&> CorrectionOrder(const uint64_t& recorded_at,
                                                                const Uuid& id) {
  return std::tie(recorded_at, id);
}

// Per (case, session), the attendance record that stands after corrections
// (CorrectionOrder). Returns them in canonical order.
std::vector<Fact> StandingAttendance(const std::vector<Fact>& facts);
std::vector<Fact> StandingAttendance(std::vector<const Fact*> facts);

}  // namespace holdfast
