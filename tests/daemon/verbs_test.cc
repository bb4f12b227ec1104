// Every `holdfast` verb against a real holdfastd: what it records, and what it prints.
#include <capnp/serialize.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <thread>

#include "eventstore/event.capnp.h"
#include "tests/daemon/harness.h"

namespace holdfast::test {
namespace {

void OpenCase(const Node& node, const std::string& case_id,
              const std::string& agency = "probation-ce",
              const std::string& at = "2025-01-06T09:00:00Z") {
  Ok(node,
     {"case", "open", "--case", case_id, "--subject", "P-" + case_id, "--order", "licence",
      "--risk", "medium", "--lead-agency", agency, "--at", at},
     "probation");
}

// The exported lines whose "type" is this event type.
std::vector<std::string> OfType(const std::vector<std::string>& lines, const std::string& type) {
  std::vector<std::string> out;
  for (const auto& l : lines) {
    if (Contains(l, "\"type\":\"" + type + "\"")) out.push_back(l);
  }
  return out;
}

// The first column of each CSV data row (the header row dropped).
std::vector<std::string> FirstColumn(const std::string& csv) {
  std::vector<std::string> out;
  auto lines = Lines(csv);
  for (size_t i = 1; i < lines.size(); ++i) out.push_back(lines[i].substr(0, lines[i].find(',')));
  return out;
}

}  // namespace

TEST_CASE("node init writes a config from which holdfastd starts unedited, socket in the data dir",
          "[verbs][node]") {
  TempDir dir;
  const std::string data = dir / "node-a";
  auto init = Holdfast({"node", "init", "--id", "provider-1", "--agency", "provider-a", "--kind",
                        "provider", "--data-dir", data});
  INFO(init.Describe());
  REQUIRE(init.exit == 0);
  CHECK(Contains(init.out, "holdfastd --config " + data + "/holdfast.conf"));
  CHECK(std::filesystem::exists(data + "/holdfast.conf"));

  // Node's constructor would run init again; drive this node by hand instead.
  RunOptions to_log;
  to_log.stdout_path = to_log.stderr_path = dir / "d.log";
  auto daemon = Child::Start({HoldfastdPath(), "--config", data + "/holdfast.conf"}, {}, to_log);
  Env env = {{"HOLDFAST_CONFIG", data + "/holdfast.conf"}};  // the Unix account: its operator
  RunResult stats;
  WaitUntil(
      Scaled(milliseconds(10000)),
      [&] {
        stats = Holdfast({"store", "stats", "--format", "csv"}, env);
        return stats.exit == 0 || !daemon->Running();
      },
      milliseconds(20));
  INFO(stats.Describe() << "\nlog:\n" << ReadFile(dir / "d.log"));
  REQUIRE(stats.exit == 0);
  CHECK(Contains(stats.out, "node,provider-1"));
  CHECK(Contains(stats.out, "agency,provider-a"));
  CHECK(Contains(stats.out, "kind,provider"));
  struct stat st;
  CHECK(::stat((data + "/holdfast.sock").c_str(), &st) == 0);
  daemon->Signal(SIGTERM);
  CHECK(daemon->Wait().exit == 0);

  SECTION("a second init of the same directory is refused and keeps the config") {
    const std::string before = ReadFile(data + "/holdfast.conf");
    auto again = Holdfast(
        {"node", "init", "--id", "other", "--agency", "x", "--kind", "police", "--data-dir", data});
    INFO(again.Describe());
    CHECK(IsOneLineFailure(again));
    CHECK(Contains(again.err, "already exists"));
    CHECK(ReadFile(data + "/holdfast.conf") == before);
  }
}

TEST_CASE("case open, risk and close change what case list shows", "[verbs][case]") {
  StartedNode n;
  OpenCase(n.node, "C-1");
  auto list = Ok(n.node, {"case", "list", "--format", "csv"}, "probation");
  CHECK(Contains(list.out, "C-1,P-C-1,licence,medium,probation-ce,2025-01-06T09:00:00Z,open,1"));

  Ok(n.node,
     {"case", "risk", "--case", "C-1", "--risk", "very_high", "--marac", "--at",
      "2025-02-01T10:00:00Z"},
     "probation");
  list = Ok(n.node, {"case", "list", "--format", "csv"}, "probation");
  CHECK(Contains(list.out, "C-1,P-C-1,licence,very_high,probation-ce,2025-01-06T09:00:00Z,open,2"));

  Ok(n.node, {"case", "close", "--case", "C-1", "--reason", "completed", "--at", "2025-06-01"},
     "probation");
  list = Ok(n.node, {"case", "list", "--format", "csv"}, "probation");
  CHECK(Contains(list.out, ",closed,3"));

  auto lines = n.node.Export();
  REQUIRE(OfType(lines, "case.risk_changed").size() == 1);
  CHECK(Contains(OfType(lines, "case.risk_changed")[0], "\"marac\":true"));
  REQUIRE(OfType(lines, "case.closed").size() == 1);
  CHECK(Contains(OfType(lines, "case.closed")[0], "\"reason\":\"completed\""));
  // A bare date means the start of that day in the node's zone (Europe/London, in BST).
  CHECK(Contains(OfType(lines, "case.closed")[0], "\"occurred_at\":\"2025-05-31T23:00:00Z\""));
}

TEST_CASE("case list --open hides closed cases and --agency keeps one lead agency's",
          "[verbs][case]") {
  StartedNode n;
  OpenCase(n.node, "C-1", "probation-ce");
  OpenCase(n.node, "C-2", "probation-nw");
  OpenCase(n.node, "C-3", "probation-ce");
  Ok(n.node, {"case", "close", "--case", "C-3", "--reason", "order_ended"}, "probation");

  auto all = Ok(n.node, {"case", "list", "--format", "csv"}, "probation");
  CHECK(FirstColumn(all.out) == std::vector<std::string>{"C-1", "C-2", "C-3"});
  auto open = Ok(n.node, {"case", "list", "--open", "--format", "csv"}, "probation");
  CHECK(FirstColumn(open.out) == std::vector<std::string>{"C-1", "C-2"});
  auto ce =
      Ok(n.node, {"case", "list", "--agency", "probation-ce", "--format", "csv"}, "probation");
  CHECK(FirstColumn(ce.out) == std::vector<std::string>{"C-1", "C-3"});
  auto both = Ok(n.node, {"case", "list", "--open", "--agency", "probation-ce", "--format", "csv"},
                 "probation");
  CHECK(FirstColumn(both.out) == std::vector<std::string>{"C-1"});
  auto none = Ok(n.node, {"case", "list", "--agency", "police-x", "--format", "csv"}, "probation");
  CHECK(Lines(none.out).size() == 1);  // the header row alone
}

TEST_CASE("case list prints CSV with a header row, one JSON array, and a table by default",
          "[verbs][case][format]") {
  StartedNode n;
  SECTION("with no cases") {
    auto csv = Ok(n.node, {"case", "list", "--format", "csv"}, "probation");
    CHECK(csv.out == "case,subject,order,risk,lead_agency,opened,status,events\n");
    auto json = Ok(n.node, {"case", "list", "--format", "json"}, "probation");
    CHECK(json.out == "[]\n");
  }
  SECTION("with two cases") {
    OpenCase(n.node, "C-1");
    OpenCase(n.node, "C-2");
    auto csv = Ok(n.node, {"case", "list", "--format", "csv"}, "probation");
    auto rows = Lines(csv.out);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0] == "case,subject,order,risk,lead_agency,opened,status,events");
    auto json = Ok(n.node, {"case", "list", "--format", "json"}, "probation");
    CHECK(json.out.front() == '[');
    CHECK(json.out.substr(json.out.size() - 2) == "]\n");
    CHECK(Contains(json.out,
                   "{\"case\":\"C-1\",\"subject\":\"P-C-1\",\"order\":\"licence\",\"risk\":"
                   "\"medium\",\"lead_agency\":\"probation-ce\",\"opened\":"
                   "\"2025-01-06T09:00:00Z\",\"status\":\"open\",\"events\":1}"));
    CHECK(Contains(json.out, "\"case\":\"C-2\""));
    auto table = Ok(n.node, {"case", "list"}, "probation");
    CHECK(Lines(table.out).size() == 4);  // header, rule, two rows
    CHECK(Contains(Lines(table.out)[0], "case"));
  }
}

