// Mutual TLS for peer links, with OpenSSL over memory BIOs so that libuv owns the socket:
// ciphertext read from the network goes in with Feed, plaintext comes out; plaintext to
// send goes in with Write, ciphertext to put on the wire comes out with TakeOutgoing.
// TLS 1.3 only; both sides must present a certificate issued by the partnership CA, and a
// node's identity is its certificate's common name.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eventstore/status.h"

namespace holdfast {

// How long before a certificate expires the operator is warned (at start, daily in the
// log, and in `holdfast sync status`).
inline constexpr int64_t kCertificateWarningDays = 30;

// When the first certificate in a PEM file stops being valid, in seconds since the epoch.
// InvalidArgument naming the file if it holds no readable certificate.
Result<int64_t> CertificateNotAfter(const std::string& pem_file);

// What an operator must hear about `what` ("this node's certificate") that stops being
// valid at `not_after`, seen at `now` (seconds since the epoch): "expired on 2027-01-01" or
// "expires in 12 days, on 2027-01-01" from kCertificateWarningDays before; empty until then.
std::string ExpiryNotice(std::string_view what, int64_t not_after, int64_t now);

class TlsContext {
 public:
  // Loads the CA, this node's certificate and key. InvalidArgument naming the file if any
  // is missing or unusable, if the key does not match the certificate, or if the
  // certificate or the CA has expired at `now` (seconds since the epoch; every peer would
  // refuse this node, so the message says how to make a new one).
  static Result<std::unique_ptr<TlsContext>> Create(const std::string& ca, const std::string& cert,
                                                    const std::string& key,
                                                    int64_t now = CurrentUnixSeconds());
  ~TlsContext();
  SSL_CTX* ctx() const { return ctx_; }
  // Notices for this node's certificate and the CA's (ExpiryNotice), at `now`: what the
  // operator must act on before the node's links fail.
  std::vector<std::string> ExpiryNotices(int64_t now) const;
  static int64_t CurrentUnixSeconds();

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
  std::string node_;  // this node's certificate's common name
  std::string cert_file_, ca_file_;
  int64_t cert_not_after_ = 0, ca_not_after_ = 0;
};

class TlsChannel {
 public:
  TlsChannel(const TlsContext& context, bool is_server);
  ~TlsChannel();
  TlsChannel(const TlsChannel&) = delete;
  TlsChannel& operator=(const TlsChannel&) = delete;

  // Starts the handshake (a client sends its hello); call TakeOutgoing after.
  Status Start();
  // Ciphertext from the peer. Appends any plaintext it yields to `plaintext`. An error
  // (a failed handshake, a bad certificate, a broken record) is final.
  Status Feed(const char* data, size_t size, std::string* plaintext);
  // Encrypts plaintext for the peer. Only after the handshake.
  Status Write(std::string_view plaintext);
  // Ciphertext waiting to be sent.
  std::string TakeOutgoing();
  bool handshake_done() const { return handshake_done_; }
  // The verified peer certificate's common name (after the handshake).
  std::string PeerName() const;

 private:
  Status Advance(std::string* plaintext);
  SSL* ssl_;
  BIO* in_;   // network -> OpenSSL
  BIO* out_;  // OpenSSL -> network
  bool handshake_done_ = false;
};

// The last OpenSSL error on this thread, as text (and clears the queue).
std::string OpenSslError();

}  // namespace holdfast
