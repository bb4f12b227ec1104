// WriteGate: whether an EventStore takes writes right now, and the thread that resumes them
// after the disk holding it filled up.
//
// When a RocksDB write or flush finds the disk full, RocksDB stops taking writes (a "hard
// background error") until DB::Resume flushes what it holds in memory to new files. So
// every write the store makes (events, and other modules' batches through
// EventStore::Write) goes through the gate:
//   - Check() before it: refused while the disk has less free space than the reserve, or
//     while writing is stopped after a failure;
//   - Failed() after a failed one: writing stops.
// Reads are never gated. While writing is stopped, a thread looks every 250 ms and, once
// the disk has the reserve (and 1 MB more) free, calls DB::Resume and opens the gate (a
// resume that fails for want of room is tried again once 1 MB more is free, or after 5 s).
//
// Two details of RocksDB 7.8 shape this (both reproduced on Debian's build, where its
// assertions are compiled in):
//   - Its SstFileManager resumes by itself only once a whole write buffer is free, looks
//     every 5 s, and makes DB::Resume answer Busy meanwhile. The gate's listener turns that
//     off, so the gate alone resumes.
//   - After a failed WAL write, DB::Resume switches to a new WAL file only if some memtable
//     holds data; if none does it keeps the failed file, and the next write aborts the
//     process (WritableFileWriter's `sync_without_flush_called_` assertion). So the gate
//     keeps one key in a memtable at all times: written without the WAL (it costs no disk
//     and is never read) after the store opens and after every resume.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/listener.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "eventstore/status.h"

namespace holdfast {

class WriteGate {
 public:
  // `dir` is the store's directory (its file system is the one watched); writes are
  // refused while it has less than `reserved_bytes` free.
  WriteGate(std::string dir, uint64_t reserved_bytes);
  ~WriteGate();  // Stop()
  WriteGate(const WriteGate&) = delete;
  WriteGate& operator=(const WriteGate&) = delete;

  // For DBOptions::listeners, before the store opens: a write that RocksDB stops on its own
  // (a background flush that found the disk full) closes the gate too.
  std::shared_ptr<rocksdb::EventListener> NewRocksListener();
  // Once the store is open: pins a key in `pin_family`'s memtable and starts the thread
  // that resumes writing. Both must stay valid until Stop.
  void Start(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* pin_family);
  // Joins the thread (call before the store closes). Check still answers afterwards.
  void Stop();

  // OK when a write may go ahead; otherwise Unavailable saying why not and what to do.
  Status Check();
  // A write failed with `s`. An I/O error (a full disk) or corruption closes the gate and
  // is returned as the gate's refusal; anything else is returned as IoError(what: s).
  Status Failed(const rocksdb::Status& s, const std::string& what);
  // Told (on the gate's thread) the refusal when writing stops and OK when it resumes.
  // Returns once no call to the listener it replaces is running.
  void SetListener(std::function<void(const Status&)> listener);

 private:
  class RocksListener;
  void OnRocksError(const rocksdb::Status& error);  // from RocksDB's listener
  void Close(Status why);                           // mu_ held
  Status Refusal(const rocksdb::Status& cause) const;
  uint64_t FreeBytes() const;
  void PinMemtable();
  void Run();
  void TryResume(std::unique_lock<std::mutex>* lock);

  const std::string dir_;
  const uint64_t reserved_;
  rocksdb::DB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* pin_family_ = nullptr;

  int dir_fd_ = -1;  // for fstatvfs, cheaper than statvfs of the path
  // Until when (steady clock ns) Check need not look at the free space again.
  std::atomic<int64_t> recheck_at_{0};

  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> open_{true};  // the common case, read without mu_
  Status refusal_;                // why the gate is closed (OK while open)
  // Hard RocksDB errors seen, and how many of them a DB::Resume has cleared.
  uint64_t rocks_errors_ = 0, resumed_errors_ = 0;
  // The last DB::Resume failed: when, and with how much free.
  bool resume_failed_ = false;
  uint64_t free_at_failure_ = 0;
  std::chrono::steady_clock::time_point failed_at_;
  bool stopping_ = false;
  bool notifying_ = false;  // the listener is being called
  std::function<void(const Status&)> listener_;
  std::thread thread_;
};

}  // namespace holdfast
