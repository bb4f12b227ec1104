// The projections' one fold (projections/fold.h) on hand-made events, with no store: events
// folded in chunks, each over the rows the chunks before it left (as CatchUp does), leave
// the rows that one fold of every event leaves (as Rebuild does), corrections included.
#include "projections/fold.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>

#include "projections/records.h"
#include "projections/row_keys.h"
#include "tests/projections/timeline.h"

using namespace holdfast;
using namespace holdfast::testing;

namespace {

// A family's rows in memory: what a fold reads as held, and where it writes.
class MemoryRows : public HeldRows, public RowSink {
 public:
  Result<std::optional<std::string>> Get(const std::string& key) const override {
    auto it = rows.find(key);
    if (it == rows.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status Put(std::string_view key, std::string_view value) override {
    rows[std::string(key)] = value;
    written.emplace_back(key);
    return Status::Ok();
  }
  Status Delete(std::string_view key) override {
    rows.erase(std::string(key));
    written.emplace_back(key);
    return Status::Ok();
  }

  std::map<std::string, std::string> rows;
  std::vector<std::string> written;  // every key put or deleted, in order
};

// Folds `events` over what `rows` holds and writes the rows that change into it.
void FoldOver(const std::vector<Fact>& events, MemoryRows* rows) {
  FoldOptions options;
  options.held = rows;
  ProjectionFold fold(options);
  for (const Fact& f : events) fold.Add(f);
  REQUIRE(fold.Settle().ok());
  REQUIRE(fold.EmitRows(rows).ok());
}

// One case with two sessions, the first corrected two days later (another outcome, another
// time), and an incident of its subject.
struct Story {
  Timeline t;
  std::vector<Fact> events;
  Fact absent, excused, attended;

  Story() {
    events.push_back(t.Opened("C-1", "S-1", Risk::STANDARD, kT0));
    events.push_back(t.Referred("C-1", "I-1", kT0 + Day(1)));
    events.push_back(t.Started("C-1", "I-1", kT0 + Day(2)));
    absent = t.Attendance("C-1", "I-1", "I-1/1", Outcome::ABSENT_UNACCEPTABLE, kT0 + Day(9));
    attended = t.Attendance("C-1", "I-1", "I-1/2", Outcome::ATTENDED, kT0 + Day(16));
    excused = t.Attendance("C-1", "I-1", "I-1/1", Outcome::ABSENT_ACCEPTABLE, kT0 + Day(11));
    events.push_back(absent);
    events.push_back(attended);
    events.push_back(excused);
    events.push_back(t.Incident("S-1", "INC-1", Category::DOMESTIC_ABUSE, kT0 + Day(20)));
  }
};

std::map<std::string, std::string> FoldWhole(const std::vector<Fact>& events) {
  MemoryRows rows;
  FoldOver(events, &rows);
  return rows.rows;
}

}  // namespace

TEST_CASE("events folded chunk by chunk over held rows leave the rows of one whole fold",
          "[projections][fold]") {
  Story story;
  const auto whole = FoldWhole(story.events);
  // The standing record of session 1 is the correction, at its own time; the first
  // record's time row is gone.
  StandingRow standing;
  REQUIRE(whole.count(rows::StandingKey("C-1", "I-1/1")) == 1);
  REQUIRE(DecodeStanding(whole.at(rows::StandingKey("C-1", "I-1/1")), &standing));
  CHECK(standing.id == story.excused.id);
  CHECK(whole.count(rows::StandingTimeKey(story.excused.occurred_at, "C-1", "I-1/1")) == 1);
  CHECK(whole.count(rows::StandingTimeKey(story.absent.occurred_at, "C-1", "I-1/1")) == 0);
  CHECK(whole.count(rows::SubjectKey("S-1", "C-1")) == 1);

  std::vector<Fact> order = story.events;
  std::sort(order.begin(), order.end(), [](const Fact& a, const Fact& b) { return a.id < b.id; });
  do {
    for (size_t split = 0; split <= order.size(); ++split) {
      INFO("first chunk: " << split << " events");
      MemoryRows rows;
      FoldOver(std::vector<Fact>(order.begin(), order.begin() + static_cast<long>(split)), &rows);
      FoldOver(std::vector<Fact>(order.begin() + static_cast<long>(split), order.end()), &rows);
      REQUIRE(rows.rows == whole);
    }
  } while (std::next_permutation(order.begin(), order.end(),
                                 [](const Fact& a, const Fact& b) { return a.id < b.id; }));
}

TEST_CASE("a record older than the standing one folded over it writes no attendance row",
          "[projections][fold]") {
  Story story;
  MemoryRows rows;
  FoldOver({story.events[0], story.excused}, &rows);
  rows.written.clear();
  FoldOver({story.absent}, &rows);
  for (const std::string& key : rows.written) {
    INFO(key);
    CHECK(key.rfind(rows::kStandingPrefix, 0) != 0);
    CHECK(key.rfind(rows::kStandingTimePrefix, 0) != 0);
  }
  CHECK(rows.rows == FoldWhole({story.events[0], story.excused, story.absent}));
}
