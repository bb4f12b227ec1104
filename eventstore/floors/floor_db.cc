#include "eventstore/floors/floor_db.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "eventstore/keys.h"
#include "eventstore/rocks_status.h"

namespace holdfast::bench {

struct FloorDb::Db {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  bool store_layout = false;
};

FloorDb::FloorDb(std::unique_ptr<Db> db) : db_(std::move(db)) {}

FloorDb::~FloorDb() { Close().IgnoreError(); }  // a caller that cares calls Close itself

Result<std::unique_ptr<FloorDb>> FloorDb::Open(const std::string& dir, bool store_layout) {
  rocksdb::Options options;  // the raw log's options (floors/raw_log.h) for the events
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
  if (store_layout) {
    families.emplace_back("origins", index);
    families.emplace_back("streams", index);
  }
  auto db = std::make_unique<Db>();
  db->store_layout = store_layout;
  rocksdb::DB* raw = nullptr;
  HOLDFAST_RETURN_IF_ERROR(
      FromRocks(rocksdb::DB::Open(options, dir, families, &db->families, &raw), "open " + dir));
  db->db.reset(raw);
  return std::unique_ptr<FloorDb>(new FloorDb(std::move(db)));
}

Status FloorDb::WriteBatch(const std::vector<std::string>& values,
                           const std::vector<FloorKeys>& all_keys, size_t first, size_t end) {
  static const rocksdb::ReadOptions read;
  rocksdb::WriteOptions sync;
  sync.sync = true;
  const auto& cf = db_->families;
  rocksdb::WriteBatch batch;
  std::string key, found;
  for (size_t i = first; i < end; ++i) {
    const FloorKeys& k = all_keys[i];
    if (!db_->db->Get(read, cf[1], k.id, &found).IsNotFound()) {
      return Status::InvalidArgument("raw floor: a repeated id");
    }
    key.clear();
    keys::PutFixed64BE(&key, i + 1);
    HOLDFAST_RETURN_IF_ERROR(FromRocks(batch.Put(cf[0], key, values[i]), "put"));
    HOLDFAST_RETURN_IF_ERROR(FromRocks(batch.Put(cf[1], k.id, key), "put"));
    if (db_->store_layout) {
      HOLDFAST_RETURN_IF_ERROR(FromRocks(batch.Put(cf[2], k.origin, key), "put"));
      HOLDFAST_RETURN_IF_ERROR(FromRocks(batch.Put(cf[3], k.stream, key), "put"));
    }
  }
  return FromRocks(db_->db->Write(sync, &batch), "write");
}

Status FloorDb::Close() {
  if (!db_ || !db_->db) return Status::Ok();
  for (auto* handle : db_->families) {
    HOLDFAST_RETURN_IF_ERROR(FromRocks(db_->db->DestroyColumnFamilyHandle(handle), "close"));
  }
  db_->families.clear();
  Status closed = FromRocks(db_->db->Close(), "close");
  db_->db.reset();
  return closed;
}

}  // namespace holdfast::bench
