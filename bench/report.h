// The benchmark's figures and their Markdown form (pasted as is into the README).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace holdfast::bench {

struct Throughput {
  uint64_t events = 0;
  uint64_t bytes = 0;      // encoded event bytes (the log values), not WAL or index bytes
  double seconds = 0;      // wall clock
  double cpu_seconds = 0;  // the whole process's CPU time (all threads, RocksDB's too)

  double EventsPerSecond() const { return seconds > 0 ? events / seconds : 0; }
  double MegabytesPerSecond() const { return seconds > 0 ? bytes / seconds / 1e6 : 0; }
  double CpuMicrosPerEvent() const { return events > 0 ? cpu_seconds * 1e6 / events : 0; }
  Throughput& operator+=(const Throughput& o) {
    events += o.events;
    bytes += o.bytes;
    seconds += o.seconds;
    cpu_seconds += o.cpu_seconds;
    return *this;
  }
};

// 12345.6 -> "12,346"
std::string Grouped(double value);
// Fixed(3.14159, 1) -> "3.1"
std::string Fixed(double value, int decimals);
// 0.234 -> "23%"
std::string Percent(double ratio);

// The CPU time of this whole process so far (every thread's), in seconds.
double ProcessCpuSeconds();

// store / raw in events per second (0 when raw is 0).
double Ratio(const Throughput& store, const Throughput& raw);

// One workload: the event store beside raw RocksDB, summed over its rounds.
struct Row {
  std::string name;
  Throughput store;
  Throughput raw;
  std::vector<double> round_ratios;  // store/raw of each round, to show the noise
};

struct Report {
  std::string date;     // "2025-03-04 18:00 UTC"
  std::string machine;  // CPUs, CPU model, file system of the data directory
  std::string load;     // the load average before and after (other work skews the figures)
  double seconds = 0;   // per side per round
  int rounds = 0;
  std::vector<Row> rows;
  double store_event_bytes = 0;  // mean encoded size of the events each side wrote
  double raw_event_bytes = 0;
  uint64_t scanned_events = 0;
};

// "2 CPUs (AMD EPYC), ext4": what the figures were measured on (`dir` is the data directory).
std::string DescribeMachine(const std::string& dir);
std::string UtcNow();
// The 1-minute load average, "1.23".
std::string LoadAverage();
// The median time of 50 rounds of a 4 KB append plus fdatasync to a file in `dir`: what one
// durable write costs on that disk right now (a shared VM disk drifts by 10x in minutes).
double FsyncMedianSeconds(const std::string& dir);

// Prints the report as Markdown on stdout: a header, one table row per workload with
// events/s, MB/s and the store's share of raw RocksDB, notes, and the targets.
void PrintReport(const Report& report);

}  // namespace holdfast::bench
