// EventStore: a node's durable, idempotent event log on RocksDB.
//
// Every event gets a position in this node's log (its arrival order here, 1, 2, 3, ...),
// is indexed by id, by (origin, seq) and by stream, and is never changed or removed.
// Local appends are stamped with this node's origin (its id; after a restore from a
// backup, a new one: see StartNewOrigin), the next sequence number of that origin and a
// hybrid-logical-clock `recorded_at`; events from peers keep theirs.
//
// Thread-safe. Concurrent Append/Insert calls are group-committed: one leader writes one
// RocksDB WriteBatch (one WAL fsync) for many callers, and each caller learns its own
// outcome. Note: an OK from Append or Insert means the events are durable (the WAL was
// synced) unless StoreOptions::sync was turned off.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "eventstore/event.h"
#include "eventstore/hlc.h"
#include "eventstore/side_table.h"
#include "eventstore/status.h"
#include "eventstore/version_vector.h"

namespace rocksdb {
class ColumnFamilyHandle;
struct ColumnFamilyOptions;
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace holdfast {

class WriteGate;

struct StoreOptions {
  // This node's id. Required when the store is created; must match on every later open
  // (empty on a later open means "whatever the store was created with").
  std::string node_id;
  // Sync the WAL before acknowledging. Turn off only in benchmarks that say so.
  bool sync = true;
  bool create_if_missing = true;
  HybridClock::WallClockMs wall_clock = SystemWallClockMs;
  size_t block_cache_bytes = 32u << 20;
  // The memtables of every column family together (RocksDB's db_write_buffer_size).
  size_t write_buffer_bytes = 48u << 20;
  // Writes are refused (Unavailable: "no space left on the device holding DIR ...") while
  // the file system holding the store has less free space than this, and resume by
  // themselves once it has it again: RocksDB then keeps room to flush what it holds in
  // memory, and seldom meets a full disk in the middle of a write. 0: only a full disk
  // stops writes. A full disk is survived either way (see CanWrite).
  uint64_t reserved_bytes = 128u << 20;
  // Where RocksDB's own log lines go (flushes, compactions, background errors), one line
  // each without its newline; only lines at kInfo and above are formatted. Null: dropped
  // (statuses carry what a caller needs). Never RocksDB's LOG file in the store: RocksDB
  // 7.8's file logger aborts the process once a write to that file has failed (a full disk).
  enum class LogLevel { kInfo, kWarn, kError };
  std::function<void(LogLevel level, std::string_view line)> log = nullptr;
};

// "The stream must be at exactly this version before my events are added" (0: must not
// exist yet). Protects a case's state changes from two writers who have not seen each
// other's events.
struct ExpectedVersion {
  std::string stream;
  uint64_t version = 0;
};

// Extra writes to the default (meta) column family, committed in the same atomic write as
// the events — for example a sync checkpoint.
using MetaWrites = std::vector<std::pair<std::string, std::string>>;

struct AppendedEvent {
  uint64_t position = 0;   // where the event is in this node's log
  bool duplicate = false;  // already held: nothing was written for it
};

struct AppendResult {
  std::vector<AppendedEvent> events;  // one per event given, in the same order
};

struct VerifyReport {
  uint64_t events = 0;
  std::vector<std::string> problems;  // empty when the store is sound
  bool ok() const { return problems.empty(); }
};

class EventStore {
 public:
  // Opens (or creates) the store in `dir`. Fails with Unavailable if another process has
  // it open, InvalidArgument if node_id does not match the store's or a newer holdfast wrote
  // it (a newer store format version, or a column family this build does not know). A store
  // of an older format is upgraded (keys.h lists the versions).
  static Result<std::unique_ptr<EventStore>> Open(const std::string& dir,
                                                  const StoreOptions& options);
  ~EventStore();
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  const std::string& node_id() const { return node_id_; }
  // The origin stamped on local events: the node id, or after a restore from a backup
  // "<node id>~<12 hex digits>" (see StartNewOrigin).
  const std::string& origin() const { return origin_; }

  // Local events from now on get a new origin, "<node id>~<12 random hex digits>", from
  // seq 1, recorded in the store. For a store restored from a backup: its own old origin's
  // later seqs may already be held by peers (given out after the backup was taken), so
  // reusing them would collide. Call before any concurrent use (holdfast store restore
  // does, with the daemon stopped). InvalidArgument if the node id is too long for it.
  Result<std::string> StartNewOrigin();

  // Appends locally authored events, all or none. Each must pass ValidateEvent and carry
  // no provenance (the store sets origin, seq and recorded_at). An id already held with the
  // same content is a no-op reported as duplicate with its existing position; the same id
  // with different content fails the whole call with Conflict. With `expected`, fails with
  // VersionConflict unless that stream is at that version.
  // `side`, when given, is written in the same atomic write (and not at all if the call
  // fails).
  Result<AppendResult> Append(std::vector<Event> events,
                              std::optional<ExpectedVersion> expected = std::nullopt,
                              const MetaWrites& meta = {}, const SideBatch* side = nullptr);

  // Inserts events that came from another node (sync, or an import of an export): each
  // must carry its provenance, which is kept; the clock merges its recorded_at. Idempotent
  // by id as Append. `meta` is written in the same atomic write (the sync checkpoint).
  // Note: an event whose (origin, seq) is held here by another event (or by another event
  // of the same call) fails the whole call with SeqConflict, naming both ids; call
  // FindSeqConflicts with the events' claims to learn which.
  Result<AppendResult> Insert(std::vector<Event> events, const MetaWrites& meta = {},
                              const SideBatch* side = nullptr);

  // The claims this store contradicts: it holds another event under that (origin, seq),
  // or two of the claims name one (origin, seq) with different ids. Claims on an
  // (origin, seq) not held here are no conflict. In the order of their (origin, seq).
  Result<std::vector<SeqConflict>> FindSeqConflicts(const std::vector<SeqClaim>& claims) const;

  // Point reads. NotFound when absent.
  Result<StoredEvent> Get(const Uuid& id) const;
  Result<StoredEvent> GetByOrigin(const std::string& origin, uint64_t seq) const;
  Result<StoredEvent> GetAt(uint64_t position) const;

  // Calls fn for each event after `after` in log order until fn returns false. The reader
  // is valid only during the call. Corruption if an event's bytes fail to decode.
  using ScanFn = std::function<bool(uint64_t position, schema::Event::Reader event)>;
  Status ScanLog(uint64_t after, const ScanFn& fn) const;
  // The same walk without decoding: each event's stored bytes (not word-aligned; decode a
  // word-aligned copy with DecodeEventWords), for callers that decode on another thread.
  using ScanBytesFn = std::function<bool(uint64_t position, std::string_view bytes)>;
  Status ScanLogBytes(uint64_t after, const ScanBytesFn& fn) const;
  // The events of one stream in stream order (see StreamOf).
  Status ScanStream(const std::string& stream, const ScanFn& fn) const;
  // The events of every stream whose name starts with `prefix` (e.g. "void/": every
  // record.voided), stream by stream in name order, each in stream order.
  Status ScanStreams(const std::string& prefix, const ScanFn& fn) const;
  uint64_t StreamVersion(const std::string& stream) const;

  // The position of the last event in the log (0 when empty).
  uint64_t LastPosition() const { return last_position_.load(std::memory_order_acquire); }
  VersionVector HighWaterMarks() const;
  // Per origin, the highest seq n such that every event 1..n of that origin is held: what a
  // peer may safely skip sending. Kept up to date as events are committed (rebuilt at Open),
  // so this copies one entry per origin and reads nothing (docs/decisions.md, "Contiguous
  // marks kept by the store").
  VersionVector ContiguousMarks() const;
  // A meta value written through MetaWrites; NotFound if absent.
  Result<std::string> GetMeta(const std::string& key) const;
  // Calls fn with each meta key starting with `prefix` (the prefix stripped) and its value,
  // in key order.
  Status ScanMeta(
      const std::string& prefix,
      const std::function<void(std::string_view key, std::string_view value)>& fn) const;

  // Walks the whole store: every log entry decodes and validates, and every index entry
  // agrees with the log (and the other way round): an id or (origin, seq) entry names an
  // event with that id or provenance, and no two events claim one (origin, seq).
  VerifyReport Verify() const;

  // Called after each successful commit with the new last position, on the committing
  // thread. Set it before concurrent use; it must not call back into Append.
  void SetCommitListener(std::function<void(uint64_t last_position)> listener);

  // A consistent copy of the store (a RocksDB checkpoint, copied) in the new directory
  // `dir`: mode 0700, files 0600, owned by this process's user, sharing no file with the
  // store. Safe while appending; backups take turns. `dir` appears whole or not at all.
  // InvalidArgument if `dir` exists or its parent is missing, not a directory or read-only;
  // PermissionDenied if this process may not write there.
  Status Backup(const std::string& dir) const;

  // OK while the store takes writes; otherwise Unavailable saying why not: the disk holding
  // it has less free space than StoreOptions::reserved_bytes, or a write failed there (a
  // full disk stops RocksDB). Every write fails fast meanwhile, with that status; reads go
  // on. A thread of the store's looks every 250 ms and, once the disk has room again,
  // resumes writing (RocksDB's DB::Resume). Nothing acknowledged is lost: a write that
  // failed is absent once writing resumes.
  Status CanWrite();
  // Called with CanWrite's refusal when the store stops taking writes and with OK when it
  // takes them again, on the store's own thread. Set it before concurrent use; it must not
  // write to the store.
  void SetWriteStateListener(std::function<void(const Status& writable)> listener);

  // For modules that keep their own data beside the log (projections, the audit log, the
  // peers): the named side table (side_table.h), created on first use, valid until the
  // store closes. Its writes share the log's WAL, so one write can span both.
  // InvalidArgument for a name not in keys::kModuleFamilies, which Open would refuse.
  Result<SideTable> Table(const std::string& name);
  // Writes a module's batch: refused as Append is while CanWrite is not OK, and a failure
  // stops writes as a failed Append does. `sync`: the WAL is synced before it returns.
  Status Write(const SideBatch& batch, bool sync = false);

  // What the store occupies now: its table files, and what it holds in memory (which the
  // WAL also holds on disk).
  struct Sizes {
    uint64_t table_file_bytes = 0;
    uint64_t memtable_bytes = 0;
  };
  Sizes ApproximateSizes() const;
  // Writes what the memtables hold to table files (the WAL has it already).
  Status Flush();
  // Waits (up to a minute) until no flush or compaction is running or pending, so that
  // what is measured next is not disturbed by them (the benchmarks).
  Status WaitForBackgroundWork() const;

 private:
  friend class EventStoreInternals;  // eventstore's own tests and floors (internals.h)

  struct Writer;
  struct GroupState;
  EventStore() = default;
  // Checks the store's format version against this build's, upgrading an older one.
  // ScanStream and ScanStreams: the events whose stream index keys start with `prefix`
  // (`one_stream`: all of one stream, so their positions rise).
  Status ScanStreamIndex(const std::string& prefix, const std::string& stream, bool one_stream,
                         const ScanFn& fn) const;
  Status UpgradeFormat(const std::string& dir);
  Status Load();
  Result<AppendResult> Commit(std::vector<Event> events, bool remote,
                              std::optional<ExpectedVersion> expected, const MetaWrites& meta,
                              const SideBatch* side);
  Status WriteRaw(rocksdb::WriteBatch* batch, bool sync, const char* what);
  Status PrepareWriter(Writer* w, GroupState* group);
  // The log positions of the events' ids (NotFound for an id not held), in event order,
  // looked up together with one sorted MultiGet.
  std::vector<Result<uint64_t>> FindPositions(const std::vector<Event>& events) const;
  Result<uint64_t> LoadStreamVersion(const std::string& stream, const GroupState& group);
  Result<StoredEvent> ReadPositionValue(rocksdb::ColumnFamilyHandle* cf,
                                        const std::string& key) const;
  // Open: the contiguous marks from the origin index (see the definition).
  Status LoadContiguousMarks();
  // The marks of the origins a committed group wrote, extended past its events (the leader,
  // after its write).
  VersionVector AdvanceMarks(const GroupState& group) const;

  std::unique_ptr<WriteGate> gate_;  // outlives db_: RocksDB's listener points into it
  std::string node_id_;
  std::string origin_;  // of local events (Load: the stored one, or the node id)
  StoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::mutex families_mu_;
  mutable std::mutex backup_mu_;
  std::unique_ptr<rocksdb::ColumnFamilyOptions> cf_options_;  // for modules' families
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* meta_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* log_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* ids_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* origins_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* streams_cf_ = nullptr;

  // Group commit queue (LevelDB's writers_ pattern): the writer at the front leads.
  std::mutex mu_;
  std::deque<Writer*> writers_;

  // Touched only by the current leader (or under mu_ between groups).
  uint64_t next_position_ = 1;
  uint64_t next_seq_ = 1;
  HybridClock clock_;
  std::unordered_map<std::string, uint64_t> stream_versions_;
  std::atomic<uint64_t> last_position_{0};

  mutable std::mutex hw_mu_;
  VersionVector high_water_;
  VersionVector contiguous_;  // ContiguousMarks: one entry per origin of high_water_
  std::function<void(uint64_t)> commit_listener_;
};

}  // namespace holdfast
