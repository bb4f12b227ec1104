// The system benchmark's figures (real daemons, the CLI, projections, sync) and their
// Markdown table: each figure beside its baseline, the ratio and the target.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace holdfast::bench {

struct Figure {
  std::string what;      // what was measured, and on how much data
  std::string holdfast;  // the measured value(s), with units
  std::string baseline;  // what it is compared with, with its value; "" when nothing
  std::string ratio;     // holdfast / baseline; "" when there is no baseline
  std::string target;    // the target; "" when it set none
  std::optional<bool> met;
};

// Durations of repeated runs of one operation.
class Latencies {
 public:
  void Add(double seconds) { seconds_.push_back(seconds); }
  size_t count() const { return seconds_.size(); }
  double Median() const { return Rank(0.5); }
  // Nearest rank: with 200 runs the 198th fastest, with 30 the slowest.
  double P99() const { return Rank(0.99); }
  // "median 12.3 ms, p99 25.1 ms (200 runs)"
  std::string Describe() const;

 private:
  double Rank(double quantile) const;
  std::vector<double> seconds_;
};

// 0.0123 -> "12.3 ms", 0.00045 -> "0.45 ms", 65.4 -> "65.4 s"
std::string Duration(double seconds);
// 433.2e6 -> "433 MB"
std::string Megabytes(double bytes);

struct SystemReport {
  std::string date, machine, load;
  std::string fsync;   // a 4 KB write + fdatasync on the data disk, median, before and after
  double seconds = 0;  // the whole system benchmark, set-up included
  std::vector<std::pair<std::string, std::vector<Figure>>> sections;  // ("A. daemon", ...)
  std::vector<std::string> notes;
};

// Prints the report as Markdown on stdout: a header, one table, notes.
void PrintSystemReport(const SystemReport& report);

}  // namespace holdfast::bench
