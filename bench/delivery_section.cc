// D. Delivery (issue 15): GET of a case through the HTTPS API on A's node (the county, about
// 1 M events), and alert changes at 1,000 a second sustained to one web hook on a node of its
// own, with the daemon's RSS and the hook's outbox sampled as it runs.
#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "bench/report.h"
#include "bench/system_bench.h"
#include "bench/webhook_receiver.h"
#include "eventstore/event_json.h"

namespace holdfast::bench {
namespace {

constexpr int kFeedRate = 1000;        // alert changes a second
constexpr int kBatchesPerSecond = 10;  // one import request each 100 ms

Clock::duration FromSecondsD(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

uint64_t ResidentBytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  }
  return 0;
}

size_t DiscardBody(char*, size_t size, size_t count, void* bytes) {
  *static_cast<size_t*>(bytes) += size * count;
  return size * count;
}

// One keep-alive HTTPS connection to a node's API (a libcurl easy handle reused), trusting
// the partnership CA and reaching the node by the name its certificate gives.
class ApiClient {
 public:
  ApiClient(const std::string& node_id, int port, const std::string& ca_file,
            const std::string& token)
      : base_("https://" + node_id + ":" + std::to_string(port)),
        resolve_(curl_slist_append(nullptr,
                                   (node_id + ":" + std::to_string(port) + ":127.0.0.1").c_str())),
        headers_(curl_slist_append(nullptr, ("authorization: Bearer " + token).c_str())),
        curl_(curl_easy_init()) {
    curl_easy_setopt(curl_, CURLOPT_RESOLVE, resolve_);
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(curl_, CURLOPT_CAINFO, ca_file.c_str());
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, DiscardBody);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &bytes_);
  }
  ~ApiClient() {
    curl_easy_cleanup(curl_);
    curl_slist_free_all(headers_);
    curl_slist_free_all(resolve_);
  }
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // GETs `path`; the HTTP status (dies on a transport error) and the body's size.
  long Get(const std::string& path, size_t* body_bytes) {
    bytes_ = 0;
    curl_easy_setopt(curl_, CURLOPT_URL, (base_ + path).c_str());
    const CURLcode rc = curl_easy_perform(curl_);
    if (rc != CURLE_OK) Die("GET " + path + ": " + curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    *body_bytes = bytes_;
    long connects = 0;  // new connections this transfer made
    curl_easy_getinfo(curl_, CURLINFO_NUM_CONNECTS, &connects);
    connections_ += connects;
    return status;
  }
  long connections() const { return connections_; }

 private:
  std::string base_;
  curl_slist* resolve_;
  curl_slist* headers_;
  CURL* curl_;
  size_t bytes_ = 0;
  long connections_ = 0;
};

