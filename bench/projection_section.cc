// B. Projections, in-process on the store A imported (its daemon stopped): a full
// Projector::Rebuild against EventStore::ScanLog over the same log, and the cost of folding
// one new event into a node of that size.

#include "bench/raw_baseline.h"
#include "bench/report.h"
#include "bench/store_scan.h"
#include "bench/system_bench.h"
#include "eventstore/floors/raw_log.h"
#include "projections/projector.h"
#include "tests/eventstore/test_events.h"

namespace holdfast::bench {
namespace {

Throughput TimeScan(const EventStore& store) {
  std::string error;
  const Throughput t = TimeStoreScan(store, 0, &error);
  if (!error.empty()) Die(error);
  return t;
}

}  // namespace

void RunProjectionSection(SystemBench* b) {
  auto store = OpenStore(b->probation->store_dir());
  RuleConfig rules;
  rules.derive = true;
  const int64_t now = b->now;
  auto opened = Projector::Open(store.get(), rules, [now] { return now; });
  if (!opened.ok()) Die("Projector::Open: " + opened.status().ToString());
  std::unique_ptr<Projector> projector = std::move(opened.value());

  // The scan runs before and after the rebuild; the faster counts (a warm cache for both).
  // Each timed step starts with RocksDB idle (no flush or compaction left from the last).
  WaitForBackgroundWork(*store);
  b->Progress("B: EventStore::ScanLog");
  Throughput scan = TimeScan(*store);
  b->Progress("B: Projector::Rebuild over " + Grouped(static_cast<double>(store->LastPosition())) +
              " events");
  const uint64_t before = store->LastPosition();
  WaitForBackgroundWork(*store);
  const double cpu = ProcessCpuSeconds();
  const auto start = Clock::now();
  // Rebuild reports progress while it folds the log; after the last report it evaluates
  // every case (derive), writes and ingests the rows, and folds what it appended.
  Clock::time_point folded = start;
  Status rebuilt = projector->Rebuild([&](uint64_t, uint64_t) { folded = Clock::now(); });
  const Throughput rebuild{before, 0, Seconds(Clock::now() - start), ProcessCpuSeconds() - cpu};
  if (!rebuilt.ok()) Die("Projector::Rebuild: " + rebuilt.ToString());
  const uint64_t appended_by_rebuild = store->LastPosition() - before;
  WaitForBackgroundWork(*store);
  b->Progress("B: EventStore::ScanLog again");
  const Throughput second_scan = TimeScan(*store);
  if (second_scan.seconds * scan.events < scan.seconds * second_scan.events) scan = second_scan;

  WaitForBackgroundWork(*store);
  b->Progress("B: " + std::to_string(b->options.fold_runs) + " single-event folds");
  AttendanceSource attendance(b->county, "S-BENCH-FOLD", 2);
  Latencies both, append, catch_up;  // Append + CatchUp, and each alone
  std::vector<Uuid> folded_ids;
  for (int i = 0; i < b->options.fold_runs; ++i) {
    std::vector<Event> one;
    one.push_back(attendance.Next());
    folded_ids.push_back(testing::IdOf(one.front()));
    const auto t0 = Clock::now();
    auto appended = store->Append(std::move(one));
    if (!appended.ok()) Die("EventStore::Append: " + appended.status().ToString());
    const auto t1 = Clock::now();
    Status caught_up = projector->CatchUp();
    if (!caught_up.ok()) Die("Projector::CatchUp: " + caught_up.ToString());
    const auto t2 = Clock::now();
    both.Add(Seconds(t2 - t0));
    append.Add(Seconds(t1 - t0));
    catch_up.Add(Seconds(t2 - t1));
  }
  // Each of those attendance events voided again, one void a fold: the case is folded
  // again from its stream without the voided event, and evaluated.
  b->Progress("B: " + std::to_string(folded_ids.size()) + " single-void folds");
  Latencies void_catch_up;
  for (const Uuid& id : folded_ids) {
    std::vector<Event> one;
    one.push_back(testing::MakeRecordVoided(id));
    auto appended = store->Append(std::move(one));
    if (!appended.ok()) Die("EventStore::Append: " + appended.status().ToString());
    const auto t0 = Clock::now();
    Status caught_up = projector->CatchUp();
    if (!caught_up.ok()) Die("Projector::CatchUp: " + caught_up.ToString());
    void_catch_up.Add(Seconds(Clock::now() - t0));
  }
  const uint64_t held = store->LastPosition();
  projector.reset();
  store.reset();

  auto& figures = b->Section("B. projections");
  const double ratio = Ratio(rebuild, scan);
  figures.push_back(
      {"full rebuild: Projector::Rebuild (derive = true, fixed now) over the imported node's " +
           Grouped(static_cast<double>(before)) + " events, in-process",
       Grouped(rebuild.EventsPerSecond()) + " events/s (" + Duration(rebuild.seconds) + ", " +
           Fixed(rebuild.CpuMicrosPerEvent(), 1) + " CPU µs/event)",
       "EventStore::ScanLog of the same store: " + Grouped(scan.EventsPerSecond()) + " events/s (" +
           Duration(scan.seconds) + ")",
       Percent(ratio), "≥ 30%", ratio >= 0.30});
  // The fold is the projection's cost; the WAL fsync of the Append before it is the
  // store's (measured in the store benchmark and the CLI append), so the target applies to
  // CatchUp alone, with Append + CatchUp given beside it.
  figures.push_back(
      {"incremental fold: Projector::CatchUp (derive = true) after EventStore::Append of one "
       "attendance event for an existing case, node holding " +
           Grouped(static_cast<double>(held)) +
           " events; the figure compared with the target is the fold (CatchUp) alone, the "
           "append's WAL fsync being the store's cost",
       "CatchUp: " + catch_up.Describe() + "; Append + CatchUp: " + both.Describe() +
           "; Append alone (a WAL fsync): " + append.Describe(),
       "", "", "CatchUp median < 1 ms", catch_up.Median() < 1e-3});
  figures.push_back(
      {"incremental fold of a void: Projector::CatchUp (derive = true) after EventStore::Append "
       "of one record.voided of an attendance event the fold above added (its case folded again "
       "from its stream, and evaluated)",
       "CatchUp: " + void_catch_up.Describe(), "", "", "CatchUp median < 1 ms",
       void_catch_up.Median() < 1e-3});
  b->report.notes.push_back("B: of the rebuild's " + Duration(rebuild.seconds) +
                            ", folding the log took " + Duration(Seconds(folded - start)) +
                            " and evaluating every case (derive) and writing the rows " +
                            Duration(rebuild.seconds - Seconds(folded - start)) + "; it appended " +
                            std::to_string(appended_by_rebuild) +
                            " lifecycle events (0: it derived exactly what the daemon had).");
}

}  // namespace holdfast::bench
