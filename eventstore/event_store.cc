#include "eventstore/event_store.h"

#include <capnp/message.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "eventstore/internals.h"
#include "eventstore/keys.h"
#include "eventstore/rocks_status.h"
#include "eventstore/store_files.h"
#include "eventstore/validate.h"
#include "eventstore/write_gate.h"

namespace holdfast {
namespace {

constexpr size_t kMaxGroupEvents = 4096;  // one WriteBatch never grows past this
constexpr size_t kStreamCacheLimit = 1u << 20;

struct UuidHash {
  size_t operator()(const Uuid& u) const { return std::hash<uint64_t>()(u.hi ^ (u.lo * 31)); }
};

// RocksDB's log, handed line by line to StoreOptions::log; with no log, dropped. What a
// caller needs comes back in the statuses; RocksDB's own LOG file must not be used (see
// StoreOptions::log).
class RocksLog : public rocksdb::Logger {
 public:
  using Sink = std::function<void(StoreOptions::LogLevel, std::string_view)>;
  // RocksDB formats only what is at or above the logger's level; the rest costs nothing.
  explicit RocksLog(Sink sink)
      : rocksdb::Logger(sink ? rocksdb::InfoLogLevel::INFO_LEVEL
                             : rocksdb::InfoLogLevel::HEADER_LEVEL),
        sink_(std::move(sink)) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (!sink_ || level < GetInfoLogLevel()) return;
    using L = StoreOptions::LogLevel;
    const L to = level >= rocksdb::InfoLogLevel::ERROR_LEVEL  ? L::kError
                 : level == rocksdb::InfoLogLevel::WARN_LEVEL ? L::kWarn
                                                              : L::kInfo;
    char line[2048];
    std::vsnprintf(line, sizeof line, format, ap);
    std::string_view text(line);
    while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    sink_(to, text);
  }

 private:
  Sink sink_;
};

// Copies a side batch's writes into the group's batch (RocksDB has no public append of
// one batch to another).
class CopyInto : public rocksdb::WriteBatch::Handler {
 public:
  CopyInto(rocksdb::WriteBatch* to, const std::vector<rocksdb::ColumnFamilyHandle*>& families)
      : to_(to), families_(families) {}
  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& key,
                        const rocksdb::Slice& value) override {
    return to_->Put(Family(cf), key, value);
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    return to_->Delete(Family(cf), key);
  }
  rocksdb::Status DeleteRangeCF(uint32_t cf, const rocksdb::Slice& from,
                                const rocksdb::Slice& to) override {
    return to_->DeleteRange(Family(cf), from, to);
  }

 private:
  rocksdb::ColumnFamilyHandle* Family(uint32_t id) const {
    for (auto* h : families_) {
      if (h->GetID() == id) return h;
    }
    return families_.front();  // unreachable: a side batch names only open families
  }
  rocksdb::WriteBatch* to_;
  const std::vector<rocksdb::ColumnFamilyHandle*>& families_;
};

// The event's content: everything but where and when it was stored.
kj::Array<capnp::word> ContentOf(schema::Event::Reader event) {
  capnp::MallocMessageBuilder message;
  message.setRoot(event);
  auto root = message.getRoot<schema::Event>();
  if (root.hasProvenance()) root.disownProvenance();
  if (root.hasSignature()) root.disownSignature();
  return capnp::canonicalize(root.asReader());
}

bool SameContent(schema::Event::Reader a, schema::Event::Reader b) {
  auto ca = ContentOf(a), cb = ContentOf(b);
  return ca.size() == cb.size() &&
         std::memcmp(ca.begin(), cb.begin(), ca.size() * sizeof(capnp::word)) == 0;
}

rocksdb::Slice AsSlice(const kj::Array<capnp::word>& words) {
  auto bytes = words.asBytes();
  return {reinterpret_cast<const char*>(bytes.begin()), bytes.size()};
}

bool IsModuleFamily(const std::string& name) {
  return std::any_of(keys::kModuleFamilies.begin(), keys::kModuleFamilies.end(),
                     [&](const char* known) { return name == known; });
}

bool HasPrefix(const rocksdb::Slice& s, const std::string& prefix) {
  return s.size() >= prefix.size() && std::memcmp(s.data(), prefix.data(), prefix.size()) == 0;
}

// Decodes log bytes into a reusable, word-aligned buffer and hands out a reader.
class LogEntryDecoder {
 public:
  Status Decode(const rocksdb::Slice& value, uint64_t position, const EventStore::ScanFn& fn,
                bool* keep_going) {
    if (value.size() == 0 || value.size() % sizeof(capnp::word) != 0) {
      return Status::Corruption("position " + std::to_string(position) +
                                ": event bytes are not a whole number of words");
    }
    const size_t n = value.size() / sizeof(capnp::word);
    if (words_.size() < n) words_ = kj::heapArray<capnp::word>(n);
    std::memcpy(words_.begin(), value.data(), value.size());
    Status s = DecodeEventWords(words_.slice(0, n).asConst(),
                                [&](schema::Event::Reader e) { *keep_going = fn(position, e); });
    if (!s.ok())
      return Status::Corruption("position " + std::to_string(position) + ": " + s.message());
    return Status::Ok();
  }

 private:
  // kj::Array, not std::vector: capnp::word cannot be moved, which clang's library checks.
  kj::Array<capnp::word> words_;
};

}  // namespace

struct EventStore::Writer {
  std::vector<Event> events;
  bool remote = false;
  std::optional<ExpectedVersion> expected;
  const MetaWrites* meta = nullptr;
  const SideBatch* side = nullptr;
  Status status;
  AppendResult out;
  bool done = false;
  std::condition_variable cv;
};

// What the group written so far holds, before it reaches RocksDB.
struct EventStore::GroupState {
  uint64_t next_position = 0;
  uint64_t next_seq = 0;
  std::unordered_map<Uuid, std::pair<uint64_t, const Event*>, UuidHash> ids;
  std::unordered_map<std::string, uint64_t> streams;  // stream -> version after the group
  std::map<std::pair<std::string, uint64_t>, Uuid> origin_seqs;  // -> the event's id
  std::map<std::string, uint64_t> high_water;
  // The writes, staged until the writer is known to succeed, so a refused writer adds
  // none, and so the index entries reach RocksDB in key order: consecutive skiplist
  // inserts then share most of their search path.
  std::vector<std::pair<uint64_t, kj::Array<capnp::word>>> put_log;
  using Puts = std::vector<std::pair<std::string, std::string>>;
  Puts put_ids, put_origins, put_streams, put_meta;
  std::vector<const SideBatch*> side;  // in the order of their writers

  void TakeWrites(GroupState* from) {
    auto move_all = [](auto* to, auto* src) {
      for (auto& e : *src) to->push_back(std::move(e));
      src->clear();
    };
    move_all(&put_log, &from->put_log);
    move_all(&put_ids, &from->put_ids);
    move_all(&put_origins, &from->put_origins);
    move_all(&put_streams, &from->put_streams);
    move_all(&put_meta, &from->put_meta);
    move_all(&side, &from->side);
  }
  // Writes everything staged into `batch`: the log in position order, then each index
  // sorted by key, then the meta entries in the order they were given.
  void Flush(rocksdb::WriteBatch* batch, rocksdb::ColumnFamilyHandle* log_cf,
             rocksdb::ColumnFamilyHandle* ids_cf, rocksdb::ColumnFamilyHandle* origins_cf,
             rocksdb::ColumnFamilyHandle* streams_cf, rocksdb::ColumnFamilyHandle* meta_cf) {
    for (const auto& [position, bytes] : put_log)
      batch->Put(log_cf, keys::LogKey(position), AsSlice(bytes));
    auto sorted = [batch](rocksdb::ColumnFamilyHandle* cf, Puts* puts) {
      std::sort(puts->begin(), puts->end());
      for (const auto& [key, value] : *puts) batch->Put(cf, key, value);
    };
    sorted(ids_cf, &put_ids);
    sorted(origins_cf, &put_origins);
    sorted(streams_cf, &put_streams);
    for (const auto& [key, value] : put_meta) batch->Put(meta_cf, key, value);
  }
};

