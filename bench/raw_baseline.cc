#include "bench/raw_baseline.h"

#include <algorithm>
#include <filesystem>

#include "bench/raw_log.h"
#include "bench/subprocess.h"
#include "eventstore/keys.h"

namespace holdfast::bench {
namespace {

bool IsAlertLifecycle(schema::Event::Reader e) {
  return e.isAlertRaised() || e.isAlertAcknowledged() || e.isAlertResolved() ||
         e.isAlertWithdrawn();
}

}  // namespace

std::unique_ptr<EventStore> OpenStore(const std::string& store_dir) {
  StoreOptions options;
  options.create_if_missing = false;
  auto opened = EventStore::Open(store_dir, options);
  if (!opened.ok()) Die("EventStore::Open(" + store_dir + "): " + opened.status().ToString());
  return std::move(opened.value());
}

LogValues ReadLogValues(EventStore* store, uint64_t through, bool skip_alerts) {
  if (through == 0) through = store->LastPosition();
  std::vector<bool> skip(through + 1, false);
  if (skip_alerts) {
    Status s = store->ScanLog(0, [&](uint64_t position, schema::Event::Reader e) {
      if (position > through) return false;
      skip[position] = IsAlertLifecycle(e);
      return true;
    });
    if (!s.ok()) Die("EventStore::ScanLog: " + s.ToString());
  }
  auto family = store->ColumnFamily(keys::kLogFamily);
  if (!family.ok()) Die("EventStore::ColumnFamily(log): " + family.status().ToString());
  LogValues out;
  out.values.reserve(through);
  std::unique_ptr<rocksdb::Iterator> it(store->db()->NewIterator(rocksdb::ReadOptions(), *family));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const uint64_t position = keys::DecodeFixed64BE(it->key().data());
    if (position > through) break;
    if (skip[position]) continue;
    out.values.push_back(it->value().ToString());
    out.bytes += it->value().size();
  }
  if (!it->status().ok()) Die("reading the store's log: " + it->status().ToString());
  return out;
}

Throughput RawBatchedWrite(const std::string& dir, const LogValues& values) {
  Throughput t;
  {
    RawLogOptions options;
    options.sync = true;
    RawLog raw(dir, options);
    const double cpu_start = ProcessCpuSeconds();
    const auto start = Clock::now();
    for (size_t first = 0; first < values.values.size(); first += kRawBatchEvents) {
      raw.Append(values.values, first, std::min(kRawBatchEvents, values.values.size() - first));
    }
    t = {values.values.size(), values.bytes, Seconds(Clock::now() - start),
         ProcessCpuSeconds() - cpu_start};
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return t;
}

RawBaseline MeasureRawBaseline(const std::string& dir, const LogValues& values, int runs) {
  std::vector<Throughput> all;
  for (int i = 0; i < runs; ++i) all.push_back(RawBatchedWrite(dir, values));
  std::sort(all.begin(), all.end(), [](const Throughput& a, const Throughput& b) {
    return a.EventsPerSecond() < b.EventsPerSecond();
  });
  return {all[all.size() / 2], all.front().EventsPerSecond(), all.back().EventsPerSecond(), runs};
}

std::string RawBaseline::Describe(bool with_megabytes) const {
  std::string text =
      "raw RocksDB, same event bytes, batches of 1024, sync: " + Grouped(median.EventsPerSecond()) +
      " events/s";
  if (with_megabytes) text += ", " + Fixed(median.MegabytesPerSecond(), 1) + " MB/s";
  text += " (" + Fixed(median.seconds, 2) + " s";
  if (runs > 1) {
    text += "; median of " + std::to_string(runs) + " runs, " + Grouped(slowest_events_per_second) +
            " to " + Grouped(fastest_events_per_second);
  }
  return text + ")";
}

}  // namespace holdfast::bench
