// PeerLink: one TCP connection to a peer: TLS over it (tls.h), framed messages inside
// (eventstore/frame.h, sync.capnp), and a SyncSession deciding what flows. It carries out
// the session's effects: log reads and inserts on the thread pool, sends on the loop.
// It deletes itself once closed and no pool work of its own is left.
#pragma once

#include <uv.h>

#include <memory>
#include <string>

#include "eventstore/frame.h"
#include "sync/session.h"
#include "sync/tls.h"

namespace holdfast {

class SyncManager;

class PeerLink : public SessionEffects {
 public:
  static constexpr uint32_t kMaxFrameBytes = 16u << 20;
  // How a received frame is read: bounded traversal and nesting (tests/fuzz reads the same).
  static capnp::ReaderOptions WireReaderOptions();

  // `expected_peer` is the node dialled (empty for an accepted connection).
  PeerLink(SyncManager* manager, bool outbound, std::string expected_peer);
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
  void Flush();
  void MaybeDelete();
  void Supersede(const std::string& why);

  SyncManager* manager_;
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
  uint64_t began_ms_ = 0;  // uv_now when Begin ran
  int works_ = 0;
  char buffer_[64 * 1024];
};

}  // namespace holdfast
