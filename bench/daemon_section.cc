// A. The daemon: the county imported through a real holdfastd by `holdfast import`, the
// daemon's peak RSS over it, and the round trip of one CLI append on the loaded node.
#include <unistd.h>

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
  const double daemon_cpu_before = CpuSeconds(node.pid());
  const double cli_cpu_before = ChildrenCpuSeconds();
  const RunResult import = node.Cli({"import", "--file", county.file, "--quiet"}, "operator");
  const double cli_cpu = ChildrenCpuSeconds() - cli_cpu_before;
  const double daemon_cpu = CpuSeconds(node.pid()) - daemon_cpu_before;
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
  b->Progress("A: raw RocksDB doing only the key work an idempotent store cannot skip");
  const auto [idempotent, layout] = MeasureStoreFloors(b->options.dir + "/raw-floor", values);
  b->idempotent_floor_ratio = Ratio(idempotent, raw.median);
  b->layout_floor_ratio = Ratio(layout, raw.median);
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
  figures.push_back(
      {"floor: raw RocksDB, the same bytes, batches of 1024, sync, doing per event only what "
       "an idempotent store must (look the id up, put the event, put the id), one thread",
       Grouped(idempotent.EventsPerSecond()) + " events/s (" + Duration(idempotent.seconds) + ", " +
           Fixed(idempotent.CpuMicrosPerEvent(), 1) + " CPU µs/event)",
       "the raw baseline above", Percent(b->idempotent_floor_ratio), "", std::nullopt});
  figures.push_back(
      {"floor: the same with holdfast's two other indexes (origin, seq) and (stream, version)",
       Grouped(layout.EventsPerSecond()) + " events/s (" + Duration(layout.seconds) + ", " +
           Fixed(layout.CpuMicrosPerEvent(), 1) + " CPU µs/event)",
       "the raw baseline above", Percent(b->layout_floor_ratio), "", std::nullopt});
  figures.push_back({"holdfastd peak RSS during that import (VmHWM, from start to end)",
                     Megabytes(static_cast<double>(peak_rss)), "", "", "< 200 MB",
                     peak_rss < 200e6});
  figures.push_back(
      {"CLI append: one `holdfast attendance record` process, spawn to exit, on that node (" +
           Grouped(static_cast<double>(b->imported_through)) + " events)",
       cli.Describe(), "`holdfast help attendance record` (no daemon call): " + help.Describe(), "",
       "", std::nullopt});

  const int cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  const auto per_event = [&](double seconds) {
    return Fixed(seconds * 1e6 / static_cast<double>(county.events), 1) + " µs";
  };
  b->report.notes.push_back(
      "A: CPU per event during the import: `holdfast import` (reading and checking the JSON) " +
      per_event(cli_cpu) + ", holdfastd (validating, storing, folding, deriving) " +
      per_event(daemon_cpu) + "; the raw baseline " + Fixed(raw.median.CpuMicrosPerEvent(), 1) +
      " µs. At 25% of the raw rate the whole import would have " +
      Fixed(cpus / (0.25 * raw.median.EventsPerSecond()) * 1e6, 1) +
      " µs of CPU per event on these " + std::to_string(cpus) + " CPUs.");
  b->report.notes.push_back(
      "A: after the import the node held " + Grouped(static_cast<double>(b->imported_through)) +
      " events: the county and the alert lifecycle events the node derived during the "
      "import (the raw baseline writes the county's events only). SIGTERM to exit took " +
      Duration(stop_seconds) + "; opening its store in-process next (EventStore::Open) took " +
      Duration(open_seconds) + ".");
}

}  // namespace holdfast::bench
