// SyncManager: a node's peer links. It listens for peers on TCP, dials the peers it has an
// address for (reconnecting with exponential backoff and jitter, each peer on its own
// schedule), runs a SyncSession per link over mutual TLS, and keeps the per-peer state an
// operator sees. Runs on the daemon's libuv loop; store reads and writes go to the thread
// pool.
#pragma once

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "eventstore/event_store.h"
#include "sync/peer_link.h"
#include "sync/session.h"
#include "sync/sync_keys.h"
#include "sync/tls.h"

namespace holdfast {

struct PeerConfig {
  std::string id;
  std::string address;  // HOST:PORT to dial; empty: this node only accepts from it
  PeerFilter send;      // what this node sends it (the data-sharing agreement)
};

struct PeerStatus {
  PeerConfig config;
  bool connected = false;
  int64_t last_contact = 0;  // unix nanoseconds; 0: never
  // Positions of the peer's log this node has not pulled yet, as the peer last said (its
  // log's length less this node's checkpoint: events the filter holds back count too).
  uint64_t behind_in = 0;
  // The events of this node's log that pass the peer's filter and that it had neither
  // pulled nor held when this node last heard from it: filled by UnsentCounter (which reads
  // the log), not by the manager.
  uint64_t behind_out = 0;
  uint64_t events_in = 0, events_out = 0, bytes_in = 0, bytes_out = 0;
  std::string last_error;  // why the last link failed or waits; cleared when a link is up
  // How far the peer has pulled this node's log (kept in the store: sync_keys.h), and the
  // basis it would be served under now (a pull under another starts again from 0).
  Served served;
  uint64_t basis = 0;
  // Links that came up (the peer answered the hello), and links or dials that failed,
  // since the daemon started: `sync now` watches them move.
  uint64_t links_up = 0, links_failed = 0;
  // The origins no longer taken from this peer: its log and ours hold two different events
  // under one (origin, seq) of each (docs/sync-integrity.md).
  Quarantine quarantine;
  // This node's certificate or the CA's expires within kCertificateWarningDays (or has
  // expired): every link depends on them. Empty otherwise.
  std::string certificate;
};

// Every split a peer link found and keeps quarantined, from the store (for `store verify`):
// "sync: peer P holds another event under origin O seq N (<id> here, <id> there) ...".
Result<std::vector<std::string>> RecordedSplits(const EventStore& store);

// The type of the event `store` holds under an id: how a record.voided is judged (filter.h).
HeldTypeFn HeldTypesIn(const EventStore* store);

// Fills each PeerStatus's behind_out: the events of this node's log that the link would
// send the peer (they pass its filter, and its version vector did not cover them) after the
// position it last pulled from (from 0 when its basis has changed since). It reads the log
// on the calling thread, never on the loop. It remembers what it counted: while a peer's
// position, version vector and basis stay as they were (a peer that is down), asking again
// reads only the events appended since. Thread-safe.
class UnsentCounter {
 public:
  explicit UnsentCounter(const EventStore* store) : store_(store) {}
  Status Count(std::vector<PeerStatus*> peers);

 private:
  struct Counted {
    Served served;
    uint64_t basis = 0;
    std::string filter;    // PeerFilter::Canonical
    uint64_t through = 0;  // the log was read up to here
    uint64_t count = 0;
  };
  const EventStore* store_;
  std::mutex mu_;
  std::map<std::string, Counted> counted_;
};

class SyncManager : private LinkOwner {
 public:
  // A connection that has not finished its TLS handshake after this long is closed, and
  // at most this many accepted connections may be handshaking at once (a new one closes
  // the oldest): strangers on the peer port cannot hold descriptors or memory.
  static constexpr uint64_t kHandshakeTimeoutMs = 10000;
  static constexpr size_t kMaxHandshaking = 64;

  // `on_inserted` runs on a pool thread after peer events are stored (the projector's
  // catch-up, so reads reflect synced events).
  SyncManager(uv_loop_t* loop, EventStore* store, std::unique_ptr<TlsContext> tls,
              std::function<void()> on_inserted);
  ~SyncManager() override;

