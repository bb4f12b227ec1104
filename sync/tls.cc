#include "sync/tls.h"

#include <openssl/err.h>
#include <openssl/x509.h>

namespace holdfast {

std::string OpenSslError() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown TLS error" : out;
}

Result<std::unique_ptr<TlsContext>> TlsContext::Create(const std::string& ca,
                                                       const std::string& cert,
                                                       const std::string& key) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  if (ctx == nullptr) return Status::IoError("TLS: " + OpenSslError());
  std::unique_ptr<TlsContext> context(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  if (SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr) != 1) {
    return Status::InvalidArgument("sync.ca: cannot load the CA certificate " + ca + ": " +
                                   OpenSslError());
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1) {
    return Status::InvalidArgument("sync.cert: cannot load " + cert + ": " + OpenSslError());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Status::InvalidArgument("sync.key: cannot load " + key + ": " + OpenSslError());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Status::InvalidArgument("sync.key: " + key + " does not match " + cert);
  }
  // Both ends must prove who they are with a certificate from the partnership's CA.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return context;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

TlsChannel::TlsChannel(const TlsContext& context, bool is_server)
    : ssl_(SSL_new(context.ctx())),
      in_(BIO_new(BIO_s_mem())),
      out_(BIO_new(BIO_s_mem())),
      is_server_(is_server) {
  SSL_set_bio(ssl_, in_, out_);  // ssl_ owns both BIOs now
  if (is_server) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
  }
}

TlsChannel::~TlsChannel() { SSL_free(ssl_); }

Status TlsChannel::Start() {
  std::string ignored;
  return Advance(&ignored);
}

Status TlsChannel::Advance(std::string* plaintext) {
  if (!handshake_done_) {
    ERR_clear_error();
    int rc = SSL_do_handshake(ssl_);
    if (rc != 1) {
      int err = SSL_get_error(ssl_, rc);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return Status::Ok();
      long verify = SSL_get_verify_result(ssl_);
      std::string why =
          verify != X509_V_OK ? X509_verify_cert_error_string(verify) : OpenSslError();
      return Status::PermissionDenied("TLS handshake failed: " + why);
    }
    handshake_done_ = true;
  }
  char buf[16 * 1024];
  for (;;) {
    ERR_clear_error();
    int n = SSL_read(ssl_, buf, sizeof buf);
    if (n > 0) {
      plaintext->append(buf, static_cast<size_t>(n));
      continue;
    }
    int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return Status::Ok();
    if (err == SSL_ERROR_ZERO_RETURN) return Status::Unavailable("peer closed the TLS session");
    return Status::InvalidArgument("TLS: " + OpenSslError());
  }
}

Status TlsChannel::Feed(const char* data, size_t size, std::string* plaintext) {
  if (BIO_write(in_, data, static_cast<int>(size)) != static_cast<int>(size)) {
    return Status::IoError("TLS: buffering failed");
  }
  return Advance(plaintext);
}

Status TlsChannel::Write(std::string_view plaintext) {
  if (!handshake_done_) return Status::Unavailable("TLS handshake not finished");
  size_t done = 0;
  while (done < plaintext.size()) {
    ERR_clear_error();
    int n = SSL_write(ssl_, plaintext.data() + done, static_cast<int>(plaintext.size() - done));
    if (n <= 0) return Status::IoError("TLS write: " + OpenSslError());
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

std::string TlsChannel::TakeOutgoing() {
  std::string out;
  char buf[16 * 1024];
  int n;
  while ((n = BIO_read(out_, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

std::string TlsChannel::PeerName() const {
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr) return "";
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  X509_free(cert);
  return cn;
}

}  // namespace holdfast
