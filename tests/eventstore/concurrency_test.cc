// EventStore under concurrent appends: group commit must give every caller its own correct
// outcome, keep the log and each origin's sequence gap-free, store a racing id once, and
// let exactly one writer win each expected version of a stream.
//
// Catch2's assertions are not thread-safe, so worker threads only record what happened;
// the test thread checks it after joining them.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "eventstore/event_store.h"
#include "tests/eventstore/test_events.h"

using namespace holdfast;
using namespace holdfast::testing;

namespace {

constexpr char kNode[] = "probation-1";
constexpr int kThreads = 8;

std::unique_ptr<EventStore> OpenStore(const std::string& dir) {
  StoreOptions options;
  options.node_id = kNode;
  auto store = EventStore::Open(dir, options);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(store).value();
}

// Holds threads back until all have arrived, so their appends really race.
class StartLine {
 public:
  explicit StartLine(int threads) : waiting_(threads) {}
  void ArriveAndWait() {
    waiting_.fetch_sub(1);
    while (waiting_.load() > 0) std::this_thread::yield();
  }

 private:
  std::atomic<int> waiting_;
};

// Runs fn(thread index) on `threads` threads that start together, and joins them.
template <typename Fn>
void RunTogether(int threads, Fn fn) {
  StartLine start(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      start.ArriveAndWait();
      fn(t);
    });
  }
  for (auto& w : workers) w.join();
}

// The log is positions 1..LastPosition() with no gap, this node's seqs are exactly 1..N,
// and Verify finds nothing wrong.
void CheckLogIsSound(const EventStore& store) {
  const LogSummary log = SummarizeLog(store, kNode);
  REQUIRE(log.scan.ok());
  CHECK(log.events == store.LastPosition());
  CHECK(log.first_gap == 0);
  CHECK(log.other_origins == 0);
  CHECK(log.seqs.size() == log.events);
  CHECK(log.SeqsAreOneToN());
  CHECK(log.recorded_at_not_increasing == 0);
  CHECK(store.HighWaterMarks() == VersionVector{{kNode, log.events}});
  VerifyReport report = store.Verify();
  INFO("verify: " << (report.ok() ? std::string("ok") : report.problems.front()));
  CHECK(report.ok());
  CHECK(report.events == log.events);
}

}  // namespace

