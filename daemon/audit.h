// The audit log: who read or wrote case data through the daemon, with which verb, about
// which case, subject, stream or file, when, and whether it was allowed. Kept in its own
// RocksDB column family ("audit") beside the event log. It is this node's record, not the
// partnership's: it never syncs, and `holdfast store restore` carries it into the restored
// store (AdoptEntries) and adds the restore to it.
//
// The entries form a hash chain, so that an entry changed or removed afterwards is found
// (`holdfast audit verify`, docs/audit.md): each carries the SHA-256 of the one before it.
//
//   key:   unix nanoseconds (8 bytes BE) | counter (8 bytes BE)
//          Strictly increasing in the order entries are recorded (a clock stepping back
//          repeats the last time), so key order is the chain's order.
//   value: "v2" \t position \t previous \t user \t role \t verb \t target \t outcome \t credential
//          position: the entry's place in the chain, in decimal, from 1; previous: the
//          SHA-256 (64 lowercase hex digits) of the entry at position - 1, taken over its
//          key and value bytes as stored. At position 1: the digest of the unchained entries
//          before it, so they cannot be changed, removed or added to unseen once the chain
//          has begun: d = 32 zero bytes, then for each in key order d = SHA-256(d | key |
//          value) (64 zeros when there are none).
//   value, entries written before the chain (store format 2 and older, unchained):
//          user \t role \t verb \t target \t outcome
//
//   key:   "chain-head" (kAuditChainHeadKey: the only key that is not 16 bytes)
//   value: count \t SHA-256 of the newest chained entry (hex; 64 zeros when count is 0)
//          Written with every entry, so removing the newest entries shows too.
//
// The fields come from clients, so each is bounded and made printable before it is written
// (AuditField): an entry is a few hundred bytes at most, whatever a request carried. Tabs
// never occur inside a field.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
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

inline constexpr std::string_view kAuditChainHeadKey = "chain-head";

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

// Verbs the audit log records beside the request table's (daemon/requests.cc).
inline constexpr const char* kAuditVerbStoreRestore = "store-restore";
// An import that was given --with-derived (docs/import.md).
inline constexpr const char* kAuditVerbImportWithDerived = "import-with-derived";
// Written by the log itself once entries it had to drop (a full disk, kMaxWaiting) are
// known lost; its target says how many.
inline constexpr const char* kAuditVerbEntriesLost = "audit-entries-lost";

// Which entries `holdfast audit list` shows; every condition given must hold.
struct AuditFilter {
  enum class Outcome { kAny, kAllowed, kRefused, kExactly };
  std::string user;     // exactly this user ("": any)
  std::string case_id;  // target is this case, or its stream "case/ID" ("": any)
  std::string verb;     // exactly this verb ("": any)
  Outcome outcome = Outcome::kAny;
  std::string exact_outcome;  // kExactly: e.g. "permission denied"
  int64_t since = 0;          // at >= since (0: no bound)
  int64_t until = 0;          // at <= until (0: no bound)

  // allowed: outcome "ok"; refused: any other outcome (an error code).
  bool Matches(const AuditRecord& record) const;
};

// Where the chain ends: how many chained entries it holds and the SHA-256 (hex) of the
// newest. holdfastd logs it at start and stop, so a copy of the daemon's log kept elsewhere
// anchors the chain.
struct AuditChainHead {
  uint64_t count = 0;
  std::string hash;  // 64 hex digits
};

// One place where the chain does not hold.
struct AuditBreak {
  enum class Kind {
    kChanged,     // an entry's bytes differ from what the next entry (or the head) hashed
    kRemoved,     // positions missing from the chain
    kUnreadable,  // a row in the chain that is not a chained entry (changed, or added)
    kHead,        // the head is missing, unreadable, or behind the chain
  };
  Kind kind = Kind::kChanged;
  uint64_t position = 0;  // the entry changed, or the first removed (0: not known)
  uint64_t count = 0;     // kRemoved: how many
  int64_t at = 0;         // the entry's time (kRemoved: of the entry after the gap; 0: none)
  std::string detail;     // one line: what and where
};
const char* AuditBreakKindName(AuditBreak::Kind kind);  // "changed", "removed", ...

