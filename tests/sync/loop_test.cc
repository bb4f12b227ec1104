// Nothing a client asks holds the daemon's loop (docs/decisions.md, "The daemon's loop does
// no store work"): while `peers add` and `peers remove` wait on a slow disk, the daemon goes
// on answering. The disk is made slow by strace, attached to the running daemon, which holds
// each of its fsync and fdatasync calls for a while before letting it through.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "client/client.h"
#include "tests/sync/sync_harness.h"

namespace holdfast::synctest {
namespace {

using Clock = std::chrono::steady_clock;
using test::Contains;

const char kStrace[] = "/usr/bin/strace";

// strace attached to every thread of a process, holding each fsync and fdatasync for
// `delay` before the kernel sees it. Detaches when it goes.
class SlowSyncs {
 public:
  SlowSyncs(pid_t pid, milliseconds delay, const std::string& log) : log_(log) {
    test::RunOptions options;
    options.stderr_path = log;
    options.stdout_path = log;
    tracer_ = test::Child::Start(
        {kStrace, "-f", "-p", std::to_string(pid), "-e", "trace=fsync,fdatasync", "-e",
         "inject=fsync,fdatasync:delay_enter=" + std::to_string(delay.count() * 1000), "-o",
         "/dev/null"},
        {}, options);
    // "Process N attached with M threads" once it holds them all (threads started later
    // are followed).
    attached_ = WaitUntil(Briefly(milliseconds(10000)),
                          [&] { return Log().find(" attached") != std::string::npos; });
  }
  ~SlowSyncs() {
    if (tracer_->Running()) tracer_->Signal(SIGTERM);
    tracer_->Wait();
  }
  bool attached() const { return attached_; }
  std::string Log() const {
    std::ifstream in(log_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  std::string log_;
  std::unique_ptr<test::Child> tracer_;
  bool attached_ = false;
};

// Whether strace can trace here (it needs ptrace, which a container may forbid).
bool StraceWorks(std::string* why) {
  if (::access(kStrace, X_OK) != 0) {
    *why = std::string(kStrace) + " is not installed (ops/install-deps installs it)";
    return false;
  }
  auto r = test::Run({kStrace, "-f", "-o", "/dev/null", "/bin/true"});
  if (r.exit != 0) {
    *why = "strace cannot trace here: " + r.err;
    return false;
  }
  return true;
}

// How long the daemon takes to answer a ping over its socket, in seconds; throws if it
// does not.
double PingSeconds(Client& client) {
  capnp::MallocMessageBuilder message;
  auto request = message.initRoot<api::Request>();
  request.setPing();
  const auto start = Clock::now();
  auto frame = client.Call(message);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!frame.ok()) throw std::runtime_error("ping: " + frame.status().ToString());
  if (!(*frame)->root<api::Response>().isPong()) throw std::runtime_error("ping: no pong");
  return seconds;
}

}  // namespace

TEST_CASE("the daemon answers while peers add and remove wait on a slow disk", "[sync][loop]") {
  std::string why;
  if (!StraceWorks(&why)) {
    std::cerr << "slow disk test skipped: " << why << "\n";
    return;
  }
  TempDir dir;
  Pki pki(dir / "pki");
  SyncNode node(dir.path(), pki, "probation-1", "probation");
  node.Start();
  auto connected = Client::Connect(node.node().socket());
  REQUIRE(connected.ok());
  Client& client = **connected;
  PingSeconds(client);

  // Each synced write then takes at least this long. The loop must answer a ping in well
  // under it meanwhile; a write on the loop holds each ping sent during it until it ends.
  const milliseconds delay(2000);
  SlowSyncs slow(node.node().pid(), delay, dir / "strace.log");
  REQUIRE(slow.attached());
  INFO(slow.Log());

  for (const std::vector<std::string>& change :
       {std::vector<std::string>{"peers", "add", "--id", "provider-1", "--address", "127.0.0.1:1",
                                 "--send", "all"},
        std::vector<std::string>{"peers", "remove", "--id", "provider-1"}}) {
    const auto start = Clock::now();
    std::vector<std::string> args = {test::HoldfastPath()};
    args.insert(args.end(), change.begin(), change.end());
    auto verb = test::Child::Start(args, node.node().ClientEnv("operator"));
    double slowest = 0;
    int pings = 0;
    while (verb->Running()) {
      slowest = std::max(slowest, PingSeconds(client));
      ++pings;
    }
    const double took = std::chrono::duration<double>(Clock::now() - start).count();
    const auto r = verb->Wait();
    INFO(change[1] << ": " << r.Describe());
    REQUIRE(r.exit == 0);
    INFO(change[1] << " took " << took << " s; " << pings << " pings, the slowest " << slowest
                   << " s");
    // The disk was slow: the verb's synced write waited.
    REQUIRE(took >= std::chrono::duration<double>(delay).count());
    CHECK(pings >= 10);
    CHECK(slowest < std::chrono::duration<double>(delay).count() / 2);
  }
}

TEST_CASE("concurrent peers adds and removes leave running the peers a restart reads back",
          "[sync][loop]") {
  // Each change is written off the loop and applied on it afterwards: one at a time, so the
  // peers the daemon runs are the peers it stored, whatever the order the changes raced in.
  TempDir dir;
  Pki pki(dir / "pki");
  SyncNode node(dir.path(), pki, "probation-1", "probation");
  node.Start();
  auto peers = [&] {
    auto r = node.Operator({"peers", "list", "--format", "json"});
    INFO(r.Describe());
    REQUIRE(r.exit == 0);
    std::vector<std::string> out;
    for (const auto& row : ParseJsonArray(r.out)) {
      out.push_back(row.at("peer") + " " + row.at("address") + " " + row.at("agreement"));
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  std::vector<std::unique_ptr<test::Child>> changes;
  for (int i = 0; i < 12; ++i) {
    const std::string id = "provider-" + std::to_string(i % 3);
    std::vector<std::string> args = {test::HoldfastPath(), "peers"};
    if (i % 4 == 3) {
      args.insert(args.end(), {"remove", "--id", id});
    } else {
      args.insert(args.end(), {"add", "--id", id, "--address", "127.0.0.1:" + std::to_string(1 + i),
                               "--send", "case."});
    }
    changes.push_back(test::Child::Start(args, node.node().ClientEnv("operator")));
  }
  for (auto& c : changes) {
    const auto r = c->Wait();
    // A remove may come before any add of its peer.
    INFO(r.Describe());
    CHECK((r.exit == 0 || Contains(r.err, "no peer provider-")));
  }
  const auto running = peers();
  CHECK(!running.empty());
  node.Stop();
  node.Start();
  CHECK(peers() == running);
}

}  // namespace holdfast::synctest
