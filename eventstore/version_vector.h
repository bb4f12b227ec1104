// What a node holds of each origin's events, and what two nodes say about one (origin,
// seq): the plain values the event store and the sync session share. No storage here, so
// the replication state machine (sync/session.h) can use them without RocksDB.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "eventstore/ids.h"

namespace holdfast {

// Per-origin highest sequence number held: the node's version vector.
using VersionVector = std::map<std::string, uint64_t>;

// The node an origin belongs to: the origin without the "~<12 hex digits>" a restored
// node's origin carries (EventStore::StartNewOrigin).
std::string_view OriginNode(std::string_view origin);

// What a peer says it holds under one (origin, seq): the id of its event there.
struct SeqClaim {
  std::string origin;
  uint64_t seq = 0;
  Uuid id;
  bool operator==(const SeqClaim& o) const {
    return origin == o.origin && seq == o.seq && id == o.id;
  }
};

// Two different events under one (origin, seq). Each (origin, seq) names one event in the
// whole partnership, so this means two nodes' logs have split (a node gave out a seq again,
// say after a crash in the middle of restoring a backup): each holds an event the other
// never will, and version vectors cannot show it.
struct SeqConflict {
  std::string origin;
  uint64_t seq = 0;
  Uuid held;     // the event this store holds there (for two claims that contradict each
                 // other, the first of them)
  Uuid offered;  // the other event
  // "origin provider-1 seq 7: held here as <id>, offered as <id>"
  std::string ToString() const;
  bool operator==(const SeqConflict& o) const {
    return origin == o.origin && seq == o.seq && held == o.held && offered == o.offered;
  }
};

}  // namespace holdfast
