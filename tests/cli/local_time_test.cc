// Local times (cli/local_time.h) across both 2026 clock changes in Europe/London (29 March,
// 25 October), in New York and Sydney (the other hemisphere), and in a zone without
// summer time. The expected instants are worked out from the tzdata rules (zdump -v).
#include "cli/local_time.h"

#include <catch2/catch.hpp>

#include "daemon/config.h"
#include "eventstore/ids.h"

namespace holdfast::cli {
namespace {

LocalZone Zone(const std::string& name) {
  auto zone = LocalZone::Load(name);
  REQUIRE(zone.ok());
  return *zone;
}

// The instant `text` names in `zone`, as RFC 3339 UTC ("refused: ..." when it names none).
std::string Utc(const std::string& text, const LocalZone& zone) {
  auto t = ParseLocalTime(text, zone);
  return t.ok() ? FormatRfc3339(*t) : "refused: " + t.status().message();
}

std::string Refusal(const std::string& text, const LocalZone& zone) {
  auto t = ParseLocalTime(text, zone);
  return t.ok() ? "accepted as " + FormatRfc3339(*t) : t.status().message();
}

std::string Local(const std::string& utc, const LocalZone& zone) {
  auto t = ParseRfc3339(utc);
  REQUIRE(t);
  return FormatLocalTime(*t, zone);
}

TEST_CASE("local times in London: GMT and BST away from the clock changes", "[local-time]") {
  const LocalZone london = Zone("Europe/London");
  CHECK(Utc("2026-12-06 18:00", london) == "2026-12-06T18:00:00Z");
  CHECK(Utc("2026-12-06 18:00:30", london) == "2026-12-06T18:00:30Z");
  CHECK(Utc("2026-07-01 12:00", london) == "2026-07-01T11:00:00Z");
  CHECK(Utc("2026-07-01T12:00", london) == "2026-07-01T11:00:00Z");
  CHECK(Utc("2026-07-01 12:00 BST", london) == "2026-07-01T11:00:00Z");
  // A date is the start of its day, here.
  CHECK(Utc("2026-12-06", london) == "2026-12-06T00:00:00Z");
  CHECK(Utc("2026-07-01", london) == "2026-06-30T23:00:00Z");
  // RFC 3339 keeps meaning what it says.
  CHECK(Utc("2026-07-01T12:00:00Z", london) == "2026-07-01T12:00:00Z");
  CHECK(Utc("2026-07-01T12:00:00+02:00", london) == "2026-07-01T10:00:00Z");
  CHECK(Local("2026-12-06T18:00:00Z", london) == "2026-12-06 18:00:00 GMT");
  CHECK(Local("2026-07-01T11:00:00.75Z", london) == "2026-07-01 12:00:00 BST");
}

TEST_CASE(
    "29 March 2026 in London: 01:00 to 02:00 does not exist and is refused, saying what "
    "to type",
    "[local-time]") {
  const LocalZone london = Zone("Europe/London");
  CHECK(Utc("2026-03-29 00:30", london) == "2026-03-29T00:30:00Z");
  CHECK(Utc("2026-03-29 00:59:59", london) == "2026-03-29T00:59:59Z");
  CHECK(Utc("2026-03-29 02:00", london) == "2026-03-29T01:00:00Z");
  CHECK(Utc("2026-03-29 02:30", london) == "2026-03-29T01:30:00Z");
  CHECK(Utc("2026-03-29", london) == "2026-03-29T00:00:00Z");
  CHECK(Refusal("2026-03-29 01:30", london) ==
        "\"2026-03-29 01:30\" is not a time in Europe/London: the clocks went from 01:00 GMT to "
        "02:00 BST; give the time the clocks showed (such as \"2026-03-29 02:30\") or a UTC "
        "time (\"2026-03-29T01:30:00Z\")");
  CHECK(Refusal("2026-03-29 01:00", london).find("is not a time in Europe/London") !=
        std::string::npos);
  CHECK(Refusal("2026-03-29 01:59:59", london).find("\"2026-03-29 02:59:59\"") !=
        std::string::npos);
  // An offset says exactly which instant.
  CHECK(Utc("2026-03-29 01:30 +00:00", london) == "2026-03-29T01:30:00Z");
  CHECK(Utc("2026-03-29 01:30 UTC", london) == "2026-03-29T01:30:00Z");
  CHECK(Local("2026-03-29T00:59:59Z", london) == "2026-03-29 00:59:59 GMT");
  CHECK(Local("2026-03-29T01:00:00Z", london) == "2026-03-29 02:00:00 BST");
}

TEST_CASE(
    "25 October 2026 in London: 01:00 to 02:00 happens twice and is refused unless BST "
    "or GMT says which",
    "[local-time]") {
  const LocalZone london = Zone("Europe/London");
  CHECK(Utc("2026-10-25 00:30", london) == "2026-10-24T23:30:00Z");
  CHECK(Utc("2026-10-25 02:00", london) == "2026-10-25T02:00:00Z");
  CHECK(Utc("2026-10-25", london) == "2026-10-24T23:00:00Z");
  CHECK(Refusal("2026-10-25 01:30", london) ==
        "\"2026-10-25 01:30\" happened twice in Europe/London: the clocks went back from 02:00 "
        "BST to 01:00 GMT; say which: \"2026-10-25 01:30 BST\" (the first) or \"2026-10-25 "
        "01:30 GMT\" (the second)");
  CHECK(Refusal("2026-10-25 01:00", london).find("happened twice") != std::string::npos);
  CHECK(Refusal("2026-10-25 01:59:59", london).find("happened twice") != std::string::npos);
  CHECK(Utc("2026-10-25 01:30 BST", london) == "2026-10-25T00:30:00Z");
  CHECK(Utc("2026-10-25 01:30 GMT", london) == "2026-10-25T01:30:00Z");
  CHECK(Utc("2026-10-25 01:30 bst", london) == "2026-10-25T00:30:00Z");
  CHECK(Utc("2026-10-25 01:30 +01:00", london) == "2026-10-25T00:30:00Z");
  CHECK(Utc("2026-10-25 01:30 +0000", london) == "2026-10-25T01:30:00Z");
  CHECK(Refusal("2026-10-25 01:30 CET", london) ==
        "\"CET\" is not what the clocks in Europe/London showed at 2026-10-25 01:30 (BST or "
        "GMT); leave it out, or give an offset such as +01:00");
  CHECK(Local("2026-10-25T00:30:00Z", london) == "2026-10-25 01:30:00 BST");
  CHECK(Local("2026-10-25T01:30:00Z", london) == "2026-10-25 01:30:00 GMT");
}

TEST_CASE("what a table shows reads back as the same instant, through both 2026 changes",
          "[local-time]") {
  const LocalZone london = Zone("Europe/London");
  for (const char* day : {"2026-03-28T00:00:00Z", "2026-10-24T00:00:00Z"}) {
    const int64_t start = *ParseRfc3339(day);
    for (int64_t t = start; t < start + 3 * 86400 * 1000000000LL; t += 7 * 60 * 1000000000LL) {
      const std::string shown = FormatLocalTime(t, london);
      auto back = ParseLocalTime(shown, london);
      REQUIRE(back.ok());
      CHECK(*back == t);
    }
  }
}

TEST_CASE("New York and Sydney change on their own days, and Kolkata never", "[local-time]") {
  const LocalZone new_york = Zone("America/New_York");
  const LocalZone sydney = Zone("Australia/Sydney");
  const LocalZone kolkata = Zone("Asia/Kolkata");
  // New York: 8 March 02:00 EST -> 03:00 EDT; 1 November 02:00 EDT -> 01:00 EST.
  CHECK(Utc("2026-07-04 12:00", new_york) == "2026-07-04T16:00:00Z");
  CHECK(Utc("2026-03-08 01:59", new_york) == "2026-03-08T06:59:00Z");
  CHECK(Utc("2026-03-08 03:00", new_york) == "2026-03-08T07:00:00Z");
  CHECK(Refusal("2026-03-08 02:30", new_york) ==
        "\"2026-03-08 02:30\" is not a time in America/New_York: the clocks went from 02:00 EST "
        "to 03:00 EDT; give the time the clocks showed (such as \"2026-03-08 03:30\") or a UTC "
        "time (\"2026-03-08T07:30:00Z\")");
  CHECK(Refusal("2026-11-01 01:30", new_york)
            .find("say which: \"2026-11-01 01:30 EDT\" (the "
                  "first) or \"2026-11-01 01:30 EST\"") != std::string::npos);
  CHECK(Utc("2026-11-01 01:30 EDT", new_york) == "2026-11-01T05:30:00Z");
  CHECK(Utc("2026-11-01 01:30 EST", new_york) == "2026-11-01T06:30:00Z");
  CHECK(Local("2026-11-01T06:30:00Z", new_york) == "2026-11-01 01:30:00 EST");
  // Sydney: 5 April 03:00 AEDT -> 02:00 AEST; 4 October 02:00 AEST -> 03:00 AEDT.
  CHECK(Utc("2026-04-05 02:30 AEDT", sydney) == "2026-04-04T15:30:00Z");
  CHECK(Utc("2026-04-05 02:30 AEST", sydney) == "2026-04-04T16:30:00Z");
  CHECK(Refusal("2026-04-05 02:30", sydney)
            .find("happened twice in Australia/Sydney: the "
                  "clocks went back from 03:00 AEDT to 02:00 "
                  "AEST") != std::string::npos);
  CHECK(Refusal("2026-10-04 02:30", sydney).find("is not a time in Australia/Sydney") !=
        std::string::npos);
  CHECK(Local("2026-12-06T07:00:00Z", sydney) == "2026-12-06 18:00:00 AEDT");
  // Kolkata: +05:30 all year.
  CHECK(Utc("2026-03-29 01:30", kolkata) == "2026-03-28T20:00:00Z");
  CHECK(Utc("2026-10-25 01:30", kolkata) == "2026-10-24T20:00:00Z");
  CHECK(Local("2026-12-06T12:30:00Z", kolkata) == "2026-12-06 18:00:00 IST");
  // Zones used one after another each keep their own rules.
  const LocalZone london = Zone("Europe/London");
  CHECK(Utc("2026-07-01 12:00", london) == "2026-07-01T11:00:00Z");
  CHECK(Utc("2026-07-01 12:00", new_york) == "2026-07-01T16:00:00Z");
  CHECK(Utc("2026-07-01 12:00", london) == "2026-07-01T11:00:00Z");
}

TEST_CASE("what is not a time is refused with an example of one", "[local-time]") {
  const LocalZone london = Zone("Europe/London");
  for (const char* bad :
       {"2026-02-29 10:00", "2026-13-01", "2026-12-06 24:00", "2026-12-06 18", "18:00", "tomorrow",
        "", "2026-12-06 BST", "1969-12-31 23:00", "2300-01-01", "2026-12-06 18:00:60"}) {
    INFO(bad);
    const std::string why = Refusal(bad, london);
    CHECK(why.find("is not a time: give a local time in Europe/London (\"2026-12-06 18:00\"") !=
          std::string::npos);
  }
  CHECK(Refusal("1970-01-01 00:30 +01:00", london) == "\"1970-01-01 00:30 +01:00\" is before 1970");
}

TEST_CASE("a time zone this machine does not know is refused, naming an example", "[local-time]") {
  auto unknown = LocalZone::Load("Europe/Lundon");
  REQUIRE(!unknown.ok());
  CHECK(unknown.status().message() ==
        "\"Europe/Lundon\" is not a time zone this machine knows (/usr/share/zoneinfo); give an "
        "IANA zone name such as Europe/London");
  for (const char* path :
       {"../../etc/passwd", "/etc/localtime", "Europe//London", "Europe/", "Europe London"}) {
    INFO(path);
    auto refused = LocalZone::Load(path);
    REQUIRE(!refused.ok());
    CHECK(refused.status().message().find("is not a time zone name") != std::string::npos);
  }
}

}  // namespace
}  // namespace holdfast::cli
