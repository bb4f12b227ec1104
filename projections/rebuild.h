// The full rebuild of the projections (Projector::Rebuild): one streaming pass over the log
// that keeps each case's compact facts in memory, evaluates every case once from them, and
// replaces the whole column family with one ingested table file. Also the pieces of the
// fold it shares with the incremental one (projector.cc), so that both write the same rows.
#pragma once

#include <rocksdb/db.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "eventstore/event_store.h"
#include "projections/projector.h"
#include "projections/rules.h"

namespace holdfast {

inline bool IsIndicatorType(EventType t) {
  return t == EventType::INTERVENTION_REFERRED || t == EventType::INTERVENTION_STARTED ||
         t == EventType::INTERVENTION_COMPLETED || t == EventType::INTERVENTION_EXITED ||
         t == EventType::INCIDENT_REPORTED;
}

inline bool IsAlertType(EventType t) {
  return t == EventType::ALERT_RAISED || t == EventType::ALERT_ACKNOWLEDGED ||
         t == EventType::ALERT_RESOLVED || t == EventType::ALERT_WITHDRAWN;
}

// Folds one case event (alert lifecycle events excluded) into its case's row: the event
// count, the earliest opening (subject, order, lead agency), the risk set last and the
// earliest closing. True when the row's subject changed, so the subject index gains
// (subject, case).
bool FoldCaseRow(const Fact& f, CaseRow* row);

struct RebuildOptions {
  RuleConfig rules;
  int64_t now = 0;      // the evaluation time (derive)
  uint64_t last = 0;    // fold the log up to this position
  std::string node_id;  // PlanLifecycle's: which alerts this node raised
  VersionVector view;   // PlanLifecycle's: the store's version vector, read before `last`
  std::function<void(uint64_t, uint64_t)> progress;  // (folded, last), during the pass
};

// Replaces every row of the projections family `cf` with the projection of log positions
// 1..options.last, the checkpoint included, in one atomic ingestion: until it returns, the
// family holds what it held before (so a crash leaves either state, whole). With
// options.rules.derive, every case is evaluated and `lifecycle` receives the alert
// lifecycle events the rules call for (the caller appends and folds them).
Status RebuildProjections(EventStore* store, rocksdb::ColumnFamilyHandle* cf,
                          const RebuildOptions& options, std::vector<Event>* lifecycle);

}  // namespace holdfast
