// Sharing agreements between real nodes (SPEC "Sync between nodes", docs/guide-operator.md):
// nothing is shared by default, the named agreements, erasures and voids whatever the
// agreement, and alert acknowledgements flowing back to the deriving node.
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "eventstore/event_store.h"
#include "sync/filter.h"
#include "tests/sync/sync_harness.h"

namespace holdfast::synctest {
namespace {

using test::Contains;

// One import line: an event of `type` with `data`, by `role` of probation's agency.
std::string Line(const std::string& id, const std::string& type, const std::string& data,
                 const std::string& role = "probation") {
  return R"({"id":")" + id + R"(","type":")" + type +
         R"(","occurred_at":"2025-03-04T18:00:00Z","author":{"user":"u-)" + role + R"(","role":")" +
         role + R"(","agency":"probation-ce"},"data":)" + data + "}";
}

std::string CaseOpened(const std::string& id, const std::string& case_id) {
  return Line(
      id, "case.opened",
      R"({"case":")" + case_id +
          R"(","subject":"P-1","order":"community_order","risk":"high","lead_agency":"probation-ce"})");
}

std::string Breach(const std::string& id, const std::string& case_id) {
  return Line(id, "breach.reported", R"({"case":")" + case_id + R"(","kind":"failure_to_comply"})");
}

std::string Voided(const std::string& id, const std::string& voided) {
  return Line(id, "record.voided", R"({"event":")" + voided + R"(","reason":"wrong case"})");
}

// The ids of the events a node holds, but the alert events it or a peer derived.
std::set<std::string> IdSet(const std::vector<ExportedEvent>& events) {
  std::set<std::string> ids;
  for (const auto& e : events) {
    if (e.type.rfind("alert.", 0) != 0) ids.insert(e.id);
  }
  return ids;
}

bool Holds(const SyncNode& node, const std::string& id) { return IdSet(node.Export()).count(id); }

// Replaces the node's holdfast.conf `peer` lines with this one.
void SetPeerLine(SyncNode& node, const std::string& line) {
  std::string conf = test::ReadFile(node.node().config());
  for (size_t at = conf.find("\npeer = "); at != std::string::npos; at = conf.find("\npeer = ")) {
    conf.erase(at, conf.find('\n', at + 1) - at);
  }
  const size_t rules = conf.find("\n[rules]");
  REQUIRE(rules != std::string::npos);
  if (!line.empty()) conf.insert(rules, "\n" + line);
  test::WriteFile(node.node().config(), conf);
}

test::RunResult StartDaemon(SyncNode& node) {
  test::RunOptions options;
  options.timeout = Scaled(milliseconds(20000));
  return test::Run({test::HoldfastdPath(), "--config", node.node().config()}, {}, options);
}

TEST_CASE(
    "nothing is shared by default: a peer without an agreement is refused, naming the choices",
    "[sync][e2e][sharing]") {
  TempDir dir;
  Pki pki(dir / "pki");
  SyncNode node(dir.path(), pki, "probation-1", "probation");
  const std::string conf = node.node().config();

  // A `peer` line that names no agreement: holdfastd does not start, and says which line.
  SetPeerLine(node, "peer = provider-1 -");
  const int line = [&] {
    const auto lines = test::Lines(test::ReadFile(conf));
    for (size_t i = 0; i < lines.size(); ++i) {
      if (lines[i] == "peer = provider-1 -") return static_cast<int>(i + 1);
    }
    return 0;
  }();
  REQUIRE(line > 0);
  auto r = StartDaemon(node);
  INFO(r.Describe());
  CHECK(test::IsOneLineFailure(r));
  CHECK(r.exit == 2);
  CHECK(Contains(
      r.err, conf + ":" + std::to_string(line) + ": sync.peer: \"provider-1 -\": no " +
                 "sharing agreement: name what the peer may receive: " + PeerFilter::Choices()));
  CHECK(!std::filesystem::exists(node.node().socket()));

  // A typo in a prefix would share nothing of what was meant: refused too.
  SetPeerLine(node, "peer = provider-1 - alerts.,case.opened");
  r = StartDaemon(node);
  INFO(r.Describe());
  CHECK(test::IsOneLineFailure(r));
  CHECK(Contains(r.err, "\"alerts.\" is neither an agreement nor the start of an event type name"));

  // `peers add` without --send, or with a wrong one, is refused and adds nothing.
  SetPeerLine(node, "peer = provider-1 - provider");
  node.Start();
  auto added = node.Operator({"peers", "add", "--id", "police-1"});
  INFO(added.Describe());
  CHECK(test::IsOneLineFailure(added));
  CHECK(added.exit == 2);
  CHECK(Contains(added.err, "--send is required: name what the peer may receive: all, police"));
  added = node.Operator({"peers", "add", "--id", "police-1", "--send", "polce"});
  INFO(added.Describe());
  CHECK(test::IsOneLineFailure(added));
  CHECK(added.exit == 2);  // a value refused on the command line, like any usage error
  CHECK(Contains(added.err,
                 "--send: \"polce\" is neither an agreement nor the start of an event "
                 "type name: give " +
                     PeerFilter::Choices()));
  auto listed = node.Operator({"peers", "list", "--format", "json"});
  REQUIRE(listed.exit == 0);
  auto peers = ParseJsonArray(listed.out);
  REQUIRE(peers.size() == 1);
  CHECK(peers[0]["peer"] == "provider-1");
  CHECK(peers[0]["agreement"] == "provider");

  // Named: shown as given, in peers list and sync status; "*" is a synonym of all.
  node.AddPeerLive("police-1", "", "police");
  node.AddPeerLive("partnership-1", "", "*");
  peers = ParseJsonArray(node.Operator({"peers", "list", "--format", "json"}).out);
  std::map<std::string, std::string> agreement;
  for (auto& p : peers) agreement[p["peer"]] = p["agreement"];
  CHECK(agreement == std::map<std::string, std::string>{{"provider-1", "provider"},
                                                        {"police-1", "police"},
                                                        {"partnership-1", "all"}});
  for (const auto& [peer, given] : agreement) {
    INFO(peer);
    CHECK(StatusOf(node, peer)["agreement"] == given);
  }
}

