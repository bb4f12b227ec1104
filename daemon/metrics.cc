#include "daemon/metrics.h"

#include <cmath>
#include <cstdio>

namespace holdfast {
namespace {

std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<int64_t>(v));
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string Escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string LabelText(const MetricLabels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    out += k + "=\"" + Escape(v) + "\"";
  }
  return out + "}";
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::Observe(double seconds) {
  size_t i = 0;
  while (i < bounds_.size() && seconds > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(static_cast<uint64_t>(seconds < 0 ? 0 : seconds * 1e9),
                       std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void Histogram::Render(const std::string& name, const MetricLabels& labels,
                       std::string* out) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    MetricLabels with = labels;
    with["le"] = i < bounds_.size() ? FormatValue(bounds_[i]) : "+Inf";
    AppendSample(out, name + "_bucket", with, static_cast<double>(cumulative));
  }
  AppendSample(out, name + "_sum", labels,
               static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9);
  // The count is the +Inf bucket's, so the two agree even while observations arrive.
  AppendSample(out, name + "_count", labels, static_cast<double>(cumulative));
}

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> buckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                              0.25,  0.5,    1,     2.5,  5,     10};
  return buckets;
}

MetricsRegistry::Family* MetricsRegistry::FamilyOf(const std::string& name, Type type,
                                                   const std::string& help) {
  auto it = families_.find(name);
  if (it == families_.end()) it = families_.emplace(name, Family{type, help, {}, {}, {}}).first;
  return &it->second;
}

Counter* MetricsRegistry::GetCounter(const std::string& name, const std::string& help,
                                     const MetricLabels& labels) {
  std::lock_guard<std::mutex> l(mu_);
  auto& slot = FamilyOf(name, Type::kCounter, help)->counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return slot.get();
}

Gauge* MetricsRegistry::GetGauge(const std::string& name, const std::string& help,
                                 const MetricLabels& labels) {
  std::lock_guard<std::mutex> l(mu_);
  auto& slot = FamilyOf(name, Type::kGauge, help)->gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return slot.get();
}

Histogram* MetricsRegistry::GetHistogram(const std::string& name, const std::string& help,
                                         const MetricLabels& labels,
                                         const std::vector<double>& bounds) {
  std::lock_guard<std::mutex> l(mu_);
  auto& slot = FamilyOf(name, Type::kHistogram, help)->histograms[labels];
  if (!slot) slot = std::make_unique<Histogram>(bounds);
  return slot.get();
}

void MetricsRegistry::AddSource(Source source) {
  std::lock_guard<std::mutex> l(mu_);
  sources_.push_back(std::move(source));
}

std::string MetricsRegistry::Render() const {
  std::string out;
  std::vector<Source> sources;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [name, f] : families_) {
      const char* type = f.type == Type::kCounter ? "counter"
                         : f.type == Type::kGauge ? "gauge"
                                                  : "histogram";
      AppendFamily(&out, name, type, f.help);
      for (const auto& [labels, c] : f.counters) {
        AppendSample(&out, name, labels, static_cast<double>(c->value()));
      }
      for (const auto& [labels, g] : f.gauges) {
        AppendSample(&out, name, labels, static_cast<double>(g->value()));
      }
      for (const auto& [labels, h] : f.histograms) h->Render(name, labels, &out);
    }
    sources = sources_;
  }
  for (const auto& source : sources) source(&out);
  return out;
}

void AppendFamily(std::string* out, const std::string& name, const char* type,
                  const std::string& help) {
  std::string escaped;
  for (char c : help) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  *out += "# HELP " + name + " " + escaped + "\n# TYPE " + name + " " + type + "\n";
}

void AppendSample(std::string* out, const std::string& name, const MetricLabels& labels,
                  double value) {
  *out += name + LabelText(labels) + " " + FormatValue(value) + "\n";
}

}  // namespace holdfast
