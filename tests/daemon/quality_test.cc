// `holdfast report quality` end to end: a real provider node (agency provider-a) imports a
// hand-written county holding one anomaly of every kind (import takes what the checks at
// entry refuse), and the report is read through the real CLI: each kind with its case, event
// and time; the same JSON on a second node that imported the lines in another order; a
// void, imported, that makes an anomaly go (before its target too); what each role sees;
// --case, --format json and csv; and [node] max_future_seconds.
#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <set>
#include <tuple>

#include "eventstore/ids.h"
#include "tests/daemon/harness.h"

namespace holdfast::test {
namespace {

const std::string kProbation = "po-1", kFacilitator = "fac-1", kPolice = "pc-1", kAnalyst = "an-1";

std::string Id(uint64_t n) { return TestUuid(0x9a11, n); }

// One event as another node exported it: with origin, seq and recorded_at, so every node
// importing it holds the same event. Recorded on 2025-06-01 (seq seconds later).
std::string Ev(uint64_t n, const std::string& type, const std::string& at, const std::string& role,
               const std::string& agency, const std::string& data) {
  const uint64_t recorded_ms = 1748736000000ULL + n * 1000ULL;
  return "{\"id\":\"" + Id(n) + "\",\"type\":\"" + type + "\",\"occurred_at\":\"" + at +
         "T12:00:00Z\",\"origin\":\"elsewhere-1\",\"seq\":" + std::to_string(n) +
         ",\"recorded_at\":\"" + FormatHlc(HlcPack(recorded_ms, 0)) +
         "\",\"author\":{\"user\":\"u-" + role + "\",\"role\":\"" + role + "\",\"agency\":\"" +
         agency + "\"},\"data\":{" + data + "}}";
}

std::string P(uint64_t n, const std::string& type, const std::string& at, const std::string& data) {
  return Ev(n, type, at, "probation", "probation-ce", data);
}
std::string F(uint64_t n, const std::string& type, const std::string& at, const std::string& data) {
  return Ev(n, type, at, "facilitator", "provider-a", data);
}
std::string Opened(uint64_t n, const std::string& c, const std::string& subject,
                   const std::string& at) {
  return P(n, "case.opened", at,
           "\"case\":\"" + c + "\",\"subject\":\"" + subject +
               "\",\"order\":\"licence\",\"risk\":\"medium\",\"lead_agency\":\"probation-ce\"");
}
std::string Referred(uint64_t n, const std::string& c, const std::string& i,
                     const std::string& provider) {
  return P(n, "intervention.referred", "2025-01-01",
           "\"case\":\"" + c + "\",\"intervention\":\"" + i +
               "\",\"programme\":\"building_choices\",\"provider\":\"" + provider + "\"");
}
std::string Iv(uint64_t n, const std::string& type, const std::string& c, const std::string& i,
               const std::string& at, const std::string& extra = "") {
  return F(n, type, at, "\"case\":\"" + c + "\",\"intervention\":\"" + i + "\"" + extra);
}
std::string Session(uint64_t n, const std::string& s, const std::string& at) {
  return F(
      n, "session.held", at,
      "\"session\":\"" + s + "\",\"group\":\"grp-A\",\"module\":\"m1\",\"facilitator\":\"f-1\"");
}
std::string Attendance(uint64_t n, const std::string& c, const std::string& i, const std::string& s,
                       const std::string& at) {
  return Iv(n, "attendance.recorded", c, i, at,
            ",\"session\":\"" + s + "\",\"outcome\":\"attended\"");
}
std::string Breach(uint64_t n, const std::string& c, const std::string& at) {
  return P(n, "breach.reported", at, "\"case\":\"" + c + "\",\"kind\":\"order_breach\"");
}
std::string Void(uint64_t n, const std::string& target) {
  return P(n, "record.voided", "2025-05-01",
           "\"event\":\"" + target + "\",\"reason\":\"entered twice\"");
}

// One anomaly of each kind, by the event that has it, and a second not_active at another
// provider (12 in all); and a case with nothing wrong.
struct County {
  std::vector<std::string> lines;
  // (kind, case, event id, occurred_at)
  std::vector<std::tuple<std::string, std::string, std::string, std::string>> expected;
  std::string reopened_c4;  // C-4's second opening, which a void clears
  std::string void_c4;

