// EventStore behaviour on a real RocksDB in a temporary directory.
#include <capnp/any.h>
#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <string>

#include "eventstore/event_json.h"
#include "eventstore/event_store.h"
#include "eventstore/internals.h"
#include "eventstore/keys.h"

using namespace holdfast;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/holdfast-store-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

Event Attendance(const std::string& id, const std::string& case_id,
                 const std::string& outcome = "attended") {
  auto e = EventFromJson(R"({"id":")" + id +
                         R"(","type":"attendance.recorded","occurred_at":"2025-03-04T18:00:00Z",)"
                         R"("author":{"user":"jsmith","role":"facilitator","agency":"provider-a"},)"
                         R"("data":{"case":")" +
                         case_id + R"(","intervention":"I-1","session":"S-1","outcome":")" +
                         outcome + R"("}})");
  REQUIRE(e.ok());
  return std::move(e).value();
}

Event NewAttendance(const std::string& case_id) {
  return Attendance(FormatUuid(RandomUuid()), case_id);
}

std::unique_ptr<EventStore> OpenStore(const std::string& dir, StoreOptions options = {}) {
  if (options.node_id.empty()) options.node_id = "probation-1";
  auto store = EventStore::Open(dir, options);
  REQUIRE(store.ok());
  return std::move(store).value();
}

std::vector<Event> One(Event e) {
  std::vector<Event> v;
  v.push_back(std::move(e));
  return v;
}

const std::string kId = "7f0c2a4e-5d1b-4c8e-9a51-2f7b9d0e6c13";

// Hands fn a put into a named family of the closed store in `dir`: for damage no EventStore
// call would ever do.
void WriteBehindTheStore(
    const std::string& dir,
    const std::function<
        void(const std::function<void(const std::string& family, const std::string& key,
                                      const std::string& value)>&)>& fn) {
  fn([&](const std::string& family, const std::string& key, const std::string& value) {
    REQUIRE(EventStoreInternals::WriteRawClosed(dir, family, key, value).ok());
  });
}

std::string Bytes(const Event& e) {
  auto words = e.Encode();
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

}  // namespace

TEST_CASE("append stamps origin, sequence and recorded_at, and reads find the event", "[store]") {
  TempDir dir;
  auto store = OpenStore(dir.path);
  auto r = store->Append(One(Attendance(kId, "C-1")));
  REQUIRE(r.ok());
  REQUIRE(r->events.size() == 1);
  CHECK(r->events[0].position == 1);
  CHECK_FALSE(r->events[0].duplicate);
  CHECK(store->LastPosition() == 1);

  auto got = store->Get(*ParseUuid(kId));
  REQUIRE(got.ok());
  auto p = got->reader().getProvenance();
  CHECK(std::string(p.getOrigin()) == "probation-1");
  CHECK(p.getSeq() == 1);
  CHECK(p.getRecordedAt().getValue() > 0);
  CHECK(store->GetByOrigin("probation-1", 1).ok());
  CHECK(store->GetByOrigin("probation-1", 2).status().code() == Status::Code::kNotFound);
  CHECK(store->Get(RandomUuid()).status().code() == Status::Code::kNotFound);
  CHECK(store->HighWaterMarks() == VersionVector{{"probation-1", 1}});
}

TEST_CASE("appending an id already held is a no-op reporting the existing position", "[store]") {
  TempDir dir;
  auto store = OpenStore(dir.path);
  REQUIRE(store->Append(One(NewAttendance("C-1"))).ok());
  REQUIRE(store->Append(One(Attendance(kId, "C-1"))).ok());
  auto again = store->Append(One(Attendance(kId, "C-1")));
  REQUIRE(again.ok());
  CHECK(again->events[0].position == 2);
  CHECK(again->events[0].duplicate);
  CHECK(store->LastPosition() == 2);
  // A duplicate inside one batch is stored once.
  std::vector<Event> batch;
  const std::string other = FormatUuid(RandomUuid());
  batch.push_back(Attendance(other, "C-2"));
  batch.push_back(Attendance(other, "C-2"));
  auto b = store->Append(std::move(batch));
  REQUIRE(b.ok());
  CHECK(b->events[0].position == 3);
  CHECK(b->events[1].position == 3);
  CHECK(b->events[1].duplicate);
  CHECK(store->LastPosition() == 3);
}

