// holdfast-sample's county: a deterministic, fictional partnership's events (probation cases,
// programme sessions and attendance, breaches, risk changes, closures and police incidents)
// in the SPEC's JSON form, for imports, tests and benchmarks.
//
// The same options always give the same lines, byte for byte, on every platform: randomness is
// std::mt19937_64 with hand-written distributions, and every event id is a name-based UUID of
// the seed, the case count and the event's place in its case.
//
// Generation streams: one case's story at a time, merged by time with the groups' weekly
// session.held events, so memory stays small however many events are asked for.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace holdfast::sample {

// Where an event is recorded in the partnership (and which file --agency-split writes it to).
enum class Agency { kProbation, kProvider, kPolice };

// "probation", "provider", "police".
std::string_view AgencyName(Agency agency);

struct CountyOptions {
  uint64_t seed = 1;
  // Cases opened over the first 15 months; at least 1.
  int64_t cases = 300;
  // The first instant of the county's 18 months (546 days), seconds since the epoch.
  // Default: 2025-01-06T00:00:00Z, a Monday.
  int64_t start = 1736121600;
};

// Every event lies in [start, start + kSpanDays days); cases open in the first kOpeningDays.
constexpr int64_t kSpanDays = 546;
constexpr int64_t kOpeningDays = 456;

struct SampleLine {
  std::string_view json;  // one event in the SPEC's JSON form, without a newline
  std::string_view type;  // "attendance.recorded"
  int64_t occurred_at;    // seconds since the epoch
  Agency agency;          // who records it
};

// Receives each event in turn; returns false to stop the generation early.
using SampleSink = std::function<bool(const SampleLine&)>;

// Generates the county: case by case, in case number order (which is the order the cases
// open in), each case's events in occurred_at order, with the groups' session.held events
// merged in ahead of the first case event that follows them. Returns the number of events
// handed to sink. Note: the output is only roughly in time order; sort by occurred_at if
// that matters.
uint64_t GenerateCounty(const CountyOptions& options, const SampleSink& sink);

// The whole county as JSON lines, in GenerateCounty's order. For tests: holds every line.
std::vector<std::string> GenerateCountyLines(const CountyOptions& options);

// The number of cases for which GenerateCounty emits roughly target_events events (within a
// few per cent for targets of a few thousand or more). options.cases is ignored. At least 1.
int64_t CasesForEventTarget(const CountyOptions& options, int64_t target_events);

}  // namespace holdfast::sample
