#include "bench/raw_baseline.h"

#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <unordered_map>

#include "bench/raw_log.h"
#include "bench/subprocess.h"
#include "eventstore/keys.h"

namespace holdfast::bench {
namespace {

bool IsAlertLifecycle(schema::Event::Reader e) {
  return e.isAlertRaised() || e.isAlertAcknowledged() || e.isAlertResolved() ||
         e.isAlertWithdrawn();
}

struct FloorKeys {
  std::string id, origin, stream;
};

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

void CheckRocks(const rocksdb::Status& s, const std::string& what) {
  if (!s.ok()) Die("raw RocksDB floor: " + what + ": " + s.ToString());
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

namespace {

Throughput RawFloorWrite(const std::string& dir, const LogValues& values,
                         const std::vector<FloorKeys>& all_keys, StoreFloor floor) {
  const bool layout = floor == StoreFloor::kStoreLayout;
  Throughput t;
  {
    rocksdb::Options options;  // the raw log's options (bench/raw_log.h) for the events
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    rocksdb::ColumnFamilyOptions index = options;
    rocksdb::BlockBasedTableOptions table;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    index.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    index.memtable_whole_key_filtering = true;
    index.memtable_prefix_bloom_size_ratio = 0.05;
    // The ids are random: a hash memtable inserts them without walking one big skiplist
    // (its sort moves to the flush, on another core). In this single-writer loop that is
    // the fastest id index found (1.1-1.4x a skiplist's rate), so the floor uses it.
    rocksdb::ColumnFamilyOptions ids = index;
    ids.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(8));
    ids.memtable_factory.reset(rocksdb::NewHashSkipListRepFactory(1 << 18));
    options.allow_concurrent_memtable_write = false;  // hash memtables need that
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, options}, {"ids", ids}};
    if (layout) {
      families.emplace_back("origins", index);
      families.emplace_back("streams", index);
    }
    std::vector<rocksdb::ColumnFamilyHandle*> cf;
    rocksdb::DB* raw = nullptr;
    CheckRocks(rocksdb::DB::Open(options, dir, families, &cf, &raw), "open");
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::WriteOptions sync;
    sync.sync = true;
    const rocksdb::ReadOptions read;
    std::string key, found;
    const double cpu_start = ProcessCpuSeconds();
    const auto start = Clock::now();
    for (size_t first = 0; first < values.values.size(); first += kRawBatchEvents) {
      const size_t end = std::min(values.values.size(), first + kRawBatchEvents);
      rocksdb::WriteBatch batch;
      for (size_t i = first; i < end; ++i) {
        const FloorKeys& k = all_keys[i];
        if (!db->Get(read, cf[1], k.id, &found).IsNotFound()) Die("raw floor: a repeated id");
        key.clear();
        keys::PutFixed64BE(&key, i + 1);
        CheckRocks(batch.Put(cf[0], key, values.values[i]), "put");
        CheckRocks(batch.Put(cf[1], k.id, key), "put");
        if (layout) {
          CheckRocks(batch.Put(cf[2], k.origin, key), "put");
          CheckRocks(batch.Put(cf[3], k.stream, key), "put");
        }
      }
      CheckRocks(db->Write(sync, &batch), "write");
    }
    t = {values.values.size(), values.bytes, Seconds(Clock::now() - start),
         ProcessCpuSeconds() - cpu_start};
    for (auto* handle : cf) CheckRocks(db->DestroyColumnFamilyHandle(handle), "close");
    CheckRocks(db->Close(), "close");
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
