#include "bench/raw_baseline.h"

#include <algorithm>
#include <filesystem>
#include <unordered_map>

#include "bench/subprocess.h"
#include "eventstore/floors/floor_db.h"
#include "eventstore/floors/raw_log.h"
#include "eventstore/keys.h"

namespace holdfast::bench {
namespace {

bool IsAlertLifecycle(schema::Event::Reader e) {
  return e.isAlertRaised() || e.isAlertAcknowledged() || e.isAlertResolved() ||
         e.isAlertWithdrawn();
}

std::vector<FloorKeys> FloorKeysOf(const LogValues& values) {
  std::vector<FloorKeys> out;
  out.reserve(values.values.size());
  std::unordered_map<std::string, uint64_t> versions;
  for (const auto& value : values.values) {
    auto decoded = StoredEvent::Decode(value);
    if (!decoded.ok()) Die("decoding a log value: " + decoded.status().ToString());
    auto e = decoded->reader();
    const std::string stream = StreamOf(e);
    auto p = e.getProvenance();
    out.push_back({keys::IdKey(ToUuid(e.getId())),
                   keys::OriginKey(p.getOrigin().cStr(), p.getSeq()),
                   keys::StreamKey(stream, ++versions[stream])});
  }
  return out;
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
  LogValues out;
  out.values.reserve(through);
  Status read = store->ScanLogBytes(0, [&](uint64_t position, std::string_view bytes) {
    if (position > through) return false;
    if (!skip[position]) {
      out.values.emplace_back(bytes);
      out.bytes += bytes.size();
    }
    return true;
  });
  if (!read.ok()) Die("reading the store's log: " + read.ToString());
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

namespace {

Throughput RawFloorWrite(const std::string& dir, const LogValues& values,
                         const std::vector<FloorKeys>& all_keys, StoreFloor floor) {
  const bool layout = floor == StoreFloor::kStoreLayout;
  Throughput t;
  {
    auto db = FloorDb::Open(dir, layout);
    if (!db.ok()) Die("raw RocksDB floor: " + db.status().ToString());
    const double cpu_start = ProcessCpuSeconds();
    const auto start = Clock::now();
    for (size_t first = 0; first < values.values.size(); first += kRawBatchEvents) {
      const size_t end = std::min(values.values.size(), first + kRawBatchEvents);
      Status written = (*db)->WriteBatch(values.values, all_keys, first, end);
      if (!written.ok()) Die("raw RocksDB floor: " + written.ToString());
    }
    t = {values.values.size(), values.bytes, Seconds(Clock::now() - start),
         ProcessCpuSeconds() - cpu_start};
    Status closed = (*db)->Close();
    if (!closed.ok()) Die("raw RocksDB floor: " + closed.ToString());
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return t;
}

}  // namespace

StoreFloors MeasureStoreFloors(const std::string& dir, const LogValues& values) {
  const std::vector<FloorKeys> all_keys = FloorKeysOf(values);
  return {RawFloorWrite(dir, values, all_keys, StoreFloor::kIdempotent),
          RawFloorWrite(dir, values, all_keys, StoreFloor::kStoreLayout)};
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