  County() {
    auto add = [&](const std::string& line) { lines.push_back(line); };
    auto expect = [&](const std::string& kind, const std::string& c, uint64_t n,
                      const std::string& at) {
      expected.emplace_back(kind, c, Id(n), at + "T12:00:00Z");
    };
    // C-1: opened, I-1 and I-2 referred to provider-a, I-1 started; sessions S-0 and S-1.
    add(Opened(1, "C-1", "P-1", "2025-01-01"));
    add(Referred(2, "C-1", "I-1", "provider-a"));
    add(Referred(3, "C-1", "I-2", "provider-a"));
    add(Iv(4, "intervention.started", "C-1", "I-1", "2025-01-08"));
    add(Session(5, "S-0", "2025-01-05"));
    add(Session(6, "S-1", "2025-01-15"));
    add(Attendance(7, "C-1", "I-1", "S-1", "2025-01-15"));  // nothing wrong
    add(Opened(8, "C-1", "P-1", "2025-01-02"));
    expect("case_reopened", "C-1", 8, "2025-01-02");
    add(Iv(9, "intervention.started", "C-1", "I-9", "2025-01-09"));
    expect("not_referred", "C-1", 9, "2025-01-09");
    add(Iv(10, "intervention.completed", "C-1", "I-2", "2025-02-01"));
    expect("not_started", "C-1", 10, "2025-02-01");
    add(Iv(11, "intervention.completed", "C-1", "I-1", "2025-03-01"));
    add(Iv(12, "intervention.exited", "C-1", "I-1", "2025-03-02", ",\"reason\":\"other\""));
    expect("ended_twice", "C-1", 12, "2025-03-02");
    add(Attendance(13, "C-1", "I-1", "S-0", "2025-01-05"));
    expect("not_active", "C-1", 13, "2025-01-05");
    add(Attendance(14, "C-1", "I-1", "S-X", "2025-01-20"));
    expect("unknown_session", "C-1", 14, "2025-01-20");
    // C-2: opened for P-2, then again for P-3.
    add(Opened(20, "C-2", "P-2", "2025-01-01"));
    add(Opened(21, "C-2", "P-3", "2025-01-05"));
    expect("case_subject_conflict", "C-2", 21, "2025-01-05");
    // C-3: closed, then a breach after; a breach dated in 2030.
    add(Opened(30, "C-3", "P-3", "2025-01-01"));
    add(P(31, "case.closed", "2025-02-01", "\"case\":\"C-3\",\"reason\":\"completed\""));
    add(Breach(32, "C-3", "2025-02-10"));
    expect("after_close", "C-3", 32, "2025-02-10");
    add(Breach(33, "C-1", "2030-01-01"));
    expect("future_dated", "C-1", 33, "2030-01-01");
    // C-9: never opened here.
    add(Breach(90, "C-9", "2025-01-10"));
    expect("unknown_case", "C-9", 90, "2025-01-10");
    // A void of an event no node holds.
    add(Void(91, TestUuid(0xdead, 1)));
    expect("void_target_missing", "", 91, "2025-05-01");
    // C-4: opened twice, the second voided (the void is imported first in some tests).
    add(Opened(40, "C-4", "P-4", "2025-01-01"));
    reopened_c4 = Opened(41, "C-4", "P-4", "2025-01-03");
    void_c4 = Void(42, Id(41));
    // C-5: at provider-b, attendance before the start (not_active, which provider-a's
    // facilitator must not see).
    add(Opened(50, "C-5", "P-5", "2025-01-01"));
    add(Referred(51, "C-5", "I-1", "provider-b"));
    add(Iv(52, "intervention.started", "C-5", "I-1", "2025-01-10"));
    add(Attendance(53, "C-5", "I-1", "S-1", "2025-01-02"));
    expect("not_active", "C-5", 53, "2025-01-02");
  }
};

struct QualityNode {
  TempDir dir;
  Node node{dir / "n1", "provider-1", "provider-a", "provider"};
  explicit QualityNode(const std::string& config_extra = "") {
    if (!config_extra.empty()) {
      std::string config = ReadFile(node.config());
      const std::string line = "max_future_seconds = 300\n";
      config.replace(config.find(line), line.size(), config_extra);
      WriteFile(node.config(), config);
    }
    node.Start();
  }
  void Import(const std::vector<std::string>& lines, const std::string& name) {
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    WriteFile(dir / name, text);
    Ok(node, {"import", "--file", dir / name}, "operator");
  }
  RunResult Report(const std::string& role, const std::string& user,
                   std::vector<std::string> extra = {"--format", "json"}) {
    std::vector<std::string> args = {"report", "quality"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Ok(node, args, role, user);
  }
};

// The anomalies of a JSON report, one object a line (the CLI's JSON arrays are so printed).
std::vector<std::string> Objects(const std::string& json) {
  std::vector<std::string> out;
  for (const auto& line : Lines(json)) {
    if (line.find("\"kind\"") != std::string::npos) out.push_back(line);
  }
  return out;
}

std::set<std::string> KindsOf(const std::string& json) {
  std::set<std::string> kinds;
  for (const auto& o : Objects(json)) kinds.insert(StringField(o, "kind"));
  return kinds;
}

}  // namespace

TEST_CASE("report quality lists one anomaly of each kind imported, with its case, event and time",
          "[daemon][quality]") {
  QualityNode n;
  County county;
  n.Import(county.lines, "county.jsonl");
  const auto report = n.Report("probation", kProbation);
  const auto objects = Objects(report.out);
  INFO(report.out);
  CHECK(objects.size() == 12);
  CHECK(KindsOf(report.out).size() == 11);  // every kind the SPEC names
  for (const auto& [kind, case_id, event, at] : county.expected) {
    INFO(kind << " " << event);
    size_t found = 0;
    for (const auto& o : objects) {
      if (StringField(o, "kind") != kind || StringField(o, "event") != event) continue;
      ++found;
      CHECK(StringField(o, "case") == case_id);
      CHECK(StringField(o, "occurred_at") == at);
      CHECK(!StringField(o, "detail").empty());
    }
    CHECK(found == 1);
  }
  // Sorted by case (none first), then time, event and kind.
  std::vector<std::string> cases;
  for (const auto& o : objects) cases.push_back(StringField(o, "case"));
  CHECK(std::is_sorted(cases.begin(), cases.end()));
  CHECK(cases.front().empty());

  SECTION("--case gives that case's rows of the whole report, the same") {
    const auto one = n.Report("probation", kProbation, {"--case", "C-1", "--format", "json"});
    std::vector<std::string> expected;
    for (const auto& o : objects) {
      if (StringField(o, "case") == "C-1") expected.push_back(o);
    }
    auto got = Objects(one.out);
    // The last object of an array has no trailing ",": compare without it.
    auto trim = [](std::string s) {
      while (!s.empty() && (s.back() == ',' || s.back() == ']')) s.pop_back();
      if (!s.empty() && s.front() == '[') s.erase(0, 1);
      while (!s.empty() && s.front() == ' ') s.erase(0, 1);
      return s;
    };
    std::transform(got.begin(), got.end(), got.begin(), trim);
    std::transform(expected.begin(), expected.end(), expected.begin(), trim);
    CHECK(got == expected);
    CHECK(got.size() == 7);
  }
  SECTION("--case of a case the node does not hold is refused in one line") {
    const auto r = n.node.Cli({"report", "quality", "--case", "C-404"}, "probation", kProbation);
    CHECK(r.exit == 1);
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, "C-404"));
  }
  SECTION("the table: one row per anomaly, and the count") {
    const auto table = n.Report("probation", kProbation, {});
    const auto lines = Lines(table.out);
    REQUIRE(lines.size() == 2 + 12 + 1);
    CHECK(lines[0].rfind("case", 0) == 0);
    CHECK(lines.back() == "12 anomalies");
  }
  SECTION("csv: a header and one line per anomaly, every field") {
    const auto csv = n.Report("probation", kProbation, {"--format", "csv"});
    const auto lines = Lines(csv.out);
    REQUIRE(lines.size() == 1 + 12);
    CHECK(lines[0] == "case,occurred_at,kind,type,event,intervention,detail");
    CHECK(Contains(csv.out,
                   "C-1,2025-01-05T12:00:00Z,not_active,attendance.recorded," + Id(13) + ",I-1,"));
  }
}

