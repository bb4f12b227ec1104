// non_engagement (SPEC "Accountability alert rules", "Rule semantics, precisely"): an active
// intervention's Nth standing absent_unacceptable within any window of W days [N=2,
// W=365], inclusive; at most one per intervention; raised at that absence's occurred_at.
#include <catch2/catch.hpp>

#include "tests/projections/timeline.h"

using namespace holdfast;
using namespace holdfast::testing;

namespace {

constexpr int64_t kStart = kT0 + Day(1);
constexpr Outcome kAbsent = Outcome::ABSENT_UNACCEPTABLE;

// Case C1 of subject P1, opened at kT0, intervention I1 started at kStart.
Timeline StartedCase() {
  Timeline t;
  t.Opened("C1", "P1", Risk::MEDIUM, kT0);
  t.Started("C1", "I1", kStart);
  return t;
}

std::vector<DerivedAlert> NonEngagement(const Timeline& t, int64_t as_of = kFarFuture,
                                        const RuleConfig& config = RuleConfig{}) {
  return OfRule(t.Evaluate(as_of, config), Rule::NON_ENGAGEMENT);
}

}  // namespace

TEST_CASE("non_engagement: two unacceptable absences within 365 days raise one alert at the second",
          "[rules][non_engagement]") {
  Timeline t = StartedCase();
  t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(10));
  Fact second = t.Attendance("C1", "I1", "S2", kAbsent, kStart + Day(100));

  auto alerts = NonEngagement(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::NON_ENGAGEMENT, "C1", "P1", "I1", second, kStart + Day(100));
}

TEST_CASE("non_engagement: not listed before the as-of time reaches the second absence",
          "[rules][non_engagement]") {
  Timeline t = StartedCase();
  t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(10));
  Fact second = t.Attendance("C1", "I1", "S2", kAbsent, kStart + Day(100));

  CHECK(NonEngagement(t, kStart + Day(100) - 1).empty());
  auto alerts = NonEngagement(t, kStart + Day(100));
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::NON_ENGAGEMENT, "C1", "P1", "I1", second, kStart + Day(100));
}

TEST_CASE("non_engagement: a single unacceptable absence raises nothing",
          "[rules][non_engagement]") {
  Timeline t = StartedCase();
  t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(10));
  CHECK(NonEngagement(t).empty());
}

TEST_CASE("non_engagement: the second absence exactly W days after the first still counts",
          "[rules][non_engagement]") {
  Timeline t = StartedCase();
  t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(5));
  Fact second = t.Attendance("C1", "I1", "S2", kAbsent, kStart + Day(5) + Day(365));

  auto alerts = NonEngagement(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::NON_ENGAGEMENT, "C1", "P1", "I1", second, kStart + Day(5) + Day(365));
}

TEST_CASE(
    "non_engagement: the second absence one second more than W days after the first does not count",
    "[rules][non_engagement]") {
  Timeline t = StartedCase();
  t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(5));
  t.Attendance("C1", "I1", "S2", kAbsent, kStart + Day(5) + Day(365) + Sec(1));

  auto alerts = NonEngagement(t);
  INFO(Describe(alerts));
  CHECK(alerts.empty());
}

TEST_CASE(
    "non_engagement: raised at the first absence that completes a window, not the first absence "
    "overall",
    "[rules][non_engagement]") {
  Timeline t = StartedCase();
  t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(1));
  t.Attendance("C1", "I1", "S2", kAbsent, kStart + Day(400));  // 399 days after S1
  Fact third = t.Attendance("C1", "I1", "S3", kAbsent, kStart + Day(410));

  auto alerts = NonEngagement(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::NON_ENGAGEMENT, "C1", "P1", "I1", third, kStart + Day(410));
}

TEST_CASE("non_engagement: an absence before the intervention's start does not count",
          "[rules][non_engagement]") {
  Timeline t = StartedCase();
  t.Attendance("C1", "I1", "S0", kAbsent, kStart - Sec(1));
  t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(10));
  CHECK(NonEngagement(t).empty());
}

TEST_CASE("non_engagement: an absence exactly at the intervention's start counts",
          "[rules][non_engagement]") {
  Timeline t = StartedCase();
  t.Attendance("C1", "I1", "S0", kAbsent, kStart);
  Fact second = t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(10));

  auto alerts = NonEngagement(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::NON_ENGAGEMENT, "C1", "P1", "I1", second, kStart + Day(10));
}

