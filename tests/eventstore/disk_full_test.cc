// The event store on a disk that fills up: a small tmpfs the test mounts (root only; see
// tests/small_filesystem.h). Writes are refused with a clear status while it is full, reads
// go on, writing resumes by itself once space is freed, and nothing acknowledged is lost.

#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <thread>

#include "eventstore/event_store.h"
#include "eventstore/keys.h"
#include "tests/eventstore/test_events.h"
#include "tests/small_filesystem.h"

using namespace holdfast;
using namespace holdfast::testing;
using holdfast::test::SmallFilesystem;

namespace {

std::unique_ptr<EventStore> Open(const std::string& dir, uint64_t reserved_bytes) {
  StoreOptions options;
  options.node_id = "probation-1";
  options.reserved_bytes = reserved_bytes;
  auto store = EventStore::Open(dir, options);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(store).value();
}

std::vector<Event> Events(size_t n, const std::string& case_id) {
  std::vector<Event> events;
  for (size_t i = 0; i < n; ++i) events.push_back(MakeAttendance(case_id));
  return events;
}

std::vector<Uuid> Ids(const std::vector<Event>& events) {
  std::vector<Uuid> ids;
  for (const auto& e : events) ids.push_back(IdOf(e));
  return ids;
}

// Polls (not a sleep as synchronisation: the condition decides) until the store takes
// writes again.
bool WaitUntilWritable(EventStore* store, std::chrono::seconds limit, bool writable = true) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (store->CanWrite().ok() == writable) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace

// RocksDB 7.8 (Debian's build has its assertions compiled in) aborted the process here
// twice over: its LOG file's writer once a write to the full disk had failed, and, after
// a failed WAL write with every memtable empty (as right after opening), DB::Resume kept
// the failed WAL file and the next write hit WritableFileWriter's assertion.
TEST_CASE(
    "an append that finds the disk full is refused, and appends work again once space is "
    "freed, with nothing acknowledged lost",
    "[store][disk]") {
  TempDir dir;
  SmallFilesystem fs(dir.Sub("fs"), 32);
  if (!fs.SkipUnlessMounted("eventstore disk_full_test")) return;
  const std::string store_dir = fs / "store";

  auto before = Events(10, "C-1");
  const auto acknowledged = Ids(before);
  {
    auto store = Open(store_dir, 0);
    REQUIRE(store->Append(std::move(before)).ok());
  }
  // Reopened, the store's memtables are empty and its new WAL file has no room reserved
  // yet: the next append's WAL write is what meets the full disk.
  auto store = Open(store_dir, 0);
  fs.FillUp("filler");
  REQUIRE(fs.FreeBytes() == 0);

  auto refused = store->Append(Events(10, "C-2"));
  REQUIRE_FALSE(refused.ok());
  INFO(refused.status().ToString());
  CHECK(refused.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(refused.status().message(),
             Catch::Contains("no space left on the device holding " + store_dir));
  CHECK_THAT(refused.status().message(), Catch::Contains("writing resumes by itself"));
  CHECK_FALSE(store->CanWrite().ok());
  // Writes fail fast meanwhile, and reads go on.
  CHECK(store->Append(Events(1, "C-2")).status().code() == Status::Code::kUnavailable);
  for (const auto& id : acknowledged) CHECK(store->Get(id).ok());
  CHECK(store->LastPosition() == 10);

  fs.Remove("filler");
  REQUIRE(WaitUntilWritable(store.get(), std::chrono::seconds(20)));
  auto after = Events(10, "C-3");
  const auto acknowledged_after = Ids(after);
  auto appended = store->Append(std::move(after));
  INFO(appended.status().ToString());
  REQUIRE(appended.ok());
  CHECK(appended->events.front().position == 11);  // the refused append left no trace

  store.reset();
  store = Open(store_dir, 0);
  for (const auto& id : acknowledged) CHECK(store->Get(id).ok());
  for (const auto& id : acknowledged_after) CHECK(store->Get(id).ok());
  CHECK(store->LastPosition() == 20);
  const auto report = store->Verify();
  INFO((report.problems.empty() ? "" : report.problems[0]));
  CHECK(report.ok());
}

TEST_CASE(
    "writes are refused while the disk has less free than the reserve, and resume by "
    "themselves once it has it, and the listener hears both",
    "[store][disk]") {
  TempDir dir;
  // Room for the WAL file RocksDB reserves (26 MB with the store's write buffers) and more.
  SmallFilesystem fs(dir.Sub("fs"), 64);
  if (!fs.SkipUnlessMounted("eventstore disk_full_test")) return;
  const std::string store_dir = fs / "store";
  auto store = Open(store_dir, 8u << 20);
  std::mutex mu;
  std::vector<Status> heard;
  store->SetWriteStateListener([&](const Status& s) {
    std::lock_guard<std::mutex> l(mu);
    heard.push_back(s);
  });
  REQUIRE(store->Append(Events(5, "C-1")).ok());
  auto audit = store->Table(keys::kAuditFamily);
  REQUIRE(audit.ok());

  // Leave 4 MB: the disk has room, but less than the 8 MB reserve.
  REQUIRE(fs.FreeBytes() > (12u << 20));
  REQUIRE(fs.Ballast("ballast", fs.FreeBytes() - (4u << 20)));
  // The free space is looked at again within 20 ms of the last look.
  REQUIRE(WaitUntilWritable(store.get(), std::chrono::seconds(5), /*writable=*/false));
  auto refused = store->Append(Events(5, "C-1"));
  REQUIRE_FALSE(refused.ok());
  INFO(refused.status().ToString());
  CHECK(refused.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(refused.status().message(), Catch::Contains("8 MB kept in reserve"));
  CHECK(store->LastPosition() == 5);
  // Other modules' writes are held back the same way.
  SideBatch batch;
  batch.Put(*audit, "other-module", "x");
  CHECK(store->Write(batch).code() == Status::Code::kUnavailable);

  fs.Remove("ballast");
  REQUIRE(WaitUntilWritable(store.get(), std::chrono::seconds(20)));
  REQUIRE(store->Append(Events(5, "C-1")).ok());
  CHECK(store->LastPosition() == 10);
  // The listener is told on the store's thread, just after the gate opens.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto heard_both = [&] {
    std::lock_guard<std::mutex> l(mu);
    return heard.size() >= 2;
  };
  while (!heard_both() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  store->SetWriteStateListener(nullptr);
  std::lock_guard<std::mutex> l(mu);
  REQUIRE(heard.size() == 2);
  CHECK(heard[0].code() == Status::Code::kUnavailable);
  CHECK(heard[1].ok());
}
