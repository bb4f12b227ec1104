// SyncSession: the replication state machine of one connection to one peer, as plain
// code (no sockets, no disk): it decides what to send, what to ask for, what to insert and
// which checkpoint to keep. An adapter (peer_link.h) carries its effects out over TLS and
// the store, and feeds the results back. Tests drive it directly.
#pragma once

#include <capnp/message.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "eventstore/event.h"
#include "eventstore/version_vector.h"
#include "sync/filter.h"
#include "sync/sync.capnp.h"
#include "sync/sync_keys.h"  // Quarantine, kept beside the checkpoint

namespace holdfast {

// What the server does with one event of its log for a peer with this filter that already
// holds `held`: send it, leave it out because the peer holds its seq (and name it in the
// batch's `skipped`, so the peer can check it holds this very event), or keep it back.
// `held_type` finds the event a record.voided voids (filter.h; null: none is held).
enum class Serving { kSend, kPeerHolds, kFiltered };
Serving ServingOf(schema::Event::Reader event, const PeerFilter& filter, const VersionVector& held,
                  const HeldTypeFn& held_type = nullptr);
// ServingOf(...) == Serving::kSend.
bool ShouldSend(schema::Event::Reader event, const PeerFilter& filter, const VersionVector& held,
                const HeldTypeFn& held_type = nullptr);

// "origin provider-1 seq 7: <id> here, <id> on the peer", as `sync status` shows it.
std::string DescribeConflict(const SeqConflict& conflict);

// A batch of the peer's events for the adapter to store.
struct PeerBatch {
  std::vector<Event> events;
  // The events the batch left out because this node holds their seqs, as the peer holds
  // them: the adapter checks them (EventStore::FindSeqConflicts) before storing anything.
  std::vector<SeqClaim> skipped;
  uint64_t through = 0;   // the checkpoint it reaches, in the peer's log
  uint64_t basis = 0;     // which that is given under
  Quarantine quarantine;  // stored with the checkpoint, in the same write
};

class SessionEffects {
 public:
  virtual ~SessionEffects() = default;
  virtual void Send(capnp::MessageBuilder& message) = 0;
  // Read the local log after `after` for this peer; answer with SyncSession::OnChanges.
  virtual void ReadChanges(uint64_t after, uint32_t max_events, const VersionVector& peer_held) = 0;
  // Check the batch's skipped claims, then insert its events with its checkpoint and
  // quarantine, atomically; answer with SyncSession::OnInserted, or, when this node holds
  // other events under (origin, seq)s the batch names (nothing is stored then), with
  // SyncSession::OnInsertRefused naming them.
  virtual void Insert(PeerBatch batch) = 0;
  // Check what the peer holds where it says our logs split (EventStore::FindSeqConflicts);
  // answer with SyncSession::OnClaimsChecked.
  virtual void CheckClaims(std::vector<SeqClaim> claims) = 0;
  // Origins were quarantined (`added`), or the quarantine was cleared (`added` empty): see
  // SyncSession::quarantine() for all of it now. Tell the operator; keeping it is the
  // insert's (a quarantine not yet stored is found again, since the checkpoint has not
  // moved past it).
  virtual void QuarantineChanged(const std::vector<SeqConflict>& added) = 0;
  virtual void Close(const std::string& why) = 0;
  // This node's version vector now (contiguous marks), sent with each pull.
  virtual VersionVector Held() = 0;
};

class SyncSession {
 public:
  static constexpr uint32_t kMaxBatch = 2000;
  // A server reads at most this many log entries for one batch (most may be filtered out
  // or held by the peer already), so a batch names at most this many skipped events.
  static constexpr uint32_t kMaxScanned = 20 * kMaxBatch;

  // `expected_peer`: the node id the TLS certificate proved; the hello must match it.
  // `checkpoint`: the stored position reached in that peer's log, under the peer's
  // `checkpoint_basis` (0: not known; the first basis the peer gives is taken as it).
  // `quarantine`: the origins no longer taken from that peer (stored with the checkpoint).
  SyncSession(std::string self, std::string expected_peer, uint64_t checkpoint,
              SessionEffects* effects, uint64_t checkpoint_basis = 0, Quarantine quarantine = {});

