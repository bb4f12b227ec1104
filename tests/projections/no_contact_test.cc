// no_contact (SPEC "Accountability alert rules", "Rule semantics, precisely"): anchors are
// the intervention's start and every standing positive contact inside its active interval;
// for each anchor L one alert at L + D [D=21] when no later anchor falls at or before
// L + D, the intervention is still active at L + D and the as-of time has reached L + D.
#include <catch2/catch.hpp>

#include "tests/projections/timeline.h"

using namespace holdfast;
using namespace holdfast::testing;

namespace {

constexpr int64_t kStart = kT0 + Day(1);

struct StartedCase {
  Timeline t;
  Fact start;
  StartedCase() {
    t.Opened("C1", "P1", Risk::MEDIUM, kT0);
    start = t.Started("C1", "I1", kStart);
  }
};

std::vector<DerivedAlert> NoContact(const Timeline& t, int64_t as_of = kFarFuture,
                                    const RuleConfig& config = RuleConfig{}) {
  return OfRule(t.Evaluate(as_of, config), Rule::NO_CONTACT);
}

}  // namespace

TEST_CASE("no_contact: nothing for 21 days after the start raises one alert at start + 21 days",
          "[rules][no_contact]") {
  StartedCase c;
  auto alerts = NoContact(c.t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::NO_CONTACT, "C1", "P1", "I1", c.start, kStart + Day(21));
}

TEST_CASE("no_contact: not raised while the as-of time is before start + 21 days",
          "[rules][no_contact]") {
  StartedCase c;
  CHECK(NoContact(c.t, kStart + Day(21) - 1).empty());
  CHECK(NoContact(c.t, kStart).empty());
}

TEST_CASE("no_contact: raised when the as-of time is exactly start + 21 days",
          "[rules][no_contact]") {
  StartedCase c;
  auto alerts = NoContact(c.t, kStart + Day(21));
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::NO_CONTACT, "C1", "P1", "I1", c.start, kStart + Day(21));
}

TEST_CASE("no_contact: a positive contact on day 20 moves the deadline to day 41",
          "[rules][no_contact]") {
  for (Outcome positive : {Outcome::ATTENDED, Outcome::LATE, Outcome::LEFT_EARLY}) {
    INFO("outcome " << EnumName(positive));
    StartedCase c;
    Fact contact = c.t.Attendance("C1", "I1", "S1", positive, kStart + Day(20));

    CHECK(NoContact(c.t, kStart + Day(21)).empty());
    CHECK(NoContact(c.t, kStart + Day(41) - 1).empty());
    auto alerts = NoContact(c.t, kStart + Day(41));
    INFO(Describe(alerts));
    REQUIRE(alerts.size() == 1);
    CheckAlert(alerts[0], Rule::NO_CONTACT, "C1", "P1", "I1", contact, kStart + Day(41));
    CHECK(NoContact(c.t).size() == 1);
  }
}

TEST_CASE("no_contact: a late-arriving positive contact before the deadline removes the alert",
          "[rules][no_contact]") {
  StartedCase c;
  auto before = NoContact(c.t, kStart + Day(30));
  INFO("before: " << Describe(before));
  REQUIRE(before.size() == 1);
  CheckAlert(before[0], Rule::NO_CONTACT, "C1", "P1", "I1", c.start, kStart + Day(21));

  // The provider's laptop syncs days later: the person attended on day 15.
  Fact contact = c.t.Attendance("C1", "I1", "S1", Outcome::ATTENDED, kStart + Day(15));
  CHECK(NoContact(c.t, kStart + Day(30)).empty());

  auto after = NoContact(c.t, kStart + Day(36));
  INFO("after: " << Describe(after));
  REQUIRE(after.size() == 1);
  CheckAlert(after[0], Rule::NO_CONTACT, "C1", "P1", "I1", contact, kStart + Day(36));
  CHECK(FormatUuid(after[0].alert) != FormatUuid(before[0].alert));
}

TEST_CASE("no_contact: absent_acceptable does not reset the clock", "[rules][no_contact]") {
  StartedCase c;
  c.t.Attendance("C1", "I1", "S1", Outcome::ABSENT_ACCEPTABLE, kStart + Day(20));
  auto alerts = NoContact(c.t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::NO_CONTACT, "C1", "P1", "I1", c.start, kStart + Day(21));
}

