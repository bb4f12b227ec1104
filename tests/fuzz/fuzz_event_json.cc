// EventFromJson (eventstore/event_json.h) on arbitrary bytes: the import and case-work path
// for every event a person or a file hands the node.
//
// Promises checked beyond "no crash, no leak, no undefined behaviour":
// - a refusal is InvalidArgument with a one-line message;
// - an accepted event is written back by EventToJson as JSON that parses again to the same
//   JSON (the export / import round trip).
#include <cstdint>
#include <string>
#include <string_view>

#include "eventstore/event_json.h"
#include "eventstore/validate.h"
#include "tests/fuzz/fuzz_support.h"

using namespace holdfast;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  auto event = EventFromJson(json);
  if (!event.ok()) {
    fuzz::Require(event.status().code() == Status::Code::kInvalidArgument,
                  "EventFromJson refused with " + event.status().ToString());
    fuzz::Require(fuzz::IsOneLineMessage(event.status().message()),
                  "EventFromJson's error is not one line: " + event.status().message());
    return 0;
  }
  (void)ValidateEvent(event->reader());
  const std::string written = EventToJson(event->reader());
  auto again = EventFromJson(written);
  fuzz::Require(again.ok(), "EventToJson wrote " + written +
                                ", which EventFromJson refuses: " + again.status().ToString());
  const std::string rewritten = EventToJson(again->reader());
  fuzz::Require(rewritten == written,
                "the JSON round trip changed the event:\n  " + written + "\n  " + rewritten);
  return 0;
}