void MeasureCaseGet(SystemBench* b) {
  auto& figures = b->Section("D. delivery");
  BenchNode& node = *b->probation;
  const int port = FreeLoopbackPort();
  node.SetConfig("http", "listen", "127.0.0.1:" + std::to_string(port));
  node.Start();
  const uint64_t held = node.LastPosition();
  WaitUntilIdle(node.pid());
  std::string token;
  {
    const std::string file = node.dir() + "/po-api.token";
    const std::vector<std::string> env = node.CliEnv("probation", "po-api");
    for (const auto& e : env) {
      if (e.rfind("HOLDFAST_TOKEN_FILE=", 0) == 0) {
        std::ifstream in(e.substr(std::strlen("HOLDFAST_TOKEN_FILE=")));
        std::getline(in, token);
      }
    }
    if (token.empty()) Die("no token for po-api on " + node.id());
  }
  std::vector<std::string> cases;
  {
    std::set<std::string> seen;
    for (const auto& [c, intervention] : b->county.interventions) {
      if (seen.insert(c).second) cases.push_back(c);
    }
  }
  const int requests = b->options.api_requests;
  b->Progress("D: " + std::to_string(requests) + " GET /v1/cases/{id} on " +
              Grouped(static_cast<double>(held)) + " events (" + std::to_string(cases.size()) +
              " cases)");
  ApiClient client(node.id(), port, b->cert_dir + "/ca.crt", token);
  std::mt19937_64 rng(15);
  size_t bytes = 0;
  for (int i = 0; i < 20; ++i) client.Get("/v1/cases/" + cases[rng() % cases.size()], &bytes);
  Latencies get, health;
  std::map<long, int> statuses;
  std::vector<double> sizes;
  for (int i = 0; i < requests; ++i) {
    const std::string path = "/v1/cases/" + cases[rng() % cases.size()];
    const auto t0 = Clock::now();
    const long status = client.Get(path, &bytes);
    get.Add(Seconds(Clock::now() - t0));
    ++statuses[status];
    sizes.push_back(static_cast<double>(bytes));
  }
  // The floor on the same connection: a route that reads no case (nor the store, nor a token).
  for (int i = 0; i < std::min(requests, 500); ++i) {
    const auto t0 = Clock::now();
    client.Get("/healthz", &bytes);
    health.Add(Seconds(Clock::now() - t0));
  }
  // The same reads over the local API (a Unix socket, Cap'n Proto): the request table's
  // case-show without HTTP, TLS and JSON.
  Latencies local;
  for (int i = 0; i < std::min(requests, 500); ++i) {
    const std::string c = cases[rng() % cases.size()];
    const auto t0 = Clock::now();
    node.CaseShow(c, token);
    local.Add(Seconds(Clock::now() - t0));
  }
  const long connections = client.connections();
  node.Stop();

  std::sort(sizes.begin(), sizes.end());
  std::string status_text;
  for (const auto& [status, n] : statuses) {
    status_text +=
        (status_text.empty() ? "" : ", ") + std::to_string(n) + " × " + std::to_string(status);
  }
  figures.push_back(
      {"API GET of a case: `GET /v1/cases/{id}` of random county cases by a probation user's "
       "token, one keep-alive HTTPS connection (libcurl, " +
           std::to_string(connections) + " connection(s) made), on probation-1 holding " +
           Grouped(static_cast<double>(held)) + " events; request to last body byte",
       get.Describe() + "; answers " + status_text + "; body median " +
           Grouped(sizes[sizes.size() / 2]) + " bytes",
       "floors: `GET /healthz` on the same connection (no token, no case read): " +
           health.Describe() +
           "; the same case-show request over the local Unix-socket API (no HTTP, TLS or "
           "JSON): " +
           local.Describe(),
       "", "p99 < 20 ms", statuses[200] == requests && get.P99() < 0.020});
}

std::string Uuid(uint32_t kind, uint64_t n) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%08x-0000-4000-8000-%012llx", kind,
                static_cast<unsigned long long>(n));
  return buffer;
}

// alert.raised number n: a fresh alert of one of 1,000 cases, as a deriving node would send it.
Event AlertRaised(uint64_t n) {
  const std::string json =
      "{\"id\":\"" + Uuid(0xfeed0001, n) +
      "\",\"type\":\"alert.raised\",\"occurred_at\":\"2025-03-01T10:00:00Z\",\"author\":{"
      "\"user\":\"holdfastd\",\"role\":\"system\",\"agency\":\"holdfast\"},\"data\":{"
      "\"alert\":\"" +
      Uuid(0xfeed0002, n) + "\",\"rule\":\"breach\",\"case\":\"C-FEED-" + std::to_string(n % 1000) +
      "\",\"subject\":\"P-FEED-" + std::to_string(n % 1000) +
      "\",\"severity\":\"high\",\"trigger\":\"" + Uuid(0xfeed0003, n) +
      "\",\"reason\":\"breach reported\"}}";
  auto event = EventFromJson(json);
  if (!event.ok()) Die("alert.raised for the feed bench: " + event.status().ToString());
  return std::move(event.value());
}

// A number in `hooks status --format json`'s line for the hook: "pending":N.
uint64_t JsonNumber(const std::string& json, const std::string& field) {
  const auto at = json.find("\"" + field + "\":");
  if (at == std::string::npos) return 0;
  size_t from = at + field.size() + 3;
  while (from < json.size() && (json[from] == ' ' || json[from] == '"')) ++from;
  return std::strtoull(json.c_str() + from, nullptr, 10);
}

struct Sample {
  double at = 0;  // seconds since the changes started
  uint64_t rss = 0, pending = 0, generated = 0, delivered = 0;
};

