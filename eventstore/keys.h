// The on-disk layout of a holdfast node's RocksDB store. Every key the store writes is
// built here; nothing else composes keys.
//
//   column family  key                                          value
//   -------------  -------------------------------------------  -------------------------
//   log            position (8 bytes, big-endian, from 1)       event bytes: one unpacked
//                                                               Cap'n Proto message
//   ids            event id (16 bytes: hi, lo big-endian)       position (8 bytes BE)
//   origins        origin node id | 0x00 | seq (8 bytes BE)     position (8 bytes BE)
//   streams        stream name | 0x00 | version (8 bytes BE)    position (8 bytes BE)
//   default        "node_id"                                    this node's id
//   (meta)         "format_version"                             kStoreFormatVersion when
//                                                               written (8 bytes BE)
//                  "hlc"                                        last HLC value (8 bytes BE)
//                  "origin"                                     origin of local events, if
//                                                               not the node id (restored)
//                  "hw/" origin                                 highest seq held (8 B BE)
//                  "memtable_pin"                               "": written without the WAL
//                                                               so a memtable is never empty
//                                                               (write_gate.h says why)
//                  "sync/..."                                   a peer's checkpoint and
//                                                               quarantine, written with the
//                                                               events they describe
//                                                               (sync/sync_keys.h)
//
//   log:     positions are this node's arrival order, gap-free, never reused.
//   origins: one entry per event; its last key per origin is that origin's high-water mark.
//   streams: version v is the v-th event of the stream to arrive here (1, 2, 3, ...).
//
// Other modules keep their own families beside these (kModuleFamilies), each laid out in
// one commented header of its module and reached only through side_table.h:
//   projections   projections/row_keys.h
//   audit         daemon/audit.h
//   peers         daemon/peer_registry.h
//   users         daemon/users.h
//   hooks         daemon/hooks.h
// A store holding a family named nowhere here was written by a newer holdfast, and
// EventStore::Open refuses it.
//
// Format versions (docs/store-format.md says how a store moves from one to the next):
//   1  the layout above without "format_version" (a store lacking the key is version 1)
//   2  "format_version" written; Open stamps a version 1 store with it, nothing else changes
//   3  the projections family gains prov/ rows (a provider's cases); its rows are derived, so
//      Open drops them all and the projector folds the log again. The users family
//      (daemon/users.h) is new: made on first use, and holdfastd makes its own Unix account
//      the first operator of a store that has no users. The audit family's entries are chained by
//      SHA-256 and it holds the chain's head (daemon/audit.h); an older store's entries stay as
//      they are, unchained, and the chain begins with the first entry written after the upgrade
//   4  the hooks family (daemon/hooks.h) is new: made on first use; nothing else changes
//   5  the projections family gains aidx/ rows (the alerts' listing order); its rows are
//      derived, so Open drops them all and the projector folds the log again, as for 3
// A change to any layout here or in a module's family, or a new family or meta key, takes
// the next version and a step in EventStore::Open that upgrades the one before.
//
// Big-endian integers make RocksDB's bytewise order the numeric order, so a log scan is a
// plain forward iteration and "the last seq of origin X" is one SeekForPrev.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "eventstore/ids.h"

namespace holdfast::keys {

inline constexpr const char* kLogFamily = "log";
inline constexpr const char* kIdsFamily = "ids";
inline constexpr const char* kOriginsFamily = "origins";
inline constexpr const char* kStreamsFamily = "streams";
// The families other modules own (EventStore::ColumnFamily creates only these).
inline constexpr const char* kProjectionsFamily = "projections";  // projections/row_keys.h
inline constexpr const char* kAuditFamily = "audit";              // daemon/audit.h
inline constexpr const char* kPeersFamily = "peers";              // daemon/peer_registry.h
inline constexpr const char* kUsersFamily = "users";              // daemon/users.h
inline constexpr const char* kHooksFamily = "hooks";              // daemon/hooks.h
inline constexpr std::array<const char*, 5> kModuleFamilies = {
    kProjectionsFamily, kAuditFamily, kPeersFamily, kUsersFamily, kHooksFamily};

inline constexpr uint64_t kStoreFormatVersion = 5;

inline constexpr std::string_view kNodeIdKey = "node_id";
inline constexpr std::string_view kFormatVersionKey = "format_version";
inline constexpr std::string_view kHlcKey = "hlc";
inline constexpr std::string_view kOriginKey = "origin";
inline constexpr std::string_view kHighWaterPrefix = "hw/";
inline constexpr std::string_view kMemtablePinKey = "memtable_pin";

inline void PutFixed64BE(std::string* dst, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  dst->append(buf, 8);
}

inline uint64_t DecodeFixed64BE(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

inline std::string Fixed64BE(uint64_t v) {
  std::string s;
  PutFixed64BE(&s, v);
  return s;
}

inline std::string LogKey(uint64_t position) { return Fixed64BE(position); }

inline std::string IdKey(const Uuid& id) {
  std::string s;
  PutFixed64BE(&s, id.hi);
  PutFixed64BE(&s, id.lo);
  return s;
}

// Prefix ends in 0x00, which an identifier never contains, so "a" never matches "ab".
inline std::string NamePrefix(std::string_view name) {
  std::string s(name);
  s.push_back('\0');
  return s;
}

inline std::string NameSeqKey(std::string_view name, uint64_t n) {
  std::string s = NamePrefix(name);
  PutFixed64BE(&s, n);
  return s;
}

inline std::string OriginKey(std::string_view origin, uint64_t seq) {
  return NameSeqKey(origin, seq);
}
inline std::string StreamKey(std::string_view stream, uint64_t version) {
  return NameSeqKey(stream, version);
}

inline std::string HighWaterKey(std::string_view origin) {
  return std::string(kHighWaterPrefix) + std::string(origin);
}

}  // namespace holdfast::keys
