// Alerts as lifecycle events (SPEC "Alert lifecycle between nodes"): the standing state of
// an alert folded from the alert.* events a node holds, in an order that does not depend
// on arrival; and the lifecycle events a deriving node appends so that its held state
// matches what the rules compute.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eventstore/event.h"
#include "eventstore/event_store.h"
#include "projections/facts.h"
#include "projections/rules.h"

namespace holdfast {

struct AlertTransition {
  bool withdrawn = false;  // raised or withdrawn
  int64_t at = 0;          // the event's occurred_at (a raise time)
  uint64_t recorded_at = 0;
  Uuid id;
  uint64_t rank = 0;  // its basis's rank (0: derived before bases)
};

// Whether lifecycle event `a` stands over `b` (docs/alert-lifecycle.md): the higher basis
// rank; between two events without a basis (derived before bases), the later recorded_at;
// then the larger id. A function of the events' content, the same on every node.
bool StandsOver(const AlertTransition& a, const AlertTransition& b);

struct AlertState {
  Uuid alert;
  bool has_raised = false;  // false while only acknowledgements have arrived
  // Details, from the standing alert.raised among the raises (StandsOver).
  schema::AlertRule rule = schema::AlertRule::BREACH;
  std::string case_id, subject, intervention, reason;
  schema::Severity severity = schema::Severity::HIGH;
  Uuid trigger;
  // The standing state: from the lifecycle event that stands over all the others.
  bool withdrawn = false;
  int64_t raised_at = 0;  // the standing raise time
  std::string raised_by;  // origin node of the standing alert.raised
  std::string withdraw_reason;
  std::vector<AlertTransition> transitions;  // every raised/withdrawn event held
  // Kept across raises and withdrawals: the earliest of each.
  int64_t acknowledged_at = -1;
  std::string acknowledged_by, note;
  Uuid acknowledged_id;
  int64_t resolved_at = -1;
  std::string resolved_by, action;
  Uuid resolved_id;
  // The standing assignment (alert.assigned), kept across raises and withdrawals: the latest
  // by recorded_at, then the larger event id. assigned_to empty: never assigned.
  std::string assigned_to, assigned_by, assign_note;
  int64_t assigned_at = -1;  // the standing assignment's occurred_at
  uint64_t assigned_recorded_at = 0;
  Uuid assigned_id;
};

// Folds one alert.* fact into the state; the result does not depend on the order facts
// are folded in, and folding a fact twice changes nothing.
void FoldAlertFact(const Fact& fact, AlertState* state);

// "open", "acknowledged", "resolved" or "withdrawn" as of `as_of`; nullopt when the alert
// is not listed then (not raised yet at as_of, or never raised).
std::optional<std::string> StatusAsOf(const AlertState& state, int64_t as_of);

// The author of every lifecycle event a deriving node appends: the same on every node, so
// two deriving nodes make byte-identical events (and so one alert).
void SetSystemAuthor(schema::Author::Builder author);

// The lifecycle events (alert.raised, alert.withdrawn) that bring `standing` (the held
// state of case `case_id`'s alerts) to `derived` (what the rules compute now, from events
// the node held when its version vector was `view`, or more). Withdraws only alerts whose
// standing raise this node made (under any of its origins: see OriginNode) and whose
// details name this case; an alert under an id made before ids escaped their name parts is
// withdrawn as replaced by its new one (docs/alert-ids.md). Each event carries its basis:
// `view`, and a rank above every lifecycle event of the alert held and at least the sum of
// `view`'s marks, so it stands over all the node held (docs/alert-lifecycle.md). Event ids
// derive from the whole content, so planning twice from the same state, or on two nodes
// from the same view, gives the same events.
std::vector<Event> PlanLifecycle(const std::string& case_id,
                                 const std::vector<DerivedAlert>& derived,
                                 const std::vector<AlertState>& standing,
                                 const std::string& node_id, const VersionVector& view);

// "origin:seq origin:seq ...", by origin: a basis's marks. At most kMaxFreeTextBytes: a
// vector too long for that keeps the origins that fit, then "...".
std::string FormatMarks(const VersionVector& view);

}  // namespace holdfast