TEST_CASE("report quality is the same on two nodes holding the same events in any order",
          "[daemon][quality]") {
  County county;
  county.lines.push_back(county.reopened_c4);
  county.lines.push_back(county.void_c4);
  std::vector<std::string> shuffled = county.lines;
  std::mt19937 random(1414);
  std::shuffle(shuffled.begin(), shuffled.end(), random);
  std::vector<std::string> reversed(county.lines.rbegin(), county.lines.rend());
  QualityNode a, b;
  a.Import(shuffled, "a.jsonl");
  // b in two imports, the second half first.
  const size_t half = reversed.size() / 2;
  b.Import(std::vector<std::string>(reversed.begin() + half, reversed.end()), "b1.jsonl");
  b.Import(std::vector<std::string>(reversed.begin(), reversed.begin() + half), "b2.jsonl");
  const std::string ra = a.Report("probation", kProbation).out;
  const std::string rb = b.Report("probation", kProbation).out;
  CHECK(ra == rb);
  CHECK(Objects(ra).size() == 12);
}

TEST_CASE("report quality: a void makes the voided event's anomaly go, before or after it arrives",
          "[daemon][quality][void]") {
  QualityNode n;
  County county;
  n.Import(county.lines, "county.jsonl");

  SECTION("the void after its target") {
    n.Import({county.reopened_c4}, "reopened.jsonl");
    auto before = n.Report("probation", kProbation, {"--case", "C-4", "--format", "json"});
    REQUIRE(Objects(before.out).size() == 1);
    CHECK(StringField(Objects(before.out)[0], "kind") == "case_reopened");
    n.Import({county.void_c4}, "void.jsonl");
    CHECK(Objects(n.Report("probation", kProbation, {"--case", "C-4", "--format", "json"}).out)
              .empty());
    CHECK(Objects(n.Report("probation", kProbation).out).size() == 12);
  }
  SECTION("the void before its target: void_target_missing until the target arrives") {
    n.Import({county.void_c4}, "void.jsonl");
    auto report = Objects(n.Report("probation", kProbation).out);
    size_t missing = 0;
    for (const auto& o : report) missing += StringField(o, "kind") == "void_target_missing";
    CHECK(missing == 2);
    n.Import({county.reopened_c4}, "reopened.jsonl");
    report = Objects(n.Report("probation", kProbation).out);
    CHECK(report.size() == 12);
    for (const auto& o : report) CHECK(StringField(o, "case") != "C-4");
  }
  SECTION("voiding the unlisted session's attendance clears unknown_session") {
    n.Import({Void(60, Id(14))}, "void14.jsonl");
    const auto kinds = KindsOf(n.Report("probation", kProbation).out);
    CHECK(kinds.count("unknown_session") == 0);
    CHECK(kinds.size() == 10);
  }
}

