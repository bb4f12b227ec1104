// C. Sync between real holdfastd nodes over loopback mutual TLS: the initial sync of A's node
// to an empty one, the catch-up of 100 new events at two node sizes, and the latency from an
// attendance record on a provider node to the alert on the police node.
#include <poll.h>

#include <thread>

#include "bench/raw_baseline.h"
#include "bench/report.h"
#include "bench/system_bench.h"
#include "bench/webhook_receiver.h"

namespace holdfast::bench {
namespace {

constexpr int kCatchUpEvents = 100;

Clock::duration FromSeconds(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// Polls `node` every `every` until it holds `position` events; returns the moment it saw it.
Clock::time_point WaitForPosition(BenchNode& node, uint64_t position, double timeout_seconds,
                                  std::chrono::microseconds every,
                                  const SystemBench* progress = nullptr) {
  const auto start = Clock::now();
  auto next_report = start + std::chrono::seconds(10);
  for (;;) {
    const uint64_t held = node.LastPosition();
    const auto now = Clock::now();
    if (held >= position) return now;
    if (now - start > FromSeconds(timeout_seconds)) {
      Die("node " + node.id() + " holds " + std::to_string(held) + " events after " +
          Duration(timeout_seconds) + "; waiting for " + std::to_string(position) + " (see " +
          node.log_file() + ")");
    }
    if (progress != nullptr && now > next_report) {
      progress->Progress("C:   " + node.id() + " holds " + Grouped(static_cast<double>(held)) +
                         " of " + Grouped(static_cast<double>(position)));
      next_report += std::chrono::seconds(10);
    }
    std::this_thread::sleep_for(every);
  }
}

// Makes `server` and `dialer` peers: the server accepts the dialer (no address) and sends it
// what `server_sends` allows; the dialer dials the server and sends what `dialer_sends`
// allows. The server learns of the dialer first, so the first dial is not refused.
void Link(BenchNode& server, const std::string& server_sends, BenchNode& dialer,
          const std::string& dialer_sends) {
  server.Cli({"peers", "add", "--id", dialer.id(), "--send", server_sends}, "operator");
  dialer.Cli(
      {"peers", "add", "--id", server.id(), "--address", server.address(), "--send", dialer_sends},
      "operator");
}

struct CatchUpTimes {
  Latencies replicated;    // from the source holding the events until the replica holds them
  Latencies from_request;  // from the import request being sent until the replica holds them
};

// Rounds of: 100 new attendance events imported on `source` in one request (on a thread of
// its own), while both nodes are polled every 0.25 ms for when each holds them. Each round
// starts with the replica level with the source.
CatchUpTimes MeasureCatchUp(BenchNode& source, BenchNode& replica, AttendanceSource* attendance,
                            int rounds) {
  CatchUpTimes times;
  for (int round = 0; round < rounds; ++round) {
    WaitForPosition(replica, source.LastPosition(), 60, std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::vector<Event> events;
    for (int i = 0; i < kCatchUpEvents; ++i) events.push_back(attendance->Next());
    const uint64_t source_before = source.LastPosition();
    const uint64_t replica_before = replica.LastPosition();
    const auto requested = Clock::now();
    std::thread importer([&] { source.Import(events); });
    std::optional<Clock::time_point> appended, held;
    while (!held) {
      if (Clock::now() - requested > std::chrono::seconds(60)) {
        Die("node " + replica.id() + " did not receive 100 new events within 60 s");
      }
      if (!appended && source.LastPosition() >= source_before + kCatchUpEvents) {
        appended = Clock::now();
      }
      if (appended && replica.LastPosition() >= replica_before + kCatchUpEvents) {
        held = Clock::now();
      }
      std::this_thread::sleep_for(std::chrono::microseconds(250));
    }
    importer.join();
    times.replicated.Add(Seconds(*held - *appended));
    times.from_request.Add(Seconds(*held - requested));
  }
  return times;
}

Figure CatchUpFigure(const CatchUpTimes& t, uint64_t held) {
  return {"catch-up: " + std::to_string(kCatchUpEvents) +
              " new attendance events imported on probation in one request; from probation "
              "holding them until the police replica holding " +
              Grouped(static_cast<double>(held)) + " events holds them (both polled every 0.25 ms)",
          t.replicated.Describe() + "; from the import request: " + t.from_request.Describe(),
          "",
          "",
          "< 50 ms",
          t.replicated.Median() < 0.050};
}

// A second, smaller pair of nodes (the county's first lines), only for the catch-up figure.
Figure SmallPairCatchUp(SystemBench* b) {
  const std::string dir = b->options.dir;
  const County small = HeadOf(b->county, b->options.small_node_events, dir + "/county-small.jsonl");
  BenchNode source(b->programs, dir + "/probation-2", "probation-2", "probation-ce", "probation",
                   b->cert_dir);
  BenchNode replica(b->programs, dir + "/police-2", "police-2", "police-ce", "police", b->cert_dir);
  source.Init();
  replica.Init();
  source.Start();
  replica.Start();
  b->Progress("C: loading " + Grouped(small.events) + " events into a second pair of nodes");
  source.Cli({"import", "--file", small.file, "--quiet"}, "operator");
  Link(source, "all", replica, "all");
  WaitForPosition(replica, source.LastPosition(), 600, std::chrono::milliseconds(50));
  WaitUntilIdle(source.pid());
  WaitUntilIdle(replica.pid());
  b->Progress("C: catch-up rounds at " + Grouped(static_cast<double>(replica.LastPosition())) +
              " events");
  AttendanceSource attendance(small, "S-BENCH-SMALL", 3);
  const CatchUpTimes t = MeasureCatchUp(source, replica, &attendance, b->options.catch_up_rounds);
  const uint64_t held = replica.LastPosition();
  return CatchUpFigure(t, held);
}

// Reads the watchers' lines until each printed one that names `case_id` and non_engagement,
// reaping `append` as soon as it exits; returns when each watcher did (nullopt for one that
// did not before `deadline`).
std::vector<std::optional<Clock::time_point>> WaitForAlert(const std::vector<Subprocess*>& watchers,
                                                           Subprocess* append,
                                                           const std::string& case_id,
                                                           Clock::time_point deadline) {
  std::vector<std::optional<Clock::time_point>> seen(watchers.size());
  const std::string quoted = "\"" + case_id + "\"";
  bool exited = false;
  auto done = [&] {
    for (const auto& s : seen) {
      if (!s) return false;
    }
    return exited;
  };
  while (!done() && Clock::now() < deadline) {
    std::vector<pollfd> fds;
    for (Subprocess* w : watchers) fds.push_back({w->stdout_fd(), POLLIN, 0});
    ::poll(fds.data(), fds.size(), exited ? 5 : 1);
    if (!exited && append->Wait(Clock::now())) exited = true;
    for (size_t i = 0; i < watchers.size(); ++i) {
      std::string line;
      while (watchers[i]->ReadLine(Clock::now(), &line)) {
        if (!seen[i] && line.find("non_engagement") != std::string::npos &&
            line.find(quoted) != std::string::npos) {
          seen[i] = Clock::now();
        }
      }
    }
  }
  return seen;
}

// Provider, probation and police nodes: the provider records the second unacceptable
// absence of a case; probation derives the non_engagement alert; police receives it, prints
// it in `alerts watch` and delivers it to a web hook (an HTTPS receiver in this process).
void MeasureAlertLatency(SystemBench* b, BenchNode& probation, BenchNode& police) {
  auto& figures = b->Section("C. sync");
  const int runs = b->options.alert_runs;
  BenchNode provider(b->programs, b->options.dir + "/provider-1", "provider-1", "provider-ce",
                     "provider", b->cert_dir);
  provider.Init();
  provider.Start();
  const std::string setup = b->options.dir + "/alert-setup.jsonl";
  WriteAlertSetup(runs, setup);
  probation.Cli({"import", "--file", setup, "--quiet"}, "operator");
  provider.Cli({"import", "--file", setup, "--quiet"}, "operator");
  // The provider is sent nothing of probation's log (no erasures in the county): it only
  // reports attendance.
  Link(probation, "subject.erased", provider, "all");
  const auto linked = Clock::now() + std::chrono::seconds(120);
  for (;;) {
    auto up = provider.Peer(probation.id());
    auto down = probation.Peer(provider.id());
    if (up && down && up->connected && down->connected && up->behind_in == 0 &&
        down->behind_in == 0) {
      break;
    }
    if (Clock::now() > linked) Die("provider-1 and probation-1 did not link within 120 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  WaitForPosition(police, probation.LastPosition(), 120, std::chrono::milliseconds(5));
  for (BenchNode* node : {&provider, &probation, &police}) WaitUntilIdle(node->pid());

  b->Progress("C: " + std::to_string(runs) + " append-to-alert runs");
  WebhookReceiver receiver(b->cert_dir + "/localhost.crt", b->cert_dir + "/localhost.key");
  AddWebHook(police, "bench", receiver, b->cert_dir + "/ca.crt");
  SpawnOptions watch;
  watch.stderr_path = b->options.dir + "/alerts-watch.err";
  watch.env = police.CliEnv("police", "pc-bench");
  Subprocess police_watch(police.CliArgv({"alerts", "watch", "--format", "json"}), watch);
  watch.env = probation.CliEnv("probation", "po-bench");
  Subprocess probation_watch(probation.CliArgv({"alerts", "watch", "--format", "json"}), watch);
  // Let both watches register, and skip the alerts the set-up raised (no_contact).
  std::string line;
  const auto quiet = Clock::now() + std::chrono::milliseconds(500);
  while (police_watch.ReadLine(quiet, &line) || probation_watch.ReadLine(quiet, &line)) {
  }

  Latencies to_police, to_probation, cli, to_hook;
  int missed = 0, missed_hook = 0;
  for (int n = 1; n <= runs; ++n) {
    const size_t hooked_before = receiver.count();
    SpawnOptions options;
    options.env = provider.CliEnv("facilitator", "fac-bench");
    options.stdout_path = "/dev/null";
    options.stderr_path = b->options.dir + "/alert-trigger.err";
    Subprocess append(provider.CliArgv(AlertTriggerArgs(n)), options);
    auto seen = WaitForAlert({&probation_watch, &police_watch}, &append, AlertCaseId(n),
                             append.started() + std::chrono::seconds(15));
    // The receiver timestamped the delivery as it arrived; this only looks it up.
    const std::string quoted = "\"" + AlertCaseId(n) + "\"";
    const auto hooked = receiver.WaitFor(
        hooked_before,
        [&](const Delivery& d) {
          return d.body.find(quoted) != std::string::npos &&
                 d.body.find("\"raised\"") != std::string::npos;
        },
        append.started() + std::chrono::seconds(15));
    if (hooked) {
      to_hook.Add(Seconds(*hooked - append.started()));
    } else {
      ++missed_hook;
    }
    append.Wait(std::chrono::seconds(30));
    if (append.exit_code().value_or(-1) != 0) {
      Die("`holdfast attendance record` on provider-1 failed (see " + options.stderr_path + ")");
    }
    cli.Add(Seconds(append.exited() - append.started()));
    if (!seen[0] || !seen[1]) {
      ++missed;
      continue;
    }
    to_probation.Add(Seconds(*seen[0] - append.started()));
    to_police.Add(Seconds(*seen[1] - append.started()));
  }
  provider.Stop();

  const std::string missed_text =
      missed == 0 ? "" : "; **" + std::to_string(missed) + " runs saw no alert within 15 s**";
  figures.push_back(
      {"append to alert, 3 nodes: `holdfast attendance record` (a 2nd unacceptable absence) "
       "on provider-1, spawn → `holdfast alerts watch --format json` on police-1 prints the "
       "non_engagement alert (provider → probation-1 derives → police-1; both hold " +
           Grouped(static_cast<double>(police.LastPosition())) + " events)",
       to_police.Describe() + missed_text, "", "", "", std::nullopt});
  const std::string missed_hook_text =
      missed_hook == 0
          ? ""
          : "; **" + std::to_string(missed_hook) + " runs delivered nothing within 15 s**";
  figures.push_back(
      {"append to web hook, the same runs: until police-1's web hook delivery (`hooks add "
       "--url https://localhost:PORT/`, [hooks] backoff_base_ms 20) of that alert arrives at an "
       "HTTPS receiver in the bench process (OpenSSL, keep-alive; timestamped when the body "
       "is read)",
       to_hook.Describe() + missed_hook_text,
       "floor, the same path without the hook: police-1's `alerts watch` above, " +
           to_police.Describe(),
       "", "p99 < 250 ms", missed_hook == 0 && to_hook.count() > 0 && to_hook.P99() < 0.250});
  figures.push_back(
      {"the same runs, until `alerts watch` on probation-1 (the deriving node) prints it",
       to_probation.Describe() + "; the CLI append itself: " + cli.Describe(), "", "", "",
       std::nullopt});
}

}  // namespace

void RunSyncSection(SystemBench* b) {
  auto& figures = b->Section("C. sync");
  BenchNode& probation = *b->probation;

  b->Progress("C: raw RocksDB writing the bytes of the node's whole log");
  LogValues values;
  double marks_seconds = 0;
  {
    auto store = OpenStore(probation.store_dir());
    // What a peer link's start asks the store for on the daemon's loop.
    const auto asked = Clock::now();
    const VersionVector marks = store->ContiguousMarks();
    marks_seconds = Seconds(Clock::now() - asked);
    if (marks.empty()) Die("probation-1's store holds no contiguous marks");
    values = ReadLogValues(store.get(), 0, /*skip_alerts=*/false);
  }
  const RawBaseline raw = MeasureRawBaseline(b->options.dir + "/raw-sync", values);
  const uint64_t log_bytes = values.bytes;
  values = LogValues();

  Figure small_pair;
  const bool two_sizes =
      b->options.small_node_events > 0 && b->options.small_node_events < b->county.events;
  if (two_sizes) small_pair = SmallPairCatchUp(b);

  BenchNode police(b->programs, b->options.dir + "/police-1", "police-1", "police-ce", "police",
                   b->cert_dir);
  police.Init();
  // A failed delivery of the web hook (MeasureAlertLatency) is retried soon, not after ~1 s.
  police.SetConfig("hooks", "backoff_base_ms", "20");
  police.SetConfig("hooks", "backoff_cap_ms", "200");
  const double restart = probation.Start();
  police.Start();
  const uint64_t total = probation.LastPosition();
  b->Progress("C: initial sync of " + Grouped(static_cast<double>(total)) +
              " events to an empty police node");
  probation.Cli({"peers", "add", "--id", police.id(), "--send", "all"}, "operator");
  const auto start = Clock::now();
  police.Cli(
      {"peers", "add", "--id", probation.id(), "--address", probation.address(), "--send", "all"},
      "operator");
  const auto held = WaitForPosition(police, total, 1800, std::chrono::milliseconds(20), b);
  const Throughput sync{total, log_bytes, Seconds(held - start), 0};
  const uint64_t wire_bytes = police.Peer(probation.id()).value_or(PeerView()).bytes_in;
  const double settle = WaitUntilIdle(police.pid(), 600);
  const uint64_t police_rss = PeakResidentBytes(police.pid());
  WaitUntilIdle(probation.pid());

  const double ratio = Ratio(sync, raw.median);
  figures.push_back(
      {"initial sync: probation-1 (" + Grouped(static_cast<double>(total)) + " events, " +
           Megabytes(static_cast<double>(log_bytes)) +
           " of event bytes) to an empty police-1 over loopback mutual TLS, from `peers add` "
           "until police-1 holds them all",
       Grouped(sync.EventsPerSecond()) + " events/s, " + Fixed(sync.MegabytesPerSecond(), 1) +
           " MB/s (" + Duration(sync.seconds) + "; " + Megabytes(static_cast<double>(wire_bytes)) +
           " on the wire)",
       raw.Describe(true), Percent(ratio), "≥ 30%", ratio >= 0.30});
  b->report.notes.push_back(
      "C: the receiver applies each event idempotently by id and indexes it; A measured raw "
      "RocksDB doing only that key work at " +
      Percent(b->idempotent_floor_ratio) + " of raw (id lookup, event, id) and " +
      Percent(b->layout_floor_ratio) + " (with the origin and stream indexes).");
  b->report.notes.push_back(
      "C: restarting probation-1 (holdfastd spawn until it answers a ping) took " +
      Duration(restart) +
      "; after the initial sync the police daemon kept working (its "
      "projections) for " +
      Duration(settle) +
      " before it was idle; its peak RSS (VmHWM) "
      "by then: " +
      Megabytes(static_cast<double>(police_rss)) + ".");

  b->report.notes.push_back(
      "C: a peer link starts, on the daemon's loop, from the store's contiguous marks "
      "(EventStore::ContiguousMarks): reading them on probation-1 (" +
      Grouped(static_cast<double>(total)) + " events) took " + Fixed(marks_seconds * 1e6, 0) +
      " µs (they are kept as events commit; walking the origin index for them took about "
      "0.6 s per million events).");
  if (two_sizes) figures.push_back(small_pair);
  b->Progress("C: catch-up rounds at " + Grouped(static_cast<double>(total)) + " events");
  AttendanceSource attendance(b->county, "S-BENCH-SYNC", 4);
  const CatchUpTimes t = MeasureCatchUp(probation, police, &attendance, b->options.catch_up_rounds);
  figures.push_back(CatchUpFigure(t, police.LastPosition()));

  MeasureAlertLatency(b, probation, police);
  police.Stop();
  probation.Stop();
}

}  // namespace holdfast::bench
