// Kills a program just before its Nth change to the file system, to test what it leaves
// behind at every step. A test-side tracer: the program under test has no hooks for it.
//
// The child runs under ptrace with a seccomp filter that stops it only at calls that
// change files or directories: creating, opening for writing or truncating a file
// (openat/open/creat with O_WRONLY, O_RDWR, O_CREAT or O_TRUNC), mkdir, rmdir, rename,
// link, unlink, copy_file_range, ftruncate and fallocate. The calls are counted over all
// its threads, in the order the kernel stops them; the Nth is never made: the process
// gets SIGKILL while stopped at its entry. Writes into open files (write, pwrite) are not
// counted: what a killed process has written into a file is the business of the file's
// own format (RocksDB recovers a torn log tail), and every file's write begins with one of
// the calls above. strace's `-e inject=...:signal=SIGKILL:when=N` does the same per call
// and per thread, but stops the child at every system call of every thread, which makes
// a restore (three RocksDB opens, hundreds of short-lived threads) some twenty times slower.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/daemon/harness.h"

namespace holdfast::test {

struct MutationRun {
  bool killed = false;     // SIGKILLed at the Nth mutation
  int exit = -1;           // as RunResult::exit: 128 + N when killed by signal N
  uint64_t mutations = 0;  // mutations it reached (made, or the one it was killed at)
  std::string output;      // its stdout and stderr
};

// Runs args[0] with args and the environment as harness.h's Run gives it (HOLDFAST_*
// removed, then `env` added); SIGKILLs it at its `nth` file system mutation (counting from
// 1; 0 never kills). Throws std::runtime_error if it cannot be traced or runs for more
// than `timeout`.
MutationRun RunKilledAtMutation(const std::vector<std::string>& args, const Env& env, uint64_t nth,
                                milliseconds timeout = Scaled(milliseconds(60000)));

}  // namespace holdfast::test
