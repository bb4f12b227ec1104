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
#include "projections/facts.h"
#include "projections/rules.h"

namespace holdfast {

struct AlertTransition {
  bool withdrawn = false;  // raised or withdrawn
  int64_t at = 0;          // the event's occurred_at (a raise time)
  uint64_t recorded_at = 0;
  Uuid id;
};

struct AlertState {
  Uuid alert;
  bool has_raised = false;  // false while only acknowledgements have arrived
  // Details, from the latest alert.raised (by recorded_at, then id).
  schema::AlertRule rule = schema::AlertRule::BREACH;
  std::string case_id, subject, intervention, reason;
  schema::Severity severity = schema::Severity::HIGH;
  Uuid trigger;
  // The standing state: the lifecycle event with the latest recorded_at, then larger id.
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
// state of case `case_id`'s alerts) to `derived` (what the rules compute now). Withdraws
// only alerts this node raised (under any of its origins: see OriginNode) whose details
// name this case; an alert under an id made before ids escaped their name parts is withdrawn
// as replaced by its new one (docs/alert-ids.md). Event ids derive from alert id,
// transition, raise time and a counter, so planning twice, or on two nodes, gives the same
// events.
std::vector<Event> PlanLifecycle(const std::string& case_id,
                                 const std::vector<DerivedAlert>& derived,
                                 const std::vector<AlertState>& standing,
                                 const std::string& node_id);

}  // namespace holdfast
