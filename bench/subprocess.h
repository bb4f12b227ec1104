// Child processes for the system benchmark: the real holdfastd, holdfast and holdfast-sample
// programs, started with posix_spawn (cheap even when the benchmark holds a lot of memory)
// and timed from spawn to exit.
//
// Every child still running when the benchmark exits (normally, through Die, or on SIGINT or
// SIGTERM) is killed, so a failed run leaves no daemon behind holding its store.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace holdfast::bench {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d);

// Prints "holdfast_system_bench: MESSAGE" on stderr and exits 1 (children are killed).
[[noreturn]] void Die(const std::string& message);

struct SpawnOptions {
  std::vector<std::string> env;  // NAME=VALUE added to the benchmark's own (HOLDFAST_* dropped)
  std::string stdout_file;       // empty: /dev/null (unless pipe_stdout)
  std::string stderr_file;       // empty: /dev/null (unless pipe_stderr)
  bool pipe_stdout = false;      // read it with ReadLine
  bool pipe_stderr = false;      // kept for Run's error message
};

class Subprocess {
 public:
  // Starts argv[0] (a path) with argv; dies if it cannot be started.
  Subprocess(const std::vector<std::string>& argv, const SpawnOptions& options);
  // Kills (SIGKILL) and reaps the child if it is still running.
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  Clock::time_point started() const { return started_; }
  // The piped stdout's descriptor (-1 when not piped), for polling several children.
  int stdout_fd() const { return out_fd_; }

  // The next line of the piped stdout (without the newline). False at end of file or when
  // `deadline` passes first (a deadline already passed still takes what has arrived).
  bool ReadLine(Clock::time_point deadline, std::string* line);
  // Everything left on the piped stdout and stderr until both close; false if `deadline`
  // passes first.
  bool Drain(Clock::time_point deadline, std::string* out, std::string* err);

  void Signal(int signal);
  // Waits for the child to exit, up to `timeout_seconds`. Returns its exit code (128 + the
  // signal if it was killed), or nullopt if it is still running.
  std::optional<int> Wait(double timeout_seconds);
  // When the child was reaped, and its exit code (once Wait returned it).
  Clock::time_point exited() const { return exited_; }
  std::optional<int> exit_code() const { return exit_code_; }

 private:
  bool FillLine(std::string* line);

  std::string name_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::optional<int> exit_code_;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_buffer_;
  Clock::time_point started_, exited_;
};

struct RunResult {
  int exit_code = -1;
  std::string out, err;
  double seconds = 0;  // from spawn to exit
};

// Runs a program to completion (dies if it takes over `timeout_seconds`).
RunResult Run(const std::vector<std::string>& argv, const std::vector<std::string>& env,
              double timeout_seconds = 600);

// The kernel's record of a process's peak resident set (VmHWM), in bytes; 0 if unknown.
uint64_t PeakResidentBytes(pid_t pid);

// A TCP port on 127.0.0.1 that nothing listens on at the moment of asking.
int FreeLoopbackPort();

}  // namespace holdfast::bench
