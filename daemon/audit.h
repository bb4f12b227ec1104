// The audit log: who read or wrote case data through the daemon, with which verb, about
// which case, subject, stream or file, when, and whether it was allowed. Kept in its own
// RocksDB column family ("audit") beside the event log.
//
//   key:   unix nanoseconds (8 bytes BE) | counter (8 bytes BE)
//   value: user \t role \t verb \t target \t outcome
#pragma once

#include <rocksdb/db.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "eventstore/event_store.h"
#include "eventstore/status.h"

namespace holdfast {

struct AuditRecord {
  int64_t at = 0;  // unix nanoseconds
  std::string user, role, verb, target, outcome;
};

class AuditLog {
 public:
  // The audit log in the store's "audit" column family (created on first use).
  static Result<std::unique_ptr<AuditLog>> Open(EventStore* store);

  // Records one entry. Written with the WAL, not synced on its own: it reaches the disk with
  // the next synced append or within RocksDB's background flush.
  Status Record(const AuditRecord& record);
  // The most recent entries, newest first.
  Result<std::vector<AuditRecord>> Recent(size_t limit) const;

 private:
  AuditLog(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) : db_(db), cf_(cf) {}
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* cf_;
  std::atomic<uint64_t> counter_{0};
};

}  // namespace holdfast
