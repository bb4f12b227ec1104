// PeerLink: one TCP connection to a peer: TLS over it (tls.h), framed messages inside
// (wire/frame.h, sync.capnp), and a SyncSession deciding what flows. It carries out
// the session's effects: log reads and inserts on the thread pool, sends on the loop.
// It deletes itself once closed and no pool work of its own is left. It knows its owner
// (the SyncManager) only through LinkOwner.
#pragma once

#include <uv.h>

#include <memory>
#include <optional>
#include <string>

#include "eventstore/event_store.h"
#include "sync/session.h"
#include "sync/sync_keys.h"
#include "sync/tls.h"
#include "wire/frame.h"

namespace holdfast {

class PeerLink;

// What a link runs on: the node's loop, store and TLS identity (they outlive it).
struct LinkNode {
  uv_loop_t* loop = nullptr;
  EventStore* store = nullptr;
  const TlsContext* tls = nullptr;
};

// What a link has done that its peer's `sync status` shows: amounts to add, and the
// latest of the rest.
struct LinkProgress {
  uint64_t bytes_in = 0, bytes_out = 0;
  uint64_t events_in = 0;   // stored from the peer (the owner then wakes its other links)
  uint64_t events_out = 0;  // sent to the peer
  std::optional<uint64_t> behind_in;
  bool heard = false;   // the peer just sent something
  std::string waiting;  // why the peer's events wait to be stored (a full disk), if they do
  bool stored = false;  // a batch of the peer's was stored
  std::optional<Served> served;  // the peer pulled (or a held pull of its was read again)
};

// Everything a link needs from the manager that owns it, and everything it tells it. On the
// loop thread, but for OnPeerEventsStored.
class LinkOwner {
 public:
  virtual ~LinkOwner() = default;
  // Whether `peer` is one of this node's configured peers.
  virtual bool IsPeer(const std::string& peer) const = 0;
  // What this node sends `peer` (its data-sharing agreement; a removed peer gets nothing),
  // and the basis of what it serves it (sync.capnp).
  virtual PeerFilter FilterFor(const std::string& peer) const = 0;
  virtual uint64_t BasisFor(const std::string& peer) const = 0;
  // TLS has proved which peer is at the other end of `link`: takes it as that peer's link
  // (its session starts at once), or closes it as superseded and returns false when
  // another link with that peer is kept (one link per peer).
  virtual bool Admit(PeerLink* link) = 0;
  // The peer answered the link's hello: it counts as connected.
  virtual void OnLinked(const std::string& peer) = 0;
  virtual void OnProgress(const std::string& peer, const LinkProgress& progress) = 0;
  // The origins no longer taken from `peer` changed; the owner keeps them in the store.
  virtual void OnQuarantineChanged(const std::string& peer, const Quarantine& quarantine) = 0;
  // Events from a peer were stored (on the pool thread that stored them).
  virtual void OnPeerEventsStored() = 0;
  // The link closes (once); then, after its pool work ends, it is deleted.
  virtual void OnLinkClosed(PeerLink* link, const std::string& why) = 0;
  virtual void OnLinkDeleted() = 0;
};

class PeerLink : public SessionEffects {
 public:
  static constexpr uint32_t kMaxFrameBytes = 16u << 20;
  // How a received frame is read: bounded traversal and nesting (tests/fuzz reads the same).
  static capnp::ReaderOptions WireReaderOptions();

  // `expected_peer` is the node dialled (empty for an accepted connection).
  PeerLink(LinkOwner* owner, const LinkNode& node, bool outbound, std::string expected_peer);
  uv_tcp_t* tcp() { return &tcp_; }
  // Starts TLS and reading once the TCP connection is up.
  void Begin();
  void Close(const std::string& why) override;
  void NotifyAppend();

  bool outbound() const { return outbound_; }
  // Closed because another link with the same peer is kept (not a failure).
  bool superseded() const { return superseded_; }
  // TLS started (Begin) and not finished: nobody has proved who is at the other end.
  bool handshaking() const { return tls_ != nullptr && !tls_->handshake_done() && !closing_; }
  uint64_t began_ms() const { return began_ms_; }
  // Closes an accepted connection that never authenticated, without a log line of its
  // own (the manager counts them and logs a summary: they may come by the thousand).
  void Drop(const std::string& why);
  bool dropped() const { return dropped_; }
  bool established() const { return session_ != nullptr && !closing_; }
  const std::string& peer() const { return peer_; }
  const std::string& expected_peer() const { return expected_peer_; }
  SyncSession* session() { return session_.get(); }
  // Closes the link because another with the same peer is kept (telling the peer why).
  void Supersede(const std::string& why);
  // Refused after TLS (`why`, for this node's log): tells the peer `tell_peer` in a goodbye,
  // then reads nothing more and waits for it to close (EndRefusal after at most
  // kRefusalLingerMs), so the goodbye is read rather than lost to a reset.
  static constexpr uint64_t kRefusalLingerMs = 2000;
  bool refusing() const { return refusing_ && !closing_; }
  uint64_t refused_ms() const { return refused_ms_; }
  void EndRefusal();

  // SessionEffects
  void Send(capnp::MessageBuilder& message) override;
  void ReadChanges(uint64_t after, uint32_t max_events, const VersionVector& peer_held) override;
  void Insert(PeerBatch batch) override;
  void CheckClaims(std::vector<SeqClaim> claims) override;
  void QuarantineChanged(const std::vector<SeqConflict>& added) override;
  VersionVector Held() override;

 private:
  struct ReadWork;
  struct InsertWork;
  struct ClaimsWork;
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  void OnEstablished();
  void QueueInsert(InsertWork* work);
  // The store took no writes: offers the batch again after kInsertRetryMs.
  void InsertLater(InsertWork* work);
  void Refuse(const std::string& why, const std::string& tell_peer);
  void Flush();
  void MaybeDelete();

  LinkOwner* owner_;
  LinkNode node_;
  bool outbound_;
  std::string expected_peer_;
  std::string peer_;
  uv_tcp_t tcp_{};
  std::unique_ptr<TlsChannel> tls_;
  FrameDecoder decoder_{kMaxFrameBytes};
  std::unique_ptr<SyncSession> session_;
  bool closing_ = false;
  bool handle_closed_ = false;
  bool counted_linked_ = false;
  bool superseded_ = false;
  bool dropped_ = false;
  bool refusing_ = false;
  std::string refusal_;
  uint64_t refused_ms_ = 0;
  uint64_t began_ms_ = 0;  // uv_now when Begin ran
  int works_ = 0;
  char buffer_[64 * 1024];
};

}  // namespace holdfast
