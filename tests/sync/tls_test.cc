// Certificate expiry (sync/tls.h): the dates read from real certificates, made here with
// OpenSSL's own API (a CA and node certificates valid from and until any time, which the
// openssl command line of Debian 12 cannot set directly), and what a node says and refuses.
#include "sync/tls.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>

#include "tests/eventstore/test_events.h"

namespace holdfast {
namespace {

constexpr long kDay = 86400;

struct KeyAndCert {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  ~KeyAndCert() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

void Write(const std::string& path, const std::function<int(FILE*)>& write) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) throw std::runtime_error("cannot write " + path);
  const int ok = write(f);
  std::fclose(f);
  if (ok != 1) throw std::runtime_error("cannot encode " + path);
}

// A certificate for `cn` valid from `from` to `until` seconds from now, signed by `issuer`
// (itself when null: a CA), written to DIR/NAME.crt and DIR/NAME.key.
void Make(KeyAndCert* out, const std::string& dir, const std::string& name, const std::string& cn,
          long from, long until, const KeyAndCert* issuer) {
  out->key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  out->cert = X509_new();
  X509* x = out->cert;
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x),
                   static_cast<long>(std::hash<std::string>()(name) & 0x7fffffff));
  X509_gmtime_adj(X509_getm_notBefore(x), from);
  X509_gmtime_adj(X509_getm_notAfter(x), until);
  X509_NAME* subject = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->cert) : subject);
  X509_set_pubkey(x, out->key);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer->cert : x, x, nullptr, nullptr, 0);
  const char* constraints = issuer ? "critical,CA:FALSE" : "critical,CA:TRUE";
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints, constraints);
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  if (X509_sign(x, issuer ? issuer->key : out->key, nullptr) == 0) {
    throw std::runtime_error("cannot sign " + name);
  }
  Write(dir + "/" + name + ".crt", [&](FILE* f) { return PEM_write_X509(f, x); });
  Write(dir + "/" + name + ".key", [&](FILE* f) {
    return PEM_write_PrivateKey(f, out->key, nullptr, nullptr, 0, nullptr, nullptr);
  });
}

struct Partnership {
  testing::TempDir dir;
  KeyAndCert ca;
  explicit Partnership(long ca_from = -kDay, long ca_until = 3650 * kDay) {
    Make(&ca, dir.path(), "ca", "holdfast partnership CA", ca_from, ca_until, nullptr);
  }
  std::string ca_file() const { return dir.path() + "/ca.crt"; }
  // DIR/NAME.crt and .key for node `cn`.
  void Node(const std::string& name, const std::string& cn, long from, long until) {
    KeyAndCert node;
    Make(&node, dir.path(), name, cn, from, until, &ca);
  }
  Result<std::unique_ptr<TlsContext>> Context(const std::string& name,
                                              int64_t now = TlsContext::CurrentUnixSeconds()) {
    return TlsContext::Create(ca_file(), dir.path() + "/" + name + ".crt",
                              dir.path() + "/" + name + ".key", now);
  }
};

TEST_CASE("a certificate's expiry is read from its file", "[sync][tls]") {
  Partnership p;
  p.Node("n", "probation-1", -kDay, 10 * kDay);
  auto not_after = CertificateNotAfter(p.dir.path() + "/n.crt");
  REQUIRE(not_after.ok());
  const int64_t expected = TlsContext::CurrentUnixSeconds() + 10 * kDay;
  CHECK(*not_after <= expected);
  CHECK(*not_after >= expected - 60);
  auto missing = CertificateNotAfter(p.dir.path() + "/none.crt");
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.status().message(), Catch::Contains("none.crt"));
}

