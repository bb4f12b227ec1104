// Least-privilege reads (SPEC "Users, roles and rights", the table; docs/roles.md): a real
// provider node (agency provider-a, deriving alerts) holding a hand-written county with
// interventions at two providers, read by each role through the real CLI. For each role,
// what it must see and what it must not: a facilitator only its agency's cases,
// interventions and alerts; police no attendance, notes, details, actions or reasons drawn
// from attendance; an analyst aggregates only; an operator no case reads; probation all.
// Also `alerts watch` per role, and ReadScope itself for what no CLI verb asks (streams
// other than a case's).
#include "daemon/read_scope.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "eventstore/event_json.h"
#include "eventstore/event_store.h"
#include "projections/projector.h"
#include "tests/daemon/harness.h"

namespace holdfast::test {
namespace {

// One user per role on the node.
const std::string kProbation = "po-1", kFacilitator = "fac-1", kPolice = "pc-1", kAnalyst = "an-1",
                  kOperator = "op-1";

// Free text no role but probation (and a facilitator, for its own attendance) may read.
const char* const kSecrets[] = {"SECRET-REASON-1", "SECRET-REASON-2", "SECRET-REASON-3",
                                "SECRET-DETAIL",   "SECRET-NOTES",    "SECRET-NOTE",
                                "SECRET-ACTION"};

std::string Ev(uint64_t n, const std::string& type, const std::string& at, const std::string& role,
               const std::string& agency, const std::string& data) {
  return "{\"id\":\"" + TestUuid(0x5c09e, n) + "\",\"type\":\"" + type + "\",\"occurred_at\":\"" +
         at + "T12:00:00Z\",\"author\":{\"user\":\"u-" + role + "\",\"role\":\"" + role +
         "\",\"agency\":\"" + agency + "\"},\"data\":{" + data + "}}";
}

std::string Probation(uint64_t n, const std::string& type, const std::string& at,
                      const std::string& data) {
  return Ev(n, type, at, "probation", "probation-ce", data);
}

std::string Opened(uint64_t n, const std::string& c, const std::string& subject) {
  return Probation(n, "case.opened", "2025-01-02",
                   "\"case\":\"" + c + "\",\"subject\":\"" + subject +
                       "\",\"order\":\"licence\",\"risk\":\"medium\",\"lead_agency\":\"probation-"
                       "ce\"");
}

std::string Referred(uint64_t n, const std::string& c, const std::string& i,
                     const std::string& provider) {
  return Probation(n, "intervention.referred", "2025-01-03",
                   "\"case\":\"" + c + "\",\"intervention\":\"" + i +
                       "\",\"programme\":\"building_choices\",\"provider\":\"" + provider + "\"");
}

std::string Intervention(uint64_t n, const std::string& type, const std::string& at,
                         const std::string& c, const std::string& i,
                         const std::string& extra = "") {
  return Ev(n, type, at, "facilitator", "provider-x",
            "\"case\":\"" + c + "\",\"intervention\":\"" + i + "\"" + extra);
}

std::string Attended(uint64_t n, const std::string& at, const std::string& c, const std::string& i,
                     const std::string& session, const std::string& outcome,
                     const std::string& reason = "") {
  return Ev(n, "attendance.recorded", at, "facilitator", "provider-x",
            "\"case\":\"" + c + "\",\"intervention\":\"" + i + "\",\"session\":\"" + session +
                "\",\"outcome\":\"" + outcome + "\"" +
                (reason.empty() ? "" : ",\"reason\":\"" + reason + "\""));
}

// The county, as probation, providers and police would record it:
//   C-1  I-1a at provider-a: two unacceptable absences (non_engagement); a breach with a
//        detail (breach), a MARAC referral (risk_escalation)
//   C-2  I-2b at provider-b: exit for non-compliance (dropout); closed, revoked
//   C-3  I-3a at provider-a (attended), I-3b at provider-b (non_engagement)
//   C-4  no intervention; a domestic-abuse incident of its subject (reoffending)
//   C-5  I-5a at provider-a, referred only
// and a session with notes. Six alerts: one on a provider-a intervention.
std::string County() {
  std::vector<std::string> lines = {
      Opened(1, "C-1", "P-1"),
      Referred(2, "C-1", "I-1a", "provider-a"),
      Intervention(3, "intervention.started", "2025-01-06", "C-1", "I-1a"),
      Attended(4, "2025-01-06", "C-1", "I-1a", "S-1", "attended"),
      Attended(5, "2025-01-13", "C-1", "I-1a", "S-2", "absent_unacceptable", "SECRET-REASON-1"),
      Attended(6, "2025-01-20", "C-1", "I-1a", "S-3", "absent_unacceptable", "SECRET-REASON-2"),
      Intervention(7, "intervention.completed", "2025-01-25", "C-1", "I-1a"),
      Probation(8, "breach.reported", "2025-02-01",
                "\"case\":\"C-1\",\"kind\":\"order_breach\",\"detail\":\"SECRET-DETAIL\""),
      Probation(9, "case.risk_changed", "2025-02-02",
                "\"case\":\"C-1\",\"risk\":\"high\",\"marac\":true"),
      Ev(10, "session.held", "2025-01-06", "facilitator", "provider-a",
         "\"session\":\"S-1\",\"group\":\"grpA\",\"module\":\"one\",\"facilitator\":\"f-1\","
         "\"notes\":\"SECRET-NOTES\""),

      Opened(20, "C-2", "P-2"),
      Referred(21, "C-2", "I-2b", "provider-b"),
      Intervention(22, "intervention.started", "2025-01-06", "C-2", "I-2b"),
      Attended(23, "2025-01-06", "C-2", "I-2b", "S-1", "attended"),
      Intervention(24, "intervention.exited", "2025-01-10", "C-2", "I-2b",
                   ",\"reason\":\"non_compliance\""),
      Probation(25, "case.closed", "2025-03-01", "\"case\":\"C-2\",\"reason\":\"revoked\""),

      Opened(30, "C-3", "P-3"),
      Referred(31, "C-3", "I-3a", "provider-a"),
      Referred(32, "C-3", "I-3b", "provider-b"),
      Intervention(33, "intervention.started", "2025-01-06", "C-3", "I-3a"),
      Attended(34, "2025-01-06", "C-3", "I-3a", "S-1", "attended"),
      Intervention(35, "intervention.completed", "2025-01-08", "C-3", "I-3a"),
      Intervention(36, "intervention.started", "2025-01-06", "C-3", "I-3b"),
      Attended(37, "2025-01-07", "C-3", "I-3b", "S-7", "absent_unacceptable", "SECRET-REASON-3"),
      Attended(38, "2025-01-08", "C-3", "I-3b", "S-8", "absent_unacceptable"),
      Intervention(39, "intervention.completed", "2025-01-09", "C-3", "I-3b"),

      Opened(40, "C-4", "P-4"),
      Ev(41, "incident.reported", "2025-02-15", "police", "police-ce",
         "\"subject\":\"P-4\",\"incident\":\"INC-1\",\"category\":\"domestic_abuse\","
         "\"crime\":true"),

      Opened(50, "C-5", "P-5"),
      Referred(51, "C-5", "I-5a", "provider-a"),
  };
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// The node: a provider's (agency provider-a) that derives alerts, with the county in it.
struct CountyNode {
  TempDir dir;
  Node node{dir / "n1", "provider-a-1", "provider-a", "provider"};
  CountyNode() {
    std::string config = ReadFile(node.config());
    const std::string line = "derive = \n";
    const size_t at = config.find(line);
    if (at == std::string::npos) throw std::runtime_error("no derive line in " + node.config());
    config.replace(at, line.size(), "derive = true\n");
    WriteFile(node.config(), config);
    node.Start();
    WriteFile(dir / "county.jsonl", County());
    Ok(node, {"import", "--file", dir / "county.jsonl"}, "operator", kOperator);
    // Probation acknowledges the provider-a alert with a note, and resolves the breach alert.
    Ok(node,
       {"alerts", "ack", "--alert", AlertId("non_engagement", "C-1"), "--note", "SECRET-NOTE"},
       "probation", kProbation);
    Ok(node,
       {"alerts", "resolve", "--alert", AlertId("breach", "C-1"), "--action", "SECRET-ACTION"},
       "probation", kProbation);
  }

  // The JSON objects of `alerts list --status all --format json` as `role`.
  std::vector<std::string> Alerts(const std::string& role, const std::string& user,
                                  std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = {"alerts", "list", "--status", "all", "--format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<std::string> out;
    for (const auto& line : Lines(Ok(node, args, role, user).out)) {
      if (Contains(line, "\"alert\":\"")) out.push_back(line);
    }
    return out;
  }
  std::string AlertId(const std::string& rule, const std::string& c) const {
    for (const auto& a : Alerts("probation", kProbation)) {
      if (StringField(a, "rule") == rule && StringField(a, "case") == c) {
        return StringField(a, "alert");
      }
    }
    throw std::runtime_error("no " + rule + " alert on " + c);
  }
  // The case ids `case list --format csv` gives the role.
  std::vector<std::string> Cases(const std::string& role, const std::string& user) const {
    std::vector<std::string> out;
    for (const auto& line : Lines(Ok(node, {"case", "list", "--format", "csv"}, role, user).out)) {
      if (line.rfind("case,", 0) != 0) out.push_back(line.substr(0, line.find(',')));
    }
    return out;
  }
};

// "rule case intervention" of each alert object, sorted.
std::vector<std::string> Described(const std::vector<std::string>& alerts) {
  std::vector<std::string> out;
  for (const auto& a : alerts) {
    out.push_back(StringField(a, "rule") + " " + StringField(a, "case") + " " +
                  StringField(a, "intervention"));
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool HasKey(const std::string& json_object, const std::string& key) {
  return Contains(json_object, "\"" + key + "\":");
}

void CheckNoSecrets(const std::string& text) {
  for (const char* secret : kSecrets) {
    INFO(secret);
    CHECK(!Contains(text, secret));
  }
}

void CheckRefused(const Node& node, const std::vector<std::string>& args, const std::string& role,
                  const std::string& user) {
  const auto r = node.Cli(args, role, user);
  std::string command;
  for (const auto& a : args) command += " " + a;
  INFO("holdfast" << command << " as " << role << ": " << r.Describe());
  CHECK(IsOneLineFailure(r));
  CHECK(r.out.empty());
  CheckNoSecrets(r.err);
}

const std::vector<std::string> kAllAlerts = {
    "breach C-1 ",      "dropout C-2 I-2b",    "non_engagement C-1 I-1a", "non_engagement C-3 I-3b",
    "reoffending C-4 ", "risk_escalation C-1 "};

}  // namespace

TEST_CASE("probation reads every case, event, alert and field", "[daemon][read-scope]") {
  CountyNode n;
  CHECK(n.Cases("probation", kProbation) ==
        std::vector<std::string>{"C-1", "C-2", "C-3", "C-4", "C-5"});
  const auto listed = Ok(n.node, {"case", "list", "--format", "json"}, "probation", kProbation);
  CHECK(Contains(listed.out, "\"events\":10"));  // C-1's ten case events (the session is not one)

  const auto show =
      Ok(n.node, {"case", "show", "--case", "C-1", "--format", "json"}, "probation", kProbation);
  for (const char* secret : {"SECRET-REASON-1", "SECRET-REASON-2", "SECRET-DETAIL"}) {
    CHECK(Contains(show.out, secret));
  }
  CHECK(Contains(show.out, "\"attendance.recorded\""));
  const auto table = Ok(n.node, {"case", "show", "--case", "C-1"}, "probation", kProbation);
  CHECK(Contains(table.out, "I-1a          3         1"));
  CHECK(!Contains(table.out, "Not shown to your role"));

  const auto alerts = n.Alerts("probation", kProbation);
  CHECK(Described(alerts) == kAllAlerts);
  for (const auto& a : alerts) {
    INFO(a);
    CHECK(!StringField(a, "reason").empty());
    CHECK(HasKey(a, "action"));
  }
  bool action_seen = false;
  for (const auto& a : alerts) action_seen = action_seen || Contains(a, "SECRET-ACTION");
  CHECK(action_seen);
}

TEST_CASE("a facilitator reads only the cases, interventions and alerts of its agency",
          "[daemon][read-scope]") {
  CountyNode n;
  const std::string role = "facilitator";
  // The cases with a provider-a intervention; C-5's is only referred.
  CHECK(n.Cases(role, kFacilitator) == std::vector<std::string>{"C-1", "C-3", "C-5"});
  const auto json = Ok(n.node, {"case", "list", "--format", "json"}, role, kFacilitator);
  CHECK(!HasKey(json.out, "events"));  // a count of events it may not all see
  CHECK(HasKey(json.out, "risk"));
  const auto table = Ok(n.node, {"case", "list"}, role, kFacilitator);
  CHECK(Contains(table.out, "events"));
  // Pages: after C-1, one case, then the cursor for the rest.
  const auto page =
      Ok(n.node, {"case", "list", "--limit", "1", "--after", "C-1", "--format", "csv"}, role,
         kFacilitator);
  const auto page_lines = Lines(page.out);
  REQUIRE(page_lines.size() == 2);
  CHECK(page_lines[1].rfind("C-3,", 0) == 0);
  CHECK(Contains(page.err, "--after C-3"));

  // Another provider's case is "not known", word for word as a case the node lacks.
  const auto unknown = n.node.Cli({"case", "show", "--case", "C-99"}, role, kFacilitator);
  REQUIRE(unknown.exit == 1);
  for (const std::string c : {"C-2", "C-4"}) {
    auto r = n.node.Cli({"case", "show", "--case", c}, role, kFacilitator);
    INFO(r.Describe());
    CHECK(r.exit == unknown.exit);
    CHECK(r.out == unknown.out);
    std::string expected = unknown.err;
    expected.replace(expected.find("C-99"), 4, c);
    CHECK(r.err == expected);
  }

  // C-3: its provider-a intervention, not its provider-b one.
  const auto c3 =
      Ok(n.node, {"case", "show", "--case", "C-3", "--format", "json"}, role, kFacilitator);
  CHECK(Contains(c3.out, "\"case.opened\""));
  CHECK(Contains(c3.out, "\"I-3a\""));
  CHECK(!Contains(c3.out, "I-3b"));
  CHECK(!Contains(c3.out, "SECRET-REASON-3"));
  const auto c3_table = Ok(n.node, {"case", "show", "--case", "C-3"}, role, kFacilitator);
  CHECK(Contains(c3_table.out, "I-3a          1         1"));
  CHECK(!Contains(c3_table.out, "I-3b"));
  CHECK(Contains(c3_table.out, "Not shown to your role"));

  // C-1: its intervention's events and attendance (reasons too), not the breach or the risk
  // change; the alert on its intervention, not the case's other alerts.
  const auto c1 =
      Ok(n.node, {"case", "show", "--case", "C-1", "--format", "json"}, role, kFacilitator);
  CHECK(Contains(c1.out, "SECRET-REASON-1"));
  CHECK(Contains(c1.out, "\"intervention.completed\""));
  CHECK(!Contains(c1.out, "\"type\":\"breach.reported\""));
  CHECK(!Contains(c1.out, "\"type\":\"case.risk_changed\""));
  CHECK(!Contains(c1.out, "SECRET-DETAIL"));
  CHECK(Contains(c1.out, "\"non_engagement\""));
  CHECK(!Contains(c1.out, "\"risk_escalation\""));
  const auto c1_table = Ok(n.node, {"case", "show", "--case", "C-1"}, role, kFacilitator);
  CHECK(Contains(c1_table.out, "non_engagement"));
  CHECK(!Contains(c1_table.out, "risk_escalation"));

  // Alerts: only the one on a provider-a intervention, all its fields.
  const auto alerts = n.Alerts(role, kFacilitator);
  CHECK(Described(alerts) == std::vector<std::string>{"non_engagement C-1 I-1a"});
  REQUIRE(alerts.size() == 1);
  CHECK(!StringField(alerts[0], "reason").empty());
  CHECK(n.Alerts(role, kFacilitator, {"--case", "C-2"}).empty());
  CHECK(n.Alerts(role, kFacilitator, {"--case", "C-3"}).empty());
  const auto table_alerts = Ok(n.node, {"alerts", "list", "--status", "all"}, role, kFacilitator);
  CHECK(Contains(table_alerts.out, "1 alert\n"));
}

TEST_CASE("police read headers, risk, breaches and alerts, and no attendance, notes or reasons",
          "[daemon][read-scope]") {
  CountyNode n;
  const std::string role = "police";
  CHECK(n.Cases(role, kPolice) == std::vector<std::string>{"C-1", "C-2", "C-3", "C-4", "C-5"});
  const auto listed = Ok(n.node, {"case", "list", "--format", "json"}, role, kPolice);
  CHECK(!HasKey(listed.out, "events"));
  const auto listed_table = Ok(n.node, {"case", "list"}, role, kPolice);
  for (const auto& line : Lines(listed_table.out)) {
    if (line.rfind("C-", 0) == 0) CHECK(line.substr(line.size() - 1) == "-");
  }

  for (const std::string c : {"C-1", "C-2", "C-3", "C-4", "C-5"}) {
    const auto json = Ok(n.node, {"case", "show", "--case", c, "--format", "json"}, role, kPolice);
    INFO(c << ": " << json.out);
    CheckNoSecrets(json.out);
    CHECK(Contains(json.out, "\"case.opened\""));
    for (const char* hidden : {"\"type\":\"attendance.recorded\"", "\"type\":\"intervention.",
                               "session.held", "\"detail\"", "\"notes\"", "\"state\":"}) {
      CHECK(!Contains(json.out, hidden));
    }
    const auto table = Ok(n.node, {"case", "show", "--case", c}, role, kPolice);
    CheckNoSecrets(table.out);
    CHECK(Contains(table.out,
                   "Attendance (standing records, after corrections and voids)\n  none\n"));
    CHECK(Contains(table.out, "Not shown to your role\n"));
    CHECK(Contains(table.out, "  intervention.*\n  attendance.recorded\n"));
  }
  const auto c1 = Ok(n.node, {"case", "show", "--case", "C-1", "--format", "json"}, role, kPolice);
  CHECK(Contains(c1.out, "\"case.risk_changed\""));
  CHECK(Contains(c1.out, "\"breach.reported\""));
  CHECK(Contains(c1.out, "\"kind\":\"order_breach\""));
  // The alerts raised, the non_engagement one without its reason (absences and a date).
  CHECK(Contains(c1.out, "breach reported: order_breach"));
  for (const auto& line : Lines(c1.out)) {
    if (Contains(line, "\"non_engagement\"")) CHECK(!HasKey(line, "reason"));
  }
  CHECK(
      Contains(Ok(n.node, {"case", "show", "--case", "C-2", "--format", "json"}, role, kPolice).out,
               "\"case.closed\""));

  // Every alert; the words of people (note, action) and the reasons drawn from attendance
  // and interventions withheld: absent from JSON, "-" in a table.
  const auto alerts = n.Alerts(role, kPolice);
  CHECK(Described(alerts) == kAllAlerts);
  for (const auto& a : alerts) {
    INFO(a);
    CheckNoSecrets(a);
    CHECK(!HasKey(a, "action"));
    CHECK(!HasKey(a, "note"));
    const std::string rule = StringField(a, "rule");
    const bool from_attendance =
        rule == "non_engagement" || rule == "no_contact" || rule == "dropout";
    CHECK(HasKey(a, "reason") == !from_attendance);
    CHECK(!StringField(a, "acknowledged_at").empty() ==
          (rule == "non_engagement" && StringField(a, "case") == "C-1"));
  }
  const auto table = Ok(n.node, {"alerts", "list", "--status", "all"}, role, kPolice);
  for (const auto& line : Lines(table.out)) {
    if (Contains(line, "dropout")) CHECK(line.substr(line.size() - 1) == "-");
    if (Contains(line, "reoffending")) CHECK(Contains(line, "incident INC-1"));
  }
  const auto csv =
      Ok(n.node, {"alerts", "list", "--status", "all", "--format", "csv"}, role, kPolice);
  CheckNoSecrets(csv.out);
}

TEST_CASE("an analyst reads aggregates only, and an operator no case", "[daemon][read-scope]") {
  CountyNode n;
  const std::vector<std::vector<std::string>> case_reads = {
      {"case", "list"},
      {"case", "show", "--case", "C-1"},
      {"alerts", "list", "--status", "all"},
      {"alerts", "watch"},
  };
  for (const auto& args : case_reads) {
    CheckRefused(n.node, args, "analyst", kAnalyst);
    CheckRefused(n.node, args, "operator", kOperator);
  }
  CheckRefused(n.node, {"export"}, "analyst", kAnalyst);
  const auto report =
      Ok(n.node,
         {"report", "indicators", "--from", "2025-01-01", "--to", "2025-06-01", "--format", "json"},
         "analyst", kAnalyst);
  CHECK(Contains(report.out, "\"referrals\":5"));
  for (const char* id : {"C-1", "P-1", "I-1a", "INC-1"}) CHECK(!Contains(report.out, id));
  // The operator's export is the node's whole log, unfiltered.
  std::string exported;
  for (const auto& line : n.node.Export()) exported += line + "\n";
  for (const char* secret :
       {"SECRET-REASON-1", "SECRET-DETAIL", "SECRET-NOTES", "SECRET-NOTE", "SECRET-ACTION"}) {
    CHECK(Contains(exported, secret));
  }
}

TEST_CASE("alerts watch sends each watcher the alerts its role may see, as it may see them",
          "[daemon][read-scope][alerts]") {
  CountyNode n;
  int next = 0;  // numbers new interventions, sessions and event times
  auto probation = [&](std::vector<std::string> args) {
    Ok(n.node, args, "probation", kProbation);
  };
  // A non_engagement alert on a new intervention of C-5 at `provider`; its intervention id.
  auto disengage = [&](const std::string& provider) {
    const std::string i = "I-W" + std::to_string(++next);
    probation({"intervention", "refer", "--case", "C-5", "--intervention", i, "--programme",
               "drive", "--provider", provider});
    probation({"intervention", "start", "--case", "C-5", "--intervention", i, "--at",
               "2025-04-01T12:00:00Z"});
    for (int s = 0; s < 2; ++s) {
      probation({"attendance", "record", "--case", "C-5", "--intervention", i, "--session",
                 "S-" + i + "-" + std::to_string(s), "--outcome", "absent_unacceptable", "--reason",
                 "SECRET-REASON-1", "--at", "2025-04-0" + std::to_string(2 + s) + "T12:00:00Z",
                 "--unlisted-session"});
    }
    return i;
  };
  auto breach = [&] {
    probation({"breach", "report", "--case", "C-4", "--kind", "recall", "--detail", "SECRET-DETAIL",
               "--at", "2025-05-" + std::to_string(10 + (++next % 18)) + "T12:00:00Z"});
  };

  struct Watcher {
    std::string role, user, path;
    std::unique_ptr<Child> child;
    std::string Seen() const { return ReadFile(path); }
  };
  std::vector<Watcher> watchers;
  for (const auto& [role, user] : std::vector<std::pair<std::string, std::string>>{
           {"probation", kProbation}, {"police", kPolice}, {"facilitator", kFacilitator}}) {
    Watcher w{role, user, n.dir / ("watch-" + role + ".out"), nullptr};
    WriteFile(w.path, "");
    RunOptions options;
    options.stdout_path = w.path;
    w.child = Child::Start({HoldfastPath(), "alerts", "watch", "--format", "json"},
                           n.node.ClientEnv(role, user), options);
    watchers.push_back(std::move(w));
  }
  // Subscribed: each watcher has printed an alert it may see (a watcher prints only the
  // alerts raised after it asked). Probation and police see breaches; a facilitator, alerts
  // on its agency's interventions.
  const auto patience = Scaled(milliseconds(20000));
  REQUIRE(WaitUntil(patience, [&] {
    breach();
    return WaitUntil(milliseconds(300), [&] {
      return Contains(watchers[0].Seen(), "\"breach\"") &&
             Contains(watchers[1].Seen(), "\"breach\"");
    });
  }));
  REQUIRE(WaitUntil(patience, [&] {
    const std::string i = disengage("provider-a");
    return WaitUntil(milliseconds(300),
                     [&] { return Contains(watchers[2].Seen(), "\"" + i + "\""); });
  }));
  for (auto& w : watchers) WriteFile(w.path, "");  // (the children append)

  // In this order: a breach (on no intervention), alerts at provider-b, then at provider-a. Each
  // watcher is sent alerts in the order they are raised, so once the last has reached a watcher,
  // the earlier ones have too, if they were sent to it at all.
  breach();
  const std::string at_b = disengage("provider-b");
  const std::string at_a = disengage("provider-a");
  // (Its start raises a no_contact alert at once, its two absences then non_engagement.)
  auto non_engagement_at_a = [&](const std::string& seen) {
    for (const auto& line : Lines(seen)) {
      if (Contains(line, "\"" + at_a + "\"") && Contains(line, "\"non_engagement\"")) return true;
    }
    return false;
  };
  for (auto& w : watchers) {
    INFO(w.role);
    REQUIRE(WaitUntil(patience, [&] { return non_engagement_at_a(w.Seen()); }));
  }
  const std::string probation_seen = watchers[0].Seen(), police_seen = watchers[1].Seen(),
                    facilitator_seen = watchers[2].Seen();
  INFO("probation:\n"
       << probation_seen << "police:\n"
       << police_seen << "facilitator:\n"
       << facilitator_seen);
  CHECK(Contains(probation_seen, "\"breach\""));
  CHECK(Contains(probation_seen, "\"" + at_b + "\""));
  CHECK(Contains(probation_seen, "unacceptable absences"));
  CHECK(Contains(police_seen, "\"breach\""));
  CHECK(Contains(police_seen, "breach reported: recall"));
  CHECK(Contains(police_seen, "\"" + at_b + "\""));
  CHECK(!Contains(police_seen, "unacceptable absences"));  // non_engagement: no reason
  CheckNoSecrets(police_seen);
  for (const auto& line : Lines(police_seen)) {
    if (Contains(line, "\"non_engagement\"")) CHECK(!HasKey(line, "reason"));
  }
  CHECK(!Contains(facilitator_seen, "\"breach\""));
  CHECK(!Contains(facilitator_seen, at_b));
  CHECK(Contains(facilitator_seen, "unacceptable absences"));
  for (auto& w : watchers) w.child.reset();  // kills it
}

// What no CLI verb asks, a client might: ReadScope over a real store and projector.
TEST_CASE(
    "other roles than probation read no stream but a case's, and a facilitator's "
    "view of another provider's case is empty",
    "[daemon][read-scope]") {
  TempDir dir;
  auto store = EventStore::Open(dir / "store", StoreOptions{"provider-a-1"});
  REQUIRE(store.ok());
  std::vector<Event> events;
  std::istringstream county(County());
  for (std::string line; std::getline(county, line);) {
    auto e = EventFromJson(line);
    REQUIRE(e.ok());
    events.push_back(std::move(e).value());
  }
  REQUIRE((*store)->Append(std::move(events)).ok());
  auto projector = Projector::Open(store->get(), RuleConfig{});
  REQUIRE(projector.ok());
  REQUIRE((*projector)->CatchUp().ok());

  for (auto role : {schema::Role::POLICE, schema::Role::FACILITATOR, schema::Role::ANALYST,
                    schema::Role::OPERATOR}) {
    const ReadScope scope(role, "provider-a", projector->get());
    for (const std::string stream : {"session/S-1", "subject/P-4", "alert/x", "C-1", ""}) {
      auto view = scope.ForStream(stream);
      INFO(static_cast<int>(role) << " " << stream);
      REQUIRE_FALSE(view.ok());
      CHECK(view.status().code() == Status::Code::kPermissionDenied);
    }
  }
  const ReadScope probation(schema::Role::PROBATION, "provider-a", projector->get());
  CHECK(probation.ForStream("session/S-1").ok());
  const ReadScope facilitator(schema::Role::FACILITATOR, "provider-a", projector->get());
  auto other = facilitator.ForStream("case/C-2");
  REQUIRE(other.ok());
  CHECK(other->hidden());
  auto own = facilitator.ForStream("case/C-3");
  REQUIRE(own.ok());
  CHECK(!own->hidden());
  // Analyst and operator: no case would be listed, were the request table to let them in.
  for (auto role : {schema::Role::ANALYST, schema::Role::OPERATOR}) {
    size_t listed = 0;
    REQUIRE(ReadScope(role, "provider-a", projector->get())
                .ScanCases("",
                           [&](const CaseRow&) {
                             ++listed;
                             return true;
                           })
                .ok());
    CHECK(listed == 0);
  }
}

}  // namespace holdfast::test
