// End-to-end harness: real `holdfastd` daemons on temporary directories, driven by the real
// `holdfast` binary run as a subprocess. Nothing is mocked; every helper here starts or talks
// to an actual process. Harness failures (a daemon that will not start, a child that hangs)
// throw std::runtime_error with the daemon's log attached, so Catch2 reports them; a daemon
// that does not stop cleanly at the end of a test is a Catch2 CHECK failure.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"

namespace holdfast::test {

using std::chrono::milliseconds;

// The binaries under test (compile definitions from tests/daemon/CMakeLists.txt).
const std::string& HoldfastdPath();
const std::string& HoldfastPath();

// True in the sanitizer build, where the binaries under test run several times slower.
bool Sanitized();
// A time limit for the release build, stretched for the sanitizer build.
milliseconds Scaled(milliseconds release_limit);

// Extra environment for a child. The child starts from this process's environment with
// every HOLDFAST_* variable removed, so a developer's shell cannot leak into a test.
using Env = std::map<std::string, std::string>;

struct RunOptions {
  std::string stdin_data;       // written to the child's stdin, then closed
  std::string stdout_path;      // when set, stdout goes to this file (appended), not to out
  std::string stderr_path;      // when set, stderr goes to this file (appended), not to err
  std::optional<uid_t> as_uid;  // run as this user (and its primary group); needs root
  milliseconds timeout = Scaled(milliseconds(30000));
};

struct RunResult {
  int exit = -1;  // exit status; 128 + N when killed by signal N; -1 when the harness timed out
  std::string out, err;
  // stderr cut into lines (no empty last line).
  std::vector<std::string> ErrLines() const;
  // Everything, for failure messages.
  std::string Describe() const;
};

// One child process with its stdout and stderr captured (or sent to files).
class Child {
 public:
  // Starts args[0] with args; throws if it cannot be started.
  static std::unique_ptr<Child> Start(const std::vector<std::string>& args, const Env& env = {},
                                      const RunOptions& options = {});
  // Kills and reaps the child if it is still running.
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return process_.pid(); }
  // True while the process has not exited (reaps it if it has).
  bool Running() { return process_.Running(); }
  void Signal(int signum) { process_.Signal(signum); }
  // Collects output until the child exits; on timeout kills it and returns exit -1.
  RunResult Wait(milliseconds timeout);
  RunResult Wait() { return Wait(timeout_); }

 private:
  Child(const std::vector<std::string>& args, const testing::SpawnOptions& options,
        milliseconds timeout)
      : process_(args, options), timeout_(timeout) {}
  testing::Subprocess process_;
  milliseconds timeout_;
  RunResult result_;
};

// Polls `check` every `interval` until it returns true or `limit` passes; returns its last
// answer. How a test waits for something to happen, instead of sleeping.
bool WaitUntil(milliseconds limit, const std::function<bool()>& check,
               milliseconds interval = milliseconds(100));

// Runs a program to completion. args[0] is the program's path.
RunResult Run(const std::vector<std::string>& args, const Env& env = {},
              const std::string& stdin_data = "");
RunResult Run(const std::vector<std::string>& args, const Env& env, const RunOptions& options);

// The `holdfast` CLI with these arguments.
RunResult Holdfast(const std::vector<std::string>& args, const Env& env = {},
                   const RunOptions& options = {});

// A fresh directory under /tmp (short, so socket paths fit in sun_path), removed with its
// contents when destroyed unless HOLDFAST_TEST_KEEP is set.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// One holdfast node: `holdfast node init` in DIR, then holdfastd started from DIR's config.
class Node {
 public:
  // Runs `holdfast node init`; throws if it fails.
  Node(const std::string& data_dir, const std::string& id = "probation-1",
       const std::string& agency = "probation-ce", const std::string& kind = "probation");
  // Stops a running daemon (SIGTERM, then SIGKILL after a while) and, unless the test is
  // already failing with an exception, CHECKs that it exited 0.
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Starts holdfastd and waits until `holdfast users list` (as the Unix account) succeeds.
  void Start();
  // SIGTERM, then waits for the daemon to exit; returns its exit status (as RunResult::exit).
  int Stop();
  // SIGKILL, then reaps it.
  void Kill();
  bool Running();
  // The daemon's exit status once it has exited (as RunResult::exit); -1 while it runs.
  int ExitStatus();
  pid_t pid() const;

