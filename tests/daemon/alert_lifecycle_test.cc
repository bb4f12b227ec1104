// An alert's whole life through a real holdfastd and the holdfast CLI (docs/rules.md
// "Corrections and late evidence" and "Alert status", docs/verbs.md `alerts ack`, `alerts
// resolve`, `alerts list`): raised by missed sessions, acknowledged (probation and police
// may, a facilitator may not), resolved, withdrawn by a correction, raised again under the
// same id, and raised again at a later time; at each step the status `alerts list` gives
// in its table and its JSON, now and `--as-of` times around every step.
#include <catch2/catch.hpp>
#include <map>
#include <sstream>

#include "tests/daemon/harness.h"

namespace holdfast::test {
namespace {

// The programme: started 2025-01-06, weekly sessions, completed 2025-02-10. S-2 and S-3
// are unacceptable absences, so non_engagement (N = 2 within W = 365 days) is raised at
// S-3, 2025-01-20T18:00:00Z. The attended sessions keep no_contact quiet (each anchor has
// another within 21 days, and the last one's deadline falls after the completion), so the
// case has this one alert only.
const std::string kRaise = "2025-01-20T18:00:00Z";
const std::string kPoliceAck = "2025-01-21T08:00:00Z";     // the earliest acknowledgement
const std::string kProbationAck = "2025-01-21T09:00:00Z";  // a later one: does not count
const std::string kResolve = "2025-01-22T10:00:00Z";

std::string Id(uint64_t n) { return TestUuid(0x1c, n); }

void Attendance(const Node& node, const std::string& session, const std::string& outcome,
                const std::string& at, const std::string& id) {
  Ok(node,
     {"attendance", "record", "--case", "C-1", "--intervention", "I-1", "--session", session,
      "--outcome", outcome, "--at", at, "--id", id, "--unlisted-session"},
     "probation");
}

// One event of the programme as an import line, recorded by a probation officer.
std::string ProgrammeLine(const std::string& id, const std::string& type, const std::string& at,
                          const std::string& data) {
  return "{\"id\":\"" + id + "\",\"type\":\"" + type + "\",\"occurred_at\":\"" + at +
         "\",\"author\":{\"user\":\"po-1\",\"role\":\"probation\",\"agency\":\"probation-"
         "ce\"},\"data\":{\"case\":\"C-1\"" +
         data + "}}\n";
}

std::string AttendanceLine(const std::string& id, const std::string& session,
                           const std::string& outcome, const std::string& at) {
  return ProgrammeLine(
      id, "attendance.recorded", at,
      ",\"intervention\":\"I-1\",\"session\":\"" + session + "\",\"outcome\":\"" + outcome + "\"");
}

// Imported in one request, so that no evaluation in between sees a gap in contact (one
// fold, one evaluation); the checks at entry would refuse the CLI the sessions before the
// start, which is why an import and not the verbs.
void RecordProgramme(const Node& node) {
  TempDir scratch;
  const std::string file = scratch / "programme.jsonl";
  WriteFile(file, ProgrammeLine(Id(1), "case.opened", "2025-01-02T09:00:00Z",
                                ",\"subject\":\"P-1\",\"order\":\"licence\",\"risk\":\"medium\","
                                "\"lead_agency\":\"probation-ce\"") +
                      ProgrammeLine(Id(8), "intervention.referred", "2025-01-02T09:00:00Z",
                                    ",\"intervention\":\"I-1\",\"programme\":\"building_choices\","
                                    "\"provider\":\"provider-a\"") +
                      AttendanceLine(Id(3), "S-1", "attended", "2025-01-06T18:00:00Z") +
                      AttendanceLine(Id(4), "S-2", "absent_unacceptable", "2025-01-13T18:00:00Z") +
                      AttendanceLine(Id(5), "S-4", "attended", "2025-01-27T18:00:00Z") +
                      AttendanceLine(Id(6), "S-5", "attended", "2025-02-03T18:00:00Z") +
                      ProgrammeLine(Id(7), "intervention.completed", "2025-02-10T18:00:00Z",
                                    ",\"intervention\":\"I-1\"") +
                      ProgrammeLine(Id(2), "intervention.started", "2025-01-06T18:00:00Z",
                                    ",\"intervention\":\"I-1\""));
  Ok(node, {"import", "--file", file}, "operator");
}

// The alert's object in `alerts list ARGS --format json` ("" if not listed), and the whole
// listing's count of alerts.
struct JsonListing {
  std::string object;
  size_t alerts = 0;
};

JsonListing ListJson(const Node& node, std::vector<std::string> args, const std::string& alert) {
  args.insert(args.begin(), {"alerts", "list"});
  args.insert(args.end(), {"--format", "json"});
  const auto r = Ok(node, args, "probation");  // every field (police see no action: roles.md)
  JsonListing out;
  for (const auto& line : Lines(r.out)) {
    if (!Contains(line, "\"alert\":\"")) continue;
    ++out.alerts;
    if (Contains(line, "\"alert\":\"" + alert + "\"")) out.object = line;
  }
  return out;
}

// The status column of the alert's row in `alerts list ARGS` (table; "" if not listed).
// Columns: raised_at rule severity status case subject intervention alert reason.
std::string TableStatus(const Node& node, std::vector<std::string> args, const std::string& alert) {
  args.insert(args.begin(), {"alerts", "list"});
  const auto r = Ok(node, args, "probation");
  for (const auto& line : Lines(r.out)) {
    if (!Contains(line, alert)) continue;
    std::istringstream cells(line);
    // raised_at is a local time in three words: "2025-01-20 18:00:00 GMT".
    std::string date, clock, zone, rule, severity, status;
    cells >> date >> clock >> zone >> rule >> severity >> status;
    return status;
  }
  return "";
}

// The alert's status in `alerts list --status all [--as-of T]`, "" when it is not listed
// then; CHECKs that the table and the JSON say the same.
std::string StatusAt(const Node& node, const std::string& alert, const std::string& as_of = "") {
  std::vector<std::string> args = {"--status", "all"};
  if (!as_of.empty()) args.insert(args.end(), {"--as-of", as_of});
  const std::string in_json = StringField(ListJson(node, args, alert).object, "status");
  const std::string in_table = TableStatus(node, args, alert);
  INFO("as of " << (as_of.empty() ? "now" : as_of));
  CHECK(in_table == in_json);
  return in_json;
}

// The statuses at the as-of times of `expected` (time -> status, "" for not listed).
void CheckStatuses(const Node& node, const std::string& alert,
                   const std::map<std::string, std::string>& expected) {
  for (const auto& [as_of, status] : expected) {
    INFO("--as-of " << as_of);
    CHECK(StatusAt(node, alert, as_of) == status);
  }
}

// The exported alert.raised and alert.withdrawn events of the alert, as their types.
std::vector<std::string> LifecycleOf(const Node& node, const std::string& alert) {
  std::vector<std::string> out;
  for (const auto& line : node.Export()) {
    if (!Contains(line, "\"alert\":\"" + alert + "\"")) continue;
    for (const char* type : {"alert.raised", "alert.withdrawn"}) {
      if (Contains(line, std::string("\"type\":\"") + type + "\"")) out.push_back(type);
    }
  }
  return out;
}

// As-of times around the raise, the acknowledgement and the resolution; a bare date is
// midnight UTC.
const std::string kBeforeRaise = "2025-01-20T17:59:59Z";
const std::string kBeforeAck = "2025-01-21T07:59:59Z";
const std::string kBeforeResolve = "2025-01-22T09:59:59Z";
const std::string kLater = "2025-06-30";

}  // namespace

TEST_CASE(
    "an alert raised by missed sessions is acknowledged, resolved, withdrawn by a "
    "correction and raised again, with the right status now and as of every step",
    "[daemon][alerts][lifecycle]") {
  StartedNode n;
  const Node& node = n.node;
  RecordProgramme(node);
  REQUIRE(ListJson(node, {"--status", "all"}, "-").alerts == 0);  // one absence raises nothing

  // --- Raised: the second unacceptable absence. -------------------------------------------
  Attendance(node, "S-3", "absent_unacceptable", kRaise, Id(10));
  std::string object;  // the one alert of the default listing (open alerts)
  for (const auto& line : Lines(Ok(node, {"alerts", "list", "--format", "json"}, "police").out)) {
    if (!Contains(line, "\"alert\":\"")) continue;
    CHECK(object.empty());
    object = line;
  }
  const std::string id = StringField(object, "alert");
  REQUIRE(id.size() == 36);
  CHECK(StringField(object, "rule") == "non_engagement");
  CHECK(StringField(object, "case") == "C-1");
  CHECK(StringField(object, "intervention") == "I-1");
  CHECK(StringField(object, "raised_at") == kRaise);
  CHECK(StringField(object, "trigger") == Id(10));
  CHECK(StringField(object, "acknowledged_at").empty());
  CHECK(StatusAt(node, id) == "open");
  CHECK(TableStatus(node, {}, id) == "open");  // the default listing: open alerts
  CHECK(LifecycleOf(node, id) == std::vector<std::string>{"alert.raised"});

  // --- Acknowledged: a facilitator may not; police and probation may. -------------------
  for (const std::string verb : {"ack", "resolve"}) {
    std::vector<std::string> args = {"alerts", verb, "--alert", id};
    if (verb == "resolve") args.insert(args.end(), {"--action", "none"});
    const auto refused = node.Cli(args, "facilitator", "fac-1");
    INFO(refused.Describe());
    CHECK(refused.exit == 1);
    CHECK(IsOneLineFailure(refused));
    CHECK(Contains(refused.err, "the facilitator role may not record alert."));
  }
  CHECK(StatusAt(node, id) == "open");
  Ok(node, {"alerts", "ack", "--alert", id, "--note", "called the officer", "--at", kProbationAck},
     "probation", "po-1");
  auto json = ListJson(node, {"--status", "all"}, id).object;
  CHECK(StringField(json, "status") == "acknowledged");
  CHECK(StringField(json, "acknowledged_at") == kProbationAck);
  CHECK(StringField(json, "acknowledged_by") == "po-1");
  // A second acknowledgement, earlier by its time: the earliest counts.
  Ok(node, {"alerts", "ack", "--alert", id, "--at", kPoliceAck}, "police", "pc-1");
  json = ListJson(node, {"--status", "all"}, id).object;
  CHECK(StringField(json, "status") == "acknowledged");
  CHECK(StringField(json, "acknowledged_at") == kPoliceAck);
  CHECK(StringField(json, "acknowledged_by") == "pc-1");
  CHECK(TableStatus(node, {}, id).empty());  // not open any more
  CHECK(TableStatus(node, {"--status", "acknowledged"}, id) == "acknowledged");

  // --- Resolved. --------------------------------------------------------------------------
  Ok(node, {"alerts", "resolve", "--alert", id, "--action", "home visit made", "--at", kResolve},
     "police", "pc-2");
  json = ListJson(node, {"--status", "all"}, id).object;
  CHECK(StringField(json, "status") == "resolved");
  CHECK(StringField(json, "resolved_at") == kResolve);
  CHECK(StringField(json, "resolved_by") == "pc-2");
  CHECK(StringField(json, "action") == "home visit made");
  CHECK(TableStatus(node, {"--status", "acknowledged"}, id).empty());
  CHECK(TableStatus(node, {"--status", "resolved"}, id) == "resolved");
  CHECK(LifecycleOf(node, id) == std::vector<std::string>{"alert.raised"});

  // As of each step: not listed before its raise time, then open, acknowledged, resolved.
  const std::map<std::string, std::string> worked = {
      {kBeforeRaise, ""},           {kRaise, "open"},
      {"2025-01-21", "open"},       {kBeforeAck, "open"},
      {kPoliceAck, "acknowledged"}, {kBeforeResolve, "acknowledged"},
      {kResolve, "resolved"},       {kLater, "resolved"}};
  CheckStatuses(node, id, worked);
  // --status filters on the status as of that time.
  CHECK(TableStatus(node, {"--as-of", kBeforeAck}, id) == "open");
  CHECK(TableStatus(node, {"--status", "acknowledged", "--as-of", kBeforeAck}, id).empty());
  CHECK(TableStatus(node, {"--status", "acknowledged", "--as-of", kBeforeResolve}, id) ==
        "acknowledged");

  // --- Withdrawn: S-3 recorded again, attended. The condition never held. ------------------
  Attendance(node, "S-3", "attended", kRaise, Id(11));
  CHECK(StatusAt(node, id) == "withdrawn");
  CHECK(TableStatus(node, {}, id).empty());
  CHECK(TableStatus(node, {"--status", "resolved"}, id).empty());
  CHECK(TableStatus(node, {"--status", "withdrawn"}, id) == "withdrawn");
  // Withdrawn at every as-of time from its raise on, never open before the withdrawal.
  CheckStatuses(node, id,
                {{kBeforeRaise, ""},
                 {kRaise, "withdrawn"},
                 {kBeforeAck, "withdrawn"},
                 {kPoliceAck, "withdrawn"},
                 {kResolve, "withdrawn"},
                 {kLater, "withdrawn"}});
  // The acknowledgement and resolution are kept.
  json = ListJson(node, {"--status", "withdrawn"}, id).object;
  CHECK(StringField(json, "acknowledged_at") == kPoliceAck);
  CHECK(StringField(json, "resolved_at") == kResolve);
  CHECK(LifecycleOf(node, id) == std::vector<std::string>{"alert.raised", "alert.withdrawn"});
  bool reason_seen = false;
  for (const auto& line : node.Export()) {
    reason_seen |= Contains(line, "\"type\":\"alert.withdrawn\"") &&
                   Contains(line,
                            "late evidence: the unacceptable absences that raised it do "
                            "not stand (corrected, or outside the active programme)");
  }
  CHECK(reason_seen);

  // --- Raised again: S-3 corrected back to absent. Same id, same raise time; a new
  // alert.raised, and the acknowledgement and resolution still count. -----------------------
  Attendance(node, "S-3", "absent_unacceptable", kRaise, Id(12));
  CHECK(ListJson(node, {"--status", "all"}, id).alerts == 1);
  json = ListJson(node, {"--status", "all"}, id).object;
  CHECK(StringField(json, "raised_at") == kRaise);
  CHECK(StringField(json, "trigger") == Id(12));
  CHECK(StringField(json, "acknowledged_at") == kPoliceAck);
  CHECK(StatusAt(node, id) == "resolved");
  CheckStatuses(node, id, worked);
  CHECK(LifecycleOf(node, id) ==
        std::vector<std::string>{"alert.raised", "alert.withdrawn", "alert.raised"});

  // --- Withdrawn again, then raised later: S-3 attended after all, and a new absence,
  // S-6 on 2025-02-07, completes a window with S-2. Same id (the key is the
  // intervention), the later raise time. ------------------------------------------------------
  Attendance(node, "S-3", "attended", kRaise, Id(13));
  CHECK(StatusAt(node, id) == "withdrawn");
  const std::string later_raise = "2025-02-07T18:00:00Z";
  Attendance(node, "S-6", "absent_unacceptable", later_raise, Id(14));
  CHECK(ListJson(node, {"--status", "all"}, id).alerts == 1);
  json = ListJson(node, {"--status", "all"}, id).object;
  CHECK(StringField(json, "raised_at") == later_raise);
  CHECK(StringField(json, "trigger") == Id(14));
  // The acknowledgement and resolution (before the new raise time) still count: resolved
  // from the raise on, and not listed before it, the old raise time included.
  CheckStatuses(node, id,
                {{kRaise, ""},
                 {"2025-02-07T17:59:59Z", ""},
                 {later_raise, "resolved"},
                 {kLater, "resolved"}});
  CHECK(LifecycleOf(node, id) == std::vector<std::string>{"alert.raised", "alert.withdrawn",
                                                          "alert.raised", "alert.withdrawn",
                                                          "alert.raised"});

  // A restart and a rebuild append nothing and change nothing.
  REQUIRE(n.node.Stop() == 0);
  n.node.Start();
  Ok(node, {"projections", "rebuild"}, "operator");
  CHECK(LifecycleOf(node, id).size() == 5);
  CHECK(StatusAt(node, id) == "resolved");
}

}  // namespace holdfast::test