TEST_CASE("no_contact: absent_unacceptable does not reset the clock", "[rules][no_contact]") {
  StartedCase c;
  c.t.Attendance("C1", "I1", "S1", Outcome::ABSENT_UNACCEPTABLE, kStart + Day(20));
  auto alerts = NoContact(c.t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::NO_CONTACT, "C1", "P1", "I1", c.start, kStart + Day(21));
}

TEST_CASE("no_contact: a positive contact corrected to an absence is no anchor",
          "[rules][no_contact]") {
  StartedCase c;
  c.t.Attendance("C1", "I1", "S1", Outcome::ATTENDED, kStart + Day(10));
  c.t.Attendance("C1", "I1", "S1", Outcome::ABSENT_UNACCEPTABLE, kStart + Day(10));  // correction
  auto alerts = NoContact(c.t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::NO_CONTACT, "C1", "P1", "I1", c.start, kStart + Day(21));
}

TEST_CASE("no_contact: an intervention completed or exited before L + D raises nothing",
          "[rules][no_contact]") {
  SECTION("completed") {
    StartedCase c;
    c.t.Completed("C1", "I1", kStart + Day(20));
    auto alerts = NoContact(c.t);
    INFO(Describe(alerts));
    CHECK(alerts.empty());
  }
  SECTION("exited") {
    StartedCase c;
    c.t.Exited("C1", "I1", Exit::MOVED_AREA, kStart + Day(20));
    auto alerts = NoContact(c.t);
    INFO(Describe(alerts));
    CHECK(alerts.empty());
  }
}

TEST_CASE("no_contact: an intervention ending exactly at L + D raises nothing (end is exclusive)",
          "[rules][no_contact]") {
  SECTION("completed") {
    StartedCase c;
    c.t.Completed("C1", "I1", kStart + Day(21));
    auto alerts = NoContact(c.t);
    INFO(Describe(alerts));
    CHECK(alerts.empty());
  }
  SECTION("exited") {
    StartedCase c;
    c.t.Exited("C1", "I1", Exit::CUSTODY, kStart + Day(21));
    auto alerts = NoContact(c.t);
    INFO(Describe(alerts));
    CHECK(alerts.empty());
  }
}

TEST_CASE("no_contact: an intervention ending just after L + D still raises at L + D",
          "[rules][no_contact]") {
  StartedCase c;
  c.t.Completed("C1", "I1", kStart + Day(21) + 1);
  auto alerts = NoContact(c.t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::NO_CONTACT, "C1", "P1", "I1", c.start, kStart + Day(21));
}

TEST_CASE("no_contact: nothing more after the intervention ends", "[rules][no_contact]") {
  StartedCase c;
  c.t.Completed("C1", "I1", kStart + Day(30));
  auto alerts = NoContact(c.t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::NO_CONTACT, "C1", "P1", "I1", c.start, kStart + Day(21));
}

TEST_CASE("no_contact: a new alert follows each later positive contact, each with its own id",
          "[rules][no_contact]") {
  StartedCase c;
  Fact first = c.t.Attendance("C1", "I1", "S1", Outcome::ATTENDED, kStart + Day(30));
  Fact second = c.t.Attendance("C1", "I1", "S2", Outcome::LATE, kStart + Day(60));

  auto alerts = NoContact(c.t, kStart + Day(100));
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 3);
  CheckAlert(alerts[0], Rule::NO_CONTACT, "C1", "P1", "I1", c.start, kStart + Day(21));
  CheckAlert(alerts[1], Rule::NO_CONTACT, "C1", "P1", "I1", first, kStart + Day(51));
  CheckAlert(alerts[2], Rule::NO_CONTACT, "C1", "P1", "I1", second, kStart + Day(81));
  CHECK(FormatUuid(alerts[0].alert) != FormatUuid(alerts[1].alert));
  CHECK(FormatUuid(alerts[1].alert) != FormatUuid(alerts[2].alert));
  CHECK(FormatUuid(alerts[0].alert) != FormatUuid(alerts[2].alert));
}

TEST_CASE("no_contact: a contact exactly at L + D prevents the alert at L + D",
          "[rules][no_contact]") {
  StartedCase c;
  Fact contact = c.t.Attendance("C1", "I1", "S1", Outcome::ATTENDED, kStart + Day(21));
  CHECK(NoContact(c.t, kStart + Day(30)).empty());
  auto alerts = NoContact(c.t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::NO_CONTACT, "C1", "P1", "I1", contact, kStart + Day(42));
}

