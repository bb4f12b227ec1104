// A node whose disk fills up while it pulls from a peer: its data directory is a small
// tmpfs the test mounts (root only; see tests/small_filesystem.h) with a ballast file on it.
#include <catch2/catch.hpp>
#include <string>

#include "tests/small_filesystem.h"
#include "tests/sync/sync_harness.h"

namespace holdfast::synctest {

TEST_CASE(
    "a node whose disk fills while it pulls from a peer stays up, says why, and catches "
    "up by itself once space is freed",
    "[sync][disk]") {
  TempDir dir;
  Pki pki(dir / "pki");
  // provider-2 keeps its data on 96 MB: RocksDB's WAL file (26 MB) and a 40 MB ballast
  // leave about 30 MB, less than the 42 MB provider-1 holds.
  test::SmallFilesystem fs(dir / "provider-2", 96);
  if (!fs.SkipUnlessMounted("sync disk_full_test")) return;
  SyncNode a(dir.path(), pki, "provider-1", "provider");
  SyncNode b(dir.path(), pki, "provider-2", "provider");
  a.AddPeerToConfig(b.id(), "", "all");
  b.AddPeerToConfig(a.id(), a.address(), "all");
  {
    std::string config = test::ReadFile(b.node().config());
    const std::string line = "reserve_mb = 128";
    REQUIRE(config.find(line) != std::string::npos);
    config.replace(config.find(line), line.size(), "reserve_mb = 1");
    test::WriteFile(b.node().config(), config);
  }
  REQUIRE(fs.Ballast("ballast", 40u << 20));

  constexpr size_t kEvents = 7000;
  std::string lines;
  for (size_t i = 0; i < kEvents; ++i) {
    lines += test::BulkyAttendanceJson(test::TestUuid(0xf011, i), "C-" + std::to_string(i % 7),
                                       "S-" + std::to_string(i), 6000) +
             "\n";
  }
  test::WriteFile(dir / "bulky.jsonl", lines);
  a.Start();
  a.Import(dir / "bulky.jsonl");
  b.Start();
  b.node().ClientEnv("facilitator");  // made while its disk has room: the reads below use it

  // provider-2 takes what fits, then holds the next batch until it can store it: its sync
  // status says why, the link stays up (provider-1 does not send the batch again and
  // again), and the node answers.
  const auto links = [&] {
    size_t n = 0;
    for (const auto& line : test::Lines(b.Log())) n += test::Contains(line, "linked with") ? 1 : 0;
    return n;
  };
  const bool refused = WaitUntil(Briefly(milliseconds(60000)), [&] {
    return test::Contains(StatusOf(b, a.id())["last_error"], "no space left on the device");
  });
  const size_t links_when_full = links();
  INFO("provider-2's log:\n" << b.Log().substr(0, 6000));
  REQUIRE(refused);
  REQUIRE(b.node().Running());
  const uint64_t held = b.EventCount();
  CHECK(held < kEvents);
  CHECK(b.Export().size() == held);
  CHECK(b.node().Cli({"case", "list"}, "facilitator").exit == 0);
  CHECK(WaitUntil(Briefly(milliseconds(10000)),
                  [&] { return StatusOf(b, a.id())["connected"] == "yes"; }));
  // A batch that failed in the middle of its write (rather than waiting) closes the link
  // once; one that waits keeps it.
  CHECK(links() <= links_when_full + 1);

  // Once the ballast is gone it resumes, dials provider-1 at once and catches up.
  fs.Remove("ballast");
  const bool caught_up =
      WaitUntil(Briefly(milliseconds(60000)), [&] { return b.EventCount() == kEvents; });
  REQUIRE(caught_up);
  CHECK(Duplicates(b.Export()).empty());
  CHECK(b.Verify().exit == 0);
  CHECK(test::Contains(b.Log(), "store: writing resumed"));
}

}  // namespace holdfast::synctest