TEST_CASE("an expiry notice comes 30 days before and says when", "[sync][tls]") {
  const int64_t end = 1798761600;  // 2027-01-01T00:00:00Z
  CHECK(ExpiryNotice("x", end, end - 31 * kDay).empty());
  CHECK(ExpiryNotice("x", end, end - 30 * kDay).empty());
  CHECK(ExpiryNotice("x", end, end - 30 * kDay + 1) ==
        "x expires in 29 days, on 2027-01-01 00:00 UTC");
  CHECK(ExpiryNotice("x", end, end - 12 * kDay - 5) ==
        "x expires in 12 days, on 2027-01-01 00:00 UTC");
  CHECK(ExpiryNotice("x", end, end - kDay - 1) == "x expires in 1 day, on 2027-01-01 00:00 UTC");
  CHECK(ExpiryNotice("x", end, end - 60) ==
        "x expires in less than a day, on 2027-01-01 00:00 UTC");
  CHECK(ExpiryNotice("x", end, end) == "x expired on 2027-01-01 00:00 UTC");
  CHECK(ExpiryNotice("x", end, end + 90 * kDay) == "x expired on 2027-01-01 00:00 UTC");
}

TEST_CASE("a node's TLS context warns of a certificate that expires soon", "[sync][tls]") {
  Partnership p;
  p.Node("fresh", "probation-1", -kDay, 825 * kDay);
  p.Node("soon", "probation-1", -kDay, 10 * kDay + 3600);
  auto fresh = p.Context("fresh");
  REQUIRE(fresh.ok());
  CHECK((*fresh)->ExpiryNotices(TlsContext::CurrentUnixSeconds()).empty());
  auto soon = p.Context("soon");
  REQUIRE(soon.ok());
  auto notices = (*soon)->ExpiryNotices(TlsContext::CurrentUnixSeconds());
  REQUIRE(notices.size() == 1);
  CHECK_THAT(notices[0], Catch::StartsWith("this node's certificate " + p.dir.path() +
                                           "/soon.crt expires in 10 days, on "));
  CHECK_THAT(notices[0], Catch::Contains("ops/make-node-cert DIR probation-1"));
  // 800 days on, the fresh one is near its end too.
  notices = (*fresh)->ExpiryNotices(TlsContext::CurrentUnixSeconds() + 800 * kDay + 3600);
  REQUIRE(notices.size() == 1);
  CHECK_THAT(notices[0], Catch::Contains("expires in 24 days"));
}

TEST_CASE("a node's TLS context refuses an expired certificate or CA, saying how to renew",
          "[sync][tls]") {
  SECTION("the node's certificate") {
    Partnership p;
    p.Node("old", "probation-1", -30 * kDay, -kDay);
    auto r = p.Context("old");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kInvalidArgument);
    CHECK_THAT(r.status().message(),
               Catch::StartsWith("sync.cert: " + p.dir.path() + "/old.crt expired on ") &&
                   Catch::Contains("ops/make-node-cert DIR probation-1"));
  }
  SECTION("a certificate that was good, a year later") {
    Partnership p;
    p.Node("n", "probation-1", -kDay, 100 * kDay);
    CHECK(p.Context("n").ok());
    auto later = p.Context("n", TlsContext::CurrentUnixSeconds() + 365 * kDay);
    REQUIRE_FALSE(later.ok());
    CHECK_THAT(later.status().message(), Catch::Contains("expired on"));
  }
  SECTION("the CA's certificate") {
    Partnership p(-30 * kDay, -kDay);
    p.Node("n", "probation-1", -20 * kDay, 100 * kDay);
    auto r = p.Context("n");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(),
               Catch::StartsWith("sync.ca: " + p.ca_file() + " expired on ") &&
                   Catch::Contains("ops/make-ca DIR"));
  }
  SECTION("a CA that expires soon is named too") {
    Partnership p(-kDay, 5 * kDay + 3600);
    p.Node("n", "probation-1", -kDay, 3 * kDay);
    auto r = p.Context("n");
    REQUIRE(r.ok());
    auto notices = (*r)->ExpiryNotices(TlsContext::CurrentUnixSeconds());
    REQUIRE(notices.size() == 2);
    CHECK_THAT(notices[0], Catch::Contains("this node's certificate"));
    CHECK_THAT(notices[1], Catch::StartsWith("the partnership CA's certificate " + p.ca_file() +
                                             " expires in 5 days") &&
                               Catch::Contains("ops/make-ca DIR"));
  }
}

}  // namespace
}  // namespace holdfast
