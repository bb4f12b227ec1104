// The rules raised by a single event, at its occurred_at: breach, dropout and
// risk_escalation.
#include <capnp/schema.h>

#include <map>

#include "eventstore/validate.h"
#include "projections/rules.h"

namespace holdfast {
namespace {

template <typename Enum>
std::string NameOf(Enum v) {
  return JsonNameOf(capnp::Schema::from<Enum>().getEnumerants()[static_cast<unsigned>(v)]);
}

DerivedAlert Raise(const CaseContext& c, schema::AlertRule rule, const Fact& trigger,
                   const std::string& intervention, const std::string& key) {
  DerivedAlert a;
  a.rule = rule;
  a.case_id = c.case_id;
  a.subject = c.subject;
  a.intervention = intervention;
  a.severity = schema::Severity::HIGH;
  a.trigger = trigger.id;
  a.raised_at = trigger.occurred_at;
  a.alert = AlertId(rule, c.case_id, intervention, key);
  return a;
}

}  // namespace

void BreachRule(const CaseContext& c, int64_t as_of, std::vector<DerivedAlert>* out) {
  for (const Fact* f : c.events) {
    if (f->type != EventType::BREACH_REPORTED || f->occurred_at > as_of) continue;
    DerivedAlert a = Raise(c, schema::AlertRule::BREACH, *f, "", FormatUuid(f->id));
    a.reason = "breach reported: " + NameOf(f->breach_kind);
    out->push_back(std::move(a));
  }
}

void DropoutRule(const CaseContext& c, int64_t as_of, std::vector<DerivedAlert>* out) {
  std::map<std::string, const Fact*> earliest;  // canonical order: first seen is earliest
  for (const Fact* f : c.events) {
    if (f->type != EventType::INTERVENTION_EXITED) continue;
    if (f->exit_reason != schema::ExitReason::NON_COMPLIANCE &&
        f->exit_reason != schema::ExitReason::WITHDREW) {
      continue;
    }
    earliest.emplace(f->intervention, f);
  }
  for (const auto& [intervention, f] : earliest) {
    if (f->occurred_at > as_of) continue;
    DerivedAlert a = Raise(c, schema::AlertRule::DROPOUT, *f, intervention, "");
    a.reason = "left " + intervention + " early: " + NameOf(f->exit_reason);
    out->push_back(std::move(a));
  }
}

void RiskEscalationRule(const CaseContext& c, int64_t as_of, std::vector<DerivedAlert>* out) {
  for (size_t i = 0; i < c.events.size(); ++i) {
    const Fact* change = c.events[i];
    if (change->type != EventType::CASE_RISK_CHANGED || change->occurred_at > as_of) continue;
    // The level set by the latest opening or change strictly before it (by occurred_at).
    const Fact* previous = nullptr;
    for (size_t j = 0; j < i; ++j) {
      const Fact* f = c.events[j];
      if ((f->type == EventType::CASE_OPENED || f->type == EventType::CASE_RISK_CHANGED) &&
          f->occurred_at < change->occurred_at) {
        previous = f;
      }
    }
    const bool up = change->risk >= schema::RiskLevel::HIGH && previous != nullptr &&
                    change->risk > previous->risk;
    if (!change->marac && !up) continue;
    DerivedAlert a =
        Raise(c, schema::AlertRule::RISK_ESCALATION, *change, "", FormatUuid(change->id));
    a.reason = change->marac ? "referred to MARAC (risk " + NameOf(change->risk) + ")"
                             : "risk raised to " + NameOf(change->risk) +
                                   (previous ? " from " + NameOf(previous->risk) : std::string());
    out->push_back(std::move(a));
  }
}

}  // namespace holdfast