void MeasureSustainedFeed(SystemBench* b) {
  auto& figures = b->Section("D. delivery");
  // The changes run for warm-up + window seconds; the figures are those of the window. In the
  // warm-up the daemon's RocksDB memtables (48 MB together) and block cache (32 MB) fill, which
  // is the store taking its configured memory, not growth; the RSS before it is shown too.
  const double window = b->options.feed_seconds;
  const double warm_up = b->options.feed_warm_up_seconds;
  const double seconds = warm_up + window;
  BenchNode node(b->programs, b->options.dir + "/police-3", "police-3", "police-ce", "police");
  node.Init();
  node.SetConfig("hooks", "backoff_base_ms", "20");
  node.SetConfig("hooks", "backoff_cap_ms", "200");
  node.Start();
  WebhookReceiver receiver(b->cert_dir + "/localhost.crt", b->cert_dir + "/localhost.key");
  AddWebHook(node, "bench", receiver, b->cert_dir + "/ca.crt");
  WaitUntilIdle(node.pid());
  b->Progress("D: " + std::to_string(kFeedRate) + " alert changes a second for " +
              Fixed(warm_up, 0) + " + " + Fixed(window, 0) + " s to one web hook");

  // Events are made ahead, so the generator only sends them.
  const int per_batch = kFeedRate / kBatchesPerSecond;
  const int batches = static_cast<int>(seconds * kBatchesPerSecond);
  const int first_measured = static_cast<int>(warm_up * kBatchesPerSecond);
  std::vector<std::vector<Event>> ahead(static_cast<size_t>(batches));
  for (int k = 0; k < batches; ++k) {
    for (int i = 0; i < per_batch; ++i) {
      ahead[k].push_back(AlertRaised(uint64_t(k) * per_batch + i));
    }
  }
  std::vector<Clock::time_point> sent(static_cast<size_t>(batches));
  std::atomic<int> batches_done{0};
  const uint64_t rss_before = ResidentBytes(node.pid());
  const auto start = Clock::now();
  const auto window_start = start + FromSecondsD(warm_up);
  std::thread generator([&] {
    for (int k = 0; k < batches; ++k) {
      const auto due = start + std::chrono::milliseconds(1000 / kBatchesPerSecond) * k;
      std::this_thread::sleep_until(due);  // the schedule, not a synchronisation
      sent[k] = Clock::now();
      node.Import(ahead[k], /*with_derived=*/true);
      batches_done = k + 1;
    }
  });
  std::vector<Sample> samples;  // in the window, the last one at its end
  const double every = std::max(1.0, window / 12);
  size_t delivered_at_window_start = 0;
  auto sample = [&] {
    Sample s;
    s.at = Seconds(Clock::now() - window_start);
    s.rss = ResidentBytes(node.pid());
    s.generated = static_cast<uint64_t>(batches_done.load()) * per_batch;
    s.delivered = receiver.count();
    const RunResult status = node.Cli({"hooks", "status", "--format", "json"}, "operator");
    s.pending = JsonNumber(status.out, "pending");
    samples.push_back(s);
  };
  std::this_thread::sleep_until(window_start);  // the schedule
  delivered_at_window_start = receiver.count();
  sample();
  for (int i = 1; every * i < window - 0.5; ++i) {
    std::this_thread::sleep_until(window_start + FromSecondsD(every * i));  // the schedule
    sample();
  }
  generator.join();
  const auto generated_end = Clock::now();
  sample();
  const uint64_t total = static_cast<uint64_t>(batches) * per_batch;
  const auto drain_deadline = Clock::now() + std::chrono::seconds(120);
  while (receiver.count() < total && Clock::now() < drain_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling, with a deadline
  }
  const auto drained = Clock::now();
  const uint64_t peak_rss = PeakResidentBytes(node.pid());
  node.Stop();

  // Lag: from the import request of an event's batch until its delivery arrived.
  std::map<std::string, int> batch_of;
  for (int k = 0; k < batches; ++k) {
    for (int i = 0; i < per_batch; ++i) {
      batch_of["msg_" + Uuid(0xfeed0001, uint64_t(k) * per_batch + i)] = k;
    }
  }
  Latencies lag, end_lag;
  std::set<std::string> unique;
  size_t delivered_in_window = 0;
  const double end_from = seconds - std::min(10.0, window / 4);
  const std::vector<Delivery> deliveries = receiver.Since(0);
  for (size_t i = 0; i < deliveries.size(); ++i) {
    const Delivery& d = deliveries[i];
    auto it = batch_of.find(d.webhook_id);
    if (it == batch_of.end() || !unique.insert(d.webhook_id).second) continue;
    if (i >= delivered_at_window_start && d.arrived <= generated_end) ++delivered_in_window;
    if (it->second < first_measured) continue;
    const double l = Seconds(d.arrived - sent[it->second]);
    lag.Add(l);
    if (Seconds(sent[it->second] - start) >= end_from) end_lag.Add(l);
  }
  const double measured = Seconds(generated_end - window_start);
  const double generated_rate =
      static_cast<double>(batches - first_measured) * per_batch / measured;
  const double delivery_rate = static_cast<double>(delivered_in_window) / measured;
  const size_t duplicates = deliveries.size() - unique.size();

  // RSS saws up and down as memtables fill and flush: the highest of each half of the window.
  const size_t half = samples.size() / 2;
  uint64_t first_peak = 0, second_peak = 0, max_pending_second_half = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    (i < half ? first_peak : second_peak) =
        std::max(i < half ? first_peak : second_peak, samples[i].rss);
    if (i >= half) max_pending_second_half = std::max(max_pending_second_half, samples[i].pending);
  }
  const double rss_change =
      static_cast<double>(second_peak) / static_cast<double>(std::max<uint64_t>(first_peak, 1)) - 1;
  std::string series;
  for (const Sample& x : samples) {
    series += (series.empty() ? "" : ", ") + Fixed(x.at, 0) +
              " s: " + Megabytes(static_cast<double>(x.rss)) + " / " +
              Grouped(static_cast<double>(x.pending));
  }
  const bool flat = rss_change < 0.10 && max_pending_second_half <= kFeedRate;
  figures.push_back(
      {"sustained feed: " + Grouped(kFeedRate) +
           " alert changes a second (alert.raised of "
           "fresh alerts, imported --with-derived in " +
           std::to_string(kBatchesPerSecond) +
           " requests a second) on a fresh police node, one web hook to an HTTPS receiver in "
           "the bench process; measured over " +
           Duration(window) + " after " + Duration(warm_up) + " of warm-up at the same rate",
       "generated " + Grouped(generated_rate) + "/s, delivered " + Grouped(delivery_rate) + "/s (" +
           Grouped(static_cast<double>(unique.size())) + " of " +
           Grouped(static_cast<double>(total)) + " delivered in all, the last " +
           Duration(Seconds(drained - generated_end)) + " after the last import; " +
           std::to_string(duplicates) +
           " repeats); lag from the import request: " + lag.Describe() + "; over the last " +
           Duration(seconds - end_from) + ": " + end_lag.Describe(),
       "", "", "1,000/s delivered", delivery_rate >= 0.95 * kFeedRate && unique.size() == total});
  figures.push_back(
      {"the same window: holdfastd RSS and the hook's pending count (`hooks status`), sampled "
       "every " +
           Duration(every) + " (RSS / pending)",
       "RSS before the changes " + Megabytes(static_cast<double>(rss_before)) +
           "; highest in the window's first half " + Megabytes(static_cast<double>(first_peak)) +
           ", second half " + Megabytes(static_cast<double>(second_peak)) + " (" +
           (rss_change >= 0 ? "+" : "") + Fixed(rss_change * 100, 1) + "%; VmHWM " +
           Megabytes(static_cast<double>(peak_rss)) + "); pending at most " +
           Grouped(static_cast<double>(max_pending_second_half)) +
           " in the second half; samples: " + series,
       "", "",
       "no growth: second half's RSS peak within 10% of the first's, pending ≤ 1 s of changes",
       flat});
}

}  // namespace

void RunDeliverySection(SystemBench* b) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  MeasureCaseGet(b);
  MeasureSustainedFeed(b);
}

}  // namespace holdfast::bench
