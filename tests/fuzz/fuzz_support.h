// What the libFuzzer targets share (docs/fuzzing.md): a scratch directory that lives as
// long as the fuzzing process, and a check that stops the run with a report when a
// promise of the code under test is broken (libFuzzer saves the input as a crash).
#pragma once

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace holdfast::fuzz {

// A fresh directory under $TMPDIR (or /tmp), removed when the process exits normally.
class ScratchDir {
 public:
  ScratchDir() {
    const char* tmp = getenv("TMPDIR");
    std::string tmpl =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/holdfast-fuzz-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      abort();
    }
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

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