Result<std::unique_ptr<EventStore>> EventStore::Open(const std::string& dir,
                                                     const StoreOptions& options) {
  std::unique_ptr<EventStore> store(new EventStore());
  store->options_ = options;
  store->clock_ = HybridClock(options.wall_clock);
  store->gate_ = std::make_unique<WriteGate>(dir, options.reserved_bytes);

  rocksdb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = true;
  // Also makes RocksDB stop writing after a failed WAL write (a full disk) rather than
  // write on after a torn record: the write gate resumes it.
  db_options.paranoid_checks = true;
  db_options.listeners.push_back(store->gate_->NewRocksListener());
  db_options.info_log = std::make_shared<RocksLog>(options.log);
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 4;

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Every memtable together stays under db_write_buffer_size (RocksDB flushes the largest
  // when they reach it), which bounds the daemon's memory however many families there are.
  db_options.db_write_buffer_size = options.write_buffer_bytes;
  // A family written rarely (meta) would otherwise keep every WAL file alive, and the next
  // open would replay them all.
  db_options.max_total_wal_size = options.write_buffer_bytes * 2;
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf_options.write_buffer_size = options.write_buffer_bytes / 2;
  // The index families are read by whole key, and most reads look for a key that is not
  // there (is this id new? does this stream exist?): a bloom filter over the memtable
  // answers those without walking its skiplist.
  rocksdb::ColumnFamilyOptions index_options = cf_options;
  index_options.memtable_whole_key_filtering = true;
  index_options.memtable_prefix_bloom_size_ratio = 0.05;

  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, cf_options},
      {keys::kLogFamily, cf_options},
      {keys::kIdsFamily, index_options},
      {keys::kOriginsFamily, index_options},
      {keys::kStreamsFamily, index_options},
  };
  // Open the families other modules created (projections, audit, peers) with the log's.
  // One named nowhere in keys.h was made by a newer holdfast, whose layout this one cannot
  // know: refused before anything is written.
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(db_options, dir, &existing).ok()) {
    for (const auto& name : existing) {
      bool known = std::any_of(families.begin(), families.end(),
                               [&](const auto& f) { return f.name == name; });
      if (known) continue;
      if (!IsModuleFamily(name)) {
        return Status::InvalidArgument(
            "the store in " + dir + " has a column family \"" + name +
            "\" that this holdfast (store format " + std::to_string(keys::kStoreFormatVersion) +
            ") does not know: a newer holdfast wrote it; upgrade holdfast, or restore a backup "
            "this version wrote (see docs/store-format.md)");
      }
      families.emplace_back(name, index_options);
    }
  }
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(db_options, dir, families, &store->handles_, &raw);
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return Status::Unavailable("the store in " + dir +
                                 " is in use by another process (is holdfastd already running?)");
    }
    if (s.IsNoSpace()) {
      return Status::Unavailable("opening the store in " + dir +
                                 ": no space left on its device: free some space and try again");
    }
    return FromRocks(s, "opening the store in " + dir);
  }
  store->db_.reset(raw);
  // Other modules' families (projections, audit) are read by whole key too, and a fold's
  // reads mostly miss (a session's first attendance has no standing row yet).
  store->cf_options_ = std::make_unique<rocksdb::ColumnFamilyOptions>(index_options);
  store->meta_cf_ = store->handles_[0];
  store->log_cf_ = store->handles_[1];
  store->ids_cf_ = store->handles_[2];
  store->origins_cf_ = store->handles_[3];
  store->streams_cf_ = store->handles_[4];
  store->gate_->Start(raw, store->meta_cf_);

  std::string stored_id;
  s = store->db_->Get(rocksdb::ReadOptions(), store->meta_cf_, keys::kNodeIdKey, &stored_id);
  if (s.IsNotFound()) {
    if (!IsIdentifier(options.node_id)) {
      return Status::InvalidArgument("node id \"" + options.node_id +
                                     "\" is not a valid identifier (1-128 characters, no spaces)");
    }
    // A new store: its node id and format version in one write. Not held back by the
    // reserve (StoreOptions::reserved_bytes): a new store writes nothing else, and
    // `holdfast node init` should work on a small disk.
    rocksdb::WriteBatch batch;
    batch.Put(store->meta_cf_, keys::kNodeIdKey, options.node_id);
    batch.Put(store->meta_cf_, keys::kFormatVersionKey, keys::Fixed64BE(keys::kStoreFormatVersion));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = store->db_->Write(wo, &batch);
    if (!s.ok()) return store->gate_->Failed(s, "writing the node id");
    stored_id = options.node_id;
  } else if (!s.ok()) {
    return FromRocks(s, "reading the node id");
  } else if (!options.node_id.empty() && options.node_id != stored_id) {
    return Status::InvalidArgument("this store belongs to node \"" + stored_id + "\", not \"" +
                                   options.node_id + "\"");
  }
  store->node_id_ = stored_id;
  HOLDFAST_RETURN_IF_ERROR(store->UpgradeFormat(dir));
  HOLDFAST_RETURN_IF_ERROR(store->Load());
  return store;
}

Status EventStore::UpgradeFormat(const std::string& dir) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), meta_cf_, keys::kFormatVersionKey, &value);
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "reading the store's format version");
  if (s.ok() && value.size() != 8) return Status::Corruption("format version of the wrong size");
  const uint64_t version = s.ok() ? keys::DecodeFixed64BE(value.data()) : 1;
  if (version > keys::kStoreFormatVersion) {
    return Status::InvalidArgument(
        "the store in " + dir + " is store format " + std::to_string(version) +
        ", newer than this holdfast understands (" + std::to_string(keys::kStoreFormatVersion) +
        "): upgrade holdfast, or restore a backup this version wrote (see docs/store-format.md)");
  }
  if (version == keys::kStoreFormatVersion) return Status::Ok();
  // Every step, and the new version, in one synced write.
  rocksdb::WriteBatch batch;
  // 1 -> 2: the layout is unchanged; only the version is written.
  // 2 -> 3: the projections family gains rows (prov/). Its rows are all derived from the
  // log, so they go, the checkpoint with them, and the projector folds the log again when
  // it opens (the first start after the upgrade takes as long as a rebuild). The audit
  // family is not rewritten: its older entries stay unchained, and the entries written from
  // now on are chained (daemon/audit.h reads both).
  // 4 -> 5: the projections family gains rows again (aidx/, the alerts' listing order), and
  // they go the same way (one drop serves both steps).
  if (version < 5) {
    for (auto* h : handles_) {
      if (h->GetName() != keys::kProjectionsFamily) continue;
      // Above every key of the family (projections/row_keys.h's kEndOfRows).
      s = batch.DeleteRange(h, "", std::string(8, '\xff'));
      if (!s.ok()) return FromRocks(s, "dropping the projections to fold them again");
    }
  }
  // 3 -> 4: the hooks family is new, made when holdfastd first starts; only the version is
  // written.
  s = batch.Put(meta_cf_, keys::kFormatVersionKey, keys::Fixed64BE(keys::kStoreFormatVersion));
  if (!s.ok()) return FromRocks(s, "writing the store's format version");
  rocksdb::WriteOptions wo;
  wo.sync = true;
  s = db_->Write(wo, &batch);
  return FromRocks(s, "writing the store's format version");
}