TEST_CASE("peers added before agreements were required keep sending what they sent",
          "[sync][e2e][sharing]") {
  TempDir dir;
  Pki pki(dir / "pki");
  SyncNode node(dir.path(), pki, "probation-1", "probation");
  node.Start();
  REQUIRE(node.Stop() == 0);
  {
    // Rows as `peers add` wrote them before: "*" (what leaving out --send gave), and a
    // prefix that starts no event type (it matched nothing then, and still does).
    auto store = EventStore::Open(node.node().data_dir() + "/store", StoreOptions{});
    REQUIRE(store.ok());
    auto table = (*store)->Table("peers");
    REQUIRE(table.ok());
    SideBatch batch;
    batch.Put(*table, "provider-1", "- *");
    batch.Put(*table, "police-1", "- alerts.,breach.");
    REQUIRE((*store)->Write(batch, /*sync=*/true).ok());
  }
  node.Start();
  auto peers = ParseJsonArray(node.Operator({"peers", "list", "--format", "json"}).out);
  std::map<std::string, std::string> agreement;
  for (auto& p : peers) agreement[p["peer"]] = p["agreement"];
  CHECK(agreement ==
        std::map<std::string, std::string>{{"provider-1", "all"}, {"police-1", "alerts.,breach."}});
}

TEST_CASE("an erasure reaches every peer, and a void goes where the event it voids goes",
          "[sync][e2e][sharing]") {
  TempDir dir;
  Pki pki(dir / "pki");
  SyncNode probation(dir.path(), pki, "probation-1", "probation");
  SyncNode police(dir.path(), pki, "police-1", "police");
  SyncNode partnership(dir.path(), pki, "partnership-1", "partnership");
  probation.AddPeerToConfig(police.id(), "", "police");
  probation.AddPeerToConfig(partnership.id(), "", "all");
  police.AddPeerToConfig(probation.id(), probation.address(), "police");
  partnership.AddPeerToConfig(probation.id(), probation.address(), "partnership");
  probation.Start();
  police.Start();
  partnership.Start();

  const std::string opened = test::TestUuid(0x51, 1), attendance = test::TestUuid(0x51, 2),
                    breach = test::TestUuid(0x51, 3), void_of_attendance = test::TestUuid(0x51, 4),
                    void_of_breach = test::TestUuid(0x51, 5),
                    void_of_unknown = test::TestUuid(0x51, 6), erased = test::TestUuid(0x51, 7);
  const std::string unknown = test::TestUuid(0x52, 1);  // no node holds it
  // The erasure comes last: once police-1 holds it, probation-1 has judged every event
  // before it for police-1.
  test::WriteFile(
      dir / "events.jsonl",
      CaseOpened(opened, "C-1") + "\n" + test::AttendanceJson(attendance, "C-1", "S-1") + "\n" +
          Breach(breach, "C-1") + "\n" + Voided(void_of_attendance, attendance) + "\n" +
          Voided(void_of_breach, breach) + "\n" + Voided(void_of_unknown, unknown) + "\n" +
          Line(erased, "subject.erased", R"({"subject":"P-9"})", "operator") + "\n");
  probation.Import(dir / "events.jsonl");

  const auto limit = Scaled(milliseconds(30000));
  CHECK(WaitUntil(limit, [&] { return Holds(police, erased); }));
  CHECK(WaitUntil(limit, [&] { return IdSet(partnership.Export()).size() == 7; }));
  // Police receive case openings and breaches, not attendance: the voids follow their
  // events. A void of an event probation-1 does not hold goes only to peers that receive
  // everything.
  CHECK(IdSet(police.Export()) == std::set<std::string>{opened, breach, void_of_breach, erased});
  CHECK(IdSet(partnership.Export()) == std::set<std::string>{opened, attendance, breach,
                                                             void_of_attendance, void_of_breach,
                                                             void_of_unknown, erased});
  // Nothing is left to send police-1: what its agreement holds back is not counted.
  CHECK(WaitUntil(limit, [&] { return StatusOf(probation, police.id())["behind_out"] == "0"; }));
  CHECK(IdSet(police.Export()).size() == 4);
  CheckSound({&probation, &police, &partnership});
}