TEST_CASE("non_engagement: an absence exactly at the intervention's end does not count",
          "[rules][non_engagement]") {
  SECTION("ended by completion") {
    Timeline t = StartedCase();
    t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(10));
    t.Completed("C1", "I1", kStart + Day(50));
    t.Attendance("C1", "I1", "S2", kAbsent, kStart + Day(50));
    auto alerts = NonEngagement(t);
    INFO(Describe(alerts));
    CHECK(alerts.empty());
  }
  SECTION("ended by exit") {
    Timeline t = StartedCase();
    t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(10));
    t.Exited("C1", "I1", Exit::MOVED_AREA, kStart + Day(50));
    t.Attendance("C1", "I1", "S2", kAbsent, kStart + Day(50));
    auto alerts = NonEngagement(t);
    INFO(Describe(alerts));
    CHECK(alerts.empty());
  }
}

TEST_CASE("non_engagement: an absence just before the intervention's end counts",
          "[rules][non_engagement]") {
  Timeline t = StartedCase();
  t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(10));
  t.Completed("C1", "I1", kStart + Day(50));
  Fact second = t.Attendance("C1", "I1", "S2", kAbsent, kStart + Day(50) - 1);
  auto alerts = NonEngagement(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::NON_ENGAGEMENT, "C1", "P1", "I1", second, kStart + Day(50) - 1);
}

TEST_CASE("non_engagement: absences after the intervention ended do not count",
          "[rules][non_engagement]") {
  Timeline t = StartedCase();
  t.Completed("C1", "I1", kStart + Day(50));
  t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(60));
  t.Attendance("C1", "I1", "S2", kAbsent, kStart + Day(70));
  CHECK(NonEngagement(t).empty());
}

TEST_CASE("non_engagement: the active interval ends at the earliest completion or exit",
          "[rules][non_engagement]") {
  Timeline t = StartedCase();
  t.Exited("C1", "I1", Exit::OTHER, kStart + Day(80));
  t.Completed("C1", "I1", kStart + Day(40));  // earlier by occurred_at, recorded later
  t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(50));
  t.Attendance("C1", "I1", "S2", kAbsent, kStart + Day(60));
  CHECK(NonEngagement(t).empty());
}

TEST_CASE("non_engagement: the active interval starts at the earliest intervention.started",
          "[rules][non_engagement]") {
  Timeline t;
  t.Opened("C1", "P1", Risk::MEDIUM, kT0);
  t.Started("C1", "I1", kT0 + Day(30));
  t.Started("C1", "I1", kT0 + Day(10));  // a second start record, earlier by occurred_at
  t.Attendance("C1", "I1", "S1", kAbsent, kT0 + Day(15));
  Fact second = t.Attendance("C1", "I1", "S2", kAbsent, kT0 + Day(20));
  auto alerts = NonEngagement(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::NON_ENGAGEMENT, "C1", "P1", "I1", second, kT0 + Day(20));
}

TEST_CASE("non_engagement: at most one alert per intervention, even with five absences",
          "[rules][non_engagement]") {
  Timeline t = StartedCase();
  t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(7));
  Fact second = t.Attendance("C1", "I1", "S2", kAbsent, kStart + Day(14));
  t.Attendance("C1", "I1", "S3", kAbsent, kStart + Day(21));
  t.Attendance("C1", "I1", "S4", kAbsent, kStart + Day(28));
  t.Attendance("C1", "I1", "S5", kAbsent, kStart + Day(35));

  auto alerts = NonEngagement(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::NON_ENGAGEMENT, "C1", "P1", "I1", second, kStart + Day(14));
}

TEST_CASE("non_engagement: at most one alert per intervention, even with two separate windows",
          "[rules][non_engagement]") {
  Timeline t = StartedCase();
  t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(1));
  Fact second = t.Attendance("C1", "I1", "S2", kAbsent, kStart + Day(2));
  t.Attendance("C1", "I1", "S3", kAbsent, kStart + Day(800));
  t.Attendance("C1", "I1", "S4", kAbsent, kStart + Day(801));

  auto alerts = NonEngagement(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::NON_ENGAGEMENT, "C1", "P1", "I1", second, kStart + Day(2));
}

TEST_CASE("non_engagement: absences are counted per intervention", "[rules][non_engagement]") {
  Timeline t = StartedCase();
  t.Started("C1", "I2", kStart);
  t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(10));
  t.Attendance("C1", "I2", "S2", kAbsent, kStart + Day(20));
  CHECK(NonEngagement(t).empty());

  Fact third = t.Attendance("C1", "I2", "S3", kAbsent, kStart + Day(30));
  auto alerts = NonEngagement(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::NON_ENGAGEMENT, "C1", "P1", "I2", third, kStart + Day(30));
}

