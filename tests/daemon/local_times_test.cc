// Local times end to end (docs/local-times.md): a time typed in the node's [node] timezone
// is stored as the UTC instant it names, JSON and CSV show UTC, tables show the local time
// with its abbreviation; a CLI with only the socket learns the zone from holdfastd.
#include <catch2/catch.hpp>

#include "tests/daemon/harness.h"

namespace holdfast::test {
namespace {

// The config's `timezone = Europe/London` line (node init writes it) set to `zone`.
void SetTimezone(const Node& node, const std::string& zone) {
  std::string config = ReadFile(node.config());
  const std::string line = "timezone = Europe/London\n";
  const size_t at = config.find(line);
  REQUIRE(at != std::string::npos);
  WriteFile(node.config(), config.replace(at, line.size(), "timezone = " + zone + "\n"));
}

// `case open` of `case_id` at `at`, as typed.
std::vector<std::string> OpenCase(const std::string& case_id, const std::string& at) {
  return {"case",    "open",   "--case", case_id,         "--subject",    "P-" + case_id, "--order",
          "licence", "--risk", "medium", "--lead-agency", "probation-ce", "--at",         at};
}

// The line of `case list`'s table that shows `case_id`.
std::string TableLine(const std::string& table, const std::string& case_id) {
  for (const auto& line : Lines(table)) {
    if (line.rfind(case_id + " ", 0) == 0) return line;
  }
  return "";
}

}  // namespace

TEST_CASE(
    "times typed in London around the 2026 clock changes are stored as UTC, and tables "
    "show them in GMT or BST",
    "[local-times]") {
  StartedNode n;
  Ok(n.node, OpenCase("C-1", "2026-03-29 00:30"), "probation");
  Ok(n.node, OpenCase("C-2", "2026-03-29 02:30"), "probation");
  Ok(n.node, OpenCase("C-3", "2026-10-25 01:30 BST"), "probation");
  Ok(n.node, OpenCase("C-4", "2026-10-25 01:30 GMT"), "probation");
  Ok(n.node, OpenCase("C-5", "2026-12-06"), "probation");

  // 01:30 on 29 March never happened; 01:30 on 25 October happened twice: both refused,
  // one line each, as command-line errors, and nothing is recorded.
  auto skipped = n.node.Cli(OpenCase("C-6", "2026-03-29 01:30"), "probation");
  CHECK(skipped.exit == 2);
  CHECK(IsOneLineFailure(skipped));
  CHECK(Contains(skipped.err, "--at: \"2026-03-29 01:30\" is not a time in Europe/London"));
  auto twice = n.node.Cli(OpenCase("C-7", "2026-10-25 01:30"), "probation");
  CHECK(twice.exit == 2);
  CHECK(IsOneLineFailure(twice));
  CHECK(Contains(twice.err, "say which: \"2026-10-25 01:30 BST\" (the first)"));

  auto json = Ok(n.node, {"case", "list", "--format", "json"}, "probation").out;
  CHECK(Contains(json,
                 "\"case\":\"C-1\",\"subject\":\"P-C-1\",\"order\":\"licence\",\"risk\":"
                 "\"medium\",\"lead_agency\":\"probation-ce\",\"opened\":"
                 "\"2026-03-29T00:30:00Z\""));
  CHECK(Contains(json, "\"opened\":\"2026-03-29T01:30:00Z\""));
  CHECK(Contains(json, "\"opened\":\"2026-10-25T00:30:00Z\""));
  CHECK(Contains(json, "\"opened\":\"2026-10-25T01:30:00Z\""));
  CHECK(Contains(json, "\"opened\":\"2026-12-06T00:00:00Z\""));
  CHECK(!Contains(json, "C-6"));
  CHECK(!Contains(json, "C-7"));
  auto csv = Ok(n.node, {"case", "list", "--format", "csv"}, "probation").out;
  CHECK(Contains(csv, "C-3,P-C-3,licence,medium,probation-ce,2026-10-25T00:30:00Z,open"));

  auto table = Ok(n.node, {"case", "list"}, "probation").out;
  CHECK(Contains(TableLine(table, "C-1"), "2026-03-29 00:30:00 GMT"));
  CHECK(Contains(TableLine(table, "C-2"), "2026-03-29 02:30:00 BST"));
  CHECK(Contains(TableLine(table, "C-3"), "2026-10-25 01:30:00 BST"));
  CHECK(Contains(TableLine(table, "C-4"), "2026-10-25 01:30:00 GMT"));
  CHECK(Contains(TableLine(table, "C-5"), "2026-12-06 00:00:00 GMT"));

  // Every other time option reads local times too: the audit log from 25 October 01:30 GMT.
  auto since = n.node.Cli({"audit", "list", "--since", "2026-03-29 01:30"}, "operator");
  CHECK(since.exit == 2);
  CHECK(Contains(since.err, "--since: \"2026-03-29 01:30\" is not a time in Europe/London"));
  Ok(n.node, {"audit", "list", "--since", "2026-10-25 01:30 GMT", "--until", "2026-12-06 18:00"},
     "operator");
  auto as_of = n.node.Cli({"alerts", "list", "--as-of", "2026-10-25 01:15"}, "probation");
  CHECK(as_of.exit == 2);
  CHECK(Contains(as_of.err, "--as-of: \"2026-10-25 01:15\" happened twice"));
}

TEST_CASE(
    "a CLI with only the socket asks holdfastd for its zone, and one with the config reads it",
    "[local-times]") {
  TempDir dir;
  Node node(dir / "n1");
  SetTimezone(node, "America/New_York");
  node.Start();
  Ok(node, OpenCase("C-1", "2026-07-04 12:00"), "probation");
  // The config's zone: 12:00 EDT is 16:00 UTC.
  CHECK(Contains(Ok(node, {"case", "list", "--format", "csv"}, "probation").out,
                 "2026-07-04T16:00:00Z"));
  CHECK(Contains(Ok(node, {"case", "list"}, "probation").out, "2026-07-04 12:00:00 EDT"));

  // The same user with the socket and no config: the zone comes from holdfastd's ping.
  Env by_socket = node.ClientEnv("probation");
  by_socket.erase("HOLDFAST_CONFIG");
  by_socket["HOLDFAST_SOCKET"] = node.socket();
  auto opened = Holdfast(OpenCase("C-2", "2026-11-01 01:30 EST"), by_socket);
  INFO(opened.Describe());
  REQUIRE(opened.exit == 0);
  auto table = Holdfast({"case", "list"}, by_socket);
  INFO(table.Describe());
  REQUIRE(table.exit == 0);
  CHECK(Contains(TableLine(table.out, "C-1"), "2026-07-04 12:00:00 EDT"));
  CHECK(Contains(TableLine(table.out, "C-2"), "2026-11-01 01:30:00 EST"));
  auto json = Holdfast({"case", "list", "--format", "json"}, by_socket);
  CHECK(Contains(json.out, "\"opened\":\"2026-11-01T06:30:00Z\""));
  auto refused = Holdfast(OpenCase("C-3", "2026-03-08 02:30"), by_socket);
  CHECK(refused.exit == 2);
  CHECK(Contains(refused.err, "is not a time in America/New_York"));
}

TEST_CASE("an unknown node timezone stops holdfastd and the CLI with one line naming the key",
          "[local-times]") {
  TempDir dir;
  Node node(dir / "n1");
  SetTimezone(node, "Europe/Lundon");
  auto daemon = Run({HoldfastdPath(), "--config", node.config()});
  CHECK(daemon.exit != 0);
  CHECK(Contains(daemon.err + daemon.out,
                 "node.timezone: \"Europe/Lundon\" is not a time zone this machine knows "
                 "(/usr/share/zoneinfo); give an IANA zone name such as Europe/London"));
  auto cli = Holdfast({"case", "list", "--config", node.config()});
  CHECK(cli.exit == 2);
  CHECK(IsOneLineFailure(cli));
  CHECK(Contains(cli.err, "node.timezone: \"Europe/Lundon\""));
}

}  // namespace holdfast::test
