// `holdfast store backup` and `store restore` as an operator meets them: paths the backup
// cannot use, a backup on read-only media, the audit log across a restore, and a restore
// killed at every step (mutation_killer.h: SIGKILL before its Nth change to the file
// system, for every N). Real holdfastd and holdfast binaries; the stores are opened
// in-process to check.
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "eventstore/event_store.h"
#include "eventstore/side_table.h"
#include "tests/daemon/harness.h"
#include "tests/daemon/mutation_killer.h"

namespace holdfast::test {
namespace {
namespace fs = std::filesystem;

constexpr char kStagingMarker[] = "HOLDFAST-RESTORE-STAGING";  // daemon/store_restore.h

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

std::string UnixUser() {
  const passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : "uid " + std::to_string(::geteuid());
}

// Every file of a directory with its size and modification time: equal before and after
// means nothing was written there.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    struct stat st;
    REQUIRE(::lstat(e.path().c_str(), &st) == 0);
    out[e.path().filename()] =
        std::to_string(st.st_size) + "@" + std::to_string(st.st_mtim.tv_sec) + "." +
        std::to_string(st.st_mtim.tv_nsec) + "/" + std::to_string(st.st_mode & 07777);
  }
  return out;
}

// What a store directory holds, as the node would see it on its next start.
struct StoreFacts {
  bool opens = false;
  std::string origin, error;
  uint64_t events = 0;
};

// Opens `dir` as holdfastd would, except that a missing store is not created.
StoreFacts Inspect(const std::string& dir) {
  StoreFacts facts;
  auto store = EventStore::Open(dir, StoreOptions{"", true, false});
  if (!store.ok()) {
    facts.error = store.status().ToString();
    return facts;
  }
  facts.opens = true;
  facts.origin = (*store)->origin();
  facts.events = (*store)->LastPosition();
  return facts;
}

// The same, on a throwaway copy, for a directory that must not be written to.
StoreFacts InspectCopy(const std::string& dir, const std::string& scratch) {
  fs::remove_all(scratch);
  fs::copy(dir, scratch, fs::copy_options::recursive);
  auto facts = Inspect(scratch);
  fs::remove_all(scratch);
  return facts;
}