Status EventStore::Load() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), log_cf_));
  it->SeekToLast();
  if (!it->status().ok()) return FromRocks(it->status(), "reading the log's end");
  if (it->Valid()) {
    if (it->key().size() != 8) return Status::Corruption("log key of the wrong size");
    last_position_ = keys::DecodeFixed64BE(it->key().data());
  }
  next_position_ = last_position_ + 1;

  std::unique_ptr<rocksdb::Iterator> meta(db_->NewIterator(rocksdb::ReadOptions(), meta_cf_));
  const std::string prefix(keys::kHighWaterPrefix);
  for (meta->Seek(prefix); meta->Valid() && HasPrefix(meta->key(), prefix); meta->Next()) {
    if (meta->value().size() != 8) return Status::Corruption("high-water mark of the wrong size");
    high_water_[meta->key().ToString().substr(prefix.size())] =
        keys::DecodeFixed64BE(meta->value().data());
  }
  if (!meta->status().ok()) return FromRocks(meta->status(), "reading high-water marks");
  // A store written before the fix in Commit may keep a high-water mark below a seq its
  // index holds (a later group of lower seqs wrote over it): the last index entry of each
  // origin is its mark.
  std::unique_ptr<rocksdb::Iterator> index(db_->NewIterator(rocksdb::ReadOptions(), origins_cf_));
  for (auto& [origin, high] : high_water_) {
    const std::string origin_prefix = keys::NamePrefix(origin);
    index->SeekForPrev(keys::OriginKey(origin, UINT64_MAX));
    if (index->Valid() && HasPrefix(index->key(), origin_prefix) &&
        index->key().size() == origin_prefix.size() + 8) {
      high = std::max(high, keys::DecodeFixed64BE(index->key().data() + origin_prefix.size()));
    }
  }
  if (!index->status().ok()) return FromRocks(index->status(), "reading the origin index");
  std::string origin;
  auto found = db_->Get(rocksdb::ReadOptions(), meta_cf_, keys::kOriginKey, &origin);
  if (!found.ok() && !found.IsNotFound()) return FromRocks(found, "reading the local origin");
  origin_ = found.ok() ? origin : node_id_;
  auto own = high_water_.find(origin_);
  next_seq_ = own == high_water_.end() ? 1 : own->second + 1;
  HOLDFAST_RETURN_IF_ERROR(LoadContiguousMarks());

  std::string hlc;
  auto s = db_->Get(rocksdb::ReadOptions(), meta_cf_, keys::kHlcKey, &hlc);
  if (s.ok() && hlc.size() == 8) clock_.Observe(keys::DecodeFixed64BE(hlc.data()));
  return Status::Ok();
}

Result<std::string> EventStore::StartNewOrigin() {
  std::lock_guard<std::mutex> l(mu_);
  std::random_device random;
  const uint64_t bits = (static_cast<uint64_t>(random()) << 32 | random()) & 0xffffffffffffull;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "~%012llx", static_cast<unsigned long long>(bits));
  const std::string origin = node_id_ + suffix;
  if (!IsIdentifier(origin)) {
    return Status::InvalidArgument("node id \"" + node_id_ +
                                   "\" is too long for a restored node's origin (at most 115 "
                                   "characters)");
  }
  rocksdb::WriteBatch batch;
  batch.Put(meta_cf_, keys::kOriginKey, origin);
  HOLDFAST_RETURN_IF_ERROR(gate_->Check());
  HOLDFAST_RETURN_IF_ERROR(WriteRaw(&batch, /*sync=*/true, "writing the new origin"));
  origin_ = origin;
  std::lock_guard<std::mutex> hw(hw_mu_);
  auto own = high_water_.find(origin_);
  next_seq_ = own == high_water_.end() ? 1 : own->second + 1;
  return origin_;
}

EventStore::~EventStore() {
  if (db_) {
    gate_->Stop();  // no resume may run while RocksDB closes
    // The WAL already holds everything; flushing the memtables now spares the next open
    // from replaying it. A failure here (a full disk) loses nothing.
    db_->Flush(rocksdb::FlushOptions(), handles_).PermitUncheckedError();
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
  }
}

Status EventStore::CanWrite() { return gate_->Check(); }

void EventStore::SetWriteStateListener(std::function<void(const Status&)> listener) {
  gate_->SetListener(std::move(listener));
}

Status EventStore::Write(const SideBatch& batch, bool sync) {
  HOLDFAST_RETURN_IF_ERROR(gate_->Check());
  return WriteRaw(batch.batch_.get(), sync, "writing to the store");
}

Status EventStore::WriteRaw(rocksdb::WriteBatch* batch, bool sync, const char* what) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  auto s = db_->Write(wo, batch);
  if (s.ok()) return Status::Ok();
  return gate_->Failed(s, what);
}

EventStore::Sizes EventStore::ApproximateSizes() const {
  Sizes out;
  db_->GetIntProperty("rocksdb.total-sst-files-size", &out.table_file_bytes);
  db_->GetIntProperty("rocksdb.cur-size-all-mem-tables", &out.memtable_bytes);
  return out;
}

Status EventStore::Flush() {
  std::lock_guard<std::mutex> l(families_mu_);
  return FromRocks(db_->Flush(rocksdb::FlushOptions(), handles_), "flushing the store");
}

Status EventStore::WaitForBackgroundWork() const {
  return EventStoreInternals::WaitForBackgroundWork(db_.get());
}

namespace {

Status WriteRawTo(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family, std::string_view key,
                  std::optional<std::string_view> value) {
  rocksdb::WriteOptions sync;
  sync.sync = true;
  const rocksdb::Slice k(key.data(), key.size());
  return FromRocks(value ? db->Put(sync, family, k, rocksdb::Slice(value->data(), value->size()))
                         : db->Delete(sync, family, k),
                   "writing behind the store");
}

}  // namespace

Status EventStoreInternals::WriteRaw(EventStore& store, const std::string& family,
                                     std::string_view key, std::optional<std::string_view> value) {
  auto* handle =
      family == kDefaultFamily ? store.db_->DefaultColumnFamily() : Family(store, family);
  if (handle == nullptr) return Status::NotFound("no open family \"" + family + "\"");
  return WriteRawTo(store.db_.get(), handle, key, value);
}

Status EventStoreInternals::WriteRawClosed(const std::string& dir, const std::string& family,
                                           std::string_view key,
                                           std::optional<std::string_view> value) {
  std::vector<std::string> names;
  auto s = FromRocks(rocksdb::DB::ListColumnFamilies(rocksdb::Options(), dir, &names),
                     "listing the store's families");
  if (!s.ok()) return s;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (auto& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = FromRocks(rocksdb::DB::Open(rocksdb::Options(), dir, families, &handles, &raw),
                "opening the store as plain RocksDB");
  if (!s.ok()) return s;
  std::unique_ptr<rocksdb::DB> db(raw);
  s = Status::NotFound("the store has no family \"" + family + "\"");
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == family) s = WriteRawTo(db.get(), handles[i], key, value);
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  return s;
}

Status EventStoreInternals::CreateFamily(EventStore& store, const std::string& name) {
  rocksdb::ColumnFamilyHandle* handle = nullptr;
  auto s = FromRocks(store.db_->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), name, &handle),
                     "creating a family");
  if (s.ok()) store.db_->DestroyColumnFamilyHandle(handle);
  return s;
}

