// non_engagement: an active intervention's Nth unacceptable absence within any window of
// W days; at most one per intervention, raised at that absence.
#include "projections/rules.h"

namespace holdfast {

void NonEngagementRule(const CaseContext& c, const RuleConfig& config, int64_t as_of,
                       std::vector<DerivedAlert>* out) {
  const size_t n = static_cast<size_t>(std::max(1, config.non_engagement_absences));
  const int64_t window = config.non_engagement_window_days * kNanosPerDay;
  for (const auto& [name, interval] : c.interventions) {
    std::vector<const Fact*> absences;  // canonical order, so by occurred_at
    for (const Fact& a : c.standing) {
      if (a.intervention == name && a.outcome == schema::AttendanceOutcome::ABSENT_UNACCEPTABLE &&
          interval.Active(a.occurred_at)) {
        absences.push_back(&a);
      }
    }
    for (size_t k = n - 1; k < absences.size(); ++k) {
      if (absences[k]->occurred_at - absences[k - (n - 1)]->occurred_at > window) continue;
      if (absences[k]->occurred_at > as_of) break;
      DerivedAlert a;
      a.rule = schema::AlertRule::NON_ENGAGEMENT;
      a.case_id = c.case_id;
      a.subject = c.subject;
      a.intervention = name;
      a.severity = schema::Severity::MEDIUM;
      a.trigger = absences[k]->id;
      a.raised_at = absences[k]->occurred_at;
      a.alert = AlertId(a.rule, c.case_id, name, "");
      a.reason = std::to_string(n) + " unacceptable absences within " +
                 std::to_string(config.non_engagement_window_days) + " days, the last on " +
                 FormatRfc3339(absences[k]->occurred_at);
      out->push_back(std::move(a));
      break;  // at most one per intervention
    }
  }
}

}  // namespace holdfast
