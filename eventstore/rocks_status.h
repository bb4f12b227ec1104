// The one mapping from RocksDB's statuses to holdfast's (eventstore/ internal: nothing
// outside eventstore/ sees a rocksdb::Status).
#pragma once

#include <rocksdb/status.h>

#include <string>

#include "eventstore/status.h"

namespace holdfast {

// OK stays OK; NotFound becomes NotFound(what); Corruption stays Corruption; anything else
// is an IoError. `what` says what was being done ("reading the audit log").
inline Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  if (s.IsNotFound()) return Status::NotFound(what);
  if (s.IsCorruption()) return Status::Corruption(what + ": " + s.ToString());
  return Status::IoError(what + ": " + s.ToString());
}

}  // namespace holdfast
