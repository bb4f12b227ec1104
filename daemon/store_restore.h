// Restoring a node's store from a backup (`holdfast store restore`), with holdfastd stopped.
//
// The promise: whatever instant the restore dies, the node's store directory holds either
// the store it had, unchanged, or the restored one under a new origin with every audit
// entry of the store it replaced. Never the backup's events under the old origin, whose
// later seqs the node's peers may already hold for other events; never no store at all.
//
// How (beside the store, on its file system; STAMP is the time of the restore):
//   1. The store is opened (refused while holdfastd holds it), and held open until step 5,
//      so holdfastd cannot start meanwhile. The caller must be one of its operators.
//   2. Leftovers of a killed restore are settled: a "<store>.restoring-*" holding the
//      marker file kStagingMarker is a half-made copy and is removed; one without it is
//      the store a killed restore had just replaced, and becomes "<store>.before-restore-*".
//   3. "<store>.restoring-STAMP" is made (0700), the marker first, then the backup's files
//      are copied in. The backup is only read: it may be on read-only media.
//   4. The copy is opened and checked (node id, format, Verify), takes a new origin, adopts
//      the store's audit entries and users (a restore never brings back a user since
//      disabled) and records this restore in the audit log, and is closed and synced.
//   5. The store is closed, and the two directories swap names in one renameat2
//      (RENAME_EXCHANGE); the parent directory is synced.
//   6. The replaced store becomes "<store>.before-restore-STAMP", and the marker is removed
//      from the restored store.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "eventstore/status.h"

namespace holdfast {

// The file in a staging directory that says "a restore is still building this".
inline constexpr const char* kStagingMarker = "HOLDFAST-RESTORE-STAGING";

struct RestoreRequest {
  std::string backup_dir;  // absolute
  std::string store_dir;   // the node's store (NodeConfig::store_dir)
  std::string node_id;     // the backup must be of this node
  // Who restores: the token the CLI was given (may be empty) and the CLI's Unix uid. They
  // must name an enabled operator of the store being replaced, or, when there is none that
  // opens, of the backup (daemon/users.h).
  std::string token;
  int64_t uid = -1;
};

struct RestoreReport {
  std::string origin;          // of the node's local events from now on
  std::string previous_store;  // where the replaced store is kept ("" if there was none)
  uint64_t audit_entries_carried = 0;
  // Why the replaced store's audit entries could not be carried ("" when they were).
  std::string audit_not_carried;
  // Leftovers of a killed restore found and settled (step 1), and anything that went
  // wrong after the swap (the node is restored all the same), one line each.
  std::vector<std::string> settled;
};

// Restores `backup_dir` into `store_dir` as above. On failure nothing has changed but
// step 1, and the message says what was wrong with the backup or the node in one line.
Result<RestoreReport> RestoreStore(const RestoreRequest& request);

}  // namespace holdfast