TEST_CASE("case show prints the timeline in the order things happened, with who recorded it",
          "[verbs][case]") {
  StartedNode n;
  OpenCase(n.node, "C-1", "probation-ce", "2025-01-06T09:00:00Z");
  // Recorded out of order: the start is recorded after the referral but dated before it
  // would be shown if the timeline followed the log (the checks at entry want a referral
  // before a start, and a start before attendance). The facilitator's agency is the node's.
  Ok(n.node,
     {"intervention", "refer", "--case", "C-1", "--intervention", "I-1", "--programme",
      "building_choices", "--provider", "probation-ce", "--at", "2025-01-10T09:00:00Z"},
     "probation", "po-7");
  Ok(n.node,
     {"intervention", "start", "--case", "C-1", "--intervention", "I-1", "--at",
      "2025-02-01T18:00:00Z"},
     "facilitator", "f-ali");
  Ok(n.node,
     {"attendance", "record", "--case", "C-1", "--intervention", "I-1", "--session", "S-1",
      "--outcome", "late", "--at", "2025-03-04T18:00:00Z", "--unlisted-session"},
     "facilitator", "f-ali");

  auto show = Ok(n.node, {"case", "show", "--case", "C-1"}, "probation");
  const std::string& out = show.out;
  size_t opened = out.find("case.opened"), referred = out.find("intervention.referred"),
         started = out.find("intervention.started"), attended = out.find("attendance.recorded");
  REQUIRE(opened != std::string::npos);
  REQUIRE(referred != std::string::npos);
  REQUIRE(started != std::string::npos);
  REQUIRE(attended != std::string::npos);
  CHECK(opened < referred);
  CHECK(referred < started);
  CHECK(started < attended);
  CHECK(Contains(out, "po-7/probation"));
  CHECK(Contains(out, "f-ali/facilitator"));
  CHECK(Contains(out, "programme=building_choices"));
  CHECK(Contains(out, "Alerts"));

  SECTION("as JSON, one document whose timeline has the case's events in that order") {
    auto json = Ok(n.node, {"case", "show", "--case", "C-1", "--format", "json"}, "probation");
    CHECK(json.out.rfind("{\"header\":", 0) == 0);
    CHECK(json.out.find("case.opened") < json.out.find("intervention.referred"));
    CHECK(json.out.find("intervention.started") < json.out.find("attendance.recorded"));
  }
}

