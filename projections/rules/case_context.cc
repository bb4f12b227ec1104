#include <capnp/schema.h>

#include <algorithm>

#include "eventstore/validate.h"
#include "projections/rules.h"

namespace holdfast {
namespace {
// The namespace of every alert id: NameUuid(kAlertNamespace, JoinNameParts({rule, case,
// intervention, key})). The parts are escaped (docs/alert-ids.md): joined as they were,
// case "C/I" with intervention "x" and case "C" with intervention "I/x" had one id.
constexpr Uuid kAlertNamespace{0x6b1f3e2a9c4d4f5aULL, 0x8e7d6c5b4a392817ULL};
}  // namespace

Uuid AlertId(schema::AlertRule rule, const std::string& case_id, const std::string& intervention,
             const std::string& key) {
  return NameUuid(kAlertNamespace, JoinNameParts({RuleName(rule), case_id, intervention, key}));
}

std::string RuleName(schema::AlertRule rule) {
  auto e = capnp::Schema::from<schema::AlertRule>().getEnumerants();
  return JsonNameOf(e[static_cast<unsigned>(rule)]);
}

std::string EnumName(schema::AttendanceOutcome v) {
  auto e = capnp::Schema::from<schema::AttendanceOutcome>().getEnumerants();
  return JsonNameOf(e[static_cast<unsigned>(v)]);
}

CaseContext BuildCaseContext(const std::vector<Fact>& case_events) {
  CaseContext c;
  for (const Fact& f : case_events) {
    switch (f.type) {
      case EventType::ALERT_RAISED:
      case EventType::ALERT_ACKNOWLEDGED:
      case EventType::ALERT_RESOLVED:
      case EventType::ALERT_WITHDRAWN:
      case EventType::ALERT_ASSIGNED:
        continue;  // the rules' output, never their input
      default:
        c.events.push_back(&f);
    }
  }
  std::sort(c.events.begin(), c.events.end(),
            [](const Fact* a, const Fact* b) { return CanonicalLess(*a, *b); });
  std::vector<const Fact*> attendance;
  for (const Fact* f : c.events) {
    if (c.case_id.empty()) c.case_id = f->case_id;
    switch (f->type) {
      case EventType::CASE_OPENED:
        if (c.opened == nullptr) c.opened = f;
        break;
      case EventType::CASE_CLOSED:
        if (c.closed == nullptr) c.closed = f;
        break;
      case EventType::INTERVENTION_STARTED: {
        auto& i = c.interventions[f->intervention];
        if (i.start == nullptr) i.start = f;
        break;
      }
      case EventType::INTERVENTION_COMPLETED:
      case EventType::INTERVENTION_EXITED: {
        auto& i = c.interventions[f->intervention];
        if (i.end == nullptr) i.end = f;
        break;
      }
      case EventType::ATTENDANCE_RECORDED:
        attendance.push_back(f);
        break;
      default:
        break;
    }
  }
  if (c.opened != nullptr) c.subject = c.opened->subject;
  c.standing = StandingAttendance(std::move(attendance));
  return c;
}

std::vector<DerivedAlert> EvaluateCase(const std::vector<Fact>& case_events,
                                       const std::vector<Fact>& subject_incidents,
                                       const RuleConfig& config, int64_t as_of) {
  // A voided event is absent, exactly as if it had never arrived; the void may sit in
  // either list (a case event's void, an incident's).
  const std::vector<Fact> events = WithoutVoided(case_events, subject_incidents);
  const std::vector<Fact> incidents = WithoutVoided(subject_incidents, case_events);
  return EvaluateContext(BuildCaseContext(events), incidents, config, as_of);
}

std::vector<DerivedAlert> EvaluateContext(const CaseContext& c,
                                          const std::vector<Fact>& subject_incidents,
                                          const RuleConfig& config, int64_t as_of) {
  std::vector<DerivedAlert> out;
  if (c.opened == nullptr) return out;  // an alert needs the case's subject
  NonEngagementRule(c, config, as_of, &out);
  NoContactRule(c, config, as_of, &out);
  ReoffendingRule(c, subject_incidents, config, as_of, &out);
  BreachRule(c, as_of, &out);
  DropoutRule(c, as_of, &out);
  RiskEscalationRule(c, as_of, &out);
  std::sort(out.begin(), out.end(),
            [](const DerivedAlert& a, const DerivedAlert& b) { return a.alert < b.alert; });
  return out;
}

}  // namespace holdfast
