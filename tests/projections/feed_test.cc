// The alert feed (SPEC "Alerts reach people"): each alert.* event that changes what an alert
// shows, folded in local log order, is one entry under its log position; an event that
// changes nothing shown is none; a rebuild makes the same entries.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "projections/projector.h"
#include "tests/projections/projector_node.h"

namespace holdfast {
namespace {

using testing::ProjectorNode;

struct Seen {
  uint64_t cursor;
  std::string change, status, event;
};

std::vector<Seen> Feed(const ProjectorNode& node, uint64_t after = 0) {
  std::vector<Seen> out;
  REQUIRE(
      node.projector()
          ->ScanFeed(
              after,
              [&](const FeedEntry& e) {
                out.push_back({e.cursor, AlertChangeName(e.change), e.status, FormatUuid(e.event)});
                return true;
              })
          .ok());
  return out;
}

constexpr int64_t kNow = testing::kOccurredAtNanos + 3600LL * 1000000000LL;

TEST_CASE("the feed has one entry per change an alert shows, under its event's position",
          "[feed]") {
  ProjectorNode node("police-1", false, kNow);
  const Uuid alert = RandomUuid();
  node.Append(testing::MakeCaseOpened("C-1"));
  Event raised = testing::MakeAlertRaised("C-1", alert);
  const Uuid raised_id = testing::IdOf(raised);
  node.Append(std::move(raised));
  node.Append(testing::MakeAlertRaised("C-1", alert));  // the same raise time again: no change
  node.Append(testing::MakeAlertAcknowledged(alert));
  node.Append(testing::MakeAlertResolved(alert));
  node.CatchUp();

  const auto feed = Feed(node);
  REQUIRE(feed.size() == 3);
  CHECK(feed[0].change == "raised");
  CHECK(feed[0].status == "open");
  CHECK(feed[0].cursor == node.PositionOf(raised_id));
  CHECK(feed[0].event == FormatUuid(raised_id));
  CHECK(feed[1].change == "acknowledged");
  CHECK(feed[1].status == "acknowledged");
  CHECK(feed[2].change == "resolved");
  CHECK(feed[2].status == "resolved");
  CHECK(feed[2].cursor == node.Last());
  auto end = node.projector()->FeedEnd();
  REQUIRE(end.ok());
  CHECK(*end == node.Last());

  // Resuming after a cursor gives exactly what follows it.
  const auto rest = Feed(node, feed[0].cursor);
  REQUIRE(rest.size() == 2);
  CHECK(rest[0].cursor == feed[1].cursor);
  CHECK(Feed(node, feed[2].cursor).empty());
}

TEST_CASE("an acknowledgement held before its raise shows in the raise's entry", "[feed]") {
  ProjectorNode node("police-1", false, kNow);
  const Uuid alert = RandomUuid();
  node.Append(testing::MakeAlertAcknowledged(alert));
  node.CatchUp();
  CHECK(Feed(node).empty());
  node.Append(testing::MakeAlertRaised("C-1", alert));
  node.Append(testing::MakeAlertWithdrawn(alert));
  node.CatchUp();
  const auto feed = Feed(node);
  REQUIRE(feed.size() == 2);
  CHECK(feed[0].change == "raised");
  CHECK(feed[0].status == "acknowledged");
  CHECK(feed[1].change == "withdrawn");
  CHECK(feed[1].status == "withdrawn");
}

TEST_CASE("a raise that moves a raised alert's raise time is a raise_moved change", "[feed]") {
  ProjectorNode node("police-1", false, kNow);
  const Uuid alert = RandomUuid();
  node.Append(testing::MakeAlertRaised("C-1", alert));
  // A later derivation (recorded later, no basis: it stands) with an earlier raise time.
  Event moved = testing::MakeAlertRaised("C-1", alert);
  moved.builder().getOccurredAt().setUnixNanos(testing::kOccurredAtNanos - 3600LL * 1000000000LL);
  node.Append(std::move(moved));
  node.CatchUp();
  const auto feed = Feed(node);
  REQUIRE(feed.size() == 2);
  CHECK(feed[0].change == "raised");
  CHECK(feed[1].change == "raise_moved");
  CHECK(feed[1].status == "open");
}

TEST_CASE("a rebuild makes the same feed, and listeners hear of new entries", "[feed]") {
  ProjectorNode node("probation-1", true, kNow);
  uint64_t heard = 0;
  const int handle = node.projector()->AddFeedListener([&](uint64_t last) { heard = last; });
  node.Append(testing::MakeCaseOpened("C-1"));
  node.Append(testing::MakeBreach("C-1"));  // the breach rule raises an alert
  node.CatchUp();
  auto before = Feed(node);
  REQUIRE(before.size() == 1);
  CHECK(before[0].change == "raised");
  CHECK(heard == before[0].cursor);

  // Acknowledged, then chunked folds across a restart: one entry each, and a rebuild keeps
  // the cursors and contents.
  auto alerts = node.Alerts();
  REQUIRE(alerts.size() == 1);
  node.Append(testing::MakeAlertAcknowledged(*ParseUuid(alerts.begin()->first)));
  node.CatchUp();
  before = Feed(node);
  REQUIRE(before.size() == 2);
  node.projector()->RemoveFeedListener(handle);
  node.Restart();
  node.Rebuild();
  const auto after = Feed(node);
  REQUIRE(after.size() == before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    CHECK(after[i].cursor == before[i].cursor);
    CHECK(after[i].change == before[i].change);
    CHECK(after[i].status == before[i].status);
    CHECK(after[i].event == before[i].event);
  }
}

}  // namespace
}  // namespace holdfast
