// reoffending (SPEC "Accountability alert rules", "Rule semantics, precisely"): an incident
// of category domestic_abuse or sexual_offence at t counts for a case opened at or before t
// and not closed, or closed at most R days before t [R=365]; one alert per (incident
// reference, case), raised at the earliest qualifying report; the crime flag does not matter.
#include <catch2/catch.hpp>

#include "tests/projections/timeline.h"

using namespace holdfast;
using namespace holdfast::testing;

namespace {

constexpr int64_t kClose = kT0 + Day(100);

// Case C1 of subject P1, opened at kT0 and closed at kClose.
Timeline ClosedCase() {
  Timeline t;
  t.Opened("C1", "P1", Risk::MEDIUM, kT0);
  t.Closed("C1", kClose);
  return t;
}

std::vector<DerivedAlert> Reoffending(const Timeline& t, int64_t as_of = kFarFuture,
                                      const RuleConfig& config = RuleConfig{}) {
  return OfRule(t.Evaluate(as_of, config), Rule::REOFFENDING);
}

}  // namespace

TEST_CASE("reoffending: an incident 364 days after the case closed raises, 366 days does not",
          "[rules][reoffending]") {
  Timeline t = ClosedCase();
  Fact within = t.Incident("P1", "INC-364", Category::DOMESTIC_ABUSE, kClose + Day(364));
  t.Incident("P1", "INC-366", Category::DOMESTIC_ABUSE, kClose + Day(366));
  auto alerts = Reoffending(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::REOFFENDING, "C1", "P1", "", within, kClose + Day(364));
}

TEST_CASE("reoffending: an incident exactly R days after the case closed still counts",
          "[rules][reoffending]") {
  Timeline t = ClosedCase();
  Fact incident = t.Incident("P1", "INC-1", Category::DOMESTIC_ABUSE, kClose + Day(365));
  auto alerts = Reoffending(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::REOFFENDING, "C1", "P1", "", incident, kClose + Day(365));
}

TEST_CASE(
    "reoffending: an incident one second more than R days after the case closed does not count",
    "[rules][reoffending]") {
  Timeline t = ClosedCase();
  t.Incident("P1", "INC-1", Category::DOMESTIC_ABUSE, kClose + Day(365) + Sec(1));
  auto alerts = Reoffending(t);
  INFO(Describe(alerts));
  CHECK(alerts.empty());
}

TEST_CASE("reoffending: an incident while the case is open raises", "[rules][reoffending]") {
  Timeline t;
  t.Opened("C1", "P1", Risk::MEDIUM, kT0);
  Fact incident = t.Incident("P1", "INC-1", Category::DOMESTIC_ABUSE, kT0 + Day(3000));
  auto alerts = Reoffending(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::REOFFENDING, "C1", "P1", "", incident, kT0 + Day(3000));
}

TEST_CASE("reoffending: an incident before the case closed raises", "[rules][reoffending]") {
  Timeline t = ClosedCase();
  Fact incident = t.Incident("P1", "INC-1", Category::SEXUAL_OFFENCE, kT0 + Day(50));
  auto alerts = Reoffending(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::REOFFENDING, "C1", "P1", "", incident, kT0 + Day(50));
}

TEST_CASE("reoffending: an incident at the very instant the case opened counts",
          "[rules][reoffending]") {
  Timeline t = ClosedCase();
  Fact incident = t.Incident("P1", "INC-1", Category::DOMESTIC_ABUSE, kT0);
  auto alerts = Reoffending(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::REOFFENDING, "C1", "P1", "", incident, kT0);
}

TEST_CASE("reoffending: an incident at the very instant the case closed counts",
          "[rules][reoffending]") {
  Timeline t = ClosedCase();
  Fact incident = t.Incident("P1", "INC-1", Category::DOMESTIC_ABUSE, kClose);
  auto alerts = Reoffending(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::REOFFENDING, "C1", "P1", "", incident, kClose);
}