TEST_CASE("the same id with different content is refused and nothing is written", "[store]") {
  TempDir dir;
  auto store = OpenStore(dir.path);
  REQUIRE(store->Append(One(Attendance(kId, "C-1", "attended"))).ok());
  std::vector<Event> batch;
  batch.push_back(NewAttendance("C-9"));
  batch.push_back(Attendance(kId, "C-1", "absent_unacceptable"));
  auto r = store->Append(std::move(batch));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kConflict);
  CHECK(r.status().message().find(kId) != std::string::npos);
  CHECK(store->LastPosition() == 1);  // the valid first event of the batch was not written
  CHECK(store->StreamVersion("case/C-9") == 0);
  CHECK(store->Verify().ok());
}

TEST_CASE("an invalid event fails the whole batch, naming the event and field", "[store]") {
  TempDir dir;
  auto store = OpenStore(dir.path);
  std::vector<Event> batch;
  batch.push_back(NewAttendance("C-1"));
  Event bad = NewAttendance("C-1");
  bad.builder().getAttendanceRecorded().setSession("");
  batch.push_back(std::move(bad));
  auto r = store->Append(std::move(batch));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() ==
        "event 2: data.session: missing (required) (in attendance.recorded)");
  CHECK(store->LastPosition() == 0);
}

TEST_CASE("expected-version appends refuse a stream that moved on", "[store]") {
  TempDir dir;
  auto store = OpenStore(dir.path);
  CHECK(store->Append(One(NewAttendance("C-1")), ExpectedVersion{"case/C-1", 0}).ok());
  CHECK(store->Append(One(NewAttendance("C-1")), ExpectedVersion{"case/C-1", 1}).ok());
  auto stale = store->Append(One(NewAttendance("C-1")), ExpectedVersion{"case/C-1", 1});
  REQUIRE_FALSE(stale.ok());
  CHECK(stale.status().code() == Status::Code::kVersionConflict);
  CHECK(stale.status().message() == "stream case/C-1 is at version 2, not the expected 1");
  CHECK(store->StreamVersion("case/C-1") == 2);
  CHECK(store->Append(One(NewAttendance("C-2")), ExpectedVersion{"case/C-1", 2}).ok());
  CHECK(store->StreamVersion("case/C-1") == 2);
  CHECK(store->StreamVersion("case/C-2") == 1);
}

TEST_CASE("a stream reads back in order, and only its own events", "[store]") {
  TempDir dir;
  auto store = OpenStore(dir.path);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(FormatUuid(RandomUuid()));
    REQUIRE(store->Append(One(Attendance(ids.back(), "C-1"))).ok());
    REQUIRE(store->Append(One(NewAttendance("C-10"))).ok());  // "C-1" must not match "C-10"
  }
  std::vector<std::string> seen;
  REQUIRE(store
              ->ScanStream("case/C-1",
                           [&](uint64_t, schema::Event::Reader e) {
                             seen.push_back(FormatUuid(ToUuid(e.getId())));
                             return true;
                           })
              .ok());
  CHECK(seen == ids);
  uint64_t count = 0, last = 0;
  REQUIRE(store
              ->ScanLog(4,
                        [&](uint64_t position, schema::Event::Reader) {
                          CHECK(position == last + (last ? 1 : 5));
                          last = position;
                          return ++count < 3;
                        })
              .ok());
  CHECK(count == 3);
}

TEST_CASE("recorded_at grows across appends and restarts even when the clock steps back",
          "[store][hlc]") {
  TempDir dir;
  uint64_t wall = 1'800'000'000'000;
  StoreOptions options;
  options.wall_clock = [&] { return wall; };
  uint64_t last = 0;
  auto recorded = [](EventStore& s, uint64_t position) {
    return s.GetAt(position)->reader().getProvenance().getRecordedAt().getValue();
  };
  {
    auto store = OpenStore(dir.path, options);
    for (int i = 0; i < 3; ++i) {
      auto r = store->Append(One(NewAttendance("C-1")));
      REQUIRE(r.ok());
      uint64_t t = recorded(*store, r->events[0].position);
      CHECK(t > last);
      last = t;
      wall -= 60'000;  // the clock steps back a minute each time
    }
  }
  auto store = OpenStore(dir.path, options);  // after a restart too
  auto r = store->Append(One(NewAttendance("C-1")));
  REQUIRE(r.ok());
  CHECK(recorded(*store, r->events[0].position) > last);
  CHECK(store->GetAt(4)->reader().getProvenance().getSeq() == 4);
}

