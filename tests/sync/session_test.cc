// SyncSession, the replication state machine, driven directly: no sockets, no store. A fake
// SessionEffects records what the session asks for (sends, log reads, inserts, a close) and
// the tests feed the peer's messages and the effects' results back by hand, checking the
// protocol of sync/sync.capnp step by step.
#include "sync/session.h"

#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/serialize.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/eventstore/test_events.h"

namespace holdfast {
namespace {

using testing::MakeAttendance;
using testing::MakeBreach;
using testing::MakeCaseClosed;
using testing::MakeCaseOpened;

// An event as it travels between nodes: with its origin's provenance.
Event FromOrigin(Event e, const std::string& origin, uint64_t seq) {
  auto p = e.builder().initProvenance();
  p.setOrigin(origin);
  p.setSeq(seq);
  p.initRecordedAt().setValue(HlcPack(1741111200000ULL + seq, 0));
  return e;
}

std::vector<Event> Attendances(const std::string& origin, uint64_t first_seq, size_t n) {
  std::vector<Event> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(FromOrigin(MakeAttendance("C-1"), origin, first_seq + i));
  }
  return out;
}

// A message the session sent, decoded again from its flat bytes (as the peer would).
class SentMessage {
 public:
  explicit SentMessage(capnp::MessageBuilder& builder)
      : words_(capnp::messageToFlatArray(builder)),
        reader_(std::make_unique<capnp::FlatArrayMessageReader>(words_.asPtr())) {}
  wire::Message::Reader get() const { return reader_->getRoot<wire::Message>(); }

 private:
  kj::Array<capnp::word> words_;
  std::unique_ptr<capnp::FlatArrayMessageReader> reader_;
};

struct ReadRequest {
  uint64_t after;
  uint32_t max;
  VersionVector peer_held;
};

struct InsertRequest {
  std::vector<Uuid> ids;
  uint64_t through;
  uint64_t basis;
  std::vector<SeqClaim> skipped;
  Quarantine quarantine;
};

class FakeEffects : public SessionEffects {
 public:
  void Send(capnp::MessageBuilder& message) override {
    sent.push_back(std::make_unique<SentMessage>(message));
  }
  void ReadChanges(uint64_t after, uint32_t max_events, const VersionVector& peer_held) override {
    reads.push_back({after, max_events, peer_held});
  }
  void Insert(PeerBatch batch) override {
    InsertRequest r{{}, batch.through, batch.basis, batch.skipped, batch.quarantine};
    for (const auto& e : batch.events) r.ids.push_back(ToUuid(e.reader().getId()));
    inserts.push_back(std::move(r));
  }
  void CheckClaims(std::vector<SeqClaim> claims) override { checks.push_back(std::move(claims)); }
  void QuarantineChanged(const std::vector<SeqConflict>& added) override {
    quarantined.push_back(added);
  }
  void Close(const std::string& why) override { closes.push_back(why); }
  VersionVector Held() override { return held; }

  wire::Message::Reader Last() const {
    REQUIRE(!sent.empty());
    return sent.back()->get();
  }

  std::vector<std::unique_ptr<SentMessage>> sent;
  std::vector<ReadRequest> reads;
  std::vector<InsertRequest> inserts;
  std::vector<std::vector<SeqClaim>> checks;
  std::vector<std::vector<SeqConflict>> quarantined;
  std::vector<std::string> closes;
  VersionVector held;
};

// Messages from the peer, built as the peer's session would build them.
class PeerMessage {
 public:
  wire::Message::Builder root() { return builder_.initRoot<wire::Message>(); }
  wire::Message::Reader reader() { return builder_.getRoot<wire::Message>().asReader(); }