TEST_CASE("reoffending: an incident before the case opened raises nothing",
          "[rules][reoffending]") {
  Timeline t = ClosedCase();
  t.Incident("P1", "INC-1", Category::DOMESTIC_ABUSE, kT0 - Sec(1));
  t.Incident("P1", "INC-2", Category::DOMESTIC_ABUSE, kT0 - Day(30));
  auto alerts = Reoffending(t);
  INFO(Describe(alerts));
  CHECK(alerts.empty());
}

TEST_CASE("reoffending: an incident of category other raises nothing", "[rules][reoffending]") {
  Timeline t;
  t.Opened("C1", "P1", Risk::MEDIUM, kT0);
  t.Incident("P1", "INC-1", Category::OTHER, kT0 + Day(10));
  auto alerts = Reoffending(t);
  INFO(Describe(alerts));
  CHECK(alerts.empty());
}

TEST_CASE("reoffending: domestic_abuse and sexual_offence both raise", "[rules][reoffending]") {
  Timeline t;
  t.Opened("C1", "P1", Risk::MEDIUM, kT0);
  Fact da = t.Incident("P1", "INC-DA", Category::DOMESTIC_ABUSE, kT0 + Day(10));
  Fact so = t.Incident("P1", "INC-SO", Category::SEXUAL_OFFENCE, kT0 + Day(20));
  auto alerts = Reoffending(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 2);
  CheckAlert(alerts[0], Rule::REOFFENDING, "C1", "P1", "", da, kT0 + Day(10));
  CheckAlert(alerts[1], Rule::REOFFENDING, "C1", "P1", "", so, kT0 + Day(20));
  CHECK(FormatUuid(alerts[0].alert) != FormatUuid(alerts[1].alert));
}

TEST_CASE("reoffending: the crime flag does not matter", "[rules][reoffending]") {
  Timeline t;
  t.Opened("C1", "P1", Risk::MEDIUM, kT0);
  Fact not_crime = t.Incident("P1", "INC-1", Category::DOMESTIC_ABUSE, kT0 + Day(10), false);
  Fact crime = t.Incident("P1", "INC-2", Category::DOMESTIC_ABUSE, kT0 + Day(20), true);
  auto alerts = Reoffending(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 2);
  CheckAlert(alerts[0], Rule::REOFFENDING, "C1", "P1", "", not_crime, kT0 + Day(10));
  CheckAlert(alerts[1], Rule::REOFFENDING, "C1", "P1", "", crime, kT0 + Day(20));
}

TEST_CASE("reoffending: two reports of the same incident raise one alert at the earliest report",
          "[rules][reoffending]") {
  Timeline t;
  t.Opened("C1", "P1", Risk::MEDIUM, kT0);
  t.Incident("P1", "INC-1", Category::DOMESTIC_ABUSE, kT0 + Day(20));  // recorded first
  Fact earliest = t.Incident("P1", "INC-1", Category::DOMESTIC_ABUSE, kT0 + Day(12));
  auto alerts = Reoffending(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::REOFFENDING, "C1", "P1", "", earliest, kT0 + Day(12));
  CHECK(Reoffending(t, kT0 + Day(12) - 1).empty());
}

TEST_CASE(
    "reoffending: the alert is raised at the earliest qualifying report, not an earlier "
    "non-qualifying one",
    "[rules][reoffending]") {
  SECTION("an earlier report before the case opened") {
    Timeline t = ClosedCase();
    t.Incident("P1", "INC-1", Category::DOMESTIC_ABUSE, kT0 - Day(5));
    Fact qualifying = t.Incident("P1", "INC-1", Category::DOMESTIC_ABUSE, kT0 + Day(5));
    auto alerts = Reoffending(t);
    INFO(Describe(alerts));
    REQUIRE(alerts.size() == 1);
    CheckAlert(alerts[0], Rule::REOFFENDING, "C1", "P1", "", qualifying, kT0 + Day(5));
  }
  SECTION("an earlier report of category other") {
    Timeline t = ClosedCase();
    t.Incident("P1", "INC-1", Category::OTHER, kT0 + Day(5));
    Fact qualifying = t.Incident("P1", "INC-1", Category::DOMESTIC_ABUSE, kT0 + Day(6));
    auto alerts = Reoffending(t);
    INFO(Describe(alerts));
    REQUIRE(alerts.size() == 1);
    CheckAlert(alerts[0], Rule::REOFFENDING, "C1", "P1", "", qualifying, kT0 + Day(6));
  }
}

