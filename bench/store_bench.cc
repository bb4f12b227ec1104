// holdfast_bench: durable append and scan throughput of the EventStore against raw RocksDB,
// measured in the same run, on the same disk, with events of the same kind.
//
//   holdfast_bench --dir=DIR [--quick] [--seconds=S] [--rounds=N] [--workloads=1,2,...]
//                  [--keep]
//
// Each append workload runs for S seconds on each side, N rounds, the side that goes first
// alternating (a shared VM disk drifts; interleaving keeps the drift out of the ratio). The
// store gets fresh events through EventStore::Append (validation, id/origin/stream indexes,
// group commit); the baseline (bench/raw_log.h) gets encoded events of the same kind, one
// WriteBatch per append. WAL synced on every write on both sides. Events are built and
// encoded before the clock starts. The report is Markdown on stdout; progress on stderr.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench/attendance_events.h"
#include "bench/report.h"
#include "bench/store_scan.h"
#include "eventstore/event_store.h"
#include "eventstore/floors/raw_log.h"
#include "eventstore/hlc.h"
#include "eventstore/ids.h"
#include "eventstore/keys.h"

namespace holdfast::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kNodeId = "bench-node";
constexpr size_t kRawPoolEvents = 1 << 16;      // distinct encoded events the baseline cycles
constexpr size_t kMaxChunkEvents = 256 * 1024;  // events the store side builds at a time

struct Options {
  std::string dir;
  double seconds = 2;  // per side, per round, per append workload
  int rounds = 4;
  std::set<int> workloads;  // 1-based; empty means all
  bool keep = false;        // leave the databases in dir
};

struct Workload {
  const char* name;
  int threads;
  size_t batch;  // events per append
};

const Workload kAppendWorkloads[] = {
    {"1 event/append, 1 caller", 1, 1},
    {"1 event/append, 8 callers", 8, 1},
    {"64 events/append, 1 caller", 1, 64},
    {"1024 events/append, 1 caller", 1, 1024},
};
constexpr int kScanWorkload = 5;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "holdfast_bench: %s\n", message.c_str());
  std::exit(1);
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

struct Timed {
  size_t appends = 0;  // completed
  double seconds = 0;
  double cpu_seconds = 0;
};

