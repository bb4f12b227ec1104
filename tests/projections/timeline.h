// Hand-made case timelines for the alert rule tests: each builder call appends one Fact
// with a deterministic id and a recorded_at later than every fact before it, so a test
// reads as the story of a case. Times are unix nanoseconds; Day(n) and Sec(n) make spans.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "eventstore/ids.h"
#include "projections/facts.h"
#include "projections/rules.h"

namespace holdfast::testing {

using Outcome = schema::AttendanceOutcome;
using Risk = schema::RiskLevel;
using Rule = schema::AlertRule;
using Exit = schema::ExitReason;
using Category = schema::IncidentCategory;

constexpr int64_t kNanosPerSecond = 1000000000LL;
constexpr int64_t Sec(int64_t n) { return n * kNanosPerSecond; }
constexpr int64_t Day(int64_t n) { return n * kNanosPerDay; }

// 2025-01-01T00:00:00Z: the day every test case opens.
constexpr int64_t kT0 = 1735689600LL * kNanosPerSecond;
// Late enough that every alert the tests build has been raised.
constexpr int64_t kFarFuture = kT0 + Day(20000);

class Timeline {
 public:
  Fact Opened(const std::string& case_id, const std::string& subject, Risk risk, int64_t t) {
    Fact f = Make(EventType::CASE_OPENED, t);
    f.case_id = case_id;
    f.subject = subject;
    f.order = schema::OrderKind::COMMUNITY_ORDER;
    f.risk = risk;
    f.lead_agency = "probation-north";
    return Add(f);
  }
  Fact RiskChanged(const std::string& case_id, Risk risk, bool marac, int64_t t) {
    Fact f = Make(EventType::CASE_RISK_CHANGED, t);
    f.case_id = case_id;
    f.risk = risk;
    f.marac = marac;
    return Add(f);
  }
  Fact Closed(const std::string& case_id, int64_t t,
              schema::CloseReason reason = schema::CloseReason::ORDER_ENDED) {
    Fact f = Make(EventType::CASE_CLOSED, t);
    f.case_id = case_id;
    f.close_reason = reason;
    return Add(f);
  }
  Fact Referred(const std::string& case_id, const std::string& intervention, int64_t t) {
    Fact f = Make(EventType::INTERVENTION_REFERRED, t);
    f.case_id = case_id;
    f.intervention = intervention;
    f.programme = "building_choices";
    return Add(f);
  }
  Fact Started(const std::string& case_id, const std::string& intervention, int64_t t) {
    Fact f = Make(EventType::INTERVENTION_STARTED, t);
    f.case_id = case_id;
    f.intervention = intervention;
    return Add(f);
  }
  Fact Completed(const std::string& case_id, const std::string& intervention, int64_t t) {
    Fact f = Make(EventType::INTERVENTION_COMPLETED, t);
    f.case_id = case_id;
    f.intervention = intervention;
    return Add(f);
  }
  Fact Exited(const std::string& case_id, const std::string& intervention, Exit reason, int64_t t) {
    Fact f = Make(EventType::INTERVENTION_EXITED, t);
    f.case_id = case_id;
    f.intervention = intervention;
    f.exit_reason = reason;
    return Add(f);
  }
  // recorded_at 0 means "now": later than every fact recorded so far. A test that builds a
  // correction, or a record that must lose to one, passes recorded_at explicitly.
  Fact Attendance(const std::string& case_id, const std::string& intervention,
                  const std::string& session, Outcome outcome, int64_t t,
                  uint64_t recorded_at = 0) {
    Fact f = Make(EventType::ATTENDANCE_RECORDED, t);
    f.case_id = case_id;
    f.intervention = intervention;
    f.session = session;
    f.outcome = outcome;
    if (recorded_at != 0) f.recorded_at = recorded_at;
    return Add(f);
  }
  Fact Breach(const std::string& case_id, schema::BreachKind kind, int64_t t) {
    Fact f = Make(EventType::BREACH_REPORTED, t);
    f.case_id = case_id;
    f.breach_kind = kind;
    return Add(f);
  }
  // Incidents belong to the subject, not the case: they go to incidents().
  Fact Incident(const std::string& subject, const std::string& ref, Category category, int64_t t,
                bool crime = true) {
    Fact f = Make(EventType::INCIDENT_REPORTED, t);
    f.subject = subject;
    f.incident = ref;
    f.category = category;
    f.crime = crime;
    incidents_.push_back(f);
    return f;
  }