TEST_CASE("reoffending: a subject with two qualifying cases gets two alerts",
          "[rules][reoffending]") {
  Timeline c1;
  c1.Opened("C1", "P1", Risk::MEDIUM, kT0);
  c1.Closed("C1", kT0 + Day(100));
  Timeline c2;
  c2.Opened("C2", "P1", Risk::HIGH, kT0 + Day(200));
  // The subject's incidents are the same for both cases.
  Fact incident = c1.Incident("P1", "INC-1", Category::DOMESTIC_ABUSE, kT0 + Day(250));
  std::vector<Fact> incidents = {incident};

  auto a1 =
      OfRule(EvaluateCase(c1.events(), incidents, RuleConfig{}, kFarFuture), Rule::REOFFENDING);
  auto a2 =
      OfRule(EvaluateCase(c2.events(), incidents, RuleConfig{}, kFarFuture), Rule::REOFFENDING);
  INFO("C1: " << Describe(a1));
  INFO("C2: " << Describe(a2));
  REQUIRE(a1.size() == 1);
  REQUIRE(a2.size() == 1);
  CheckAlert(a1[0], Rule::REOFFENDING, "C1", "P1", "", incident, kT0 + Day(250));
  CheckAlert(a2[0], Rule::REOFFENDING, "C2", "P1", "", incident, kT0 + Day(250));
  CHECK(FormatUuid(a1[0].alert) != FormatUuid(a2[0].alert));
}

TEST_CASE("reoffending: the earliest case.closed counts", "[rules][reoffending]") {
  Timeline t = ClosedCase();          // closed at kClose
  t.Closed("C1", kClose + Day(200));  // a later close record
  t.Incident("P1", "INC-1", Category::DOMESTIC_ABUSE, kClose + Day(400));
  auto alerts = Reoffending(t);
  INFO(Describe(alerts));
  CHECK(alerts.empty());
}

TEST_CASE("reoffending: the earliest case.opened counts", "[rules][reoffending]") {
  Timeline t;
  t.Opened("C1", "P1", Risk::MEDIUM, kT0 + Day(50));
  t.Opened("C1", "P1", Risk::MEDIUM, kT0);  // earlier by occurred_at, recorded later
  Fact incident = t.Incident("P1", "INC-1", Category::DOMESTIC_ABUSE, kT0 + Day(10));
  auto alerts = Reoffending(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::REOFFENDING, "C1", "P1", "", incident, kT0 + Day(10));
}

TEST_CASE("reoffending: the alert's intervention is empty even while an intervention is active",
          "[rules][reoffending]") {
  Timeline t;
  t.Opened("C1", "P1", Risk::MEDIUM, kT0);
  t.Started("C1", "I1", kT0 + Day(1));
  Fact incident = t.Incident("P1", "INC-1", Category::DOMESTIC_ABUSE, kT0 + Day(5));
  auto alerts = Reoffending(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::REOFFENDING, "C1", "P1", "", incident, kT0 + Day(5));
}

TEST_CASE("reoffending: R is configurable", "[rules][reoffending]") {
  RuleConfig config;
  config.reoffending_days = 30;
  Timeline t = ClosedCase();
  Fact within = t.Incident("P1", "INC-1", Category::DOMESTIC_ABUSE, kClose + Day(30));
  t.Incident("P1", "INC-2", Category::DOMESTIC_ABUSE, kClose + Day(30) + Sec(1));
  auto alerts = Reoffending(t, kFarFuture, config);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::REOFFENDING, "C1", "P1", "", within, kClose + Day(30));
}

TEST_CASE("reoffending: an incident of another subject raises nothing for this case",
          "[rules][reoffending]") {
  Timeline t;
  t.Opened("C1", "P1", Risk::MEDIUM, kT0);
  t.Incident("P2", "INC-1", Category::DOMESTIC_ABUSE, kT0 + Day(10));
  auto alerts = Reoffending(t);
  INFO(Describe(alerts));
  CHECK(alerts.empty());
}
