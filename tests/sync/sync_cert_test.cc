// A node's own certificate near or past its end (docs/certificates.md): a real holdfastd
// started with certificates made by ops/make-node-cert and openssl.
#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/sync/sync_harness.h"

namespace holdfast::synctest {
namespace {

using test::Contains;

// Points the node's config at another certificate and key.
void UseCertificate(SyncNode& node, const Pki::Identity& identity) {
  std::string conf = test::ReadFile(node.node().config());
  for (const auto& [key, value] :
       {std::make_pair("cert", identity.cert), std::make_pair("key", identity.key)}) {
    const std::string line = "\n" + std::string(key) + " = ";
    const size_t at = conf.find(line);
    REQUIRE(at != std::string::npos);
    const size_t end = conf.find('\n', at + 1);
    conf.replace(at, end - at, line + value);
  }
  test::WriteFile(node.node().config(), conf);
}

TEST_CASE("a node whose certificate has expired refuses to start, naming ops/make-node-cert",
          "[sync][e2e][cert]") {
  TempDir dir;
  Pki pki(dir / "pki");
  SyncNode node(dir.path(), pki, "probation-1", "probation");
  UseCertificate(node, pki.Expired("probation-1"));
  test::RunOptions options;
  options.timeout = Scaled(milliseconds(20000));
  auto r = test::Run({test::HoldfastdPath(), "--config", node.node().config()}, {}, options);
  INFO(r.Describe());
  CHECK(test::IsOneLineFailure(r));
  CHECK(r.exit == 2);
  CHECK(Contains(r.err, "sync.cert: " + pki.dir() + "/expired-probation-1.crt expired on "));
  CHECK(Contains(r.err, "ops/make-node-cert DIR probation-1"));
  CHECK(!std::filesystem::exists(node.node().socket()));
}

TEST_CASE("a node whose certificate expires within 30 days says so at start and in sync status",
          "[sync][e2e][cert]") {
  TempDir dir;
  Pki pki(dir / "pki");
  SyncNode node(dir.path(), pki, "probation-1", "probation");
  node.AddPeerToConfig("provider-1", "", "all");
  // The same files the config names, made again to last 10 days.
  auto made = test::Run({OpsDir() + "/make-node-cert", pki.dir(), "probation-1", "--days", "10"});
  INFO(made.Describe());
  REQUIRE(made.exit == 0);
  node.Start();
  const std::string notice = "this node's certificate " + pki.dir() + "/probation-1.crt expires in";
  CHECK(Contains(node.Log(), notice));
  CHECK(Contains(node.Log(), "ops/make-node-cert DIR probation-1"));
  const auto row = StatusOf(node, "provider-1");
  const std::string shown = row.count("certificate") ? row.at("certificate") : "";
  CHECK((Contains(shown, notice + " 9 days") || Contains(shown, notice + " 10 days")));
  auto table = node.Operator({"sync", "status"});
  INFO(table.Describe());
  CHECK(Contains(table.out, "certificate: " + notice));
}

}  // namespace
}  // namespace holdfast::synctest