Status EventStoreInternals::WaitForBackgroundWork(rocksdb::DB* db) {
  // RocksDB 7.8 has no call that waits for compactions (WaitForCompact came in 8.x), so
  // its counters are polled.
  using P = rocksdb::DB::Properties;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (std::chrono::steady_clock::now() < deadline) {
    uint64_t busy = 0;
    for (const auto* property : {&P::kMemTableFlushPending, &P::kNumRunningFlushes,
                                 &P::kCompactionPending, &P::kNumRunningCompactions}) {
      uint64_t value = 0;
      if (db->GetAggregatedIntProperty(*property, &value)) busy += value;
    }
    if (busy == 0) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::Unavailable("RocksDB's flushes and compactions did not finish within a minute");
}

void EventStore::SetCommitListener(std::function<void(uint64_t)> listener) {
  std::lock_guard<std::mutex> l(mu_);
  commit_listener_ = std::move(listener);
}

Result<AppendResult> EventStore::Append(std::vector<Event> events,
                                        std::optional<ExpectedVersion> expected,
                                        const MetaWrites& meta, const SideBatch* side) {
  return Commit(std::move(events), /*remote=*/false, std::move(expected), meta, side);
}

Result<AppendResult> EventStore::Insert(std::vector<Event> events, const MetaWrites& meta,
                                        const SideBatch* side) {
  return Commit(std::move(events), /*remote=*/true, std::nullopt, meta, side);
}

Result<AppendResult> EventStore::Commit(std::vector<Event> events, bool remote,
                                        std::optional<ExpectedVersion> expected,
                                        const MetaWrites& meta, const SideBatch* side) {
  Writer w;
  w.events = std::move(events);
  w.remote = remote;
  w.expected = std::move(expected);
  w.meta = &meta;
  w.side = side;

  HOLDFAST_RETURN_IF_ERROR(gate_->Check());
  std::unique_lock<std::mutex> lock(mu_);
  writers_.push_back(&w);
  while (!w.done && &w != writers_.front()) w.cv.wait(lock);
  if (w.done) {
    if (!w.status.ok()) return w.status;
    return std::move(w.out);
  }

  // This writer leads: it takes the writers queued behind it into one group.
  std::vector<Writer*> group_writers;
  size_t group_events = 0;
  for (Writer* x : writers_) {
    if (!group_writers.empty() && group_events + x->events.size() > kMaxGroupEvents) break;
    group_writers.push_back(x);
    group_events += x->events.size();
  }
  GroupState group;
  group.next_position = next_position_;
  group.next_seq = next_seq_;
  lock.unlock();

  // The gate is asked again for the whole group: writers may have waited in the queue
  // while the disk filled.
  Status write_status = gate_->Check();
  for (Writer* x : group_writers) {
    if (!write_status.ok()) {
      x->status = write_status;
      continue;
    }
    try {
      x->status = PrepareWriter(x, &group);
    } catch (const kj::Exception& ex) {
      // A message ValidateEvent passed but that is malformed where it did not read: refused
      // as any invalid event (PrepareWriter changes the group only once a writer succeeds).
      x->status =
          Status::InvalidArgument(std::string("malformed event: ") + ex.getDescription().cStr());
    }
  }
  rocksdb::WriteBatch batch;
  group.Flush(&batch, log_cf_, ids_cf_, origins_cf_, streams_cf_, meta_cf_);
  if (!group.side.empty()) {
    std::lock_guard<std::mutex> l(families_mu_);
    CopyInto copy(&batch, handles_);
    for (const SideBatch* side : group.side) {
      auto s = side->batch_->Iterate(&copy);
      if (!s.ok()) write_status = FromRocks(s, "joining a side batch");
    }
  }
  if (write_status.ok() && batch.Count() > 0) {
    {
      // A group's highest seq of an origin may lie below one held already (a peer's events
      // out of seq order): what is kept is the higher, as in memory.
      std::lock_guard<std::mutex> hw(hw_mu_);
      for (const auto& [origin, seq] : group.high_water) {
        auto held = high_water_.find(origin);
        const uint64_t high = std::max(seq, held == high_water_.end() ? 0 : held->second);
        batch.Put(meta_cf_, keys::HighWaterKey(origin), keys::Fixed64BE(high));
      }
    }
    batch.Put(meta_cf_, keys::kHlcKey, keys::Fixed64BE(clock_.last()));
    rocksdb::WriteOptions wo;
    wo.sync = options_.sync;
    auto s = db_->Write(wo, &batch);
    // A failed write is not in the store once writing resumes (RocksDB stops, and resuming
    // drops the WAL file it failed in), so the group's positions and seqs are given out
    // again. Until then a restart may find it whole in that file: then it is simply held.
    if (!s.ok()) write_status = gate_->Failed(s, "writing events");
  }
  VersionVector marks;  // read while this writer still leads: no other group writes
  if (write_status.ok() && !group.high_water.empty()) marks = AdvanceMarks(group);

  lock.lock();
  if (write_status.ok()) {
    next_position_ = group.next_position;
    next_seq_ = group.next_seq;
    if (stream_versions_.size() > kStreamCacheLimit) stream_versions_.clear();
    for (const auto& [stream, version] : group.streams) stream_versions_[stream] = version;
    {
      std::lock_guard<std::mutex> hw(hw_mu_);
      for (const auto& [origin, seq] : group.high_water) {
        high_water_[origin] = std::max(high_water_[origin], seq);
      }
      for (const auto& [origin, mark] : marks) contiguous_[origin] = mark;
    }
    last_position_.store(next_position_ - 1, std::memory_order_release);
  } else {
    for (Writer* x : group_writers) {
      if (x->status.ok()) x->status = write_status;
    }
  }
  for (Writer* x : group_writers) {
    writers_.pop_front();
    x->done = true;
    if (x != &w) x->cv.notify_one();
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  auto listener = commit_listener_;
  const uint64_t last = last_position_.load();
  lock.unlock();

  if (write_status.ok() && batch.Count() > 0 && listener) listener(last);
  if (!w.status.ok()) return w.status;
  return std::move(w.out);
}

Status EventStore::PrepareWriter(Writer* w, GroupState* group) {
  // Everything this writer adds is kept aside until it is known to succeed, so a refused
  // writer leaves neither the batch nor the group changed.
  GroupState mine;
  mine.next_position = group->next_position;
  mine.next_seq = group->next_seq;
  auto stream_version = [&](const std::string& stream) -> Result<uint64_t> {
    auto it = mine.streams.find(stream);
    if (it != mine.streams.end()) return it->second;
    return LoadStreamVersion(stream, *group);
  };

  if (w->expected) {
    auto current = stream_version(w->expected->stream);
    if (!current.ok()) return current.status();
    if (*current != w->expected->version) {
      return Status::VersionConflict("stream " + w->expected->stream + " is at version " +
                                     std::to_string(*current) + ", not the expected " +
                                     std::to_string(w->expected->version));
    }
  }

  w->out.events.resize(w->events.size());
  const std::vector<Result<uint64_t>> stored_positions = FindPositions(w->events);
  for (size_t i = 0; i < w->events.size(); ++i) {
    Event& event = w->events[i];
    auto reader = event.reader();
    // Names the event in a message, only when there is one to write.
    const auto which = [&] {
      return w->events.size() > 1 ? "event " + std::to_string(i + 1) + ": " : std::string();
    };
    Status valid = ValidateEvent(reader);
    if (!valid.ok()) return Status::InvalidArgument(which() + valid.message());
    if (!w->remote && reader.hasProvenance()) {
      return Status::InvalidArgument(
          which() + "origin: a new event must not carry origin, seq or recorded_at");
    }
    if (w->remote && !reader.hasProvenance()) {
      return Status::InvalidArgument(
          which() + "origin: an event from another node must carry origin, seq and recorded_at");
    }
    const Uuid id = ToUuid(reader.getId());

    // Already held, here or earlier in this group?
    std::optional<std::pair<uint64_t, const Event*>> held;
    if (auto it = mine.ids.find(id); it != mine.ids.end()) held = it->second;
    if (auto it = group->ids.find(id); !held && it != group->ids.end()) held = it->second;
    if (!held) {
      const auto& found = stored_positions[i];
      if (found.ok()) {
        held = std::make_pair(*found, nullptr);
      } else if (found.status().code() != Status::Code::kNotFound) {
        return found.status();
      }
    }
    if (held) {
      bool same;
      if (held->second != nullptr) {
        same = SameContent(reader, held->second->reader());
      } else {
        auto stored = GetAt(held->first);
        if (!stored.ok()) return stored.status();
        same = SameContent(reader, stored->reader());
      }
      if (!same) {
        return Status::Conflict(which() + "event " + FormatUuid(id) +
                                " is already held with different content");
      }
      w->out.events[i] = {held->first, true};
      continue;
    }

    std::string origin;
    uint64_t seq;
    if (w->remote) {
      auto p = reader.getProvenance();
      origin = p.getOrigin();
      seq = p.getSeq();
      std::optional<Uuid> earlier;  // an event of this group under the same (origin, seq)
      for (const auto* staged : {&mine.origin_seqs, &group->origin_seqs}) {
        auto it = staged->find({origin, seq});
        if (!earlier && it != staged->end()) earlier = it->second;
      }
      if (earlier) {
        return Status::SeqConflict(which() + SeqConflict{origin, seq, *earlier, id}.ToString() +
                                   " (both arrived together)");
      }
      std::string held_at;
      auto s =
          db_->Get(rocksdb::ReadOptions(), origins_cf_, keys::OriginKey(origin, seq), &held_at);
      if (s.ok()) {
        if (held_at.size() != 8) return Status::Corruption("origin index entry of the wrong size");
        auto held = GetAt(keys::DecodeFixed64BE(held_at.data()));
        if (!held.ok()) return held.status();
        return Status::SeqConflict(
            which() + SeqConflict{origin, seq, ToUuid(held->reader().getId()), id}.ToString());
      }
      if (!s.IsNotFound()) return FromRocks(s, "reading the origin index");
      clock_.Observe(p.getRecordedAt().getValue());
      if (origin == origin_ && seq >= mine.next_seq) mine.next_seq = seq + 1;
    } else {
      origin = origin_;
      seq = mine.next_seq++;
      auto p = event.builder().initProvenance();
      p.setOrigin(origin_);
      p.setSeq(seq);
      p.initRecordedAt().setValue(clock_.Now());
      reader = event.reader();
    }

    const uint64_t position = mine.next_position++;
    const std::string stream = StreamOf(reader);
    auto version = stream_version(stream);
    if (!version.ok()) return version.status();
    const std::string position_value = keys::Fixed64BE(position);
    mine.put_log.emplace_back(position, event.Encode());
    mine.put_ids.emplace_back(keys::IdKey(id), position_value);
    mine.put_origins.emplace_back(keys::OriginKey(origin, seq), position_value);
    mine.put_streams.emplace_back(keys::StreamKey(stream, *version + 1), position_value);
    mine.streams[stream] = *version + 1;
    mine.ids[id] = {position, &event};
    mine.origin_seqs.emplace(std::make_pair(origin, seq), id);
    uint64_t& hw = mine.high_water[origin];
    hw = std::max(hw, seq);
    w->out.events[i] = {position, false};
  }
  for (const auto& [key, value] : *w->meta) mine.put_meta.emplace_back(key, value);
  if (w->side != nullptr && !w->side->empty()) mine.side.push_back(w->side);
  group->TakeWrites(&mine);

  group->next_position = mine.next_position;
  group->next_seq = mine.next_seq;
  // The group's first writer (an import's whole group) hands its sets over whole.
  auto merge = [](auto* into, auto* from, auto&& add_all) {
    if (into->empty()) {
      into->swap(*from);
    } else {
      add_all(into, from);
    }
  };
  merge(&group->ids, &mine.ids, [](auto* into, auto* from) {
    for (auto& [id, held] : *from) (*into)[id] = held;
  });
  merge(&group->streams, &mine.streams, [](auto* into, auto* from) {
    for (auto& [stream, version] : *from) (*into)[stream] = version;
  });
  merge(&group->origin_seqs, &mine.origin_seqs,
        [](auto* into, auto* from) { into->insert(from->begin(), from->end()); });
  merge(&group->high_water, &mine.high_water, [](auto* into, auto* from) {
    for (auto& [origin, seq] : *from) {
      uint64_t& hw = (*into)[origin];
      hw = std::max(hw, seq);
    }
  });
  return Status::Ok();
}

std::vector<Result<uint64_t>> EventStore::FindPositions(const std::vector<Event>& events) const {
  const size_t n = events.size();
  if (n == 0) return {};  // a write of meta alone
  std::vector<Uuid> ids(n);
  std::vector<std::string> id_keys(n);
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) {
    try {
      ids[i] = ToUuid(events[i].reader().getId());
    } catch (const kj::Exception&) {
      ids[i] = Uuid{};  // a malformed event: ValidateEvent refuses it before this is used
    }
    id_keys[i] = keys::IdKey(ids[i]);
    order[i] = i;
  }
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return id_keys[a] < id_keys[b]; });
  std::vector<rocksdb::Slice> sorted(n);
  for (size_t j = 0; j < n; ++j) sorted[j] = id_keys[order[j]];
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<rocksdb::Status> statuses(n);
  db_->MultiGet(rocksdb::ReadOptions(), ids_cf_, n, sorted.data(), values.data(), statuses.data(),
                /*sorted_input=*/true);
  std::vector<Result<uint64_t>> out(n, Status::NotFound(""));  // the usual case: a new id
  for (size_t j = 0; j < n; ++j) {
    const size_t i = order[j];
    const rocksdb::Status& s = statuses[j];
    if (s.IsNotFound()) continue;
    if (!s.ok()) {
      out[i] = FromRocks(s, "event " + FormatUuid(ids[i]));
    } else if (values[j].size() != 8) {
      out[i] = Status::Corruption("id index entry of the wrong size");
    } else {
      out[i] = keys::DecodeFixed64BE(values[j].data());
    }
  }
  return out;
}