// Calls append(i) for i in [0, appends) from `threads` threads, each taking the next index,
// until they are all done or `seconds` have passed.
template <typename AppendFn>
Timed RunAppends(size_t appends, int threads, double seconds, AppendFn append) {
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  const double cpu_start = ProcessCpuSeconds();
  const auto start = Clock::now();
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  auto worker = [&] {
    for (size_t i; Clock::now() < deadline && (i = next.fetch_add(1)) < appends;) {
      append(i);
      done.fetch_add(1, std::memory_order_relaxed);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  return {done.load(), Seconds(Clock::now() - start), ProcessCpuSeconds() - cpu_start};
}

// The store side of a workload. Events can go into the store only once, so they are built in
// chunks sized from the rate seen so far; the clock runs only while appending.
class StoreSide {
 public:
  StoreSide(EventStore* store, AttendanceEvents* events) : store_(store), events_(events) {}

  // Appends for `seconds`; the bytes are filled in later from the log (see LogBytes).
  Throughput Measure(const Workload& w, double seconds, double* appends_per_second) {
    Throughput total;
    double remaining = seconds;
    while (remaining > 0.01) {
      size_t appends = *appends_per_second > 0
                           ? static_cast<size_t>(*appends_per_second * remaining * 1.25) + 1
                           : std::max<size_t>(16, 4096 / w.batch);
      appends =
          std::clamp<size_t>(appends, w.threads, std::max<size_t>(1, kMaxChunkEvents / w.batch));
      std::vector<std::vector<Event>> batches(appends);
      for (auto& batch : batches) {
        batch.reserve(w.batch);
        for (size_t j = 0; j < w.batch; ++j) batch.push_back(events_->Next());
      }
      Timed t = RunAppends(appends, w.threads, remaining, [&](size_t i) {
        auto result = store_->Append(std::move(batches[i]));
        if (!result.ok()) Die("EventStore::Append: " + result.status().ToString());
        for (const auto& e : result->events) {
          if (e.duplicate) Die("EventStore::Append reported a fresh event as a duplicate");
        }
      });
      total.events += t.appends * w.batch;
      total.seconds += t.seconds;
      total.cpu_seconds += t.cpu_seconds;
      remaining -= t.seconds;
      *appends_per_second = total.events / w.batch / total.seconds;
    }
    return total;
  }

 private:
  EventStore* store_;
  AttendanceEvents* events_;
};

// The baseline side: cycles through a pool of encoded events under ever new keys.
class RawSide {
 public:
  RawSide(RawLog* raw, AttendanceEvents* events) : raw_(raw) {
    pool_.reserve(kRawPoolEvents);
    prefix_bytes_.push_back(0);
    const uint64_t recorded_at = HlcPack(SystemWallClockMs(), 0);
    for (size_t i = 0; i < kRawPoolEvents; ++i) {
      pool_.push_back(StampedBytes(events->Next(), kNodeId, i + 1, recorded_at + i));
      prefix_bytes_.push_back(prefix_bytes_.back() + pool_.back().size());
    }
  }

  Throughput Measure(const Workload& w, double seconds) {
    if (kRawPoolEvents % w.batch != 0) Die("a batch must divide the raw pool");
    std::atomic<uint64_t> bytes{0};
    Timed t = RunAppends(SIZE_MAX, w.threads, seconds, [&](size_t i) {
      const size_t first = i * w.batch % kRawPoolEvents;
      raw_->Append(pool_, first, w.batch);
      bytes.fetch_add(prefix_bytes_[first + w.batch] - prefix_bytes_[first],
                      std::memory_order_relaxed);
    });
    return {t.appends * w.batch, bytes.load(), t.seconds, t.cpu_seconds};
  }

 private:
  RawLog* raw_;
  std::vector<std::string> pool_;
  std::vector<uint64_t> prefix_bytes_;  // prefix_bytes_[i]: bytes of pool_[0, i)
};

// Copies the store's log, keys and bytes as they are, into `copy` (when not null), and
// returns the log's cumulative value sizes: result[p] is the bytes of positions 1..p.
std::vector<uint64_t> LogBytes(EventStore* store, RawLog* copy) {
  Status flushed = store->Flush();
  if (!flushed.ok()) Die("flushing the store: " + flushed.ToString());

  std::vector<uint64_t> prefix{0};
  prefix.reserve(store->LastPosition() + 1);
  std::vector<std::pair<std::string, std::string>> rows;
  Status read = store->ScanLogBytes(0, [&](uint64_t position, std::string_view bytes) {
    if (position != prefix.size()) Die("a gap in the store's log");
    prefix.push_back(prefix.back() + bytes.size());
    if (copy == nullptr) return true;
    rows.emplace_back(keys::LogKey(position), bytes);
    if (rows.size() >= 4096) {
      copy->Write(rows);
      rows.clear();
    }
    return true;
  });
  if (!read.ok()) Die("reading the store's log: " + read.ToString());
  if (copy != nullptr) {
    if (!rows.empty()) copy->Write(rows);
    copy->Flush();
  }
  return prefix;
}

Throughput StoreScan(const EventStore& store, uint64_t log_bytes) {
  std::string error;
  const Throughput t = TimeStoreScan(store, log_bytes, &error);
  if (!error.empty()) Die(error);
  return t;
}

Throughput RawScan(const RawLog& raw) {
  uint64_t bytes = 0;
  const double cpu_start = ProcessCpuSeconds();
  const auto start = Clock::now();
  const uint64_t entries = raw.Scan(&bytes);
  return {entries, bytes, Seconds(Clock::now() - start), ProcessCpuSeconds() - cpu_start};
}

// The scan rows: the store's log against raw copies of it, read with RocksDB's default
// table settings and with the store's; five rounds, alternating, the best of each side.
std::vector<Row> MeasureScans(const EventStore& store, const std::string& copy_dir,
                              uint64_t log_bytes) {
  RawLogOptions plain;
  plain.read_only = true;
  RawLogOptions tuned = plain;
  tuned.block_cache_bytes = StoreOptions().block_cache_bytes;
  tuned.scan_readahead_bytes = 2u << 20;  // as EventStore::ScanLog
  const RawLog plain_copy(copy_dir, plain);
  const RawLog tuned_copy(copy_dir, tuned);

  std::vector<Row> rows(2);
  rows[0].name = "full log scan";
  rows[1].name = "full log scan (raw with the store's block cache and readahead)";
  const RawLog* copies[] = {&plain_copy, &tuned_copy};
  for (int round = 1; round <= 5; ++round) {
    std::fprintf(stderr, "[scan] round %d\n", round);
    for (int i = 0; i < 2; ++i) {
      Throughput s = StoreScan(store, log_bytes);
      Throughput r = RawScan(*copies[i]);
      Row& row = rows[i];
      if (round == 1 || s.seconds < row.store.seconds) row.store = s;
      if (round == 1 || r.seconds < row.raw.seconds) row.raw = r;
      row.round_ratios.push_back(Ratio(s, r));
      if (s.events != store.LastPosition() || r.events != s.events) {
        Die("the scans saw " + std::to_string(s.events) + " and " + std::to_string(r.events) +
            " events; the log holds " + std::to_string(store.LastPosition()));
      }
    }
  }
  return rows;
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  if (const char* env = std::getenv("HOLDFAST_BENCH_SECONDS")) o.seconds = std::atof(env);
  if (const char* env = std::getenv("HOLDFAST_BENCH_ROUNDS")) o.rounds = std::atoi(env);
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* flag) -> const char* {
      const std::string prefix = std::string(flag) + "=";
      return arg.rfind(prefix, 0) == 0 ? argv[i] + prefix.size() : nullptr;
    };
    if (const char* v = value("--dir")) {
      o.dir = v;
    } else if (const char* v = value("--seconds")) {
      o.seconds = std::atof(v);
    } else if (const char* v = value("--rounds")) {
      o.rounds = std::atoi(v);
    } else if (const char* v = value("--workloads")) {
      for (const char* p = v; *p;) {
        char* end;
        const long n = std::strtol(p, &end, 10);
        if (end == p || n < 1 || n > kScanWorkload) Die("--workloads takes numbers 1 to 5");
        o.workloads.insert(static_cast<int>(n));
        p = *end == ',' ? end + 1 : end;
      }
    } else if (arg == "--quick") {
      o.seconds = 1;
      o.rounds = 1;
    } else if (arg == "--keep") {
      o.keep = true;
    } else {
      Die("usage: holdfast_bench --dir=DIR [--quick] [--seconds=S] [--rounds=N] "
          "[--workloads=1,2,3,4,5] [--keep]\n"
          "  HOLDFAST_BENCH_SECONDS and HOLDFAST_BENCH_ROUNDS set the defaults");
    }
  }
  if (o.dir.empty()) Die("--dir=DIR is required (an empty directory on the disk to measure)");
  if (!(o.seconds > 0) || o.rounds < 1) Die("seconds and rounds must be positive");
  if (o.workloads == std::set<int>{kScanWorkload}) Die("the scan needs an append workload too");
  return o;
}