  // The environment a client of this node uses to act as user `user` of role `role`: its
  // config and HOLDFAST_TOKEN_FILE naming a token of that user. The first time, the harness
  // makes the user (holdfast users add, users token) as the node's first operator, the
  // Unix account the tests run as; a user asked for in another role than before has its
  // role changed (holdfast users role). With no daemon running (none to make the user), for
  // role "", and for the default user as operator, it is the Unix account itself (the
  // node's first operator), with no token. The default user is "tester" as probation and
  // "tester-ROLE" in another role.
  Env ClientEnv(const std::string& role, const std::string& user = kDefaultUser) const;
  // `holdfast ARGS` as that user and role (retried once with a new token when the node no
  // longer knows the harness's: a test that replaced the store).
  RunResult Cli(const std::vector<std::string>& args, const std::string& role,
                const std::string& user = kDefaultUser, const RunOptions& options = {}) const;
  static constexpr const char* kDefaultUser = "tester";
  // `holdfast export` (JSON Lines) as an operator, cut into lines; throws if it fails.
  std::vector<std::string> Export() const;
  // The daemon's log (its stdout and stderr) so far.
  std::string Log() const;
  // How many client connections the daemon holds open on its socket: the accepted sockets
  // bound to its path in /proc/net/unix. It closes a connection only once the
  // connection's request in flight is answered, so 0 means it is done with every client.
  size_t ClientConnections() const;
  // The "events" line of `holdfast store stats` (0 when it cannot be read).
  uint64_t StoredEvents() const;

  const std::string& data_dir() const { return data_dir_; }
  const std::string& config() const { return config_; }
  const std::string& socket() const { return socket_; }
  const std::string& id() const { return id_; }

 private:
  struct Identities;
  std::string data_dir_, config_, socket_, log_, id_;
  std::unique_ptr<Child> daemon_;
  std::shared_ptr<Identities> identities_;
};

// What most tests begin with: a probation node in its own temporary directory, running.
struct StartedNode {
  TempDir dir;
  Node node{dir / "n1"};
  StartedNode() { node.Start(); }
};

// A refusal as the SPEC wants it: a non-zero exit and exactly one non-empty line on stderr.
bool IsOneLineFailure(const RunResult& r);

// --- Small helpers over the CLI's text output -------------------------------------------

std::vector<std::string> Lines(const std::string& text);
std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& contents);
bool Contains(const std::string& haystack, const std::string& needle);
// A deterministic UUID: "<prefix as 8 hex digits>-0000-4000-8000-<n as 12 hex digits>".
std::string TestUuid(uint32_t prefix, uint64_t n);
// The envelope "id" of one exported JSON line ("" if none).
std::string EventIdOf(const std::string& json_line);
// The value of string member `name` of a one-line JSON object, the first one in it ("" if
// none). For values without quotes or escapes: ids, times, statuses, names.
std::string StringField(const std::string& json_object, const std::string& name);
// The line without its "position" member (the exporting node's, not the event's).
std::string WithoutPosition(const std::string& json_line);
// One import line per SPEC: an attendance.recorded event by a provider's facilitator.
std::string AttendanceJson(const std::string& id, const std::string& case_id,
                           const std::string& session,
                           const std::string& occurred_at = "2025-03-04T18:00:00Z");
// AttendanceJson with a reason of `reason_bytes` letters (at most 8,192) that do not
// compress, drawn from the id: fills a disk with few events.
std::string BulkyAttendanceJson(const std::string& id, const std::string& case_id,
                                const std::string& session, size_t reason_bytes);
// The envelope ids of exported JSON lines, in order.
std::vector<std::string> EventIds(const std::vector<std::string>& json_lines);
// Connects a raw stream socket to a Unix socket path; -1 on failure (errno set).
int ConnectUnix(const std::string& path);

// Runs a verb that must succeed as `user` in `role`; fails the test with its output otherwise.
RunResult Ok(const Node& node, const std::vector<std::string>& args, const std::string& role,
             const std::string& user = "tester");

}  // namespace holdfast::test
