// A daemon that does not answer (stopped with SIGSTOP): the CLI gives up after --timeout
// with one line saying so, and an append says its outcome is unknown and how to re-run it
// safely (docs/paging.md, "Timeouts").
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "tests/daemon/harness.h"

namespace holdfast::test {
namespace {

using Clock = std::chrono::steady_clock;

// Stops the daemon for the life of the guard; continues it however the test ends.
class Stopped {
 public:
  explicit Stopped(pid_t pid) : pid_(pid) { REQUIRE(::kill(pid_, SIGSTOP) == 0); }
  ~Stopped() { Continue(); }
  void Continue() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
    pid_ = -1;
  }

 private:
  pid_t pid_;
};

struct Timed {
  RunResult result;
  milliseconds took;
};

Timed TimedCli(const Node& node, const std::vector<std::string>& args, const std::string& role) {
  const auto start = Clock::now();
  RunOptions options;
  options.timeout = Scaled(milliseconds(20000));  // the harness's own limit, far above 1 s
  auto r = node.Cli(args, role, "t-" + role, options);
  return {r, std::chrono::duration_cast<milliseconds>(Clock::now() - start)};
}

size_t Count(const std::vector<std::string>& lines, const std::string& needle) {
  size_t n = 0;
  for (const auto& l : lines) n += Contains(l, needle) ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("a stopped daemon: the CLI gives up after --timeout and says the daemon did not answer",
          "[timeout]") {
  StartedNode n;
  REQUIRE(n.node
              .Cli({"case", "open", "--case", "C-1", "--subject", "P-1", "--order", "licence",
                    "--risk", "medium", "--lead-agency", "probation-ce"},
                   "probation")
              .exit == 0);
  // The users the sections act as, made while the daemon can still answer.
  for (const char* role : {"probation", "operator"})
    n.node.ClientEnv(role, "t-" + std::string(role));
  Stopped stopped(n.node.pid());

  SECTION("a read names the silence and nothing about appends") {
    auto t = TimedCli(n.node, {"case", "list", "--timeout", "1"}, "probation");
    INFO(t.result.Describe());
    CHECK(IsOneLineFailure(t.result));
    CHECK(Contains(t.result.err, "holdfastd did not answer within 1 s (is it stopped?)"));
    CHECK(!Contains(t.result.err, "outcome"));
    CHECK(t.took >= milliseconds(900));
    CHECK(t.took < Scaled(milliseconds(5000)));
  }
  SECTION("a listing that streams pages gives up the same way") {
    auto t = TimedCli(n.node, {"export", "--timeout", "1"}, "operator");
    INFO(t.result.Describe());
    CHECK(IsOneLineFailure(t.result));
    CHECK(Contains(t.result.err, "did not answer within 1 s"));
    CHECK(t.took < Scaled(milliseconds(5000)));
  }
  SECTION("an append without --id names the id it used; re-running with it records it once") {
    auto t = TimedCli(n.node,
                      {"breach", "report", "--case", "C-1", "--kind", "recall", "--timeout", "1"},
                      "probation");
    INFO(t.result.Describe());
    CHECK(IsOneLineFailure(t.result));
    CHECK(Contains(t.result.err, "did not answer within 1 s"));
    CHECK(Contains(t.result.err, "outcome is unknown"));
    // "... re-running with --id ID --at TIME is safe ..."
    const std::string& err = t.result.err;
    const size_t id_at = err.find("--id "), at_at = err.find(" --at "), end = err.find(" is safe");
    REQUIRE(id_at != std::string::npos);
    REQUIRE(at_at == id_at + 5 + 36);
    REQUIRE(end != std::string::npos);
    const std::string id = err.substr(id_at + 5, 36), at = err.substr(at_at + 6, end - at_at - 6);
    CHECK(at.size() == 20);  // 2026-12-06T18:00:00Z
    CHECK(t.took < Scaled(milliseconds(5000)));

    // The request was in the socket when the CLI gave up: the daemon may still record it once
    // it runs again. Re-running with the same id and time is safe either way.
    stopped.Continue();
    auto rerun = n.node.Cli(
        {"breach", "report", "--case", "C-1", "--kind", "recall", "--id", id, "--at", at},
        "probation", "t-probation");
    INFO(rerun.Describe());
    REQUIRE(rerun.exit == 0);
    CHECK(Contains(rerun.out, id));
    CHECK(Count(n.node.Export(), "\"id\":\"" + id + "\"") == 1);
  }
  SECTION("an append with --id names that id") {
    const std::string id = TestUuid(0x71, 1);
    auto t = TimedCli(n.node,
                      {"case", "risk", "--case", "C-1", "--risk", "high", "--id", id, "--at",
                       "2025-02-01T10:00:00Z", "--timeout", "1"},
                      "probation");
    INFO(t.result.Describe());
    CHECK(IsOneLineFailure(t.result));
    CHECK(Contains(t.result.err, "outcome is unknown"));
    CHECK(Contains(t.result.err, "--id " + id + " --at 2025-02-01T10:00:00Z"));
  }
  SECTION("import says re-importing the file is safe") {
    const std::string file = n.dir / "one.jsonl";
    WriteFile(file, AttendanceJson(TestUuid(0x72, 1), "C-1", "S-1") + "\n");
    auto t = TimedCli(n.node, {"import", "--file", file, "--timeout", "1"}, "operator");
    INFO(t.result.Describe());
    CHECK(IsOneLineFailure(t.result));
    CHECK(Contains(t.result.err, "outcome is unknown"));
    CHECK(Contains(t.result.err, "importing the file again is safe"));
  }
  stopped.Continue();
  CHECK(n.node.Cli({"case", "list"}, "probation").exit == 0);
}

TEST_CASE("the --timeout option must be a positive number of seconds, or 0 to wait for ever",
          "[timeout]") {
  auto r = Holdfast({"case", "list", "--timeout", "-1", "--socket", "/nonexistent"});
  INFO(r.Describe());
  CHECK(r.exit == 2);
  CHECK(Contains(r.err, "--timeout"));
}

TEST_CASE("alerts watch keeps watching past --timeout while the daemon is quiet", "[timeout]") {
  StartedNode n;
  auto watch = Child::Start({HoldfastPath(), "alerts", "watch", "--timeout", "1"},
                            n.node.ClientEnv("probation"));
  // Not a wait for something to happen: the behaviour is that for 2.5 s, well past the
  // 1 s timeout, the watcher does not give up.
  const bool gave_up = WaitUntil(
      milliseconds(2500), [&] { return !watch->Running(); }, milliseconds(50));
  CHECK(!gave_up);
  CHECK(watch->Running());
}

}  // namespace holdfast::test
