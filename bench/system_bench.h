// holdfast_system_bench: the product measured end to end, in one run, on one county:
//
//   A. daemon       a real holdfastd importing the county through `holdfast import`, its peak
//                   RSS, and the round trip of one CLI append;
//   B. projections  a full Projector::Rebuild over the imported store, and the cost of
//                   folding one new event, in-process;
//   C. sync         initial sync of the store to an empty node over loopback TLS, catch-up
//                   of 100 new events, and the latency from an append on a provider node to
//                   the alert on the police node (its `alerts watch`, and its web hook);
//   D. delivery     GET of a case through the HTTPS API on A's node, and 1,000 alert changes a
//                   second sustained to one web hook, with RSS and the outbox sampled;
//   E. web          server time per page of the web front end (Today, a case, the inbox, the
//                   session register) over HTTPS with a signed-in session (bench/web_section.cc).
//
// Each section reuses what the one before left: A's node (its store) serves B in-process
// with the daemon stopped, then C as the sync source. Every rate is compared with raw
// RocksDB writing the same event bytes in the same run (bench/raw_baseline.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_node.h"
#include "bench/county.h"
#include "bench/figures.h"

namespace holdfast::bench {

struct SystemOptions {
  std::string dir;                      // an empty directory on the disk to measure
  std::string build_dir;                // where holdfastd, holdfast and holdfast-sample were built
  std::string ops_dir;                  // the repository's ops/ (make-ca, make-node-cert)
  uint64_t county_events = 1000000;     // holdfast-sample --events-target
  uint64_t small_node_events = 100000;  // the second node size for catch-up (0: none)
  int cli_runs = 200;                   // A: CLI appends timed
  int fold_runs = 200;                  // B: single-event folds timed
  int catch_up_rounds = 10;             // C: rounds of 100 events, per node size
  int alert_runs = 30;                  // C: append-to-alert runs
  int api_requests = 2000;              // D: GETs of a case through the HTTPS API
  double feed_seconds = 60;             // D: how long 1,000 alert changes a second are measured
  double feed_warm_up_seconds = 20;     // D: after this long at that rate
  int web_requests = 500;               // E: GETs of each page
  // Which of B, C, D and E run ("projections", "sync", "delivery", "web"; A always runs: the
  // others use its node). All by default.
  std::vector<std::string> sections = {"projections", "sync", "delivery", "web"};
  bool Runs(const std::string& section) const;
};

struct SystemBench {
  SystemOptions options;
  Programs programs;
  std::string cert_dir;
  County county;
  int64_t now = 0;  // unix ns: the fixed evaluation time of the in-process projector
  Clock::time_point started;

  // The probation node A imports the county into; B and C reuse it.
  std::unique_ptr<BenchNode> probation;
  uint64_t imported_through = 0;  // its last log position after the import
  // A's floors (bench/raw_baseline.h StoreFloor) as shares of A's raw baseline, for C.
  double idempotent_floor_ratio = 0, layout_floor_ratio = 0;

  SystemReport report;

  // "[  12.3 s] MESSAGE" on stderr.
  void Progress(const std::string& message) const;
  std::vector<Figure>& Section(const std::string& name);
};

void RunDaemonSection(SystemBench* bench);      // A
void RunProjectionSection(SystemBench* bench);  // B
void RunSyncSection(SystemBench* bench);        // C
void RunDeliverySection(SystemBench* bench);    // D
void RunWebSection(SystemBench* bench);         // E

// utime + stime of a process, in clock ticks (0 if it is gone), and in seconds.
uint64_t CpuTicks(pid_t pid);
double CpuSeconds(pid_t pid);
// The CPU time of this process's children that have exited and been waited for.
double ChildrenCpuSeconds();

// Waits (up to `timeout_seconds`) until process `pid` used at most one clock tick of CPU
// over 300 ms: a daemon's leftover work (projection catch-up, compaction) is kept off the
// next measurement. Returns the seconds waited.
double WaitUntilIdle(pid_t pid, double timeout_seconds = 60);

}  // namespace holdfast::bench
