// holdfast_json_bench: what parsing and printing the JSON form of events costs, per event.
//
//   holdfast_json_bench FILE.jsonl [--rounds=N] [--parse-only]
//
// Reads the file's lines into memory, then times EventFromJson over every line, N rounds
// (default 5), and EventToJson over the parsed events; prints the best round's µs per event
// of each (--parse-only skips EventToJson, for profiling the parser alone). One thread, no
// I/O inside the clock. Make a file with holdfast-sample.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "eventstore/event_json.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: holdfast_json_bench FILE.jsonl [--rounds=N] [--parse-only]\n");
    return 2;
  }
  int rounds = 5;
  bool print = true;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--rounds=", 0) == 0) rounds = std::max(1, std::atoi(arg.c_str() + 9));
    if (arg == "--parse-only") print = false;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  std::vector<std::string> lines;
  size_t bytes = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    bytes += line.size();
    lines.push_back(std::move(line));
  }
  if (lines.empty()) {
    std::fprintf(stderr, "%s has no lines\n", argv[1]);
    return 1;
  }
  std::vector<holdfast::Event> events;
  events.reserve(lines.size());
  double best_parse = 1e300;
  for (int r = 0; r < rounds; ++r) {
    events.clear();
    const auto start = Clock::now();
    for (const auto& line : lines) {
      auto event = holdfast::EventFromJson(line);
      if (!event.ok()) {
        std::fprintf(stderr, "refused: %s\n", event.status().message().c_str());
        return 1;
      }
      events.push_back(std::move(event).value());
    }
    best_parse = std::min(best_parse, Seconds(start));
  }
  double best_print = 1e300;
  size_t printed = 0;
  for (int r = 0; print && r < rounds; ++r) {
    const auto start = Clock::now();
    for (const auto& e : events) printed += holdfast::EventToJson(e.reader()).size();
    best_print = std::min(best_print, Seconds(start));
  }
  const double n = static_cast<double>(lines.size());
  std::printf("%zu events, %.0f bytes each on average, best of %d rounds\n", lines.size(),
              static_cast<double>(bytes) / n, rounds);
  std::printf("EventFromJson: %.2f us/event\n", best_parse * 1e6 / n);
  if (print) {
    std::printf("EventToJson:   %.2f us/event (%zu bytes)\n", best_print * 1e6 / n, printed);
  }
  return 0;
}