TEST_CASE("intervention refer, start, complete and exit are recorded with their fields",
          "[verbs][intervention]") {
  StartedNode n;
  OpenCase(n.node, "C-1");
  Ok(n.node,
     {"intervention", "refer", "--case", "C-1", "--intervention", "I-1", "--programme",
      "building_choices", "--provider", "provider-a"},
     "probation");
  Ok(n.node, {"intervention", "start", "--case", "C-1", "--intervention", "I-1"}, "probation");
  Ok(n.node, {"intervention", "complete", "--case", "C-1", "--intervention", "I-1"}, "probation");
  Ok(n.node,
     {"intervention", "refer", "--case", "C-1", "--intervention", "I-2", "--programme",
      "respect_dvpp", "--provider", "provider-b"},
     "probation");
  Ok(n.node, {"intervention", "start", "--case", "C-1", "--intervention", "I-2"}, "probation");
  Ok(n.node,
     {"intervention", "exit", "--case", "C-1", "--intervention", "I-2", "--reason", "withdrew"},
     "probation");

  auto lines = n.node.Export();
  CHECK(OfType(lines, "intervention.referred").size() == 2);
  CHECK(OfType(lines, "intervention.started").size() == 2);
  REQUIRE(OfType(lines, "intervention.completed").size() == 1);
  CHECK(Contains(OfType(lines, "intervention.completed")[0], "\"intervention\":\"I-1\""));
  REQUIRE(OfType(lines, "intervention.exited").size() == 1);
  CHECK(Contains(OfType(lines, "intervention.exited")[0], "\"reason\":\"withdrew\""));
  CHECK(Contains(OfType(lines, "intervention.referred")[1], "\"programme\":\"respect_dvpp\""));

  auto show = Ok(n.node, {"case", "show", "--case", "C-1"}, "probation");
  CHECK(Contains(show.out, "intervention.completed"));
  CHECK(Contains(show.out, "reason=withdrew"));
}

