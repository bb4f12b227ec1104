// LoadConfig (daemon/config.h) on arbitrary file contents: holdfast.conf, which operators
// edit by hand and `node init` writes.
//
// Promises checked beyond "no crash, no leak, no undefined behaviour":
// - a refusal is InvalidArgument with a one-line message;
// - a config it accepts, written out again by RenderConfig (as `node init` writes it), is
//   accepted again with the same values.
#include <cstdint>
#include <fstream>
#include <string>

#include "daemon/config.h"
#include "tests/fuzz/fuzz_support.h"

using namespace holdfast;

namespace {

void WriteFile(const std::string& path, const char* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data, static_cast<std::streamsize>(size));
  fuzz::Require(out.good(), "cannot write " + path);
}

std::string Describe(const NodeConfig& c) {
  std::string out;
  for (const std::string* s : {&c.node_id, &c.agency, &c.kind, &c.data_dir, &c.socket, &c.log_level,
                               &c.log_file, &c.listen, &c.ca, &c.cert, &c.key, &c.derive}) {
    out += "[" + *s + "]";
  }
  for (int v : {c.non_engagement_absences, c.non_engagement_window_days, c.no_contact_days,
                c.reoffending_days, c.tick_seconds}) {
    out += "[" + std::to_string(v) + "]";
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::ScratchDir dir{fuzz::kScratchPrefix};
  const std::string path = dir.path() + "/holdfast.conf";
  WriteFile(path, reinterpret_cast<const char*>(data), size);
  auto config = LoadConfig(path);
  if (!config.ok()) {
    fuzz::Require(config.status().code() == Status::Code::kInvalidArgument,
                  "LoadConfig refused with " + config.status().ToString());
    fuzz::Require(fuzz::IsOneLineMessage(config.status().message()),
                  "LoadConfig's error is not one line: " + config.status().message());
    return 0;
  }
  const std::string rendered = RenderConfig(*config);
  WriteFile(path, rendered.data(), rendered.size());
  auto again = LoadConfig(path);
  fuzz::Require(again.ok(), "RenderConfig wrote a config LoadConfig refuses: " +
                                again.status().ToString() + "\n" + rendered);
  fuzz::Require(Describe(*again) == Describe(*config),
                "a rendered config reads back differently:\n  " + Describe(*config) + "\n  " +
                    Describe(*again));
  return 0;
}