TEST_CASE("insert keeps a remote event's provenance and is idempotent", "[store][insert]") {
  TempDir a_dir, b_dir;
  auto a = OpenStore(a_dir.path, StoreOptions{"provider-1"});
  auto b = OpenStore(b_dir.path, StoreOptions{"probation-1"});
  for (int i = 0; i < 3; ++i) REQUIRE(a->Append(One(NewAttendance("C-1"))).ok());
  std::vector<Event> shipped;
  REQUIRE(a->ScanLog(0, [&](uint64_t, schema::Event::Reader e) {
             shipped.push_back(Event::CopyOf(e));
             return true;
           }).ok());
  const uint64_t remote_hlc = shipped.back().reader().getProvenance().getRecordedAt().getValue();
  REQUIRE(b->Insert(std::move(shipped), {{"sync/provider-1", "3"}}).ok());
  CHECK(b->LastPosition() == 3);
  CHECK(*b->GetMeta("sync/provider-1") == "3");
  CHECK(b->HighWaterMarks() == VersionVector{{"provider-1", 3}});
  auto third = b->GetByOrigin("provider-1", 3);
  REQUIRE(third.ok());
  CHECK(third->position() == 3);
  // b's own next event is stamped after what it has seen.
  auto own = b->Append(One(NewAttendance("C-1")));
  REQUIRE(own.ok());
  auto own_event = b->GetAt(own->events[0].position);
  REQUIRE(own_event.ok());
  auto p = own_event->reader().getProvenance();
  CHECK(std::string(p.getOrigin()) == "probation-1");
  CHECK(p.getSeq() == 1);
  CHECK(p.getRecordedAt().getValue() > remote_hlc);
  // Inserting the same events again adds nothing.
  std::vector<Event> again;
  again.push_back(Event::CopyOf(a->GetAt(1)->reader()));
  auto r = b->Insert(std::move(again));
  REQUIRE(r.ok());
  CHECK(r->events[0].duplicate);
  CHECK(b->LastPosition() == 4);
  // A local event cannot come in through the remote path, nor a remote one through Append.
  CHECK(b->Insert(One(NewAttendance("C-1"))).status().code() == Status::Code::kInvalidArgument);
  CHECK(b->Append(One(Event::CopyOf(a->GetAt(2)->reader()))).status().code() ==
        Status::Code::kInvalidArgument);
  CHECK(b->Verify().ok());
}

TEST_CASE("insert refuses an event whose recorded_at is not an HLC, and writes nothing",
          "[store][insert]") {
  // Found by tests/fuzz/fuzz_sync_session: a peer's batch with a list where recorded_at's
  // struct belongs made Insert throw on the thread pool, which ended holdfastd.
  TempDir dir;
  auto store = OpenStore(dir.path, StoreOptions{"probation-1"});
  Event bad = NewAttendance("C-1");
  auto p = bad.builder().initProvenance();
  p.setOrigin("provider-1");
  p.setSeq(1);
  capnp::AnyStruct::Builder any(kj::mv(p));
  any.getPointerSection()[1].initAs<capnp::List<uint64_t>>(2);  // recordedAt @2, pointer 1
  auto r = store->Insert(One(std::move(bad)));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains("recorded_at"));
  CHECK(store->LastPosition() == 0);
  CHECK(store->Verify().ok());
}