TEST_CASE("session log records the session held, with its free-text module", "[verbs][session]") {
  StartedNode n;
  auto r = Ok(n.node,
              {"session", "log", "--session", "S-2025-03-04-grpA", "--group", "grpA", "--module",
               "Module 3, part \"b\"", "--facilitator", "f-ali", "--at", "2025-03-04T18:00:00Z",
               "--format", "csv"},
              "facilitator");
  CHECK(Lines(r.out)[0] == "id,type,position,duplicate");
  auto held = OfType(n.node.Export(), "session.held");
  REQUIRE(held.size() == 1);
  CHECK(Contains(held[0], "\"session\":\"S-2025-03-04-grpA\""));
  CHECK(Contains(held[0], "\"module\":\"Module 3, part \\\"b\\\"\""));
  CHECK(Contains(held[0], "\"facilitator\":\"f-ali\""));
  CHECK(Contains(held[0], "\"occurred_at\":\"2025-03-04T18:00:00Z\""));
}

TEST_CASE("a later attendance record for the same case and session corrects the earlier one",
          "[verbs][attendance]") {
  StartedNode n;
  OpenCase(n.node, "C-1");
  Ok(n.node,
     {"intervention", "refer", "--case", "C-1", "--intervention", "I-1", "--programme",
      "building_choices", "--provider", "probation-ce", "--at", "2025-03-01T09:00:00Z"},
     "probation");
  Ok(n.node,
     {"intervention", "start", "--case", "C-1", "--intervention", "I-1", "--at",
      "2025-03-01T18:00:00Z"},
     "probation");
  auto record = [&](const std::string& session, const std::string& outcome, const std::string& at) {
    Ok(n.node,
       {"attendance", "record", "--case", "C-1", "--intervention", "I-1", "--session", session,
        "--outcome", outcome, "--at", at, "--reason", "as recorded", "--unlisted-session"},
       "facilitator");
  };
  record("S-1", "attended", "2025-03-04T18:00:00Z");
  record("S-1", "absent_unacceptable", "2025-03-04T18:00:00Z");  // the correction
  record("S-2", "attended", "2025-03-11T18:00:00Z");

  auto show = Ok(n.node, {"case", "show", "--case", "C-1"}, "probation");
  INFO(show.out);
  // The timeline keeps both records; the summary counts only the one that stands.
  CHECK(Contains(show.out, "outcome=attended"));
  // Per intervention: sessions, attended, late, left_early, absent_acceptable,
  // absent_unacceptable, rate.
  CHECK(Contains(show.out,
                 "I-1           2         1         0     0           0                  1         "
                 "           50%"));

  SECTION("the later record stands even when it says the session happened earlier") {
    record("S-3", "absent_unacceptable", "2025-03-18T18:00:00Z");
    record("S-3", "attended", "2025-03-17T18:00:00Z");
    auto again = Ok(n.node, {"case", "show", "--case", "C-1"}, "probation");
    INFO(again.out);
    CHECK(Contains(again.out,
                   "I-1           3         2         0     0           0                  1       "
                   "             66%"));
  }
  SECTION("recording the same event id again is not a correction") {
    const std::string id = TestUuid(0xa77e, 1);
    // With --at too: the default time is "now", which would make the second run differ.
    const std::vector<std::string> args = {"attendance",
                                           "record",
                                           "--case",
                                           "C-1",
                                           "--intervention",
                                           "I-1",
                                           "--session",
                                           "S-9",
                                           "--outcome",
                                           "late",
                                           "--id",
                                           id,
                                           "--at",
                                           "2025-03-25T18:00:00Z",
                                           "--unlisted-session"};
    Ok(n.node, args, "facilitator");
    auto dup = Ok(n.node, args, "facilitator");
    CHECK(Contains(dup.out, "already recorded"));
    auto lines = n.node.Export();
    CHECK(std::count_if(lines.begin(), lines.end(),
                        [&](const std::string& l) { return EventIdOf(l) == id; }) == 1);
  }
}

