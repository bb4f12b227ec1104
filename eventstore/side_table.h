// Side tables: the data other modules keep beside the log (projections, the audit log, the
// peers a node was told about), each in its own column family of the store, read and
// written only through these types. Nothing outside eventstore/ touches RocksDB.
//
//   SideTable        one module's family: Get, forward and backward scans by prefix.
//   SideTable::At..  the same reads from one frozen point in time (several reads that
//                    must agree: a listing's two passes).
//   SideBatch        puts and deletes over one or more side tables, written all or none
//                    by EventStore::Write, or joined to an append's own write.
//   TableFile        sorted rows for a bulk load: written to a file, then ingested with
//                    other files in one atomic step (SideTable::Ingest). A reader sees
//                    the rows before or after, never a mixture.
//
// A family's key layout lives in one commented header of its module (keys.h lists them).
// A SideTable is a cheap handle, valid while its EventStore is open; copies share the
// snapshot they were made with. Thread-safe as RocksDB is: reads from any thread, batches
// built on one thread each.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eventstore/status.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
struct ReadOptions;
class SstFileWriter;
class WriteBatch;
}  // namespace rocksdb

namespace holdfast {

class EventStore;

class SideTable {
 public:
  SideTable() = default;  // no table: every read fails with Unavailable

  // The row under `key`; NotFound when there is none.
  Result<std::string> Get(std::string_view key) const;
  // Many rows at once (one sorted RocksDB MultiGet): for each key its row or NotFound, in
  // the order of `keys`.
  std::vector<Result<std::string>> GetMany(const std::vector<std::string>& keys) const;

  // fn(key, value) for every row whose key starts with `prefix`, in key order, starting at
  // `start` when it is given (and sorts after the prefix), until fn returns false. The views
  // are valid only during the call.
  using RowFn = std::function<bool(std::string_view key, std::string_view value)>;
  Status Scan(std::string_view prefix, const RowFn& fn, std::string_view start = {}) const;
  // The same in reverse key order, from the last row with `prefix` whose key sorts before
  // `before` (every row with the prefix when `before` is empty).
  Status ScanBackward(std::string_view prefix, std::string_view before, const RowFn& fn) const;

  // This table as it is now: reads through the copy ignore later writes. The snapshot is
  // released when the last copy goes.
  SideTable AtSnapshot() const;

  // Replaces every row in [from, to) with the rows of `files` (made by TableFile for this
  // table), in one step that a reader or a crash sees whole or not at all. The files are
  // moved into the store. Each file must hold its own range deletion of the rows it
  // replaces (TableFile::DeleteRange).
  Status Ingest(const std::vector<std::string>& files) const;

  // A path in the store's directory for a table file of this table's (removed by Ingest).
  std::string ScratchPath(std::string_view name) const;

  explicit operator bool() const { return cf_ != nullptr; }

 private:
  friend class EventStore;
  friend class SideBatch;
  friend class TableFile;
  struct Snapshot;
  SideTable(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) : db_(db), cf_(cf) {}
  rocksdb::ReadOptions ReadOptions() const;  // at the snapshot, if any

  rocksdb::DB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* cf_ = nullptr;
  std::shared_ptr<Snapshot> snapshot_;
};

// Writes to side tables, all or none: EventStore::Write(&batch), or joined to an append.
class SideBatch {
 public:
  SideBatch();
  ~SideBatch();
  SideBatch(SideBatch&&) noexcept;
  SideBatch& operator=(SideBatch&&) noexcept;

  void Put(const SideTable& table, std::string_view key, std::string_view value);
  void Delete(const SideTable& table, std::string_view key);
  // Every row with from <= key < to.
  void DeleteRange(const SideTable& table, std::string_view from, std::string_view to);
  // The writes so far (puts, deletes and range deletions).
  size_t size() const;
  bool empty() const { return size() == 0; }
  void Clear();

 private:
  friend class EventStore;
  std::unique_ptr<rocksdb::WriteBatch> batch_;
};

// Sorted rows for one side table, written to a file for SideTable::Ingest: bloom filters on
// whole keys (every projection read is a point read or a prefix scan), uncompressed
// (compaction compresses later). Puts must come in strictly increasing key order.
class TableFile {
 public:
  static Result<std::unique_ptr<TableFile>> Create(const SideTable& table, std::string path);
  ~TableFile();

  Status Put(std::string_view key, std::string_view value);
  // Deletes every older row with from <= key < to when the file is ingested.
  Status DeleteRange(std::string_view from, std::string_view to);
  Status Finish();
  const std::string& path() const { return path_; }

 private:
  TableFile() = default;
  std::string path_;
  std::unique_ptr<rocksdb::SstFileWriter> writer_;
};

}  // namespace holdfast
