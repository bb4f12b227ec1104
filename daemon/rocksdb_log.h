// RocksDB's log (flushes, compactions, background errors) written to holdfastd's own log,
// so that nothing of RocksDB's logging needs the store's disk: RocksDB 7.8's file logger
// aborts the process once a write to its LOG file has failed, which a full disk causes.
// Its warnings and errors come out as warnings and errors; the rest at debug.
#pragma once

#include <rocksdb/env.h>

#include <memory>

namespace holdfast {

std::shared_ptr<rocksdb::Logger> NewRocksDbLog();

}  // namespace holdfast