TEST_CASE("non_engagement: acceptable absences and positive contacts do not count",
          "[rules][non_engagement]") {
  Timeline t = StartedCase();
  t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(10));
  t.Attendance("C1", "I1", "S2", Outcome::ABSENT_ACCEPTABLE, kStart + Day(11));
  t.Attendance("C1", "I1", "S3", Outcome::ATTENDED, kStart + Day(12));
  t.Attendance("C1", "I1", "S4", Outcome::LATE, kStart + Day(13));
  t.Attendance("C1", "I1", "S5", Outcome::LEFT_EARLY, kStart + Day(14));
  CHECK(NonEngagement(t).empty());
}

TEST_CASE("non_engagement: an absence corrected to absent_acceptable removes the alert",
          "[rules][non_engagement]") {
  Timeline t = StartedCase();
  t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(10));
  t.Attendance("C1", "I1", "S2", kAbsent, kStart + Day(20));
  REQUIRE(NonEngagement(t).size() == 1);

  // The provider's correction for the same case and session, recorded later.
  t.Attendance("C1", "I1", "S2", Outcome::ABSENT_ACCEPTABLE, kStart + Day(20));
  auto alerts = NonEngagement(t);
  INFO(Describe(alerts));
  CHECK(alerts.empty());
}

TEST_CASE("non_engagement: a record with an earlier recorded_at does not replace the standing one",
          "[rules][non_engagement]") {
  Timeline t = StartedCase();
  // An older record of S2 (absent_acceptable) arrives after the newer one (absent_unacceptable).
  uint64_t older = t.PeekRecordedAt();
  t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(10));
  Fact standing = t.Attendance("C1", "I1", "S2", kAbsent, kStart + Day(20));
  t.Attendance("C1", "I1", "S2", Outcome::ABSENT_ACCEPTABLE, kStart + Day(20), older);

  auto alerts = NonEngagement(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::NON_ENGAGEMENT, "C1", "P1", "I1", standing, kStart + Day(20));
}

TEST_CASE("non_engagement: with equal recorded_at the record with the larger id stands",
          "[rules][non_engagement]") {
  Timeline t = StartedCase();
  t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(10));
  uint64_t same = t.PeekRecordedAt() + 1000000;
  t.Attendance("C1", "I1", "S2", kAbsent, kStart + Day(20), same);
  // Larger id (built later), same recorded_at: this one stands.
  t.Attendance("C1", "I1", "S2", Outcome::ABSENT_ACCEPTABLE, kStart + Day(20), same);
  auto alerts = NonEngagement(t);
  INFO(Describe(alerts));
  CHECK(alerts.empty());
}

TEST_CASE("non_engagement: a correction counts at its own occurred_at", "[rules][non_engagement]") {
  Timeline t = StartedCase();
  t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(10));
  t.Attendance("C1", "I1", "S2", kAbsent, kStart + Day(20));
  REQUIRE(NonEngagement(t).size() == 1);
  // The session's date was wrong: the correction puts it 390 days after S1.
  t.Attendance("C1", "I1", "S2", kAbsent, kStart + Day(400));
  auto alerts = NonEngagement(t);
  INFO(Describe(alerts));
  CHECK(alerts.empty());
}

TEST_CASE(
    "non_engagement: correcting the triggering absence while a later one completes a window keeps "
    "the alert id with the later raise time",
    "[rules][non_engagement]") {
  Timeline t = StartedCase();
  t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(10));
  Fact second = t.Attendance("C1", "I1", "S2", kAbsent, kStart + Day(20));
  Fact third = t.Attendance("C1", "I1", "S3", kAbsent, kStart + Day(30));

  auto before = NonEngagement(t);
  INFO("before: " << Describe(before));
  REQUIRE(before.size() == 1);
  CheckAlert(before[0], Rule::NON_ENGAGEMENT, "C1", "P1", "I1", second, kStart + Day(20));

  t.Attendance("C1", "I1", "S2", Outcome::ABSENT_ACCEPTABLE, kStart + Day(20));
  auto after = NonEngagement(t);
  INFO("after: " << Describe(after));
  REQUIRE(after.size() == 1);
  CheckAlert(after[0], Rule::NON_ENGAGEMENT, "C1", "P1", "I1", third, kStart + Day(30));
  CHECK(FormatUuid(after[0].alert) == FormatUuid(before[0].alert));
}

