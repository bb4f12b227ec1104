// Mutual TLS for peer links, with OpenSSL over memory BIOs so that libuv owns the socket:
// ciphertext read from the network goes in with Feed, plaintext comes out; plaintext to
// send goes in with Write, ciphertext to put on the wire comes out with TakeOutgoing.
// TLS 1.3 only; both sides must present a certificate issued by the partnership CA, and a
// node's identity is its certificate's common name.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

#include "eventstore/status.h"

namespace holdfast {

class TlsContext {
 public:
  // Loads the CA, this node's certificate and key. InvalidArgument naming the file if any
  // is missing or unusable, or if the key does not match the certificate.
  static Result<std::unique_ptr<TlsContext>> Create(const std::string& ca, const std::string& cert,
                                                    const std::string& key);
  ~TlsContext();
  SSL_CTX* ctx() const { return ctx_; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
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
  bool is_server_;
  bool handshake_done_ = false;
};

// The last OpenSSL error on this thread, as text (and clears the queue).
std::string OpenSslError();

}  // namespace holdfast