TEST_CASE("breach report and incident report are recorded with their fields", "[verbs]") {
  StartedNode n;
  OpenCase(n.node, "C-1");
  Ok(n.node,
     {"breach", "report", "--case", "C-1", "--kind", "failure_to_comply", "--detail",
      "missed 3 appointments", "--at", "2025-04-01T10:00:00Z"},
     "probation");
  Ok(n.node,
     {"incident", "report", "--subject", "P-C-1", "--incident", "INC-2025-0001", "--category",
      "domestic_abuse", "--crime", "--at", "2025-04-02T23:10:00Z"},
     "police", "dc-jones");
  Ok(n.node,
     {"incident", "report", "--subject", "P-C-1", "--incident", "INC-2025-0002", "--category",
      "other"},
     "police", "dc-jones");

  auto lines = n.node.Export();
  auto breach = OfType(lines, "breach.reported");
  REQUIRE(breach.size() == 1);
  CHECK(Contains(breach[0], "\"kind\":\"failure_to_comply\""));
  CHECK(Contains(breach[0], "\"detail\":\"missed 3 appointments\""));
  auto incidents = OfType(lines, "incident.reported");
  REQUIRE(incidents.size() == 2);
  CHECK(Contains(incidents[0], "\"crime\":true"));
  CHECK(Contains(incidents[0], "\"user\":\"dc-jones\",\"role\":\"police\""));
  CHECK(Contains(incidents[1], "\"crime\":false"));
}

TEST_CASE(
    "export prints JSON Lines in log order, from --since, and Cap'n Proto messages of the "
    "same events",
    "[verbs][export]") {
  StartedNode n;
  OpenCase(n.node, "C-1");
  OpenCase(n.node, "C-2");
  Ok(n.node, {"breach", "report", "--case", "C-2", "--kind", "recall"}, "probation");

  auto lines = n.node.Export();
  // The node may append events of its own (a probation node derives the breach's alert).
  REQUIRE(lines.size() >= 3);
  for (size_t i = 0; i < lines.size(); ++i) {
    CHECK(Contains(lines[i], "\"position\":" + std::to_string(i + 1)));
    CHECK(Contains(lines[i], "\"origin\":\"probation-1\""));
    CHECK(Contains(lines[i], "\"seq\":" + std::to_string(i + 1)));
    CHECK(Contains(lines[i], "\"recorded_at\":"));
  }
  CHECK(Contains(lines[0], "\"case\":\"C-1\""));
  CHECK(Contains(lines[1], "\"case\":\"C-2\""));
  CHECK(Contains(lines[2], "\"type\":\"breach.reported\""));
  auto since = Ok(n.node, {"export", "--since", "2"}, "operator");
  CHECK(Lines(since.out) == std::vector<std::string>(lines.begin() + 2, lines.end()));

  auto capnp_export = Ok(n.node, {"export", "--format", "capnp"}, "operator");
  REQUIRE(capnp_export.out.size() % sizeof(capnp::word) == 0);
  auto words = kj::heapArray<capnp::word>(capnp_export.out.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), capnp_export.out.data(), capnp_export.out.size());
  kj::ArrayPtr<const capnp::word> rest = words.asPtr();
  std::vector<std::string> decoded_ids;
  while (rest.size() > 0) {
    capnp::FlatArrayMessageReader reader(rest);
    auto id = reader.getRoot<schema::Event>().getId();
    char buf[40];
    std::snprintf(
        buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(id.getHi() >> 32),
        static_cast<unsigned>((id.getHi() >> 16) & 0xffff),
        static_cast<unsigned>(id.getHi() & 0xffff), static_cast<unsigned>(id.getLo() >> 48),
        static_cast<unsigned long long>(id.getLo() & 0xffffffffffffULL));
    decoded_ids.push_back(buf);
    rest = kj::arrayPtr(reader.getEnd(), rest.end());
  }
  CHECK(decoded_ids == EventIds(lines));
}

