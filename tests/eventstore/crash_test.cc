// Crash safety of the event store: a child process (crash_child) appends from several
// threads and is killed with SIGKILL at random moments; after every kill the store must
// open and hold every event the child was told was appended, with a sound log.
//
// SIGKILL ends the process, not the machine: this shows that nothing acknowledged lives
// only in the process (user-space buffers, memtables) and that recovery after a torn run
// leaves a consistent store. Loss of the OS page cache (power failure) is not simulated.
//
// The seed is printed; HOLDFAST_CRASH_SEED=<n> replays a run's random choices.
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "eventstore/event_store.h"
#include "tests/eventstore/test_events.h"
#include "tests/support/subprocess.h"

using namespace holdfast;
using holdfast::testing::LogSummary;
using holdfast::testing::SummarizeLog;
using holdfast::testing::TempDir;

namespace {

using Clock = std::chrono::steady_clock;

constexpr char kNode[] = "crash-node";

// A running crash_child and what it has said on its stdout so far.
class CrashChild {
 public:
  CrashChild(const std::string& dir, int threads, unsigned seed)
      : process_(
            {HOLDFAST_CRASH_CHILD, dir, kNode, std::to_string(threads), std::to_string(seed)}) {}

  // Reads what the child writes until `until` returns true, the deadline passes or the
  // child closes its stdout. Returns false only in the last case.
  template <typename Pred>
  bool ReadUntil(Clock::time_point deadline, Pred until) {
    std::string line;
    while (!until()) {
      if (!process_.ReadLine(deadline, &line)) return !process_.stdout_ended();
      Take(line);
    }
    return true;
  }

  // SIGKILL, wait for the process, and collect everything it wrote before it died (a torn
  // last line is dropped). Returns its exit code (128 + the signal that ended it).
  int KillAndReap() {
    const int code = process_.Kill();
    std::string out;
    process_.Collect(Clock::now() + std::chrono::seconds(10), &out, &stderr_);
    size_t start = 0;
    for (size_t nl; (nl = out.find('\n', start)) != std::string::npos; start = nl + 1) {
      Take(out.substr(start, nl - start));
    }
    return code;
  }

  bool opened() const { return opened_; }
  // Ids of events whose Append returned OK, in the order the child reported them.
  const std::vector<Uuid>& acknowledged() const { return acknowledged_; }
  size_t bad_lines() const { return bad_lines_; }
  // What it wrote on stderr (once reaped): why it died, if it died on its own.
  const std::string& stderr_text() const { return stderr_; }

 private:
  void Take(const std::string& line) {
    if (line == "open") {
      opened_ = true;
    } else if (auto id = ParseUuid(line)) {
      acknowledged_.push_back(*id);
    } else {
      ++bad_lines_;
    }
  }

  holdfast::testing::Subprocess process_;
  bool opened_ = false;
  std::vector<Uuid> acknowledged_;
  size_t bad_lines_ = 0;
  std::string stderr_;
};

unsigned ChooseSeed() {
  if (const char* s = std::getenv("HOLDFAST_CRASH_SEED")) {
    return static_cast<unsigned>(std::strtoul(s, nullptr, 10));
  }
  return std::random_device()();
}

}  // namespace

TEST_CASE("a store killed while appending keeps every acknowledged event and a sound log",
          "[store][crash]") {
  constexpr int kRounds = 24;
  const unsigned seed = ChooseSeed();
  UNSCOPED_INFO("seed " << seed << " (rerun with HOLDFAST_CRASH_SEED=" << seed << ")");
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pick_delay_ms(2, 100);
  std::uniform_int_distribution<int> pick_threads(2, 4);

  TempDir dir("holdfast-crash");
  const std::string store_dir = dir.Sub("store");
  std::vector<Uuid> acknowledged;  // over all rounds
  uint64_t previous_events = 0;
  int rounds_with_acks = 0;

  for (int round = 0; round < kRounds; ++round) {
    INFO("round " << round);
    const int delay_ms = pick_delay_ms(rng);
    // Every fifth round the clock starts at the spawn, so the kill may land in Open
    // (recovering the previous round's WAL) rather than in an append.
    const bool kill_anywhere = round % 5 == 4;
    size_t acked_this_round = 0;
    {
      CrashChild child(store_dir, pick_threads(rng), static_cast<unsigned>(rng()));
      bool alive = kill_anywhere || child.ReadUntil(Clock::now() + std::chrono::seconds(20),
                                                    [&] { return child.opened(); });
      const bool opened_in_time = kill_anywhere || child.opened();
      if (alive && opened_in_time) {
        alive = child.ReadUntil(Clock::now() + std::chrono::milliseconds(delay_ms),
                                [] { return false; });
      }
      const int code = child.KillAndReap();
      INFO("crash_child exit code " << code << "; its stderr: " << child.stderr_text());
      REQUIRE(alive);  // it did not die on its own (its stderr says why)
      REQUIRE(opened_in_time);
      REQUIRE(code == 128 + SIGKILL);
      CHECK(child.bad_lines() == 0);
      acked_this_round = child.acknowledged().size();
      acknowledged.insert(acknowledged.end(), child.acknowledged().begin(),
                          child.acknowledged().end());
    }
    if (acked_this_round > 0) ++rounds_with_acks;

    StoreOptions options;
    options.node_id = kNode;
    auto opened = EventStore::Open(store_dir, options);
    INFO("open: " << opened.status().ToString());
    REQUIRE(opened.ok());
    auto& store = *opened;

    std::vector<std::string> missing;
    for (const Uuid& id : acknowledged) {
      auto got = store->Get(id);
      if (!got.ok() || ToUuid(got->reader().getId()) != id) missing.push_back(FormatUuid(id));
    }
    INFO(missing.size() << " of " << acknowledged.size() << " acknowledged events missing, first: "
                        << (missing.empty() ? std::string("-") : missing.front()));
    CHECK(missing.empty());

    VerifyReport report = store->Verify();
    INFO("verify: " << (report.ok() ? std::string("ok") : report.problems.front()));
    CHECK(report.ok());

    const LogSummary log = SummarizeLog(*store, kNode);
    INFO("log holds " << log.events << " events");
    REQUIRE(log.scan.ok());
    CHECK(log.first_gap == 0);
    CHECK(log.other_origins == 0);
    CHECK(log.SeqsAreOneToN());
    CHECK(log.recorded_at_not_increasing == 0);
    CHECK(store->LastPosition() == log.events);
    CHECK(store->HighWaterMarks()[kNode] == log.events);
    CHECK(log.events >= acknowledged.size());
    CHECK(log.events >= previous_events);  // a crash never takes back what a round kept
    previous_events = log.events;
  }
  // The kills must have landed mid-append, not only before the first one.
  CHECK(rounds_with_acks >= kRounds / 2);
  CHECK(acknowledged.size() > 0);
}
