// holdfast_system_bench: see bench/system_bench.h. Run it through bench/run.
//
//   holdfast_system_bench --dir=DIR --build=BUILD_DIR --ops=OPS_DIR [--quick]
//                         [--events=N] [--small-events=N] [--cli-runs=N] [--fold-runs=N]
//                         [--catch-up-rounds=N] [--alert-runs=N] [--api-requests=N]
//                         [--feed-seconds=S] [--feed-warm-up-seconds=S] [--web-requests=N]
//                         [--sections=projections,sync,delivery,web]
//
// The report is Markdown on stdout; progress on stderr. DIR must be empty; the nodes, the
// county and the raw logs are left in it (bench/run removes it).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "bench/report.h"
#include "bench/subprocess.h"
#include "bench/system_bench.h"
#include "eventstore/hlc.h"

namespace holdfast::bench {

void SystemBench::Progress(const std::string& message) const {
  std::fprintf(stderr, "[%6.1f s] %s\n", Seconds(Clock::now() - started), message.c_str());
}

std::vector<Figure>& SystemBench::Section(const std::string& name) {
  for (auto& [section, figures] : report.sections) {
    if (section == name) return figures;
  }
  report.sections.emplace_back(name, std::vector<Figure>());
  return report.sections.back().second;
}

bool SystemOptions::Runs(const std::string& section) const {
  return std::find(sections.begin(), sections.end(), section) != sections.end();
}

namespace {

uint64_t Number(const std::string& arg, size_t prefix) {
  char* end = nullptr;
  const unsigned long long n = std::strtoull(arg.c_str() + prefix, &end, 10);
  if (end == arg.c_str() + prefix || *end != '\0') Die("not a number: " + arg);
  return n;
}

SystemOptions ParseOptions(int argc, char** argv) {
  SystemOptions o;
  bool quick = false;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const auto& arg : args) {
    if (arg == "--quick") quick = true;
  }
  if (quick) {
    o.county_events = 100000;
    o.small_node_events = 0;
    o.cli_runs = 50;
    o.fold_runs = 50;
    o.catch_up_rounds = 5;
    o.alert_runs = 10;
    o.api_requests = 300;
    o.feed_seconds = 10;
    o.feed_warm_up_seconds = 5;
    o.web_requests = 100;
  }
  for (const auto& arg : args) {
    auto has = [&](const char* flag) { return arg.rfind(flag, 0) == 0; };
    auto size = [&](const char* flag) { return std::strlen(flag); };
    if (arg == "--quick") {
    } else if (has("--dir=")) {
      o.dir = arg.substr(size("--dir="));
    } else if (has("--build=")) {
      o.build_dir = arg.substr(size("--build="));
    } else if (has("--ops=")) {
      o.ops_dir = arg.substr(size("--ops="));
    } else if (has("--events=")) {
      o.county_events = Number(arg, size("--events="));
    } else if (has("--small-events=")) {
      o.small_node_events = Number(arg, size("--small-events="));
    } else if (has("--cli-runs=")) {
      o.cli_runs = static_cast<int>(Number(arg, size("--cli-runs=")));
    } else if (has("--fold-runs=")) {
      o.fold_runs = static_cast<int>(Number(arg, size("--fold-runs=")));
    } else if (has("--catch-up-rounds=")) {
      o.catch_up_rounds = static_cast<int>(Number(arg, size("--catch-up-rounds=")));
    } else if (has("--alert-runs=")) {
      o.alert_runs = static_cast<int>(Number(arg, size("--alert-runs=")));
    } else if (has("--api-requests=")) {
      o.api_requests = static_cast<int>(Number(arg, size("--api-requests=")));
    } else if (has("--feed-seconds=")) {
      o.feed_seconds = static_cast<double>(Number(arg, size("--feed-seconds=")));
    } else if (has("--feed-warm-up-seconds=")) {
      o.feed_warm_up_seconds = static_cast<double>(Number(arg, size("--feed-warm-up-seconds=")));
    } else if (has("--web-requests=")) {
      o.web_requests = static_cast<int>(Number(arg, size("--web-requests=")));
    } else if (has("--sections=")) {
      o.sections.clear();
      std::stringstream list(arg.substr(size("--sections=")));
      for (std::string s; std::getline(list, s, ',');) {
        if (s != "projections" && s != "sync" && s != "delivery" && s != "web") {
          Die("--sections: unknown section \"" + s + "\" (projections, sync, delivery, web)");
        }
        o.sections.push_back(s);
      }
    } else {
      Die("usage: holdfast_system_bench --dir=DIR --build=BUILD_DIR --ops=OPS_DIR [--quick] "
          "[--events=N] [--small-events=N] [--cli-runs=N] [--fold-runs=N] "
          "[--catch-up-rounds=N] [--alert-runs=N] [--api-requests=N] [--feed-seconds=S] "
          "[--feed-warm-up-seconds=S] [--web-requests=N] "
          "[--sections=projections,sync,delivery,web]");
    }
  }
  if (o.dir.empty() || o.build_dir.empty() || o.ops_dir.empty()) {
    Die("--dir, --build and --ops are required (bench/run gives them)");
  }
  if (o.county_events == 0 || o.cli_runs < 1 || o.fold_runs < 1 || o.catch_up_rounds < 1 ||
      o.alert_runs < 1 || o.api_requests < 1 || o.feed_seconds < 1 || o.web_requests < 1) {
    Die("sizes and run counts must be positive");
  }
  return o;
}

int Main(int argc, char** argv) {
  SystemBench b;
  b.started = Clock::now();
  b.options = ParseOptions(argc, argv);
  if (!std::filesystem::is_empty(b.options.dir)) Die(b.options.dir + " is not empty");
  b.programs = Programs::In(b.options.build_dir, b.options.ops_dir);
  b.now = static_cast<int64_t>(SystemWallClockMs()) * 1000000;
  b.report.date = UtcNow();
  b.report.machine = DescribeMachine(b.options.dir);
  b.report.load = LoadAverage();
  b.report.fsync = Duration(FsyncMedianSeconds(b.options.dir));

  b.cert_dir = b.options.dir + "/certs";
  MakeCertificates(b.programs, b.cert_dir,
                   {"probation-1", "police-1", "provider-1", "probation-2", "police-2",
                    "localhost"});  // localhost: the web hook receiver's
  b.Progress("generating the county (holdfast-sample --events-target " +
             std::to_string(b.options.county_events) + " --seed 1)");
  b.county = MakeCounty(b.programs, b.options.county_events, 1, b.options.dir + "/county.jsonl");

  RunDaemonSection(&b);
  if (b.options.Runs("projections")) RunProjectionSection(&b);
  if (b.options.Runs("sync")) RunSyncSection(&b);
  if (b.options.Runs("delivery")) RunDeliverySection(&b);
  if (b.options.Runs("web")) RunWebSection(&b);

  b.report.load += " before, " + LoadAverage() + " after";
  b.report.fsync += " before, " + Duration(FsyncMedianSeconds(b.options.dir)) + " after";
  b.report.seconds = Seconds(Clock::now() - b.started);
  b.report.notes.push_back(
      "The county: `holdfast-sample --events-target " + std::to_string(b.options.county_events) +
      " --seed 1` (" + Grouped(static_cast<double>(b.county.events)) +
      " events), generated once; A imports it, B and C reuse that node's store. Raw RocksDB: "
      "RocksDB's default options, each event's bytes under an 8-byte key, WriteBatches of 1024, "
      "WriteOptions.sync = true, into a fresh directory on the same disk.");
  b.report.notes.push_back(
      "Latencies: median and nearest-rank p99 (under 100 runs, that is the slowest). CLI "
      "figures include starting the holdfast process; the CLI append row compares with a "
      "holdfast process that only prints a verb's help.");
  PrintSystemReport(b.report);
  return 0;
}

}  // namespace

uint64_t CpuTicks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  uint64_t utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {  // field 3 is the state
    if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 15) {
      stime = std::strtoull(field.c_str(), nullptr, 10);
      break;
    }
  }
  return utime + stime;
}

double CpuSeconds(pid_t pid) {
  return static_cast<double>(CpuTicks(pid)) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double ChildrenCpuSeconds() {
  struct rusage usage {};
  getrusage(RUSAGE_CHILDREN, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double WaitUntilIdle(pid_t pid, double timeout_seconds) {
  const auto start = Clock::now();
  uint64_t before = CpuTicks(pid);
  while (Seconds(Clock::now() - start) < timeout_seconds) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const uint64_t after = CpuTicks(pid);
    if (after <= before + 1) break;
    before = after;
  }
  return Seconds(Clock::now() - start);
}

}  // namespace holdfast::bench

int main(int argc, char** argv) {
  holdfast::testing::KillChildrenOnExit();
  try {
    return holdfast::bench::Main(argc, argv);
  } catch (const std::exception& e) {  // a child that could not be started or reaped
    holdfast::bench::Die(e.what());
  }
}
