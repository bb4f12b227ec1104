#include "bench/raw_log.h"

#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "eventstore/keys.h"

namespace holdfast::bench {
namespace {

void Check(const rocksdb::Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "raw RocksDB: %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

}  // namespace

RawLog::RawLog(const std::string& dir, const RawLogOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  if (options.block_cache_bytes > 0) {
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
    db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  }
  rocksdb::DB* raw = nullptr;
  Check(options.read_only ? rocksdb::DB::OpenForReadOnly(db_options, dir, &raw)
                          : rocksdb::DB::Open(db_options, dir, &raw),
        "open");
  db_.reset(raw);
  write_options_.sync = options.sync;
  scan_options_.readahead_size = options.scan_readahead_bytes;
}

RawLog::~RawLog() {
  if (db_) db_->Close();
}

void RawLog::Append(const std::vector<std::string>& values, size_t first, size_t count) {
  uint64_t seq = next_seq_.fetch_add(count, std::memory_order_relaxed);
  rocksdb::WriteBatch batch;
  std::string key;
  for (size_t i = first; i < first + count; ++i) {
    key.clear();
    keys::PutFixed64BE(&key, seq++);
    batch.Put(key, values[i]);
  }
  Check(db_->Write(write_options_, &batch), "write");
}

void RawLog::Write(rocksdb::WriteBatch* batch) {
  Check(db_->Write(write_options_, batch), "write");
}

void RawLog::Flush() { Check(db_->Flush(rocksdb::FlushOptions()), "flush"); }

uint64_t RawLog::Scan(uint64_t* bytes) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(scan_options_));
  uint64_t entries = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ++entries;
    *bytes += it->value().size();
  }
  Check(it->status(), "scan");
  return entries;
}

void WaitForBackgroundWork(rocksdb::DB* db) {
  using P = rocksdb::DB::Properties;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (std::chrono::steady_clock::now() < deadline) {
    uint64_t busy = 0;
    for (const auto* property : {&P::kMemTableFlushPending, &P::kNumRunningFlushes,
                                 &P::kCompactionPending, &P::kNumRunningCompactions}) {
      uint64_t value = 0;
      if (db->GetAggregatedIntProperty(*property, &value)) busy += value;
    }
    if (busy == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace holdfast::bench