TEST_CASE("store verify calls a sound store sound and store stats counts its events",
          "[verbs][store]") {
  StartedNode n;
  OpenCase(n.node, "C-1");
  OpenCase(n.node, "C-2");
  auto verify = Ok(n.node, {"store", "verify"}, "operator");
  CHECK(Contains(verify.out, "store is sound: 2 events"));
  auto stats = Ok(n.node, {"store", "stats", "--format", "csv"}, "operator");
  CHECK(Lines(stats.out)[0] == "name,value");
  CHECK(Contains(stats.out, "\nevents,2\n"));
  CHECK(Contains(stats.out, "node,probation-1"));
}

TEST_CASE(
    "store backup of a running node, restored into the stopped node, brings back its "
    "events",
    "[verbs][store]") {
  StartedNode n;
  OpenCase(n.node, "C-1");
  OpenCase(n.node, "C-2");
  const auto at_backup = n.node.Export();
  const std::string backup = n.dir / "backup-1";
  auto b = Ok(n.node, {"store", "backup", backup}, "operator");
  CHECK(Contains(b.out, "backed up to " + backup));
  OpenCase(n.node, "C-3");  // after the backup: restore must drop it

  SECTION("restore refuses while the daemon holds the store") {
    auto r = n.node.Cli({"store", "restore", backup}, "operator");
    INFO(r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, "stop holdfastd"));
    CHECK(n.node.Export().size() == 3);
  }
  SECTION("restore into the stopped node, then start it") {
    REQUIRE(n.node.Stop() == 0);
    auto r = n.node.Cli({"store", "restore", backup}, "operator");
    INFO(r.Describe());
    REQUIRE(r.exit == 0);
    n.node.Start();
    CHECK(n.node.Export() == at_backup);
    auto verify = Ok(n.node, {"store", "verify"}, "operator");
    CHECK(Contains(verify.out, "store is sound: 2 events"));
  }
  SECTION("a backup directory that already exists is refused") {
    auto r = n.node.Cli({"store", "backup", backup}, "operator");
    INFO(r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, "already exists"));
  }
}