TEST_CASE("report quality shows each role what it may see of the anomalies",
          "[daemon][quality][roles]") {
  QualityNode n;
  County county;
  n.Import(county.lines, "county.jsonl");

  SECTION("an analyst: the count of each kind, no case-level data") {
    const auto r = n.Report("analyst", kAnalyst);
    INFO(r.out);
    CHECK(!Contains(r.out, "C-"));
    CHECK(!Contains(r.out, Id(8)));
    CHECK(!Contains(r.out, "detail"));
    CHECK(Contains(r.out, "{\"kind\":\"case_reopened\",\"count\":1}"));
    CHECK(Contains(r.out, "{\"kind\":\"not_active\",\"count\":2}"));
    const auto table = n.Report("analyst", kAnalyst, {});
    CHECK(Lines(table.out).size() == 2 + 11 + 1);  // every kind, 0 or not
    CHECK(Lines(table.out).back() == "12 anomalies");
    // Not one case's counts: whether a case is held, and what is wrong with it, is case data.
    const auto one = n.node.Cli({"report", "quality", "--case", "C-1"}, "analyst", kAnalyst);
    CHECK(IsOneLineFailure(one));
    CHECK(Contains(one.err, "the analyst role sees the node's counts only"));
    CHECK(!Contains(one.out, "C-1"));
  }
  SECTION("a facilitator: only its agency's interventions and their cases' headers") {
    const auto r = n.Report("facilitator", kFacilitator);
    INFO(r.out);
    const auto kinds = KindsOf(r.out);
    CHECK(kinds == std::set<std::string>{"case_reopened", "not_started", "ended_twice",
                                         "not_active", "unknown_session"});
    for (const auto& o : Objects(r.out)) CHECK(StringField(o, "case") == "C-1");
    // C-5's not_active (provider-b's) and C-2, C-3, C-9 are not its agency's.
    CHECK(!Contains(r.out, "C-5"));
    CHECK(!Contains(r.out, "C-9"));
    const auto hidden =
        n.node.Cli({"report", "quality", "--case", "C-5"}, "facilitator", kFacilitator);
    CHECK(IsOneLineFailure(hidden));
  }
  SECTION("police: headers and breaches, no intervention, attendance or session anomalies") {
    const auto r = n.Report("police", kPolice);
    INFO(r.out);
    const auto kinds = KindsOf(r.out);
    CHECK(kinds == std::set<std::string>{"case_reopened", "case_subject_conflict", "after_close",
                                         "future_dated", "unknown_case"});
    CHECK(!Contains(r.out, "attendance"));
    CHECK(!Contains(r.out, "I-1"));
    const auto table = n.Report("police", kPolice, {});
    CHECK(Contains(table.out, "Not shown to your role"));
  }
  SECTION("an operator may not read it") {
    const auto r = n.node.Cli({"report", "quality"}, "operator");
    CHECK(r.exit == 1);
    CHECK(
        Contains(r.err, "report quality is for the probation, facilitator, police, analyst roles"));
  }
}

