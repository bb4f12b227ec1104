// Status messages are one line (eventstore/status.h): text from a client, a file or a peer
// echoed into an error cannot break the CLI's one-line error or forge a log line.
#include "eventstore/status.h"

#include <catch2/catch.hpp>

#include "eventstore/event_json.h"

using namespace holdfast;

TEST_CASE("OneLine escapes control characters and leaves other text alone", "[status]") {
  CHECK(OneLine("data.case: expected a string") == "data.case: expected a string");
  CHECK(OneLine("a\nb\rc\td") == "a\\nb\\rc\\td");
  CHECK(OneLine(std::string("nul\0end", 7)) == "nul\\x00end");
  CHECK(OneLine("\x1b[2J\x7f") == "\\x1b[2J\\x7f");
  CHECK(OneLine("café ✓") == "café ✓");  // UTF-8 is not control
  CHECK(OneLine("") == "");
}

TEST_CASE("a Status message is one line whatever it quotes", "[status]") {
  Status s = Status::InvalidArgument("unknown field \"x\ny\"");
  CHECK(s.message() == "unknown field \"x\\ny\"");
  CHECK(s.ToString() == "invalid argument: unknown field \"x\\ny\"");
}

TEST_CASE("an event's JSON naming a field with a line break is refused in one line",
          "[status][json]") {
  // Found by tests/fuzz/fuzz_event_json: the unknown field's name went into the error as it
  // was, so `holdfast import` printed a two-line error. (The JSON reader now escapes names
  // itself; Status makes sure of it for every message.)
  auto e = EventFromJson(
      R"({"id":"7f0c2a4e-5d1b-4c8e-9a51-00000000000a","type":"intervention.completed",)"
      R"("occurred_at":"2025-03-07T11:00:00Z",)"
      R"("author":{"user":"po-1","role":"probation","agency":"probation-ce"},)"
      R"("data":{"case":"C-1","inter\nvention":"I-2"}})");
  REQUIRE_FALSE(e.ok());
  INFO(e.status().message());
  CHECK(e.status().message().find('\n') == std::string::npos);
  CHECK_THAT(e.status().message(), Catch::StartsWith("data.inter"));
  CHECK_THAT(e.status().message(), Catch::Contains("vention: unknown field"));
}
