// The triage filters of `alerts list` (SPEC "Alerts reach people": --severity, --since,
// --subject, --mine): whether an alert passes the ones an AlertFilter sets. Status, rule,
// case and as-of are Projector::ScanAlerts's own; these are the rest, one plain function so
// the projector's scan and the daemon's listing agree.
#pragma once

#include "projections/alert_state.h"
#include "projections/projector.h"

namespace holdfast {

// True when `alert` passes every triage filter `filter` sets (severities, since, subject,
// assigned_to); a filter left empty passes every alert.
bool MatchesTriage(const AlertFilter& filter, const AlertState& alert);

}  // namespace holdfast
