#include "ops/sample/calendar.h"

#include <cstdio>

namespace holdfast::sample {
namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
CivilDate CivilDateOf(int64_t unix_seconds) {
  const int64_t z = FloorDiv(unix_seconds, kDay) + 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  CivilDate date;
  date.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  date.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  date.year = yoe + era * 400 + (date.month <= 2 ? 1 : 0);
  return date;
}

int WeekdayOf(int64_t unix_seconds) {
  // 1970-01-01 was a Thursday (3, counting Monday as 0).
  return static_cast<int>((FloorDiv(unix_seconds, kDay) % 7 + 7 + 3) % 7);
}

int64_t DayStart(int64_t unix_seconds) { return FloorDiv(unix_seconds, kDay) * kDay; }

int64_t WeekStart(int64_t unix_seconds) {
  return DayStart(unix_seconds) - WeekdayOf(unix_seconds) * kDay;
}

bool InWinterClosure(int64_t unix_seconds) {
  CivilDate d = CivilDateOf(unix_seconds);
  return (d.month == 12 && d.day >= 24) || (d.month == 1 && d.day == 1);
}

std::string FormatDate(int64_t unix_seconds) {
  CivilDate d = CivilDateOf(unix_seconds);
  char out[48];
  int n = std::snprintf(out, sizeof out, "%04lld-%02d-%02d", static_cast<long long>(d.year),
                        d.month, d.day);
  return std::string(out, static_cast<size_t>(n));
}

}  // namespace holdfast::sample