int Main(int argc, char** argv) {
  const Options options = ParseOptions(argc, argv);
  auto selected = [&](int n) { return options.workloads.empty() || options.workloads.count(n); };
  const std::string store_dir = options.dir + "/holdfast";
  const std::string raw_dir = options.dir + "/raw";
  const std::string scan_dir = options.dir + "/raw-scan";
  for (const auto& d : {store_dir, raw_dir, scan_dir}) {
    if (std::filesystem::exists(d)) Die(d + " already exists; give an empty --dir");
  }

  StoreOptions store_options;
  store_options.node_id = kNodeId;
  store_options.sync = true;
  auto opened = EventStore::Open(store_dir, store_options);
  if (!opened.ok()) Die("EventStore::Open: " + opened.status().ToString());
  std::unique_ptr<EventStore> store = std::move(opened.value());
  auto raw = std::make_unique<RawLog>(raw_dir, RawLogOptions());

  AttendanceEvents events(1000);
  std::fprintf(stderr, "preparing %zu encoded events for raw RocksDB...\n", kRawPoolEvents);
  StoreSide store_side(store.get(), &events);
  RawSide raw_side(raw.get(), &events);

  Report report;
  report.date = UtcNow();
  report.machine = DescribeMachine(options.dir);
  report.load = LoadAverage();
  report.seconds = options.seconds;
  report.rounds = options.rounds;

  // The store's measurements cover log positions (first, last]; their bytes come later.
  struct StoreSpan {
    size_t row;
    uint64_t first, last;
  };
  std::vector<StoreSpan> spans;
  int order = 0;
  uint64_t raw_events = 0, raw_bytes = 0;
  for (int n = 1; n <= 4; ++n) {
    if (!selected(n)) continue;
    const Workload& w = kAppendWorkloads[n - 1];
    Row row;
    row.name = w.name;
    double store_rate = 0;
    for (int round = 1; round <= options.rounds; ++round) {
      Throughput s, r;
      // Each side starts with both databases idle: no flush or compaction of the other
      // side's writes runs on its time (its own background work does).
      auto settle = [&] {
        WaitForBackgroundWork(*store);
        raw->WaitForBackgroundWork();
      };
      auto run_store = [&] {
        settle();
        std::fprintf(stderr, "[%s] round %d: holdfast EventStore\n", w.name, round);
        const uint64_t before = store->LastPosition();
        s = store_side.Measure(w, options.seconds, &store_rate);
        spans.push_back({report.rows.size(), before, store->LastPosition()});
      };
      auto run_raw = [&] {
        settle();
        std::fprintf(stderr, "[%s] round %d: raw RocksDB\n", w.name, round);
        r = raw_side.Measure(w, options.seconds);
      };
      if (order++ % 2 == 0) {
        run_store();
        run_raw();
      } else {
        run_raw();
        run_store();
      }
      row.store += s;
      row.raw += r;
      row.round_ratios.push_back(Ratio(s, r));
    }
    raw_events += row.raw.events;
    raw_bytes += row.raw.bytes;
    report.rows.push_back(row);
  }
  raw.reset();

  // The scan compares like with like: the store's log against a raw copy of its keys and
  // bytes, both flushed to table files (as a log that has outgrown its memtable).
  std::fprintf(stderr, "[scan] copying the store's log for raw RocksDB...\n");
  std::unique_ptr<RawLog> copy;
  if (selected(kScanWorkload)) {
    RawLogOptions copy_options;
    copy_options.sync = false;
    copy = std::make_unique<RawLog>(scan_dir, copy_options);
  }
  const std::vector<uint64_t> log_bytes = LogBytes(store.get(), copy.get());
  copy.reset();
  for (const StoreSpan& span : spans) {
    report.rows[span.row].store.bytes += log_bytes[span.last] - log_bytes[span.first];
  }
  report.store_event_bytes =
      store->LastPosition() ? double(log_bytes.back()) / store->LastPosition() : 0;
  report.raw_event_bytes = raw_events ? double(raw_bytes) / raw_events : 0;
  if (selected(kScanWorkload)) {
    WaitForBackgroundWork(*store);
    for (Row& row : MeasureScans(*store, scan_dir, log_bytes.back())) report.rows.push_back(row);
    report.scanned_events = store->LastPosition();
  }
  report.load += " before, " + LoadAverage() + " after";

  store.reset();
  if (!options.keep) {
    std::error_code ignored;
    for (const auto& d : {store_dir, raw_dir, scan_dir}) std::filesystem::remove_all(d, ignored);
  }
  PrintReport(report);
  return 0;
}

}  // namespace
}  // namespace holdfast::bench

int main(int argc, char** argv) { return holdfast::bench::Main(argc, argv); }
