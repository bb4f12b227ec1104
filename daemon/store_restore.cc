#include "daemon/store_restore.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>

#include "daemon/audit.h"
#include "daemon/users.h"
#include "eventstore/event_store.h"
#include "eventstore/store_files.h"

namespace holdfast {
namespace {
namespace fs = std::filesystem;

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool IsEmptyDirectory(const std::string& path) {
  std::error_code ec;
  return fs::is_empty(path, ec) && !ec;
}

Status WriteMarker(const std::string& staging) {
  const std::string path = staging + "/" + kStagingMarker;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError("cannot create " + path + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::IoError("cannot sync " + path);
  return SyncDirectory(staging);
}

// Step 2: what a killed restore left beside the store.
Status SettleLeftovers(const std::string& store_dir, std::vector<std::string>* settled) {
  const std::string parent = ParentOf(store_dir);
  const std::string prefix = fs::path(store_dir).filename().string() + ".restoring-";
  std::error_code ec;
  std::vector<std::string> leftovers;
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0) leftovers.push_back(entry.path().string());
  }
  if (ec) return Status::IoError("cannot read the directory " + parent + ": " + ec.message());
  for (const auto& path : leftovers) {
    if (Exists(path + "/" + kStagingMarker) || IsEmptyDirectory(path)) {
      HOLDFAST_RETURN_IF_ERROR(RemoveTree(path));
      settled->push_back("removed " + path + ", the half-made copy of a restore that was killed");
      continue;
    }
    std::string aside =
        store_dir + ".before-restore-" + path.substr(parent.size() + 1 + prefix.size());
    while (Exists(aside)) aside += "-1";
    HOLDFAST_RETURN_IF_ERROR(RenameNoReplace(path, aside));
    settled->push_back("kept the store a killed restore had replaced as " + aside);
  }
  if (!leftovers.empty()) HOLDFAST_RETURN_IF_ERROR(SyncDirectory(parent));
  // A marker left in the store by a restore killed after its swap: removed, so this store
  // is never taken for a half-made copy once it is swapped out.
  const std::string stale = store_dir + "/" + kStagingMarker;
  if (Exists(stale)) {
    if (::unlink(stale.c_str()) != 0)
      return Status::IoError("cannot remove " + stale + ": " + std::strerror(errno));
    HOLDFAST_RETURN_IF_ERROR(SyncDirectory(store_dir));
  }
  return Status::Ok();
}

// A STAMP for which neither "<store>.restoring-STAMP" nor "...before-restore-STAMP" exists.
std::string FreeStamp(const std::string& store_dir) {
  uint64_t stamp = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
  while (Exists(store_dir + ".restoring-" + std::to_string(stamp)) ||
         Exists(store_dir + ".before-restore-" + std::to_string(stamp))) {
    ++stamp;
  }
  return std::to_string(stamp);
}

// A message about the staging copy, told in terms of the backup it was copied from.
std::string AboutBackup(std::string message, const std::string& staging,
                        const std::string& backup) {
  for (size_t at; (at = message.find(staging)) != std::string::npos;)
    message.replace(at, staging.size(), backup);
  return message;
}

// A restore run as root leaves the store to the user who owns the data directory (the one
// holdfastd runs as), so the daemon can open it.
Status GiveToDataDirectoryOwner(const std::string& staging) {
  if (::geteuid() != 0) return Status::Ok();
  struct stat owner;
  if (::stat(ParentOf(staging).c_str(), &owner) != 0 || owner.st_uid == 0) return Status::Ok();
  std::error_code ec;
  std::vector<std::string> paths = {staging};
  for (const auto& entry : fs::directory_iterator(staging, ec)) paths.push_back(entry.path());
  if (ec) return Status::IoError("cannot read the directory " + staging + ": " + ec.message());
  for (const auto& path : paths) {
    if (::lchown(path.c_str(), owner.st_uid, owner.st_gid) != 0)
      return Status::IoError("cannot give " + path + " to the data directory's owner");
  }
  return Status::Ok();
}

// Who restores, as `store`'s users know them: an enabled operator, or a refusal saying why.
Result<Caller> IdentifyOperator(EventStore* store, const RestoreRequest& request) {
  auto users = Users::Open(store);
  if (!users.ok()) return users.status();
  const Identification who = (*users)->Identify(Presented{request.token, request.uid, {}, {}});
  if (!who.status.ok()) return who.status;
  HOLDFAST_RETURN_IF_ERROR(CheckRight(who.caller.role, Right::kOperator, "store restore"));
  return who.caller;
}

// Step 4: the staged copy becomes the restored store (new origin, audit log), then closes.
Status PrepareStaged(const RestoreRequest& request, const std::string& staging, EventStore* live,
                     const Caller* caller, RestoreReport* report) {
  auto opened = EventStore::Open(staging, StoreOptions{"", true, false});
  if (!opened.ok()) {
    return Status::InvalidArgument(
        request.backup_dir + " is not a holdfast backup: " +
        AboutBackup(opened.status().message(), staging, request.backup_dir));
  }
  auto& restored = *opened;
  if (restored->node_id() != request.node_id) {
    return Status::InvalidArgument(request.backup_dir + " is a backup of node " +
                                   restored->node_id() + ", not of " + request.node_id);
  }
  auto verified = restored->Verify();
  if (!verified.ok()) {
    return Status::Corruption("the backup " + request.backup_dir +
                              " fails verification: " + verified.problems[0]);
  }
  // Peers may hold events this node recorded after the backup was taken, under the seqs
  // it would now give out again: from here on its events get a new origin.
  auto origin = restored->StartNewOrigin();
  if (!origin.ok()) return origin.status();
  report->origin = *origin;

  Caller who;
  if (caller != nullptr) {
    who = *caller;
  } else {  // no store to ask: the backup's own operators decide
    auto found = IdentifyOperator(restored.get(), request);
    if (!found.ok()) return found.status();
    who = *found;
  }
  if (live != nullptr) {
    auto live_users = Users::Open(live);
    auto users = Users::Open(restored.get());
    if (!live_users.ok()) return live_users.status();
    if (!users.ok()) return users.status();
    HOLDFAST_RETURN_IF_ERROR((*users)->AdoptUsers(**live_users));
  }
  auto audit = AuditLog::Open(restored.get());
  if (!audit.ok()) return audit.status();
  if (live != nullptr) {
    auto live_audit = AuditLog::Open(live);
    if (!live_audit.ok()) return live_audit.status();
    auto carried = (*audit)->AdoptEntries(**live_audit);
    if (!carried.ok()) return carried.status();
    report->audit_entries_carried = *carried;
  }
  AuditRecord record;
  record.user = who.user;
  record.role = RoleName(who.role);
  record.credential = who.credential;
  record.verb = "store-restore";
  record.target = request.backup_dir;
  record.outcome = "ok";
  return (*audit)->Record(record);
  // `restored` closes here, flushing its memtables.
}

}  // namespace

