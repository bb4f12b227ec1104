// no_contact: an active intervention has had no positive contact for D days, counted
// from its start or its last positive contact L; raised at L + D if still active then.
#include <algorithm>

#include "projections/rules.h"

namespace holdfast {
namespace {

struct Anchor {
  int64_t at;
  const Fact* event;
};

// Anchors of one intervention: its start and every standing positive contact inside the
// active interval, in time order.
std::vector<Anchor> AnchorsOf(const CaseContext& c, const std::string& name,
                              const CaseContext::Interval& interval) {
  std::vector<Anchor> anchors = {{interval.start->occurred_at, interval.start}};
  for (const Fact& a : c.standing) {
    if (a.intervention == name && IsPositive(a.outcome) && interval.Active(a.occurred_at)) {
      anchors.push_back({a.occurred_at, &a});
    }
  }
  std::stable_sort(anchors.begin(), anchors.end(),
                   [](const Anchor& x, const Anchor& y) { return x.at < y.at; });
  return anchors;
}

// Calls fn(anchor, deadline) for each anchor whose deadline raises an alert: no later
// anchor at or before L + D, and the intervention still active at L + D.
template <typename Fn>
void ForEachDeadline(const CaseContext& c, const RuleConfig& config, Fn fn) {
  const int64_t d = config.no_contact_days * kNanosPerDay;
  for (const auto& [name, interval] : c.interventions) {
    if (interval.start == nullptr) continue;  // never started: never active
    auto anchors = AnchorsOf(c, name, interval);
    for (size_t i = 0; i < anchors.size(); ++i) {
      // Several anchors at one instant are one anchor: keep the last of them.
      if (i + 1 < anchors.size() && anchors[i + 1].at == anchors[i].at) continue;
      const int64_t deadline = anchors[i].at + d;
      if (i + 1 < anchors.size() && anchors[i + 1].at <= deadline) continue;
      if (!interval.Active(deadline)) continue;
      fn(name, anchors[i], deadline);
    }
  }
}

}  // namespace

void NoContactRule(const CaseContext& c, const RuleConfig& config, int64_t as_of,
                   std::vector<DerivedAlert>* out) {
  ForEachDeadline(c, config, [&](const std::string& name, const Anchor& anchor, int64_t deadline) {
    if (deadline > as_of) return;
    DerivedAlert a;
    a.rule = schema::AlertRule::NO_CONTACT;
    a.case_id = c.case_id;
    a.subject = c.subject;
    a.intervention = name;
    a.severity = schema::Severity::MEDIUM;
    a.trigger = anchor.event->id;
    a.raised_at = deadline;
    a.alert = AlertId(a.rule, c.case_id, name, std::to_string(anchor.at));
    a.reason = "no positive contact for " + std::to_string(config.no_contact_days) +
               " days since " + FormatRfc3339(anchor.at) +
               (anchor.event->type == EventType::INTERVENTION_STARTED ? " (the start)"
                                                                      : " (the last contact)");
    out->push_back(std::move(a));
  });
}

std::optional<int64_t> NextDeadline(const CaseContext& c, const RuleConfig& config, int64_t after) {
  std::optional<int64_t> next;
  ForEachDeadline(c, config, [&](const std::string&, const Anchor&, int64_t deadline) {
    if (deadline > after && (!next || deadline < *next)) next = deadline;
  });
  return next;
}

}  // namespace holdfast
