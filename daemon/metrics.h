// Metrics: a tiny registry of counters, gauges and histograms, rendered in the Prometheus
// text exposition format 0.0.4 for `GET /metrics` (daemon/http_server.h). docs/metrics.md
// lists every metric the daemon exports and what it means.
//
// Values are atomics: any thread may count without a lock. A series is made once (under the
// registry's lock) and lives as long as the registry, so callers keep the pointer it gives.
// Values read at scrape time from elsewhere (the log's length, the peers' state, open alerts)
// come from sources: functions that append whole families of text when /metrics is read.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace holdfast {

// A label set, rendered in key order: {route="/v1/cases"}.
using MetricLabels = std::map<std::string, std::string>;

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Observations in fixed buckets (upper bounds in seconds, ascending); +Inf is implied.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double seconds);
  // Appends the _bucket (cumulative), _sum and _count lines of this series.
  void Render(const std::string& name, const MetricLabels& labels, std::string* out) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // one per bound, then +Inf
  std::atomic<uint64_t> sum_nanos_{0};
  std::atomic<uint64_t> count_{0};
};

// Request latency buckets: 1 ms to 10 s.
const std::vector<double>& LatencyBuckets();

class MetricsRegistry {
 public:
  // The series of family `name` with `labels`, made on first use. A family's type and help
  // are those of its first series. Never null.
  Counter* GetCounter(const std::string& name, const std::string& help,
                      const MetricLabels& labels = {});
  Gauge* GetGauge(const std::string& name, const std::string& help,
                  const MetricLabels& labels = {});
  Histogram* GetHistogram(const std::string& name, const std::string& help,
                          const MetricLabels& labels = {},
                          const std::vector<double>& bounds = LatencyBuckets());

  // A source of families read at scrape time: appends text in the exposition format (use
  // AppendFamily/AppendSample). Called on a worker thread, one scrape at a time per source.
  using Source = std::function<void(std::string* out)>;
  void AddSource(Source source);

  // Every family in name order, then the sources' text.
  std::string Render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Family {
    Type type;
    std::string help;
    std::map<MetricLabels, std::unique_ptr<Counter>> counters;
    std::map<MetricLabels, std::unique_ptr<Gauge>> gauges;
    std::map<MetricLabels, std::unique_ptr<Histogram>> histograms;
  };
  Family* FamilyOf(const std::string& name, Type type, const std::string& help);  // mu_ held
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
  std::vector<Source> sources_;
};

// For sources: "# HELP name help\n# TYPE name type\n" (type: counter, gauge, histogram).
void AppendFamily(std::string* out, const std::string& name, const char* type,
                  const std::string& help);
// One sample line: name{labels} value. Label values are escaped (\\, \", \n).
void AppendSample(std::string* out, const std::string& name, const MetricLabels& labels,
                  double value);

}  // namespace holdfast