TEST_CASE("a breach voided on the deriving node withdraws its alert on the police node",
          "[sync][e2e][sharing][void]") {
  TempDir dir;
  Pki pki(dir / "pki");
  SyncNode probation(dir.path(), pki, "probation-1", "probation");
  SyncNode police(dir.path(), pki, "police-1", "police");
  probation.AddPeerToConfig(police.id(), "", "police");
  police.AddPeerToConfig(probation.id(), probation.address(), "police");
  probation.Start();
  police.Start();
  const std::string breach = test::TestUuid(0x54, 2);
  test::WriteFile(dir / "case.jsonl",
                  CaseOpened(test::TestUuid(0x54, 1), "C-1") + "\n" + Breach(breach, "C-1") + "\n");
  probation.Import(dir / "case.jsonl");
  const auto limit = Scaled(milliseconds(30000));
  REQUIRE(WaitUntil(limit, [&] {
    auto alerts = police.Alerts({});
    return alerts.size() == 1 && alerts[0]["status"] == "open";
  }));
  // The probation officer finds the breach was reported on the wrong case.
  test::Ok(probation.node(),
           {"record", "void", "--event", breach, "--reason", "reported on the wrong case"},
           "probation", "po-1");
  CHECK(WaitUntil(limit, [&] {
    auto alerts = police.Alerts({"--status", "all"});
    return alerts.size() == 1 && alerts[0]["status"] == "withdrawn";
  }));
  CHECK(police.Alerts({}).empty());  // nothing open
  // The void went with the breach it voids (the police agreement carries breaches).
  CHECK(WaitUntil(limit, [&] { return IdSet(police.Export()).count(breach) == 1; }));
  CheckSound({&probation, &police});
}

TEST_CASE(
    "police acknowledgements reach the deriving node under the named agreements, and an "
    "agreement that would keep them back is warned of",
    "[sync][e2e][sharing]") {
  TempDir dir;
  Pki pki(dir / "pki");
  SyncNode probation(dir.path(), pki, "probation-1", "probation");
  SyncNode police(dir.path(), pki, "police-1", "police");
  // As ops/quickstart links them: each link names its agreement, police sends `police` back.
  probation.AddPeerToConfig(police.id(), "", "police");
  police.AddPeerToConfig(probation.id(), probation.address(), "police");
  probation.Start();
  police.Start();
  CHECK_FALSE(Contains(police.Log(), "does not send it alert.acknowledged"));
  CHECK_FALSE(Contains(probation.Log(), "does not send it alert.acknowledged"));

  test::WriteFile(dir / "case.jsonl", CaseOpened(test::TestUuid(0x53, 1), "C-1") + "\n" +
                                          Breach(test::TestUuid(0x53, 2), "C-1") + "\n");
  probation.Import(dir / "case.jsonl");
  const auto limit = Scaled(milliseconds(30000));
  std::string alert;
  REQUIRE(WaitUntil(limit, [&] {
    auto alerts = police.Alerts({});
    if (alerts.size() == 1) alert = alerts[0]["alert"];
    return !alert.empty();
  }));
  test::Ok(police.node(), {"alerts", "ack", "--alert", alert, "--note", "officer sent"}, "police",
           "pc-1");
  CHECK(WaitUntil(limit, [&] {
    auto alerts = probation.Alerts({"--status", "all"});
    return alerts.size() == 1 && alerts[0]["status"] == "acknowledged";
  }));

  // An agreement without alert.: said in the log at start and when added, in sync status,
  // and by peers add itself.
  SyncNode police2(dir.path(), pki, "police-2", "police");
  police2.AddPeerToConfig(probation.id(), probation.address(), "incident.");
  police2.Start();
  const std::string note =
      "its agreement (incident.) does not send it alert.acknowledged, alert.resolved and "
      "alert.assigned: alerts acknowledged, resolved or assigned here do not show so on "
      "probation-1";
  CHECK(Contains(police2.Log(), "sync: peer probation-1: " + note));
  CHECK(Contains(StatusOf(police2, probation.id())["note"], note));
  auto table = police2.Operator({"sync", "status"});
  CHECK(Contains(table.out, "note: probation-1: " + note));
  auto added =
      police2.Operator({"peers", "add", "--id", "probation-2", "--send", "incident.,alert.raised"});
  INFO(added.Describe());
  CHECK(added.exit == 0);
  CHECK(Contains(added.err,
                 "warning: probation-2: its agreement (incident.,alert.raised) does not "
                 "send it alert.acknowledged, alert.resolved and alert.assigned"));
  CHECK(WaitUntil(limit, [&] {
    return Contains(police2.Log(),
                    "sync: peer probation-2: its agreement (incident.,alert.raised)");
  }));
  CHECK(StatusOf(police, probation.id())["note"].empty());
}

}  // namespace
}  // namespace holdfast::synctest
