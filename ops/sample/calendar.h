// Calendar arithmetic for the sample county, in whole seconds since the epoch, UTC. A day is
// exactly 86,400 s, as in the SPEC; there are no time zones or daylight saving here.
#pragma once

#include <cstdint>
#include <string>

namespace holdfast::sample {

constexpr int64_t kMinute = 60;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kWeek = 7 * kDay;

struct CivilDate {
  int64_t year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};

CivilDate CivilDateOf(int64_t unix_seconds);
// 0 = Monday ... 6 = Sunday.
int WeekdayOf(int64_t unix_seconds);
// Midnight at the start of t's day.
int64_t DayStart(int64_t unix_seconds);
// Midnight at the start of the Monday on or before t.
int64_t WeekStart(int64_t unix_seconds);
// Whether t falls in the providers' winter closure (24 December to 1 January), when no
// sessions or appointments run.
bool InWinterClosure(int64_t unix_seconds);
// "2025-03-04", for session ids.
std::string FormatDate(int64_t unix_seconds);

}  // namespace holdfast::sample
