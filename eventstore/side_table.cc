#include "eventstore/side_table.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "eventstore/rocks_status.h"

namespace holdfast {

namespace {
rocksdb::Slice AsSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
std::string_view AsView(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }
}  // namespace

struct SideTable::Snapshot {
  explicit Snapshot(rocksdb::DB* db) : held(db) {}
  rocksdb::ManagedSnapshot held;
};

rocksdb::ReadOptions SideTable::ReadOptions() const {
  rocksdb::ReadOptions options;
  if (snapshot_) options.snapshot = snapshot_->held.snapshot();
  return options;
}

Result<std::string> SideTable::Get(std::string_view key) const {
  if (cf_ == nullptr) return Status::Unavailable("no such table");
  const rocksdb::ReadOptions options = ReadOptions();
  std::string value;
  auto s = db_->Get(options, cf_, AsSlice(key), &value);
  if (!s.ok()) return FromRocks(s, "reading " + cf_->GetName());
  return value;
}

std::vector<Result<std::string>> SideTable::GetMany(const std::vector<std::string>& keys) const {
  std::vector<Result<std::string>> out;
  out.reserve(keys.size());
  if (cf_ == nullptr) {
    for (size_t i = 0; i < keys.size(); ++i) out.emplace_back(Status::Unavailable("no such table"));
    return out;
  }
  const rocksdb::ReadOptions options = ReadOptions();
  std::vector<rocksdb::Slice> slices;
  slices.reserve(keys.size());
  for (const auto& k : keys) slices.emplace_back(k);
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db_->MultiGet(options, cf_, keys.size(), slices.data(), values.data(), statuses.data());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].ok()) {
      out.emplace_back(values[i].ToString());
    } else {
      out.emplace_back(FromRocks(statuses[i], "reading " + cf_->GetName()));
    }
  }
  return out;
}

Status SideTable::Scan(std::string_view prefix, const RowFn& fn, std::string_view start) const {
  if (cf_ == nullptr) return Status::Unavailable("no such table");
  const rocksdb::ReadOptions options = ReadOptions();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, cf_));
  const rocksdb::Slice p = AsSlice(prefix);
  it->Seek(start > prefix ? AsSlice(start) : p);
  for (; it->Valid() && it->key().starts_with(p); it->Next()) {
    if (!fn(AsView(it->key()), AsView(it->value()))) break;
  }
  return FromRocks(it->status(), "reading " + cf_->GetName());
}

Status SideTable::ScanBackward(std::string_view prefix, std::string_view before,
                               const RowFn& fn) const {
  if (cf_ == nullptr) return Status::Unavailable("no such table");
  const rocksdb::ReadOptions options = ReadOptions();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, cf_));
  const rocksdb::Slice p = AsSlice(prefix);
  if (!before.empty()) {
    it->SeekForPrev(AsSlice(before));
    if (it->Valid() && it->key() == AsSlice(before)) it->Prev();
  } else {
    // The last key with the prefix: the key before the first one past it.
    std::string past(prefix);
    while (!past.empty() && static_cast<unsigned char>(past.back()) == 0xff) past.pop_back();
    if (past.empty()) {
      it->SeekToLast();
    } else {
      past.back() = static_cast<char>(static_cast<unsigned char>(past.back()) + 1);
      it->SeekForPrev(past);
      if (it->Valid() && it->key() == rocksdb::Slice(past)) it->Prev();
    }
  }
  for (; it->Valid() && it->key().starts_with(p); it->Prev()) {
    if (!fn(AsView(it->key()), AsView(it->value()))) break;
  }
  return FromRocks(it->status(), "reading " + cf_->GetName());
}

SideTable SideTable::AtSnapshot() const {
  SideTable copy = *this;
  if (db_ != nullptr) copy.snapshot_ = std::make_shared<Snapshot>(db_);
  return copy;
}

Status SideTable::Ingest(const std::vector<std::string>& files) const {
  if (cf_ == nullptr) return Status::Unavailable("no such table");
  rocksdb::IngestExternalFileOptions ingest;
  ingest.move_files = true;
  return FromRocks(db_->IngestExternalFile(cf_, files, ingest), "ingesting into " + cf_->GetName());
}

std::string SideTable::ScratchPath(std::string_view name) const {
  return db_->GetName() + "/" + std::string(name);
}

SideBatch::SideBatch() : batch_(std::make_unique<rocksdb::WriteBatch>()) {}
SideBatch::~SideBatch() = default;
SideBatch::SideBatch(SideBatch&&) noexcept = default;
SideBatch& SideBatch::operator=(SideBatch&&) noexcept = default;

void SideBatch::Put(const SideTable& table, std::string_view key, std::string_view value) {
  batch_->Put(table.cf_, AsSlice(key), AsSlice(value));
}
void SideBatch::Delete(const SideTable& table, std::string_view key) {
  batch_->Delete(table.cf_, AsSlice(key));
}
void SideBatch::DeleteRange(const SideTable& table, std::string_view from, std::string_view to) {
  batch_->DeleteRange(table.cf_, AsSlice(from), AsSlice(to));
}
size_t SideBatch::size() const { return batch_->Count(); }
void SideBatch::Clear() { batch_->Clear(); }

Result<std::unique_ptr<TableFile>> TableFile::Create(const SideTable& table, std::string path) {
  if (table.cf_ == nullptr) return Status::Unavailable("no such table");
  rocksdb::Options options(table.db_->GetDBOptions(), table.db_->GetOptions(table.cf_));
  rocksdb::BlockBasedTableOptions format;
  format.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  format.whole_key_filtering = true;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(format));
  options.compression = rocksdb::kNoCompression;
  std::unique_ptr<TableFile> file(new TableFile());
  file->path_ = std::move(path);
  file->writer_ =
      std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(), options, table.cf_,
                                               /*invalidate_page_cache=*/false);
  HOLDFAST_RETURN_IF_ERROR(FromRocks(file->writer_->Open(file->path_), "creating " + file->path_));
  return file;
}

TableFile::~TableFile() = default;

Status TableFile::Put(std::string_view key, std::string_view value) {
  // The message only for an error: a bulk load puts millions of rows.
  auto s = writer_->Put(AsSlice(key), AsSlice(value));
  if (!s.ok()) return FromRocks(s, "writing " + path_);
  return Status::Ok();
}
Status TableFile::DeleteRange(std::string_view from, std::string_view to) {
  return FromRocks(writer_->DeleteRange(AsSlice(from), AsSlice(to)), "writing " + path_);
}
Status TableFile::Finish() { return FromRocks(writer_->Finish(), "finishing " + path_); }

}  // namespace holdfast
