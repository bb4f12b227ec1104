// Two different events under one (origin, seq): the partnership's logs have split (a node
// gave out seqs again, say after a restore that crashed half-way and left it under its old
// origin). Version vectors cannot show it; a node must find it, stop taking that origin
// from that peer, keep taking the rest, and say so in `sync status`, its log and `store
// verify` (docs/sync-integrity.md). Real holdfastd daemons on loopback; a RawPeer plays a
// peer that lies.
#include <capnp/message.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <stdexcept>

#include "eventstore/event_json.h"
#include "eventstore/event_store.h"
#include "tests/sync/raw_peer.h"
#include "tests/sync/sync_harness.h"

namespace holdfast::synctest {
namespace {

using test::Contains;
using test::TestUuid;

// The JSON line `node` exports for its event under (origin, seq).
std::string ExportedLine(SyncNode& node, const std::string& origin, uint64_t seq) {
  for (const auto& line : node.node().Export()) {
    if (line.empty()) continue;
    auto f = ParseJsonObject(line);
    if (f["origin"] == origin && f["seq"] == std::to_string(seq)) return line;
  }
  throw std::runtime_error(node.id() + " exports no event of origin " + origin + " seq " +
                           std::to_string(seq));
}

// The event of an exported line, under another id, origin and seq.
Event Restamped(const std::string& line, const std::string& id, const std::string& origin,
                uint64_t seq) {
  auto parsed = EventFromJson(line);
  if (!parsed.ok()) throw std::runtime_error(parsed.status().ToString());
  Event e = std::move(parsed).value();
  SetUuid(e.builder().getId(), *ParseUuid(id));
  auto p = e.builder().getProvenance();
  p.setOrigin(origin);
  p.setSeq(seq);
  return e;
}

// A batch answering the node's open pull, as a server would send it.
bool SendBatch(RawPeer& peer, const std::vector<Event>& events, uint64_t through,
               const std::vector<SeqClaim>& skipped = {}) {
  capnp::MallocMessageBuilder m;
  auto batch = m.initRoot<wire::Message>().initBatch();
  auto list = batch.initEvents(static_cast<unsigned>(events.size()));
  for (unsigned i = 0; i < events.size(); ++i) list.setWithCaveats(i, events[i].reader());
  batch.setThrough(through);
  batch.setServerLast(through);
  batch.setBasis(0x5eed);
  auto claims = batch.initSkipped(static_cast<unsigned>(skipped.size()));
  for (unsigned i = 0; i < skipped.size(); ++i) {
    claims[i].setOrigin(skipped[i].origin);
    claims[i].initSeqs(1).set(0, skipped[i].seq);
    SetUuid(claims[i].initIds(1)[0], skipped[i].id);
  }
  return peer.Send(m);
}

// The splits named by the last pull the node sent that named any.
std::vector<std::string> LastNamedSplits(const RawPeer& peer) {
  for (auto it = peer.seen_pulls().rbegin(); it != peer.seen_pulls().rend(); ++it) {
    if (!it->conflicts.empty()) return it->conflicts;
  }
  return {};
}

// Answers the node's pulls with empty batches through `through` (the node gives up a
// batch asked for before its insert was refused) until one names `n` splits; false if
// none does within `limit`.
bool AnswerUntilSplitsNamed(RawPeer& peer, size_t n, uint64_t through, milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  size_t answered = peer.pulls();
  for (;;) {
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (peer.Read(left, [&] { return peer.pulls() > answered; }) != RawPeer::ReadEnd::kEnough) {
      return false;
    }
    if (peer.seen_pulls().back().conflicts.size() == n) return true;
    answered = peer.pulls();
    if (!SendBatch(peer, {}, through)) return false;
  }
}

bool Holds(const SyncNode& node, const std::vector<std::string>& ids) {
  const auto held = IdsOf(node.Export());
  for (const auto& id : ids) {
    if (!held.count(id)) return false;
  }
  return true;
}

TEST_CASE("a peer offering another event under a held seq is no longer taken for that origin",
          "[sync][e2e][split]") {
  AttackedNode t;
  const auto wait = Briefly(milliseconds(10000));
  const auto ghost = t.pki.Node("ghost-1");
  RawPeer peer(t.node.port(), ghost.cert, ghost.key);
  std::string error;
  REQUIRE(peer.Handshake(wait, &error));
  REQUIRE(peer.HelloAndPull("ghost-1"));
  REQUIRE(peer.Read(wait, [&] { return peer.pulls() >= 1; }) == RawPeer::ReadEnd::kEnough);

  // ghost-1 sends two events of its own and, between them, another event under
  // probation-1's seq 5.
  const std::string held_line = ExportedLine(t.node, "probation-1", 5);
  const std::string held = ParseJsonObject(held_line)["id"];
  const std::string forged = TestUuid(0x5e0, 5);
  const std::vector<std::string> own = {TestUuid(0x5e1, 1), TestUuid(0x5e1, 2)};
  auto batch = [&] {
    std::vector<Event> events;
    events.push_back(Restamped(held_line, own[0], "ghost-1", 1));
    events.push_back(Restamped(held_line, forged, "probation-1", 5));
    events.push_back(Restamped(held_line, own[1], "ghost-1", 2));
    return events;
  };
  REQUIRE(SendBatch(peer, batch(), 3));
  // The node asks for the next batch at once, while it stores this one; the store refuses
  // it, and the node pulls again from its checkpoint, naming the split.
  REQUIRE(AnswerUntilSplitsNamed(peer, 1, 3, wait));
  CHECK(peer.seen_pulls().back().after == 0);
  CHECK(LastNamedSplits(peer) == std::vector<std::string>{"probation-1 5 " + held});
  const size_t pulls = peer.pulls();
  REQUIRE(SendBatch(peer, batch(), 3));

  // ghost-1's own events are taken; the other event under probation-1 seq 5 is not.
  CHECK(WaitUntil(wait, [&] { return Holds(t.node, own); }));
  t.events += own.size();
  CHECK(!IdsOf(t.node.Export()).count(forged));
  CHECK_THAT(
      StatusOf(t.node, "ghost-1")["conflict"],
      Catch::Contains("origin probation-1 seq 5: " + held + " here, " + forged + " on the peer"));
  CHECK(t.LogCount("hold two different events under origin probation-1 seq 5") == 1);

  // provider-1 records three events; ghost-1 then says it holds another event under one of
  // their seqs, without sending it (as it would for an event the node's version vector
  // covers).
  t.CheckStillServing(1);
  REQUIRE(peer.Read(wait, [&] { return peer.pulls() > pulls; }) == RawPeer::ReadEnd::kEnough);
  const std::string provider_held = ParseJsonObject(ExportedLine(t.node, "provider-1", 2))["id"];
  const std::string provider_forged = TestUuid(0x5e0, 2);
  REQUIRE(SendBatch(peer, {}, 9, {{"provider-1", 2, *ParseUuid(provider_forged)}}));
  REQUIRE(AnswerUntilSplitsNamed(peer, 2, 9, wait));
  CHECK(peer.seen_pulls().back().after == 3);  // the checkpoint the refused batch left
  CHECK(LastNamedSplits(peer) ==
        std::vector<std::string>{"probation-1 5 " + held, "provider-1 2 " + provider_held});
  const std::string provider_split =
      "origin provider-1 seq 2: " + provider_held + " here, " + provider_forged + " on the peer";
  CHECK(WaitUntil(
      wait, [&] { return Contains(StatusOf(t.node, "ghost-1")["conflict"], provider_split); }));

  // `store verify` is not sound while the split stands, and names it.
  auto verify = t.node.Verify();
  INFO(verify.Describe());
  CHECK(verify.exit != 0);
  CHECK(Contains(verify.out,
                 "sync: peer ghost-1 holds another event under origin probation-1 "
                 "seq 5 (" +
                     held + " here, " + forged + " there)"));
  CHECK(Contains(verify.out, "under origin provider-1 seq 2"));

  // A restart keeps both, before ghost-1 comes back; the node still serves and syncs.
  REQUIRE(t.node.Stop() == 0);
  t.node.Start();
  const auto conflict = StatusOf(t.node, "ghost-1")["conflict"];
  CHECK(Contains(conflict, "origin probation-1 seq 5: " + held));
  CHECK(Contains(conflict, provider_split));
  t.CheckStillServing(2);
}

TEST_CASE("removing a peer forgets its quarantine, and added again, its log is checked afresh",
          "[sync][e2e][split]") {
  TempDir dir;
  Pki pki(dir / "pki");
  SyncNode node(dir.path(), pki, "probation-1", "probation");
  node.Start();
  test::WriteFile(dir / "t.jsonl", AttendanceLines(0x720, 1, 10));
  node.Import(dir / "t.jsonl");
  node.AddPeerLive("ghost-1", "", "all");
  const auto wait = Briefly(milliseconds(10000));
  const auto ghost = pki.Node("ghost-1");
  const std::string held = ParseJsonObject(ExportedLine(node, "probation-1", 1))["id"];
  const Uuid forged = *ParseUuid(TestUuid(0x721, 1));
  // ghost-1 says it skipped another event under probation-1 seq 1 (the node's own).
  auto split = [&](RawPeer& peer) {
    std::string error;
    REQUIRE(peer.Handshake(wait, &error));
    REQUIRE(peer.HelloAndPull("ghost-1"));
    REQUIRE(peer.Read(wait, [&] { return peer.pulls() >= 1; }) == RawPeer::ReadEnd::kEnough);
    CHECK(peer.seen_pulls().front().after == 0);
    REQUIRE(SendBatch(peer, {}, 5, {{"probation-1", 1, forged}}));
    REQUIRE(AnswerUntilSplitsNamed(peer, 1, 5, wait));
  };
  {
    RawPeer peer(node.port(), ghost.cert, ghost.key);
    split(peer);
    CHECK(Contains(StatusOf(node, "ghost-1")["conflict"], "origin probation-1 seq 1: " + held));
    CHECK(node.Verify().exit != 0);
    REQUIRE(node.Operator({"peers", "remove", "--id", "ghost-1"}).exit == 0);
    CHECK(peer.Read(wait) == RawPeer::ReadEnd::kClosed);
  }
  CHECK(WaitUntil(wait, [&] { return node.Verify().exit == 0; }));
  node.AddPeerLive("ghost-1", "", "all");
  CHECK(StatusOf(node, "ghost-1")["conflict"].empty());
  // Its log is pulled again from the start (the checkpoint went with the quarantine), and
  // the split is found again.
  RawPeer peer(node.port(), ghost.cert, ghost.key);
  split(peer);
  CHECK(Contains(StatusOf(node, "ghost-1")["conflict"], "origin probation-1 seq 1: " + held));
}

TEST_CASE("a node giving out seqs again after a broken restore is found out by both sides",
          "[sync][e2e][split]") {
  TempDir dir;
  Pki pki(dir / "pki");
  SyncNode a(dir.path(), pki, "provider-1", "provider");
  SyncNode b(dir.path(), pki, "probation-1", "probation");
  a.AddPeerToConfig(b.id(), b.address(), "all");
  b.AddPeerToConfig(a.id(), "", "all");
  a.Start();
  b.Start();
  test::WriteFile(dir / "first.jsonl", AttendanceLines(0x700, 1, 10));
  test::WriteFile(dir / "lost.jsonl", AttendanceLines(0x701, 1, 2));
  test::WriteFile(dir / "again.jsonl", AttendanceLines(0x702, 1, 3));
  test::WriteFile(dir / "other.jsonl", AttendanceLines(0x703, 1, 3));
  a.Import(dir / "first.jsonl");
  REQUIRE(WaitForSameEvents({&a, &b}, Scaled(milliseconds(20000))) == 10);
  REQUIRE(a.Operator({"store", "backup", dir / "backup"}).exit == 0);
  a.Import(dir / "lost.jsonl");  // provider-1 seq 11 and 12, which probation-1 receives
  REQUIRE(WaitForSameEvents({&a, &b}, Scaled(milliseconds(20000))) == 12);

  // provider-1's store is put back from the backup but, as a restore that crashed half-way
  // could leave it, under its old origin; it records three events (seq 11, 12 and 13 again)
  // before it reconnects.
  REQUIRE(b.Stop() == 0);
  REQUIRE(a.Stop() == 0);
  const std::string store = a.node().data_dir() + "/store";
  std::filesystem::remove_all(store);
  std::filesystem::copy(dir / "backup", store, std::filesystem::copy_options::recursive);
  a.Start();
  a.Import(dir / "again.jsonl");
  b.Start();
  REQUIRE(a.Operator({"sync", "now"}).exit == 0);

  // provider-1 finds probation-1 holding other events under its seqs, and tells it.
  const std::string lost = TestUuid(0x701, 1), again = TestUuid(0x702, 1);
  const auto limit = Briefly(milliseconds(15000));
  CHECK(WaitUntil(limit, [&] {
    return Contains(StatusOf(a, b.id())["conflict"],
                    "origin provider-1 seq 11: " + again + " here, " + lost + " on the peer");
  }));
  CHECK(WaitUntil(limit, [&] {
    return Contains(StatusOf(b, a.id())["conflict"],
                    "origin provider-1 seq 11: " + lost + " here, " + again + " on the peer");
  }));
  CHECK(Contains(a.Log(), "hold two different events under origin provider-1 seq 11"));
  CHECK(Contains(b.Log(), "hold two different events under origin provider-1 seq 11"));
  for (SyncNode* n : {&a, &b}) {
    auto verify = n->Verify();
    INFO(n->id() << ": " << verify.Describe());
    CHECK(verify.exit != 0);
    CHECK(Contains(verify.out, "under origin provider-1 seq 11"));
  }

  // Other origins still sync: probation-1's new events reach provider-1.
  b.Import(dir / "other.jsonl");
  CHECK(WaitUntil(limit, [&] {
    return Holds(a, {TestUuid(0x703, 1), TestUuid(0x703, 2), TestUuid(0x703, 3)});
  }));
}

}  // namespace
}  // namespace holdfast::synctest
