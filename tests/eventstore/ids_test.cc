#include "eventstore/ids.h"

#include <catch2/catch.hpp>

#include "eventstore/hlc.h"

using namespace holdfast;

TEST_CASE("UUIDs parse and format in canonical lower case", "[ids]") {
  auto id = ParseUuid("7F0C2A4E-5D1B-4C8E-9A51-2F7B9D0E6C13");
  REQUIRE(id);
  CHECK(FormatUuid(*id) == "7f0c2a4e-5d1b-4c8e-9a51-2f7b9d0e6c13");
  CHECK_FALSE(ParseUuid("7f0c2a4e5d1b4c8e9a512f7b9d0e6c13"));
  CHECK_FALSE(ParseUuid("7f0c2a4e-5d1b-4c8e-9a51-2f7b9d0e6c1g"));
  CHECK_FALSE(ParseUuid(""));
}

TEST_CASE("name-based UUIDs are deterministic and distinct per name", "[ids]") {
  Uuid ns{1, 2};
  CHECK(NameUuid(ns, "alert/a") == NameUuid(ns, "alert/a"));
  CHECK(NameUuid(ns, "alert/a") != NameUuid(ns, "alert/b"));
  CHECK(FormatUuid(NameUuid(ns, "x"))[14] == '5');
}

TEST_CASE("RFC 3339 times round-trip and refuse malformed input", "[ids]") {
  auto t = ParseRfc3339("2025-03-04T18:00:00Z");
  REQUIRE(t);
  CHECK(FormatRfc3339(*t) == "2025-03-04T18:00:00Z");
  CHECK(*ParseRfc3339("2025-03-04T19:00:00+01:00") == *t);
  CHECK(FormatRfc3339(*ParseRfc3339("2024-02-29T23:59:59.5Z")) == "2024-02-29T23:59:59.5Z");
  CHECK(*ParseRfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK_FALSE(ParseRfc3339("2025-02-29T00:00:00Z"));  // not a leap year
  CHECK_FALSE(ParseRfc3339("2025-03-04 18:00:00Z"));
  CHECK_FALSE(ParseRfc3339("2025-03-04T18:00:00"));  // no zone
  CHECK_FALSE(ParseRfc3339("2025-03-04T24:00:00Z"));
  CHECK_FALSE(ParseRfc3339("2025-03-04T18:00:00.Z"));
  CHECK(*ParseDateOrTime("2025-03-04") == *ParseRfc3339("2025-03-04T00:00:00Z"));
}

TEST_CASE("HLC stays monotonic when the wall clock steps back", "[hlc]") {
  uint64_t wall = 1'000'000;
  HybridClock clock([&] { return wall; });
  uint64_t a = clock.Now();
  wall -= 5000;  // NTP steps the clock back five seconds
  uint64_t b = clock.Now();
  uint64_t c = clock.Now();
  CHECK(b > a);
  CHECK(c > b);
  CHECK(HlcPhysicalMs(c) == 1'000'000);
  wall += 10000;
  uint64_t d = clock.Now();
  CHECK(HlcPhysicalMs(d) == 1'005'000);
  CHECK(HlcLogical(d) == 0);
}

TEST_CASE("HLC merges remote values it observes", "[hlc]") {
  uint64_t wall = 1000;
  HybridClock clock([&] { return wall; });
  uint64_t remote = HlcPack(9000, 7);
  clock.Observe(remote);
  CHECK(clock.Now() > remote);
  CHECK(FormatHlc(HlcPack(1741111200123, 4)) == "2025-03-04T18:00:00.123Z/4");
  CHECK(*ParseHlc("2025-03-04T18:00:00.123Z/4") == HlcPack(1741111200123, 4));
  CHECK_FALSE(ParseHlc("2025-03-04T18:00:00.123Z"));
}