Result<uint64_t> EventStore::LoadStreamVersion(const std::string& stream, const GroupState& group) {
  if (auto it = group.streams.find(stream); it != group.streams.end()) return it->second;
  if (auto it = stream_versions_.find(stream); it != stream_versions_.end()) return it->second;
  uint64_t version = StreamVersion(stream);
  stream_versions_[stream] = version;
  return version;
}

uint64_t EventStore::StreamVersion(const std::string& stream) const {
  // A stream exists iff it has a version 1. That point read is answered by bloom filters
  // for the many streams that are new (a session's), where a backwards seek is not.
  std::string ignored;
  if (db_->Get(rocksdb::ReadOptions(), streams_cf_, keys::StreamKey(stream, 1), &ignored)
          .IsNotFound()) {
    return 0;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams_cf_));
  const std::string prefix = keys::NamePrefix(stream);
  it->SeekForPrev(keys::StreamKey(stream, UINT64_MAX));
  if (!it->Valid() || !HasPrefix(it->key(), prefix) || it->key().size() != prefix.size() + 8) {
    return 0;
  }
  return keys::DecodeFixed64BE(it->key().data() + prefix.size());
}

Result<StoredEvent> EventStore::GetAt(uint64_t position) const {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), log_cf_, keys::LogKey(position), &value);
  if (!s.ok()) return FromRocks(s, "no event at position " + std::to_string(position));
  return StoredEvent::Decode(value, position);
}

