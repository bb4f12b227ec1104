// Triage (SPEC "Alerts reach people"): alerts assign, the alerts list filters, unique alert
// id prefixes and the marks of closed cases and ended interventions, through real daemons.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tests/daemon/alert_json.h"
#include "tests/daemon/harness.h"

using namespace holdfast::test;

namespace {

// The cells of one CSV line (quoted cells may hold commas and doubled quotes).
std::vector<std::string> CsvCells(const std::string& line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cells.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cells.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  return cells;
}

using Row = std::map<std::string, std::string>;

// `alerts list --status all --format csv EXTRA` as `user` of `role`, one map per alert.
std::vector<Row> AlertRows(const Node& node, const std::vector<std::string>& extra,
                           const std::string& role = "probation",
                           const std::string& user = "po-1") {
  std::vector<std::string> args = {"alerts", "list", "--status", "all", "--format", "csv"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = node.Cli(args, role, user);
  INFO(r.Describe());
  REQUIRE(r.exit == 0);
  const auto lines = Lines(r.out);
  REQUIRE(!lines.empty());
  const auto header = CsvCells(lines[0]);
  std::vector<Row> rows;
  for (size_t i = 1; i < lines.size(); ++i) {
    const auto cells = CsvCells(lines[i]);
    REQUIRE(cells.size() == header.size());
    Row row;
    for (size_t c = 0; c < header.size(); ++c) row[header[c]] = cells[c];
    rows.push_back(row);
  }
  return rows;
}

// The alert ids of the rows, sorted.
std::vector<std::string> Ids(const std::vector<Row>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.at("alert"));
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// The one alert of `rows` with this rule and case.
Row Find(const std::vector<Row>& rows, const std::string& rule, const std::string& case_id) {
  for (const auto& r : rows) {
    if (r.at("rule") == rule && r.at("case") == case_id) return r;
  }
  FAIL("no " << rule << " alert on " << case_id);
  return {};
}

// Two cases: C-1 (subject P-1) with a non_engagement alert on I-1 (medium, raised
// 2025-01-20), a no_contact alert on I-1 (medium, 2025-01-27) and a breach alert (high,
// 2025-02-01); C-2 (subject P-2) with a breach alert (high, 2025-03-01).
void TwoCases(const Node& node) {
  auto probation = [&](std::vector<std::string> args) { Ok(node, args, "probation", "po-1"); };
  probation({"case", "open", "--case", "C-1", "--subject", "P-1", "--order", "licence", "--risk",
             "medium", "--lead-agency", "probation-ce", "--at", "2025-01-01T09:00:00Z"});
  probation({"intervention", "refer", "--case", "C-1", "--intervention", "I-1", "--programme",
             "building_choices", "--provider", "provider-a", "--at", "2025-01-02T09:00:00Z"});
  probation({"intervention", "start", "--case", "C-1", "--intervention", "I-1", "--at",
             "2025-01-06T18:00:00Z"});
  for (const auto& [session, at] : std::vector<std::pair<std::string, std::string>>{
           {"S-1", "2025-01-13T18:00:00Z"}, {"S-2", "2025-01-20T18:00:00Z"}}) {
    probation({"attendance", "record", "--case", "C-1", "--intervention", "I-1", "--session",
               session, "--outcome", "absent_unacceptable", "--at", at, "--unlisted-session"});
  }
  probation({"breach", "report", "--case", "C-1", "--kind", "order_breach", "--at",
             "2025-02-01T10:00:00Z"});
  probation({"case", "open", "--case", "C-2", "--subject", "P-2", "--order", "licence", "--risk",
             "high", "--lead-agency", "probation-ce", "--at", "2025-01-01T09:00:00Z"});
  probation(
      {"breach", "report", "--case", "C-2", "--kind", "recall", "--at", "2025-03-01T10:00:00Z"});
}

}  // namespace

TEST_CASE("alerts list filters by severity, raise time, case and subject", "[daemon][triage]") {
  StartedNode n;
  TwoCases(n.node);
  const auto all = AlertRows(n.node, {});
  REQUIRE(all.size() == 4);
  const std::string engagement = Find(all, "non_engagement", "C-1").at("alert");
  const std::string no_contact = Find(all, "no_contact", "C-1").at("alert");
  const std::string breach1 = Find(all, "breach", "C-1").at("alert");
  const std::string breach2 = Find(all, "breach", "C-2").at("alert");

  CHECK(Ids(AlertRows(n.node, {"--severity", "high"})) == Sorted({breach1, breach2}));
  CHECK(Ids(AlertRows(n.node, {"--severity", "medium"})) == Sorted({engagement, no_contact}));
  CHECK(Ids(AlertRows(n.node, {"--severity", "medium,high"})).size() == 4);
  CHECK(AlertRows(n.node, {"--severity", "low"}).empty());
  // At or after: an alert raised at the very time is listed.
  CHECK(Ids(AlertRows(n.node, {"--since", "2025-02-01T10:00:00Z"})) == Sorted({breach1, breach2}));
  CHECK(Ids(AlertRows(n.node, {"--since", "2025-02-15"})) == Sorted({breach2}));
  CHECK(Ids(AlertRows(n.node, {"--since", "2025-01-27T18:00:00Z", "--severity", "medium"})) ==
        Sorted({no_contact}));
  CHECK(Ids(AlertRows(n.node, {"--case", "C-1"})) == Sorted({engagement, no_contact, breach1}));
  CHECK(Ids(AlertRows(n.node, {"--subject", "P-2"})) == Sorted({breach2}));
  CHECK(Ids(AlertRows(n.node, {"--subject", "P-1", "--severity", "high"})) == Sorted({breach1}));
  // Police read every alert: the same filters.
  CHECK(Ids(AlertRows(n.node, {"--severity", "high"}, "police", "pc-1")) ==
        Sorted({breach1, breach2}));

  auto bad = n.node.Cli({"alerts", "list", "--severity", "urgent"}, "probation", "po-1");
  INFO(bad.Describe());
  CHECK(bad.exit == 2);
  CHECK(IsOneLineFailure(bad));
  CHECK(Contains(bad.err, "--severity: \"urgent\" is not one of low, medium, high"));
  auto bad_time = n.node.Cli({"alerts", "list", "--since", "someday"}, "probation", "po-1");
  CHECK(bad_time.exit == 2);
  CHECK(Contains(bad_time.err, "--since"));
}

TEST_CASE(
    "alerts assign names who acts, alerts list shows the assignee and the note, and "
    "--mine selects the caller's",
    "[daemon][triage]") {
  StartedNode n;
  TwoCases(n.node);
  const auto all = AlertRows(n.node, {});
  const std::string breach1 = Find(all, "breach", "C-1").at("alert");
  const std::string breach2 = Find(all, "breach", "C-2").at("alert");
  CHECK(Find(all, "breach", "C-2").at("assigned_to").empty());

  // Assigned by probation to a user this node does not know yet: kept, with a warning.
  auto assigned = n.node.Cli({"alerts", "assign", "--alert", breach2.substr(0, 8), "--to", "pc-1",
                              "--note", "knows the family"},
                             "probation", "po-1");
  INFO(assigned.Describe());
  REQUIRE(assigned.exit == 0);
  CHECK(Contains(assigned.out, "recorded alert.assigned"));
  CHECK(Contains(assigned.err, "pc-1 is not a user of this node"));
  auto row = Find(AlertRows(n.node, {}), "breach", "C-2");
  CHECK(row.at("assigned_to") == "pc-1");
  CHECK(row.at("assigned_by") == "po-1");
  CHECK(row.at("assign_note") == "knows the family");
  CHECK(!row.at("assigned_at").empty());
  auto table = Ok(n.node, {"alerts", "list"}, "probation", "po-1");
  CHECK(Contains(table.out, "assigned"));
  CHECK(Contains(table.out, "pc-1"));

  // The assignee sees it as theirs; police see who, not the note.
  CHECK(Ids(AlertRows(n.node, {"--mine"}, "police", "pc-1")) == Sorted({breach2}));
  auto police_json = Ok(n.node, {"alerts", "list", "--format", "json"}, "police", "pc-1");
  CHECK(Contains(police_json.out, "\"assigned_to\":\"pc-1\""));
  CHECK(!Contains(police_json.out, "knows the family"));
  CHECK(AlertRows(n.node, {"--mine"}, "probation", "po-1").empty());

  // Now that pc-1 is a user here, no warning; police assign too (the latest stands).
  auto again =
      n.node.Cli({"alerts", "assign", "--alert", breach1, "--to", "pc-1"}, "probation", "po-1");
  CHECK(again.exit == 0);
  CHECK(again.err.empty());
  CHECK(Ids(AlertRows(n.node, {"--mine"}, "police", "pc-1")) == Sorted({breach1, breach2}));
  Ok(n.node, {"alerts", "assign", "--alert", breach2, "--to", "pc-2"}, "police", "pc-1");
  CHECK(Ids(AlertRows(n.node, {"--mine"}, "police", "pc-1")) == Sorted({breach1}));
  row = Find(AlertRows(n.node, {}), "breach", "C-2");
  CHECK(row.at("assigned_to") == "pc-2");
  CHECK(row.at("assigned_by") == "pc-1");
  CHECK(row.at("assign_note").empty());
  // case show carries the assignment too, and its timeline the alert.assigned events.
  auto shown = Ok(n.node, {"case", "show", "--case", "C-2", "--format", "json"}, "police", "pc-1");
  CHECK(Contains(shown.out, "\"assigned_to\":\"pc-2\""));
  CHECK(Contains(shown.out, "alert.assigned"));
  CHECK(!Contains(shown.out, "knows the family"));

  // The acknowledgement's note shows in the table and the CSV, not to police.
  Ok(n.node, {"alerts", "ack", "--alert", breach1.substr(0, 8), "--note", "called the OIC"},
     "probation", "po-1");
  CHECK(Find(AlertRows(n.node, {}), "breach", "C-1").at("note") == "called the OIC");
  CHECK(Contains(Ok(n.node, {"alerts", "list", "--status", "all"}, "probation", "po-1").out,
                 "called the OIC"));
  CHECK(!Contains(
      Ok(n.node, {"alerts", "list", "--status", "all", "--format", "json"}, "police", "pc-1").out,
      "called the OIC"));

  // Who may not: a facilitator (no right to append it), and an alert the node does not hold.
  auto facilitator =
      n.node.Cli({"alerts", "assign", "--alert", breach1, "--to", "pc-1"}, "facilitator", "f-1");
  CHECK(facilitator.exit != 0);
  CHECK(IsOneLineFailure(facilitator));
  auto unknown = n.node.Cli(
      {"alerts", "assign", "--alert", "0b5a3c1e-2f4d-5e6f-8a9b-0c1d2e3f4a5b", "--to", "pc-1"},
      "police", "pc-1");
  CHECK(unknown.exit == 1);
  CHECK(Contains(unknown.err, "is not known on this node"));
}

TEST_CASE("a unique prefix of 8 or more characters names an alert for ack, resolve and assign",
          "[daemon][triage]") {
  StartedNode n;
  TwoCases(n.node);
  const auto all = AlertRows(n.node, {});
  const std::string engagement = Find(all, "non_engagement", "C-1").at("alert");
  const std::string breach1 = Find(all, "breach", "C-1").at("alert");
  const std::string breach2 = Find(all, "breach", "C-2").at("alert");

  Ok(n.node, {"alerts", "ack", "--alert", engagement.substr(0, 8)}, "police", "pc-1");
  Ok(n.node, {"alerts", "resolve", "--alert", breach1.substr(0, 13), "--action", "visited"},
     "probation", "po-1");
  Ok(n.node, {"alerts", "assign", "--alert", breach2.substr(0, 9), "--to", "pc-1"}, "police",
     "pc-1");
  const auto after = AlertRows(n.node, {});
  CHECK(Find(after, "non_engagement", "C-1").at("status") == "acknowledged");
  CHECK(Find(after, "breach", "C-1").at("status") == "resolved");
  CHECK(Find(after, "breach", "C-2").at("assigned_to") == "pc-1");

  for (const char* verb : {"ack", "resolve", "assign"}) {
    std::vector<std::string> args = {"alerts", verb, "--alert", breach2.substr(0, 7)};
    if (std::string(verb) == "resolve") args.insert(args.end(), {"--action", "x"});
    if (std::string(verb) == "assign") args.insert(args.end(), {"--to", "pc-1"});
    auto short_prefix = n.node.Cli(args, "probation", "po-1");
    INFO(short_prefix.Describe());
    CHECK(short_prefix.exit == 2);
    CHECK(IsOneLineFailure(short_prefix));
    CHECK(Contains(short_prefix.err, "--alert: give at least 8 characters of the alert id"));
  }
  auto none = n.node.Cli({"alerts", "ack", "--alert", "ffffffff"}, "probation", "po-1");
  CHECK(none.exit == 1);
  CHECK(IsOneLineFailure(none));
  CHECK(Contains(none.err, "no alert on this node has an id starting with \"ffffffff\""));
  auto not_hex = n.node.Cli({"alerts", "ack", "--alert", "zzzzzzzzz"}, "probation", "po-1");
  CHECK(not_hex.exit == 2);
  CHECK(Contains(not_hex.err, "is not an alert id"));
  // A reader who may not see the alert is told what a node without it says: a facilitator
  // here (of probation-ce, which delivers no intervention) sees none of these alerts.
  auto unseen =
      n.node.Cli({"alerts", "ack", "--alert", breach2.substr(0, 8)}, "facilitator", "f-1");
  CHECK(unseen.exit == 1);
  CHECK(Contains(unseen.err, "no alert on this node has an id starting with"));
}

TEST_CASE("an ambiguous alert id prefix is refused with the count of the alerts it starts",
          "[daemon][triage]") {
  TempDir dir;
  Node police(dir / "police", "police-1", "police-ce", "police");
  police.Start();
  const std::string a = "abcdef01-0000-4000-8000-000000000001";
  const std::string b = "abcdef01-0000-4000-8000-000000000002";
  const std::string c = "abcdef02-0000-4000-8000-000000000003";
  WriteFile(dir / "alerts.jsonl", AlertRaisedJson(TestUuid(0x1a, 1), a, "C-7") +
                                      AlertRaisedJson(TestUuid(0x1a, 2), b, "C-8") +
                                      AlertRaisedJson(TestUuid(0x1a, 3), c, "C-9"));
  Ok(police, {"import", "--file", dir / "alerts.jsonl", "--with-derived"}, "operator", "op-1");
  REQUIRE(AlertRows(police, {}, "police", "pc-1").size() == 3);

  for (const std::string& prefix :
       {std::string("abcdef01"), std::string("ABCDEF01-0000"), a.substr(0, 35)}) {
    auto ambiguous = police.Cli({"alerts", "ack", "--alert", prefix}, "police", "pc-1");
    INFO(ambiguous.Describe());
    CHECK(ambiguous.exit == 2);
    CHECK(IsOneLineFailure(ambiguous));
    CHECK(Contains(ambiguous.err, "starts the ids of 2 alerts: give more characters of the id"));
  }
  Ok(police, {"alerts", "ack", "--alert", "abcdef02"}, "police", "pc-1");
  Ok(police, {"alerts", "assign", "--alert", a, "--to", "pc-1"}, "police", "pc-1");
  const auto rows = AlertRows(police, {}, "police", "pc-1");
  for (const auto& r : rows) {
    CHECK(r.at("status") == (r.at("alert") == c ? "acknowledged" : "open"));
    CHECK(r.at("assigned_to") == (r.at("alert") == a ? "pc-1" : ""));
  }
}

TEST_CASE("alerts list marks an alert whose case is closed or whose intervention has ended",
          "[daemon][triage]") {
  StartedNode n;
  TwoCases(n.node);
  auto before = AlertRows(n.node, {});
  CHECK(Find(before, "non_engagement", "C-1").at("intervention_ended") == "false");
  CHECK(Find(before, "breach", "C-2").at("case_closed") == "false");

  Ok(n.node,
     {"intervention", "complete", "--case", "C-1", "--intervention", "I-1", "--at",
      "2025-02-10T10:00:00Z"},
     "probation", "po-1");
  Ok(n.node,
     {"case", "close", "--case", "C-2", "--reason", "order_ended", "--at", "2025-03-05T10:00:00Z"},
     "probation", "po-1");
  const auto after = AlertRows(n.node, {});
  CHECK(Find(after, "non_engagement", "C-1").at("intervention_ended") == "true");
  CHECK(Find(after, "non_engagement", "C-1").at("case_closed") == "false");
  CHECK(Find(after, "breach", "C-1").at("intervention_ended") == "false");  // names none
  CHECK(Find(after, "breach", "C-2").at("case_closed") == "true");
  // As things stood before the close: not closed.
  CHECK(Find(AlertRows(n.node, {"--as-of", "2025-03-02T00:00:00Z"}), "breach", "C-2")
            .at("case_closed") == "false");

  auto table = Ok(n.node, {"alerts", "list", "--status", "all"}, "probation", "po-1");
  CHECK(Contains(table.out, "C-2 (closed)"));
  CHECK(Contains(table.out, "I-1 (ended)"));
  auto json =
      Ok(n.node, {"alerts", "list", "--status", "all", "--format", "json"}, "police", "pc-1");
  CHECK(Contains(json.out, "\"case_closed\":true"));
  CHECK(Contains(json.out, "\"intervention_ended\":true"));
}