TEST_CASE("no_contact: a contact just after L + D comes too late for the alert at L + D",
          "[rules][no_contact]") {
  StartedCase c;
  Fact contact = c.t.Attendance("C1", "I1", "S1", Outcome::ATTENDED, kStart + Day(21) + 1);
  auto alerts = NoContact(c.t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 2);
  CheckAlert(alerts[0], Rule::NO_CONTACT, "C1", "P1", "I1", c.start, kStart + Day(21));
  CheckAlert(alerts[1], Rule::NO_CONTACT, "C1", "P1", "I1", contact, kStart + Day(42) + 1);
}

TEST_CASE("no_contact: a contact in another intervention does not reset this one's clock",
          "[rules][no_contact]") {
  StartedCase c;
  c.t.Started("C1", "I2", kStart);
  Fact contact = c.t.Attendance("C1", "I2", "S1", Outcome::ATTENDED, kStart + Day(10));
  auto alerts = NoContact(c.t, kStart + Day(40));
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 2);
  CheckAlert(alerts[0], Rule::NO_CONTACT, "C1", "P1", "I1", c.start, kStart + Day(21));
  CheckAlert(alerts[1], Rule::NO_CONTACT, "C1", "P1", "I2", contact, kStart + Day(31));
}

TEST_CASE("no_contact: only the earliest intervention.started is an anchor",
          "[rules][no_contact]") {
  Timeline t;
  t.Opened("C1", "P1", Risk::MEDIUM, kT0);
  t.Started("C1", "I1", kStart + Day(10));  // a duplicate start record, later by occurred_at
  Fact earliest = t.Started("C1", "I1", kStart);
  auto alerts = NoContact(t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::NO_CONTACT, "C1", "P1", "I1", earliest, kStart + Day(21));
}

TEST_CASE("no_contact: an intervention never started raises nothing", "[rules][no_contact]") {
  Timeline t;
  t.Opened("C1", "P1", Risk::MEDIUM, kT0);
  t.Referred("C1", "I1", kT0 + Day(1));
  t.Attendance("C1", "I1", "S1", Outcome::ATTENDED, kT0 + Day(5));
  auto alerts = NoContact(t);
  INFO(Describe(alerts));
  CHECK(alerts.empty());
}

TEST_CASE("no_contact: D is configurable", "[rules][no_contact]") {
  RuleConfig config;
  config.no_contact_days = 7;
  StartedCase c;
  Fact contact = c.t.Attendance("C1", "I1", "S1", Outcome::ATTENDED, kStart + Day(10));
  auto alerts = NoContact(c.t, kStart + Day(20), config);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 2);
  CheckAlert(alerts[0], Rule::NO_CONTACT, "C1", "P1", "I1", c.start, kStart + Day(7));
  CheckAlert(alerts[1], Rule::NO_CONTACT, "C1", "P1", "I1", contact, kStart + Day(17));
}

TEST_CASE("no_contact: a contact at the very instant of the start is the same anchor L: one alert",
          "[rules][no_contact]") {
  StartedCase c;
  c.t.Attendance("C1", "I1", "S1", Outcome::ATTENDED, kStart);
  auto alerts = NoContact(c.t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CHECK(FormatRfc3339(alerts[0].raised_at) == FormatRfc3339(kStart + Day(21)));
  CHECK(alerts[0].intervention == "I1");
}

TEST_CASE("no_contact: two positive contacts at one instant are one anchor L: one alert",
          "[rules][no_contact]") {
  StartedCase c;
  c.t.Attendance("C1", "I1", "S1", Outcome::ATTENDED, kStart + Day(5));
  c.t.Attendance("C1", "I1", "S2", Outcome::LATE, kStart + Day(5));
  auto alerts = NoContact(c.t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CHECK(FormatRfc3339(alerts[0].raised_at) == FormatRfc3339(kStart + Day(26)));
}

TEST_CASE("no_contact: a positive contact before the start does not move the first deadline",
          "[rules][no_contact]") {
  StartedCase c;
  c.t.Attendance("C1", "I1", "S0", Outcome::ATTENDED, kStart - Day(1));
  auto alerts = NoContact(c.t);
  INFO(Describe(alerts));
  REQUIRE(alerts.size() == 1);
  CheckAlert(alerts[0], Rule::NO_CONTACT, "C1", "P1", "I1", c.start, kStart + Day(21));
}
