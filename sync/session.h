// SyncSession: the replication state machine of one connection to one peer, as plain
// code (no sockets, no disk): it decides what to send, what to ask for, what to insert and
// which checkpoint to keep. An adapter (peer_link.h) carries its effects out over TLS and
// the store, and feeds the results back. Tests drive it directly.
#pragma once

#include <capnp/message.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eventstore/event.h"
#include "eventstore/event_store.h"
#include "sync/sync.capnp.h"

namespace holdfast {

// The data-sharing agreement with one peer: which event types it may receive, by type
// prefix ("alert.", "breach.", "case.opened"). Empty: every type.
struct PeerFilter {
  std::vector<std::string> prefixes;
  bool Allows(std::string_view type) const;
  // "alert.,breach.,case.opened" <-> prefixes; "*" or "" means every type.
  static PeerFilter Parse(const std::string& text);
  std::string ToString() const;
};

// Should the server send this event to a peer with this filter that already holds `held`?
bool ShouldSend(schema::Event::Reader event, const PeerFilter& filter, const VersionVector& held);

class SessionEffects {
 public:
  virtual ~SessionEffects() = default;
  virtual void Send(capnp::MessageBuilder& message) = 0;
  // Read the local log after `after` for this peer; answer with SyncSession::OnChanges.
  virtual void ReadChanges(uint64_t after, uint32_t max_events, const VersionVector& peer_held) = 0;
  // Insert the peer's events with the checkpoint `through` (given under `basis`),
  // atomically; answer with SyncSession::OnInserted.
  virtual void Insert(std::vector<Event> events, uint64_t through, uint64_t basis) = 0;
  virtual void Close(const std::string& why) = 0;
  // This node's version vector now (contiguous marks), sent with each pull.
  virtual VersionVector Held() = 0;
};

class SyncSession {
 public:
  static constexpr uint32_t kMaxBatch = 2000;

  // `expected_peer`: the node id the TLS certificate proved; the hello must match it.
  // `checkpoint`: the stored position reached in that peer's log, under the peer's
  // `checkpoint_basis` (0: not known; the first basis the peer gives is taken as it).
  SyncSession(std::string self, std::string expected_peer, uint64_t checkpoint,
              SessionEffects* effects, uint64_t checkpoint_basis = 0);

  // Sends our hello. `basis`: a fingerprint of this node's log and of its filter for the
  // peer (0: none), sent with the hello and each batch; when it changes, the peer pulls
  // again from the start.
  void Start(const VersionVector& held, uint64_t last_position, uint64_t basis = 0);
  // A message from the peer. Protocol violations close the session.
  void OnMessage(wire::Message::Reader message);
  // Results of the effects.
  // `basis`: the one the read was made under; a held pull is answered, if with nothing,
  // when it differs from the basis the peer was last told.
  void OnChanges(std::vector<Event> events, uint64_t through, uint64_t server_last,
                 uint64_t basis = 0);
  void OnInserted(const Status& status, uint64_t through, size_t inserted);
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

 private:
  void Fail(const std::string& why);
  void SendPull();
  // The peer's basis `basis`: true if the checkpoint was given under another (the pull
  // must start again from 0).
  bool TakeBasis(uint64_t basis);
  // Events of `origin` with these seqs came from the peer: it holds them.
  void NoteHeldByPeer(const std::string& origin, std::vector<uint64_t>* seqs);
  void MaybeServe();

  std::string self_, expected_peer_;
  SessionEffects* effects_;
  bool closed_ = false;
  bool hello_received_ = false;
  // Puller side. `checkpoint_`: stored with the events through it; `cursor_`: where the
  // next pull starts (ahead of the checkpoint while a batch is being inserted).
  uint64_t checkpoint_;
  uint64_t cursor_;
  struct Queued {
    std::vector<Event> events;
    uint64_t through, basis;
  };
  std::optional<Queued> queued_;  // a batch received while the previous one is inserted
  bool pull_outstanding_ = false;
  bool inserting_ = false;
  uint64_t peer_last_ = 0;
  uint64_t basis_;  // the peer's basis the checkpoint is under (0: not known)
  // Server side.
  uint64_t announced_basis_ = 0;  // the basis last sent to the peer
  VersionVector peer_held_;
  std::optional<uint64_t> pending_pull_;  // the position a held pull asked from
  uint32_t pending_max_ = kMaxBatch;
  bool reading_ = false;
  bool appended_while_reading_ = false;
  uint64_t peer_after_ = 0;
};

}  // namespace holdfast
