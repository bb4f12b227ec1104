// A small tmpfs a test mounts, fills up on purpose and unmounts: what a node does when the
// disk holding its store is full. Mounting needs root, which CI has; elsewhere the test
// says why it skips (SkipUnlessMounted) and passes.
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace holdfast::test {

class SmallFilesystem {
 public:
  // Mounts a tmpfs of `megabytes` on `path` (created if missing).
  SmallFilesystem(std::string path, int megabytes) : path_(std::move(path)) {
    if (::geteuid() != 0) {
      why_not_ = "mounting a small file system needs root (CI runs the tests as root)";
      return;
    }
    ::mkdir(path_.c_str(), 0755);
    const std::string options = "size=" + std::to_string(megabytes) + "m,mode=0755";
    if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      why_not_ = "cannot mount a tmpfs on " + path_ + ": " + std::strerror(errno);
      return;
    }
    mounted_ = true;
  }
  // Unmounts even if a file on it is still open (a daemon killed by the test), so a failing
  // test leaves no mount behind.
  ~SmallFilesystem() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  SmallFilesystem(const SmallFilesystem&) = delete;
  SmallFilesystem& operator=(const SmallFilesystem&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

  // True when the test can go on; otherwise prints why it skips.
  bool SkipUnlessMounted(const std::string& test) const {
    if (!mounted_) std::cerr << test << ": skipped: " << why_not_ << "\n";
    return mounted_;
  }

  uint64_t FreeBytes() const {
    struct statvfs fs;
    if (::statvfs(path_.c_str(), &fs) != 0) return 0;
    return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  }

  // Writes `bytes` into a new file `name` (a ballast to delete later, so freeing space is
  // one unlink); returns false if the disk could not hold them.
  bool Ballast(const std::string& name, uint64_t bytes) const { return Write(name, bytes); }
  // Writes into a new file `name` until the disk is full.
  void FillUp(const std::string& name) const { Write(name, UINT64_MAX); }
  void Remove(const std::string& name) const { ::unlink((path_ + "/" + name).c_str()); }

 private:
  bool Write(const std::string& name, uint64_t bytes) const {
    const std::string file = path_ + "/" + name;
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    const std::vector<char> chunk(1 << 16, 'b');
    uint64_t written = 0;
    while (written < bytes) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), bytes - written));
      const ssize_t w = ::write(fd, chunk.data(), n);
      if (w <= 0) break;
      written += static_cast<uint64_t>(w);
    }
    ::close(fd);
    return written >= bytes;
  }

  std::string path_;
  bool mounted_ = false;
  std::string why_not_;
};

}  // namespace holdfast::test
