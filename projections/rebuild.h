// The full rebuild of the projections (Projector::Rebuild): one streaming pass over the log
// into the projections' fold (projections/fold.h), which keeps each case's compact facts in
// memory; every case evaluated once from them; and the whole column family replaced by
// table files ingested in one step.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "eventstore/event_store.h"
#include "projections/projector.h"
#include "projections/rules.h"

namespace holdfast {

struct RebuildOptions {
  RuleConfig rules;
  int64_t now = 0;      // the evaluation time (derive)
  uint64_t last = 0;    // fold the log up to this position
  std::string node_id;  // PlanLifecycle's: which alerts this node raised
  VersionVector view;   // PlanLifecycle's: the store's version vector, read before `last`
  std::function<void(uint64_t, uint64_t)> progress;  // (folded, last), during the pass
};

// Replaces every row of the projections family `table` with the projection of log positions
// 1..options.last, the checkpoint included, in one atomic ingestion: until it returns, the
// family holds what it held before (so a crash leaves either state, whole). With
// options.rules.derive, every case is evaluated and `lifecycle` receives the alert
// lifecycle events the rules call for (the caller appends and folds them).
Status RebuildProjections(EventStore* store, const SideTable& table, const RebuildOptions& options,
                          std::vector<Event>* lifecycle);

}  // namespace holdfast