TEST_CASE("concurrent appends of singles and batches each get their own gap-free positions",
          "[store][concurrency]") {
  constexpr int kAppendsPerThread = 300;
  TempDir dir("holdfast-concurrency");
  auto store = OpenStore(dir.path());

  struct Call {
    std::vector<Uuid> ids;
    Status status;
    std::vector<AppendedEvent> outcome;
  };
  std::vector<std::vector<Call>> calls(kThreads);
  std::atomic<int> appenders_left{kThreads};

  // A reader running beside the appenders: the event at LastPosition() is always readable,
  // LastPosition() never goes back, and a log scan sees a gap-free prefix reaching at
  // least the LastPosition() read before it.
  struct ReaderFindings {
    int reads = 0;
    int unreadable_last = 0;
    int went_back = 0;
    int scans = 0;
    int torn_scans = 0;
  } reader;
  std::thread reader_thread([&] {
    uint64_t previous = 0;
    while (appenders_left.load() > 0) {
      const uint64_t last = store->LastPosition();
      ++reader.reads;
      if (last < previous) ++reader.went_back;
      previous = last;
      if (last > 0 && !store->GetAt(last).ok()) ++reader.unreadable_last;
      if (reader.reads % 16 == 0) {
        ++reader.scans;
        uint64_t seen = 0;
        bool torn = false;
        Status s = store->ScanLog(0, [&](uint64_t position, schema::Event::Reader) {
          torn |= (position != ++seen);
          return !torn;
        });
        if (!s.ok() || torn || seen < last) ++reader.torn_scans;
      }
    }
  });

  RunTogether(kThreads, [&](int t) {
    std::mt19937 rng(1000 + t);
    for (int i = 0; i < kAppendsPerThread; ++i) {
      const int size = i % 2 == 0 ? 1 : 2 + static_cast<int>(rng() % 4);
      std::vector<Event> events;
      Call call;
      for (int k = 0; k < size; ++k) {
        const auto& types = AllEventTypes();
        events.push_back(MakeEventOfType(types[rng() % types.size()],
                                         "C-" + std::to_string(t) + "-" + std::to_string(k)));
        call.ids.push_back(IdOf(events.back()));
      }
      auto r = store->Append(std::move(events));
      call.status = r.status();
      if (r.ok()) call.outcome = r->events;
      calls[t].push_back(std::move(call));
    }
    appenders_left.fetch_sub(1);
  });
  reader_thread.join();

  std::map<uint64_t, Uuid> by_position;
  uint64_t total = 0;
  for (int t = 0; t < kThreads; ++t) {
    INFO("thread " << t);
    uint64_t last_position_of_thread = 0;
    for (const Call& call : calls[t]) {
      INFO(call.status.ToString());
      REQUIRE(call.status.ok());
      REQUIRE(call.outcome.size() == call.ids.size());
      for (size_t k = 0; k < call.ids.size(); ++k) {
        const AppendedEvent& a = call.outcome[k];
        CHECK_FALSE(a.duplicate);
        CHECK(by_position.emplace(a.position, call.ids[k]).second);  // no position twice
        // An append that starts after another returned lands after it.
        CHECK(a.position > last_position_of_thread);
        last_position_of_thread = std::max(last_position_of_thread, a.position);
        ++total;
      }
    }
  }
  REQUIRE(by_position.size() == total);
  CHECK(by_position.begin()->first == 1);
  CHECK(by_position.rbegin()->first == total);
  CHECK(store->LastPosition() == total);

  // Each event is found by id and by position, and they agree.
  int wrong = 0;
  for (const auto& [position, id] : by_position) {
    auto by_id = store->Get(id);
    auto at = store->GetAt(position);
    if (!by_id.ok() || by_id->position() != position || !at.ok() ||
        ToUuid(at->reader().getId()) != id) {
      ++wrong;
    }
  }
  CHECK(wrong == 0);
  CheckLogIsSound(*store);

  CHECK(reader.reads > 0);
  CHECK(reader.unreadable_last == 0);
  CHECK(reader.went_back == 0);
  CHECK(reader.torn_scans == 0);
}

TEST_CASE("the same event appended by racing threads is stored once at one position",
          "[store][concurrency]") {
  constexpr int kRounds = 60;
  TempDir dir("holdfast-concurrency");
  auto store = OpenStore(dir.path());

  for (int round = 0; round < kRounds; ++round) {
    INFO("round " << round);
    // Even rounds race the event on its own; odd rounds race it inside batches, behind
    // an event of each thread's own.
    const bool in_batches = round % 2 == 1;
    const Uuid shared = RandomUuid();
    const uint64_t before = store->LastPosition();
    std::vector<Result<AppendResult>> results(kThreads, Status::Unavailable("not run"));
    std::vector<Uuid> own(kThreads);
    RunTogether(kThreads, [&](int t) {
      std::vector<Event> events;
      if (in_batches) {
        events.push_back(MakeAttendance("C-own-" + std::to_string(t)));
        own[t] = IdOf(events.back());
      }
      events.push_back(WithId(MakeAttendance("C-dup"), shared));
      results[t] = store->Append(std::move(events));
    });

    std::set<uint64_t> shared_positions;
    std::set<uint64_t> own_positions;
    int stored = 0;
    for (int t = 0; t < kThreads; ++t) {
      INFO("thread " << t << ": " << results[t].status().ToString());
      REQUIRE(results[t].ok());
      const auto& events = results[t]->events;
      REQUIRE(events.size() == (in_batches ? 2u : 1u));
      const AppendedEvent& s = events.back();
      shared_positions.insert(s.position);
      if (!s.duplicate) ++stored;
      if (in_batches) {
        CHECK_FALSE(events[0].duplicate);
        own_positions.insert(events[0].position);
      }
    }
    CHECK(stored == 1);
    REQUIRE(shared_positions.size() == 1);  // every caller was told the same position
    CHECK(own_positions.size() == (in_batches ? size_t{kThreads} : 0u));
    CHECK(own_positions.count(*shared_positions.begin()) == 0);
    CHECK(store->LastPosition() == before + 1 + own_positions.size());
    auto got = store->Get(shared);
    REQUIRE(got.ok());
    CHECK(got->position() == *shared_positions.begin());
    for (int t = 0; in_batches && t < kThreads; ++t) CHECK(store->Get(own[t]).ok());
  }
  CHECK(store->StreamVersion("case/C-dup") == kRounds);
  CheckLogIsSound(*store);
}

