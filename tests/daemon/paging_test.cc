// Listings larger than one frame of the local API (32 MiB) through real daemons: export,
// case list, case show and alerts list stream every item, and --limit/--after pages give
// each item exactly once (docs/paging.md).
#include <capnp/serialize.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <set>

#include "eventstore/event_json.h"
#include "eventstore/event_store.h"
#include "eventstore/keys.h"
#include "tests/daemon/harness.h"

namespace holdfast::test {
namespace {

RunOptions Patient() {
  RunOptions options;
  options.timeout = Scaled(milliseconds(120000));
  return options;
}

// Ok, with the patience a listing of tens of megabytes needs.
RunResult PatientOk(const Node& node, const std::vector<std::string>& args,
                    const std::string& role) {
  auto r = node.Cli(args, role, "tester", Patient());
  INFO("holdfast " << args[0] << " " << (args.size() > 1 ? args[1] : "") << ": "
                   << r.Describe().substr(0, 2000));
  REQUIRE(r.exit == 0);
  return r;
}

std::string Author(const std::string& user, const std::string& role, const std::string& agency) {
  return "\"author\":{\"user\":\"" + user + "\",\"role\":\"" + role + "\",\"agency\":\"" + agency +
         "\"}";
}

std::string SessionHeldJson(const std::string& id, const std::string& session,
                            const std::string& module, const std::string& notes) {
  return "{\"id\":\"" + id +
         "\",\"type\":\"session.held\",\"occurred_at\":\"2025-03-04T18:00:00Z\"," +
         Author("f-ali", "facilitator", "provider-a") + ",\"data\":{\"session\":\"" + session +
         "\",\"group\":\"grpA\",\"module\":\"" + module + "\",\"facilitator\":\"f-ali\"," +
         "\"notes\":\"" + notes + "\"}}";
}

std::string CaseOpenedJson(const std::string& id, const std::string& case_id,
                           const std::string& subject, const std::string& agency) {
  return "{\"id\":\"" + id +
         "\",\"type\":\"case.opened\",\"occurred_at\":\"2025-01-06T09:00:00Z\"," +
         Author("po-1", "probation", "probation-ce") + ",\"data\":{\"case\":\"" + case_id +
         "\",\"subject\":\"" + subject +
         "\",\"order\":\"licence\",\"risk\":\"medium\",\"lead_agency\":\"" + agency + "\"}}";
}

std::string BreachJson(const std::string& id, const std::string& case_id,
                       const std::string& occurred_at) {
  return "{\"id\":\"" + id + "\",\"type\":\"breach.reported\",\"occurred_at\":\"" + occurred_at +
         "\"," + Author("po-1", "probation", "probation-ce") + ",\"data\":{\"case\":\"" + case_id +
         "\",\"kind\":\"recall\"}}";
}

// `n` characters of filler ending in the number, so every value differs.
std::string Filler(char c, size_t n, size_t number) {
  std::string tail = "-" + std::to_string(number);
  return std::string(n - tail.size(), c) + tail;
}

// The cursor from the CLI's "more after this page: --after CURSOR" line on stderr; "" if none.
std::string NextCursor(const RunResult& r) {
  const std::string key = "--after ";
  for (const auto& line : r.ErrLines()) {
    size_t at = line.find(key);
    if (Contains(line, "more after this page") && at != std::string::npos) {
      return line.substr(at + key.size());
    }
  }
  return "";
}

// Runs a listing page by page (--limit `limit`, then --after each printed cursor) and returns
// the CSV data rows of every page, in order.
std::vector<std::string> AllPages(const Node& node, std::vector<std::string> args,
                                  const std::string& role, size_t limit, size_t* pages) {
  std::vector<std::string> rows;
  std::string cursor;
  *pages = 0;
  for (;;) {
    auto page_args = args;
    page_args.insert(page_args.end(), {"--format", "csv", "--limit", std::to_string(limit)});
    if (!cursor.empty()) page_args.insert(page_args.end(), {"--after", cursor});
    auto r = PatientOk(node, page_args, role);
    auto lines = Lines(r.out);
    REQUIRE(!lines.empty());
    CHECK(lines.size() - 1 <= limit);
    rows.insert(rows.end(), lines.begin() + 1, lines.end());
    ++*pages;
    cursor = NextCursor(r);
    if (cursor.empty()) break;
    REQUIRE(*pages < 1000);
  }
  return rows;
}

}  // namespace

TEST_CASE("export prints every event when the events fill far more than one frame",
          "[paging][export]") {
  // The store: 2,100 session.held events, each with 8 KiB of module and 8 KiB of
  // notes (the most free text an event may carry), 35 MB of events in all.
  StartedNode n;
  const std::string file = n.dir / "sessions.jsonl";
  std::vector<std::string> ids;
  {
    std::ofstream out(file, std::ios::binary);
    for (size_t i = 0; i < 2100; ++i) {
      ids.push_back(TestUuid(0x5e55, i));
      out << SessionHeldJson(ids.back(), "S-" + std::to_string(i), Filler('m', 8192, i),
                             Filler('n', 8192, i))
          << "\n";
    }
  }
  auto imported = PatientOk(n.node, {"import", "--file", file}, "operator");
  CHECK(Contains(imported.out, "2100 events, 2100 new"));

  auto exported = PatientOk(n.node, {"export"}, "operator");
  const auto lines = Lines(exported.out);
  REQUIRE(lines.size() == 2100);
  CHECK(EventIds(lines) == ids);
  size_t valid = 0;
  for (const auto& line : lines) {
    auto event = EventFromJson(line);  // the import parser: valid JSON and a valid event
    if (event.ok()) ++valid;
  }
  CHECK(valid == 2100);

  SECTION("as Cap'n Proto messages too") {
    auto capnp_export = PatientOk(n.node, {"export", "--format", "capnp"}, "operator");
    CHECK(capnp_export.out.size() > (32u << 20));
    REQUIRE(capnp_export.out.size() % 8 == 0);
    auto words = kj::heapArray<capnp::word>(capnp_export.out.size() / 8);
    std::memcpy(words.begin(), capnp_export.out.data(), capnp_export.out.size());
    kj::ArrayPtr<const capnp::word> rest = words.asPtr();
    size_t messages = 0;
    while (rest.size() > 0) {
      capnp::FlatArrayMessageReader reader(rest);
      ++messages;
      rest = kj::arrayPtr(reader.getEnd(), rest.end());
    }
    CHECK(messages == 2100);
  }
  SECTION("--since and --limit page through the log") {
    auto first = PatientOk(n.node, {"export", "--limit", "1000"}, "operator");
    CHECK(Lines(first.out).size() == 1000);
    CHECK(NextCursor(first) == "");  // export pages with --since, not --after
    CHECK(Contains(first.err, "--since 1000"));
    auto rest = PatientOk(n.node, {"export", "--since", "1000"}, "operator");
    CHECK(Lines(rest.out).size() == 1100);
  }
}

TEST_CASE("case list of more than 32 MiB lists every case, and its pages give each case once",
          "[paging][case]") {
  // Case ids, subjects and lead agencies of 128 characters: 72,000 cases make a listing of
  // about 35 MB, more than one frame of the local API holds. (A provider node: it derives no
  // alerts, so the import takes half the time.)
  struct {
    TempDir dir;
    Node node{dir / "n1", "provider-1", "provider-a", "provider"};
  } n;
  n.node.Start();
  constexpr size_t kCases = 72000;
  const std::string file = n.dir / "cases.jsonl";
  {
    std::ofstream out(file, std::ios::binary);
    for (size_t i = 0; i < kCases; ++i) {
      out << CaseOpenedJson(TestUuid(0xca5e, i), Filler('C', 128, i), Filler('P', 128, i),
                            Filler('a', 128, i % 3))
          << "\n";
    }
  }
  PatientOk(n.node, {"import", "--file", file}, "operator");

  auto csv = PatientOk(n.node, {"case", "list", "--format", "csv"}, "probation");
  auto rows = Lines(csv.out);
  REQUIRE(rows.size() == kCases + 1);
  CHECK(rows[0] == "case,subject,order,risk,lead_agency,opened,status,events");
  std::set<std::string> cases;
  for (size_t i = 1; i < rows.size(); ++i) cases.insert(rows[i].substr(0, rows[i].find(',')));
  CHECK(cases.size() == kCases);
  CHECK(csv.err.empty());

  auto json = PatientOk(n.node, {"case", "list", "--format", "json"}, "probation");
  CHECK(json.out.size() > (32u << 20));
  CHECK(json.out.front() == '[');
  CHECK(json.out.substr(json.out.size() - 3) == "}]\n");
  size_t objects = 0;
  for (size_t at = json.out.find("{\"case\":"); at != std::string::npos;
       at = json.out.find("{\"case\":", at + 1)) {
    ++objects;
  }
  CHECK(objects == kCases);

  size_t pages = 0;
  auto paged = AllPages(n.node, {"case", "list"}, "probation", 25000, &pages);
  CHECK(pages == 3);
  CHECK(paged == std::vector<std::string>(rows.begin() + 1, rows.end()));

  auto filtered = AllPages(n.node, {"case", "list", "--agency", Filler('a', 128, 1)}, "probation",
                           7000, &pages);
  CHECK(filtered.size() == kCases / 3);
  CHECK(pages == 4);
}

TEST_CASE("case show of a case whose events fill more than one frame shows all of them",
          "[paging][case]") {
  // 4,100 attendance records of one case, each with an 8 KiB reason: 36 MB of events.
  StartedNode n;
  const std::string file = n.dir / "long-case.jsonl";
  {
    std::ofstream out(file, std::ios::binary);
    out << CaseOpenedJson(TestUuid(0x10c, 0), "C-LONG", "P-1", "probation-ce") << "\n";
    for (size_t i = 1; i <= 4100; ++i) {
      std::string line = AttendanceJson(TestUuid(0x10c, i), "C-LONG", "S-" + std::to_string(i));
      line.insert(line.rfind("}}"), ",\"reason\":\"" + Filler('r', 8192, i) + "\"");
      out << line << "\n";
    }
  }
  PatientOk(n.node, {"import", "--file", file}, "operator");
  auto csv =
      PatientOk(n.node, {"case", "show", "--case", "C-LONG", "--format", "csv"}, "probation");
  CHECK(csv.out.size() > (32u << 20));
  CHECK(Contains(csv.out, "\ntimeline,4101,type,attendance.recorded\n"));
  CHECK(!Contains(csv.out, "\ntimeline,4102,"));
  auto json =
      PatientOk(n.node, {"case", "show", "--case", "C-LONG", "--format", "json"}, "probation");
  CHECK(json.out.substr(json.out.size() - 15) == "\"withheld\":[]}\n");
  size_t attendance = 0;
  // (Each timeline entry names its type, then holds the event's JSON, which does too.)
  for (size_t at = json.out.find("\"type\":\"attendance.recorded\",\"author\"");
       at != std::string::npos;
       at = json.out.find("\"type\":\"attendance.recorded\",\"author\"", at + 1)) {
    ++attendance;
  }
  CHECK(attendance == 4100);
  auto table = PatientOk(n.node, {"case", "show", "--case", "C-LONG"}, "probation");
  CHECK(Contains(table.out, "I-C-LONG      4100      4100"));
}

TEST_CASE("alerts list pages with --limit and --after give every alert once, in list order",
          "[paging][alerts]") {
  // A probation node raises a breach alert for each breach.reported: 250 of them over a
  // few instants, so many alerts share a raise time and the cursor must break ties.
  StartedNode n;
  const std::string file = n.dir / "breaches.jsonl";
  {
    std::ofstream out(file, std::ios::binary);
    out << CaseOpenedJson(TestUuid(0xb0, 0), "C-1", "P-1", "probation-ce") << "\n";
    for (size_t i = 1; i <= 250; ++i) {
      out << BreachJson(TestUuid(0xb1, i), "C-1",
                        "2025-02-0" + std::to_string(1 + i % 5) + "T10:00:00Z")
          << "\n";
    }
  }
  PatientOk(n.node, {"import", "--file", file}, "operator");
  auto whole = PatientOk(n.node, {"alerts", "list", "--format", "csv"}, "probation");
  auto rows = Lines(whole.out);
  REQUIRE(rows.size() == 251);
  rows.erase(rows.begin());

  size_t pages = 0;
  auto paged = AllPages(n.node, {"alerts", "list"}, "probation", 40, &pages);
  CHECK(pages == 7);
  CHECK(paged == rows);
  auto one_case = AllPages(n.node, {"alerts", "list", "--case", "C-1"}, "probation", 100, &pages);
  CHECK(pages == 3);
  CHECK(one_case == rows);

  SECTION("the table says how many alerts the page shows and where the next one starts") {
    auto table = PatientOk(n.node, {"alerts", "list", "--limit", "10"}, "probation");
    CHECK(Contains(table.out, "\n10 alerts\n"));
    CHECK(NextCursor(table) != "");
  }
  SECTION("a cursor this listing did not print is refused, naming --after") {
    auto r = n.node.Cli({"alerts", "list", "--after", "yesterday"}, "probation");
    INFO(r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, "--after"));
  }
}