Result<StoredEvent> EventStore::ReadPositionValue(rocksdb::ColumnFamilyHandle* cf,
                                                  const std::string& key) const {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), cf, key, &value);
  if (!s.ok()) return FromRocks(s, "no such event");
  if (value.size() != 8) return Status::Corruption("index entry of the wrong size");
  return GetAt(keys::DecodeFixed64BE(value.data()));
}

Result<StoredEvent> EventStore::Get(const Uuid& id) const {
  return ReadPositionValue(ids_cf_, keys::IdKey(id));
}

Result<StoredEvent> EventStore::GetByOrigin(const std::string& origin, uint64_t seq) const {
  return ReadPositionValue(origins_cf_, keys::OriginKey(origin, seq));
}

Status EventStore::ScanLogBytes(uint64_t after, const ScanBytesFn& fn) const {
  rocksdb::ReadOptions ro;
  ro.readahead_size = 2u << 20;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, log_cf_));
  for (it->Seek(keys::LogKey(after + 1)); it->Valid(); it->Next()) {
    if (it->key().size() != 8) return Status::Corruption("log key of the wrong size");
    const rocksdb::Slice value = it->value();
    if (!fn(keys::DecodeFixed64BE(it->key().data()), std::string_view(value.data(), value.size())))
      return Status::Ok();
  }
  return FromRocks(it->status(), "scanning the log");
}

Status EventStore::ScanLog(uint64_t after, const ScanFn& fn) const {
  LogEntryDecoder decoder;
  Status decoded;
  Status scanned = ScanLogBytes(after, [&](uint64_t position, std::string_view bytes) {
    bool keep_going = true;
    decoded = decoder.Decode(rocksdb::Slice(bytes.data(), bytes.size()), position, fn, &keep_going);
    return decoded.ok() && keep_going;
  });
  return decoded.ok() ? scanned : decoded;
}

Status EventStore::ScanStream(const std::string& stream, const ScanFn& fn) const {
  return ScanStreamIndex(keys::NamePrefix(stream), "stream " + stream, true, fn);
}

Status EventStore::ScanStreams(const std::string& prefix, const ScanFn& fn) const {
  return ScanStreamIndex(prefix, "streams " + prefix + "...", false, fn);
}

Status EventStore::ScanStreamIndex(const std::string& prefix, const std::string& stream,
                                   bool one_stream, const ScanFn& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams_cf_));
  LogEntryDecoder decoder;
  // The stream's log entries are read a batch at a time: one MultiGet of 64 sorted keys
  // costs well under 64 Gets, each of which pins RocksDB's current version on its own.
  constexpr size_t kBatch = 64;
  std::array<uint64_t, kBatch> positions;
  std::array<char[8], kBatch> key_bytes;
  std::array<rocksdb::Slice, kBatch> log_keys;
  std::array<rocksdb::PinnableSlice, kBatch> values;
  std::array<rocksdb::Status, kBatch> statuses;
  size_t n = 0;
  bool keep_going = true;
  auto read_batch = [&]() -> Status {
    // One stream's positions rise; several streams' (ScanStreams) need not.
    db_->MultiGet(rocksdb::ReadOptions(), log_cf_, n, log_keys.data(), values.data(),
                  statuses.data(), /*sorted_input=*/one_stream);
    for (size_t i = 0; i < n && keep_going; ++i) {
      if (!statuses[i].ok()) {
        return FromRocks(statuses[i], "stream " + stream + " names a missing position");
      }
      HOLDFAST_RETURN_IF_ERROR(decoder.Decode(values[i], positions[i], fn, &keep_going));
    }
    for (size_t i = 0; i < n; ++i) values[i].Reset();
    n = 0;
    return Status::Ok();
  };
  for (it->Seek(prefix); it->Valid() && HasPrefix(it->key(), prefix); it->Next()) {
    if (it->value().size() != 8) return Status::Corruption("stream index entry of the wrong size");
    positions[n] = keys::DecodeFixed64BE(it->value().data());
    std::memcpy(key_bytes[n], it->value().data(), 8);  // the log key is the same 8 bytes
    log_keys[n] = rocksdb::Slice(key_bytes[n], 8);
    if (++n == kBatch) {
      HOLDFAST_RETURN_IF_ERROR(read_batch());
      if (!keep_going) return Status::Ok();
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scanning stream " + stream);
  if (n > 0) HOLDFAST_RETURN_IF_ERROR(read_batch());
  return Status::Ok();
}

VersionVector EventStore::HighWaterMarks() const {
  std::lock_guard<std::mutex> l(hw_mu_);
  return high_water_;
}

// Contiguous marks kept by the store (docs/decisions.md). A peer link asks for them when
// it starts and on every pull, on the daemon's loop, so they are kept in memory, one per
// origin, and reading them reads nothing:
//
//  - On commit (AdvanceMarks), the leader extends the mark of each origin its group wrote:
//    through the group's own seqs that follow it (events of an origin mostly arrive in seq
//    order, and then that is all), then, if events of that origin are held above it (a gap
//    the group may have filled), through the origin index from the mark on. That look-ahead
//    passes an index entry once in the store's life, as the mark moves past it, and costs
//    one seek when the gap stays open (an origin a sharing agreement filters).
//  - At Open (LoadContiguousMarks), without walking the whole index. An origin whose index
//    holds as many entries as its high-water mark has no gap (seqs are distinct, from 1):
//    its mark is its high-water mark. Every log position has one origin index entry, so
//    the origins together lack Σ high-water − last position seqs. The origins are walked
//    smallest high-water mark first, each counting its entries and finding its first gap,
//    until the seqs they lack add up to that; the rest have none. A node holding every
//    event of the origins it knows walks nothing; one holding part of a peer's log walks
//    that origin's entries and those of the origins smaller than it.
//
// Nothing is written, so the store's format is unchanged. A store whose index lacks an entry
// for a logged event (`store verify` names it) may get a mark above that event's seq for an
// origin not walked: the event is held, in the log.
Status EventStore::LoadContiguousMarks() {
  const uint64_t last = last_position_.load();
  uint64_t high_sum = 0;
  std::vector<std::pair<uint64_t, std::string>> by_size;
  for (const auto& [origin, high] : high_water_) {
    high_sum += high;
    by_size.emplace_back(high, origin);
  }
  std::sort(by_size.begin(), by_size.end());
  // Seqs lacking over all origins; with more events than high-water marks allow (a store
  // that disagrees with itself), every origin is walked.
  const bool walk_all = high_sum < last;
  uint64_t lacking = walk_all ? 0 : high_sum - last;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), origins_cf_));
  for (const auto& [high, origin] : by_size) {
    if (!walk_all && lacking == 0) {
      contiguous_[origin] = high;
      continue;
    }
    const std::string prefix = keys::NamePrefix(origin);
    uint64_t mark = 0, entries = 0;
    for (it->Seek(keys::OriginKey(origin, 1)); it->Valid() && HasPrefix(it->key(), prefix);
         it->Next()) {
      if (it->key().size() != prefix.size() + 8) continue;
      const uint64_t seq = keys::DecodeFixed64BE(it->key().data() + prefix.size());
      if (seq > high) break;
      ++entries;
      if (seq == mark + 1) mark = seq;  // past the first gap, every seq is above it
    }
    if (!it->status().ok()) return FromRocks(it->status(), "reading the origin index");
    contiguous_[origin] = mark;
    const uint64_t missing = high - entries;
    lacking = missing >= lacking ? 0 : lacking - missing;
  }
  return Status::Ok();
}