TEST_CASE("racing appends at one expected version: exactly one wins, the rest conflict",
          "[store][concurrency]") {
  constexpr int kRounds = 60;
  const std::string stream = "case/C-race";
  TempDir dir("holdfast-concurrency");
  auto store = OpenStore(dir.path());

  std::vector<Uuid> winners;  // in stream order
  for (int round = 0; round < kRounds; ++round) {
    INFO("round " << round);
    // Odd rounds race batches of two, which move the stream on by two.
    const size_t size = round % 2 == 1 ? 2 : 1;
    const uint64_t version = store->StreamVersion(stream);
    const uint64_t before = store->LastPosition();
    std::vector<Result<AppendResult>> results(kThreads, Status::Unavailable("not run"));
    std::vector<std::vector<Uuid>> ids(kThreads);
    RunTogether(kThreads, [&](int t) {
      std::vector<Event> events;
      for (size_t k = 0; k < size; ++k) {
        events.push_back(MakeAttendance("C-race", "I-" + std::to_string(t)));
        ids[t].push_back(IdOf(events.back()));
      }
      results[t] = store->Append(std::move(events), ExpectedVersion{stream, version});
    });

    int won = 0;
    int conflicted = 0;
    for (int t = 0; t < kThreads; ++t) {
      INFO("thread " << t << ": " << results[t].status().ToString());
      if (results[t].ok()) {
        ++won;
        winners.insert(winners.end(), ids[t].begin(), ids[t].end());
        for (const AppendedEvent& a : results[t]->events) CHECK_FALSE(a.duplicate);
      } else {
        CHECK(results[t].status().code() == Status::Code::kVersionConflict);
        ++conflicted;
        for (const Uuid& id : ids[t]) {
          CHECK(store->Get(id).status().code() == Status::Code::kNotFound);
        }
      }
    }
    CHECK(won == 1);
    CHECK(conflicted == kThreads - 1);
    CHECK(store->StreamVersion(stream) == version + size);
    CHECK(store->LastPosition() == before + size);
  }

  // The stream holds exactly the winners, in the order they won.
  std::vector<Uuid> in_stream;
  REQUIRE(store
              ->ScanStream(stream,
                           [&](uint64_t, schema::Event::Reader e) {
                             in_stream.push_back(ToUuid(e.getId()));
                             return true;
                           })
              .ok());
  CHECK(in_stream == winners);
  // Refused writers left no hole in the log or in the sequence.
  CheckLogIsSound(*store);
}

// Verify once read the log and then each index without one snapshot, so an event appended
// between the two reads looked like an index entry with no log entry. `holdfast store
// verify` runs on a live daemon, so this must hold while appends run.
TEST_CASE("verify on a store that is being appended to reports it sound",
          "[store][concurrency][verify]") {
  TempDir dir("holdfast-concurrency");
  auto store = OpenStore(dir.path());
  for (int i = 0; i < 200; ++i) REQUIRE(store->Append(Single(MakeAttendance("C-1"))).ok());

  std::atomic<bool> stop{false};
  std::vector<Status> append_failures;
  std::thread appender([&] {
    for (int i = 0; !stop.load(); ++i) {
      auto r = store->Append(Single(MakeAttendance("C-" + std::to_string(i % 5))));
      if (!r.ok()) append_failures.push_back(r.status());
    }
  });
  const uint64_t before = store->LastPosition();
  std::vector<std::string> problems;
  for (int i = 0; i < 50 && problems.empty(); ++i) problems = store->Verify().problems;
  const uint64_t after = store->LastPosition();
  stop = true;
  appender.join();

  REQUIRE(append_failures.empty());
  REQUIRE(after > before);  // appends really ran beside Verify
  INFO("first problem: " << (problems.empty() ? std::string("-") : problems.front()));
  CHECK(problems.empty());
  CHECK(store->Verify().ok());  // and once the appends have stopped
}
