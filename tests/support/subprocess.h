// Child processes for the tests and the benchmarks: the real holdfastd, holdfast,
// holdfast-sample and crash_child programs, each started with its output piped to this
// process or appended to a file, and reaped with a deadline.
//
// A child starts from this process's environment without its HOLDFAST_* variables (a
// developer's shell must not leak into a run), with SIGPIPE at its default and no signal
// blocked. It is started with posix_spawn, which stays cheap when the parent holds a lot of
// memory (the system benchmark does), except when it must run as another user: that needs
// fork, since posix_spawn cannot switch user.
//
// Setup failures (no pipe, a program that cannot be started) throw std::runtime_error.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace holdfast::testing {

using Clock = std::chrono::steady_clock;

struct SpawnOptions {
  // NAME=VALUE, each replacing this process's NAME (HOLDFAST_* are dropped before).
  std::vector<std::string> env;
  // Written to the child's stdin, which is then closed; empty: stdin is /dev/null.
  std::string stdin_data;
  // Empty: piped to this process (read with ReadLine or Collect). Otherwise the output is
  // appended to this file ("/dev/null" drops it).
  std::string stdout_path;
  std::string stderr_path;
  // Run as this user (and its primary group, with no others); needs root.
  std::optional<uid_t> as_uid;
};

class Subprocess {
 public:
  // Starts argv[0] (a path) with argv.
  Subprocess(const std::vector<std::string>& argv, const SpawnOptions& options = {});
  // Kills (SIGKILL) and reaps the child if it is still running.
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // The program's file name and its first two arguments, for messages.
  const std::string& name() const { return name_; }
  Clock::time_point started() const { return started_; }
  // The piped stdout's descriptor (-1 when not piped), for polling several children.
  int stdout_fd() const { return out_fd_; }

  // The next line of the piped stdout (without the newline). False at end of file (then
  // stdout_ended()) or when `deadline` passes first (a deadline already passed still takes
  // what has arrived).
  bool ReadLine(Clock::time_point deadline, std::string* line);
  bool stdout_ended() const { return out_ended_; }
  // Writes the rest of stdin_data and reads the piped stdout and stderr until both close,
  // appending them to `out` and `err` (stdout's after any ReadLine left unread); false if
  // `deadline` passes first.
  bool Collect(Clock::time_point deadline, std::string* out, std::string* err);

  void Signal(int signal);
  // True while the child has not exited (reaps it if it has).
  bool Running();
  // Waits for the child to exit until `deadline`. Returns its exit code (128 + the signal
  // if it was killed), or nullopt if it is still running or was already reaped.
  std::optional<int> Wait(Clock::time_point deadline);
  std::optional<int> Wait(std::chrono::duration<double> timeout);
  // SIGKILL, then waits for it; its exit code.
  int Kill();
  // When the child was reaped, and its exit code (once reaped).
  Clock::time_point exited() const { return exited_; }
  std::optional<int> exit_code() const { return exit_code_; }

 private:
  bool FillLine(std::string* line);
  bool TryReap();

  std::string name_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  int in_fd_ = -1, out_fd_ = -1, err_fd_ = -1;
  std::string stdin_data_;
  size_t stdin_written_ = 0;
  std::string out_buffer_;
  bool out_ended_ = false;
  Clock::time_point started_, exited_;
};

// What a child starts from: this process's environment without its HOLDFAST_* variables and
// without the names `extra` sets, then `extra` (NAME=VALUE).
std::vector<std::string> ChildEnvironment(const std::vector<std::string>& extra);

// Every child still running when this process exits (normally, or on SIGINT or SIGTERM) is
// killed, so a failed run leaves no daemon behind holding its store. Also ignores SIGPIPE
// here. For the benchmarks; call once, early.
void KillChildrenOnExit();

}  // namespace holdfast::testing