struct AuditChainReport {
  uint64_t unchained = 0;  // entries before the chain began (older stores): not checkable
  uint64_t checked = 0;    // chained entries read
  AuditChainHead head;     // as stored (count 0 when none)
  uint64_t breaks = 0;     // how many were found; the first kMaxReported are in `found`
  std::vector<AuditBreak> found;
  static constexpr size_t kMaxReported = 1000;
  bool intact() const { return breaks == 0; }
};

// Checks the chain over an audit table's rows, given in key order (the head row among
// them). Plain code over bytes: any bytes at all make a report, never a crash.
class AuditChainChecker {
 public:
  void AddRow(std::string_view key, std::string_view value);
  AuditChainReport Finish();

 private:
  void Break(AuditBreak b);
  AuditChainReport report_;
  bool chain_started_ = false;
  std::string unchained_digest_;  // of the unchained entries so far (raw 32 bytes)
  bool previous_known_ = false;   // the previous entry's hash can be checked against
  uint64_t previous_position_ = 0;
  int64_t previous_at_ = 0;
  std::string previous_hash_;  // raw 32 bytes
  std::optional<std::string> head_row_;
};

class AuditLog {
 public:
  // The audit log in the store's "audit" column family (created on first use).
  static Result<std::unique_ptr<AuditLog>> Open(EventStore* store);

  // Writes what still waits (see Record), and logs what could not be.
  ~AuditLog();

  // Records one entry, each field through AuditField, as the chain's next. Written with the
  // WAL, not synced on its own: it reaches the disk with the next synced append or within
  // RocksDB's background flush. While the store takes no writes (a full disk: reads are
  // still served) entries wait in memory, up to kMaxWaiting (beyond that the oldest are
  // dropped, and an audit-entries-lost entry says how many), and are chained and written
  // with the first entry recorded once it takes them again. Callers on many threads are
  // chained in one order, the order of their keys.
  Status Record(const AuditRecord& record);
  // Tries to write what waits (holdfastd, before it logs the head at stop).
  Status Flush();
  // The chain's head as written (entries still waiting are not in it).
  AuditChainHead Head();
  // Checks the whole chain as it stands (one snapshot): see AuditChainChecker.
  Result<AuditChainReport> Verify() const;

  // The most recent entries, newest first (fields through AuditField, so entries written
  // before fields were bounded come back bounded too).
  Result<std::vector<AuditRecord>> Recent(size_t limit) const;
  // Copies every entry of `other` (another store's audit log) into this one as its bytes
  // are, so the chain they form still verifies; an entry both hold is kept once. The head
  // is the one of the two that counts more entries. Returns how many `other` holds. Synced
  // to disk before it returns.
  Result<uint64_t> AdoptEntries(const AuditLog& other);
  // Every entry older than the one whose key is `before` ("": from the newest), newest
  // first, until fn returns false. `key` is the entry's 16-byte key, a listing's cursor.
  // The record's fields come through AuditField, as Recent's do.
  using ScanFn = std::function<bool(const std::string& key, const AuditRecord& record)>;
  Status Scan(const std::string& before, const ScanFn& fn) const;

  static constexpr size_t kMaxWaiting = 100000;

 private:
  struct Waiting {
    std::string key;
    std::string fields;  // user \t role \t verb \t target \t outcome \t credential
  };
  AuditLog(EventStore* store, SideTable table) : store_(store), table_(std::move(table)) {}
  Status LoadChainEnd();            // mu_ held (or not yet shared)
  std::string NextKey(int64_t at);  // mu_ held
  Status WriteWaiting();            // mu_ held
  EventStore* store_;
  SideTable table_;
  std::mutex mu_;
  // The chain as written: the newest key and the head.
  int64_t last_at_ = 0;
  uint64_t last_counter_ = 0;
  uint64_t chain_count_ = 0;
  std::string chain_hash_;  // raw 32 bytes
  std::deque<Waiting> waiting_;
  uint64_t dropped_ = 0;  // entries given up for lack of room to wait
};

}  // namespace holdfast
