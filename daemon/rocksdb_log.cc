#include "daemon/rocksdb_log.h"

#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <string>

namespace holdfast {
namespace {

class RocksDbLog : public rocksdb::Logger {
 public:
  // RocksDB formats only what is at or above this level; the rest costs nothing.
  RocksDbLog() : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    const auto to = level >= rocksdb::InfoLogLevel::ERROR_LEVEL  ? spdlog::level::err
                    : level == rocksdb::InfoLogLevel::WARN_LEVEL ? spdlog::level::warn
                                                                 : spdlog::level::debug;
    if (!spdlog::should_log(to)) return;
    char line[2048];
    std::vsnprintf(line, sizeof line, format, ap);
    std::string text(line);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    spdlog::log(to, "rocksdb: {}", text);
  }
};

}  // namespace

std::shared_ptr<rocksdb::Logger> NewRocksDbLog() { return std::make_shared<RocksDbLog>(); }

}  // namespace holdfast
