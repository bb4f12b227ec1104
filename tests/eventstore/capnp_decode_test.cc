// The SPEC promises that a stored event decodes with the stock tool:
//   capnp decode eventstore/event.capnp Event < bytes
// These tests run that tool (the one CMake found with Cap'n Proto) on bytes read back from
// a real store, against the schema in this source tree.
#include <capnp/dynamic.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "eventstore/event_store.h"
#include "tests/eventstore/test_events.h"
#include "tests/support/subprocess.h"

using namespace holdfast;
using namespace holdfast::testing;

namespace {

struct Decoded {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// `capnp decode -I<capnp's include dir> <source>/eventstore/event.capnp Event < file`.
Decoded CapnpDecode(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  SpawnOptions options;
  options.stdin_data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  REQUIRE(!options.stdin_data.empty());
  Subprocess tool({HOLDFAST_CAPNP_TOOL, "decode", std::string("-I") + HOLDFAST_CAPNP_IMPORT_DIR,
                   std::string(HOLDFAST_SOURCE_DIR) + "/eventstore/event.capnp", "Event"},
                  options);
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  std::string out, err;
  Decoded d;
  if (tool.Collect(deadline, &out, &err)) d.exit_code = tool.Wait(deadline).value_or(-1);
  d.output = out + err;
  return d;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

std::unique_ptr<EventStore> OpenStore(const std::string& dir) {
  StoreOptions options;
  options.node_id = "probation-1";
  auto store = EventStore::Open(dir, options);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(store).value();
}

// The schema's name for the union member an event holds ("attendanceRecorded").
std::string UnionFieldName(schema::Event::Reader event) {
  capnp::DynamicStruct::Reader dynamic(event);
  KJ_IF_MAYBE (field, dynamic.which()) {
    return field->getProto().getName();
  }
  return "(none)";
}

}  // namespace

TEST_CASE("capnp decode prints a stored event's bytes with the schema in eventstore/",
          "[store][capnp]") {
  TempDir dir("holdfast-decode");
  auto store = OpenStore(dir.Sub("store"));
  Event event = MakeAttendance("C-0042", "I-0042-1", "S-2025-03-04-grpA",
                               schema::AttendanceOutcome::ABSENT_UNACCEPTABLE);
  event.builder().getAttendanceRecorded().setReason("no contact");
  const Uuid id = IdOf(event);
  auto appended = store->Append(Single(std::move(event)));
  REQUIRE(appended.ok());

  auto stored = store->GetAt(appended->events[0].position);
  REQUIRE(stored.ok());
  const std::string file = dir.Sub("event.bin");
  WriteFile(file, std::string(stored->bytes()));

  const Decoded d = CapnpDecode(file);
  INFO("capnp decode said:\n" << d.output);
  CHECK(d.exit_code == 0);
  CHECK_THAT(d.output, Catch::Contains("attendanceRecorded = ("));
  CHECK_THAT(d.output, Catch::Contains("caseId = \"C-0042\""));
  CHECK_THAT(d.output, Catch::Contains("intervention = \"I-0042-1\""));
  CHECK_THAT(d.output, Catch::Contains("session = \"S-2025-03-04-grpA\""));
  CHECK_THAT(d.output, Catch::Contains("outcome = absentUnacceptable"));
  CHECK_THAT(d.output, Catch::Contains("reason = \"no contact\""));
  CHECK_THAT(d.output, Catch::Contains("hi = " + std::to_string(id.hi)));
  CHECK_THAT(d.output, Catch::Contains("lo = " + std::to_string(id.lo)));
  CHECK_THAT(d.output, Catch::Contains("unixNanos = " + std::to_string(kOccurredAtNanos)));
  CHECK_THAT(d.output, Catch::Contains("user = \"jsmith\""));
  // The provenance the store stamped is in the stored bytes too.
  CHECK_THAT(d.output, Catch::Contains("origin = \"probation-1\""));
  CHECK_THAT(d.output, Catch::Contains("seq = 1"));
}

TEST_CASE("capnp decode reads back-to-back stored events of every type", "[store][capnp]") {
  TempDir dir("holdfast-decode");
  auto store = OpenStore(dir.Sub("store"));
  std::vector<Event> events;
  for (EventType type : AllEventTypes()) events.push_back(MakeEventOfType(type));
  REQUIRE(events.size() == 18);
  auto appended = store->Append(std::move(events));
  INFO(appended.status().ToString());
  REQUIRE(appended.ok());

  // Log bytes, concatenated in log order, are a valid Cap'n Proto message stream.
  std::string bytes;
  std::vector<std::string> members;
  for (const AppendedEvent& a : appended->events) {
    auto stored = store->GetAt(a.position);
    REQUIRE(stored.ok());
    bytes += stored->bytes();
    members.push_back(UnionFieldName(stored->reader()));
  }
  const std::string file = dir.Sub("events.bin");
  WriteFile(file, bytes);

  const Decoded d = CapnpDecode(file);
  INFO("capnp decode said:\n" << d.output);
  CHECK(d.exit_code == 0);
  // One decoded message per event, each showing its own body, in log order.
  size_t from = 0;
  for (size_t i = 0; i < members.size(); ++i) {
    INFO("event " << i + 1 << ": " << members[i]);
    const size_t at = d.output.find(members[i] + " = (", from);
    CHECK(at != std::string::npos);
    if (at != std::string::npos) from = at;
  }
  size_t messages = 0;  // each has one occurredAt, and nothing nested has one
  for (size_t at = d.output.find("occurredAt = ("); at != std::string::npos;
       at = d.output.find("occurredAt = (", at + 1)) {
    ++messages;
  }
  CHECK(messages == members.size());
}
