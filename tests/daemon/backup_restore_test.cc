// `holdfast store backup` as an operator meets it: what it writes, and the paths it cannot
// use. Real holdfastd and holdfast binaries.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "tests/daemon/harness.h"

namespace holdfast::test {
namespace {
namespace fs = std::filesystem;

RunResult Ok(const Node& node, const std::vector<std::string>& args, const std::string& role,
             const std::string& user = "tester") {
  auto r = node.Cli(args, role, user);
  INFO("holdfast " << args[0] << " " << (args.size() > 1 ? args[1] : "") << ": " << r.Describe());
  REQUIRE(r.exit == 0);
  return r;
}

void OpenCase(const Node& node, const std::string& case_id, const std::string& user = "tester") {
  Ok(node,
     {"case", "open", "--case", case_id, "--subject", "P-" + case_id, "--order", "licence",
      "--risk", "medium", "--lead-agency", "probation-ce", "--at", "2025-01-06T09:00:00Z"},
     "probation", user);
}

// A program's path, found on $PATH (the harness execs a path, not a name).
std::string Program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return name;
}

// A read-only bind mount of `dir` onto itself, undone when destroyed. Needs root.
class ReadOnlyMount {
 public:
  explicit ReadOnlyMount(const std::string& dir) : dir_(dir) {
    mounted_ = Run({Program("mount"), "--bind", dir, dir}).exit == 0;
    if (mounted_) {
      auto r = Run({Program("mount"), "-o", "remount,ro,bind", dir});
      INFO(r.Describe());
      CHECK(r.exit == 0);
    }
  }
  ~ReadOnlyMount() {
    if (mounted_) Run({Program("umount"), dir_});
  }
  bool mounted() const { return mounted_; }

 private:
  std::string dir_;
  bool mounted_ = false;
};

}  // namespace

TEST_CASE("store backup writes a 0700 directory of 0600 files of its own", "[backup]") {
  StartedNode n;
  OpenCase(n.node, "C-1");
  const std::string backup = n.dir / "backup";
  Ok(n.node, {"store", "backup", backup}, "operator");
  struct stat st;
  REQUIRE(::stat(backup.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
  for (const auto& e : fs::directory_iterator(backup)) {
    INFO(e.path());
    REQUIRE(::lstat(e.path().c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(st.st_nlink == 1);  // not hard-linked to the live store
  }
}

TEST_CASE("store backup says in one line why a path will not do", "[backup][errors]") {
  StartedNode n;
  SECTION("a missing parent directory") {
    auto r = n.node.Cli({"store", "backup", n.dir / "no-such/backup"}, "operator");
    INFO(r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, n.dir / "no-such does not exist; create it first"));
  }
  SECTION("an existing path") {
    auto r = n.node.Cli({"store", "backup", n.dir.path()}, "operator");
    INFO(r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, "already exists"));
  }
  SECTION("a read-only directory") {
    fs::create_directory(n.dir / "ro");
    ReadOnlyMount ro(n.dir / "ro");
    if (!ro.mounted()) {
      WARN("cannot bind-mount (not root?): the read-only case is not checked");
      return;
    }
    auto r = n.node.Cli({"store", "backup", n.dir / "ro/backup"}, "operator");
    INFO(r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, "read-only file system"));
  }
  SECTION("a path the caller may not look at") {
    // The CLI as a user who cannot see into the test's directory: it used to die of an
    // uncaught std::filesystem::filesystem_error (exit 134).
    if (::geteuid() != 0) {
      WARN("not root: cannot run the CLI as another user");
      return;
    }
    RunOptions as_nobody;
    as_nobody.as_uid = 65534;
    auto r = Holdfast({"store", "backup", n.dir / "backup"},
                      {{"HOLDFAST_SOCKET", n.node.socket()},
                       {"HOLDFAST_USER", "op"},
                       {"HOLDFAST_ROLE", "operator"}},
                      as_nobody);
    INFO(r.Describe());
    CHECK(IsOneLineFailure(r));
  }
  CHECK(!fs::exists(n.dir / "no-such"));
}

}  // namespace holdfast::test
