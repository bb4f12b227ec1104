#include "eventstore/floors/raw_log.h"

#include <rocksdb/db.h>
#include <rocksdb/table.h>
#include <rocksdb/version.h>
#include <rocksdb/write_batch.h>

#include <cstdio>
#include <cstdlib>

#include "eventstore/internals.h"
#include "eventstore/keys.h"
#include "eventstore/rocks_status.h"

namespace holdfast::bench {
namespace {

void Check(const Status& s) {
  if (s.ok()) return;
  std::fprintf(stderr, "raw RocksDB: %s\n", s.ToString().c_str());
  std::exit(1);
}

void Check(const rocksdb::Status& s, const char* what) { Check(FromRocks(s, what)); }

}  // namespace

struct RawLog::Db {
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::WriteOptions write_options;
  rocksdb::ReadOptions scan_options;
};

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
  db_ = std::make_unique<Db>();
  db_->db.reset(raw);
  db_->write_options.sync = options.sync;
  db_->scan_options.readahead_size = options.scan_readahead_bytes;
}

RawLog::~RawLog() {
  if (db_ && db_->db) db_->db->Close();
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
  Check(db_->db->Write(db_->write_options, &batch), "write");
}

void RawLog::Write(const std::vector<std::pair<std::string, std::string>>& rows) {
  rocksdb::WriteBatch batch;
  for (const auto& [key, value] : rows) batch.Put(key, value);
  Check(db_->db->Write(db_->write_options, &batch), "write");
}

void RawLog::Flush() { Check(db_->db->Flush(rocksdb::FlushOptions()), "flush"); }

uint64_t RawLog::Scan(uint64_t* bytes) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(db_->scan_options));
  uint64_t entries = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ++entries;
    *bytes += it->value().size();
  }
  Check(it->status(), "scan");
  return entries;
}

void RawLog::WaitForBackgroundWork() const {
  Check(EventStoreInternals::WaitForBackgroundWork(db_->db.get()));
}

std::string RocksDbVersion() {
  return std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR) + "." +
         std::to_string(ROCKSDB_PATCH);
}

void WaitForBackgroundWork(const EventStore& store) { Check(store.WaitForBackgroundWork()); }

}  // namespace holdfast::bench
