// The system benchmark's use of child processes (the real holdfastd, holdfast and
// holdfast-sample programs): runs timed from spawn to exit, and a failure ends the benchmark.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"

namespace holdfast::bench {

using testing::Clock;

double Seconds(Clock::duration d);

// Prints "holdfast_system_bench: MESSAGE" on stderr and exits 1 (children are killed).
[[noreturn]] void Die(const std::string& message);

// Children are tests/support/subprocess.h's (started with posix_spawn, cheap even when the
// benchmark holds a lot of memory); system_main kills every one still running when it exits.
using testing::SpawnOptions;
using testing::Subprocess;

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
