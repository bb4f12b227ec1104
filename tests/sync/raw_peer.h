// RawPeer: the test's own TLS client for a node's peer port, written directly on OpenSSL
// and a socket, so a test can be a peer that holdfastd would never be: one without a
// certificate, with a certificate from another CA or an expired one, or one that sends
// garbage, oversized, truncated or out-of-order frames after a good handshake.
#pragma once

#include <capnp/message.h>
#include <openssl/ssl.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sync/sync.capnp.h"

namespace holdfast::synctest {

class RawPeer {
 public:
  // No certificate when cert and key are empty.
  RawPeer(int port, const std::string& cert, const std::string& key);
  ~RawPeer();
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;

  // TCP connect and the TLS handshake, as a client. False with `error` set if either fails
  // (in TLS 1.3 a client may finish its handshake before the server has checked its
  // certificate: a refusal then shows as a closed connection on the next read).
  // `on_server_flight`, when set, runs once the node's first handshake flight has arrived,
  // just before this client answers it with its own certificate and Finished.
  bool Handshake(std::chrono::milliseconds limit, std::string* error,
                 const std::function<void()>& on_server_flight = {});
  // Plaintext to the node (inside TLS). False once the connection is broken.
  bool Write(std::string_view bytes);
  // One framed sync message.
  bool Send(capnp::MessageBuilder& message);

  enum class ReadEnd { kClosed, kTimedOut, kEnough };
  // Reads plaintext into received() until the node closes the connection (EOF, reset or a
  // TLS alert), `limit` passes, or `enough` holds for what was decoded so far.
  ReadEnd Read(std::chrono::milliseconds limit, const std::function<bool()>& enough = {});

  // What came in: the raw plaintext, and the frames decoded from it.
  const std::string& received() const { return plaintext_; }
  size_t hellos() const { return hellos_; }
  size_t pulls() const { return pulls_; }
  size_t batches() const { return batches_; }
  const std::vector<std::string>& event_ids() const { return event_ids_; }
  // Each pull the node sent: where from, and the splits it named ("ORIGIN SEQ ID": where
  // the node's log and this peer's hold two different events, and the node's event).
  struct SeenPull {
    uint64_t after = 0;
    std::vector<std::string> conflicts;
  };
  const std::vector<SeenPull>& seen_pulls() const { return seen_pulls_; }
  const std::string& close_reason() const { return close_reason_; }
  // The text of the last goodbye the node sent (why it closes), if it sent one.
  const std::string& goodbye() const { return goodbye_; }

  // Drops the connection with a TCP reset (SO_LINGER 0), as a crashed peer or a middlebox
  // would, leaving whatever the node sent unread. With `fin_first` it hangs up (FIN) just
  // before: what a peer's kernel does when the peer has closed and the node writes again.
  void Reset(bool fin_first = false);

  // Acts as node `self`: a hello with an empty version vector, then a pull from position 0.
  bool HelloAndPull(const std::string& self);

 private:
  void Decode();
  bool WaitFd(short events, std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  int port_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string plaintext_;
  size_t decoded_ = 0;
  size_t hellos_ = 0, pulls_ = 0, batches_ = 0;
  std::vector<std::string> event_ids_;
  std::vector<SeenPull> seen_pulls_;
  std::string close_reason_;
  std::string goodbye_;
};

// The frame bytes of a message (4-byte little-endian length, then the words).
std::string Frame(capnp::MessageBuilder& message);
std::string FrameHeader(uint32_t length);

}  // namespace holdfast::synctest
