#include "bench/store_scan.h"

#include <chrono>

namespace holdfast::bench {

Throughput TimeStoreScan(const EventStore& store, uint64_t log_bytes, std::string* error) {
  uint64_t events = 0, kinds = 0;
  const double cpu_start = ProcessCpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  Status s = store.ScanLog(0, [&](uint64_t, schema::Event::Reader e) {
    ++events;
    kinds += static_cast<uint64_t>(e.which());
    return true;
  });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!s.ok()) {
    *error = "EventStore::ScanLog: " + s.ToString();
  } else if (kinds == 0 && events > 0) {
    *error = "ScanLog handed out empty events";
  }
  return {events, log_bytes, seconds, ProcessCpuSeconds() - cpu_start};
}

}  // namespace holdfast::bench