TEST_CASE("report quality reads the node section's max_future_seconds",
          "[daemon][quality][config]") {
  // 2030-01-01 is some 4.6 years after 2025-06-01: within 5 years, not future dated.
  QualityNode n("max_future_seconds = 157680000\n");
  County county;
  n.Import(county.lines, "county.jsonl");
  const auto kinds = KindsOf(n.Report("probation", kProbation).out);
  CHECK(kinds.count("future_dated") == 0);
  CHECK(kinds.size() == 10);
}

}  // namespace holdfast::test

namespace holdfast::test {

TEST_CASE("report quality sends a long report in frames, every anomaly once, in order",
          "[daemon][quality][paging]") {
  // 5,000 attendance records of a case never opened here: 5,000 unknown_case rows, more
  // than two frames of 2,000.
  QualityNode n;
  std::vector<std::string> lines;
  for (uint64_t i = 0; i < 5000; ++i) {
    lines.push_back(
        AttendanceJson(TestUuid(0xf4a3, i), "C-P", "S-" + std::to_string(i),
                       FormatRfc3339(1735689600000000000LL +
                                     static_cast<int64_t>((4999 - i) * 60) * 1000000000LL)));
  }
  n.Import(lines, "many.jsonl");
  const auto objects = Objects(n.Report("probation", kProbation).out);
  REQUIRE(objects.size() == 5000);
  std::set<std::string> events;
  std::vector<std::string> times;
  for (const auto& o : objects) {
    CHECK(StringField(o, "kind") == "unknown_case");
    events.insert(StringField(o, "event"));
    times.push_back(StringField(o, "occurred_at"));
  }
  CHECK(events.size() == 5000);
  CHECK(std::is_sorted(times.begin(), times.end()));
  CHECK(Lines(n.Report("analyst", kAnalyst, {}).out).back() == "5000 anomalies");
}

}  // namespace holdfast::test