Result<RestoreReport> RestoreStore(const RestoreRequest& request) {
  RestoreReport report;
  const std::string& store_dir = request.store_dir;
  const std::string parent = ParentOf(store_dir);

  // 1. Hold the store (its lock keeps holdfastd out) while the copy is made.
  std::unique_ptr<EventStore> live;
  const bool had_store = Exists(store_dir);
  if (had_store) {
    auto opened = EventStore::Open(store_dir, StoreOptions{"", true, false});
    if (opened.ok()) {
      live = std::move(opened).value();
    } else if (opened.status().code() == Status::Code::kUnavailable) {
      return Status::Unavailable("cannot restore while the node's store is open (" +
                                 opened.status().message() + "): stop holdfastd first");
    } else {
      report.audit_not_carried =
          "the store it replaces cannot be opened (" + opened.status().message() + ")";
    }
  }
  std::optional<Caller> caller;
  if (live != nullptr) {
    auto found = IdentifyOperator(live.get(), request);
    if (!found.ok()) return found.status();
    caller = *found;
  }
  struct stat st;
  if (::stat(request.backup_dir.c_str(), &st) != 0) {
    return Status::InvalidArgument(request.backup_dir + ": " + std::strerror(errno) +
                                   " (give the directory `holdfast store backup` wrote)");
  }
  if (!S_ISDIR(st.st_mode))
    return Status::InvalidArgument(request.backup_dir + " is not a directory");
  // 2. Only now, with holdfastd known to be stopped.
  HOLDFAST_RETURN_IF_ERROR(SettleLeftovers(store_dir, &report.settled));

  // 3. The copy, marked as unfinished before anything is in it.
  const std::string stamp = FreeStamp(store_dir);
  const std::string staging = store_dir + ".restoring-" + stamp;
  if (::mkdir(staging.c_str(), 0700) != 0) {
    return Status::IoError("cannot create " + staging + ": " + std::strerror(errno));
  }
  auto staged = [&]() -> Status {
    HOLDFAST_RETURN_IF_ERROR(SyncDirectory(parent));
    HOLDFAST_RETURN_IF_ERROR(WriteMarker(staging));
    Status copied = CopyFilesPrivately(request.backup_dir, staging);
    if (!copied.ok()) {
      return Status::InvalidArgument("cannot copy the backup " + request.backup_dir + ": " +
                                     copied.message());
    }
    // 4. The copy becomes the restored store.
    HOLDFAST_RETURN_IF_ERROR(
        PrepareStaged(request, staging, live.get(), caller ? &*caller : nullptr, &report));
    HOLDFAST_RETURN_IF_ERROR(GiveToDataDirectoryOwner(staging));
    return SyncFilesAndDirectory(staging);
  }();
  if (!staged.ok()) {
    RemoveTree(staging).IgnoreError();  // the failure that stopped it is the one to report
    return staged;
  }

  // 5. The swap: from here the restored store is the node's.
  live.reset();
  Status swapped =
      had_store ? ExchangeDirectories(staging, store_dir) : RenameNoReplace(staging, store_dir);
  if (!swapped.ok()) {
    RemoveTree(staging).IgnoreError();  // the failure that stopped it is the one to report
    return swapped;
  }
  auto tidy = [&](const Status& s) {
    if (!s.ok()) report.settled.push_back("the store is restored, but: " + s.message());
  };
  tidy(SyncDirectory(parent));

  // 6. Tidying: a failure here leaves the node restored, and is said so.
  if (had_store) {
    const std::string aside = store_dir + ".before-restore-" + stamp;
    Status moved = RenameNoReplace(staging, aside);
    if (moved.ok()) moved = SyncDirectory(parent);
    tidy(moved);
    report.previous_store = moved.ok() ? aside : staging;
  }
  const std::string marker = store_dir + "/" + kStagingMarker;
  if (::unlink(marker.c_str()) == 0) tidy(SyncDirectory(store_dir));
  return report;
}

}  // namespace holdfast