  // The recorded_at the next fact would get (for building records that lose or win).
  uint64_t PeekRecordedAt() const { return RecordedAt(next_); }

  const std::vector<Fact>& events() const { return events_; }
  const std::vector<Fact>& incidents() const { return incidents_; }

  std::vector<DerivedAlert> Evaluate(int64_t as_of, const RuleConfig& config = RuleConfig{}) const {
    return EvaluateCase(events_, incidents_, config, as_of);
  }

 private:
  static uint64_t RecordedAt(uint64_t n) {
    // An HLC value: physical ms in the high bits, 1 s apart per fact.
    return HlcPack(1800000000000ULL + n * 1000ULL, 0);
  }
  Fact Make(EventType type, int64_t t) {
    Fact f;
    f.id = Uuid{0x00000000000040a0ULL, next_};  // deterministic, increasing
    f.type = type;
    f.occurred_at = t;
    f.recorded_at = RecordedAt(next_);
    f.origin = "node-probation";
    ++next_;
    return f;
  }
  Fact Add(const Fact& f) {
    events_.push_back(f);
    return f;
  }

  uint64_t next_ = 1;
  std::vector<Fact> events_;
  std::vector<Fact> incidents_;
};

inline std::string Describe(const DerivedAlert& a) {
  std::ostringstream out;
  out << RuleName(a.rule) << " id=" << FormatUuid(a.alert) << " case=" << a.case_id
      << " subject=" << a.subject << " intervention='" << a.intervention
      << "' severity=" << static_cast<int>(a.severity) << " trigger=" << FormatUuid(a.trigger)
      << " raised_at=" << FormatRfc3339(a.raised_at);
  return out.str();
}

inline std::string Describe(const std::vector<DerivedAlert>& alerts) {
  std::string out = std::to_string(alerts.size()) + " alert(s)";
  for (const auto& a : alerts) out += "\n  " + Describe(a);
  return out;
}

inline std::vector<DerivedAlert> OfRule(const std::vector<DerivedAlert>& alerts, Rule rule) {
  std::vector<DerivedAlert> out;
  for (const auto& a : alerts) {
    if (a.rule == rule) out.push_back(a);
  }
  std::sort(out.begin(), out.end(),
            [](const DerivedAlert& x, const DerivedAlert& y) { return x.raised_at < y.raised_at; });
  return out;
}

inline schema::Severity SeverityOf(Rule rule) {
  return rule == Rule::NON_ENGAGEMENT || rule == Rule::NO_CONTACT ? schema::Severity::MEDIUM
                                                                  : schema::Severity::HIGH;
}

// One alert as the SPEC fixes it: its rule, case, subject, intervention (empty for the
// non-intervention rules), the rule's severity, the triggering event and the raise time.
inline void CheckAlert(const DerivedAlert& a, Rule rule, const std::string& case_id,
                       const std::string& subject, const std::string& intervention,
                       const Fact& trigger, int64_t raised_at) {
  INFO("alert: " << Describe(a));
  CHECK(a.rule == rule);
  CHECK(a.case_id == case_id);
  CHECK(a.subject == subject);
  CHECK(a.intervention == intervention);
  CHECK(a.severity == SeverityOf(rule));
  CHECK(FormatUuid(a.trigger) == FormatUuid(trigger.id));
  CHECK(FormatRfc3339(a.raised_at) == FormatRfc3339(raised_at));
  CHECK_FALSE(a.alert.IsNil());
}

}  // namespace holdfast::testing
