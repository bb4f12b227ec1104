// The case views (daemon/case_views.h, docs/case-views.md): case show, subject show and
// session roster, through a real provider node (agency provider-a, deriving alerts) and the
// real CLI, per section and per role: probation sees all; a facilitator only its agency's
// interventions; police no attendance, notes or reasons; an analyst nothing. Corrections
// and voids are marked, the subject's incidents are in the timeline, and JSON and CSV carry
// every section.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/daemon/harness.h"

namespace holdfast::test {
namespace {

std::string Id(uint64_t n) { return TestUuid(0xc5e0, n); }

std::string Ev(uint64_t n, const std::string& type, const std::string& at, const std::string& role,
               const std::string& agency, const std::string& data) {
  return "{\"id\":\"" + Id(n) + "\",\"type\":\"" + type + "\",\"occurred_at\":\"" + at +
         "\",\"author\":{\"user\":\"u-" + role + "\",\"role\":\"" + role + "\",\"agency\":\"" +
         agency + "\"},\"data\":{" + data + "}}";
}
std::string Po(uint64_t n, const std::string& type, const std::string& at,
               const std::string& data) {
  return Ev(n, type, at, "probation", "probation-ce", data);
}
std::string Fac(uint64_t n, const std::string& type, const std::string& at,
                const std::string& data) {
  return Ev(n, type, at, "facilitator", "provider-a", data);
}
std::string Att(uint64_t n, const std::string& at, const std::string& c, const std::string& i,
                const std::string& session, const std::string& outcome,
                const std::string& reason = "") {
  return Fac(n, "attendance.recorded", at,
             "\"case\":\"" + c + "\",\"intervention\":\"" + i + "\",\"session\":\"" + session +
                 "\",\"outcome\":\"" + outcome + "\"" +
                 (reason.empty() ? "" : ",\"reason\":\"" + reason + "\""));
}

// C-1 (subject P-1): I-1 at provider-a in group G-A, I-2 at provider-b; an attendance at S-1
// corrected (absent_unacceptable, then late); a breach with a detail; an incident of P-1.
// C-2 (subject P-1 too), closed. C-3 (P-3): I-3 at provider-a in G-A, exited on 2025-02-01.
std::string County() {
  const std::vector<std::string> lines = {
      Po(1, "case.opened", "2025-01-02T10:00:00Z",
         "\"case\":\"C-1\",\"subject\":\"P-1\",\"order\":\"licence\",\"risk\":\"medium\","
         "\"lead_agency\":\"probation-ce\""),
      Po(2, "intervention.referred", "2025-01-03T10:00:00Z",
         "\"case\":\"C-1\",\"intervention\":\"I-1\",\"programme\":\"building_choices\","
         "\"provider\":\"provider-a\""),
      Po(3, "intervention.referred", "2025-01-03T11:00:00Z",
         "\"case\":\"C-1\",\"intervention\":\"I-2\",\"programme\":\"respect_dvpp\","
         "\"provider\":\"provider-b\""),
      Fac(4, "intervention.started", "2025-01-10T10:00:00Z",
          "\"case\":\"C-1\",\"intervention\":\"I-1\",\"group\":\"G-A\""),
      Att(5, "2025-01-17T18:00:00Z", "C-1", "I-1", "S-1", "absent_unacceptable", "REASON-ONE"),
      Att(6, "2025-01-17T18:00:00Z", "C-1", "I-1", "S-1", "late"),
      Att(7, "2025-01-24T18:00:00Z", "C-1", "I-1", "S-2", "absent_unacceptable", "REASON-TWO"),
      Ev(8, "intervention.started", "2025-01-11T10:00:00Z", "facilitator", "provider-b",
         "\"case\":\"C-1\",\"intervention\":\"I-2\""),
      Ev(9, "attendance.recorded", "2025-01-12T10:00:00Z", "facilitator", "provider-b",
         "\"case\":\"C-1\",\"intervention\":\"I-2\",\"session\":\"S-B\",\"outcome\":"
         "\"attended\""),
      Po(10, "breach.reported", "2025-02-02T10:00:00Z",
         "\"case\":\"C-1\",\"kind\":\"order_breach\",\"detail\":\"DETAIL-SECRET\""),
      Ev(11, "incident.reported", "2025-02-01T10:00:00Z", "police", "police-ce",
         "\"subject\":\"P-1\",\"incident\":\"INC-9\",\"category\":\"domestic_abuse\","
         "\"crime\":true"),
      Po(20, "case.opened", "2024-01-02T10:00:00Z",
         "\"case\":\"C-2\",\"subject\":\"P-1\",\"order\":\"community_order\",\"risk\":"
         "\"high\",\"lead_agency\":\"probation-ce\""),
      Po(21, "case.closed", "2024-06-02T10:00:00Z", "\"case\":\"C-2\",\"reason\":\"completed\""),
      Po(30, "case.opened", "2025-01-02T10:00:00Z",
         "\"case\":\"C-3\",\"subject\":\"P-3\",\"order\":\"licence\",\"risk\":\"medium\","
         "\"lead_agency\":\"probation-ce\""),
      Po(31, "intervention.referred", "2025-01-03T10:00:00Z",
         "\"case\":\"C-3\",\"intervention\":\"I-3\",\"programme\":\"building_choices\","
         "\"provider\":\"provider-a\""),
      Fac(32, "intervention.started", "2025-01-10T10:00:00Z",
          "\"case\":\"C-3\",\"intervention\":\"I-3\",\"group\":\"G-A\""),
      Fac(33, "intervention.exited", "2025-02-01T10:00:00Z",
          "\"case\":\"C-3\",\"intervention\":\"I-3\",\"reason\":\"withdrew\""),
  };
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

struct ViewsNode {
  TempDir dir;
  Node node{dir / "n1", "provider-a-1", "provider-a", "provider"};
  ViewsNode() {
    std::string config = ReadFile(node.config());
    const std::string line = "derive = \n";
    const size_t at = config.find(line);
    if (at == std::string::npos) throw std::runtime_error("no derive line in " + node.config());
    config.replace(at, line.size(), "derive = true\n");
    WriteFile(node.config(), config);
    node.Start();
    WriteFile(dir / "county.jsonl", County());
    Ok(node, {"import", "--file", dir / "county.jsonl"}, "operator", "op-1");
  }
  void Import(const std::string& lines) {
    WriteFile(dir / "more.jsonl", lines);
    Ok(node, {"import", "--file", dir / "more.jsonl"}, "operator", "op-1");
  }
  std::string AlertOf(const std::string& rule, const std::string& c) const {
    auto json = Ok(node, {"alerts", "list", "--status", "all", "--format", "json"}, "probation");
    for (const auto& line : Lines(json.out)) {
      if (StringField(line, "rule") == rule && StringField(line, "case") == c) {
        return StringField(line, "alert");
      }
    }
    throw std::runtime_error("no " + rule + " alert on " + c + ": " + json.out);
  }
  RunResult Show(const std::string& c, const std::string& role, const std::string& format = "table",
                 const std::string& user = Node::kDefaultUser) const {
    return Ok(node, {"case", "show", "--case", c, "--format", format}, role, user);
  }
};

// The JSON line of the timeline entry of event n (the CLI prints one entry a line).
std::string EntryOf(const std::string& json, uint64_t n) {
  for (const auto& line : Lines(json)) {
    if (Contains(line, "\"event\":\"" + Id(n) + "\"")) return line;
  }
  return "";
}

}  // namespace

TEST_CASE("case show: header, interventions, timeline, attendance and alerts, for probation",
          "[daemon][case-views]") {
  ViewsNode n;
  const std::string breach = n.AlertOf("breach", "C-1");
  Ok(n.node, {"alerts", "ack", "--alert", breach, "--note", "called the officer"}, "probation");
  Ok(n.node, {"alerts", "resolve", "--alert", breach, "--action", "warning letter sent"},
     "probation");

  const auto table = n.Show("C-1", "probation");
  INFO(table.out);
  // The header.
  CHECK(Contains(table.out, "Case C-1\n"));
  CHECK(Contains(table.out, "  subject      P-1\n"));
  CHECK(Contains(table.out, "  order        licence\n"));
  CHECK(Contains(table.out, "  lead_agency  probation-ce\n"));
  CHECK(Contains(table.out, "  status       open since 2025-01-02 10:00:00 GMT\n"));
  // The interventions and their state.
  CHECK(Contains(table.out, "I-1           building_choices  provider-a  G-A    started"));
  CHECK(Contains(table.out, "I-2           respect_dvpp      provider-b         started"));
  // The timeline in the order things happened: the incident of the subject among them.
  const size_t opened = table.out.find("case.opened"),
               incident = table.out.find("incident.reported"),
               breached = table.out.find("breach.reported");
  CHECK(opened < incident);
  CHECK(incident < breached);
  CHECK(Contains(table.out, "incident=INC-9"));
  // The correction, both ways.
  CHECK(Contains(table.out, "corrected: replaced by " + Id(6)));
  CHECK(Contains(table.out, "correction of " + Id(5)));
  // Attendance from the standing records: S-1 late (not the absence it replaced), S-2 absent.
  CHECK(Contains(table.out,
                 "I-1           2         0         1     0           0                  1"));
  CHECK(Contains(table.out,
                 "I-2           1         1         0     0           0                  0"));
  // The alert with its note and resolution, and the acknowledgement in the timeline.
  CHECK(Contains(table.out, "called the officer"));
  CHECK(Contains(table.out, "warning letter sent"));
  CHECK(Contains(table.out, "alert.acknowledged"));
  CHECK(Contains(table.out, "alert.resolved"));
  CHECK(!Contains(table.out, "Not shown to your role"));

  SECTION("--format json carries every section in one document") {
    const auto json = n.Show("C-1", "probation", "json");
    INFO(json.out);
    CHECK(json.out.rfind("{\"header\":{", 0) == 0);
    for (const char* member : {"\"interventions\":[", "\"timeline\":[", "\"attendance\":[",
                               "\"alerts\":[", "\"withheld\":[]"}) {
      CHECK(Contains(json.out, member));
    }
    CHECK(Contains(json.out, "\"status\":\"open\""));
    CHECK(Contains(json.out, "\"subject\":\"P-1\""));
    CHECK(Contains(json.out, "\"closed_at\":null"));
    const std::string corrected = EntryOf(json.out, 5);
    CHECK(StringField(corrected, "corrected_by") == Id(6));
    CHECK(Contains(EntryOf(json.out, 6), "\"replaces\":[\"" + Id(5) + "\"]"));
    CHECK(StringField(EntryOf(json.out, 11), "source") == "subject");
    CHECK(Contains(json.out, "\"note\":\"called the officer\""));
    CHECK(Contains(json.out, "\"action\":\"warning letter sent\""));
    CHECK(Contains(json.out, "\"absent_unacceptable\":1"));
    CHECK(Contains(json.out, "REASON-ONE"));  // the event's data, whole
  }
  SECTION("--format csv carries every section, a row per field") {
    const auto csv = n.Show("C-1", "probation", "csv");
    const auto lines = Lines(csv.out);
    REQUIRE(!lines.empty());
    CHECK(lines[0] == "section,row,field,value");
    for (const char* row : {"header,1,subject,P-1", "interventions,2,intervention,I-2",
                            "attendance,1,absent_unacceptable,1", "alerts,1,rule,"}) {
      bool found = false;
      for (const auto& l : lines) found = found || l.rfind(row, 0) == 0;
      INFO(row);
      CHECK(found);
    }
    CHECK(Contains(csv.out, "\ntimeline,"));
    CHECK(Contains(csv.out, ",corrected_by," + Id(6) + "\n"));
    CHECK(Contains(csv.out, "incident.reported"));
  }
  SECTION("a case the node does not hold is one line, exit 1") {
    const auto r = n.node.Cli({"case", "show", "--case", "C-404"}, "probation");
    CHECK(IsOneLineFailure(r));
    CHECK(r.exit == 1);
    CHECK(Contains(r.err, "case C-404 is not known on this node"));
  }
}

TEST_CASE(
    "case show: a facilitator sees only its agency's interventions, police no attendance, "
    "notes or reasons, an analyst nothing, and every read is audited",
    "[daemon][case-views][read-scope]") {
  ViewsNode n;
  const std::string breach = n.AlertOf("breach", "C-1");
  Ok(n.node, {"alerts", "ack", "--alert", breach, "--note", "NOTE-SECRET"}, "probation");

  const auto fac = n.Show("C-1", "facilitator", "json", "fac-1");
  INFO(fac.out);
  CHECK(Contains(fac.out, "\"intervention\":\"I-1\""));
  CHECK(!Contains(fac.out, "I-2"));  // provider-b's: not in the header, timeline or counts
  CHECK(!Contains(fac.out, "S-B"));
  CHECK(!Contains(fac.out, "INC-9"));  // the subject's incidents
  CHECK(!Contains(fac.out, "\"type\":\"breach.reported\""));
  CHECK(!Contains(fac.out, "DETAIL-SECRET"));
  CHECK(!Contains(fac.out, "NOTE-SECRET"));  // the breach alert is on no intervention
  CHECK(Contains(fac.out, "REASON-ONE"));    // its own attendance, whole
  CHECK(Contains(fac.out, "\"withheld\":[\"case.risk_changed\""));
  const auto fac_table = n.Show("C-1", "facilitator", "table", "fac-1");
  CHECK(Contains(fac_table.out, "Not shown to your role"));
  // C-2 has no intervention at provider-a: as a case the node does not hold.
  const auto hidden = n.node.Cli({"case", "show", "--case", "C-2"}, "facilitator", "fac-1");
  CHECK(IsOneLineFailure(hidden));
  CHECK(Contains(hidden.err, "case C-2 is not known on this node"));

  const auto police = n.Show("C-1", "police", "json", "pc-1");
  INFO(police.out);
  for (const char* hidden_text :
       {"REASON-ONE", "DETAIL-SECRET", "NOTE-SECRET", "\"type\":\"attendance.recorded\"",
        "\"type\":\"intervention.", "\"state\":\""}) {
    INFO(hidden_text);
    CHECK(!Contains(police.out, hidden_text));
  }
  CHECK(Contains(police.out, "\"attendance\":[]"));
  CHECK(Contains(police.out, "\"type\":\"breach.reported\""));
  CHECK(Contains(police.out, "\"type\":\"incident.reported\""));
  CHECK(Contains(police.out, "\"type\":\"alert.acknowledged\""));  // that it was, not the note
  const auto police_table = n.Show("C-1", "police", "table", "pc-1");
  CHECK(!Contains(police_table.out, "NOTE-SECRET"));
  CHECK(Contains(police_table.out, "interventions and attendance counts"));

  const auto analyst = n.node.Cli({"case", "show", "--case", "C-1"}, "analyst", "an-1");
  CHECK(IsOneLineFailure(analyst));
  CHECK(analyst.out.empty());
  const auto audit =
      Ok(n.node, {"audit", "list", "--verb", "case show", "--format", "csv"}, "operator", "op-1");
  INFO(audit.out);
  CHECK(Contains(audit.out, "an-1,analyst,case-show,C-1,permission denied"));
  CHECK(Contains(audit.out, "pc-1,police,case-show,C-1,ok"));
  CHECK(Contains(audit.out, "fac-1,facilitator,case-show,C-2,not found"));
}

TEST_CASE("subject show: the subject's cases, incidents and alerts across cases, per role",
          "[daemon][case-views]") {
  ViewsNode n;
  const auto json =
      Ok(n.node, {"subject", "show", "--subject", "P-1", "--format", "json"}, "probation");
  INFO(json.out);
  CHECK(json.out.rfind("{\"subject\":{\"subject\":\"P-1\"}", 0) == 0);
  CHECK(Contains(json.out, "\"case\":\"C-1\""));
  CHECK(Contains(json.out, "\"case\":\"C-2\""));
  CHECK(!Contains(json.out, "\"case\":\"C-3\""));
  CHECK(Contains(json.out, "\"close_reason\":\"completed\""));
  CHECK(Contains(json.out, "\"incident\":\"INC-9\""));
  CHECK(Contains(json.out, "\"rule\":\"reoffending\""));
  CHECK(Contains(json.out, "\"rule\":\"breach\""));
  const auto table = Ok(n.node, {"subject", "show", "--subject", "P-1"}, "probation");
  CHECK(Contains(table.out, "Cases\n"));
  CHECK(Contains(table.out, "Incidents\n"));
  CHECK(Contains(table.out, "closed 2024-06-02 11:00:00 BST (completed)"));

  // A facilitator: only the cases with an intervention at its agency, no incidents.
  const auto fac = Ok(n.node, {"subject", "show", "--subject", "P-1", "--format", "json"},
                      "facilitator", "fac-1");
  INFO(fac.out);
  CHECK(Contains(fac.out, "\"case\":\"C-1\""));
  CHECK(!Contains(fac.out, "\"case\":\"C-2\""));
  CHECK(!Contains(fac.out, "INC-9"));
  CHECK(Contains(fac.out, "\"incidents\":[]"));
  // Police: the cases and incidents.
  const auto police =
      Ok(n.node, {"subject", "show", "--subject", "P-1", "--format", "csv"}, "police", "pc-1");
  CHECK(Contains(police.out, "INC-9"));
  CHECK(Contains(police.out, "cases,2,case,C-2"));
  // An unknown subject, and an analyst.
  CHECK(IsOneLineFailure(n.node.Cli({"subject", "show", "--subject", "P-404"}, "probation")));
  CHECK(IsOneLineFailure(n.node.Cli({"subject", "show", "--subject", "P-1"}, "analyst", "an-1")));
}

TEST_CASE("session roster: the group's active members with their last outcome and absences",
          "[daemon][case-views][roster]") {
  ViewsNode n;
  auto roster = [&](const std::string& at, const std::string& role = "facilitator",
                    const std::string& user = "fac-1") {
    return Ok(n.node, {"session", "roster", "--group", "G-A", "--at", at, "--format", "csv"}, role,
              user);
  };
  const std::string header =
      "case,subject,intervention,programme,provider,started_at,last_outcome,last_session,last_at,"
      "unacceptable_absences";
  // Before anyone started: nobody.
  CHECK(Lines(roster("2025-01-10T09:59:59Z").out) == std::vector<std::string>{header});
  // At the starts (inclusive): both, no outcome yet.
  CHECK(Lines(roster("2025-01-10T10:00:00Z").out) ==
        std::vector<std::string>{
            header, "C-1,P-1,I-1,building_choices,provider-a,2025-01-10T10:00:00Z,,,,0",
            "C-3,P-3,I-3,building_choices,provider-a,2025-01-10T10:00:00Z,,,,0"});
  // After S-2: C-1's last is the absence at S-2, one unacceptable absence standing (S-1's
  // was corrected to late); C-3 exited on 2025-02-01 at 10:00 (exclusive).
  CHECK(Lines(roster("2025-02-01T10:00:00Z").out) ==
        std::vector<std::string>{header,
                                 "C-1,P-1,I-1,building_choices,provider-a,2025-01-10T10:00:00Z,"
                                 "absent_unacceptable,S-2,2025-01-24T18:00:00Z,1"});
  CHECK(Lines(roster("2025-02-01T09:59:59Z").out).size() == 3);
  // Probation sees the same; police may not read attendance; an analyst nothing.
  CHECK(Lines(roster("2025-02-01T10:00:00Z", "probation", "tester").out).size() == 2);
  CHECK(IsOneLineFailure(n.node.Cli({"session", "roster", "--group", "G-A"}, "police", "pc-1")));
  CHECK(IsOneLineFailure(n.node.Cli({"session", "roster", "--group", "G-A"}, "analyst", "an-1")));
  const auto table = Ok(n.node, {"session", "roster", "--group", "G-A", "--at", "2025-01-25"},
                        "facilitator", "fac-1");
  CHECK(Contains(table.out, "Roster of group G-A"));
  CHECK(Contains(table.out, "absent_unacceptable"));
}

TEST_CASE(
    "voided events are marked in case show and left out of the header, counts, alerts and "
    "roster",
    "[daemon][case-views][void]") {
  ViewsNode n;
  // Void the correction (S-1's late): the absence it replaced stands again; void C-3's exit.
  n.Import(Po(90, "record.voided", "2025-03-01T10:00:00Z",
              "\"event\":\"" + Id(6) + "\",\"reason\":\"wrong person marked\"") +
           "\n" +
           Po(91, "record.voided", "2025-03-01T10:00:00Z",
              "\"event\":\"" + Id(33) + "\",\"reason\":\"exit typed on the wrong case\"") +
           "\n");
  const auto table = n.Show("C-1", "probation");
  INFO(table.out);
  CHECK(Contains(table.out, "VOIDED by u-probation 2025-03-01 10:00:00 GMT: wrong person marked"));
  CHECK(!Contains(table.out, "corrected: replaced by"));
  CHECK(Contains(table.out,
                 "I-1           2         0         0     0           0                  2"));
  const auto json = n.Show("C-1", "probation", "json");
  const std::string voided = EntryOf(json.out, 6);
  CHECK(Contains(voided, "\"voided\":true"));
  CHECK(StringField(voided, "void_reason") == "wrong person marked");
  CHECK(StringField(voided, "void_event") == Id(90));
  // Police see that it was voided, not why.
  const auto police = n.Show("C-3", "police", "json", "pc-1");
  CHECK(!Contains(police.out, "wrong case"));
  // C-3's exit is voided: its intervention is started again, and on the roster.
  const auto c3 = n.Show("C-3", "probation", "json");
  CHECK(Contains(c3.out, "\"state\":\"started\""));
  CHECK(Contains(c3.out, "exit typed on the wrong case"));
  const auto roster =
      Ok(n.node, {"session", "roster", "--group", "G-A", "--at", "2025-03-01", "--format", "csv"},
         "facilitator", "fac-1");
  CHECK(Contains(roster.out, "\nC-3,P-3,I-3,"));
  CHECK(Contains(roster.out, "absent_unacceptable,S-2,2025-01-24T18:00:00Z,2\n"));
}

}  // namespace holdfast::test
