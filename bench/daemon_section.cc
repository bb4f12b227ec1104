// A. The daemon: the county imported through a real holdfastd by `holdfast import`, the
// daemon's peak RSS over it, and the round trip of one CLI append on the loaded node.
#include <algorithm>

#include "bench/raw_baseline.h"
#include "bench/report.h"
#include "bench/system_bench.h"

namespace holdfast::bench {

void RunDaemonSection(SystemBench* b) {
  const County& county = b->county;
  b->probation =
      std::make_unique<BenchNode>(b->programs, b->options.dir + "/probation-1", "probation-1",
                                  "probation-ce", "probation", b->cert_dir);
  BenchNode& node = *b->probation;
  node.Init();
  node.Start();

  b->Progress("A: importing " + Grouped(county.events) + " events through holdfastd");
  const RunResult import = node.Cli({"import", "--file", county.file, "--quiet"}, "operator");
  const uint64_t peak_rss = PeakResidentBytes(node.pid());
  b->imported_through = node.LastPosition();
  WaitUntilIdle(node.pid());

  b->Progress("A: " + std::to_string(b->options.cli_runs) + " CLI appends");
  AttendanceSource attendance(county, "S-BENCH-CLI", 1);
  Latencies cli;
  for (int i = 0; i < b->options.cli_runs; ++i) {
    cli.Add(node.Cli(attendance.NextCliArgs(), "probation", "po-bench").seconds);
  }
  Latencies help;  // the process alone: start, parse options, print, exit
  for (int i = 0; i < std::min(b->options.cli_runs, 50); ++i) {
    help.Add(node.Cli({"help", "attendance", "record"}, "probation", "po-bench").seconds);
  }
  const double stop_seconds = node.Stop();

  b->Progress("A: raw RocksDB writing the same event bytes");
  LogValues values;
  const auto opening = Clock::now();
  double open_seconds = 0;
  {
    auto store = OpenStore(node.store_dir());
    open_seconds = Seconds(Clock::now() - opening);
    values = ReadLogValues(store.get(), b->imported_through, /*skip_alerts=*/true);
  }
  if (values.values.size() != county.events) {
    Die("the node's log holds " + std::to_string(values.values.size()) +
        " county events after the import; the file has " + std::to_string(county.events));
  }
  const RawBaseline raw = MeasureRawBaseline(b->options.dir + "/raw-import", values);
  const Throughput held{county.events, values.bytes, import.seconds, 0};

  auto& figures = b->Section("A. daemon");
  const double ratio = Ratio(held, raw.median);
  figures.push_back({"import: `holdfast import` of the county (" + Grouped(county.events) +
                         " events, " + Megabytes(county.bytes) + " of JSONL, " +
                         Megabytes(values.bytes) +
                         " encoded) into a fresh probation holdfastd (deriving alerts), until "
                         "the CLI returns",
                     Grouped(held.EventsPerSecond()) + " events/s (" + Duration(import.seconds) +
                         ", " + Fixed(held.MegabytesPerSecond(), 1) + " MB/s of event bytes)",
                     raw.Describe(false), Percent(ratio), "≥ 25%", ratio >= 0.25});
  figures.push_back({"holdfastd peak RSS during that import (VmHWM, from start to end)",
                     Megabytes(static_cast<double>(peak_rss)), "", "", "< 200 MB",
                     peak_rss < 200e6});
  figures.push_back(
      {"CLI append: one `holdfast attendance record` process, spawn to exit, on that node (" +
           Grouped(static_cast<double>(b->imported_through)) + " events)",
       cli.Describe(), "`holdfast help attendance record` (no daemon call): " + help.Describe(), "",
       "", std::nullopt});

  b->report.notes.push_back(
      "A: after the import the node held " + Grouped(static_cast<double>(b->imported_through)) +
      " events: the county and the alert lifecycle events the node derived during the "
      "import (the raw baseline writes the county's events only). SIGTERM to exit took " +
      Duration(stop_seconds) + "; opening its store in-process next (EventStore::Open) took " +
      Duration(open_seconds) + ".");
}

}  // namespace holdfast::bench
