// The audit log: who read or wrote case data through the daemon, with which verb, about
// which case, subject, stream or file, when, and whether it was allowed. Kept in its own
// RocksDB column family ("audit") beside the event log. It is this node's record, not the
// partnership's: it never syncs, and `holdfast store restore` carries it into the restored
// store (AdoptEntries) and adds the restore to it.
//
//   key:   unix nanoseconds (8 bytes BE) | counter (8 bytes BE)
//   value: user \t role \t verb \t target \t outcome
//
// The fields come from clients, so each is bounded and made printable before it is written
// (AuditField): an entry is a few hundred bytes at most, whatever a request carried.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eventstore/event_store.h"
#include "eventstore/status.h"

namespace holdfast {

// The longest field kept as it was given, and the longest field kept at all.
constexpr size_t kMaxAuditFieldBytes = 256;
// How much of a field that is longer, or not printable UTF-8, is kept: at most this many
// bytes once escaped, then a note of what was done to it.
constexpr size_t kAuditExcerptBytes = 128;

// A field as the audit log keeps it: as given when it is printable UTF-8 (IsPrintableUtf8)
// of at most kMaxAuditFieldBytes; otherwise the start of it, escaped (EscapeControls) and
// cut on a character to at most kAuditExcerptBytes, then how long it was and what was done
// to it, e.g. "\x1b[31mred [as given: 8 bytes, escaped]" or "uuu...uuu... [as given:
// 5242880 bytes, cut]". Never longer than kMaxAuditFieldBytes, and what it returns it
// returns unchanged.
std::string AuditField(std::string_view raw);

struct AuditRecord {
  int64_t at = 0;  // unix nanoseconds
  std::string user, role, verb, target, outcome;
  std::string credential;  // Caller::credential: "uid 1000", "token 3fa2c1d0"
};

class AuditLog {
 public:
  // The audit log in the store's "audit" column family (created on first use).
  static Result<std::unique_ptr<AuditLog>> Open(EventStore* store);

  // Writes what still waits (see Record), and logs what could not be.
  ~AuditLog();

  // Records one entry, each field through AuditField. Written with the WAL, not synced on its own:
  // it reaches the disk with the next synced append or within RocksDB's background flush. While the
  // store takes no writes (a full disk: reads are still served) entries wait in memory, up to
  // kMaxWaiting, and are written with the first entry recorded once it takes them again.
  Status Record(const AuditRecord& record);
  // The most recent entries, newest first (fields through AuditField, so entries written
  // before fields were bounded come back bounded too).
  Result<std::vector<AuditRecord>> Recent(size_t limit) const;
  // Copies every entry of `other` (another store's audit log) into this one, keeping its
  // time and place in the order; an entry both hold is kept once. Returns how many `other`
  // holds. Synced to disk before it returns.
  Result<uint64_t> AdoptEntries(const AuditLog& other);
  // Every entry older than the one whose key is `before` ("": from the newest), newest
  // first, until fn returns false. `key` is the entry's 16-byte key, a listing's cursor.
  // The record's fields come through AuditField, as Recent's do.
  using ScanFn = std::function<bool(const std::string& key, const AuditRecord& record)>;
  Status Scan(const std::string& before, const ScanFn& fn) const;

  static constexpr size_t kMaxWaiting = 100000;

 private:
  AuditLog(EventStore* store, SideTable table) : store_(store), table_(std::move(table)) {}
  Status WriteWaiting();  // mu_ held
  EventStore* store_;
  SideTable table_;
  std::atomic<uint64_t> counter_{0};
  std::mutex mu_;
  std::atomic<bool> has_waiting_{false};
  std::deque<std::pair<std::string, std::string>> waiting_;  // key, value
  uint64_t dropped_ = 0;  // entries given up for lack of room to wait
};

}  // namespace holdfast
