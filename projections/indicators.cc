#include "projections/indicators.h"

#include <capnp/schema.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "eventstore/validate.h"

namespace holdfast {
namespace {

template <typename Enum>
std::vector<std::string> Names() {
  std::vector<std::string> out;
  for (auto e : capnp::Schema::from<Enum>().getEnumerants()) out.push_back(JsonNameOf(e));
  return out;
}

template <typename Enum>
std::string NameOf(Enum v) {
  return Names<Enum>()[static_cast<size_t>(v)];
}

std::string Number(std::optional<double> v, const char* null) {
  if (!v) return null;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", *v);
  return buf;
}

}  // namespace

IndicatorBuilder::IndicatorBuilder(int64_t from, int64_t to) : from_(from), to_(to) {
  r_.from = from;
  r_.to = to;
  for (const auto& n : Names<schema::ExitReason>()) r_.exits[n] = 0;
  for (const auto& n : Names<schema::AlertRule>()) r_.alerts[n] = 0;
}

void IndicatorBuilder::AddEvent(const Fact& f) {
  if (!InPeriod(f.occurred_at)) return;
  switch (f.type) {
    case EventType::INTERVENTION_REFERRED:
      ++r_.referrals;
      break;
    case EventType::INTERVENTION_STARTED:
      ++r_.starts;
      break;
    case EventType::INTERVENTION_COMPLETED:
      ++r_.completions;
      break;
    case EventType::INTERVENTION_EXITED:
      ++r_.exits[NameOf(f.exit_reason)];
      break;
    case EventType::INCIDENT_REPORTED:
      if (f.category == schema::IncidentCategory::DOMESTIC_ABUSE ||
          f.category == schema::IncidentCategory::SEXUAL_OFFENCE) {
        incidents_[f.subject].insert(f.incident);
      }
      break;
    default:
      break;
  }
}

void IndicatorBuilder::AddStandingAttendance(int64_t occurred_at,
                                             schema::AttendanceOutcome outcome) {
  if (!InPeriod(occurred_at)) return;
  if (outcome == schema::AttendanceOutcome::ABSENT_ACCEPTABLE) return;
  ++counted_;
  if (IsPositive(outcome)) ++positive_;
}

void IndicatorBuilder::AddAlert(const AlertState& a) {
  if (!a.has_raised || a.withdrawn || !InPeriod(a.raised_at)) return;
  ++r_.alerts[NameOf(a.rule)];
  if (a.acknowledged_at >= 0) {
    ack_hours_.push_back(static_cast<double>(a.acknowledged_at - a.raised_at) / 3.6e12);
  }
}

IndicatorReport IndicatorBuilder::Finish() const {
  IndicatorReport r = r_;
  uint64_t exits = 0;
  for (const auto& [reason, n] : r.exits) exits += n;
  if (r.completions + exits > 0) {
    r.completion_rate =
        static_cast<double>(r.completions) / static_cast<double>(r.completions + exits);
  }
  if (counted_ > 0)
    r.attendance_rate = static_cast<double>(positive_) / static_cast<double>(counted_);
  if (!ack_hours_.empty()) {
    std::vector<double> h = ack_hours_;
    std::sort(h.begin(), h.end());
    const size_t n = h.size();
    r.median_hours_to_acknowledge = n % 2 ? h[n / 2] : (h[n / 2 - 1] + h[n / 2]) / 2;
  }
  for (const auto& [subject, refs] : incidents_) {
    if (refs.size() >= 2) ++r.subjects_with_repeat_incidents;
  }
  return r;
}

std::string RenderIndicators(const IndicatorReport& r, const std::string& format) {
  std::vector<std::pair<std::string, std::string>> flat;  // CSV and table rows
  flat.emplace_back("from", FormatRfc3339(r.from));
  flat.emplace_back("to", FormatRfc3339(r.to));
  flat.emplace_back("referrals", std::to_string(r.referrals));
  flat.emplace_back("starts", std::to_string(r.starts));
  flat.emplace_back("completions", std::to_string(r.completions));
  for (const auto& n : Names<schema::ExitReason>())
    flat.emplace_back("exits_" + n, std::to_string(r.exits.at(n)));
  flat.emplace_back("completion_rate", Number(r.completion_rate, ""));
  flat.emplace_back("attendance_rate", Number(r.attendance_rate, ""));
  for (const auto& n : Names<schema::AlertRule>())
    flat.emplace_back("alerts_" + n, std::to_string(r.alerts.at(n)));
  flat.emplace_back("median_hours_to_acknowledge", Number(r.median_hours_to_acknowledge, ""));
  flat.emplace_back("subjects_with_repeat_incidents",
                    std::to_string(r.subjects_with_repeat_incidents));

  std::ostringstream out;
  if (format == "json") {
    auto map = [](const std::map<std::string, uint64_t>& m, const std::vector<std::string>& order) {
      std::string s = "{";
      for (size_t i = 0; i < order.size(); ++i) {
        s += (i ? "," : "") + std::string("\"") + order[i] + "\":" + std::to_string(m.at(order[i]));
      }
      return s + "}";
    };
    out << "{\"from\":\"" << FormatRfc3339(r.from) << "\",\"to\":\"" << FormatRfc3339(r.to)
        << "\",\"referrals\":" << r.referrals << ",\"starts\":" << r.starts
        << ",\"completions\":" << r.completions
        << ",\"exits\":" << map(r.exits, Names<schema::ExitReason>())
        << ",\"completion_rate\":" << Number(r.completion_rate, "null")
        << ",\"attendance_rate\":" << Number(r.attendance_rate, "null")
        << ",\"alerts\":" << map(r.alerts, Names<schema::AlertRule>())
        << ",\"median_hours_to_acknowledge\":" << Number(r.median_hours_to_acknowledge, "null")
        << ",\"subjects_with_repeat_incidents\":" << r.subjects_with_repeat_incidents << "}\n";
  } else if (format == "csv") {
    for (size_t i = 0; i < flat.size(); ++i) out << (i ? "," : "") << flat[i].first;
    out << "\n";
    for (size_t i = 0; i < flat.size(); ++i) out << (i ? "," : "") << flat[i].second;
    out << "\n";
  } else {
    size_t width = 0;
    for (const auto& [k, v] : flat) width = std::max(width, k.size());
    for (const auto& [k, v] : flat) {
      out << k << std::string(width - k.size() + 2, ' ') << (v.empty() ? "-" : v) << "\n";
    }
  }
  return out.str();
}

}  // namespace holdfast