TEST_CASE("audit list shows the operator who read and wrote which case", "[verbs][audit]") {
  StartedNode n;
  Ok(n.node,
     {"case", "open", "--case", "C-77", "--subject", "P-1", "--order", "dvpo", "--risk", "high",
      "--lead-agency", "probation-ce"},
     "probation", "po-7");
  // Not the facilitator's (no intervention at its agency): "not known", and audited all the same.
  CHECK(n.node.Cli({"case", "show", "--case", "C-77"}, "facilitator", "f-ali").exit == 1);
  auto refused =
      n.node.Cli({"case", "close", "--case", "C-77", "--reason", "other"}, "police", "dc-jones");
  CHECK(refused.exit != 0);

  auto audit = Ok(n.node, {"audit", "list", "--format", "csv"}, "operator", "op-1");
  INFO(audit.out);
  auto rows = Lines(audit.out);
  REQUIRE(!rows.empty());
  CHECK(rows[0] == "at,user,role,verb,target,outcome,credential");
  auto has_row = [&](const std::string& part) {
    return std::any_of(rows.begin(), rows.end(),
                       [&](const std::string& row) { return Contains(row, part); });
  };
  CHECK(has_row(",po-7,probation,append,C-77,ok,"));
  // (Not the facilitator's case: answered as one the node does not hold, and audited so.)
  CHECK(has_row(",f-ali,facilitator,case-show,C-77,not found,"));
  // The refused attempt is on record too, with what went wrong instead of ok.
  CHECK(std::any_of(rows.begin(), rows.end(), [](const std::string& row) {
    return Contains(row, ",dc-jones,police,append,C-77,") && !Contains(row, ",ok");
  }));
}

namespace {

struct ListedVerb {
  std::vector<std::string> words;  // {"case", "open"}
  std::string name;                // "case open"
};

// The verbs `holdfast --help` lists, as "  NAME  SUMMARY" lines under "Verbs:".
std::vector<ListedVerb> ListedVerbs() {
  auto overview = Holdfast({"--help"});
  REQUIRE(overview.exit == 0);
  std::vector<ListedVerb> verbs;
  bool in_list = false;
  for (const auto& line : Lines(overview.out)) {
    if (line == "Verbs:") {
      in_list = true;
      continue;
    }
    if (!in_list || line.rfind("  ", 0) != 0) {
      if (in_list && !line.empty()) break;
      continue;
    }
    const size_t end = line.find("  ", 2);
    ListedVerb v;
    v.name = line.substr(2, end - 2);
    std::istringstream words(v.name);
    for (std::string w; words >> w;) v.words.push_back(w);
    verbs.push_back(std::move(v));
  }
  return verbs;
}

// Checks `holdfast help NAME` and `holdfast NAME --help`.
void CheckHelp(const ListedVerb& verb) {
  std::vector<std::string> help = {"help"};
  help.insert(help.end(), verb.words.begin(), verb.words.end());
  std::vector<std::string> dash = verb.words;
  dash.push_back("--help");
  for (const auto& args : {help, dash}) {
    auto r = Holdfast(args);
    INFO("holdfast " << (args[0] == "help" ? "help " + verb.name : verb.name + " --help") << ": "
                     << r.Describe());
    CHECK(r.exit == 0);
    CHECK(r.err.empty());
    CHECK(Contains(r.out, "holdfast " + verb.name));
    CHECK(Contains(r.out, "Example:\n  holdfast " + verb.name));
  }
}

}  // namespace

TEST_CASE("help VERB and VERB --help exit 0 and show an example for every verb", "[verbs][help]") {
  const auto listed = ListedVerbs();
  // The SPEC's verbs that this build must have.
  const std::vector<std::string> required = {
      "node init",
      "case open",
      "case risk",
      "case close",
      "case show",
      "case list",
      "intervention refer",
      "intervention start",
      "intervention complete",
      "intervention exit",
      "session log",
      "attendance record",
      "breach report",
      "incident report",
      "import",
      "export",
      "store verify",
      "store backup",
      "store restore",
      "store stats",
      "audit list",
      "alerts list",
      "report indicators",
      "peers list",
      "sync status",
      "projections rebuild",
  };
  for (const auto& name : required) {
    INFO("verb " << name);
    CHECK(std::any_of(listed.begin(), listed.end(),
                      [&](const ListedVerb& v) { return v.name == name; }));
  }
  for (const auto& verb : listed) CheckHelp(verb);
}

}  // namespace holdfast::test
