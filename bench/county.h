// The data of the system benchmark: one county from holdfast-sample (generated once, reused
// by every section), and the few events the benchmark adds itself (attendance for the
// county's interventions, and small cases set up to trigger a non_engagement alert).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench_node.h"
#include "eventstore/event.h"

namespace holdfast::bench {

struct County {
  std::string file;  // JSON Lines, as `holdfast import` reads
  uint64_t events = 0;
  uint64_t bytes = 0;
  // Every (case, intervention) the county starts: where the benchmark records attendance.
  std::vector<std::pair<std::string, std::string>> interventions;
  // Those the checks at entry let a person record on (case not closed), with the seconds
  // [from, to) in which the intervention is active: where the CLI appends record attendance.
  struct Open {
    std::string case_id, intervention;
    int64_t from = 0, to = 0;
  };
  std::vector<Open> open;
};

// Runs `holdfast-sample --events-target N --seed SEED` into `file`.
County MakeCounty(const Programs& programs, uint64_t target_events, uint64_t seed,
                  const std::string& file);
// The county's first `events` lines, as a county of its own in `file`.
County HeadOf(const County& county, uint64_t events, const std::string& file);

// New attendance.recorded events for the county's interventions: random cases, a fresh
// session each (so no record corrects another), outcome attended, in the county's time.
class AttendanceSource {
 public:
  AttendanceSource(const County& county, std::string session_prefix, uint64_t seed);
  // The next event as the JSON line `holdfast import` reads.
  std::string NextJson();
  Event Next();
  // The arguments of `holdfast attendance record` for the next event: an open case's
  // intervention, at a time it is active, so that the checks at entry take it.
  std::vector<std::string> NextCliArgs();

 private:
  struct Record {
    std::string case_id, intervention, session, occurred_at;
  };
  Record NextRecord();

  const County& county_;
  std::string prefix_;
  std::mt19937_64 rng_;
  uint64_t n_ = 0;
};

// The case of the append-to-alert runs: C-BENCH-0001, ...
std::string AlertCaseId(int n);
// Writes `cases` small cases to `file`: each opened, referred, started, with one
// unacceptable absence, so that AlertTriggerArgs(n) raises a non_engagement alert.
void WriteAlertSetup(int cases, const std::string& file);
// `holdfast attendance record` arguments for case n's second unacceptable absence.
std::vector<std::string> AlertTriggerArgs(int n);

}  // namespace holdfast::bench
