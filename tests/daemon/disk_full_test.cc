// holdfastd on a disk that fills up: a small tmpfs the test mounts as the node's data
// directory (root only; see tests/small_filesystem.h), with a ballast file on it so that
// freeing space is one unlink. Imports go on until one is refused for lack of space; the
// daemon must stay up, say so in one line, go on answering reads, take writes again by
// itself once the ballast is gone, and hold every event it acknowledged, also after a
// restart and after being killed.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <set>

#include "tests/daemon/harness.h"
#include "tests/small_filesystem.h"

namespace holdfast::test {
namespace {

constexpr size_t kBatch = 500;  // events per import: one atomic append each

// A file of kBatch attendance records for cases C-1..C-3, each with 6,000 characters of
// reason that do not compress (so the disk fills after a few thousand events); their ids
// added to `ids`.
std::string WriteBatchFile(const TempDir& dir, size_t batch, std::vector<std::string>* ids) {
  std::string lines;
  for (size_t i = 0; i < kBatch; ++i) {
    const size_t n = batch * kBatch + i;
    ids->push_back(TestUuid(0xd15c, n));
    lines += BulkyAttendanceJson(ids->back(), "C-" + std::to_string(n % 3 + 1),
                                 "S-" + std::to_string(n), 6000) +
             "\n";
  }
  const std::string file = dir / ("batch-" + std::to_string(batch) + ".jsonl");
  WriteFile(file, lines);
  return file;
}

void CheckHolds(const Node& node, const std::vector<std::string>& acknowledged) {
  const auto exported = EventIds(node.Export());
  const std::set<std::string> held(exported.begin(), exported.end());
  size_t missing = 0;
  for (const auto& id : acknowledged) missing += held.count(id) ? 0 : 1;
  INFO(acknowledged.size() << " acknowledged, " << held.size() << " exported");
  CHECK(missing == 0);
  CHECK(held.size() == exported.size());  // no event twice
  auto verify = node.Cli({"store", "verify"}, "operator");
  INFO(verify.Describe());
  CHECK(verify.exit == 0);
  // The audit entries that waited in memory while the disk was full were chained in their
  // order when written.
  auto audit = node.Cli({"audit", "verify"}, "operator");
  INFO(audit.Describe());
  CHECK(audit.exit == 0);
}

}  // namespace

TEST_CASE(
    "a full disk: holdfastd refuses writes in one line, keeps answering reads, resumes "
    "writing by itself once space is freed, and loses nothing it acknowledged",
    "[daemon][disk]") {
  TempDir dir;
  // RocksDB reserves 26 MB for its WAL file, and must find room to flush its memtables
  // (up to 24 MB each) to resume: so a 32 MB ballast on 96 MB.
  SmallFilesystem fs(dir / "n1", 96);
  if (!fs.SkipUnlessMounted("daemon disk_full_test")) return;
  Node node(fs.path());  // its log, n1.holdfastd.log, is beside the mount, not on it
  // A reserve of 1 MB: the disk really fills (RocksDB's own failures are what is survived),
  // and once it is topped up to the brim the refusal of writes does not depend on how
  // much of RocksDB's WAL file is still unused.
  std::string config = ReadFile(node.config());
  const std::string reserve_line = "reserve_mb = 128";
  REQUIRE(config.find(reserve_line) != std::string::npos);
  config.replace(config.find(reserve_line), reserve_line.size(), "reserve_mb = 1");
  WriteFile(node.config(), config);
  REQUIRE(fs.Ballast("ballast", 32u << 20));
  node.Start();
  node.ClientEnv("probation");  // the user the reads below act as, made while there is room

  std::vector<std::string> acknowledged = {TestUuid(0xca5e, 1), TestUuid(0xca5e, 2)};
  Ok(node,
     {"case", "open", "--case", "C-1", "--subject", "P-1", "--order", "licence", "--risk", "medium",
      "--lead-agency", "probation-ce", "--id", acknowledged[0]},
     "probation");
  Ok(node, {"breach", "report", "--case", "C-1", "--kind", "order_breach", "--id", acknowledged[1]},
     "probation");

  // Import until the disk is full.
  RunResult refused;
  std::vector<std::string> refused_ids;
  std::string refused_file;
  for (size_t batch = 0; refused_file.empty(); ++batch) {
    REQUIRE(batch < 100);  // 50,000 events of 6 KB would never fit on 96 MB
    std::vector<std::string> ids;
    const std::string file = WriteBatchFile(dir, batch, &ids);
    auto r = node.Cli({"import", "--file", file}, "operator");
    if (r.exit == 0) {
      acknowledged.insert(acknowledged.end(), ids.begin(), ids.end());
    } else {
      refused = r;
      refused_ids = ids;
      refused_file = file;
    }
  }
  INFO(refused.Describe() << "\nholdfastd log:\n" << node.Log());
  REQUIRE(node.Running());
  CHECK(IsOneLineFailure(refused));
  CHECK(Contains(refused.err, "no space left on the device holding " + node.data_dir() + "/store"));
  CHECK(Contains(refused.err, "free some space; writing resumes by itself"));
  CHECK(acknowledged.size() > 4 * kBatch);  // the disk held a few batches first

  // RocksDB removes the file it could not finish, and may resume in that room by itself:
  // fill the disk to the brim to look at a full one.
  fs.FillUp("topup");
  // Reads go on while the disk is full.
  CHECK(Contains(Ok(node, {"case", "list"}, "probation").out, "C-1"));
  CHECK(Contains(Ok(node, {"alerts", "list"}, "probation").out, "breach"));
  Ok(node, {"sync", "status"}, "operator");
  CheckHolds(node, acknowledged);
  // Writes are refused the same way. RocksDB may still free room after the top-up (it
  // deletes what it could not finish) and then rightly take a write: top up again and try
  // another, a few times; a disk that stays full must refuse.
  RunResult write;
  std::vector<std::string> topups = {"topup"};
  for (int attempt = 0; attempt < 5; ++attempt) {
    const std::string case_id = "C-FULL-" + std::to_string(attempt);
    write = node.Cli({"case", "open", "--case", case_id, "--subject", "P-FULL", "--order",
                      "community_order", "--risk", "high", "--lead-agency", "probation-ce"},
                     "probation");
    if (write.exit != 0) break;
    topups.push_back("topup-" + std::to_string(attempt));
    fs.FillUp(topups.back());
  }
  INFO(write.Describe());
  CHECK(IsOneLineFailure(write));
  CHECK(Contains(write.err, "no space left on the device holding"));

  // Free the space: the refused import goes through again, with no restart.
  fs.Remove("ballast");
  for (const auto& topup : topups) fs.Remove(topup);
  RunResult retried;
  WaitUntil(
      Scaled(std::chrono::milliseconds(20000)),
      [&] {
        retried = node.Cli({"import", "--file", refused_file}, "operator");
        return retried.exit == 0;
      },
      std::chrono::milliseconds(50));
  INFO(retried.Describe());
  REQUIRE(retried.exit == 0);
  acknowledged.insert(acknowledged.end(), refused_ids.begin(), refused_ids.end());
  CheckHolds(node, acknowledged);
  const std::string log = node.Log();
  CHECK(Contains(log, "store: refusing writes: no space left on the device holding"));
  CHECK(Contains(log, "store: writing resumed"));
  CHECK(Contains(log, "audit: wrote "));  // entries that waited
  // The refused case opening waited in memory too, and is on record.
  CHECK(Contains(Ok(node, {"audit", "list", "--format", "csv", "--limit", "0"}, "operator").out,
                 ",probation,append,C-FULL-0,"));

  // After a restart, and after a kill (the WAL alone holds the last import).
  REQUIRE(node.Stop() == 0);
  node.Start();
  CheckHolds(node, acknowledged);
  std::vector<std::string> last;
  Ok(node, {"import", "--file", WriteBatchFile(dir, 1000, &last)}, "operator");
  acknowledged.insert(acknowledged.end(), last.begin(), last.end());
  node.Kill();
  node.Start();
  CheckHolds(node, acknowledged);
  CHECK(Contains(Ok(node, {"alerts", "list"}, "probation").out, "breach"));
}

}  // namespace holdfast::test
