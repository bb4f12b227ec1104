#include "projections/alert_filter.h"

#include <algorithm>

namespace holdfast {

bool MatchesTriage(const AlertFilter& filter, const AlertState& a) {
  if (!filter.severities.empty() && std::find(filter.severities.begin(), filter.severities.end(),
                                              a.severity) == filter.severities.end()) {
    return false;
  }
  if (filter.since && a.raised_at < *filter.since) return false;
  if (!filter.subject.empty() && a.subject != filter.subject) return false;
  if (!filter.assigned_to.empty() && a.assigned_to != filter.assigned_to) return false;
  return true;
}

}  // namespace holdfast
