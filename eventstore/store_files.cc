#include "eventstore/store_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

namespace holdfast {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

Status IoFailure(const std::string& what, const std::string& path, int err) {
  return Status::IoError(what + " " + path + ": " + ErrnoText(err));
}

// Closes a descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the error close(2) gives (a write that did not reach the file).
  int Close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

Status SyncPath(const std::string& path, int flags) {
  Fd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (fd.get() < 0) return IoFailure("cannot open", path, errno);
  if (::fsync(fd.get()) != 0) return IoFailure("cannot sync", path, errno);
  return Status::Ok();
}

// The regular files directly in `dir`, by name; an error for anything else in it.
Status ListFiles(const std::string& dir, std::vector<std::string>* names) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) return IoFailure("cannot read the directory", dir, errno);
  errno = 0;
  while (dirent* e = ::readdir(d.get())) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (::fstatat(dirfd(d.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      return IoFailure("cannot look at", dir + "/" + name, errno);
    if (!S_ISREG(st.st_mode)) {
      return Status::InvalidArgument(dir + "/" + name +
                                     " is not a regular file (a store holds only files)");
    }
    names->push_back(name);
  }
  if (errno != 0) return IoFailure("cannot read the directory", dir, errno);
  return Status::Ok();
}

Status CopyFile(const std::string& from, const std::string& to) {
  Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return IoFailure("cannot read", from, errno);
  Fd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (out.get() < 0) return IoFailure("cannot create", to, errno);
  // The kernel copies without a trip through user space where it can; a plain read and
  // write loop where it cannot (another file system on an older kernel).
  bool in_kernel = true;
  std::vector<char> buffer;
  for (;;) {
    ssize_t n;
    if (in_kernel) {
      n = ::copy_file_range(in.get(), nullptr, out.get(), nullptr, 1u << 30, 0);
      if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
        in_kernel = false;
        buffer.resize(1u << 20);
        continue;
      }
    } else {
      n = ::read(in.get(), buffer.data(), buffer.size());
      for (ssize_t done = 0; n > 0 && done < n;) {
        const ssize_t w = ::write(out.get(), buffer.data() + done, static_cast<size_t>(n - done));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return IoFailure("cannot write", to, errno);
        done += w;
      }
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoFailure("cannot copy " + from + " to", to, errno);
    if (n == 0) break;
  }
  if (::fsync(out.get()) != 0) return IoFailure("cannot sync", to, errno);
  if (out.Close() != 0) return IoFailure("cannot write", to, errno);
  return Status::Ok();
}

int RenameAt2(const std::string& from, const std::string& to, unsigned flags) {
  return ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), flags);
}

}  // namespace

std::string ParentOf(const std::string& path) {
  std::string parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "/" : parent;
}

std::string ProcessUserName() {
  const uid_t uid = ::geteuid();
  if (const passwd* pw = ::getpwuid(uid)) return pw->pw_name;
  return "uid " + std::to_string(uid);
}

Status RequireAbsent(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0)
    return Status::InvalidArgument(path + " already exists: give a new directory");
  if (errno == ENOENT) return Status::Ok();
  if (errno == ENOTDIR)
    return Status::InvalidArgument(ParentOf(path) + " is not a directory: give another path");
  return Status::InvalidArgument("cannot look at " + path + " (" + ErrnoText(errno) + ", as user " +
                                 ProcessUserName() + "): give a directory this user may use");
}

Result<std::string> CreatePartialDirectory(const std::string& dir) {
  std::string name = dir + ".partial-XXXXXX";
  if (::mkdtemp(name.data()) != nullptr) return name;  // mode 0700
  const int err = errno;
  const std::string parent = ParentOf(dir);
  switch (err) {
    case ENOENT:
      return Status::InvalidArgument("cannot create " + dir + ": the directory " + parent +
                                     " does not exist; create it first");
    case ENOTDIR:
      return Status::InvalidArgument("cannot create " + dir + ": " + parent +
                                     " is not a directory");
    case EROFS:
      return Status::InvalidArgument("cannot create " + dir + ": " + parent +
                                     " is on a read-only file system");
    case EACCES:
    case EPERM:
      return Status::PermissionDenied("cannot create " + dir + ": user " + ProcessUserName() +
                                      " may not write to " + parent +
                                      "; give a directory it can write to");
    default:
      return IoFailure("cannot create", dir, err);
  }
}

Status CopyFilesPrivately(const std::string& from, const std::string& to) {
  std::vector<std::string> names;
  HOLDFAST_RETURN_IF_ERROR(ListFiles(from, &names));
  for (const auto& name : names)
    HOLDFAST_RETURN_IF_ERROR(CopyFile(from + "/" + name, to + "/" + name));
  return SyncDirectory(to);
}

Status SyncFilesAndDirectory(const std::string& dir) {
  std::vector<std::string> names;
  HOLDFAST_RETURN_IF_ERROR(ListFiles(dir, &names));
  for (const auto& name : names) HOLDFAST_RETURN_IF_ERROR(SyncPath(dir + "/" + name, O_RDONLY));
  return SyncDirectory(dir);
}

Status SyncDirectory(const std::string& dir) { return SyncPath(dir, O_RDONLY | O_DIRECTORY); }

Status RenameNoReplace(const std::string& from, const std::string& to) {
  if (RenameAt2(from, to, RENAME_NOREPLACE) == 0) return Status::Ok();
  if (errno == EEXIST) return Status::InvalidArgument(to + " already exists: give a new directory");
  return IoFailure("cannot rename " + from + " to", to, errno);
}

Status ExchangeDirectories(const std::string& a, const std::string& b) {
  if (RenameAt2(a, b, RENAME_EXCHANGE) == 0) return Status::Ok();
  if (errno == EINVAL) {
    return Status::IoError("the file system of " + a +
                           " cannot swap two directories in one step (renameat2 "
                           "RENAME_EXCHANGE); keep the node's data directory on ext4, xfs, "
                           "btrfs or tmpfs");
  }
  return IoFailure("cannot swap " + a + " with", b, errno);
}

Status RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return Status::IoError("cannot remove " + path + ": " + ec.message());
  return Status::Ok();
}

}  // namespace holdfast