TEST_CASE("audit list pages newest first with --limit and --after", "[paging][audit]") {
  StartedNode n;
  for (int i = 0; i < 12; ++i) PatientOk(n.node, {"case", "list"}, "probation");
  auto whole = PatientOk(n.node, {"audit", "list", "--limit", "0", "--format", "csv"}, "operator");
  auto rows = Lines(whole.out);
  REQUIRE(rows.size() >= 13);
  rows.erase(rows.begin());
  size_t pages = 0;
  auto paged = AllPages(n.node, {"audit", "list"}, "operator", 5, &pages);
  // The paging requests are audited too, after the listing they page through began: each
  // page shows entries older than its cursor, so the pages are the whole listing's rows.
  REQUIRE(paged.size() >= rows.size());
  CHECK(std::vector<std::string>(paged.end() - static_cast<long>(rows.size()), paged.end()) ==
        rows);
  std::set<std::string> distinct(paged.begin(), paged.end());
  CHECK(distinct.size() == paged.size());
}

TEST_CASE("audit list pages bound and escape an entry written before fields were bounded",
          "[paging][audit]") {
  // A store written by an older holdfastd may hold audit fields of any size and bytes; the
  // paged listing reads them through AuditField as the whole-list read did.
  StartedNode n;
  REQUIRE(n.node.Stop() == 0);
  const std::string huge_user(5u << 20, 'u');
  {
    auto store = EventStore::Open(n.node.data_dir() + "/store", StoreOptions{"", true, false});
    REQUIRE(store.ok());
    auto audit = (*store)->Table(keys::kAuditFamily);
    REQUIRE(audit.ok());
    std::string key = keys::Fixed64BE(1);  // older than every entry the daemon writes
    keys::PutFixed64BE(&key, 0);
    const std::string value =
        huge_user + "\toperator\tread-stream\tcase/\x1b]0;pwned\x07\xc3\x28\tok";
    SideBatch batch;
    batch.Put(*audit, key, value);
    REQUIRE((*store)->Write(batch).ok());
  }
  n.node.Start();
  size_t pages = 0;
  auto rows = AllPages(n.node, {"audit", "list"}, "operator", 2, &pages);
  CHECK(pages > 1);
  size_t old_entries = 0;
  for (const auto& row : rows) {
    CHECK(row.size() < 1024);
    CHECK(row.find('\x1b') == std::string::npos);
    if (!Contains(row, std::to_string(huge_user.size()) + " bytes")) continue;
    ++old_entries;
    CHECK(Contains(row, "uuuuuuuu"));
    CHECK(Contains(row, "case/\\x1b]0;pwned\\x07\\xc3("));
  }
  CHECK(old_entries == 1);
}

}  // namespace holdfast::test
