// A peer's side of a sync connection on arbitrary bytes, as a PeerLink (sync/peer_link.cc)
// handles what comes out of TLS: the plaintext is cut into frames (FrameDecoder, 16 MiB
// limit), each is read as a wire::Message with the link's bounded traversal, and handed to
// SyncSession::OnMessage. The session's effects are carried out as the link does, against
// a real store in a scratch directory (one per process): log reads answer pulls (naming
// the events the peer holds), inserts check the batch's skipped claims and store its events
// with their checkpoint and quarantine, claims of a split are checked.
//
// Input: byte 0 says after which messages the effects in hand complete (bit i % 8 for
// message i; the link completes them on the thread pool, in any interleaving with what
// arrives), byte 1 the size of the pieces the stream arrives in (0: all at once), the rest
// is the stream.
//
// Promises checked beyond "no crash, no leak, no undefined behaviour":
// - at most one log read and one insert are in hand at a time (the flow control), and an
//   insert carries at most SyncSession::kMaxBatch events, each with its provenance;
// - nothing is sent after the session closed, and every message sent is one that decodes.
#include <capnp/serialize.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "eventstore/event_store.h"
#include "eventstore/keys.h"
#include "sync/peer_link.h"
#include "sync/session.h"
#include "sync/sync_keys.h"
#include "sync/sync_manager.h"
#include "tests/fuzz/fuzz_support.h"
#include "wire/frame.h"

using namespace holdfast;

namespace {

constexpr const char* kSelf = "node-a";
constexpr const char* kPeer = "node-b";
constexpr uint64_t kBasis = 7;          // this node's basis for the peer
constexpr uint32_t kEventsPerRead = 8;  // a log read answers with at most this many

std::unique_ptr<EventStore>& Store() {
  static fuzz::ScratchDir dir{fuzz::kScratchPrefix};
  static std::unique_ptr<EventStore> store = [] {
    StoreOptions options;
    options.node_id = kSelf;
    options.sync = false;
    auto s = EventStore::Open(dir.path() + "/store", options);
    fuzz::Require(s.ok(), "cannot open the store: " + s.status().ToString());
    return std::move(s).value();
  }();
  return store;
}

class LinkEffects : public SessionEffects {
 public:
  explicit LinkEffects(EventStore* store) : store_(store) {}
  void set_session(SyncSession* session) { session_ = session; }

  void Send(capnp::MessageBuilder& message) override {
    fuzz::Require(!closed_, "the session sent a message after it closed");
    const std::string frame = EncodeFrame(message);
    FrameDecoder decoder(PeerLink::kMaxFrameBytes);
    fuzz::Require(decoder.Feed(frame.data(), frame.size()).ok(), "a sent frame is malformed");
    auto words = decoder.Next();
    try {
      capnp::FlatArrayMessageReader reader(words.asPtr(), PeerLink::WireReaderOptions());
      (void)reader.getRoot<wire::Message>().which();
    } catch (const kj::Exception& ex) {
      fuzz::Broken(std::string("a sent message does not decode: ") + ex.getDescription().cStr());
    }
  }
  void ReadChanges(uint64_t after, uint32_t max_events, const VersionVector& peer_held) override {
    fuzz::Require(!read_, "a second log read while one is in hand");
    read_ = Read{after, max_events, peer_held};
  }
  void Insert(PeerBatch batch) override {
    fuzz::Require(!insert_, "a second insert while one is in hand");
    fuzz::Require(batch.events.size() <= SyncSession::kMaxBatch, "an insert of more than a batch");
    for (const auto& e : batch.events) {
      fuzz::Require(e.reader().hasProvenance(), "an insert of an event without provenance");
    }
    insert_ = std::move(batch);
  }
  void CheckClaims(std::vector<SeqClaim> claims) override { claims_.push_back(std::move(claims)); }
  void QuarantineChanged(const std::vector<SeqConflict>&) override {}
  void Close(const std::string& why) override {
    fuzz::Require(!closed_, "the session closed twice");
    fuzz::Require(fuzz::IsOneLineMessage(why), "the reason for closing is not one line: " + why);
    closed_ = true;
  }
  VersionVector Held() override { return store_->ContiguousMarks(); }

