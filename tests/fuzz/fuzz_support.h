// What the libFuzzer targets share (docs/fuzzing.md): a scratch directory that lives as
// long as the fuzzing process, and a check that stops the run with a report when a
// promise of the code under test is broken (libFuzzer saves the input as a crash).
#pragma once

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/eventstore/test_events.h"

namespace holdfast::fuzz {

// A fresh directory under $TMPDIR (or /tmp), removed when it goes away: the tests' own.
using ScratchDir = testing::TempDir;
inline constexpr const char* kScratchPrefix = "holdfast-fuzz";  // ops/fuzz clears these

// Reports a broken promise and aborts: libFuzzer writes the input to its artifacts.
[[noreturn]] inline void Broken(const std::string& what) {
  std::fprintf(stderr, "\nholdfast fuzz: broken promise: %s\n", what.c_str());
  abort();
}

inline void Require(bool ok, const std::string& what) {
  if (!ok) Broken(what);
}

// A user-facing error: one line, saying something.
inline bool IsOneLineMessage(const std::string& message) {
  return !message.empty() && message.find('\n') == std::string::npos;
}

}  // namespace holdfast::fuzz
