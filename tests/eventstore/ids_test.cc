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

TEST_CASE("name-based UUIDs are the published version 5 test vectors", "[ids]") {
  const Uuid dns = *ParseUuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");  // RFC 9562 namespaces
  const Uuid url = *ParseUuid("6ba7b811-9dad-11d1-80b4-00c04fd430c8");
  // RFC 9562, appendix A.4.
  CHECK(FormatUuid(NameUuid(dns, "www.example.com")) == "2ed6657d-e927-568b-95e1-2665a8aea6a2");
  // Python's uuid module documentation, and its uuid5 on a URL.
  CHECK(FormatUuid(NameUuid(dns, "python.org")) == "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  CHECK(FormatUuid(NameUuid(url, "http://python.org/")) == "4c565f0d-3f5a-5890-b41b-20cf47701c5e");
  CHECK(NameUuid(dns, "python.org") != NameUuid(url, "python.org"));
}

TEST_CASE("joined name parts are unambiguous and keep names without '/' or '%'", "[ids]") {
  // The collision of issue 11: case "C/I" with intervention "x", case "C" with "I/x".
  CHECK(JoinNameParts({"C/I", "x"}) == "C%2FI/x");
  CHECK(JoinNameParts({"C", "I/x"}) == "C/I%2Fx");
  CHECK(JoinNameParts({"C/I", "x"}) != JoinNameParts({"C", "I/x"}));
  // '%' is escaped too, or ("C%2FI", "x") would name what ("C/I", "x") names.
  CHECK(JoinNameParts({"C%2FI", "x"}) == "C%252FI/x");
  CHECK(JoinNameParts({"a", "", "b"}) != JoinNameParts({"a/", "b"}));
  CHECK(JoinNameParts({"", ""}) == "/");
  CHECK(JoinNameParts({}) == "");
  // Names made before the escaping came are unchanged.
  CHECK(JoinNameParts({"non_engagement", "C-0042", "I-0042-1", ""}) ==
        "non_engagement/C-0042/I-0042-1/");
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
