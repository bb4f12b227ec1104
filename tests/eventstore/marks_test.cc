// The contiguous marks the store keeps (EventStore::ContiguousMarks): after any mix of local
// appends, inserts of other origins' events out of order and with gaps, concurrent inserts
// and restarts, they are what a walk over the whole log finds.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
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

std::unique_ptr<EventStore> OpenStore(const std::string& dir, const std::string& node) {
  StoreOptions options;
  options.node_id = node;
  options.sync = false;  // nothing here needs the WAL synced, and thousands of writes do
  auto store = EventStore::Open(dir, options);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(store).value();
}

// The marks from first principles: every (origin, seq) in the log, then per origin the
// longest run 1..n.
VersionVector WalkedMarks(const EventStore& store) {
  std::map<std::string, std::set<uint64_t>> held;
  REQUIRE(store
              .ScanLog(0,
                       [&](uint64_t, schema::Event::Reader e) {
                         held[e.getProvenance().getOrigin()].insert(e.getProvenance().getSeq());
                         return true;
                       })
              .ok());
  VersionVector out;
  for (const auto& [origin, seqs] : held) {
    uint64_t mark = 0;
    while (seqs.count(mark + 1)) ++mark;
    out[origin] = mark;
  }
  return out;
}

// The whole log of an origin's store, as events ready for Insert elsewhere.
std::vector<Event> LogOf(const EventStore& store) {
  std::vector<Event> out;
  REQUIRE(store
              .ScanLog(0,
                       [&](uint64_t, schema::Event::Reader e) {
                         out.push_back(Event::CopyOf(e));
                         return true;
                       })
              .ok());
  return out;
}

std::vector<Event> Appended(const std::string& dir, const std::string& node, int events) {
  auto store = OpenStore(dir, node);
  for (int i = 0; i < events; i += 10) {
    std::vector<Event> batch;
    for (int j = 0; j < 10; ++j) batch.push_back(MakeAttendance("C-" + std::to_string(j)));
    REQUIRE(store->Append(std::move(batch)).ok());
  }
  return LogOf(*store);
}

}  // namespace

namespace Catch {
template <>
struct StringMaker<holdfast::VersionVector> {
  static std::string convert(const holdfast::VersionVector& marks) {
    std::string out = "{";
    for (const auto& [origin, mark] : marks) {
      out += (out.size() > 1 ? ", " : " ") + origin + " " + std::to_string(mark);
    }
    return out + " }";
  }
};
}  // namespace Catch

TEST_CASE("contiguous marks equal a walk of the log after appends, gapped inserts and restarts",
          "[store][marks]") {
  // HOLDFAST_MARKS_SEED=N runs a failure's seed again.
  const char* given = std::getenv("HOLDFAST_MARKS_SEED");
  const auto seed = given ? std::stoul(given) : std::random_device{}();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  TempDir dir("holdfast-marks");
  // Three other nodes' logs to take events from: one sent whole in order, one in shuffled
  // pieces, one only in part (every third event never comes, as a sharing agreement's
  // filter would leave it).
  std::vector<std::vector<Event>> peers;
  for (const char* node : {"provider-1", "provider-2", "police-1"}) {
    peers.push_back(Appended(dir.Sub(node), node, 300));
  }
  std::vector<size_t> order(300);
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::vector<std::vector<size_t>> sending(3, order);
  std::shuffle(sending[1].begin(), sending[1].end(), rng);
  sending[2].erase(
      std::remove_if(sending[2].begin(), sending[2].end(), [](size_t i) { return i % 3 == 1; }),
      sending[2].end());
  std::shuffle(sending[2].begin(), sending[2].end(), rng);
  std::vector<size_t> sent(3, 0);  // of each's sending order

  const std::string mine = dir.Sub("probation-1");
  auto store = OpenStore(mine, "probation-1");
  int restarts = 0;
  for (int step = 0; step < 400; ++step) {
    const int what = std::uniform_int_distribution<int>(0, 9)(rng);
    if (what == 0) {
      store.reset();
      store = OpenStore(mine, "probation-1");
      ++restarts;
    } else if (what <= 3) {
      std::vector<Event> batch;
      const int n = std::uniform_int_distribution<int>(1, 5)(rng);
      for (int i = 0; i < n; ++i) batch.push_back(MakeAttendance("C-1"));
      REQUIRE(store->Append(std::move(batch)).ok());
    } else {
      const size_t p = std::uniform_int_distribution<size_t>(0, 2)(rng);
      const size_t n = std::uniform_int_distribution<size_t>(1, 12)(rng);
      std::vector<Event> batch;
      for (; n > batch.size() && sent[p] < sending[p].size(); ++sent[p]) {
        batch.push_back(Event::CopyOf(peers[p][sending[p][sent[p]]].reader()));
      }
      // Now and then some already held come again (a peer resending after a cut).
      if (sent[p] > 0 && std::uniform_int_distribution<int>(0, 3)(rng) == 0) {
        batch.push_back(Event::CopyOf(peers[p][sending[p][sent[p] - 1]].reader()));
      }
      auto r = store->Insert(std::move(batch));
      INFO(r.status().ToString());
      REQUIRE(r.ok());
    }
    INFO("step " << step);
    REQUIRE(store->ContiguousMarks() == WalkedMarks(*store));
  }
  // And once everything has come: the first two whole, the third up to its first gap.
  for (size_t p = 0; p < 3; ++p) {
    std::vector<Event> rest;
    for (; sent[p] < sending[p].size(); ++sent[p]) {
      rest.push_back(Event::CopyOf(peers[p][sending[p][sent[p]]].reader()));
    }
    REQUIRE(store->Insert(std::move(rest)).ok());
  }
  const VersionVector marks = store->ContiguousMarks();
  CHECK(marks == WalkedMarks(*store));
  CHECK(marks.at("provider-1") == 300);
  CHECK(marks.at("provider-2") == 300);
  CHECK(marks.at("police-1") == 1);
  store.reset();
  store = OpenStore(mine, "probation-1");
  CHECK(store->ContiguousMarks() == marks);
  CHECK(restarts > 10);
}

