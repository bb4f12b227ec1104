#include "sync/tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <ctime>

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

namespace {

std::string Day(int64_t unix_seconds) {
  const time_t t = static_cast<time_t>(unix_seconds);
  tm utc{};
  gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &utc);
  return text;
}

std::string CommonName(X509* cert) {
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  return cn;
}

int64_t NotAfter(const X509* cert) {
  tm when{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &when) != 1) return 0;
  return static_cast<int64_t>(timegm(&when));
}

}  // namespace

Result<int64_t> CertificateNotAfter(const std::string& pem_file) {
  FILE* f = std::fopen(pem_file.c_str(), "r");
  if (f == nullptr) return Status::InvalidArgument("cannot read " + pem_file);
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (cert == nullptr) {
    return Status::InvalidArgument(pem_file + " holds no certificate: " + OpenSslError());
  }
  const int64_t not_after = NotAfter(cert);
  X509_free(cert);
  if (not_after == 0) return Status::InvalidArgument(pem_file + ": unreadable expiry date");
  return not_after;
}

std::string ExpiryNotice(std::string_view what, int64_t not_after, int64_t now) {
  if (now >= not_after) return std::string(what) + " expired on " + Day(not_after);
  const int64_t days = (not_after - now) / 86400;
  if (days >= kCertificateWarningDays) return "";
  const std::string in = days == 0   ? "less than a day"
                         : days == 1 ? "1 day"
                                     : std::to_string(days) + " days";
  return std::string(what) + " expires in " + in + ", on " + Day(not_after);
}

int64_t TlsContext::CurrentUnixSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

std::vector<std::string> TlsContext::ExpiryNotices(int64_t now) const {
  std::vector<std::string> out;
  std::string notice = ExpiryNotice("this node's certificate " + cert_file_, cert_not_after_, now);
  if (!notice.empty()) {
    out.push_back(notice + ": make a new one with `ops/make-node-cert DIR " + node_ +
                  "` (DIR holding the partnership CA) and restart holdfastd; peers refuse an "
                  "expired certificate");
  }
  notice = ExpiryNotice("the partnership CA's certificate " + ca_file_, ca_not_after_, now);
  if (!notice.empty()) {
    out.push_back(notice +
                  ": make a new CA with `ops/make-ca DIR` and a certificate for every "
                  "node with `ops/make-node-cert DIR NODE`; nothing it signed is accepted once "
                  "it has expired");
  }
  return out;
}

Result<std::unique_ptr<TlsContext>> TlsContext::Create(const std::string& ca,
                                                       const std::string& cert,
                                                       const std::string& key, int64_t now) {
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
  // An expired certificate is refused by every peer, and an expired CA fails every
  // handshake: starting would only look well.
  X509* leaf = SSL_CTX_get0_certificate(ctx);
  context->node_ = CommonName(leaf);
  context->cert_file_ = cert;
  context->cert_not_after_ = NotAfter(leaf);
  if (context->cert_not_after_ == 0) {
    return Status::InvalidArgument("sync.cert: " + cert + " has an unreadable expiry date");
  }
  if (now >= context->cert_not_after_) {
    return Status::InvalidArgument(
        "sync.cert: " + cert + " expired on " + Day(context->cert_not_after_) +
        " and every peer refuses it: make a new one with `ops/make-node-cert DIR " +
        context->node_ + "` (DIR holding the partnership CA) and set it in [sync] cert");
  }
  auto ca_not_after = CertificateNotAfter(ca);
  if (!ca_not_after.ok())
    return Status::InvalidArgument("sync.ca: " + ca_not_after.status().message());
  context->ca_file_ = ca;
  context->ca_not_after_ = *ca_not_after;
  if (now >= context->ca_not_after_) {
    return Status::InvalidArgument(
        "sync.ca: " + ca + " expired on " + Day(context->ca_not_after_) +
        " and no certificate it signed is accepted any more: make a new CA with `ops/make-ca "
        "DIR` and a certificate for every node with `ops/make-node-cert DIR NODE`");
  }
  // Both ends must prove who they are with a certificate from the partnership's CA.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return context;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

TlsChannel::TlsChannel(const TlsContext& context, bool is_server)
    : ssl_(SSL_new(context.ctx())), in_(BIO_new(BIO_s_mem())), out_(BIO_new(BIO_s_mem())) {
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
