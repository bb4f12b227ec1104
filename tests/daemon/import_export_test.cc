// import and export between real nodes: round trips, idempotency, and a daemon stopped or
// killed in the middle of a large import.
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>

#include "tests/daemon/harness.h"

namespace holdfast::test {
namespace {

// Event id -> its exported JSON without the exporting node's position.
std::map<std::string, std::string> ById(const std::vector<std::string>& lines) {
  std::map<std::string, std::string> out;
  for (const auto& l : lines) out[EventIdOf(l)] = WithoutPosition(l);
  return out;
}

// Gives a node a bit of everything: case work by each role, a correction, and events
// imported without provenance for a case whose opening this node has not seen.
void RecordCaseHistory(const Node& node) {
  Ok(node,
     {"case", "open", "--case", "C-1", "--subject", "P-1", "--order", "licence", "--risk", "medium",
      "--lead-agency", "probation-ce", "--at", "2025-01-06T09:00:00Z"},
     "probation", "po-7");
  Ok(node,
     {"intervention", "refer", "--case", "C-1", "--intervention", "I-1", "--programme",
      "building_choices", "--provider", "provider-a"},
     "probation", "po-7");
  Ok(node, {"intervention", "start", "--case", "C-1", "--intervention", "I-1"}, "probation");
  Ok(node,
     {"session", "log", "--session", "S-1", "--group", "grpA", "--module", "Module 1",
      "--facilitator", "f-ali"},
     "facilitator");
  Ok(node,
     {"attendance", "record", "--case", "C-1", "--intervention", "I-1", "--session", "S-1",
      "--outcome", "attended", "--concern"},
     "probation");
  Ok(node,
     {"attendance", "record", "--case", "C-1", "--intervention", "I-1", "--session", "S-1",
      "--outcome", "absent_acceptable", "--reason", "hospital appointment"},
     "probation");
  Ok(node, {"breach", "report", "--case", "C-1", "--kind", "order_breach"}, "probation");
  Ok(node,
     {"incident", "report", "--subject", "P-1", "--incident", "INC-1", "--category",
      "domestic_abuse", "--crime"},
     "police");
  Ok(node, {"case", "risk", "--case", "C-1", "--risk", "high"}, "probation");
  Ok(node, {"case", "close", "--case", "C-1", "--reason", "revoked"}, "probation");
  TempDir scratch;
  const std::string file = scratch / "early.jsonl";
  WriteFile(file, AttendanceJson(TestUuid(0xe1, 1), "C-9", "S-1") + "\n" +
                      AttendanceJson(TestUuid(0xe1, 2), "C-9", "S-2") + "\n");
  Ok(node, {"import", "--file", file}, "operator");
}

// Smaller under the sanitizers, where each event costs several times more: still far more
// than is imported before the daemon is stopped.
const size_t kBigImport = Sanitized() ? 50000 : 200000;

// A JSON Lines file of kBigImport attendance records over a few cases; returns their ids in
// file order.
std::vector<std::string> WriteBigImport(const std::string& path) {
  std::vector<std::string> ids;
  ids.reserve(kBigImport);
  std::ofstream out(path, std::ios::binary);
  for (size_t i = 0; i < kBigImport; ++i) {
    ids.push_back(TestUuid(0xb16, i));
    out << AttendanceJson(ids.back(), "C-" + std::to_string(i % 5), "S-" + std::to_string(i))
        << "\n";
  }
  REQUIRE(out.good());
  return ids;
}

// Starts a large import, stops the daemon with `signum` while it runs, then checks that the
// events the node kept are a prefix of the file (nothing acknowledged lost, nothing torn),
// and that running the import again completes it to exactly the file's events.
void InterruptImportThenComplete(int signum) {
  StartedNode n;
  const std::string file = n.dir / "big.jsonl";
  const auto ids = WriteBigImport(file);

  RunOptions slow;
  slow.timeout = Scaled(milliseconds(120000));
  auto import =
      Child::Start({HoldfastPath(), "import", "--file", file}, n.node.ClientEnv("operator"), slow);
  // Make sure some batches were acknowledged, so the check below has something to keep.
  WaitUntil(
      Scaled(milliseconds(10000)), [&] { return n.node.StoredEvents() > 0; }, milliseconds(25));
  REQUIRE(import->Running());  // the daemon goes away in the middle of the import

  if (signum == SIGTERM) {
    CHECK(n.node.Stop() == 0);
  } else {
    n.node.Kill();
  }
  auto interrupted = import->Wait();
  INFO("interrupted import: " << interrupted.Describe());
  CHECK(IsOneLineFailure(interrupted));
  CHECK(Contains(interrupted.err, n.node.socket()));

  n.node.Start();
  auto verify = Ok(n.node, {"store", "verify"}, "operator");
  CHECK(Contains(verify.out, "store is sound"));
  const auto kept = EventIds(n.node.Export());
  INFO(kept.size() << " events kept after the daemon stopped");
  REQUIRE(kept.size() > 0);
  REQUIRE(kept.size() < ids.size());
  CHECK(std::equal(kept.begin(), kept.end(), ids.begin()));

  RunOptions options;
  options.timeout = Scaled(milliseconds(120000));
  auto rerun = n.node.Cli({"import", "--file", file}, "operator", "tester", options);
  INFO("re-run: " << rerun.Describe());
  REQUIRE(rerun.exit == 0);
  CHECK(Contains(rerun.out, std::to_string(kBigImport) + " events, " +
                                std::to_string(kBigImport - kept.size()) + " new, " +
                                std::to_string(kept.size()) + " already held"));

  verify = Ok(n.node, {"store", "verify"}, "operator");
  CHECK(Contains(verify.out, "store is sound: " + std::to_string(kBigImport) + " events"));
  auto all = EventIds(n.node.Export());
  std::sort(all.begin(), all.end());
  auto expected = ids;
  std::sort(expected.begin(), expected.end());
  CHECK(all.size() == expected.size());
  CHECK(all == expected);  // each of the file's events, once, and nothing else
}

}  // namespace

TEST_CASE("export then import into a fresh node gives the identical event set",
          "[import][export]") {
  TempDir dir;
  Node source(dir / "source", "probation-1", "probation-ce", "probation");
  Node fresh(dir / "fresh", "partnership-1", "partnership-x", "partnership");
  source.Start();
  fresh.Start();
  RecordCaseHistory(source);
  const auto exported = source.Export();
  // Ten case-work events, two imported ones, and any the node derived itself (alerts).
  REQUIRE(exported.size() >= 12);
  const std::string n_events = std::to_string(exported.size());
  const std::string file = dir / "source.jsonl";
  std::string contents;
  for (const auto& l : exported) contents += l + "\n";
  WriteFile(file, contents);

  // The export holds the alerts the source derived: a copy of a node takes them too.
  auto first = Ok(fresh, {"import", "--file", file, "--with-derived"}, "operator");
  CHECK(Contains(first.out, n_events + " events, " + n_events + " new, 0 already held"));
  const auto imported = fresh.Export();
  CHECK(ById(imported) == ById(exported));
  // Imported events keep their authors and provenance, not the importing operator's.
  CHECK(Contains(ReadFile(file), "\"user\":\"po-7\",\"role\":\"probation\""));
  for (const auto& l : imported) CHECK(!Contains(l, "\"role\":\"operator\""));

  SECTION("importing the same file again adds nothing") {
    auto second = Ok(fresh, {"import", "--file", file, "--with-derived"}, "operator");
    CHECK(Contains(second.out, n_events + " events, 0 new, " + n_events + " already held"));
    CHECK(fresh.Export().size() == imported.size());
  }
  SECTION("importing a node's own export into it adds nothing") {
    auto own = Ok(source, {"import", "--file", file, "--with-derived"}, "operator");
    CHECK(Contains(own.out, n_events + " events, 0 new, " + n_events + " already held"));
    CHECK(source.Export() == exported);
  }
}

TEST_CASE("importing the same file twice adds nothing the second time", "[import]") {
  StartedNode n;
  const std::string file = n.dir / "events.jsonl";
  std::string contents;
  for (int i = 0; i < 50; ++i) {
    contents += AttendanceJson(TestUuid(0x2e, i), "C-1", "S-" + std::to_string(i)) + "\n";
  }
  WriteFile(file, contents);
  auto first = Ok(n.node, {"import", "--file", file}, "operator");
  CHECK(Contains(first.out, "50 events, 50 new, 0 already held"));
  const auto after_first = n.node.Export();
  auto second = Ok(n.node, {"import", "--file", file}, "operator");
  CHECK(Contains(second.out, "50 events, 0 new, 50 already held"));
  CHECK(n.node.Export() == after_first);
}

TEST_CASE(
    "import accepts a case's events before its opening, and case list shows the case once "
    "opened",
    "[import]") {
  StartedNode n;
  const std::string file = n.dir / "early.jsonl";
  WriteFile(file, AttendanceJson(TestUuid(0xea, 1), "C-5", "S-1") + "\n");
  Ok(n.node, {"import", "--file", file}, "operator");
  auto list = Ok(n.node, {"case", "list", "--format", "csv"}, "probation");
  CHECK(!Contains(list.out, "C-5"));
  const std::string opening =
      "{\"id\":\"" + TestUuid(0xea, 2) +
      "\",\"type\":\"case.opened\",\"occurred_at\":\"2025-01-02T09:00:00Z\",\"author\":{\"user\":"
      "\"po-1\",\"role\":\"probation\",\"agency\":\"probation-ce\"},\"data\":{\"case\":\"C-5\","
      "\"subject\":\"P-5\",\"order\":\"voluntary\",\"risk\":\"standard\",\"lead_agency\":"
      "\"probation-ce\"}}";
  WriteFile(file, opening + "\n");
  Ok(n.node, {"import", "--file", file}, "operator");
  list = Ok(n.node, {"case", "list", "--format", "csv"}, "probation");
  CHECK(Contains(list.out, "C-5,P-5,voluntary,standard,probation-ce,2025-01-02T09:00:00Z,open,2"));
}

TEST_CASE("an import refused at a conflicting event writes nothing after that event", "[import]") {
  // The same id with different content is a conflict (SPEC: the same id is the same event).
  // Import stops at the first bad line, so an event after it must not be written.
  StartedNode n;
  Ok(n.node,
     {"case", "open", "--case", "C-1", "--subject", "P-1", "--order", "licence", "--risk", "high",
      "--lead-agency", "probation-ce"},
     "probation");
  std::string conflicting = WithoutPosition(n.node.Export().at(0));
  conflicting.replace(conflicting.find("\"risk\":\"high\""), 13, "\"risk\":\"medium\"");
  const std::string after = TestUuid(0xc0f1, 1);
  const std::string file = n.dir / "conflict.jsonl";
  WriteFile(file, conflicting + "\n" + AttendanceJson(after, "C-1", "S-1") + "\n");
  auto r = n.node.Cli({"import", "--file", file}, "operator");
  INFO(r.Describe());
  CHECK(IsOneLineFailure(r));
  CHECK(EventIds(n.node.Export()).size() == 1);
  const auto ids = EventIds(n.node.Export());
  CHECK(std::find(ids.begin(), ids.end(), after) == ids.end());
}

TEST_CASE("an import stopped at a conflicting line names the line and keeps every event before it",
          "[import][conflict]") {
  // Line 401 reuses the id of an event already held, with other content. It sits in the
  // middle of a batch of new events, so the store refuses the batch as a whole: the events
  // before it must still be written, and the line (not its place in the batch) named.
  StartedNode n;
  const std::string held_id = TestUuid(0xc0f2, 999);
  const std::string earlier = n.dir / "earlier.jsonl";
  WriteFile(earlier, AttendanceJson(held_id, "C-1", "S-held") + "\n");
  Ok(n.node, {"import", "--file", earlier}, "operator");

  std::string contents;
  for (int i = 0; i < 400; ++i) {
    contents += AttendanceJson(TestUuid(0xc0f2, i), "C-1", "S-" + std::to_string(i)) + "\n";
  }
  contents += AttendanceJson(held_id, "C-1", "S-other") + "\n";  // line 401
  std::vector<std::string> after;
  for (int i = 0; i < 5; ++i) after.push_back(TestUuid(0xc0f3, i));
  for (const auto& id : after) contents += AttendanceJson(id, "C-1", "S-" + id) + "\n";
  const std::string file = n.dir / "conflict.jsonl";
  WriteFile(file, contents);

  auto r = n.node.Cli({"import", "--file", file}, "operator");
  INFO(r.Describe());
  CHECK(IsOneLineFailure(r));
  CHECK(Contains(r.err,
                 "line 401: id " + held_id + " is already held with different content (conflict)"));
  CHECK(Contains(r.err, "the 400 events before it were imported"));
  CHECK(!Contains(r.err, "event 401"));
  auto ids = EventIds(n.node.Export());
  CHECK(ids.size() == 401);  // the earlier one and lines 1-400
  for (const auto& id : after) CHECK(std::find(ids.begin(), ids.end(), id) == ids.end());

  SECTION("--skip-invalid reports the line, imports the rest and exits 1") {
    // Line 407: an exported event (it carries its provenance, so it goes in through Insert)
    // that conflicts too.
    Ok(n.node,
       {"case", "open", "--case", "C-1", "--subject", "P-1", "--order", "licence", "--risk", "high",
        "--lead-agency", "probation-ce"},
       "probation");
    const auto before = n.node.Export();
    const std::string opening = WithoutPosition(before.back());
    std::string conflicting = opening;
    conflicting.replace(conflicting.find("\"risk\":\"high\""), 13, "\"risk\":\"medium\"");
    const std::string last = TestUuid(0xc0f4, 1);
    WriteFile(file, contents + conflicting + "\n" + AttendanceJson(last, "C-1", "S-last") + "\n");
    auto skip = n.node.Cli({"import", "--file", file, "--skip-invalid"}, "operator");
    INFO(skip.Describe());
    CHECK(skip.exit == 1);
    const auto lines = skip.ErrLines();
    REQUIRE(lines.size() == 2);
    CHECK(Contains(lines[0], "line 401: skipped: id " + held_id +
                                 " is already held with different content (conflict)"));
    CHECK(Contains(lines[1], "line 407: skipped: id " + EventIdOf(opening) +
                                 " is already held with different content (conflict)"));
    CHECK(Contains(skip.out, "406 events, 6 new, 400 already held, 2 invalid lines skipped"));
    ids = EventIds(n.node.Export());
    CHECK(ids.size() == before.size() + 6);
    for (const auto& id : after) CHECK(std::count(ids.begin(), ids.end(), id) == 1);
    CHECK(std::count(ids.begin(), ids.end(), last) == 1);
    auto verify = Ok(n.node, {"store", "verify"}, "operator");
    CHECK(Contains(verify.out, "store is sound"));
  }
}

namespace {

// A forged withdrawal of `alert`, as someone would write it to hide a real alert.
std::string WithdrawalJson(const std::string& id, const std::string& alert) {
  return "{\"id\":\"" + id +
         "\",\"type\":\"alert.withdrawn\",\"occurred_at\":\"2025-03-09T11:00:00Z\",\"author\":{"
         "\"user\":\"holdfastd\",\"role\":\"system\",\"agency\":\"holdfast\"},\"data\":{"
         "\"alert\":\"" +
         alert + "\",\"reason\":\"attendance corrected\"}}";
}

// `audit list` rows (CSV) holding `part`.
std::vector<std::string> AuditRowsWith(const Node& node, const std::vector<std::string>& options,
                                       const std::string& part) {
  std::vector<std::string> args = {"audit", "list", "--format", "csv", "--limit", "0"};
  args.insert(args.end(), options.begin(), options.end());
  std::vector<std::string> out;
  for (const auto& row : Lines(Ok(node, args, "operator", "auditor").out)) {
    if (Contains(row, part)) out.push_back(row);
  }
  return out;
}

}  // namespace

TEST_CASE(
    "import refuses alert.withdrawn without --with-derived, writing none of it, and the audit "
    "log records the refusal and the flag",
    "[import][audit][derived]") {
  StartedNode n;
  Ok(n.node,
     {"case", "open", "--case", "C-1", "--subject", "P-1", "--order", "licence", "--risk", "high",
      "--lead-agency", "probation-ce"},
     "probation", "po-1");
  Ok(n.node, {"breach", "report", "--case", "C-1", "--kind", "order_breach"}, "probation", "po-1");
  auto alerts = Ok(n.node, {"alerts", "list", "--format", "json"}, "probation", "po-1");
  const std::string alert = StringField(alerts.out, "alert");
  REQUIRE(!alert.empty());

  const std::string before = TestUuid(0xde1, 1), forged = TestUuid(0xde1, 2),
                    after = TestUuid(0xde1, 3);
  const std::string file = n.dir / "forged.jsonl";
  WriteFile(file, AttendanceJson(before, "C-1", "S-1") + "\n" + WithdrawalJson(forged, alert) +
                      "\n" + AttendanceJson(after, "C-1", "S-2") + "\n");
  auto held = [&](const std::string& id) {
    const auto ids = EventIds(n.node.Export());
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  };
  auto open = [&] {
    return Contains(Ok(n.node, {"alerts", "list", "--format", "csv"}, "probation", "po-1").out,
                    alert);
  };

  auto refused = n.node.Cli({"import", "--file", file}, "operator", "op-1");
  INFO(refused.Describe());
  CHECK(IsOneLineFailure(refused));
  CHECK(Contains(refused.err, "line 2: alert.withdrawn " + forged + " is derived"));
  CHECK(Contains(refused.err, "--with-derived"));
  CHECK(Contains(refused.err, "the 1 events before it were imported"));
  CHECK(held(before));
  CHECK(!held(forged));
  CHECK(!held(after));
  CHECK(open());
  auto audited = AuditRowsWith(
      n.node, {}, ",op-1,operator,import,alert.withdrawn " + forged + ",permission denied");
  CHECK(audited.size() == 1);

  SECTION("--skip-invalid skips it, and takes the rest") {
    auto skipped = n.node.Cli({"import", "--file", file, "--skip-invalid"}, "operator", "op-1");
    INFO(skipped.Describe());
    CHECK(skipped.exit == 1);
    CHECK(Contains(skipped.err, "line 2: skipped: alert.withdrawn " + forged + " is derived"));
    CHECK(held(after));
    CHECK(!held(forged));
    CHECK(open());
  }
  SECTION("--with-derived takes it, and the audit log says the flag was given") {
    auto taken = Ok(n.node, {"import", "--file", file, "--with-derived"}, "operator", "op-1");
    CHECK(Contains(taken.out, "3 events, 2 new, 1 already held"));
    CHECK(held(forged));
    CHECK(held(after));
    CHECK(AuditRowsWith(n.node, {}, ",op-1,operator,import-with-derived,,ok").size() == 1);
  }
}

TEST_CASE("SIGTERM during an import loses no acknowledged event, and a re-run completes it",
          "[import][crash][slow]") {
  InterruptImportThenComplete(SIGTERM);
}

TEST_CASE("kill -9 during an import leaves a sound store, and a re-run completes it",
          "[import][crash][slow]") {
  InterruptImportThenComplete(SIGKILL);
}

}  // namespace holdfast::test