  // The thread pool's work finishing, as PeerLink's: the read, the insert, the claims.
  void Complete() {
    if (read_) {
      Read r = std::move(*read_);
      read_.reset();
      std::vector<Event> events;
      std::vector<SeqClaim> skipped;
      uint64_t through = r.after;
      size_t scanned = 0;
      const uint64_t last = store_->LastPosition();
      const uint32_t max = std::min(r.max, kEventsPerRead);
      Status s = store_->ScanLog(r.after, [&](uint64_t position, schema::Event::Reader e) {
        through = position;
        switch (ServingOf(e, PeerFilter::All(), r.peer_held)) {
          case Serving::kSend:
            events.push_back(Event::CopyOf(e));
            break;
          case Serving::kPeerHolds:
            skipped.push_back(
                {e.getProvenance().getOrigin(), e.getProvenance().getSeq(), ToUuid(e.getId())});
            break;
          case Serving::kFiltered:
            break;
        }
        return events.size() < max && ++scanned < 20 * max;
      });
      fuzz::Require(s.ok(), "reading the log: " + s.ToString());
      session_->OnChanges(std::move(events), through, last, kBasis, std::move(skipped));
    }
    if (insert_ && !closed_) {
      PeerBatch b = std::move(*insert_);
      insert_.reset();
      auto skipped = store_->FindSeqConflicts(b.skipped);
      fuzz::Require(skipped.ok(), "checking skipped claims: " + skipped.status().ToString());
      if (!skipped->empty()) return session_->OnInsertRefused(*skipped);
      std::vector<SeqClaim> claims;
      try {  // as PeerLink::QueueInsert: the events are not validated yet
        for (const auto& e : b.events) {
          auto r = e.reader();
          claims.push_back(
              {r.getProvenance().getOrigin(), r.getProvenance().getSeq(), ToUuid(r.getId())});
        }
      } catch (const kj::Exception& ex) {
        return session_->OnInserted(
            Status::InvalidArgument(std::string("malformed event: ") + ex.getDescription().cStr()),
            b.through, 0);
      }
      const size_t n = b.events.size();
      auto r = store_->Insert(std::move(b.events),
                              {{CheckpointKey(kPeer), EncodeCheckpoint({b.through, b.basis})},
                               {QuarantineKey(kPeer), EncodeQuarantine(b.quarantine)}});
      if (!r.ok() && r.status().code() == Status::Code::kSeqConflict) {
        auto found = store_->FindSeqConflicts(claims);
        if (found.ok() && !found->empty()) return session_->OnInsertRefused(*found);
      }
      session_->OnInserted(r.ok() ? Status::Ok() : r.status(), b.through, r.ok() ? n : 0);
    }
    while (!claims_.empty() && !closed_) {
      std::vector<SeqClaim> claims = std::move(claims_.front());
      claims_.pop_front();
      auto found = store_->FindSeqConflicts(claims);
      fuzz::Require(found.ok(), "checking claims: " + found.status().ToString());
      session_->OnClaimsChecked(*found);
    }
  }
  bool closed() const { return closed_; }

 private:
  struct Read {
    uint64_t after;
    uint32_t max;
    VersionVector peer_held;
  };
  EventStore* store_;
  SyncSession* session_ = nullptr;
  std::optional<Read> read_;
  std::optional<PeerBatch> insert_;
  std::deque<std::vector<SeqClaim>> claims_;
  bool closed_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t schedule = data[0];
  const size_t piece = data[1] == 0 ? size : data[1];
  data += 2;
  size -= 2;

  EventStore* store = Store().get();
  LinkEffects effects(store);
  SyncSession session(kSelf, kPeer, /*checkpoint=*/0, &effects);
  effects.set_session(&session);
  session.Start(store->ContiguousMarks(), store->LastPosition(), kBasis);

  FrameDecoder decoder(PeerLink::kMaxFrameBytes);
  size_t message = 0;
  for (size_t at = 0; at < size && !session.closed(); at += piece) {
    const size_t n = std::min(piece, size - at);
    if (!decoder.Feed(reinterpret_cast<const char*>(data) + at, n).ok()) break;  // link closes
    bool link_closed = false;
    for (auto words = decoder.Next(); words.size() > 0 && !session.closed();
         words = decoder.Next()) {
      try {
        capnp::FlatArrayMessageReader reader(words.asPtr(), PeerLink::WireReaderOptions());
        session.OnMessage(reader.getRoot<wire::Message>());
      } catch (const kj::Exception&) {
        link_closed = true;  // the link closes on a message it cannot read
        break;
      }
      if (schedule & (1u << (message++ % 8))) effects.Complete();
    }
    if (link_closed) break;
  }
  effects.Complete();  // work still on the pool finishes; a closed session ignores it
  fuzz::Require(!session.closed() || effects.closed(), "the session closed without saying so");
  return 0;
}
