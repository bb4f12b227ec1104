// `sync status` and `sync now` telling the truth (issue 13), between real nodes: events still
// to go to a peer that is down, after a restart too; an error that is over; why a peer
// refuses this node; sync now that could not reach its peer; and what each role sees.
#include <catch2/catch.hpp>
#include <cstdio>

#include "tests/sync/sync_harness.h"

namespace holdfast::synctest {
namespace {

using test::Contains;

// An incident report: not in the `provider` agreement.
std::string IncidentLine(const std::string& id, int n) {
  return R"({"id":")" + id +
         R"(","type":"incident.reported","occurred_at":"2025-03-04T18:00:00Z","author":{"user":"pc-1","role":"police","agency":"police-ce"},"data":{"subject":"P-1","incident":"INC-)" +
         std::to_string(n) + R"(","category":"domestic_abuse","crime":true}})";
}

TEST_CASE("behind_out counts the events a peer that is down has still to get, after a restart too",
          "[sync][e2e][status]") {
  TempDir dir;
  Pki pki(dir / "pki");
  SyncNode probation(dir.path(), pki, "probation-1", "probation");
  SyncNode provider(dir.path(), pki, "provider-1", "provider");
  probation.AddPeerToConfig(provider.id(), "", "provider");
  provider.AddPeerToConfig(probation.id(), probation.address(), "probation");
  probation.Start();
  provider.Start();
  test::WriteFile(dir / "first.jsonl", AttendanceLines(0x61, 1, 10));
  probation.Import(dir / "first.jsonl");
  const auto limit = Scaled(milliseconds(30000));
  REQUIRE(WaitForSameEvents({&probation, &provider}, limit) == 10);
  CHECK(WaitUntil(limit, [&] { return StatusOf(probation, provider.id())["behind_out"] == "0"; }));

  // The provider goes down; probation records 4 events it may receive and 2 it may not.
  REQUIRE(provider.Stop() == 0);
  CHECK(WaitUntil(limit, [&] { return StatusOf(probation, provider.id())["connected"] == "no"; }));
  test::WriteFile(dir / "more.jsonl", AttendanceLines(0x62, 1, 4) +
                                          IncidentLine(test::TestUuid(0x63, 1), 1) + "\n" +
                                          IncidentLine(test::TestUuid(0x63, 2), 2) + "\n");
  probation.Import(dir / "more.jsonl");
  auto row = StatusOf(probation, provider.id());
  INFO(row["behind_out"]);
  CHECK(row["behind_out"] == "4");
  CHECK(StatusOf(probation, provider.id())["behind_out"] == "4");  // asked again: the same

  // After a restart the node still knows how far the provider had got.
  REQUIRE(probation.Stop() == 0);
  probation.Start();
  CHECK(StatusOf(probation, provider.id())["behind_out"] == "4");

  // The provider comes back and takes them.
  provider.Start();
  CHECK(WaitUntil(limit, [&] {
    auto r = StatusOf(probation, provider.id());
    return r["connected"] == "yes" && r["behind_out"] == "0";
  }));
  CHECK(provider.EventCount() == 14);
}

TEST_CASE("last_error goes once the peer links again", "[sync][e2e][status]") {
  TempDir dir;
  Pki pki(dir / "pki");
  SyncNode probation(dir.path(), pki, "probation-1", "probation");
  SyncNode provider(dir.path(), pki, "provider-1", "provider");
  probation.AddPeerToConfig(provider.id(), "", "provider");
  provider.AddPeerToConfig(probation.id(), probation.address(), "probation");
  provider.Start();  // probation-1 is not up yet: the dials are refused
  const auto limit = Scaled(milliseconds(30000));
  CHECK(WaitUntil(limit, [&] {
    return Contains(StatusOf(provider, probation.id())["last_error"], "connection refused");
  }));
  probation.Start();
  REQUIRE(provider.Operator({"sync", "now"}).exit == 0);
  CHECK(WaitUntil(limit, [&] { return StatusOf(provider, probation.id())["connected"] == "yes"; }));
  auto row = StatusOf(provider, probation.id());
  INFO(row["last_error"]);
  CHECK(row["last_error"].empty());
}

TEST_CASE("a node its peer does not list is told why, and its operator sees it",
          "[sync][e2e][status]") {
  TempDir dir;
  Pki pki(dir / "pki");
  SyncNode probation(dir.path(), pki, "probation-1", "probation");
  SyncNode provider(dir.path(), pki, "provider-1", "provider");
  provider.AddPeerToConfig(probation.id(), probation.address(), "probation");
  probation.Start();  // with no peers at all
  provider.Start();
  const std::string why =
      "probation-1 does not list provider-1 as a peer: its operator must add it (holdfast peers "
      "add --id provider-1 --send AGREEMENT)";
  const auto limit = Scaled(milliseconds(30000));
  CHECK(WaitUntil(limit,
                  [&] { return Contains(StatusOf(provider, probation.id())["last_error"], why); }));
  INFO(StatusOf(provider, probation.id())["last_error"]);
  CHECK(Contains(probation.Log(), "\"provider-1\", which is not a configured peer"));
  auto now = provider.Operator({"sync", "now", "--peer", probation.id()});
  INFO(now.Describe());
  CHECK(test::IsOneLineFailure(now));
  CHECK(Contains(now.err, why));

  // Once added, the link comes up and the error goes.
  probation.AddPeerLive(provider.id(), "", "provider");
  now = provider.Operator({"sync", "now", "--peer", probation.id()});
  INFO(now.Describe());
  CHECK(now.exit == 0);
  CHECK(StatusOf(provider, probation.id())["last_error"].empty());
}