VersionVector EventStore::AdvanceMarks(const GroupState& group) const {
  VersionVector before, high;
  {
    std::lock_guard<std::mutex> l(hw_mu_);
    for (const auto& [origin, seq] : group.high_water) {
      auto mark = contiguous_.find(origin);
      before[origin] = mark == contiguous_.end() ? 0 : mark->second;
      auto held = high_water_.find(origin);
      high[origin] = std::max(seq, held == high_water_.end() ? 0 : held->second);
    }
  }
  VersionVector out;
  std::unique_ptr<rocksdb::Iterator> it;
  for (const auto& [origin, start] : before) {
    uint64_t mark = start;
    for (auto g = group.origin_seqs.lower_bound({origin, mark + 1});
         g != group.origin_seqs.end() && g->first.first == origin && g->first.second == mark + 1;
         ++g) {
      ++mark;
    }
    if (mark < high[origin]) {
      // Events of this origin are held above the mark: walk on through the index (which now
      // holds the group's too). A failed read leaves the mark lower than it could be, which
      // is safe (a peer sends what this node may hold), and the next commit of the origin
      // tries again.
      if (!it) it.reset(db_->NewIterator(rocksdb::ReadOptions(), origins_cf_));
      const std::string prefix = keys::NamePrefix(origin);
      for (it->Seek(keys::OriginKey(origin, mark + 1));
           it->Valid() && HasPrefix(it->key(), prefix) && it->key().size() == prefix.size() + 8 &&
           keys::DecodeFixed64BE(it->key().data() + prefix.size()) == mark + 1;
           it->Next()) {
        ++mark;
      }
    }
    out[origin] = mark;
  }
  return out;
}

VersionVector EventStore::ContiguousMarks() const {
  std::lock_guard<std::mutex> l(hw_mu_);
  return contiguous_;
}

Result<std::string> EventStore::GetMeta(const std::string& key) const {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), meta_cf_, key, &value);
  if (!s.ok()) return FromRocks(s, "meta key " + key);
  return value;
}

Status EventStore::ScanMeta(
    const std::string& prefix,
    const std::function<void(std::string_view key, std::string_view value)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_cf_));
  for (it->Seek(prefix); it->Valid() && HasPrefix(it->key(), prefix); it->Next()) {
    fn(std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()),
       std::string_view(it->value().data(), it->value().size()));
  }
  return FromRocks(it->status(), "reading meta keys " + prefix);
}

Result<std::vector<SeqConflict>> EventStore::FindSeqConflicts(
    const std::vector<SeqClaim>& claims) const {
  std::vector<SeqConflict> out;
  if (claims.empty()) return out;
  std::vector<std::string> origin_keys(claims.size());
  std::vector<size_t> order(claims.size());
  for (size_t i = 0; i < claims.size(); ++i) {
    origin_keys[i] = keys::OriginKey(claims[i].origin, claims[i].seq);
    order[i] = i;
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return origin_keys[a] < origin_keys[b] || (origin_keys[a] == origin_keys[b] && a < b);
  });
  // Claims that contradict each other; of those naming one (origin, seq), the first is
  // looked up here.
  std::vector<size_t> distinct;
  for (size_t j = 0; j < order.size(); ++j) {
    const size_t i = order[j];
    if (!distinct.empty() && origin_keys[distinct.back()] == origin_keys[i]) {
      const SeqClaim& first = claims[distinct.back()];
      if (!(first.id == claims[i].id))
        out.push_back({first.origin, first.seq, first.id, claims[i].id});
      continue;
    }
    distinct.push_back(i);
  }
  // Where this store files each (origin, seq), and where it files each claimed id: the
  // same position means the same event, and no event needs reading. The origin index is
  // walked in key order (a peer names runs of consecutive seqs, which are consecutive
  // keys: a step is far cheaper than a lookup); the ids are looked up with one MultiGet.
  struct Held {
    std::string id_key;
    uint64_t position;
    size_t claim;
  };
  std::vector<Held> held;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), origins_cf_));
  for (size_t i : distinct) {
    const rocksdb::Slice key(origin_keys[i]);
    for (int steps = 0; it->Valid() && it->key().compare(key) < 0 && steps < 4; ++steps) it->Next();
    if (!it->Valid() || it->key().compare(key) < 0) it->Seek(key);
    if (!it->Valid() || it->key() != key) continue;  // not held here: nothing to compare
    if (it->value().size() != 8) return Status::Corruption("origin index entry of the wrong size");
    held.push_back({keys::IdKey(claims[i].id), keys::DecodeFixed64BE(it->value().data()), i});
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading the origin index");
  std::sort(held.begin(), held.end(),
            [](const Held& a, const Held& b) { return a.id_key < b.id_key; });
  const size_t m = held.size();
  std::vector<rocksdb::Slice> id_keys(m);
  for (size_t j = 0; j < m; ++j) id_keys[j] = held[j].id_key;
  std::vector<rocksdb::PinnableSlice> id_positions(m);
  std::vector<rocksdb::Status> statuses(m);
  db_->MultiGet(rocksdb::ReadOptions(), ids_cf_, m, id_keys.data(), id_positions.data(),
                statuses.data(), /*sorted_input=*/true);
  for (size_t j = 0; j < m; ++j) {
    if (!statuses[j].ok() && !statuses[j].IsNotFound()) {
      return FromRocks(statuses[j], "reading the id index");
    }
    if (statuses[j].ok() && id_positions[j].size() == 8 &&
        keys::DecodeFixed64BE(id_positions[j].data()) == held[j].position) {
      continue;  // the claimed event is the one held there
    }
    auto event = GetAt(held[j].position);
    if (!event.ok()) return event.status();
    const SeqClaim& claim = claims[held[j].claim];
    out.push_back({claim.origin, claim.seq, ToUuid(event->reader().getId()), claim.id});
  }
  std::sort(out.begin(), out.end(), [](const SeqConflict& a, const SeqConflict& b) {
    return std::tie(a.origin, a.seq) < std::tie(b.origin, b.seq);
  });
  return out;
}

Result<SideTable> EventStore::Table(const std::string& name) {
  std::lock_guard<std::mutex> l(families_mu_);
  for (auto* h : handles_) {
    if (h->GetName() == name) return SideTable(db_.get(), h);
  }
  if (!IsModuleFamily(name)) {
    return Status::InvalidArgument("column family \"" + name +
                                   "\" is not in keys::kModuleFamilies: name it there (and "
                                   "take the next store format version) before creating it");
  }
  rocksdb::ColumnFamilyHandle* handle = nullptr;
  // The same options it gets when the store is next opened: bloom filters, block cache and
  // the shared memtable budget. Not held back by the reserve (StoreOptions::reserved_bytes):
  // a family is created once, by a daemon starting, which must start on a full disk too.
  auto s = db_->CreateColumnFamily(*cf_options_, name, &handle);
  if (!s.ok()) return gate_->Failed(s, "creating column family " + name);
  handles_.push_back(handle);
  return SideTable(db_.get(), handle);
}

