// The checks at entry, `record void` and `session register` through a real holdfastd and the
// real CLI (SPEC "Keeping the record right", "Sessions, registers and people"): each refusal
// is one line, exits non-zero, writes nothing and is audited as refused; what should still
// be accepted is.
#include <catch2/catch.hpp>

#include "tests/daemon/harness.h"

namespace holdfast::test {
namespace {

// Event ids the tests fix with --id, so a test can void what it recorded.
std::string Id(uint64_t n) { return TestUuid(0xe17e0000, n); }

// On a probation node: case C-1 (subject P-1) with I-1 referred to provider-a and started on
// 2025-01-10, I-2 referred to provider-b and not started, and session G-1 logged.
void MakeCase(const Node& node) {
  Ok(node,
     {"case", "open", "--case", "C-1", "--subject", "P-1", "--order", "licence", "--risk", "medium",
      "--lead-agency", "probation-ce", "--at", "2025-01-06T09:00:00Z", "--id", Id(1)},
     "probation");
  Ok(node,
     {"intervention", "refer", "--case", "C-1", "--intervention", "I-1", "--programme",
      "building_choices", "--provider", "provider-a", "--at", "2025-01-07T09:00:00Z"},
     "probation");
  Ok(node,
     {"intervention", "refer", "--case", "C-1", "--intervention", "I-2", "--programme", "drive",
      "--provider", "provider-b", "--at", "2025-01-07T09:00:00Z"},
     "probation");
  Ok(node,
     {"intervention", "start", "--case", "C-1", "--intervention", "I-1", "--at",
      "2025-01-10T18:00:00Z", "--id", Id(2)},
     "probation");
  Ok(node,
     {"session", "log", "--session", "G-1", "--group", "grpA", "--module", "Module 1",
      "--facilitator", "f-ali", "--at", "2025-01-17T18:00:00Z", "--id", Id(3)},
     "facilitator");
}

// Runs a command that must be refused: one line on stderr containing `what`, a non-zero exit,
// and no event written.
void Refused(const Node& node, const std::vector<std::string>& args, const std::string& role,
             const std::string& what, const std::string& user = Node::kDefaultUser) {
  const uint64_t before = node.StoredEvents();
  auto r = node.Cli(args, role, user);
  INFO(r.Describe());
  CHECK(IsOneLineFailure(r));
  CHECK(Contains(r.err, what));
  CHECK(node.StoredEvents() == before);
}

// The exported events of this type.
size_t CountOfType(const Node& node, const std::string& type) {
  size_t n = 0;
  for (const auto& line : node.Export()) n += Contains(line, "\"type\":\"" + type + "\"") ? 1 : 0;
  return n;
}

std::vector<std::string> Attendance(const std::string& intervention, const std::string& session,
                                    const std::string& at, const std::string& case_id = "C-1") {
  return {"attendance", "record", "--case",    case_id,    "--intervention", intervention,
          "--session",  session,  "--outcome", "attended", "--at",           at};
}

}  // namespace

TEST_CASE("entry: each check the SPEC lists refuses with one line and writes nothing",
          "[entry][daemon]") {
  StartedNode n;
  const Node& node = n.node;
  MakeCase(node);

  Refused(node,
          {"case", "open", "--case", "C-1", "--subject", "P-other", "--order", "licence", "--risk",
           "high", "--lead-agency", "probation-ce"},
          "probation", "re-opening uses a new case id");
  Refused(node, {"breach", "report", "--case", "C-9", "--kind", "order_breach"}, "probation",
          "case C-9 is not known on this node");
  Refused(node, {"intervention", "start", "--case", "C-1", "--intervention", "I-9"}, "probation",
          "intervention I-9 of case C-1 is not referred");
  Refused(node, {"intervention", "start", "--case", "C-1", "--intervention", "I-1"}, "probation",
          "already started");
  Refused(node, {"intervention", "complete", "--case", "C-1", "--intervention", "I-2"}, "probation",
          "has not started");
  Refused(node, Attendance("I-9", "G-1", "2025-01-17T18:00:00Z"), "probation", "is not referred");
  Refused(node, Attendance("I-1", "G-1", "2025-01-09T18:00:00Z"), "probation",
          "was not active on 2025-01-09T18:00:00Z");
  Refused(node, Attendance("I-1", "G-typo", "2025-01-17T18:00:00Z"), "probation",
          "session G-typo is not logged on this node");
  Refused(node,
          {"breach", "report", "--case", "C-1", "--kind", "order_breach", "--at", "2027-01-01"},
          "probation", "is in the future");

  // A one-to-one appointment: no session logged, said so.
  auto unlisted = Attendance("I-1", "G-121", "2025-01-17T18:00:00Z");
  unlisted.push_back("--unlisted-session");
  Ok(node, unlisted, "probation");
  Ok(node, Attendance("I-1", "G-1", "2025-01-17T18:00:00Z"), "probation");

  // Ended: complete once, then neither complete nor exit again, nor attendance after it.
  Ok(node,
     {"intervention", "complete", "--case", "C-1", "--intervention", "I-1", "--at",
      "2025-02-01T18:00:00Z"},
     "probation");
  Refused(node, {"intervention", "complete", "--case", "C-1", "--intervention", "I-1"}, "probation",
          "already ended (completed");
  Refused(node,
          {"intervention", "exit", "--case", "C-1", "--intervention", "I-1", "--reason", "other"},
          "probation", "already ended (completed");
  Refused(node, Attendance("I-1", "G-1", "2025-02-02T18:00:00Z"), "probation", "ended (completed)");

  // Every refusal above is in the audit log as refused, none as allowed.
  auto audit = node.Cli({"audit", "list", "--format", "csv", "--limit", "0", "--verb", "append",
                         "--outcome", "refused"},
                        "operator", "auditor");
  INFO(audit.Describe());
  REQUIRE(audit.exit == 0);
  CHECK(Lines(audit.out).size() == 1 + 12);
}

TEST_CASE("entry: a closed case takes no new records, but a void of its closing reopens it",
          "[entry][void][daemon]") {
  StartedNode n;
  const Node& node = n.node;
  MakeCase(node);
  Ok(node,
     {"case", "close", "--case", "C-1", "--reason", "order_ended", "--at", "2025-03-01T09:00:00Z",
      "--id", Id(10)},
     "probation");
  Refused(node, {"breach", "report", "--case", "C-1", "--kind", "order_breach"}, "probation",
          "case C-1 is closed");
  Refused(node, {"case", "risk", "--case", "C-1", "--risk", "high"}, "probation",
          "record void --event " + Id(10));
  // A void is allowed on a closed case; once the closing is void, the case takes records.
  Ok(node, {"record", "void", "--event", Id(10), "--reason", "closed the wrong case"}, "probation");
  Ok(node, {"breach", "report", "--case", "C-1", "--kind", "order_breach"}, "probation");
}

TEST_CASE("entry: a voided event counts as absent for the checks", "[entry][void][daemon]") {
  StartedNode n;
  const Node& node = n.node;
  MakeCase(node);
  // The start was wrong: void it, and the intervention may start again.
  Ok(node, {"record", "void", "--event", Id(2), "--reason", "started the wrong intervention"},
     "probation");
  Refused(node, Attendance("I-1", "G-1", "2025-01-17T18:00:00Z"), "probation", "has not started");
  Ok(node,
     {"intervention", "start", "--case", "C-1", "--intervention", "I-1", "--at",
      "2025-01-12T18:00:00Z"},
     "probation");
  // A voided session log no longer lets attendance name the session.
  Ok(node, {"record", "void", "--event", Id(3), "--reason", "no such session"}, "facilitator");
  Refused(node, Attendance("I-1", "G-1", "2025-01-17T18:00:00Z"), "probation",
          "session G-1 is not logged");
  // A voided opening: the case id is free to open again.
  Ok(node, {"record", "void", "--event", Id(1), "--reason", "wrong subject"}, "probation");
  Ok(node,
     {"case", "open", "--case", "C-1", "--subject", "P-2", "--order", "licence", "--risk", "medium",
      "--lead-agency", "probation-ce", "--at", "2025-01-06T09:00:00Z"},
     "probation");
}

TEST_CASE("record void: refusals, and voiding twice is one void", "[entry][void][daemon]") {
  StartedNode n;
  const Node& node = n.node;
  MakeCase(node);
  Ok(node,
     {"breach", "report", "--case", "C-1", "--kind", "order_breach", "--at", "2025-01-20T09:00:00Z",
      "--id", Id(20)},
     "probation");

  Refused(node, {"record", "void", "--event", Id(99), "--reason", "typo"}, "probation",
          "is not held on this node");
  Refused(node, {"record", "void", "--event", "not-a-uuid", "--reason", "typo"}, "probation",
          "--event");
  // Police may void what police record (incidents), not a probation officer's breach.
  Refused(node, {"record", "void", "--event", Id(20), "--reason", "typo"}, "police",
          "may not void it");
  Refused(node, {"record", "void", "--event", Id(20), "--reason", "typo"}, "analyst",
          "append is for the probation, facilitator, police roles");
  // The breach raised an alert (a probation node derives them): alerts cannot be voided.
  const std::string alert_raised = [&] {
    for (const auto& line : node.Export()) {
      if (Contains(line, "\"type\":\"alert.raised\"")) return EventIdOf(line);
    }
    return std::string();
  }();
  REQUIRE(!alert_raised.empty());
  Refused(node, {"record", "void", "--event", alert_raised, "--reason", "typo"}, "probation",
          "alert.raised, which cannot be voided");

  auto first = node.Cli(
      {"record", "void", "--event", Id(20), "--reason", "wrong case", "--id", Id(21)}, "probation");
  INFO(first.Describe());
  REQUIRE(first.exit == 0);
  Refused(node, {"record", "void", "--event", Id(21), "--reason", "undo"}, "probation",
          "a void is final");
  // Twice: accepted, nothing more written, said on stderr.
  const uint64_t before = node.StoredEvents();
  auto again = node.Cli({"record", "void", "--event", Id(20), "--reason", "again"}, "probation");
  INFO(again.Describe());
  CHECK(again.exit == 0);
  CHECK(Contains(again.err, "already voided"));
  CHECK(Contains(again.out, "nothing written"));
  CHECK(node.StoredEvents() == before);
  CHECK(CountOfType(node, "record.voided") == 1);

  // Police void their own incident report.
  Ok(node,
     {"incident", "report", "--subject", "P-1", "--incident", "INC-1", "--category", "other",
      "--at", "2025-01-21T09:00:00Z", "--id", Id(22)},
     "police");
  Ok(node, {"record", "void", "--event", Id(22), "--reason", "wrong subject"}, "police");
}

TEST_CASE("entry: an incident for a subject no case names is accepted with a warning",
          "[entry][daemon]") {
  StartedNode n;
  const Node& node = n.node;
  MakeCase(node);
  auto known = node.Cli({"incident", "report", "--subject", "P-1", "--incident", "INC-1",
                         "--category", "other", "--at", "2025-01-21T09:00:00Z"},
                        "police");
  CHECK(known.exit == 0);
  CHECK(known.err.empty());
  auto unknown = node.Cli({"incident", "report", "--subject", "P-404", "--incident", "INC-2",
                           "--category", "other", "--at", "2025-01-21T09:00:00Z"},
                          "police");
  INFO(unknown.Describe());
  CHECK(unknown.exit == 0);
  CHECK(unknown.ErrLines().size() == 1);
  CHECK(Contains(unknown.err, "warning: no case on this node names subject P-404"));
  CHECK(CountOfType(node, "incident.reported") == 2);
}

TEST_CASE("entry: import stays tolerant of what the checks refuse", "[entry][daemon]") {
  StartedNode n;
  const Node& node = n.node;
  WriteFile(n.dir / "late.jsonl", AttendanceJson(Id(30), "C-none", "S-none") + "\n");
  Ok(node, {"import", "--file", n.dir / "late.jsonl"}, "operator", "importer");
  CHECK(CountOfType(node, "attendance.recorded") == 1);
}

TEST_CASE("entry: a facilitator records only on its agency's interventions", "[entry][daemon]") {
  TempDir dir;
  Node node{dir / "n1", "provider-a-1", "provider-a", "provider"};
  node.Start();
  MakeCase(node);  // I-1 at provider-a, I-2 at provider-b
  Ok(node,
     {"case", "open", "--case", "C-2", "--subject", "P-2", "--order", "licence", "--risk", "medium",
      "--lead-agency", "probation-ce", "--at", "2025-01-06T09:00:00Z"},
     "probation");
  Ok(node,
     {"intervention", "refer", "--case", "C-2", "--intervention", "I-3", "--programme", "drive",
      "--provider", "provider-b", "--at", "2025-01-07T09:00:00Z"},
     "probation");
  Ok(node, Attendance("I-1", "G-1", "2025-01-17T18:00:00Z"), "facilitator");
  Refused(node, {"intervention", "start", "--case", "C-1", "--intervention", "I-2"}, "facilitator",
          "referred to provider-b, not provider-a");
  // A case with nothing at its agency is answered as a case the node does not hold.
  Refused(node, {"intervention", "start", "--case", "C-2", "--intervention", "I-3"}, "facilitator",
          "case C-2 is not known on this node");
}

// --- session register --------------------------------------------------------------------

namespace {

// A provider node with cases C-1..C-8, each with I-n referred to provider-a and started.
struct RegisterNode {
  TempDir dir;
  Node node{dir / "n1", "provider-a-1", "provider-a", "provider"};
  RegisterNode() {
    node.Start();
    for (int c = 1; c <= 8; ++c) {
      const std::string k = std::to_string(c);
      Ok(node,
         {"case", "open", "--case", "C-" + k, "--subject", "P-" + k, "--order", "licence", "--risk",
          "medium", "--lead-agency", "probation-ce", "--at", "2025-01-06T09:00:00Z"},
         "probation");
      Ok(node,
         {"intervention", "refer", "--case", "C-" + k, "--intervention", "I-" + k, "--programme",
          "building_choices", "--provider", "provider-a", "--at", "2025-01-07T09:00:00Z"},
         "probation");
      Ok(node,
         {"intervention", "start", "--case", "C-" + k, "--intervention", "I-" + k, "--group",
          "grpA", "--at", "2025-01-10T18:00:00Z"},
         "facilitator");
    }
  }
  std::vector<std::string> Register(const std::string& session, const std::string& file) const {
    return {"session",  "register", "--session",     session, "--group", "grpA",
            "--module", "Module 2", "--facilitator", "f-ali", "--at",    "2025-01-24T18:00:00Z",
            "--file",   dir / file};
  }
};

std::string EightRows() {
  std::string csv = "case,intervention,outcome,reason,concern\n";
  for (int c = 1; c <= 8; ++c) {
    const std::string k = std::to_string(c);
    csv += "C-" + k + ",I-" + k + "," + (c % 2 ? "attended" : "absent_acceptable") + ",,\n";
  }
  return csv;
}

}  // namespace

TEST_CASE("session register: eight rows in one append", "[entry][register][daemon]") {
  RegisterNode r;
  WriteFile(r.dir / "reg.csv", EightRows());
  auto ok = r.node.Cli(r.Register("G-2", "reg.csv"), "facilitator");
  INFO(ok.Describe());
  REQUIRE(ok.exit == 0);
  CHECK(Contains(ok.out, "recorded session G-2"));
  CHECK(Contains(ok.out, "with 8 attendees"));
  CHECK(CountOfType(r.node, "session.held") == 1);
  CHECK(CountOfType(r.node, "attendance.recorded") == 8);
  // Re-run with the same --id and --at: the same events, recorded once.
  auto args = r.Register("G-3", "reg.csv");
  args.insert(args.end(), {"--id", Id(40)});
  Ok(r.node, args, "facilitator");
  Ok(r.node, args, "facilitator");
  CHECK(CountOfType(r.node, "attendance.recorded") == 16);
}

TEST_CASE("session register: one bad row of eight writes nothing, and names each bad row",
          "[entry][register][daemon]") {
  RegisterNode r;
  std::string one_bad = EightRows();
  one_bad.replace(one_bad.find("C-4,I-4"), 7, "C-4,I-9");
  WriteFile(r.dir / "one.csv", one_bad);
  const uint64_t before = r.node.StoredEvents();
  auto refused = r.node.Cli(r.Register("G-2", "one.csv"), "facilitator");
  INFO(refused.Describe());
  CHECK(IsOneLineFailure(refused));
  CHECK(Contains(refused.err, "nothing was written"));
  CHECK(Contains(refused.err, "line 5: intervention I-9 of case C-4 is not referred"));
  CHECK(r.node.StoredEvents() == before);

  // Two bad rows the daemon finds, both named; and rows the CLI finds, each named.
  std::string two_bad = one_bad;
  two_bad.replace(two_bad.find("C-7,I-7"), 7, "C-0,I-7");
  WriteFile(r.dir / "two.csv", two_bad);
  auto both = r.node.Cli(r.Register("G-2", "two.csv"), "facilitator");
  INFO(both.Describe());
  CHECK(IsOneLineFailure(both));
  CHECK(Contains(both.err, "2 of 9 refused"));
  CHECK(Contains(both.err, "line 5: "));
  CHECK(Contains(both.err, "line 8: case C-0 is not known"));

  std::string typos = EightRows();
  typos.replace(typos.find("C-2,I-2,absent_acceptable"), 25, "C-2,I-2,absent");
  typos.replace(typos.find("C-6,I-6,absent_acceptable,,"), 27, "C-6,I-6,attended,,maybe");
  WriteFile(r.dir / "typos.csv", typos);
  auto cli = r.node.Cli(r.Register("G-2", "typos.csv"), "facilitator");
  INFO(cli.Describe());
  CHECK(IsOneLineFailure(cli));
  CHECK(Contains(cli.err, "line 3: outcome"));
  CHECK(Contains(cli.err, "line 7: concern"));
  CHECK(r.node.StoredEvents() == before);
}

TEST_CASE("session register: CSV quoting, line ends, BOM and invalid UTF-8",
          "[entry][register][daemon]") {
  RegisterNode r;
  // A quoted reason with a comma, a doubled quote and a line break; CRLF line ends; a BOM;
  // columns in another order; a blank line.
  WriteFile(r.dir / "quoted.csv",
            "\xEF\xBB\xBF"
            "intervention,case,outcome,concern,reason\r\n"
            "I-1,C-1,absent_unacceptable,yes,\"no contact, \"\"phone off\"\"\nsee notes\"\r\n"
            "\r\n"
            "I-2,C-2,attended,,\r\n");
  Ok(r.node, r.Register("G-2", "quoted.csv"), "facilitator");
  bool found = false;
  for (const auto& line : r.node.Export()) {
    if (Contains(line, "\"case\":\"C-1\"") && Contains(line, "attendance.recorded")) {
      found = Contains(line, "\"reason\":\"no contact, \\\"phone off\\\"\\nsee notes\"") &&
              Contains(line, "\"concern\":true");
      INFO(line);
      CHECK(found);
    }
  }
  CHECK(found);

  const uint64_t before = r.node.StoredEvents();
  WriteFile(r.dir / "latin1.csv",
            "case,intervention,outcome,reason,concern\nC-1,I-1,attended,,\n"
            "C-2,I-2,absent_acceptable,caf\xe9,\n");
  auto latin1 = r.node.Cli(r.Register("G-3", "latin1.csv"), "facilitator");
  INFO(latin1.Describe());
  CHECK(IsOneLineFailure(latin1));
  CHECK(Contains(latin1.err, "line 3: not valid UTF-8"));

  WriteFile(r.dir / "open-quote.csv",
            "case,intervention,outcome,reason,concern\nC-1,I-1,attended,\"unclosed,\n");
  auto open = r.node.Cli(r.Register("G-3", "open-quote.csv"), "facilitator");
  CHECK(IsOneLineFailure(open));
  CHECK(Contains(open.err, "line 2: a quoted field is not closed"));

  WriteFile(r.dir / "fields.csv",
            "case,intervention,outcome,reason,concern\nC-1,I-1,attended,late, traffic,\n");
  auto fields = r.node.Cli(r.Register("G-3", "fields.csv"), "facilitator");
  CHECK(IsOneLineFailure(fields));
  CHECK(Contains(fields.err, "line 2: 6 fields, the header has 5"));

  WriteFile(r.dir / "header.csv", "case,intervention,result\nC-1,I-1,attended\n");
  auto header = r.node.Cli(r.Register("G-3", "header.csv"), "facilitator");
  CHECK(IsOneLineFailure(header));
  CHECK(Contains(header.err, "column \"result\""));

  WriteFile(r.dir / "twice.csv", "case,intervention,outcome\nC-1,I-1,attended\nC-1,I-1,late\n");
  auto twice = r.node.Cli(r.Register("G-3", "twice.csv"), "facilitator");
  CHECK(IsOneLineFailure(twice));
  CHECK(Contains(twice.err, "line 3: case C-1 intervention I-1 is also on line 2"));
  CHECK(r.node.StoredEvents() == before);
}

TEST_CASE("session register: --attendee values, and who may take a register",
          "[entry][register][daemon]") {
  RegisterNode r;
  const std::vector<std::string> base = {
      "session",  "register", "--session",     "G-4",   "--group", "grpA",
      "--module", "Module 3", "--facilitator", "f-ali", "--at",    "2025-01-31T18:00:00Z"};
  auto args = base;
  args.insert(args.end(), {"--attendee", "C-1:I-1:attended", "--attendee",
                           "C-2:I-2:absent_unacceptable:no contact: phone off"});
  Refused(r.node, args, "police", "the police role may not record session.held");
  // The SPEC's rights table gives session.held to facilitators only.
  Refused(r.node, args, "probation", "the probation role may not record session.held");
  Ok(r.node, args, "facilitator");
  CHECK(CountOfType(r.node, "attendance.recorded") == 2);
  bool reason = false;
  for (const auto& line : r.node.Export()) {
    reason = reason || Contains(line, "\"reason\":\"no contact: phone off\"");
  }
  CHECK(reason);

  auto bad = base;
  bad[3] = "G-5";
  bad.insert(bad.end(), {"--attendee", "C-1:I-1:attended", "--attendee", "C-2:I-9:attended"});
  Refused(r.node, bad, "facilitator", "--attendee 2: intervention I-9 of case C-2 is not referred");
  auto neither = r.node.Cli(base, "facilitator");
  CHECK(neither.exit == 2);
  CHECK(Contains(neither.err, "not neither"));
}
}  // namespace holdfast::test
