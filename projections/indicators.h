// The partnership's indicators (SPEC "Indicators"): counts over events whose occurred_at is
// in [from, to), attendance over standing outcomes, alerts by raise time. Plain code: the
// projector feeds it from its tables, tests feed it by hand.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "projections/alert_state.h"
#include "projections/facts.h"

namespace holdfast {

struct IndicatorReport {
  int64_t from = 0, to = 0;
  uint64_t referrals = 0, starts = 0, completions = 0;
  std::map<std::string, uint64_t> exits;   // every exit reason, 0 where none
  std::optional<double> completion_rate;   // completions / (completions + exits)
  std::optional<double> attendance_rate;   // positive / all outcomes but absent_acceptable
  std::map<std::string, uint64_t> alerts;  // every rule, raised in the period, not withdrawn
  std::optional<double> median_hours_to_acknowledge;
  uint64_t subjects_with_repeat_incidents = 0;
};

class IndicatorBuilder {
 public:
  IndicatorBuilder(int64_t from, int64_t to);
  bool InPeriod(int64_t t) const { return t >= from_ && t < to_; }
  // Referrals, starts, completions, exits and incidents; other types are ignored.
  void AddEvent(const Fact& fact);
  // One standing attendance outcome (after corrections).
  void AddStandingAttendance(int64_t occurred_at, schema::AttendanceOutcome outcome);
  void AddAlert(const AlertState& alert);
  IndicatorReport Finish() const;

 private:
  int64_t from_, to_;
  IndicatorReport r_;
  uint64_t positive_ = 0, counted_ = 0;
  std::vector<double> ack_hours_;
  std::map<std::string, std::set<std::string>> incidents_;  // subject -> references
};

// Renderings: "json" (one object), "csv" (a header row and one row), "table" (one line per
// indicator). A rate or median with nothing to count is null in JSON, empty in CSV.
std::string RenderIndicators(const IndicatorReport& report, const std::string& format);

}  // namespace holdfast