  // Sends our hello. `basis`: a fingerprint of this node's log and of its filter for the
  // peer (0: none), sent with the hello and each batch; when it changes, the peer pulls
  // again from the start.
  void Start(const VersionVector& held, uint64_t last_position, uint64_t basis = 0);
  // A message from the peer. Protocol violations close the session.
  void OnMessage(wire::Message::Reader message);
  // Results of the effects.
  // `basis`: the one the read was made under; a held pull is answered, if with nothing,
  // when it differs from the basis the peer was last told.
  // `skipped`: the events of the range read that the peer's version vector covers.
  void OnChanges(std::vector<Event> events, uint64_t through, uint64_t server_last,
                 uint64_t basis = 0, std::vector<SeqClaim> skipped = {});
  void OnInserted(const Status& status, uint64_t through, size_t inserted);
  // The batch being inserted was not stored: this node holds other events under these
  // (origin, seq)s. Their origins are quarantined and the batch is pulled again without them.
  void OnInsertRefused(const std::vector<SeqConflict>& conflicts);
  // The result of CheckClaims: the splits the peer named that this node confirms.
  void OnClaimsChecked(const std::vector<SeqConflict>& conflicts);
  // New local events: serve a held pull.
  void OnLocalAppend();

  bool closed() const { return closed_; }
  // The peer's hello arrived and matched: the link is up as far as the protocol goes.
  bool linked() const { return hello_received_ && !closed_; }
  uint64_t checkpoint() const { return checkpoint_; }
  uint64_t checkpoint_basis() const { return basis_; }
  // The peer's log length as last heard, and how far it had pulled ours.
  uint64_t peer_last() const { return peer_last_; }
  uint64_t peer_pulled_after() const { return peer_after_; }
  const Quarantine& quarantine() const { return quarantine_; }

 private:
  void Fail(const std::string& why);
  void SendPull();
  // The peer's basis `basis`: true if the checkpoint was given under another (the pull
  // must start again from 0).
  bool TakeBasis(uint64_t basis);
  // Events of `origin` with these seqs came from the peer: it holds them.
  void NoteHeldByPeer(const std::string& origin, std::vector<uint64_t>* seqs);
  void MaybeServe();
  // Adds the conflicts' origins not yet quarantined; true if there were any.
  bool AddToQuarantine(const std::vector<SeqConflict>& conflicts);
  // Drops a batch's events and claims of quarantined origins.
  void HoldBack(std::vector<Event>* events, std::vector<SeqClaim>* skipped) const;
  void StartInsert(PeerBatch batch);

  std::string self_, expected_peer_;
  SessionEffects* effects_;
  bool closed_ = false;
  bool hello_received_ = false;
  // Puller side. `checkpoint_`: stored with the events through it; `cursor_`: where the
  // next pull starts (ahead of the checkpoint while a batch is being inserted).
  uint64_t checkpoint_;
  uint64_t cursor_;
  std::optional<PeerBatch> queued_;  // a batch received while the previous one is inserted
  bool pull_outstanding_ = false;
  bool discard_next_batch_ = false;  // the batch pulled has been given up (OnInsertRefused)
  bool inserting_ = false;
  uint64_t inserting_basis_ = 0;  // the basis of the batch being inserted
  uint64_t peer_last_ = 0;
  uint64_t basis_;  // the peer's basis the checkpoint is under (0: not known)
  Quarantine quarantine_;
  std::set<std::string> told_checked_;  // origins the peer named as split, checked already
  // The seqs of the batch being inserted, per origin (sorted), for echoed_ once stored.
  std::map<std::string, std::vector<uint64_t>> inserting_seqs_;
  // Server side.
  uint64_t announced_basis_ = 0;  // the basis last sent to the peer
  // Per origin, the latest run of seqs [first, last] the peer sent over this link and this
  // node stored: a batch need not name those back in `skipped`, since the peer holds the
  // very events (had this node held others there, the insert would have been refused).
  // Most skipped events are such echoes: the peer's own, coming back in this node's log.
  std::map<std::string, std::pair<uint64_t, uint64_t>> echoed_;
  VersionVector peer_held_;
  std::optional<uint64_t> pending_pull_;  // the position a held pull asked from
  uint32_t pending_max_ = kMaxBatch;
  bool reading_ = false;
  bool appended_while_reading_ = false;
  uint64_t peer_after_ = 0;
};

}  // namespace holdfast