 private:
  capnp::MallocMessageBuilder builder_;
};

void SetHeld(capnp::List<wire::OriginSeq>::Builder list, const VersionVector& held) {
  unsigned i = 0;
  for (const auto& [origin, seq] : held) {
    list[i].setOrigin(origin);
    list[i].setSeq(seq);
    ++i;
  }
}

// Claims grouped by origin in the order met, as a server's batch or pull carries them.
using ClaimGroups = std::vector<std::pair<std::string, std::vector<SeqClaim>>>;
ClaimGroups ByOrigin(const std::vector<SeqClaim>& claims) {
  ClaimGroups out;
  for (const auto& c : claims) {
    auto it =
        std::find_if(out.begin(), out.end(), [&](const auto& g) { return g.first == c.origin; });
    if (it == out.end()) it = out.insert(out.end(), {c.origin, {}});
    it->second.push_back(c);
  }
  return out;
}

void SetClaims(capnp::List<wire::SeqClaims>::Builder list, const ClaimGroups& groups) {
  for (unsigned i = 0; i < groups.size(); ++i) {
    const auto& [origin, claims] = groups[i];
    list[i].setOrigin(origin);
    auto seqs = list[i].initSeqs(static_cast<unsigned>(claims.size()));
    auto ids = list[i].initIds(static_cast<unsigned>(claims.size()));
    for (unsigned j = 0; j < claims.size(); ++j) {
      seqs.set(j, claims[j].seq);
      SetUuid(ids[j], claims[j].id);
    }
  }
}

std::vector<SeqClaim> ClaimsOf(capnp::List<wire::SeqClaims>::Reader list) {
  std::vector<SeqClaim> out;
  for (auto c : list) {
    REQUIRE(c.getSeqs().size() == c.getIds().size());
    for (unsigned i = 0; i < c.getSeqs().size(); ++i)
      out.push_back({c.getOrigin(), c.getSeqs()[i], ToUuid(c.getIds()[i])});
  }
  return out;
}

void FeedHello(SyncSession& s, const std::string& node, const VersionVector& held = {},
               uint64_t last = 0, uint32_t protocol = wire::PROTOCOL_VERSION, uint64_t basis = 0) {
  PeerMessage m;
  auto hello = m.root().initHello();
  hello.setProtocol(protocol);
  hello.setBasis(basis);
  hello.setNodeId(node);
  hello.setLastPosition(last);
  SetHeld(hello.initHeld(static_cast<unsigned>(held.size())), held);
  s.OnMessage(m.reader());
}

void FeedPull(SyncSession& s, uint64_t after, uint32_t max = SyncSession::kMaxBatch,
              const VersionVector& held = {}, const std::vector<SeqClaim>& conflicts = {}) {
  PeerMessage m;
  auto pull = m.root().initPull();
  const auto groups = ByOrigin(conflicts);
  SetClaims(pull.initConflicts(static_cast<unsigned>(groups.size())), groups);
  pull.setAfter(after);
  pull.setMaxEvents(max);
  SetHeld(pull.initHeld(static_cast<unsigned>(held.size())), held);
  s.OnMessage(m.reader());
}

void FeedBatch(SyncSession& s, const std::vector<Event>& events, uint64_t through,
               uint64_t server_last, uint64_t basis = 0,
               const std::vector<SeqClaim>& skipped = {}) {
  PeerMessage m;
  auto batch = m.root().initBatch();
  batch.setBasis(basis);
  const auto groups = ByOrigin(skipped);
  SetClaims(batch.initSkipped(static_cast<unsigned>(groups.size())), groups);
  auto list = batch.initEvents(static_cast<unsigned>(events.size()));
  for (size_t i = 0; i < events.size(); ++i) {
    list.setWithCaveats(static_cast<unsigned>(i), events[i].reader());
  }
  batch.setThrough(through);
  batch.setServerLast(server_last);
  s.OnMessage(m.reader());
}

VersionVector HeldOf(capnp::List<wire::OriginSeq>::Reader list) {
  VersionVector out;
  for (auto h : list) out[h.getOrigin()] = h.getSeq();
  return out;
}

// A session of "probation-1" with its peer "provider-1" whose hellos have been exchanged:
// it has sent its hello and its first pull (after `checkpoint`).
struct Linked {
  FakeEffects fx;
  SyncSession session;
  explicit Linked(uint64_t checkpoint = 0, VersionVector held = {{"probation-1", 7}})
      : session("probation-1", "provider-1", checkpoint, &fx) {
    fx.held = std::move(held);
    session.Start(fx.held, 7);
    FeedHello(session, "provider-1", {{"provider-1", 40}}, 40);
  }
};

TEST_CASE("a session opens with its hello: protocol, node id, version vector, log length",
          "[sync][session]") {
  FakeEffects fx;
  SyncSession s("probation-1", "provider-1", 0, &fx);
  s.Start({{"probation-1", 12}, {"police-1", 3}}, 15);
  REQUIRE(fx.sent.size() == 1);
  auto m = fx.Last();
  REQUIRE(m.isHello());
  CHECK(m.getHello().getProtocol() == wire::PROTOCOL_VERSION);
  CHECK(std::string(m.getHello().getNodeId()) == "probation-1");
  CHECK(m.getHello().getLastPosition() == 15);
  CHECK(HeldOf(m.getHello().getHeld()) == VersionVector{{"probation-1", 12}, {"police-1", 3}});
  CHECK(fx.reads.empty());
  CHECK(fx.closes.empty());
}

TEST_CASE("after the peer's hello the session pulls from its checkpoint with its version vector",
          "[sync][session]") {
  Linked l(/*checkpoint=*/25, {{"probation-1", 7}, {"provider-1", 30}});
  REQUIRE(l.fx.sent.size() == 2);
  auto m = l.fx.Last();
  REQUIRE(m.isPull());
  CHECK(m.getPull().getAfter() == 25);
  CHECK(m.getPull().getMaxEvents() == SyncSession::kMaxBatch);
  CHECK(HeldOf(m.getPull().getHeld()) == VersionVector{{"probation-1", 7}, {"provider-1", 30}});
  CHECK(l.session.peer_last() == 40);
  CHECK(l.session.checkpoint() == 25);
  CHECK(!l.session.closed());
  CHECK(l.fx.reads.empty());  // nothing is served before the peer asks
}

TEST_CASE("a batch before the session pulled closes it", "[sync][session]") {
  FakeEffects fx;
  SyncSession s("probation-1", "provider-1", 0, &fx);
  s.Start({}, 0);
  FeedBatch(s, Attendances("provider-1", 1, 2), 2, 2);
  CHECK(s.closed());
  REQUIRE(fx.closes.size() == 1);
  CHECK(fx.inserts.empty());
}

TEST_CASE("the next batch is pulled while one is inserted, waits its turn, and no third comes",
          "[sync][session]") {
  Linked l;
  FeedBatch(l.session, Attendances("provider-1", 1, 2), 2, 40);
  REQUIRE(l.fx.inserts.size() == 1);
  // Pipelined: the next pull goes out before the insert is durable.
  REQUIRE(l.fx.Last().isPull());
  CHECK(l.fx.Last().getPull().getAfter() == 2);
  CHECK(l.session.checkpoint() == 0);
  const size_t sent = l.fx.sent.size();
  FeedBatch(l.session, Attendances("provider-1", 3, 2), 4, 40);
  CHECK(!l.session.closed());
  CHECK(l.fx.inserts.size() == 1);  // waits behind the first insert
  CHECK(l.fx.sent.size() == sent);  // and nothing more is asked for meanwhile
  l.session.OnInserted(Status::Ok(), 2, 2);
  CHECK(l.session.checkpoint() == 2);
  REQUIRE(l.fx.inserts.size() == 2);  // the waiting batch goes in, in order
  CHECK(l.fx.inserts[1].through == 4);
  REQUIRE(l.fx.Last().isPull());
  CHECK(l.fx.Last().getPull().getAfter() == 4);
  FeedBatch(l.session, Attendances("provider-1", 5, 2), 6, 40);
  FeedBatch(l.session, Attendances("provider-1", 7, 2), 8, 40);  // nobody asked for it
  CHECK(l.session.closed());
  CHECK(l.fx.closes.size() == 1);
  CHECK(l.fx.inserts.size() == 2);
}

TEST_CASE("a second hello closes the session", "[sync][session]") {
  Linked l;
  FeedHello(l.session, "provider-1");
  CHECK(l.session.closed());
  REQUIRE(l.fx.closes.size() == 1);
  CHECK_THAT(l.fx.closes[0], Catch::Contains("hello"));
}

TEST_CASE("a hello naming a node other than the certificate's closes the session",
          "[sync][session]") {
  FakeEffects fx;
  SyncSession s("probation-1", "provider-1", 0, &fx);
  s.Start({}, 0);
  FeedHello(s, "police-1");
  CHECK(s.closed());
  REQUIRE(fx.closes.size() == 1);
  CHECK_THAT(fx.closes[0], Catch::Contains("police-1") && Catch::Contains("provider-1"));
  // No pull is sent, and a pull that follows is not served.
  CHECK(fx.sent.size() == 1);
  FeedPull(s, 0);
  CHECK(fx.reads.empty());
}

TEST_CASE("the reason a session closes is one line, whatever the peer put in its messages",
          "[sync][session]") {
  // Found by tests/fuzz/fuzz_sync_session: a node id or goodbye with a line break in it
  // went into the link's log line and its last error as it was, forging log lines.
  SECTION("a hello naming a node with a line break") {
    FakeEffects fx;
    SyncSession s("probation-1", "provider-1", 0, &fx);
    s.Start({}, 0);
    FeedHello(s, "no\ne-b");
    REQUIRE(fx.closes.size() == 1);
    CHECK(fx.closes[0].find('\n') == std::string::npos);
    CHECK_THAT(fx.closes[0], Catch::Contains("no\\ne-b"));
  }
  SECTION("a goodbye with a line break and an escape sequence") {
    Linked l;
    PeerMessage m;
    m.root().setGoodbye("bye\n2026-12-06 [info] forged\x1b[2J");
    l.session.OnMessage(m.reader());
    REQUIRE(l.fx.closes.size() == 1);
    CHECK(l.fx.closes[0] == "peer closed: bye\\n2026-12-06 [info] forged\\x1b[2J");
  }
}

TEST_CASE("a hello of another protocol version closes the session", "[sync][session]") {
  FakeEffects fx;
  SyncSession s("probation-1", "provider-1", 0, &fx);
  s.Start({}, 0);
  FeedHello(s, "provider-1", {}, 0, wire::PROTOCOL_VERSION + 1);
  CHECK(s.closed());
  CHECK(fx.closes.size() == 1);
  CHECK(fx.sent.size() == 1);
}

TEST_CASE("a pull before the hello closes the session", "[sync][session]") {
  FakeEffects fx;
  SyncSession s("probation-1", "provider-1", 0, &fx);
  s.Start({}, 0);
  FeedPull(s, 0);
  CHECK(s.closed());
  CHECK(fx.closes.size() == 1);
  CHECK(fx.reads.empty());
}

TEST_CASE("a second pull while one is open closes the session", "[sync][session]") {
  SECTION("while the first is being read") {
    Linked l;
    FeedPull(l.session, 0);
    REQUIRE(l.fx.reads.size() == 1);
    FeedPull(l.session, 0);
    CHECK(l.session.closed());
    CHECK(l.fx.closes.size() == 1);
  }
  SECTION("while the first is held for want of news") {
    Linked l;
    FeedPull(l.session, 7);
    REQUIRE(l.fx.reads.size() == 1);
    l.session.OnChanges({}, 7, 7);  // nothing new: held
    CHECK(!l.session.closed());
    FeedPull(l.session, 7);
    CHECK(l.session.closed());
    CHECK(l.fx.closes.size() == 1);
  }
}

TEST_CASE("a pull is read with its position, its clamped size and the peer's version vector",
          "[sync][session]") {
  Linked l;
  // The hello said provider-1 holds 40 of its own; the pull adds what it got meanwhile.
  FeedPull(l.session, 3, 10, {{"probation-1", 2}, {"provider-1", 35}});
  REQUIRE(l.fx.reads.size() == 1);
  CHECK(l.fx.reads[0].after == 3);
  CHECK(l.fx.reads[0].max == 10);
  CHECK(l.fx.reads[0].peer_held == VersionVector{{"probation-1", 2}, {"provider-1", 40}});
  CHECK(l.session.peer_pulled_after() == 3);

  l.session.OnChanges({}, 5, 7);  // filtered out: an empty batch still moves the peer on
  auto m = l.fx.Last();
  REQUIRE(m.isBatch());
  CHECK(m.getBatch().getEvents().size() == 0);
  CHECK(m.getBatch().getThrough() == 5);

  FeedPull(l.session, 5, 0);
  REQUIRE(l.fx.reads.size() == 2);
  CHECK(l.fx.reads[1].max == 1);
  l.session.OnChanges(Attendances("probation-1", 3, 1), 6, 7);
  FeedPull(l.session, 6, 1000000);
  REQUIRE(l.fx.reads.size() == 3);
  CHECK(l.fx.reads[2].max == SyncSession::kMaxBatch);
  CHECK(!l.session.closed());
}

TEST_CASE("a held pull is served after a local append", "[sync][session]") {
  Linked l;
  FeedPull(l.session, 7);
  REQUIRE(l.fx.reads.size() == 1);
  const size_t sent_before = l.fx.sent.size();
  l.session.OnChanges({}, 7, 7);
  CHECK(l.fx.sent.size() == sent_before);  // held: no empty batch

  l.session.OnLocalAppend();
  REQUIRE(l.fx.reads.size() == 2);
  CHECK(l.fx.reads[1].after == 7);
  auto events = Attendances("probation-1", 8, 3);
  const Uuid first = ToUuid(events[0].reader().getId());
  l.session.OnChanges(std::move(events), 10, 10);
  REQUIRE(l.fx.sent.size() == sent_before + 1);
  auto m = l.fx.Last();
  REQUIRE(m.isBatch());
  CHECK(m.getBatch().getEvents().size() == 3);
  CHECK(ToUuid(m.getBatch().getEvents()[0].getId()) == first);
  CHECK(m.getBatch().getThrough() == 10);
  CHECK(m.getBatch().getServerLast() == 10);

  // Served: a later append reads nothing until the peer pulls again.
  l.session.OnLocalAppend();
  CHECK(l.fx.reads.size() == 2);
}

TEST_CASE("an append during a read is not missed", "[sync][session]") {
  Linked l;
  FeedPull(l.session, 7);
  REQUIRE(l.fx.reads.size() == 1);
  l.session.OnLocalAppend();  // lands after the read's scan has passed the end
  CHECK(l.fx.reads.size() == 1);
  l.session.OnChanges({}, 7, 7);
  REQUIRE(l.fx.reads.size() == 2);  // read again at once
  CHECK(l.fx.reads[1].after == 7);
  l.session.OnChanges(Attendances("probation-1", 8, 1), 8, 8);
  CHECK(l.fx.Last().isBatch());
}

TEST_CASE("an inserted batch advances the checkpoint and pulls again from its through",
          "[sync][session]") {
  Linked l(/*checkpoint=*/4);
  auto events = Attendances("provider-1", 5, 4);
  std::vector<Uuid> ids;
  for (const auto& e : events) ids.push_back(ToUuid(e.reader().getId()));
  l.fx.held = {{"probation-1", 7}, {"provider-1", 44}};
  FeedBatch(l.session, events, 12, 50);
  REQUIRE(l.fx.inserts.size() == 1);
  CHECK(l.fx.inserts[0].ids == ids);
  CHECK(l.fx.inserts[0].through == 12);
  CHECK(l.session.checkpoint() == 4);  // not before the insert is durable
  CHECK(l.session.peer_last() == 50);
  // The next pull starts from the batch's through at once, carrying the held vector.
  auto m = l.fx.Last();
  REQUIRE(m.isPull());
  CHECK(m.getPull().getAfter() == 12);
  CHECK(HeldOf(m.getPull().getHeld()) == l.fx.held);
  const size_t sent_before = l.fx.sent.size();

  l.session.OnInserted(Status::Ok(), 12, 4);
  CHECK(l.session.checkpoint() == 12);
  CHECK(l.fx.sent.size() == sent_before);  // that pull is still open: no second one
  CHECK(!l.session.closed());
}

TEST_CASE("events that came from the peer are not offered back to it", "[sync][session]") {
  // provider-1's pull is held here; then a batch of its own events (and some it relayed)
  // arrives on the same link. The held pull is read with a version vector that counts
  // them as provider-1's, so they are not echoed back.
  Linked l;
  FeedPull(l.session, 7, SyncSession::kMaxBatch, {{"provider-1", 40}, {"police-1", 2}});
  l.session.OnChanges({}, 7, 7);  // held
  std::vector<Event> events = Attendances("provider-1", 41, 3);
  for (auto& e : Attendances("police-1", 4, 1)) events.push_back(std::move(e));  // a gap: 3
  for (auto& e : Attendances("police-1", 3, 1)) events.push_back(std::move(e));  // out of order
  for (auto& e : Attendances("police-1", 6, 1)) events.push_back(std::move(e));  // after a gap
  FeedBatch(l.session, events, 20, 50);
  REQUIRE(l.fx.inserts.size() == 1);
  l.session.OnInserted(Status::Ok(), 20, 6);
  l.session.OnLocalAppend();  // the insert wakes the held pull
  REQUIRE(l.fx.reads.size() == 2);
  CHECK(l.fx.reads[1].peer_held == VersionVector{{"provider-1", 43}, {"police-1", 4}});
  CHECK(!l.session.closed());
}

TEST_CASE("a checkpoint is kept under its basis and given up under another", "[sync][session]") {
  constexpr uint64_t kOld = 0x1111, kNew = 0x2222;
  SECTION("a batch under the same basis moves the checkpoint on") {
    FakeEffects fx;
    SyncSession s("police-1", "probation-1", 30, &fx, kOld);
    s.Start({}, 0);
    FeedHello(s, "probation-1", {}, 90, wire::PROTOCOL_VERSION, kOld);
    CHECK(fx.Last().getPull().getAfter() == 30);
    FeedBatch(s, Attendances("probation-1", 1, 1), 40, 90, kOld);
    REQUIRE(fx.inserts.size() == 1);
    CHECK(fx.inserts[0].through == 40);
    CHECK(fx.inserts[0].basis == kOld);
  }
  SECTION("a hello under another basis: the pull starts from 0") {
    // The peer's filter for this node changed (or its log did) while they were apart.
    FakeEffects fx;
    SyncSession s("police-1", "probation-1", 30, &fx, kOld);
    s.Start({}, 0);
    FeedHello(s, "probation-1", {}, 90, wire::PROTOCOL_VERSION, kNew);
    REQUIRE(fx.Last().isPull());
    CHECK(fx.Last().getPull().getAfter() == 0);
    FeedBatch(s, Attendances("probation-1", 1, 1), 12, 90, kNew);
    REQUIRE(fx.inserts.size() == 1);
    CHECK(fx.inserts[0].through == 12);
    CHECK(fx.inserts[0].basis == kNew);  // the new basis is stored with the checkpoint
    CHECK(!s.closed());
  }
  SECTION("a batch under another basis: its events are kept, the checkpoint goes to 0") {
    FakeEffects fx;
    SyncSession s("police-1", "probation-1", 30, &fx, kOld);
    s.Start({}, 0);
    FeedHello(s, "probation-1", {}, 90, wire::PROTOCOL_VERSION, kOld);
    FeedBatch(s, Attendances("probation-1", 1, 2), 30, 90, kNew);  // empty or not
    REQUIRE(fx.inserts.size() == 1);
    CHECK(fx.inserts[0].ids.size() == 2);
    CHECK(fx.inserts[0].through == 0);
    CHECK(fx.inserts[0].basis == kNew);
    s.OnInserted(Status::Ok(), 0, 2);
    CHECK(s.checkpoint() == 0);
    REQUIRE(fx.Last().isPull());
    CHECK(fx.Last().getPull().getAfter() == 0);
    // From then on the new basis is the checkpoint's.
    FeedBatch(s, {}, 50, 90, kNew);
    REQUIRE(fx.inserts.size() == 2);
    CHECK(fx.inserts[1].through == 50);
  }
  SECTION("a checkpoint of unknown basis takes the peer's without starting over") {
    FakeEffects fx;
    SyncSession s("police-1", "probation-1", 30, &fx);  // stored before bases existed
    s.Start({}, 0);
    FeedHello(s, "probation-1", {}, 90, wire::PROTOCOL_VERSION, kNew);
    CHECK(fx.Last().getPull().getAfter() == 30);
    FeedBatch(s, {}, 35, 90, kNew);
    REQUIRE(fx.inserts.size() == 1);
    CHECK(fx.inserts[0].through == 35);
    CHECK(fx.inserts[0].basis == kNew);
  }
  SECTION("a peer that gives no basis changes nothing") {
    FakeEffects fx;
    SyncSession s("police-1", "probation-1", 30, &fx, kOld);
    s.Start({}, 0);
    FeedHello(s, "probation-1", {}, 90);
    CHECK(fx.Last().getPull().getAfter() == 30);
    FeedBatch(s, {}, 35, 90);
    REQUIRE(fx.inserts.size() == 1);
    CHECK(fx.inserts[0].through == 35);
    CHECK(fx.inserts[0].basis == kOld);
  }
}

TEST_CASE("a server tells the peer its basis, and answers a held pull when it changes",
          "[sync][session]") {
  FakeEffects fx;
  SyncSession s("probation-1", "police-1", 0, &fx);
  s.Start({}, 7, 0xaaaa);
  REQUIRE(fx.Last().isHello());
  CHECK(fx.Last().getHello().getBasis() == 0xaaaa);
  FeedHello(s, "police-1");
  FeedPull(s, 7);
  REQUIRE(fx.reads.size() == 1);
  const size_t sent = fx.sent.size();
  s.OnChanges({}, 7, 7, 0xaaaa);
  CHECK(fx.sent.size() == sent);  // nothing new, same basis: held
  s.OnLocalAppend();              // what the sync manager does when the filter changes
  REQUIRE(fx.reads.size() == 2);
  s.OnChanges({}, 7, 7, 0xbbbb);
  REQUIRE(fx.sent.size() == sent + 1);
  REQUIRE(fx.Last().isBatch());
  CHECK(fx.Last().getBatch().getEvents().size() == 0);
  CHECK(fx.Last().getBatch().getThrough() == 7);
  CHECK(fx.Last().getBatch().getBasis() == 0xbbbb);
  // Told once: the next empty read under that basis is held again.
  FeedPull(s, 0);
  s.OnChanges({}, 0, 7, 0xbbbb);
  CHECK(fx.sent.size() == sent + 1);
}

TEST_CASE("a batch that goes back before the checkpoint closes the session", "[sync][session]") {
  Linked l(/*checkpoint=*/20);
  FeedBatch(l.session, Attendances("provider-1", 1, 1), 19, 40);
  CHECK(l.session.closed());
  CHECK(l.fx.inserts.empty());
}

TEST_CASE("a batch larger than a pull may ask for closes the session", "[sync][session]") {
  Linked l;
  FeedBatch(l.session, Attendances("provider-1", 1, SyncSession::kMaxBatch + 1),
            SyncSession::kMaxBatch + 1, 40);
  CHECK(l.session.closed());
  CHECK(l.fx.inserts.empty());
}

TEST_CASE("a batch holding an event without provenance closes the session", "[sync][session]") {
  Linked l;
  std::vector<Event> events = Attendances("provider-1", 1, 1);
  events.push_back(MakeBreach("C-1"));  // never stored anywhere: no origin, no seq
  FeedBatch(l.session, events, 2, 40);
  CHECK(l.session.closed());
  CHECK(l.fx.inserts.empty());
}

TEST_CASE("a failed insert closes the session and keeps the checkpoint", "[sync][session]") {
  Linked l(/*checkpoint=*/3);
  FeedBatch(l.session, Attendances("provider-1", 4, 2), 9, 40);
  REQUIRE(l.fx.inserts.size() == 1);
  const size_t sent_before = l.fx.sent.size();
  l.session.OnInserted(Status::IoError("disk full"), 9, 0);
  CHECK(l.session.closed());
  REQUIRE(l.fx.closes.size() == 1);
  CHECK_THAT(l.fx.closes[0], Catch::Contains("disk full"));
  CHECK(l.session.checkpoint() == 3);
  CHECK(l.fx.sent.size() == sent_before);  // no further pull
}

TEST_CASE("a goodbye closes the session with the peer's reason", "[sync][session]") {
  Linked l;
  PeerMessage m;
  m.root().setGoodbye("node stopping");
  l.session.OnMessage(m.reader());
  CHECK(l.session.closed());
  REQUIRE(l.fx.closes.size() == 1);
  CHECK_THAT(l.fx.closes[0], Catch::Contains("node stopping"));
}

TEST_CASE("a message of a kind this version does not know closes the session", "[sync][session]") {
  Linked l;
  PeerMessage m;
  auto root = m.root();
  root.setGoodbye("");
  // The union's discriminant is the first 16 bits of Message's data section; 7 is no member.
  capnp::AnyStruct::Builder any = capnp::toAny(root);
  any.getDataSection()[0] = 7;
  any.getDataSection()[1] = 0;
  l.session.OnMessage(m.reader());
  CHECK(l.session.closed());
  CHECK(l.fx.closes.size() == 1);
}

TEST_CASE("a closed session does nothing more", "[sync][session]") {
  Linked l;
  FeedPull(l.session, 7);
  FeedHello(l.session, "provider-1");  // closes it
  REQUIRE(l.session.closed());
  const size_t sent = l.fx.sent.size(), reads = l.fx.reads.size();
  l.session.OnChanges(Attendances("probation-1", 8, 1), 8, 8);
  l.session.OnLocalAppend();
  FeedPull(l.session, 8);
  FeedBatch(l.session, Attendances("provider-1", 1, 1), 1, 1);
  l.session.OnInserted(Status::Ok(), 1, 1);
  CHECK(l.fx.sent.size() == sent);
  CHECK(l.fx.reads.size() == reads);
  CHECK(l.fx.inserts.empty());
  CHECK(l.fx.closes.size() == 1);
}

TEST_CASE("ShouldSend respects the peer's filter and version vector", "[sync][session]") {
  const PeerFilter police = *PeerFilter::Parse("alert.,breach.,case.opened");
  const PeerFilter everything = *PeerFilter::Parse("*");
  const Event attendance = FromOrigin(MakeAttendance("C-1"), "provider-1", 5);
  const Event breach = FromOrigin(MakeBreach("C-1"), "probation-1", 5);
  const Event opened = FromOrigin(MakeCaseOpened("C-1"), "probation-1", 6);
  const Event closed = FromOrigin(MakeCaseClosed("C-1"), "probation-1", 7);

  CHECK(ShouldSend(attendance.reader(), everything, {}));
  CHECK(!ShouldSend(attendance.reader(), police, {}));
  CHECK(ShouldSend(breach.reader(), police, {}));
  CHECK(ShouldSend(opened.reader(), police, {}));
  CHECK(!ShouldSend(closed.reader(), police, {}));  // "case.opened" is not "case."

  // The version vector: the peer holds every event of an origin up to its mark.
  CHECK(!ShouldSend(breach.reader(), everything, {{"probation-1", 5}}));
  CHECK(!ShouldSend(breach.reader(), everything, {{"probation-1", 9}}));
  CHECK(ShouldSend(breach.reader(), everything, {{"probation-1", 4}}));
  CHECK(ShouldSend(breach.reader(), everything, {{"provider-1", 9}}));  // other origins
  CHECK(!ShouldSend(attendance.reader(), police, {{"probation-1", 9}}));
  // What is left out for the version vector is named in the batch; what the filter keeps
  // back is not.
  CHECK(ServingOf(breach.reader(), everything, {{"probation-1", 5}}) == Serving::kPeerHolds);
  CHECK(ServingOf(attendance.reader(), police, {{"provider-1", 9}}) == Serving::kFiltered);
  CHECK(ServingOf(breach.reader(), police, {}) == Serving::kSend);
}

// --- Two events under one (origin, seq): a split between two nodes' logs -------------------

Uuid IdOf(const Event& e) { return ToUuid(e.reader().getId()); }

std::vector<Uuid> IdsOf(const std::vector<Event>& events) {
  std::vector<Uuid> out;
  for (const auto& e : events) out.push_back(IdOf(e));
  return out;
}

std::vector<Event> Mixed(const std::vector<std::pair<std::string, uint64_t>>& which) {
  std::vector<Event> out;
  for (const auto& [origin, seq] : which)
    out.push_back(FromOrigin(MakeAttendance("C-1"), origin, seq));
  return out;
}

std::vector<Event> Copies(const std::vector<Event>& events) {
  std::vector<Event> out;
  for (const auto& e : events) out.push_back(Event::CopyOf(e.reader()));
  return out;
}

TEST_CASE("a batch's skipped events go to the insert to be checked", "[sync][session][split]") {
  Linked l;
  const std::vector<SeqClaim> skipped = {{"probation-1", 3, RandomUuid()},
                                         {"probation-1", 4, RandomUuid()},
                                         {"police-1", 1, RandomUuid()}};
  FeedBatch(l.session, Attendances("provider-1", 41, 1), 10, 40, 0, skipped);
  REQUIRE(l.fx.inserts.size() == 1);
  CHECK(l.fx.inserts[0].skipped == skipped);
  CHECK(l.fx.inserts[0].quarantine.empty());
  CHECK(!l.session.closed());
}

TEST_CASE("a server names the events it leaves out because the peer holds their seqs",
          "[sync][session][split]") {
  Linked l;
  FeedPull(l.session, 7);
  const std::vector<SeqClaim> skipped = {{"provider-1", 40, RandomUuid()},
                                         {"provider-1", 41, RandomUuid()},
                                         {"police-1", 2, RandomUuid()}};
  l.session.OnChanges(Attendances("probation-1", 8, 1), 12, 12, 0, skipped);
  REQUIRE(l.fx.Last().isBatch());
  CHECK(ClaimsOf(l.fx.Last().getBatch().getSkipped()) == skipped);
  CHECK(l.fx.Last().getBatch().getSkipped().size() == 2);  // one list per origin
  // Only skipped events, no new ones: the peer is still told, since its cursor moves on.
  FeedPull(l.session, 12);
  l.session.OnChanges({}, 15, 15, 0, {{"police-1", 3, RandomUuid()}});
  REQUIRE(l.fx.Last().isBatch());
  CHECK(l.fx.Last().getBatch().getThrough() == 15);
  CHECK(ClaimsOf(l.fx.Last().getBatch().getSkipped()).size() == 1);
}

TEST_CASE("events the peer sent and this node stored are not named back to it",
          "[sync][session][split]") {
  Linked l;
  FeedBatch(l.session, Mixed({{"provider-1", 41}, {"provider-1", 42}, {"police-1", 7}}), 10, 50);
  l.session.OnInserted(Status::Ok(), 10, 3);
  FeedBatch(l.session, Mixed({{"provider-1", 43}}), 12, 50);
  l.session.OnInserted(Status::Ok(), 12, 1);
  FeedBatch(l.session, Mixed({{"police-1", 8}}), 14, 50);  // refused: not stored
  l.session.OnInsertRefused({{"police-1", 8, RandomUuid(), RandomUuid()}});
  FeedPull(l.session, 7);
  const std::vector<SeqClaim> skipped = {
      {"provider-1", 40, RandomUuid()},  // held by the peer from elsewhere: named
      {"provider-1", 41, RandomUuid()},  // the peer's own, stored here: not named
      {"provider-1", 43, RandomUuid()},  // likewise, from a later batch
      {"police-1", 7, RandomUuid()},     // likewise
      {"police-1", 8, RandomUuid()},     // sent, but refused: named
  };
  l.session.OnChanges({}, 20, 20, 0, skipped);
  REQUIRE(l.fx.Last().isBatch());
  CHECK(ClaimsOf(l.fx.Last().getBatch().getSkipped()) ==
        std::vector<SeqClaim>{skipped[0], skipped[4]});
}

TEST_CASE("a refused insert quarantines the split origin, and the batch is pulled again without it",
          "[sync][session][split]") {
  Linked l(/*checkpoint=*/4);
  const auto first = Mixed({{"provider-1", 41}, {"police-1", 1}, {"police-1", 2}});
  FeedBatch(l.session, first, 12, 50);
  const auto second = Mixed({{"police-1", 3}, {"provider-1", 42}});
  FeedBatch(l.session, second, 20, 50);  // waits behind the first
  REQUIRE(l.fx.inserts.size() == 1);
  const SeqConflict split{"police-1", 2, RandomUuid(), IdOf(first[2])};
  l.session.OnInsertRefused({split});
  CHECK(!l.session.closed());
  REQUIRE(l.fx.quarantined.size() == 1);
  CHECK(l.fx.quarantined[0] == std::vector<SeqConflict>{split});
  CHECK(l.session.quarantine() == Quarantine{{"police-1", split}});
  CHECK(l.fx.inserts.size() == 1);  // the waiting batch was given up with it
  CHECK(l.session.checkpoint() == 4);
  // Pulled again from the checkpoint, naming the split for the peer to check.
  REQUIRE(l.fx.Last().isPull());
  CHECK(l.fx.Last().getPull().getAfter() == 4);
  CHECK(ClaimsOf(l.fx.Last().getPull().getConflicts()) ==
        std::vector<SeqClaim>{{"police-1", 2, split.held}});
  // The same events again: police-1's are held back, provider-1's go in, with the
  // quarantine stored beside the checkpoint.
  FeedBatch(l.session, Copies(first), 12, 50, 0, {{"police-1", 1, RandomUuid()}});
  REQUIRE(l.fx.inserts.size() == 2);
  CHECK(l.fx.inserts[1].ids == std::vector<Uuid>{IdOf(first[0])});
  CHECK(l.fx.inserts[1].skipped.empty());
  CHECK(l.fx.inserts[1].quarantine == l.session.quarantine());
  l.session.OnInserted(Status::Ok(), 12, 1);
  CHECK(l.session.checkpoint() == 12);
  FeedBatch(l.session, Copies(second), 20, 50);
  REQUIRE(l.fx.inserts.size() == 3);
  CHECK(l.fx.inserts[2].ids == std::vector<Uuid>{IdOf(second[1])});
  CHECK(!l.session.closed());
}

TEST_CASE("a batch asked for before an insert was refused is given up and pulled again",
          "[sync][session][split]") {
  Linked l(/*checkpoint=*/4);
  const auto first = Mixed({{"police-1", 1}, {"provider-1", 41}});
  FeedBatch(l.session, first, 12, 50);  // inserting, and the next pull is out
  const size_t sent = l.fx.sent.size();
  l.session.OnInsertRefused({{"police-1", 1, RandomUuid(), IdOf(first[0])}});
  CHECK(l.fx.sent.size() == sent);  // one pull at a time: the open one is answered first
  FeedBatch(l.session, Mixed({{"provider-1", 42}}), 20, 50);
  CHECK(l.fx.inserts.size() == 1);  // given up
  REQUIRE(l.fx.sent.size() == sent + 1);
  REQUIRE(l.fx.Last().isPull());
  CHECK(l.fx.Last().getPull().getAfter() == 4);
  FeedBatch(l.session, Copies(first), 12, 50);
  REQUIRE(l.fx.inserts.size() == 2);
  CHECK(l.fx.inserts[1].ids == std::vector<Uuid>{IdOf(first[1])});
  CHECK(!l.session.closed());
}

TEST_CASE("an insert refused with no split to hold back closes the session",
          "[sync][session][split]") {
  Linked l(/*checkpoint=*/4);
  FeedBatch(l.session, Mixed({{"police-1", 1}}), 12, 50);
  l.session.OnInsertRefused({});
  CHECK(l.session.closed());
  CHECK(l.session.checkpoint() == 4);
}

TEST_CASE("a split the peer names is checked once, and quarantined if this node confirms it",
          "[sync][session][split]") {
  Linked l;
  const Uuid theirs = RandomUuid(), ours = RandomUuid();
  FeedPull(l.session, 7, SyncSession::kMaxBatch, {}, {{"police-1", 2, theirs}});
  REQUIRE(l.fx.checks.size() == 1);
  CHECK(l.fx.checks[0] == std::vector<SeqClaim>{{"police-1", 2, theirs}});
  REQUIRE(l.fx.reads.size() == 1);  // and the pull is served as usual
  l.session.OnChanges({}, 9, 9);
  FeedPull(l.session, 9, SyncSession::kMaxBatch, {}, {{"police-1", 2, theirs}});
  CHECK(l.fx.checks.size() == 1);  // named again: not checked again
  // An insert is running and a batch waits behind it when the check confirms the split.
  FeedBatch(l.session, Mixed({{"provider-1", 41}}), 10, 50);
  const auto waiting = Mixed({{"police-1", 3}, {"provider-1", 42}});
  FeedBatch(l.session, waiting, 20, 50);
  l.session.OnClaimsChecked({{"police-1", 2, ours, theirs}});
  REQUIRE(l.fx.quarantined.size() == 1);
  CHECK(l.session.quarantine().count("police-1") == 1);
  l.session.OnInserted(Status::Ok(), 10, 1);
  REQUIRE(l.fx.inserts.size() == 2);
  CHECK(l.fx.inserts[1].ids == std::vector<Uuid>{IdOf(waiting[1])});
  // Not confirmed: nothing changes.
  l.session.OnClaimsChecked({});
  CHECK(l.fx.quarantined.size() == 1);
  CHECK(!l.session.closed());
}

TEST_CASE("a stored quarantine holds from the start, and a new basis clears it to check afresh",
          "[sync][session][split]") {
  constexpr uint64_t kOld = 0x1111, kNew = 0x2222;
  FakeEffects fx;
  const SeqConflict split{"provider-1", 5, RandomUuid(), RandomUuid()};
  SyncSession s("police-1", "probation-1", 30, &fx, kOld, {{"provider-1", split}});
  s.Start({}, 0);
  FeedHello(s, "probation-1", {}, 90, wire::PROTOCOL_VERSION, kOld);
  REQUIRE(fx.Last().isPull());
  CHECK(ClaimsOf(fx.Last().getPull().getConflicts()) ==
        std::vector<SeqClaim>{{"provider-1", 5, split.held}});
  const auto batch = Mixed({{"provider-1", 6}, {"probation-1", 1}});
  FeedBatch(s, batch, 40, 90, kOld);
  REQUIRE(fx.inserts.size() == 1);
  CHECK(fx.inserts[0].ids == std::vector<Uuid>{IdOf(batch[1])});
  s.OnInserted(Status::Ok(), 40, 1);
  FeedBatch(s, Copies(batch), 45, 90, kNew);  // the peer's log or filter changed
  REQUIRE(fx.quarantined.size() == 1);
  CHECK(fx.quarantined[0].empty());
  CHECK(s.quarantine().empty());
  REQUIRE(fx.inserts.size() == 2);
  CHECK(fx.inserts[1].ids == IdsOf(batch));
  CHECK(fx.inserts[1].through == 0);
  CHECK(fx.inserts[1].quarantine.empty());
  CHECK(!s.closed());
}

TEST_CASE("a batch whose skipped lists do not match closes the session", "[sync][session][split]") {
  SECTION("seqs and ids of unequal lengths") {
    Linked l;
    PeerMessage m;
    auto batch = m.root().initBatch();
    batch.setThrough(5);
    auto skipped = batch.initSkipped(1);
    skipped[0].setOrigin("police-1");
    skipped[0].initSeqs(2);
    skipped[0].initIds(1);
    l.session.OnMessage(m.reader());
    CHECK(l.session.closed());
    CHECK(l.fx.inserts.empty());
  }
  SECTION("more than a server may scan for one batch") {
    Linked l;
    std::vector<SeqClaim> many(SyncSession::kMaxScanned + 1, SeqClaim{"police-1", 1, Uuid{}});
    FeedBatch(l.session, {}, 5, 40, 0, many);
    CHECK(l.session.closed());
    CHECK(l.fx.inserts.empty());
  }
}

TEST_CASE("a quarantine is kept as text and read back", "[sync][session][split]") {
  const Quarantine q = {
      {"police-1", {"police-1", 2, RandomUuid(), RandomUuid()}},
      {"provider-1~0a1b2c3d4e5f", {"provider-1~0a1b2c3d4e5f", 9, RandomUuid(), RandomUuid()}}};
  CHECK(DecodeQuarantine(EncodeQuarantine(q)) == q);
  CHECK(DecodeQuarantine("").empty());
  CHECK(DecodeQuarantine("police-1 x not-a-uuid\ngarbage\n").empty());
}

TEST_CASE("PeerFilter::Parse reads the data-sharing agreement", "[sync][session][sharing]") {
  CHECK(PeerFilter::Parse("alert.,breach.,case.opened")->agreement() ==
        "alert.,breach.,case.opened");
  CHECK(PeerFilter::Parse(" alert. , breach.,,")->agreement() == "alert.,breach.");
  CHECK(PeerFilter::Parse("alert.,breach.")->Canonical() ==
        PeerFilter::Parse("breach., alert.,alert.")->Canonical());
  const PeerFilter f = *PeerFilter::Parse("alert.,case.opened");
  CHECK(PeerFilter::Parse(f.agreement())->Canonical() == f.Canonical());

  CHECK(f.Allows("alert.raised"));
  CHECK(f.Allows("alert.withdrawn"));
  CHECK(f.Allows("case.opened"));
  CHECK(!f.Allows("case.closed"));
  CHECK(!f.Allows("attendance.recorded"));
  CHECK(!f.Allows("alert"));
  CHECK(!f.receives_all());

  // `all`, and the old "*" as a synonym of it.
  for (const char* all : {"all", "*", " all "}) {
    INFO(all);
    auto parsed = PeerFilter::Parse(all);
    REQUIRE(parsed.ok());
    CHECK(parsed->receives_all());
    CHECK(parsed->agreement() == "all");
    CHECK(parsed->Allows("attendance.recorded"));
  }
}

TEST_CASE("nothing is shared by default: an agreement must be named, and a wrong one is refused",
          "[sync][session][sharing]") {
  for (const char* text : {"", " ", ",,"}) {
    INFO("\"" << text << "\"");
    auto parsed = PeerFilter::Parse(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().message() ==
          "no sharing agreement: name what the peer may receive: " + PeerFilter::Choices());
  }
  // A typo in a prefix would send nothing of what was meant: refused, naming it.
  auto typo = PeerFilter::Parse("alerts.,breach.");
  REQUIRE_FALSE(typo.ok());
  CHECK(typo.status().message().find("\"alerts.\" is neither an agreement nor the start of an "
                                     "event type name") == 0);
  CHECK(typo.status().message().find(PeerFilter::Choices()) != std::string::npos);
  auto mixed = PeerFilter::Parse("police,attendance.");
  REQUIRE_FALSE(mixed.ok());
  CHECK(mixed.status().message().find("\"police\" is an agreement of its own") == 0);
  CHECK_FALSE(PeerFilter::Parse("all,alert.").ok());
}

TEST_CASE("the SPEC's named agreements send what the SPEC lists", "[sync][session][sharing]") {
  const std::vector<std::string> police_types = {
      "case.opened",       "case.closed",   "case.risk_changed",  "breach.reported",
      "incident.reported", "alert.raised",  "alert.acknowledged", "alert.resolved",
      "alert.withdrawn",   "alert.assigned"};
  const std::vector<std::string> provider_types = {"case.opened",
                                                   "case.closed",
                                                   "intervention.referred",
                                                   "intervention.started",
                                                   "intervention.completed",
                                                   "intervention.exited",
                                                   "session.held",
                                                   "attendance.recorded",
                                                   "alert.raised",
                                                   "alert.acknowledged",
                                                   "alert.resolved",
                                                   "alert.withdrawn",
                                                   "alert.assigned"};
  auto police = PeerFilter::Parse("police"), provider = PeerFilter::Parse("provider");
  REQUIRE(police.ok());
  REQUIRE(provider.ok());
  CHECK(police->agreement() == "police");
  CHECK(police->Canonical() ==
        PeerFilter::Parse("case.opened,case.closed,case.risk_changed,breach.,incident.,alert.")
            ->Canonical());
  for (EventType type : AllEventTypes()) {
    const std::string name(EventTypeName(type));
    INFO(name);
    const bool to_police =
        std::find(police_types.begin(), police_types.end(), name) != police_types.end();
    const bool to_provider =
        std::find(provider_types.begin(), provider_types.end(), name) != provider_types.end();
    CHECK(police->Allows(name) == to_police);
    CHECK(provider->Allows(name) == to_provider);
  }
  for (const char* name : {"probation", "partnership"}) {
    auto parsed = PeerFilter::Parse(name);
    REQUIRE(parsed.ok());
    CHECK(parsed->agreement() == name);
    CHECK(parsed->receives_all());
  }
}

TEST_CASE("an erasure goes to every peer, and a void goes with the event it voids",
          "[sync][session][sharing]") {
  const PeerFilter police = *PeerFilter::Parse("police");
  const PeerFilter all = PeerFilter::All();
  const Event erased = FromOrigin(testing::MakeSubjectErased("P-1"), "probation-1", 1);
  CHECK(ShouldSend(erased.reader(), police, {}));
  CHECK(ShouldSend(erased.reader(), *PeerFilter::Parse("alert."), {}));
  CHECK_FALSE(ShouldSend(erased.reader(), PeerFilter::Nothing(), {}));  // a removed peer

  // This node's store, as far as voids need it: the types of the events it holds by id.
  const Event breach = FromOrigin(MakeBreach("C-1"), "probation-1", 2);
  const Event attendance = FromOrigin(MakeAttendance("C-1"), "provider-1", 1);
  const Uuid not_held = RandomUuid();
  std::map<std::pair<uint64_t, uint64_t>, EventType> held;
  for (const Event* e : {&breach, &attendance}) {
    const Uuid id = ToUuid(e->reader().getId());
    held[{id.hi, id.lo}] = e->reader().which();
  }
  const HeldTypeFn held_type = [&](const Uuid& id) -> std::optional<EventType> {
    auto it = held.find({id.hi, id.lo});
    if (it == held.end()) return std::nullopt;
    return it->second;
  };
  const Event void_of_breach =
      FromOrigin(testing::MakeRecordVoided(ToUuid(breach.reader().getId())), "probation-1", 3);
  const Event void_of_attendance =
      FromOrigin(testing::MakeRecordVoided(ToUuid(attendance.reader().getId())), "probation-1", 4);
  const Event void_of_unknown = FromOrigin(testing::MakeRecordVoided(not_held), "probation-1", 5);
  const Event void_of_void = FromOrigin(
      testing::MakeRecordVoided(ToUuid(void_of_breach.reader().getId())), "probation-1", 6);
  held[{ToUuid(void_of_breach.reader().getId()).hi, ToUuid(void_of_breach.reader().getId()).lo}] =
      EventType::RECORD_VOIDED;

  // Police receive breaches, not attendance: the voids follow.
  CHECK(ShouldSend(void_of_breach.reader(), police, {}, held_type));
  CHECK_FALSE(ShouldSend(void_of_attendance.reader(), police, {}, held_type));
  // A "record." prefix does not let a void through on its own.
  CHECK_FALSE(
      ShouldSend(void_of_attendance.reader(), *PeerFilter::Parse("record."), {}, held_type));
  // A void of an event this node does not hold (yet), or of a void: only to the peers that
  // receive everything.
  CHECK_FALSE(ShouldSend(void_of_unknown.reader(), police, {}, held_type));
  CHECK(ShouldSend(void_of_unknown.reader(), all, {}, held_type));
  CHECK_FALSE(ShouldSend(void_of_void.reader(), police, {}, held_type));
  CHECK(ShouldSend(void_of_void.reader(), all, {}, held_type));
  CHECK_FALSE(ShouldSend(void_of_breach.reader(), police, {}, nullptr));
  // The version vector applies to voids as to any event.
  CHECK(ServingOf(void_of_breach.reader(), police, {{"probation-1", 3}}, held_type) ==
        Serving::kPeerHolds);
}

TEST_CASE("an agreement that keeps alert acknowledgements from a peer gets a note",
          "[sync][session][sharing]") {
  CHECK(PeerFilter::Parse("police")->AlertNote("police-1").empty());
  CHECK(PeerFilter::Parse("provider")->AlertNote("provider-1").empty());
  CHECK(PeerFilter::Parse("all")->AlertNote("probation-1").empty());
  CHECK(PeerFilter::Parse("incident.,alert.")->AlertNote("probation-1").empty());
  const std::string note = PeerFilter::Parse("incident.,alert.raised")->AlertNote("probation-1");
  CHECK(note ==
        "its agreement (incident.,alert.raised) does not send it alert.acknowledged, "
        "alert.resolved and alert.assigned: alerts acknowledged, resolved or assigned here do "
        "not show so on probation-1; if it derives or shows alerts, add alert. (holdfast peers "
        "add --id probation-1 --send ...)");
  CHECK(PeerFilter::Parse("alert.acknowledged")->AlertNote("p").find("alert.resolved") !=
        std::string::npos);
  CHECK(PeerFilter::Nothing().AlertNote("p").empty());
}

TEST_CASE("what a peer has pulled is kept and read back", "[sync][session]") {
  const Served served{42, 0x1234567890abcdefull, {{"probation-1", 7}, {"provider-1~0a1b", 3}}};
  CHECK(DecodeServed(EncodeServed(served)) == served);
  CHECK(DecodeServed("") == Served());
  CHECK(DecodeServed("x y\n") == Served());
  CHECK(DecodeServed("5 6\nprobation-1 x\npolice-1 2\n").held == VersionVector{{"police-1", 2}});
}

}  // namespace
}  // namespace holdfast
