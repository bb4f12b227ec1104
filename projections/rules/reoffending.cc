// reoffending: a domestic_abuse or sexual_offence incident for a subject whose case was
// open at the incident, or closed at most R days before it; one per (incident, case).
#include <map>

#include "projections/rules.h"

namespace holdfast {

void ReoffendingRule(const CaseContext& c, const std::vector<Fact>& subject_incidents,
                     const RuleConfig& config, int64_t as_of, std::vector<DerivedAlert>* out) {
  const int64_t opened = c.opened->occurred_at;
  const int64_t r = config.reoffending_days * kNanosPerDay;
  auto counts = [&](int64_t t) {
    if (opened > t) return false;
    if (c.closed == nullptr || c.closed->occurred_at > t) return true;  // open at t
    return t - c.closed->occurred_at <= r;
  };
  // The earliest qualifying report of each incident reference.
  std::map<std::string, const Fact*> earliest;
  for (const Fact& f : subject_incidents) {
    if (f.type != EventType::INCIDENT_REPORTED || f.subject != c.subject) continue;
    if (f.category != schema::IncidentCategory::DOMESTIC_ABUSE &&
        f.category != schema::IncidentCategory::SEXUAL_OFFENCE) {
      continue;
    }
    if (!counts(f.occurred_at)) continue;
    const Fact*& held = earliest[f.incident];
    if (held == nullptr || CanonicalLess(f, *held)) held = &f;
  }
  for (const auto& [incident, f] : earliest) {
    if (f->occurred_at > as_of) continue;
    DerivedAlert a;
    a.rule = schema::AlertRule::REOFFENDING;
    a.case_id = c.case_id;
    a.subject = c.subject;
    a.severity = schema::Severity::HIGH;
    a.trigger = f->id;
    a.raised_at = f->occurred_at;
    a.alert = AlertId(a.rule, c.case_id, "", incident);
    const bool open = c.closed == nullptr || c.closed->occurred_at > f->occurred_at;
    a.reason =
        "incident " + incident + " (" +
        (f->category == schema::IncidentCategory::DOMESTIC_ABUSE ? "domestic_abuse"
                                                                 : "sexual_offence") +
        ") " +
        (open ? "while the case was open"
              : "within " + std::to_string(config.reoffending_days) + " days of the case closing");
    out->push_back(std::move(a));
  }
}

}  // namespace holdfast
