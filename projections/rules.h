// The six accountability alert rules of the SPEC ("Accountability alert rules" and "Rule
// semantics, precisely"), as plain functions of one case's events, its subject's
// incidents, the rule parameters and the evaluation time. No I/O: the daemon feeds them
// from the store; tests feed them by hand.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "projections/facts.h"

namespace holdfast {

// The [rules] section of holdfast.conf.
struct RuleConfig {
  bool derive = false;                       // derive = true|false (default by node kind)
  int non_engagement_absences = 2;           // N: non_engagement_absences
  int64_t non_engagement_window_days = 365;  // W: non_engagement_window_days
  int64_t no_contact_days = 21;              // D: no_contact_days
  int64_t reoffending_days = 365;            // R: reoffending_days
};

struct DerivedAlert {
  Uuid alert;  // AlertId(rule, case, intervention, key)
  schema::AlertRule rule = schema::AlertRule::BREACH;
  std::string case_id, subject, intervention;
  schema::Severity severity = schema::Severity::HIGH;
  Uuid trigger;           // the event that raised it
  std::string reason;     // for the officer reading it
  int64_t raised_at = 0;  // unix nanoseconds
};

// What the rules need to know about one case, folded from its events in canonical order.
struct CaseContext {
  std::string case_id, subject;
  const Fact* opened = nullptr;  // the earliest case.opened; no rule runs without it
  const Fact* closed = nullptr;  // the earliest case.closed
  struct Interval {
    const Fact* start = nullptr;  // earliest intervention.started
    const Fact* end = nullptr;    // earliest intervention.completed or .exited
    bool Active(int64_t t) const {
      return start != nullptr && t >= start->occurred_at &&
             (end == nullptr || t < end->occurred_at);
    }
  };
  std::map<std::string, Interval> interventions;
  std::vector<Fact> standing;       // standing attendance, canonical order
  std::vector<const Fact*> events;  // every case event, canonical order
};

// `case_events` are the case's events (any order, alert lifecycle events ignored).
CaseContext BuildCaseContext(const std::vector<Fact>& case_events);

// The deterministic alert id: a name-based UUID of rule, case, intervention and key.
Uuid AlertId(schema::AlertRule rule, const std::string& case_id, const std::string& intervention,
             const std::string& key);

// Each rule appends the alerts it derives whose raise time is at or before `as_of`.
void NonEngagementRule(const CaseContext& c, const RuleConfig& config, int64_t as_of,
                       std::vector<DerivedAlert>* out);
void NoContactRule(const CaseContext& c, const RuleConfig& config, int64_t as_of,
                   std::vector<DerivedAlert>* out);
void ReoffendingRule(const CaseContext& c, const std::vector<Fact>& subject_incidents,
                     const RuleConfig& config, int64_t as_of, std::vector<DerivedAlert>* out);
void BreachRule(const CaseContext& c, int64_t as_of, std::vector<DerivedAlert>* out);
void DropoutRule(const CaseContext& c, int64_t as_of, std::vector<DerivedAlert>* out);
void RiskEscalationRule(const CaseContext& c, int64_t as_of, std::vector<DerivedAlert>* out);

// Every alert the case's events support as of `as_of`, sorted by alert id. Empty when the
// case's opening is not held. record.voided events among either list are honoured: the
// events they void are left out (WithoutVoided, facts.h).
std::vector<DerivedAlert> EvaluateCase(const std::vector<Fact>& case_events,
                                       const std::vector<Fact>& subject_incidents,
                                       const RuleConfig& config, int64_t as_of);
// The same from a context already built (BuildCaseContext), so that a caller who also
// needs NextDeadline builds it once.
std::vector<DerivedAlert> EvaluateContext(const CaseContext& c,
                                          const std::vector<Fact>& subject_incidents,
                                          const RuleConfig& config, int64_t as_of);

// The next instant after `after` at which a time-based rule could raise an alert for this
// case (a no_contact deadline), if any.
std::optional<int64_t> NextDeadline(const CaseContext& c, const RuleConfig& config, int64_t after);

std::string RuleName(schema::AlertRule rule);
std::string EnumName(schema::AttendanceOutcome v);

}  // namespace holdfast