  // Listens on HOST:PORT (port 0 picks one; see port()).
  Status Listen(const std::string& address);
  int port() const { return port_; }
  // Replaces the peer table: new peers are dialled, removed ones disconnected.
  void SetPeers(const std::vector<PeerConfig>& peers);
  std::vector<PeerStatus> Peers() const;
  // Dial now the peers not connected (one, or all when empty), resetting their backoff.
  holdfast::Status SyncNow(const std::string& peer);
  // Runs (on the loop) whenever a peer's status changes: a link comes up or closes, events
  // move. For waiting on them (PeerRegistry's sync now): it must be quick.
  void SetChangeListener(std::function<void()> listener) { on_change_ = std::move(listener); }
  // New local events: wake the links holding a pull. Thread-safe.
  void NotifyAppend();
  // Closes the listener and every link; `done` runs on the loop when all are closed.
  void Shutdown(std::function<void()> done);

 private:
  struct PeerState {
    SyncManager* manager = nullptr;
    std::string id;
    PeerStatus status;
    uv_timer_t redial{};
    bool dialing = false;
    int attempts = 0;
    int established = 0;             // links up
    uint64_t served_written_ms = 0;  // when `status.served` was last kept in the store
    bool served_unwritten = false;   // it has changed since
    bool error_is_waiting = false;   // last_error is LinkProgress::waiting
  };
  void Dial(const std::string& peer);
  void ScheduleRedial(PeerState* state);
  // LinkOwner (peer_link.h), for the links it makes.
  bool IsPeer(const std::string& id) const override;
  PeerFilter FilterFor(const std::string& id) const override;
  // A fingerprint of this node's log and of the filter it applies for that peer, never 0.
  uint64_t BasisFor(const std::string& id) const override;
  bool Admit(PeerLink* link) override;
  void OnLinked(const std::string& peer) override;
  void OnProgress(const std::string& peer, const LinkProgress& progress) override;
  void OnQuarantineChanged(const std::string& peer, const Quarantine& quarantine) override;
  void OnPeerEventsStored() override;
  void OnLinkClosed(PeerLink* link, const std::string& why) override;
  void OnLinkDeleted() override { MaybeFinish(); }

  LinkNode Node() const { return {loop_, store_, tls_.get()}; }
  // The state kept for a peer (removed ones too, while links may name them); null if none.
  PeerState* StateOf(const std::string& id);
  // The filter applied for a peer (one that lets nothing through for a removed peer).
  const PeerFilter& FilterOf(const std::string& id) const;
  void MaybeFinish();
  // Writes to the store's meta on the thread pool (a failure is logged).
  void WriteMeta(MetaWrites writes);
  // Keeps the peer's `served` in the store: now, or when `soon`, if a second has passed.
  void KeepServed(PeerState* state, bool soon);
  void Changed() {
    if (on_change_) on_change_();
  }
  // Before accepting a connection: closes the oldest accepted connection still
  // handshaking when there are already kMaxHandshaking of them.
  void MakeRoomForHandshake();
  // Every second: closes the connections whose handshake has taken too long.
  void SweepHandshakes();
  // Counts a dropped stranger; logs a summary at most every 10 s.
  void NoteDropped(const std::string& why);

  uv_loop_t* loop_;
  EventStore* store_;
  std::unique_ptr<TlsContext> tls_;
  std::function<void()> on_inserted_;
  std::function<void()> on_change_;
  uv_tcp_t listener_{};
  bool listening_ = false;
  int port_ = 0;
  uv_async_t append_async_{};
  uv_timer_t sweep_{};
  uint64_t certificates_checked_ms_ = 0;  // when the expiry notices were last logged
  uint64_t dropped_ = 0;                  // strangers dropped since the last summary line
  uint64_t dropped_logged_ms_ = 0;        // when that line was written
  std::string dropped_last_why_;
  std::map<std::string, std::unique_ptr<PeerState>> peers_;
  std::set<PeerLink*> links_;
  bool stopping_ = false;
  std::function<void()> on_stopped_;
  int open_handles_ = 0;
};

}  // namespace holdfast
