#include "eventstore/write_gate.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <chrono>
#include <limits>

#include "eventstore/keys.h"

namespace holdfast {
namespace {

constexpr auto kPoll = std::chrono::milliseconds(250);
// Writing resumes only with this much free above the reserve, so a disk that hovers at the
// reserve does not open and close the gate on every write.
constexpr uint64_t kResumeMargin = 1u << 20;
constexpr auto kRetryResume = std::chrono::seconds(5);
// With this much free above the reserve, the free space is looked at again only after
// kRecheck (a statvfs costs a few microseconds; a write takes a few).
constexpr uint64_t kComfortable = 32u << 20;
constexpr auto kRecheck = std::chrono::milliseconds(20);

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Megabytes(uint64_t bytes) { return std::to_string(bytes >> 20) + " MB"; }

}  // namespace

class WriteGate::RocksListener : public rocksdb::EventListener {
 public:
  explicit RocksListener(WriteGate* gate) : gate_(gate) {}
  // Called on the thread that met the error, before RocksDB decides how to recover: the
  // gate only records it. A retryable I/O error (not a full disk) comes without its
  // severity and is left to RocksDB's own retries; the write it fails closes the gate.
  void OnBackgroundError(rocksdb::BackgroundErrorReason, rocksdb::Status* error) override {
    gate_->OnRocksError(*error);
  }
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status error,
                            bool* auto_recovery) override {
    // A compaction that found the disk full is a soft error: writes go on and RocksDB
    // retries it once there is room. A stop is the gate's to resume.
    if (error.severity() >= rocksdb::Status::Severity::kHardError) *auto_recovery = false;
  }

 private:
  WriteGate* gate_;
};

WriteGate::WriteGate(std::string dir, uint64_t reserved_bytes)
    : dir_(std::move(dir)), reserved_(reserved_bytes) {}

WriteGate::~WriteGate() {
  Stop();
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

std::shared_ptr<rocksdb::EventListener> WriteGate::NewRocksListener() {
  return std::make_shared<RocksListener>(this);
}

void WriteGate::Start(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* pin_family) {
  db_ = db;
  pin_family_ = pin_family;
  dir_fd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  PinMemtable();
  thread_ = std::thread([this] { Run(); });
}

void WriteGate::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WriteGate::SetListener(std::function<void(const Status&)> listener) {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [&] { return !notifying_; });
  listener_ = std::move(listener);
}

uint64_t WriteGate::FreeBytes() const {
  struct statvfs fs;
  const int failed = dir_fd_ >= 0 ? ::fstatvfs(dir_fd_, &fs) : ::statvfs(dir_.c_str(), &fs);
  if (failed != 0) return std::numeric_limits<uint64_t>::max();
  return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

Status WriteGate::Refusal(const rocksdb::Status& cause) const {
  if (cause.ok()) {
    return Status::Unavailable("no space left on the device holding " + dir_ + " (" +
                               Megabytes(FreeBytes()) + " free, " + Megabytes(reserved_) +
                               " kept in reserve): free some space; writing resumes by itself");
  }
  if (cause.IsNoSpace()) {
    // No figure: RocksDB has removed the file it could not finish, so what is free now
    // says nothing of what it needed.
    return Status::Unavailable("no space left on the device holding " + dir_ +
                               ": free some space; writing resumes by itself");
  }
  return Status::Unavailable("the store stopped writing after a failed write (" + cause.ToString() +
                             "); it retries by itself; if this persists, check the disk holding " +
                             dir_ + " and restart holdfastd");
}

Status WriteGate::Check() {
  if (!open_.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> l(mu_);
    if (!refusal_.ok()) return refusal_;
  }
  if (reserved_ == 0) return Status::Ok();
  const int64_t now = NowNanos();
  if (now < recheck_at_.load(std::memory_order_relaxed)) return Status::Ok();
  const uint64_t free = FreeBytes();
  const bool comfortable = free >= reserved_ + kComfortable;
  recheck_at_.store(comfortable ? now + std::chrono::nanoseconds(kRecheck).count() : 0,
                    std::memory_order_relaxed);
  if (free >= reserved_) return Status::Ok();
  std::lock_guard<std::mutex> l(mu_);
  if (refusal_.ok()) Close(Refusal(rocksdb::Status::OK()));
  return refusal_;
}

Status WriteGate::Failed(const rocksdb::Status& s, const std::string& what) {
  if (!s.IsIOError() && !s.IsCorruption()) return Status::IoError(what + ": " + s.ToString());
  std::lock_guard<std::mutex> l(mu_);
  // RocksDB stops after such a failure (paranoid_checks), or answers a write made while
  // stopped with it: either way it wants a resume.
  ++rocks_errors_;
  Close(Refusal(s));
  return refusal_;
}

void WriteGate::OnRocksError(const rocksdb::Status& error) {
  if (error.severity() < rocksdb::Status::Severity::kHardError) return;
  {
    std::lock_guard<std::mutex> l(mu_);
    ++rocks_errors_;
    Close(Refusal(error));
  }
  cv_.notify_all();
}

void WriteGate::Close(Status why) {
  // A gate already closed keeps its first reason: that is what the operator must fix.
  if (refusal_.ok()) refusal_ = std::move(why);
  open_.store(false, std::memory_order_release);
  cv_.notify_all();
}

void WriteGate::PinMemtable() {
  rocksdb::WriteOptions memory_only;
  memory_only.disableWAL = true;
  // Fails only while RocksDB is stopped; the next resume pins it again.
  db_->Put(memory_only, pin_family_, keys::kMemtablePinKey, "").PermitUncheckedError();
}

void WriteGate::Run() {
  std::unique_lock<std::mutex> l(mu_);
  bool told_open = true;
  while (!stopping_) {
    const bool open = refusal_.ok();
    if (open != told_open) {
      told_open = open;
      const auto listener = listener_;
      const Status news = refusal_;
      notifying_ = true;
      l.unlock();
      if (listener) listener(news);
      l.lock();
      notifying_ = false;
      cv_.notify_all();
      continue;
    }
    if (open && rocks_errors_ == resumed_errors_) {
      cv_.wait(l);
      continue;
    }
    cv_.wait_for(l, kPoll);
    if (!stopping_) TryResume(&l);
  }
}

void WriteGate::TryResume(std::unique_lock<std::mutex>* lock) {
  const uint64_t free = FreeBytes();
  if (free < reserved_ + kResumeMargin) return;
  const uint64_t errors = rocks_errors_;
  if (errors != resumed_errors_) {
    // After a resume that failed (its flush found no room yet), the next waits for 1 MB
    // more free or kRetryResume, rather than writing and dropping a table file every poll.
    const auto now = std::chrono::steady_clock::now();
    if (resume_failed_ && free < free_at_failure_ + kResumeMargin &&
        now - failed_at_ < kRetryResume) {
      return;
    }
    lock->unlock();
    // Flushes every memtable to a new SST and WAL file (dropping the WAL a write failed
    // in), then takes writes again; OK at once if RocksDB was not stopped.
    const rocksdb::Status s = db_->Resume();
    if (s.ok()) PinMemtable();
    lock->lock();
    resume_failed_ = !s.ok();
    if (!s.ok()) {  // still no room for the flush, or Busy: try again later
      free_at_failure_ = free;
      failed_at_ = now;
      return;
    }
    resumed_errors_ = errors;
    if (rocks_errors_ != errors) return;  // failed again meanwhile
  }
  refusal_ = Status::Ok();
  open_.store(true, std::memory_order_release);
}

}  // namespace holdfast