TEST_CASE("insert refuses a different event under an (origin, seq) already held",
          "[store][insert]") {
  TempDir a_dir, b_dir;
  auto a = OpenStore(a_dir.path, StoreOptions{"provider-1"});
  auto b = OpenStore(b_dir.path, StoreOptions{"probation-1"});
  REQUIRE(a->Append(One(NewAttendance("C-1"))).ok());
  REQUIRE(b->Insert(One(Event::CopyOf(a->GetAt(1)->reader()))).ok());
  Event forged = Event::CopyOf(a->GetAt(1)->reader());
  const Uuid forged_id = RandomUuid();
  SetUuid(forged.builder().getId(), forged_id);
  auto r = b->Insert(One(std::move(forged)));
  REQUIRE_FALSE(r.ok());
  // A distinct status naming the (origin, seq) and both events, and nothing written.
  CHECK(r.status().code() == Status::Code::kSeqConflict);
  const Uuid held = ToUuid(a->GetAt(1)->reader().getId());
  INFO(r.status().message());
  CHECK(r.status().message().find("origin provider-1 seq 1 names two events, " + FormatUuid(held) +
                                  " and " + FormatUuid(forged_id)) != std::string::npos);
  CHECK(b->LastPosition() == 1);
  CHECK(b->Verify().ok());

  // Two events of one call under one (origin, seq): refused the same way.
  TempDir c_dir;
  auto c = OpenStore(c_dir.path, StoreOptions{"police-1"});
  std::vector<Event> pair;
  pair.push_back(Event::CopyOf(a->GetAt(1)->reader()));
  pair.push_back(Event::CopyOf(a->GetAt(1)->reader()));
  SetUuid(pair[1].builder().getId(), forged_id);
  auto both = c->Insert(std::move(pair));
  REQUIRE_FALSE(both.ok());
  CHECK(both.status().code() == Status::Code::kSeqConflict);
  CHECK(both.status().message().find(FormatUuid(forged_id)) != std::string::npos);
  CHECK(c->LastPosition() == 0);
}

TEST_CASE("FindSeqConflicts names the claims another event holds the seq of", "[store][insert]") {
  TempDir dir;
  auto store = OpenStore(dir.path, StoreOptions{"probation-1"});
  for (int i = 0; i < 3; ++i) REQUIRE(store->Append(One(NewAttendance("C-1"))).ok());
  const Uuid second = ToUuid(store->GetAt(2)->reader().getId());
  const Uuid third = ToUuid(store->GetAt(3)->reader().getId());
  const Uuid other = RandomUuid(), another = RandomUuid();
  const std::vector<SeqClaim> claims = {
      {"probation-1", 3, other},   // held here as `third`: a conflict
      {"probation-1", 2, second},  // the same event: fine
      {"probation-1", 9, other},   // not held here: nothing to say
      {"police-1", 4, other},      // two claims on one seq that is not held here
      {"police-1", 4, another},   {"police-1", 5, other},  // the same id twice on one seq: fine
      {"police-1", 5, other},
  };
  auto found = store->FindSeqConflicts(claims);
  REQUIRE(found.ok());
  const std::vector<SeqConflict> expected = {{"police-1", 4, other, another},
                                             {"probation-1", 3, third, other}};
  CHECK(*found == expected);
  auto none = store->FindSeqConflicts({});
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("the store keeps its node id and refuses another", "[store]") {
  TempDir dir;
  { OpenStore(dir.path); }
  auto wrong = EventStore::Open(dir.path, StoreOptions{"police-1"});
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().message().find("belongs to node \"probation-1\"") != std::string::npos);
  auto again = EventStore::Open(dir.path, StoreOptions{});
  REQUIRE(again.ok());
  CHECK((*again)->node_id() == "probation-1");
  // A second opener of the same directory is refused while the first holds it.
  auto second = EventStore::Open(dir.path, StoreOptions{});
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().message().find("in use by another process") != std::string::npos);
}

TEST_CASE("verify reports an undecodable event with its position", "[store][verify]") {
  TempDir dir;
  {
    auto store = OpenStore(dir.path);
    for (int i = 0; i < 5; ++i) REQUIRE(store->Append(One(NewAttendance("C-1"))).ok());
    CHECK(store->Verify().ok());
    CHECK(store->Verify().events == 5);
  }
  // Damage position 3 behind the store's back.
  WriteBehindTheStore(dir.path,
                      [&](const auto& put) { put(keys::kLogFamily, keys::LogKey(3), "garbage!"); });
  auto store = OpenStore(dir.path);
  auto report = store->Verify();
  REQUIRE_FALSE(report.ok());
  CHECK(report.problems[0].find("position 3:") == 0);
  auto scan = store->ScanLog(0, [](uint64_t, schema::Event::Reader) { return true; });
  CHECK(scan.code() == Status::Code::kCorruption);
  CHECK(scan.message().find("position 3:") == 0);
}

