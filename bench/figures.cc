#include "bench/figures.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "bench/report.h"

namespace holdfast::bench {

double Latencies::Rank(double quantile) const {
  if (seconds_.empty()) return 0;
  std::vector<double> sorted = seconds_;
  std::sort(sorted.begin(), sorted.end());
  const size_t rank = static_cast<size_t>(std::ceil(quantile * sorted.size()));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

std::string Latencies::Describe() const {
  return "median " + Duration(Median()) + ", p99 " + Duration(P99()) + " (" +
         std::to_string(count()) + " runs)";
}

std::string Duration(double seconds) {
  if (seconds >= 10) return Fixed(seconds, 1) + " s";
  if (seconds >= 1) return Fixed(seconds, 2) + " s";
  const double ms = seconds * 1e3;
  return Fixed(ms, ms >= 10 ? 1 : 2) + " ms";
}

std::string Megabytes(double bytes) { return Grouped(bytes / 1e6) + " MB"; }

void PrintSystemReport(const SystemReport& report) {
  std::printf("### holdfast end to end: daemon, projections, sync, delivery, web\n\n");
  std::printf(
      "%s; %s; load average %s; one 4 KB write + fdatasync on that disk: median %s; %s for "
      "this part, set-up included\n\n",
      report.date.c_str(), report.machine.c_str(), report.load.c_str(), report.fsync.c_str(),
      Duration(report.seconds).c_str());
  std::printf("| | measured | holdfast | compared with | ratio | target | |\n");
  std::printf("|---|---|--:|---|--:|---|---|\n");
  for (const auto& [section, figures] : report.sections) {
    for (const Figure& f : figures) {
      const char* verdict = !f.met ? "" : *f.met ? "met" : "**NOT met**";
      std::printf("| %s | %s | %s | %s | %s | %s | %s |\n", section.c_str(), f.what.c_str(),
                  f.holdfast.c_str(), f.baseline.c_str(),
                  f.ratio.empty() ? "" : ("**" + f.ratio + "**").c_str(), f.target.c_str(),
                  verdict);
    }
  }
  std::printf("\n");
  for (const auto& note : report.notes) std::printf("- %s\n", note.c_str());
}

}  // namespace holdfast::bench
