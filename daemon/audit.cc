#include "daemon/audit.h"

#include <chrono>
#include <memory>

#include "eventstore/keys.h"

namespace holdfast {
namespace {
constexpr const char* kAuditFamily = "audit";

std::vector<std::string> SplitTabs(const std::string& s) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == '\t') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

std::string NoTabs(std::string s) {
  for (char& c : s) {
    if (c == '\t' || c == '\n') c = ' ';
  }
  return s;
}
}  // namespace

Result<std::unique_ptr<AuditLog>> AuditLog::Open(EventStore* store) {
  auto cf = store->ColumnFamily(kAuditFamily);
  if (!cf.ok()) return cf.status();
  return std::unique_ptr<AuditLog>(new AuditLog(store->db(), *cf));
}

Status AuditLog::Record(const AuditRecord& r) {
  const int64_t at = r.at != 0 ? r.at
                               : std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
  std::string key = keys::Fixed64BE(static_cast<uint64_t>(at));
  keys::PutFixed64BE(&key, counter_.fetch_add(1));
  const std::string value = NoTabs(r.user) + "\t" + NoTabs(r.role) + "\t" + NoTabs(r.verb) + "\t" +
                            NoTabs(r.target) + "\t" + NoTabs(r.outcome);
  auto s = db_->Put(rocksdb::WriteOptions(), cf_, key, value);
  if (!s.ok()) return Status::IoError("writing the audit log: " + s.ToString());
  return Status::Ok();
}

Result<std::vector<AuditRecord>> AuditLog::Recent(size_t limit) const {
  std::vector<AuditRecord> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_));
  for (it->SeekToLast(); it->Valid() && out.size() < limit; it->Prev()) {
    if (it->key().size() != 16) continue;
    auto parts = SplitTabs(it->value().ToString());
    parts.resize(5);
    out.push_back({static_cast<int64_t>(keys::DecodeFixed64BE(it->key().data())), parts[0],
                   parts[1], parts[2], parts[3], parts[4]});
  }
  if (!it->status().ok())
    return Status::IoError("reading the audit log: " + it->status().ToString());
  return out;
}

}  // namespace holdfast