TEST_CASE("verify reports two events under one (origin, seq), naming both", "[store][verify]") {
  // The state a split partnership would leave if a store ever took both events: the second
  // is in the log and the id and stream indexes, but the origin index can name only one.
  TempDir dir, peer_dir;
  auto peer = OpenStore(peer_dir.path, StoreOptions{"provider-1"});
  REQUIRE(peer->Append(One(NewAttendance("C-1"))).ok());
  Event second = Event::CopyOf(peer->GetAt(1)->reader());
  const Uuid first_id = ToUuid(second.reader().getId());
  const Uuid second_id = RandomUuid();
  SetUuid(second.builder().getId(), second_id);
  {
    auto store = OpenStore(dir.path);
    REQUIRE(store->Insert(One(Event::CopyOf(peer->GetAt(1)->reader()))).ok());
    REQUIRE(store->Append(One(NewAttendance("C-2"))).ok());
    REQUIRE(store->Verify().ok());
  }
  WriteBehindTheStore(dir.path, [&](const auto& put) {
    put(keys::kLogFamily, keys::LogKey(3), Bytes(second));
    put(keys::kIdsFamily, keys::IdKey(second_id), keys::Fixed64BE(3));
    put(keys::kStreamsFamily, keys::StreamKey("case/C-1", 2), keys::Fixed64BE(3));
  });
  auto store = OpenStore(dir.path);
  auto report = store->Verify();
  INFO([&] {
    std::string all;
    for (const auto& p : report.problems) all += p + "\n";
    return all;
  }());
  REQUIRE_FALSE(report.ok());
  const std::string expected =
      "origin provider-1 seq 1 names two events: " + FormatUuid(second_id) + " at position 3 and " +
      FormatUuid(first_id) + " at position 1";
  CHECK(std::count(report.problems.begin(), report.problems.end(), expected) == 1);
}

TEST_CASE("verify reports an origin index entry that names an event of another seq",
          "[store][verify]") {
  TempDir dir;
  {
    auto store = OpenStore(dir.path);
    for (int i = 0; i < 3; ++i) REQUIRE(store->Append(One(NewAttendance("C-1"))).ok());
  }
  WriteBehindTheStore(dir.path, [&](const auto& put) {
    put(keys::kOriginsFamily, keys::OriginKey("probation-1", 1), keys::Fixed64BE(2));
  });
  auto store = OpenStore(dir.path);
  auto report = store->Verify();
  REQUIRE_FALSE(report.ok());
  auto has = [&](const std::string& p) {
    return std::find(report.problems.begin(), report.problems.end(), p) != report.problems.end();
  };
  CHECK(has("position 1: origin index does not point back to it"));
  CHECK(
      has("position 2: origin index files it under origin probation-1 seq 1, but it is "
          "origin probation-1 seq 2"));
}

