// The sync state a node keeps per peer, in the store's meta family (eventstore/keys.h),
// written in the same atomic write as the peer's events it describes (EventStore::Insert's
// MetaWrites), so a cut at any byte resumes from what is stored. Every sync key is built
// and read here.
//
//   key                        value
//   -------------------------  ------------------------------------------------------------
//   "sync/ckpt/" PEER          the position reached in PEER's log (8 bytes BE), then the
//                              basis it was given under (8 bytes BE); 8 bytes alone in a
//                              store from before bases (basis 0: the first one heard is
//                              taken); "" once the peer is removed
//   "sync/quarantine/" PEER    one line per origin no longer taken from PEER:
//                              "ORIGIN SEQ HELD-ID OFFERED-ID\n"; "" when none
//   "sync/served/" PEER        how far PEER had pulled this node's log when this node last
//                              heard (for `sync status`, after a restart too): "AFTER BASIS\n"
//                              (the position its pull started after, and the basis it was
//                              served under), then "ORIGIN SEQ\n" per origin of its version
//                              vector; written at most once a second and when a link closes,
//                              not with the events; "" once the peer is removed
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "eventstore/version_vector.h"

namespace holdfast {

inline constexpr std::string_view kCheckpointPrefix = "sync/ckpt/";
inline constexpr std::string_view kQuarantinePrefix = "sync/quarantine/";
inline constexpr std::string_view kServedPrefix = "sync/served/";

std::string CheckpointKey(std::string_view peer);
std::string QuarantineKey(std::string_view peer);
std::string ServedKey(std::string_view peer);

struct Checkpoint {
  uint64_t through = 0;  // the position reached in the peer's log
  uint64_t basis = 0;    // the peer's basis it was given under (0: not known)
};
std::string EncodeCheckpoint(const Checkpoint& checkpoint);
// A value of another length (a removed peer's "") reads as no checkpoint.
Checkpoint DecodeCheckpoint(std::string_view value);

// The origins a node takes no more events of from one peer, since their logs hold two
// different events under one (origin, seq) of that origin: the first such pair found, per
// origin.
using Quarantine = std::map<std::string, SeqConflict>;
std::string EncodeQuarantine(const Quarantine& quarantine);
// Lines that do not parse are skipped.
Quarantine DecodeQuarantine(std::string_view value);

// What this node knows of how far a peer has pulled its log.
struct Served {
  uint64_t after = 0;  // the peer's last pull asked for the events after this position
  uint64_t basis = 0;  // the basis it was served under (0: never served)
  VersionVector held;  // the peer's version vector, as it last said or sent
  bool operator==(const Served& o) const {
    return after == o.after && basis == o.basis && held == o.held;
  }
};
std::string EncodeServed(const Served& served);
// A value that does not parse (a removed peer's "") reads as never served.
Served DecodeServed(std::string_view value);

}  // namespace holdfast