TEST_CASE("contiguous marks rebuilt at open find gaps in the smaller and the larger origins",
          "[store][marks]") {
  // Open walks origins smallest first until the seqs they lack add up to what the log and
  // the high-water marks say is lacking: gaps in the largest origin, in the smallest, and
  // in both.
  TempDir dir("holdfast-marks");
  const auto big = Appended(dir.Sub("provider-1"), "provider-1", 200);
  const auto small = Appended(dir.Sub("police-1"), "police-1", 40);
  struct Case {
    const char* name;
    std::set<size_t> big_missing, small_missing;
  };
  const std::vector<Case> cases = {{"no gaps", {}, {}},
                                   {"a gap in the larger origin", {150}, {}},
                                   {"a gap in the smaller origin", {}, {0, 7}},
                                   {"gaps in both", {3, 4, 199}, {39}}};
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.name) {
      const std::string path = dir.Sub(std::string("store-") + c.name);
      VersionVector marks;
      {
        auto store = OpenStore(path, "probation-1");
        for (int i = 0; i < 70; ++i) REQUIRE(store->Append(Single(MakeAttendance("C-1"))).ok());
        std::vector<Event> in;
        for (size_t i = 0; i < big.size(); ++i) {
          if (!c.big_missing.count(i)) in.push_back(Event::CopyOf(big[i].reader()));
        }
        for (size_t i = 0; i < small.size(); ++i) {
          if (!c.small_missing.count(i)) in.push_back(Event::CopyOf(small[i].reader()));
        }
        REQUIRE(store->Insert(std::move(in)).ok());
        marks = store->ContiguousMarks();
        REQUIRE(marks == WalkedMarks(*store));
      }
      auto store = OpenStore(path, "probation-1");
      CHECK(store->ContiguousMarks() == marks);
    }
  }
}

TEST_CASE("contiguous marks stay right when concurrent inserts fill each other's gaps",
          "[store][marks]") {
  // Many writers in one commit group, each with every other event of a stretch: each
  // writer's events leave gaps that only the other's fill.
  TempDir dir("holdfast-marks");
  const auto log = Appended(dir.Sub("provider-1"), "provider-1", 2000);
  auto store = OpenStore(dir.Sub("probation-1"), "probation-1");
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  std::vector<Status> failed(kThreads, Status::Ok());
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (size_t start = 0; start < log.size(); start += 40) {
        std::vector<Event> batch;
        for (size_t i = start + t; i < std::min(start + 40, log.size()); i += kThreads) {
          batch.push_back(Event::CopyOf(log[i].reader()));
        }
        auto r = store->Insert(std::move(batch));
        if (!r.ok()) failed[t] = r.status();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& s : failed) REQUIRE(s.ok());
  CHECK(store->ContiguousMarks() == VersionVector{{"provider-1", 2000}});
  CHECK(store->ContiguousMarks() == WalkedMarks(*store));
}
