// CaseSummary: what one case's facts say of it, as the entry checks (daemon), the case and
// subject views and the quality report read it: whether and how it was opened and closed,
// and the state of each intervention. A plain function of the facts, so tests feed it by
// hand and every reader agrees on "earliest" and "now".
//
// The caller removes voided events first (CaseFactsReader, projections/case_reader.h, does):
// a voided event is absent here as everywhere. Alert lifecycle events are ignored.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "projections/facts.h"

namespace holdfast {

// How an intervention ended.
enum class InterventionEnding { kNone, kCompleted, kExited };

struct InterventionSummary {
  std::string id;
  // From the earliest intervention.referred (empty while none is held).
  bool referred = false;
  std::string programme, provider;
  int64_t referred_at = 0;
  Uuid referred_event;
  // From the earliest intervention.started.
  bool started = false;
  std::string group;  // the group it names ("" when none)
  int64_t started_at = 0;
  Uuid started_event;
  // From the earliest intervention.completed or intervention.exited.
  InterventionEnding ending = InterventionEnding::kNone;
  schema::ExitReason exit_reason = schema::ExitReason::OTHER;  // when exited
  int64_t ended_at = 0;
  Uuid ended_event;
  // How many of each the case holds (more than one is an anomaly the quality report shows).
  uint32_t referrals = 0, starts = 0, ends = 0;

  bool ended() const { return ending != InterventionEnding::kNone; }
  // Started at or before t, and not ended at or before t (CaseContext::Interval::Active).
  bool ActiveAt(int64_t t) const {
    return started && t >= started_at && (!ended() || t < ended_at);
  }
};

struct CaseSummary {
  std::string case_id;
  // From the earliest case.opened; `risk` and `marac` from the last (canonical order) of the
  // openings and risk changes.
  bool opened = false;
  std::string subject, lead_agency;
  schema::OrderKind order = schema::OrderKind::COMMUNITY_ORDER;
  schema::RiskLevel risk = schema::RiskLevel::STANDARD;
  bool marac = false;
  int64_t opened_at = 0;
  Uuid opened_event;
  uint32_t openings = 0;
  // From the earliest case.closed.
  bool closed = false;
  schema::CloseReason close_reason = schema::CloseReason::OTHER;
  int64_t closed_at = 0;
  Uuid closed_event;
  uint32_t closings = 0;
  // Every intervention any of the case's events names (referred or not), in id order.
  std::vector<InterventionSummary> interventions;

  // The intervention with this id; null when no event names it.
  const InterventionSummary* Find(std::string_view intervention) const;
};

// The summary of one case's facts (any order; voided ones already removed). `case_id` is the
// case's id when the facts hold none (an empty case).
CaseSummary SummarizeCase(const std::string& case_id, const std::vector<Fact>& facts);

// The name an enum value has in JSON and on the command line ("exited", "moved_area").
std::string EndingName(InterventionEnding ending);

}  // namespace holdfast