TEST_CASE("non_engagement: an intervention never started raises nothing",
          "[rules][non_engagement]") {
  Timeline t;
  t.Opened("C1", "P1", Risk::MEDIUM, kT0);
  t.Referred("C1", "I1", kT0 + Day(1));
  t.Attendance("C1", "I1", "S1", kAbsent, kT0 + Day(10));
  t.Attendance("C1", "I1", "S2", kAbsent, kT0 + Day(20));
  t.Attendance("C1", "I1", "S3", kAbsent, kT0 + Day(30));
  auto alerts = t.Evaluate(kFarFuture);
  INFO(Describe(alerts));
  CHECK(OfRule(alerts, Rule::NON_ENGAGEMENT).empty());
}

TEST_CASE("non_engagement: N and W are configurable", "[rules][non_engagement]") {
  RuleConfig config;
  config.non_engagement_absences = 3;
  config.non_engagement_window_days = 30;

  SECTION("three absences within 30 days raise at the third") {
    Timeline t = StartedCase();
    t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(1));
    t.Attendance("C1", "I1", "S2", kAbsent, kStart + Day(11));
    CHECK(NonEngagement(t, kFarFuture, config).empty());
    Fact third = t.Attendance("C1", "I1", "S3", kAbsent, kStart + Day(31));  // exactly W after S1
    auto alerts = NonEngagement(t, kFarFuture, config);
    INFO(Describe(alerts));
    REQUIRE(alerts.size() == 1);
    CheckAlert(alerts[0], Rule::NON_ENGAGEMENT, "C1", "P1", "I1", third, kStart + Day(31));
  }
  SECTION("three absences spanning 30 days and a second do not; a fourth can complete a window") {
    Timeline t = StartedCase();
    t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(1));
    t.Attendance("C1", "I1", "S2", kAbsent, kStart + Day(11));
    t.Attendance("C1", "I1", "S3", kAbsent, kStart + Day(31) + Sec(1));
    CHECK(NonEngagement(t, kFarFuture, config).empty());
    Fact fourth = t.Attendance("C1", "I1", "S4", kAbsent, kStart + Day(40));
    auto alerts = NonEngagement(t, kFarFuture, config);
    INFO(Describe(alerts));
    REQUIRE(alerts.size() == 1);
    CheckAlert(alerts[0], Rule::NON_ENGAGEMENT, "C1", "P1", "I1", fourth, kStart + Day(40));
  }
  SECTION("N = 1 raises at the first absence") {
    RuleConfig one;
    one.non_engagement_absences = 1;
    Timeline t = StartedCase();
    Fact first = t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(3));
    auto alerts = NonEngagement(t, kFarFuture, one);
    INFO(Describe(alerts));
    REQUIRE(alerts.size() == 1);
    CheckAlert(alerts[0], Rule::NON_ENGAGEMENT, "C1", "P1", "I1", first, kStart + Day(3));
  }
}

TEST_CASE("non_engagement: a correction counts for the intervention the standing record names",
          "[rules][non_engagement]") {
  Timeline t = StartedCase();
  t.Started("C1", "I2", kStart);
  t.Attendance("C1", "I1", "S1", kAbsent, kStart + Day(10));
  t.Attendance("C1", "I1", "S2", kAbsent, kStart + Day(20));
  REQUIRE(NonEngagement(t).size() == 1);
  // S2 was I2's session, not I1's.
  t.Attendance("C1", "I2", "S2", kAbsent, kStart + Day(20));
  CHECK(NonEngagement(t).empty());
  Fact third = t.Attendance("C1", "I2", "S3", kAbsent, kStart + Day(25));
  auto alerts = NonEngagement(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::NON_ENGAGEMENT, "C1", "P1", "I2", third, kStart + Day(25));
}

TEST_CASE("non_engagement: an intervention exited before it started is never active",
          "[rules][non_engagement]") {
  Timeline t;
  t.Opened("C1", "P1", Risk::MEDIUM, kT0);
  t.Exited("C1", "I1", Exit::OTHER, kT0 + Day(5));
  t.Started("C1", "I1", kT0 + Day(10));
  t.Attendance("C1", "I1", "S1", kAbsent, kT0 + Day(11));
  t.Attendance("C1", "I1", "S2", kAbsent, kT0 + Day(12));
  auto alerts = t.Evaluate(kFarFuture);
  INFO(Describe(alerts));
  CHECK(OfRule(alerts, Rule::NON_ENGAGEMENT).empty());
  CHECK(OfRule(alerts, Rule::NO_CONTACT).empty());
}
