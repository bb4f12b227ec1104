#include "daemon/audit.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

#include "daemon/digest.h"
#include "daemon/safe_text.h"
#include "eventstore/ids.h"
#include "eventstore/keys.h"

namespace holdfast {
namespace {

constexpr std::string_view kChainedMark = "v2";
constexpr size_t kHashBytes = 32;

std::vector<std::string_view> SplitTabs(std::string_view s) {
  std::vector<std::string_view> out;
  size_t from = 0;
  for (size_t tab = s.find('\t'); tab != std::string_view::npos; tab = s.find('\t', from)) {
    out.push_back(s.substr(from, tab - from));
    from = tab + 1;
  }
  out.push_back(s.substr(from));
  return out;
}

// The 32 bytes of a hash written as 64 lowercase hex digits; nullopt for anything else.
std::optional<std::string> HashFromHex(std::string_view hex) {
  if (hex.size() != 2 * kHashBytes) return std::nullopt;
  return FromHex(hex);
}

// SHA-256 of an entry's key and value bytes as stored: what the next entry carries.
std::string EntryHash(std::string_view key, std::string_view value) { return Sha256({key, value}); }

// A count or position in decimal: digits only, no leading zero, at most 19 digits.
std::optional<uint64_t> ParseCount(std::string_view text) {
  if (text.empty() || text.size() > 19 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  uint64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

const std::string& ZeroHash() {
  static const std::string zero(kHashBytes, '\0');
  return zero;
}

// The digest of the unchained entries before the chain, one more entry taken in.
std::string NextUnchainedDigest(const std::string& digest, std::string_view key,
                                std::string_view value) {
  return Sha256({digest, key, value});
}

// One stored entry, as its bytes say.
struct StoredEntry {
  bool chained = false;
  uint64_t position = 0;  // chained: from 1
  std::string previous;   // chained: the raw hash of the entry before
  AuditRecord record;     // fields through AuditField
};

StoredEntry DecodeEntry(std::string_view key, std::string_view value) {
  StoredEntry entry;
  entry.record.at = static_cast<int64_t>(keys::DecodeFixed64BE(key.data()));
  auto parts = SplitTabs(value);
  if (parts.size() == 9 && parts[0] == kChainedMark) {
    auto position = ParseCount(parts[1]);
    auto previous = HashFromHex(parts[2]);
    if (position && *position > 0 && previous) {
      entry.chained = true;
      entry.position = *position;
      entry.previous = std::move(*previous);
      parts.erase(parts.begin(), parts.begin() + 3);
    }
  }
  // Unchained: user, role, verb, target, outcome (an entry from before fields were bounded
  // may hold more tabs, or fewer).
  parts.resize(6);
  entry.record.user = AuditField(parts[0]);
  entry.record.role = AuditField(parts[1]);
  entry.record.verb = AuditField(parts[2]);
  entry.record.target = AuditField(parts[3]);
  entry.record.outcome = AuditField(parts[4]);
  entry.record.credential = entry.chained ? AuditField(parts[5]) : "";
  return entry;
}

std::string EncodeHead(uint64_t count, std::string_view hash) {
  return std::to_string(count) + "\t" + Hex(hash);
}

std::optional<AuditChainHead> DecodeHead(std::string_view value) {
  auto parts = SplitTabs(value);
  if (parts.size() != 2) return std::nullopt;
  auto count = ParseCount(parts[0]);
  if (!count || !HashFromHex(parts[1])) return std::nullopt;
  return AuditChainHead{*count, std::string(parts[1])};
}

std::string At(int64_t at) { return FormatRfc3339(at); }

// "entry 7 was" or "entries 7 to 9 (3) were".
std::string EntriesWere(uint64_t first, uint64_t last) {
  if (first == last) return "entry " + std::to_string(first) + " was";
  return "entries " + std::to_string(first) + " to " + std::to_string(last) + " (" +
         std::to_string(last - first + 1) + ") were";
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

bool AuditFilter::Matches(const AuditRecord& r) const {
  if (!user.empty() && r.user != user) return false;
  if (!case_id.empty() && r.target != case_id && r.target != "case/" + case_id) return false;
  if (!verb.empty() && r.verb != verb) return false;
  if (since != 0 && r.at < since) return false;
  if (until != 0 && r.at > until) return false;
  switch (outcome) {
    case Outcome::kAny:
      return true;
    case Outcome::kAllowed:
      return r.outcome == "ok";
    case Outcome::kRefused:
      return r.outcome != "ok";
    case Outcome::kExactly:
      return r.outcome == exact_outcome;
  }
  return true;
}

const char* AuditBreakKindName(AuditBreak::Kind kind) {
  switch (kind) {
    case AuditBreak::Kind::kChanged:
      return "changed";
    case AuditBreak::Kind::kRemoved:
      return "removed";
    case AuditBreak::Kind::kUnreadable:
      return "unreadable";
    case AuditBreak::Kind::kHead:
      return "head";
  }
  return "unknown";
}

// --- Checking the chain -----------------------------------------------------------------

void AuditChainChecker::Break(AuditBreak b) {
  ++report_.breaks;
  if (report_.found.size() < AuditChainReport::kMaxReported) report_.found.push_back(std::move(b));
}

void AuditChainChecker::AddRow(std::string_view key, std::string_view value) {
  using K = AuditBreak::Kind;
  if (key == kAuditChainHeadKey) {
    head_row_ = std::string(value);
    return;
  }
  if (key.size() != 16) {
    Break({K::kUnreadable, 0, 0, 0,
           "a row that is not an audit entry (a key of " + std::to_string(key.size()) +
               " bytes) is in the audit log: it was added"});
    return;
  }
  const StoredEntry entry = DecodeEntry(key, value);
  const int64_t at = entry.record.at;
  if (!entry.chained) {
    if (!chain_started_) {
      ++report_.unchained;  // written before the chain began
      unchained_digest_ = NextUnchainedDigest(
          unchained_digest_.empty() ? ZeroHash() : unchained_digest_, key, value);
      return;
    }
    Break({K::kUnreadable, previous_position_ + 1, 0, at,
           "the entry at " + At(at) + ", after entry " + std::to_string(previous_position_) +
               ", is not a chained entry: it was changed, or added"});
    previous_known_ = false;
    return;
  }
  ++report_.checked;
  const uint64_t position = entry.position;
  if (!chain_started_) {
    chain_started_ = true;
    if (position > 1) {
      Break({K::kRemoved, 1, position - 1, at,
             EntriesWere(1, position - 1) + " removed: the oldest of the chain, before " + At(at) +
                 " (entry " + std::to_string(position) + ")"});
    } else if (entry.previous != (unchained_digest_.empty() ? ZeroHash() : unchained_digest_)) {
      Break({K::kChanged, 1, 0, at,
             report_.unchained == 0
                 ? "entry 1 (" + At(at) +
                       ") was changed after it was written, or entries before it were removed"
                 : "the " + std::to_string(report_.unchained) +
                       " unchained entries before the chain were changed, added to or removed "
                       "from after it began, or entry 1 (" +
                       At(at) + ") was changed: entry 1 holds another digest of them"});
    }
  } else if (position <= previous_position_) {
    // Not the chain's next: skipped, so the entries around it are still checked together.
    Break({K::kUnreadable, position, 0, at,
           "the entry at " + At(at) + " claims position " + std::to_string(position) +
               " but follows entry " + std::to_string(previous_position_) +
               ": it was changed, or copied in"});
    return;
  } else if (position > previous_position_ + 1) {
    Break({K::kRemoved, previous_position_ + 1, position - previous_position_ - 1, at,
           EntriesWere(previous_position_ + 1, position - 1) + " removed, between " +
               At(previous_at_) + " (entry " + std::to_string(previous_position_) + ") and " +
               At(at) + " (entry " + std::to_string(position) + ")"});
  } else if (previous_known_ && entry.previous != previous_hash_) {
    Break({K::kChanged, previous_position_, 0, previous_at_,
           "entry " + std::to_string(previous_position_) + " (" + At(previous_at_) +
               ") was changed after it was written: entry " + std::to_string(position) +
               " holds another hash of it"});
  }
  chain_started_ = true;
  previous_known_ = true;
  previous_position_ = position;
  previous_at_ = at;
  previous_hash_ = EntryHash(key, value);
}

AuditChainReport AuditChainChecker::Finish() {
  using K = AuditBreak::Kind;
  std::optional<AuditChainHead> head;
  if (!head_row_) {
    if (chain_started_) {
      Break({K::kHead, 0, 0, 0,
             "the chain's head is missing: it was removed, and the newest entries may have gone "
             "with it (compare with the head holdfastd logged at its last stop)"});
    }
  } else if (!(head = DecodeHead(*head_row_))) {
    Break({K::kHead, 0, 0, 0, "the chain's head cannot be read: it was changed"});
  }
  if (!head) {
    report_.head = {previous_position_, Hex(chain_started_ ? previous_hash_ : ZeroHash())};
    return std::move(report_);
  }
  report_.head = *head;
  const uint64_t last = chain_started_ ? previous_position_ : 0;
  if (head->count > last) {
    const std::string after = last == 0 ? std::string("every chained entry")
                                        : "the newest, after " + At(previous_at_) + " (entry " +
                                              std::to_string(last) + ")";
    Break({K::kRemoved, last + 1, head->count - last, 0,
           EntriesWere(last + 1, head->count) + " removed: " + after});
  } else if (head->count < last) {
    Break({K::kHead, 0, 0, 0,
           "the chain's head counts " + std::to_string(head->count) +
               " entries but the chain holds " + std::to_string(last) + ": the head was changed"});
  } else if (last > 0 && previous_known_ && head->hash != Hex(previous_hash_)) {
    Break({K::kChanged, last, 0, previous_at_,
           "entry " + std::to_string(last) + " (" + At(previous_at_) +
               "), the newest, was changed after it was written: the chain's head holds another "
               "hash of it"});
  }
  return std::move(report_);
}

// --- The log ------------------------------------------------------------------------------

Result<std::unique_ptr<AuditLog>> AuditLog::Open(EventStore* store) {
  auto table = store->Table(keys::kAuditFamily);
  if (!table.ok()) return table.status();
  std::unique_ptr<AuditLog> log(new AuditLog(store, *table));
  HOLDFAST_RETURN_IF_ERROR(log->LoadChainEnd());
  return log;
}

Status AuditLog::LoadChainEnd() {
  // The newest entry: where keys go on from, and (when it is chained) where the chain ends.
  // Chained entries always follow the unchained ones, so an unchained newest entry means no
  // chain yet.
  std::optional<StoredEntry> newest;
  std::string newest_hash;
  Status s = table_.ScanBackward("", "", [&](std::string_view key, std::string_view value) {
    if (key.size() != 16) return true;
    newest = DecodeEntry(key, value);
    newest_hash = EntryHash(key, value);
    last_at_ = static_cast<int64_t>(keys::DecodeFixed64BE(key.data()));
    last_counter_ = keys::DecodeFixed64BE(key.data() + 8);
    return false;
  });
  if (!s.ok()) return Status::IoError("reading the audit log: " + s.message());
  auto head_row = table_.Get(kAuditChainHeadKey);
  if (!head_row.ok() && head_row.status().code() != Status::Code::kNotFound) {
    return Status::IoError("reading the audit log: " + head_row.status().message());
  }
  if (head_row.ok()) {
    if (auto head = DecodeHead(*head_row)) {
      chain_count_ = head->count;
      chain_hash_ = *HashFromHex(head->hash);
      return Status::Ok();
    }
  }
  chain_count_ = 0;
  chain_hash_ = ZeroHash();
  if (!newest || !newest->chained) {
    // No chain yet: it will begin with the digest of the entries before it (an older store's).
    if (!newest) return Status::Ok();
    Status scanned = table_.Scan("", [&](std::string_view key, std::string_view value) {
      if (key.size() == 16) chain_hash_ = NextUnchainedDigest(chain_hash_, key, value);
      return true;
    });
    if (!scanned.ok()) return Status::IoError("reading the audit log: " + scanned.message());
    return Status::Ok();
  }
  {
    // Evidence for `audit verify`, which finds the same; the chain goes on from its end.
    spdlog::error(
        "audit: the chain's head is {}: the chain goes on from its newest entry ({}); run "
        "`holdfast audit verify`",
        head_row.ok() ? "unreadable" : "missing", newest->position);
    chain_count_ = newest->position;
    chain_hash_ = newest_hash;
  }
  return Status::Ok();
}

AuditLog::~AuditLog() {
  std::lock_guard<std::mutex> l(mu_);
  // What it cannot write stays waiting, and is counted as lost just below.
  if (!waiting_.empty() || dropped_ > 0) WriteWaiting().IgnoreError();
  if (!waiting_.empty() || dropped_ > 0) {
    spdlog::error("audit: {} entries recorded while the store took no writes are lost",
                  waiting_.size() + dropped_);
  }
}

std::string AuditLog::NextKey(int64_t at) {
  // Never before the newest key, so key order is the order entries are chained in.
  if (at < last_at_) at = last_at_;
  last_at_ = at;
  ++last_counter_;
  std::string key = keys::Fixed64BE(static_cast<uint64_t>(at));
  keys::PutFixed64BE(&key, last_counter_);
  return key;
}

Status AuditLog::Record(const AuditRecord& r) {
  const int64_t at = r.at != 0 ? r.at
                               : std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
  // AuditField escapes tabs and line breaks, so the separators stay unambiguous.
  std::string fields = AuditField(r.user) + "\t" + AuditField(r.role) + "\t" + AuditField(r.verb) +
                       "\t" + AuditField(r.target) + "\t" + AuditField(r.outcome) + "\t" +
                       AuditField(r.credential);
  std::lock_guard<std::mutex> l(mu_);
  waiting_.push_back({NextKey(at), std::move(fields)});
  return WriteWaiting();
}

Status AuditLog::Flush() {
  std::lock_guard<std::mutex> l(mu_);
  return WriteWaiting();
}

AuditChainHead AuditLog::Head() {
  std::lock_guard<std::mutex> l(mu_);
  return {chain_count_, Hex(chain_hash_)};
}

Status AuditLog::WriteWaiting() {
  if (waiting_.empty() && dropped_ == 0) return Status::Ok();
  // Chained only now, in the order they were recorded: an entry that could not be written
  // takes no place in the chain.
  SideBatch batch;
  uint64_t count = chain_count_;
  std::string hash = chain_hash_;
  auto chain = [&](const std::string& key, const std::string& fields) {
    const std::string value = std::string(kChainedMark) + "\t" + std::to_string(count + 1) + "\t" +
                              Hex(hash) + "\t" + fields;
    batch.Put(table_, key, value);
    ++count;
    hash = EntryHash(key, value);
  };
  for (const auto& w : waiting_) chain(w.key, w.fields);
  if (dropped_ > 0) {
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    chain(NextKey(now), std::string("holdfastd\tsystem\t") + kAuditVerbEntriesLost + "\t" +
                            std::to_string(dropped_) +
                            " entries recorded while the store took no writes\tlost\t");
  }
  batch.Put(table_, kAuditChainHeadKey, EncodeHead(count, hash));
  Status s = store_->Write(batch);
  if (s.ok()) {
    if (waiting_.size() > 1) spdlog::info("audit: wrote {} entries that waited", waiting_.size());
    if (dropped_ > 0) spdlog::error("audit: {} entries were lost, and the log says so", dropped_);
    chain_count_ = count;
    chain_hash_ = std::move(hash);
    waiting_.clear();
    dropped_ = 0;
    return s;
  }
  for (; waiting_.size() > kMaxWaiting; waiting_.pop_front()) ++dropped_;
  return s;
}

Result<AuditChainReport> AuditLog::Verify() const {
  AuditChainChecker checker;
  Status s = table_.AtSnapshot().Scan("", [&](std::string_view key, std::string_view value) {
    checker.AddRow(key, value);
    return true;
  });
  if (!s.ok()) return Status::IoError("reading the audit log: " + s.message());
  return checker.Finish();
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
    return fn(std::string(key), DecodeEntry(key, value).record);
  });
  if (!s.ok()) return Status::IoError("reading the audit log: " + s.message());
  return Status::Ok();
}

Result<uint64_t> AuditLog::AdoptEntries(const AuditLog& other) {
  constexpr size_t kBatchEntries = 10000;
  std::lock_guard<std::mutex> l(mu_);
  SideBatch batch;
  uint64_t count = 0;
  Status written;
  auto write = [&]() -> Status {
    Status s = store_->Write(batch, /*sync=*/true);
    batch.Clear();
    return s;
  };
  Status read = other.table_.Scan("", [&](std::string_view key, std::string_view value) {
    if (key.size() != 16) return true;  // the head, below
    batch.Put(table_, key, value);
    ++count;
    if (batch.size() >= kBatchEntries) written = write();
    return written.ok();
  });
  HOLDFAST_RETURN_IF_ERROR(written);
  if (!read.ok()) return Status::IoError("reading the audit log: " + read.message());
  // The head as `other` stored it, when it counts more: the chain it ends is the longer one
  // (a backup's is the start of the store's it replaces). A head missing or changed there
  // stays so here, for `audit verify` to find.
  auto other_head = other.table_.Get(kAuditChainHeadKey);
  if (other_head.ok()) {
    auto head = DecodeHead(*other_head);
    if (head && head->count > chain_count_) batch.Put(table_, kAuditChainHeadKey, *other_head);
  } else if (other_head.status().code() != Status::Code::kNotFound) {
    return Status::IoError("reading the audit log: " + other_head.status().message());
  }
  HOLDFAST_RETURN_IF_ERROR(write());
  HOLDFAST_RETURN_IF_ERROR(LoadChainEnd());
  return count;
}

}  // namespace holdfast