TEST_CASE("a restored store's new origin never reuses an (origin, seq) its peers hold",
          "[store][origin]") {
  TempDir dir, peer_dir;
  const std::string live = dir.path + "/live", backup = dir.path + "/backup";
  auto peer = OpenStore(peer_dir.path, StoreOptions{"provider-2"});
  {
    auto a = OpenStore(live, StoreOptions{"provider-1"});
    CHECK(a->origin() == "provider-1");
    for (int i = 0; i < 2; ++i) REQUIRE(a->Append(One(NewAttendance("C-1"))).ok());
    REQUIRE(a->Backup(backup).ok());
    for (int i = 0; i < 3; ++i) REQUIRE(a->Append(One(NewAttendance("C-1"))).ok());
    std::vector<Event> shipped;  // the peer got all five before the disk was lost
    REQUIRE(a->ScanLog(0, [&](uint64_t, schema::Event::Reader e) {
               shipped.push_back(Event::CopyOf(e));
               return true;
             }).ok());
    REQUIRE(peer->Insert(std::move(shipped)).ok());
  }
  std::string origin;
  {
    auto restored = OpenStore(backup, StoreOptions{"provider-1"});
    CHECK(restored->origin() == "provider-1");
    auto started = restored->StartNewOrigin();
    REQUIRE(started.ok());
    origin = *started;
    CHECK(restored->origin() == origin);
    CHECK(origin.rfind("provider-1~", 0) == 0);
    CHECK(origin.size() == std::string("provider-1").size() + 13);
    CHECK(OriginNode(origin) == "provider-1");
    // Used before it reconnects: its events are new (origin, seq) pairs.
    for (int i = 0; i < 2; ++i) REQUIRE(restored->Append(One(NewAttendance("C-1"))).ok());
    auto fourth = restored->GetAt(4);
    REQUIRE(fourth.ok());
    auto p = fourth->reader().getProvenance();
    CHECK(std::string(p.getOrigin()) == origin);
    CHECK(p.getSeq() == 2);
    // The peer gives back what the backup lacked (provider-1 seq 3..5): no collision.
    std::vector<Event> back;
    REQUIRE(peer->ScanLog(2,
                          [&](uint64_t, schema::Event::Reader e) {
                            back.push_back(Event::CopyOf(e));
                            return true;
                          })
                .ok());
    REQUIRE(back.size() == 3);
    auto r = restored->Insert(std::move(back));
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    CHECK(restored->HighWaterMarks() == VersionVector{{"provider-1", 5}, {origin, 2}});
    CHECK(restored->Verify().ok());
  }
  // The new origin is kept across restarts, and its seqs carry on.
  auto reopened = OpenStore(backup, StoreOptions{"provider-1"});
  CHECK(reopened->origin() == origin);
  auto appended = reopened->Append(One(NewAttendance("C-1")));
  REQUIRE(appended.ok());
  auto stored = reopened->GetAt(appended->events[0].position);
  REQUIRE(stored.ok());
  auto p = stored->reader().getProvenance();
  CHECK(std::string(p.getOrigin()) == origin);
  CHECK(p.getSeq() == 3);
  // Another restore, another origin.
  auto again = reopened->StartNewOrigin();
  REQUIRE(again.ok());
  CHECK(*again != origin);
}

TEST_CASE("OriginNode strips only a restored node's origin suffix", "[store][origin]") {
  CHECK(OriginNode("provider-1") == "provider-1");
  CHECK(OriginNode("provider-1~0123456789ab") == "provider-1");
  CHECK(OriginNode("provider-1~0123456789AB") == "provider-1~0123456789AB");
  CHECK(OriginNode("provider-1~0123") == "provider-1~0123");
  CHECK(OriginNode("~0123456789ab") == "~0123456789ab");
}

TEST_CASE("the high-water mark survives a restart after a peer's events come out of seq order",
          "[store][insert]") {
  // A later insert whose highest seq is below one held (seq 3, then 1 and 2) once wrote its
  // own over the stored mark: after a restart the store said it held only up to seq 2, and
  // `store verify` reported the log holding seq 3.
  TempDir peer_dir, dir;
  auto peer = OpenStore(peer_dir.path, StoreOptions{"provider-1"});
  for (int i = 0; i < 3; ++i) REQUIRE(peer->Append(One(NewAttendance("C-1"))).ok());
  {
    auto store = OpenStore(dir.path);
    REQUIRE(store->Insert(One(Event::CopyOf(peer->GetAt(3)->reader()))).ok());
    std::vector<Event> rest;
    for (uint64_t p : {1, 2}) rest.push_back(Event::CopyOf(peer->GetAt(p)->reader()));
    REQUIRE(store->Insert(std::move(rest)).ok());
    CHECK(store->HighWaterMarks()["provider-1"] == 3);
  }
  {
    auto store = OpenStore(dir.path);
    CHECK(store->HighWaterMarks()["provider-1"] == 3);
    CHECK(store->ContiguousMarks()["provider-1"] == 3);
    CHECK(store->Verify().ok());
  }
  // A store an earlier holdfast left so is read right: the origin index's last entry counts.
  WriteBehindTheStore(dir.path, [&](const auto& put) {
    put(EventStoreInternals::kDefaultFamily, keys::HighWaterKey("provider-1"), keys::Fixed64BE(2));
  });
  auto store = OpenStore(dir.path);
  CHECK(store->HighWaterMarks()["provider-1"] == 3);
  CHECK(store->ContiguousMarks()["provider-1"] == 3);
  CHECK(store->Verify().ok());
}
