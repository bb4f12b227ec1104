#include "projections/case_summary.h"

#include <algorithm>
#include <map>

namespace holdfast {

const InterventionSummary* CaseSummary::Find(std::string_view intervention) const {
  auto it =
      std::lower_bound(interventions.begin(), interventions.end(), intervention,
                       [](const InterventionSummary& i, std::string_view id) { return i.id < id; });
  return it != interventions.end() && it->id == intervention ? &*it : nullptr;
}

std::string EndingName(InterventionEnding ending) {
  switch (ending) {
    case InterventionEnding::kCompleted:
      return "completed";
    case InterventionEnding::kExited:
      return "exited";
    case InterventionEnding::kNone:
      break;
  }
  return "";
}

CaseSummary SummarizeCase(const std::string& case_id, const std::vector<Fact>& facts) {
  std::vector<const Fact*> sorted;
  sorted.reserve(facts.size());
  for (const Fact& f : facts) sorted.push_back(&f);
  // Canonical order: the first of each kind is the earliest, the last risk is the risk now,
  // whatever order the facts arrived in.
  std::sort(sorted.begin(), sorted.end(),
            [](const Fact* a, const Fact* b) { return CanonicalLess(*a, *b); });

  CaseSummary s;
  s.case_id = case_id;
  std::map<std::string, InterventionSummary> interventions;
  auto intervention = [&](const Fact& f) -> InterventionSummary& {
    InterventionSummary& i = interventions[f.intervention];
    i.id = f.intervention;
    return i;
  };
  for (const Fact* p : sorted) {
    const Fact& f = *p;
    switch (f.type) {
      case EventType::CASE_OPENED:
        if (s.openings++ == 0) {
          s.opened = true;
          s.subject = f.subject;
          s.lead_agency = f.lead_agency;
          s.order = f.order;
          s.opened_at = f.occurred_at;
          s.opened_event = f.id;
        }
        s.risk = f.risk;
        s.marac = f.marac;
        break;
      case EventType::CASE_RISK_CHANGED:
        s.risk = f.risk;
        s.marac = f.marac;
        break;
      case EventType::CASE_CLOSED:
        if (s.closings++ == 0) {
          s.closed = true;
          s.close_reason = f.close_reason;
          s.closed_at = f.occurred_at;
          s.closed_event = f.id;
        }
        break;
      case EventType::INTERVENTION_REFERRED: {
        InterventionSummary& i = intervention(f);
        if (i.referrals++ == 0) {
          i.referred = true;
          i.programme = f.programme;
          i.provider = f.provider;
          i.referred_at = f.occurred_at;
          i.referred_event = f.id;
        }
        break;
      }
      case EventType::INTERVENTION_STARTED: {
        InterventionSummary& i = intervention(f);
        if (i.starts++ == 0) {
          i.started = true;
          i.group = f.group;
          i.started_at = f.occurred_at;
          i.started_event = f.id;
        }
        break;
      }
      case EventType::INTERVENTION_COMPLETED:
      case EventType::INTERVENTION_EXITED: {
        InterventionSummary& i = intervention(f);
        if (i.ends++ == 0) {
          const bool exited = f.type == EventType::INTERVENTION_EXITED;
          i.ending = exited ? InterventionEnding::kExited : InterventionEnding::kCompleted;
          if (exited) i.exit_reason = f.exit_reason;
          i.ended_at = f.occurred_at;
          i.ended_event = f.id;
        }
        break;
      }
      case EventType::ATTENDANCE_RECORDED:
        intervention(f);
        break;
      default:
        break;  // breaches, alerts, voids and others say nothing of the case's state
    }
  }
  s.interventions.reserve(interventions.size());
  for (auto& [id, i] : interventions) s.interventions.push_back(std::move(i));
  return s;
}

}  // namespace holdfast
