// `holdfast alerts watch` over the alert feed (SPEC "Alerts reach people"): every kind of
// change, each once, resumed from a cursor, and across a daemon restart with no gap and no
// duplicate.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <set>

#include "tests/daemon/harness.h"

using namespace holdfast::test;
using std::chrono::milliseconds;

namespace {

struct Change {
  uint64_t cursor;
  std::string change, alert;
};

// The JSON lines `alerts watch --format json` printed, as (cursor, change, alert id).
std::vector<Change> Changes(const std::string& out) {
  std::vector<Change> changes;
  for (const auto& line : Lines(out)) {
    const auto at = line.find("\"cursor\":");
    REQUIRE(at != std::string::npos);
    changes.push_back({std::stoull(line.substr(at + 9)), StringField(line, "change"),
                       StringField(line.substr(line.find("\"alert\":")), "id")});
  }
  return changes;
}

std::string Kinds(const std::vector<Change>& changes) {
  std::string kinds;
  for (const auto& c : changes) kinds += (kinds.empty() ? "" : " ") + c.change;
  return kinds;
}

void OpenCase(const Node& node) {
  Ok(node,
     {"case", "open", "--case", "C-1", "--subject", "P-1", "--order", "licence", "--risk", "high",
      "--lead-agency", "probation-ce", "--at", "2025-01-01T09:00:00Z"},
     "probation");
}

void Breach(const Node& node, int day) {
  Ok(node,
     {"breach", "report", "--case", "C-1", "--kind", "recall", "--at",
      "2025-02-" + std::to_string(10 + day) + "T12:00:00Z"},
     "probation");
}

}  // namespace

TEST_CASE("alerts watch prints every change of an alert once, and resumes across a restart",
          "[daemon][alerts][feed]") {
  StartedNode n;
  OpenCase(n.node);
  Breach(n.node, 1);  // raises a breach alert before anyone watches

  RunOptions options;
  options.stdout_path = n.dir / "watch.out";
  options.stderr_path = n.dir / "watch.err";
  auto watch = Child::Start({HoldfastPath(), "alerts", "watch", "--since", "0", "--format", "json"},
                            n.node.ClientEnv("police", "pc-1"), options);
  const auto patience = Scaled(milliseconds(20000));
  auto seen = [&](size_t count) {
    return WaitUntil(patience,
                     [&] { return Lines(ReadFile(n.dir / "watch.out")).size() >= count; });
  };
  REQUIRE(seen(1));  // the alert raised before the watch began: --since 0 gives it
  const std::string alert = Changes(ReadFile(n.dir / "watch.out"))[0].alert;
  REQUIRE(alert.size() == 36);
  Ok(n.node, {"alerts", "ack", "--alert", alert, "--note", "on it"}, "police", "pc-1");
  Ok(n.node, {"alerts", "resolve", "--alert", alert, "--action", "visited"}, "police", "pc-1");
  Ok(n.node, {"alerts", "assign", "--alert", alert.substr(0, 8), "--to", "pc-2"}, "police", "pc-1");
  REQUIRE(seen(4));

  // The daemon stops and starts again: the watch reconnects and resumes after the last change
  // it printed.
  REQUIRE(n.node.Stop() == 0);
  n.node.Start();
  Breach(n.node, 2);
  REQUIRE(seen(5));
  INFO("watch output:\n"
       << ReadFile(n.dir / "watch.out") << "stderr:\n"
       << ReadFile(n.dir / "watch.err"));
  const auto changes = Changes(ReadFile(n.dir / "watch.out"));
  CHECK(Kinds(changes) == "raised acknowledged resolved assigned raised");
  for (size_t i = 1; i < changes.size(); ++i) CHECK(changes[i].cursor > changes[i - 1].cursor);
  CHECK(changes[1].alert == alert);
  CHECK(changes[3].alert == alert);
  CHECK(Contains(Lines(ReadFile(n.dir / "watch.out"))[3],
                 "\"assigned\":{\"to\":\"pc-2\",\"by\":\"pc-1\""));
  CHECK(changes[4].alert != alert);
  CHECK(Contains(ReadFile(n.dir / "watch.err"), "reconnecting"));
  // Police do not see the acknowledgement's note or the resolution's action (docs/roles.md).
  CHECK(!Contains(ReadFile(n.dir / "watch.out"), "on it"));
  watch->Signal(SIGTERM);
  watch->Wait();

  // --since a cursor gives exactly the changes after it.
  RunOptions from_options;
  from_options.stdout_path = n.dir / "from.out";
  auto from = Child::Start({HoldfastPath(), "alerts", "watch", "--since",
                            std::to_string(changes[1].cursor), "--format", "json"},
                           n.node.ClientEnv("probation"), from_options);
  REQUIRE(WaitUntil(patience, [&] { return Lines(ReadFile(n.dir / "from.out")).size() >= 3; }));
  const auto after = Changes(ReadFile(n.dir / "from.out"));
  CHECK(Kinds(after) == "resolved assigned raised");
  // Probation sees the free text.
  CHECK(Contains(ReadFile(n.dir / "from.out"), "\"action\":\"visited\""));
  from->Signal(SIGTERM);
  from->Wait();
}

TEST_CASE("alerts watch refuses a cursor that is not a number, in one line",
          "[daemon][alerts][feed]") {
  StartedNode n;
  for (const std::string bad : {"abc", "-1", "", "12x"}) {
    auto r = n.node.Cli({"alerts", "watch", "--since", bad}, "police");
    INFO(r.Describe());
    CHECK(r.exit == 2);
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, "--since"));
  }
}