TEST_CASE("sync now says when it could not reach the peer, and what happened when it did",
          "[sync][e2e][status]") {
  TempDir dir;
  Pki pki(dir / "pki");
  SyncNode probation(dir.path(), pki, "probation-1", "probation");
  SyncNode provider(dir.path(), pki, "provider-1", "provider");
  probation.AddPeerToConfig(provider.id(), "", "provider");
  provider.AddPeerToConfig(probation.id(), probation.address(), "probation");
  provider.Start();

  auto r = provider.Operator({"sync", "now", "--peer", probation.id()});
  INFO(r.Describe());
  CHECK(test::IsOneLineFailure(r));
  CHECK(r.exit == 1);
  CHECK(Contains(r.err, "probation-1: could not reach it at " + probation.address() +
                            ": connect: connection refused"));
  r = provider.Operator({"sync", "now"});  // every peer: the same
  CHECK(r.exit == 1);
  CHECK(Contains(r.err, "probation-1: could not reach it"));
  r = provider.Operator({"sync", "now", "--peer", "nobody-1"});
  CHECK(test::IsOneLineFailure(r));
  CHECK(Contains(r.err, "no peer nobody-1"));

  // Reached: it says so, with what moved, and returns once both hold what the other had.
  test::WriteFile(dir / "a.jsonl", AttendanceLines(0x64, 1, 3));
  provider.Import(dir / "a.jsonl");
  probation.Start();
  r = provider.Operator({"sync", "now", "--peer", probation.id()});
  INFO(r.Describe());
  CHECK(r.exit == 0);
  // "probation-1: in step: N events sent, M received", one line. (Not std::regex: GCC 12
  // warns inside <regex> at -O1, which the sanitizer build uses, and warnings are errors.)
  unsigned sent = 0, received = 0;
  int end = 0;
  CHECK(std::sscanf(r.out.c_str(), "probation-1: in step: %u events sent, %u received\n%n", &sent,
                    &received, &end) == 2);
  CHECK(end == static_cast<int>(r.out.size()));
  CHECK(WaitUntil(Briefly(milliseconds(5000)), [&] { return probation.EventCount() == 3; }));
}

TEST_CASE("every role sees sync status, counts only but for operators", "[sync][e2e][status]") {
  TempDir dir;
  Pki pki(dir / "pki");
  SyncNode probation(dir.path(), pki, "probation-1", "probation");
  SyncNode laptop(dir.path(), pki, "provider-1", "provider");
  probation.AddPeerToConfig(laptop.id(), "", "provider");
  laptop.AddPeerToConfig(probation.id(), probation.address(), "probation");
  laptop.Start();  // offline: probation-1 cannot be reached

  // The facilitator's records are on the laptop, not yet gone.
  test::WriteFile(dir / "a.jsonl", AttendanceLines(0x65, 1, 2));
  laptop.Import(dir / "a.jsonl");
  const std::vector<std::string> counts = {"peer", "connected", "last_contact", "behind_in",
                                           "behind_out"};
  for (const auto& [role, user] :
       std::vector<std::pair<std::string, std::string>>{{"facilitator", "f-1"},
                                                        {"probation", "po-1"},
                                                        {"police", "pc-1"},
                                                        {"analyst", "an-1"}}) {
    INFO(role);
    auto r = laptop.node().Cli({"sync", "status", "--format", "json"}, role, user);
    INFO(r.Describe());
    REQUIRE(r.exit == 0);
    auto rows = ParseJsonArray(r.out);
    REQUIRE(rows.size() == 1);
    std::vector<std::string> keys;
    for (const auto& [k, v] : rows[0]) keys.push_back(k);
    std::sort(keys.begin(), keys.end());
    auto expected = counts;
    std::sort(expected.begin(), expected.end());
    CHECK(keys == expected);  // no address, agreement, error, conflict or certificate
    CHECK(rows[0]["peer"] == "probation-1");
    CHECK(rows[0]["connected"] == "no");
    CHECK(rows[0]["last_contact"] == "never");
    CHECK(rows[0]["behind_out"] == "2");
    auto table = laptop.node().Cli({"sync", "status"}, role, user);
    CHECK(table.exit == 0);
    CHECK_FALSE(Contains(table.out, probation.address()));
  }
  auto full = StatusOf(laptop, probation.id());
  CHECK(Contains(full["last_error"], "connection refused"));
  CHECK(full["agreement"] == "probation");

  // Back in the office: the records have gone.
  probation.Start();
  REQUIRE(laptop.Operator({"sync", "now"}).exit == 0);
  auto r = laptop.node().Cli({"sync", "status", "--format", "json"}, "facilitator", "f-1");
  REQUIRE(r.exit == 0);
  auto rows = ParseJsonArray(r.out);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["connected"] == "yes");
  CHECK(rows[0]["behind_out"] == "0");
  CHECK(rows[0]["last_contact"] != "never");
}

}  // namespace
}  // namespace holdfast::synctest
