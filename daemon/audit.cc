#include "daemon/audit.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

#include "daemon/safe_text.h"
#include "eventstore/keys.h"

namespace holdfast {
namespace {
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

}  // namespace

std::string AuditField(std::string_view raw) {
  const bool printable = IsPrintableUtf8(raw);
  if (printable && raw.size() <= kMaxAuditFieldBytes) return std::string(raw);
  // Whole characters (or stray bytes) while their escaped form fits, so a cut never leaves
  // half a character to be escaped as if it were a stray byte.
  std::string excerpt;
  size_t used = 0;
  while (used < raw.size()) {
    const size_t n = Utf8SequenceAt(raw, used);
    const std::string shown = EscapeControls(raw.substr(used, n == 0 ? 1 : n));
    if (excerpt.size() + shown.size() > kAuditExcerptBytes) break;
    excerpt += shown;
    used += n == 0 ? 1 : n;
  }
  const bool cut = used < raw.size();
  return excerpt + (cut ? "..." : "") + " [as given: " + std::to_string(raw.size()) + " bytes" +
         (cut ? ", cut" : "") + (printable ? "" : ", escaped") + "]";
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(EventStore* store) {
  auto table = store->Table(keys::kAuditFamily);
  if (!table.ok()) return table.status();
  return std::unique_ptr<AuditLog>(new AuditLog(store, *table));
}

AuditLog::~AuditLog() {
  std::lock_guard<std::mutex> l(mu_);
  // What it cannot write stays waiting, and is counted as lost just below.
  if (!waiting_.empty()) WriteWaiting().IgnoreError();
  if (!waiting_.empty() || dropped_ > 0) {
    spdlog::error("audit: {} entries recorded while the store took no writes are lost",
                  waiting_.size() + dropped_);
  }
}

Status AuditLog::Record(const AuditRecord& r) {
  const int64_t at = r.at != 0 ? r.at
                               : std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
  std::string key = keys::Fixed64BE(static_cast<uint64_t>(at));
  keys::PutFixed64BE(&key, counter_.fetch_add(1));
  // AuditField escapes tabs and line breaks, so the separators stay unambiguous.
  const std::string value = AuditField(r.user) + "\t" + AuditField(r.role) + "\t" +
                            AuditField(r.verb) + "\t" + AuditField(r.target) + "\t" +
                            AuditField(r.outcome);
  if (!has_waiting_.load(std::memory_order_acquire)) {
    SideBatch batch;
    batch.Put(table_, key, value);
    if (store_->Write(batch).ok()) return Status::Ok();
  }
  // The key orders entries by time, so those that waited land where they belong.
  std::lock_guard<std::mutex> l(mu_);
  waiting_.emplace_back(std::move(key), value);
  has_waiting_.store(true, std::memory_order_release);
  return WriteWaiting();
}

Status AuditLog::WriteWaiting() {
  SideBatch batch;
  for (const auto& [key, value] : waiting_) batch.Put(table_, key, value);
  Status s = store_->Write(batch);
  if (s.ok()) {
    if (waiting_.size() > 1) spdlog::info("audit: wrote {} entries that waited", waiting_.size());
    waiting_.clear();
    has_waiting_.store(false, std::memory_order_release);
    return s;
  }
  for (; waiting_.size() > kMaxWaiting; waiting_.pop_front()) ++dropped_;
  return s;
}

Result<std::vector<AuditRecord>> AuditLog::Recent(size_t limit) const {
  std::vector<AuditRecord> out;
  HOLDFAST_RETURN_IF_ERROR(Scan("", [&](const std::string&, const AuditRecord& r) {
    if (out.size() >= limit) return false;
    out.push_back(r);
    return true;
  }));
  return out;
}

Status AuditLog::Scan(const std::string& before, const ScanFn& fn) const {
  Status s = table_.ScanBackward("", before, [&](std::string_view key, std::string_view value) {
    if (key.size() != 16) return true;
    auto parts = SplitTabs(std::string(value));
    parts.resize(5);
    const AuditRecord r{static_cast<int64_t>(keys::DecodeFixed64BE(key.data())),
                        AuditField(parts[0]),
                        AuditField(parts[1]),
                        AuditField(parts[2]),
                        AuditField(parts[3]),
                        AuditField(parts[4]),
                        ""};
    return fn(std::string(key), r);
  });
  if (!s.ok()) return Status::IoError("reading the audit log: " + s.message());
  return Status::Ok();
}

Result<uint64_t> AuditLog::AdoptEntries(const AuditLog& other) {
  constexpr size_t kBatchEntries = 10000;
  SideBatch batch;
  uint64_t count = 0;
  Status written;
  auto write = [&]() -> Status {
    Status s = store_->Write(batch, /*sync=*/true);
    batch.Clear();
    return s;
  };
  Status read = other.table_.Scan("", [&](std::string_view key, std::string_view value) {
    batch.Put(table_, key, value);
    ++count;
    if (batch.size() >= kBatchEntries) written = write();
    return written.ok();
  });
  HOLDFAST_RETURN_IF_ERROR(written);
  if (!read.ok()) return Status::IoError("reading the audit log: " + read.message());
  HOLDFAST_RETURN_IF_ERROR(write());
  return count;
}

}  // namespace holdfast