// The directories beside the store whose name starts with "<store>.<kind>-".
std::vector<std::string> Beside(const std::string& store, const std::string& kind) {
  std::vector<std::string> out;
  const std::string prefix = fs::path(store).filename().string() + "." + kind + "-";
  for (const auto& e : fs::directory_iterator(fs::path(store).parent_path())) {
    if (e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(e.path());
  }
  return out;
}

// A fresh directory on tmpfs (/dev/shm) if there is one, else under /tmp; removed with
// everything in it.
class FastTempDir {
 public:
  FastTempDir() {
    std::string pattern =
        (fs::is_directory("/dev/shm") ? "/dev/shm" : "/tmp") + std::string("/hfd-XXXXXX");
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~FastTempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

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
    auto r = Holdfast({"store", "backup", n.dir / "backup"}, {{"HOLDFAST_SOCKET", n.node.socket()}},
                      as_nobody);
    INFO(r.Describe());
    CHECK(IsOneLineFailure(r));
  }
  CHECK(!fs::exists(n.dir / "no-such"));
}

TEST_CASE(
    "store restore only reads the backup (one on a read-only mount restores) and leaves the "
    "store to the data directory's owner",
    "[backup][restore]") {
  if (::geteuid() != 0) {
    WARN("not root: cannot make a read-only mount, so this is not checked");
    return;
  }
  StartedNode n;
  OpenCase(n.node, "C-1");
  const std::string backup = n.dir / "backup";
  Ok(n.node, {"store", "backup", backup}, "operator");
  const auto at_backup = n.node.Export();
  OpenCase(n.node, "C-2");
  REQUIRE(n.node.Stop() == 0);
  const auto before = Snapshot(backup);
  // holdfastd's user owns the data directory; the operator restores as root.
  REQUIRE(::chown(n.node.data_dir().c_str(), 65534, 65534) == 0);

  // In a mount namespace of its own, so the mount goes when the command does.
  const std::string ro = n.dir / "ro";
  fs::create_directory(ro);
  auto r = Run({Program("unshare"), "-m", "sh", "-c",
                "mount --bind \"$1\" \"$2\" && mount -o remount,ro,bind \"$2\" && touch \"$2/x\" "
                "2>/dev/null; exec \"$3\" store restore \"$2\"",
                "sh", backup, ro, HoldfastPath()},
               n.node.ClientEnv("operator"));
  INFO(r.Describe());
  REQUIRE(r.exit == 0);
  CHECK(Snapshot(backup) == before);
  CHECK(!fs::exists(backup + "/x"));  // the mount was read-only
  // The restored store is given to the data directory's owner, so the daemon can open it.
  const std::string store = n.node.data_dir() + "/store";
  struct stat st;
  for (const auto& e : fs::directory_iterator(store)) {
    INFO(e.path());
    REQUIRE(::lstat(e.path().c_str(), &st) == 0);
    CHECK(st.st_uid == 65534);
  }
  REQUIRE(::stat(store.c_str(), &st) == 0);
  CHECK(st.st_uid == 65534);
  n.node.Start();
  CHECK(n.node.Export() == at_backup);
}

TEST_CASE("the audit log survives a restore, which it records", "[backup][restore][audit]") {
  StartedNode n;
  OpenCase(n.node, "C-1", "po-before");
  const std::string backup = n.dir / "backup";
  Ok(n.node, {"store", "backup", backup}, "operator");
  OpenCase(n.node, "C-2", "po-after");
  REQUIRE(n.node.Stop() == 0);
  auto r = Ok(n.node, {"store", "restore", backup}, "operator");
  CHECK(Contains(r.out, "audit log: kept the replaced store's entries"));
  n.node.Start();

  auto audit = Ok(n.node, {"audit", "list", "--format", "csv"}, "operator");
  INFO(audit.out);
  auto rows = Lines(audit.out);
  auto row_of = [&](const std::string& part) {
    return std::find_if(rows.begin(), rows.end(),
                        [&](const std::string& row) { return Contains(row, part); });
  };
  auto restore_row = row_of("," + UnixUser() + ",operator,store-restore," + backup + ",ok");
  auto after_row = row_of(",po-after,probation,append,C-2,ok");
  auto before_row = row_of(",po-before,probation,append,C-1,ok");
  CHECK(restore_row != rows.end());
  CHECK(after_row != rows.end());  // written after the backup, kept
  CHECK(before_row != rows.end());
  CHECK(std::count_if(rows.begin(), rows.end(), [](const std::string& row) {
          return Contains(row, ",po-before,probation,");
        }) == 1);
  // Newest first: the restore came after both.
  CHECK(restore_row < after_row);
  CHECK(after_row < before_row);
  // The adopted entries keep their chain: the restored store's verifies, and goes on.
  auto verify = n.node.Cli({"audit", "verify"}, "operator");
  INFO(verify.Describe());
  CHECK(verify.exit == 0);
  CHECK(Contains(verify.out, "audit log is intact"));
}

TEST_CASE("a restore keeps the audit chain's breaks: tampering before it is still found",
          "[backup][restore][audit]") {
  StartedNode n;
  OpenCase(n.node, "C-1", "po-before");
  const std::string backup = n.dir / "backup";
  Ok(n.node, {"store", "backup", backup}, "operator");
  OpenCase(n.node, "C-2", "po-after");
  REQUIRE(n.node.Stop() == 0);
  {  // Someone removes the entry of C-2's opening from the store the restore replaces.
    StoreOptions options;
    options.create_if_missing = false;
    options.reserved_bytes = 0;
    auto store = EventStore::Open(n.node.data_dir() + "/store", options);
    REQUIRE(store.ok());
    auto table = (*store)->Table("audit");
    REQUIRE(table.ok());
    std::string key;
    REQUIRE(table
                ->Scan("",
                       [&](std::string_view k, std::string_view v) {
                         if (v.find("\tpo-after\t") != std::string_view::npos) key = k;
                         return key.empty();
                       })
                .ok());
    REQUIRE(!key.empty());
    SideBatch batch;
    batch.Delete(*table, key);
    REQUIRE((*store)->Write(batch, true).ok());
  }
  Ok(n.node, {"store", "restore", backup}, "operator");
  n.node.Start();
  // The backup was taken before that entry was written, so the restored store lacks it as
  // the replaced one did: a restore carries the gap over, and never hides it.
  auto verify = n.node.Cli({"audit", "verify"}, "operator");
  INFO(verify.Describe());
  CHECK(verify.exit == 1);
  CHECK(Contains(verify.out, "was removed"));
}

TEST_CASE(
    "a restore killed at any step leaves the old store or the restored one under a new "
    "origin, and the next restore finishes the job",
    "[backup][restore][crash]") {
  // On tmpfs where there is one: a restore syncs some thirty times, and this runs hundreds.
  FastTempDir dir;
  Node node(dir.path() + "/n1");
  node.Start();
  OpenCase(node, "C-1");
  OpenCase(node, "C-2");
  const std::string backup = dir.path() + "/backup";
  Ok(node, {"store", "backup", backup}, "operator");
  OpenCase(node, "C-3");
  OpenCase(node, "C-4");
  REQUIRE(node.Stop() == 0);

  const std::string store = node.data_dir() + "/store";
  const std::string pristine = dir.path() + "/pristine-store";
  fs::copy(store, pristine, fs::copy_options::recursive);
  const StoreFacts old = InspectCopy(pristine, dir.path() + "/scratch");
  const StoreFacts backed_up = InspectCopy(backup, dir.path() + "/scratch");
  REQUIRE(old.opens);
  REQUIRE(backed_up.opens);
  REQUIRE(old.origin == node.id());
  REQUIRE(backed_up.events < old.events);
  const auto backup_files = Snapshot(backup);

  auto reset = [&] {
    for (const auto& kind : {"before-restore", "restoring"}) {
      for (const auto& d : Beside(store, kind)) fs::remove_all(d);
    }
    fs::remove_all(store);
    fs::copy(pristine, store, fs::copy_options::recursive);
  };
  auto is_old = [&](const StoreFacts& f) {
    return f.opens && f.origin == old.origin && f.events == old.events;
  };
  auto is_restored = [&](const StoreFacts& f) {
    return f.opens && f.origin != old.origin && OriginNode(f.origin) == node.id() &&
           f.events == backed_up.events;
  };
  // The old store is kept beside the node's (never in a half-made copy: those carry the
  // marker).
  auto old_store_kept = [&] {
    std::vector<std::string> places;
    for (const auto& kind : {"before-restore", "restoring"}) {
      for (const auto& d : Beside(store, kind)) {
        if (!fs::exists(d + "/" + kStagingMarker)) places.push_back(d);
      }
    }
    return std::any_of(places.begin(), places.end(),
                       [&](const std::string& d) { return is_old(Inspect(d)); });
  };

  const std::vector<std::string> restore = {HoldfastPath(), "store", "restore", backup};
  Env traced_env = node.ClientEnv("operator");
  // LeakSanitizer stops the world with ptrace at exit, which a traced process cannot allow.
  const char* asan = std::getenv("ASAN_OPTIONS");
  traced_env["ASAN_OPTIONS"] = std::string(asan != nullptr ? asan : "") + ":detect_leaks=0";
  uint64_t kills = 0, restored_when_killed = 0;
  // RocksDB's background threads delete obsolete files while a store closes, so how many
  // changes a restore makes varies from run to run by a few: one run that ends before its
  // nth change does not prove every step was tried. Three in a row past the last kill do.
  int finished_in_a_row = 0;
  // One restore killed at its nth file system change (false: it made fewer changes and
  // finished), the store it leaves judged, and the next restore's result.
  auto kill_at = [&](uint64_t nth) {
    INFO("SIGKILL at the restore's file system change number " << nth);
    reset();
    auto killed = RunKilledAtMutation(restore, traced_env, nth);
    INFO("the killed restore: exit " << killed.exit << ", " << killed.output);
    if (!killed.killed) {  // it made fewer than nth changes
      // Under ASan, LeakSanitizer's check at exit cannot run in a traced process and exits
      // 134 after the restore has done its work; the store below is what counts.
      const bool lsan_under_ptrace =
          killed.output.find("LeakSanitizer does not work under ptrace") != std::string::npos;
      REQUIRE((killed.exit == 0 || lsan_under_ptrace));
      CHECK(is_restored(Inspect(store)));
      return false;
    }
    REQUIRE(killed.exit == 128 + SIGKILL);
    ++kills;
    const StoreFacts now = Inspect(store);
    INFO("the store: " << (now.opens ? now.origin + ", " + std::to_string(now.events) + " events"
                                     : now.error));
    CHECK((is_old(now) || is_restored(now)));
    if (is_restored(now)) {
      ++restored_when_killed;
      CHECK(old_store_kept());
    }

    auto again = node.Cli({"store", "restore", backup}, "operator");
    INFO("the next restore: " << again.Describe());
    REQUIRE(again.exit == 0);
    CHECK(is_restored(Inspect(store)));
    CHECK(Beside(store, "restoring").empty());
    CHECK(old_store_kept());
    CHECK(Snapshot(backup) == backup_files);
    return true;
  };
  // Every change in Release; every fourth under the sanitizers, where each traced restore
  // costs several times more (the Release run is the one that tries every step).
  const uint64_t step = Sanitized() ? 4 : 1;
  uint64_t last_killed = 0;
  for (uint64_t nth = 1;; nth += step) {
    REQUIRE(nth < 2000);
    if (!kill_at(nth)) {
      if (++finished_in_a_row == 3) break;
      continue;
    }
    finished_in_a_row = 0;
    last_killed = nth;
  }
  // The changes after the swap are few (two), and how many come before it varies by a few
  // from run to run (RocksDB's background threads delete files while a store closes): a
  // sweep can pass them without a kill landing after the swap. The steps around its last
  // kill again, until one does.
  for (int attempt = 0; restored_when_killed == 0 && attempt < 60; ++attempt) {
    kill_at(last_killed - 2 + static_cast<uint64_t>(attempt % 6));
  }
  INFO(kills << " kills, " << restored_when_killed << " after the swap");
  CHECK(kills * step > 50);  // a restore makes some 110 changes
  CHECK(restored_when_killed > 0);
  CHECK(restored_when_killed < kills);
}

}  // namespace holdfast::test
