// Alerts end to end through real daemons: a watcher sees an alert promptly, and a daemon
// killed mid-import, restarted and re-fed, or rebuilt from its log, ends with the same
// alerts as one that was never interrupted.
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <set>

#include "tests/daemon/harness.h"

using namespace holdfast::test;
using Clock = std::chrono::steady_clock;

namespace {

// The alert lines of `alerts list --status all --format csv`, minus withdrawn ones (which
// record a node's arrival history by design) — sorted, so two nodes can be compared.
std::vector<std::string> StandingAlerts(const Node& node) {
  auto r = node.Cli({"alerts", "list", "--status", "all", "--format", "csv"}, "probation");
  REQUIRE(r.exit == 0);
  std::vector<std::string> out;
  for (const auto& line : Lines(r.out)) {
    if (line.rfind("alert,", 0) == 0 || Contains(line, ",withdrawn,")) continue;
    // Keep alert id, rule, case, subject, intervention, severity, raised_at, status.
    std::vector<std::string> cols;
    std::string cell;
    for (char c : line) {
      if (c == ',') {
        cols.push_back(cell);
        cell.clear();
      } else {
        cell += c;
      }
    }
    cols.push_back(cell);
    if (cols.size() < 8) continue;
    out.push_back(cols[0] + " " + cols[1] + " " + cols[2] + " " + cols[3] + " " + cols[4] + " " +
                  cols[5] + " " + cols[6] + " " + cols[7]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string County(const TempDir& dir, int cases) {
  const std::string path = dir / "county.jsonl";
  RunOptions options;
  options.stdout_path = path;
  auto r =
      Run({HOLDFAST_SAMPLE_PATH, "--cases", std::to_string(cases), "--seed", "5"}, {}, options);
  REQUIRE(r.exit == 0);
  return path;
}

}  // namespace

TEST_CASE("alerts watch prints an alert soon after the append that triggers it",
          "[daemon][alerts]") {
  StartedNode n;
  auto cli = [&](std::vector<std::string> args) {
    auto r = n.node.Cli(args, "probation");
    REQUIRE(r.exit == 0);
  };
  cli({"case", "open", "--case", "C-1", "--subject", "P-1", "--order", "licence", "--risk",
       "medium", "--lead-agency", "probation-ce", "--at", "2025-01-01T09:00:00Z"});
  cli({"intervention", "refer", "--case", "C-1", "--intervention", "I-1", "--programme",
       "building_choices", "--provider", "provider-a", "--at", "2025-01-02T09:00:00Z"});
  cli({"intervention", "start", "--case", "C-1", "--intervention", "I-1", "--at",
       "2025-01-06T18:00:00Z"});
  cli({"attendance", "record", "--case", "C-1", "--intervention", "I-1", "--session", "S-1",
       "--outcome", "attended", "--at", "2025-01-06T18:00:00Z", "--unlisted-session"});
  cli({"attendance", "record", "--case", "C-1", "--intervention", "I-1", "--session", "S-2",
       "--outcome", "absent_unacceptable", "--at", "2025-01-13T18:00:00Z", "--unlisted-session"});

  RunOptions watch_options;
  watch_options.stdout_path = n.dir / "watch.out";
  auto watch = Child::Start({HoldfastPath(), "alerts", "watch", "--format", "json"},
                            n.node.ClientEnv("police"), watch_options);
  // The watcher prints only alerts raised once it is subscribed, and says nothing when it
  // is: report breaches (each raises an alert) until it prints one.
  const bool subscribed = WaitUntil(Scaled(std::chrono::milliseconds(10000)), [&] {
    cli({"breach", "report", "--case", "C-1", "--kind", "recall"});
    return WaitUntil(
        std::chrono::milliseconds(200),
        [&] { return Contains(ReadFile(n.dir / "watch.out"), "\"breach\""); },
        std::chrono::milliseconds(5));
  });
  REQUIRE(subscribed);
  const size_t before = ReadFile(n.dir / "watch.out").size();

  auto r = n.node.Cli(
      {"attendance", "record", "--case", "C-1", "--intervention", "I-1", "--session", "S-3",
       "--outcome", "absent_unacceptable", "--at", "2025-01-13T18:05:00Z", "--unlisted-session"},
      "probation");
  const auto acknowledged = Clock::now();
  REQUIRE(r.exit == 0);
  std::string seen;
  WaitUntil(
      Scaled(std::chrono::milliseconds(2000)),
      [&] {
        seen = ReadFile(n.dir / "watch.out").substr(before);
        return Contains(seen, "\"non_engagement\"");
      },
      std::chrono::milliseconds(2));
  const auto latency =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - acknowledged);
  INFO("watch output after the append: " << seen);
  REQUIRE(Contains(seen, "\"non_engagement\""));
  REQUIRE(Contains(seen, "\"case\":\"C-1\""));
  WARN("alerts watch latency after the append was acknowledged: " << latency.count() << " ms");
  CHECK(latency <= Scaled(std::chrono::milliseconds(500)));
  watch->Signal(SIGTERM);
  watch->Wait();
}

TEST_CASE("a daemon killed mid-import, restarted and re-fed ends with the same alerts",
          "[daemon][alerts][crash]") {
  TempDir dir;
  const std::string county = County(dir, Sanitized() ? 60 : 200);

  Node calm(dir / "calm");
  calm.Start();
  REQUIRE(calm.Cli({"import", "--file", county}, "operator").exit == 0);
  const auto expected = StandingAlerts(calm);
  REQUIRE(expected.size() > 20);

  Node crashed(dir / "crashed");
  crashed.Start();
  RunOptions quiet;
  quiet.stdout_path = dir / "import.out";
  quiet.stderr_path = dir / "import.err";
  auto import = Child::Start({HoldfastPath(), "import", "--file", county},
                             crashed.ClientEnv("operator"), quiet);
  // Killed once the import has had a batch stored (of about three).
  REQUIRE(WaitUntil(
      Scaled(std::chrono::milliseconds(20000)),
      [&] { return crashed.StoredEvents() > 0 || !import->Running(); },
      std::chrono::milliseconds(5)));
  if (!import->Running()) WARN("the import was done before the kill: nothing was cut short");
  crashed.Kill();
  const auto interrupted = import->Wait();
  INFO("interrupted import: " << interrupted.Describe() << ReadFile(dir / "import.err"));
  crashed.Start();
  REQUIRE(crashed.Cli({"store", "verify"}, "operator").exit == 0);
  REQUIRE(crashed.Cli({"import", "--file", county}, "operator").exit == 0);
  CHECK(StandingAlerts(crashed) == expected);
  CHECK(crashed.Export().size() == calm.Export().size());

  // Recomputing every projection from the log gives the state incremental folding gave.
  auto cases_before = crashed.Cli({"case", "list", "--format", "csv"}, "probation");
  REQUIRE(crashed.Cli({"projections", "rebuild"}, "operator").exit == 0);
  CHECK(StandingAlerts(crashed) == expected);
  auto cases_after = crashed.Cli({"case", "list", "--format", "csv"}, "probation");
  CHECK(cases_after.out == cases_before.out);
  auto report_calm = calm.Cli(
      {"report", "indicators", "--from", "2025-01-01", "--to", "2026-07-01", "--format", "json"},
      "probation");
  auto report_crashed = crashed.Cli(
      {"report", "indicators", "--from", "2025-01-01", "--to", "2026-07-01", "--format", "json"},
      "probation");
  CHECK(report_crashed.out == report_calm.out);
}