Status EventStore::Backup(const std::string& dir) const {
  std::lock_guard<std::mutex> one_at_a_time(backup_mu_);
  HOLDFAST_RETURN_IF_ERROR(RequireAbsent(dir));
  auto partial = CreatePartialDirectory(dir);
  if (!partial.ok()) return partial.status();
  // A RocksDB checkpoint hard-links the live files, so it is made beside the store (one
  // file system: no copy) and copied from there into the backup, which then shares no
  // inode, owner or mode with the live store. Only this process can hold the store, and
  // backups take turns, so whatever is at `links` is a killed backup's.
  const std::string links = db_->GetName() + ".backup-links";
  auto written = [&]() -> Status {
    HOLDFAST_RETURN_IF_ERROR(RemoveTree(links));
    HOLDFAST_RETURN_IF_ERROR(RemoveTree(links + ".tmp"));
    rocksdb::Checkpoint* raw = nullptr;
    auto s = rocksdb::Checkpoint::Create(db_.get(), &raw);
    if (!s.ok()) return FromRocks(s, "starting a backup");
    std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    HOLDFAST_RETURN_IF_ERROR(
        FromRocks(checkpoint->CreateCheckpoint(links), "taking a checkpoint of the store"));
    HOLDFAST_RETURN_IF_ERROR(CopyFilesPrivately(links, *partial));
    HOLDFAST_RETURN_IF_ERROR(RemoveTree(links));
    // The backup appears under its name whole, or not at all.
    HOLDFAST_RETURN_IF_ERROR(RenameNoReplace(*partial, dir));
    return SyncDirectory(ParentOf(dir));
  }();
  if (!written.ok()) {
    // The failure that stopped the backup is the one to report.
    RemoveTree(links).IgnoreError();
    RemoveTree(*partial).IgnoreError();
  }
  return written;
}

VerifyReport EventStore::Verify() const {
  VerifyReport report;
  auto problem = [&](std::string p) {
    if (report.problems.size() < 1000) report.problems.push_back(std::move(p));
  };
  auto at = [](uint64_t position) { return "position " + std::to_string(position); };
  auto origin_seq = [](const std::string& origin, uint64_t seq) {
    return "origin " + origin + " seq " + std::to_string(seq);
  };
  // 1. The log: each entry decodes, validates, and is reachable from every index. What it
  //    says of each position is kept to check the indexes against.
  struct Entry {
    Uuid id;
    uint32_t origin;  // in origin_names
    uint64_t seq;
    std::string stream;
  };
  std::vector<std::string> origin_names;
  std::unordered_map<std::string, uint32_t> origin_numbers;
  std::unordered_map<uint64_t, Entry> entries;
  // Log entries whose (origin, seq) the origin index gives to another position: two events
  // claiming one (origin, seq) show up here, and are named once the walk has seen both.
  std::vector<std::pair<uint64_t, uint64_t>> origin_elsewhere;
  std::map<std::string, uint64_t> max_seq;
  uint64_t expected_position = 1;
  // One snapshot for every read, so appends running meanwhile are simply not seen.
  const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, log_cf_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8) {
      problem("log key of " + std::to_string(it->key().size()) + " bytes");
      continue;
    }
    const uint64_t position = keys::DecodeFixed64BE(it->key().data());
    ++report.events;
    if (position != expected_position) {
      problem(at(position) + ": gap in the log (expected " + std::to_string(expected_position) +
              ")");
    }
    expected_position = position + 1;
    auto decoded =
        StoredEvent::Decode(std::string_view(it->value().data(), it->value().size()), position);
    if (!decoded.ok()) {
      problem(at(position) + ": " + decoded.status().message());
      continue;
    }
    auto reader = decoded->reader();
    Status valid = ValidateEvent(reader);
    if (!valid.ok()) {
      problem(at(position) + ": " + valid.message());
      continue;
    }
    if (!reader.hasProvenance()) {
      problem(at(position) + ": no provenance");
      continue;
    }
    auto p = reader.getProvenance();
    const std::string origin = p.getOrigin();
    auto [number, added] =
        origin_numbers.emplace(origin, static_cast<uint32_t>(origin_names.size()));
    if (added) origin_names.push_back(origin);
    Entry entry{ToUuid(reader.getId()), number->second, p.getSeq(), StreamOf(reader)};
    const std::string pos_value = keys::Fixed64BE(position);
    std::string value;
    auto s = db_->Get(ro, ids_cf_, keys::IdKey(entry.id), &value);
    if (!s.ok() || value != pos_value)
      problem(at(position) + ": id index does not point back to it");
    s = db_->Get(ro, origins_cf_, keys::OriginKey(origin, entry.seq), &value);
    if (s.ok() && value.size() == 8 && value != pos_value) {
      origin_elsewhere.emplace_back(position, keys::DecodeFixed64BE(value.data()));
    } else if (!s.ok() || value != pos_value) {
      problem(at(position) + ": origin index does not point back to it");
    }
    uint64_t& m = max_seq[origin];
    m = std::max(m, entry.seq);
    entries.emplace(position, std::move(entry));
  }
  if (!it->status().ok()) problem("log scan failed: " + it->status().ToString());
  for (const auto& [position, indexed] : origin_elsewhere) {
    const Entry& mine = entries.at(position);
    auto other = entries.find(indexed);
    if (other != entries.end() && other->second.origin == mine.origin &&
        other->second.seq == mine.seq) {
      problem(origin_seq(origin_names[mine.origin], mine.seq) +
              " names two events: " + FormatUuid(mine.id) + " at " + at(position) + " and " +
              FormatUuid(other->second.id) + " at " + at(indexed));
    } else {
      problem(at(position) + ": origin index does not point back to it");
    }
  }

  // 2. Every index entry names a log position that exists and holds the event the entry
  //    is filed under (no dangling or misfiled entries).
  auto check_family = [&](rocksdb::ColumnFamilyHandle* cf, const char* index) {
    uint64_t count = 0;
    std::unique_ptr<rocksdb::Iterator> ix(db_->NewIterator(ro, cf));
    for (ix->SeekToFirst(); ix->Valid(); ix->Next()) {
      ++count;
      auto entry = ix->value().size() == 8 ? entries.find(keys::DecodeFixed64BE(ix->value().data()))
                                           : entries.end();
      if (entry == entries.end()) {
        problem(std::string(index) + " index entry names no valid log position");
        continue;
      }
      const uint64_t position = entry->first;
      const Entry& e = entry->second;
      const std::string key = ix->key().ToString();
      if (cf == ids_cf_ && key != keys::IdKey(e.id)) {
        problem(at(position) + ": id index files it under another id than its own (" +
                FormatUuid(e.id) + ")");
      } else if (cf == origins_cf_ && key != keys::OriginKey(origin_names[e.origin], e.seq)) {
        const std::string filed =
            key.size() < 9 ? "a malformed key"
                           : origin_seq(key.substr(0, key.size() - 9),
                                        keys::DecodeFixed64BE(key.data() + key.size() - 8));
        problem(at(position) + ": origin index files it under " + filed + ", but it is " +
                origin_seq(origin_names[e.origin], e.seq));
      } else if (cf == streams_cf_ &&
                 (key.size() < 9 || key.substr(0, key.size() - 9) != e.stream)) {
        problem(at(position) + ": stream index files it under the wrong stream");
      }
    }
    if (count != report.events) {
      problem(std::string(index) + " index holds " + std::to_string(count) + " entries for " +
              std::to_string(report.events) + " events");
    }
  };
  check_family(ids_cf_, "id");
  check_family(origins_cf_, "origin");
  check_family(streams_cf_, "stream");

  db_->ReleaseSnapshot(snapshot);
  // 3. High-water marks cover what the log holds (they only grow, so reading them after
  //    the snapshot is safe).
  auto hw = HighWaterMarks();
  for (const auto& [origin, seq] : max_seq) {
    if (hw[origin] < seq) {
      problem("high-water mark of origin " + origin + " is " + std::to_string(hw[origin]) +
              " but the log holds seq " + std::to_string(seq));
    }
  }
  return report;
}

}  // namespace holdfast
