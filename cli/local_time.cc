#include "cli/local_time.h"

#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>
#include <vector>

#include "daemon/config.h"
#include "eventstore/ids.h"

namespace holdfast::cli {
namespace {

constexpr int64_t kNanosPerSecond = 1000000000;
constexpr int64_t kDay = 86400;

// Points the C library at `file` (TZ=":/usr/share/zoneinfo/Europe/London"), unless it is
// there already. The C library reads TZ again only at tzset().
void UseZoneFile(const std::string& file) {
  static std::string in_use;
  if (in_use == file) return;
  ::setenv("TZ", (":" + file).c_str(), 1);
  ::tzset();
  in_use = file;
}

// A wall-clock time as typed, before any zone is applied.
struct WallClock {
  int64_t as_if_utc = 0;  // its fields read as UTC, in unix seconds
  std::string text;       // "2026-10-25 01:30", as typed, without what followed
  std::string suffix;     // "", "BST", "UTC", "+01:00"
};

bool Digits(std::string_view s, size_t* pos, size_t n, int* out) {
  if (*pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool Skip(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

// "2026-12-06", "2026-12-06 18:00", "2026-12-06T18:00:30", each optionally followed by a
// zone abbreviation or an offset; nullopt when it is none of these or no such day or time.
std::optional<WallClock> ReadWallClock(std::string_view s) {
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(s, &pos, 4, &year) || !Skip(s, &pos, '-') || !Digits(s, &pos, 2, &month) ||
      !Skip(s, &pos, '-') || !Digits(s, &pos, 2, &day)) {
    return std::nullopt;
  }
  if (pos < s.size()) {
    if (s[pos] != ' ' && s[pos] != 'T') return std::nullopt;
    ++pos;
    if (!Digits(s, &pos, 2, &hour) || !Skip(s, &pos, ':') || !Digits(s, &pos, 2, &minute)) {
      return std::nullopt;
    }
    if (Skip(s, &pos, ':') && !Digits(s, &pos, 2, &second)) return std::nullopt;
  }
  WallClock wall;
  wall.text = std::string(s.substr(0, pos));
  while (pos < s.size() && s[pos] == ' ') ++pos;
  wall.suffix = std::string(s.substr(pos));
  if (!wall.suffix.empty() && wall.text.size() == 10) return std::nullopt;  // "2026-12-06 BST"
  if (year < 1970 || year > 2261 || month < 1 || month > 12 || day < 1 || hour > 23 ||
      minute > 59 || second > 59) {
    return std::nullopt;
  }
  struct tm fields {};
  fields.tm_year = year - 1900;
  fields.tm_mon = month - 1;
  fields.tm_mday = day;
  fields.tm_hour = hour;
  fields.tm_min = minute;
  fields.tm_sec = second;
  const time_t t = ::timegm(&fields);
  struct tm back {};
  if (t == static_cast<time_t>(-1) || ::gmtime_r(&t, &back) == nullptr || back.tm_mday != day) {
    return std::nullopt;  // 31 April, 29 February 2026
  }
  wall.as_if_utc = t;
  return wall;
}

// "UTC", "Z", "+01:00", "+0100", "+01", "-05:30" as seconds east of UTC.
std::optional<int64_t> ReadOffset(const std::string& suffix) {
  if (suffix == "Z" || suffix == "z" || suffix == "UTC") return 0;
  if (suffix.size() < 3 || (suffix[0] != '+' && suffix[0] != '-')) return std::nullopt;
  size_t pos = 1;
  int hours = 0, minutes = 0;
  if (!Digits(suffix, &pos, 2, &hours)) return std::nullopt;
  if (pos < suffix.size()) {
    Skip(suffix, &pos, ':');
    if (!Digits(suffix, &pos, 2, &minutes) || pos != suffix.size()) return std::nullopt;
  }
  if (hours > 23 || minutes > 59) return std::nullopt;
  return (suffix[0] == '+' ? 1 : -1) * (hours * 3600 + minutes * 60);
}

// The instants whose wall-clock time in `zone` is `wall`, earliest first: one, none (the
// clocks skipped it) or two (the clocks showed it twice).
std::vector<int64_t> InstantsOf(const WallClock& wall, const LocalZone& zone) {
  // Every offset in force within two days of it; a wall-clock time is never further than a
  // day from the instant it names.
  std::vector<int64_t> offsets;
  for (int64_t days = -2; days <= 2; ++days) {
    const int64_t offset = zone.At(wall.as_if_utc + days * kDay).utc_offset;
    if (std::find(offsets.begin(), offsets.end(), offset) == offsets.end()) {
      offsets.push_back(offset);
    }
  }
  std::vector<int64_t> instants;
  for (int64_t offset : offsets) {
    const int64_t t = wall.as_if_utc - offset;
    if (zone.At(t).utc_offset == offset) instants.push_back(t);
  }
  std::sort(instants.begin(), instants.end());
  return instants;
}

// The first second at or after `from` (and before `to`) whose offset is not `from`'s: a
// change of the clocks.
int64_t NextChange(const LocalZone& zone, int64_t from, int64_t to) {
  const int64_t before = zone.At(from).utc_offset;
  while (to - from > 1) {
    const int64_t mid = from + (to - from) / 2;
    (zone.At(mid).utc_offset == before ? from : to) = mid;
  }
  return to;
}

std::string Quoted(const std::string& text) { return "\"" + text + "\""; }

// "from 01:00 GMT to 02:00 BST": the clocks' change at `change` (the first second of the new
// offset), as the clocks read just before and at it.
std::string ClockChange(int64_t change, const LocalZone& zone) {
  const ClockReading before = zone.At(change - 1), after = zone.At(change);
  auto face = [](int64_t wall) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", static_cast<long long>(wall % kDay / 3600),
                  static_cast<long long>(wall % 3600 / 60));
    return std::string(buf);
  };
  return "from " + face(change + before.utc_offset) + " " + before.abbreviation + " to " +
         face(change + after.utc_offset) + " " + after.abbreviation;
}

// Why `wall` names no instant (the clocks skipped it), and what to type instead.
Status Skipped(const WallClock& wall, const LocalZone& zone) {
  const int64_t change = NextChange(zone, wall.as_if_utc - kDay, wall.as_if_utc + kDay);
  // The instant the clocks would have shown it at had they not changed.
  const int64_t meant = wall.as_if_utc - zone.At(change - 1).utc_offset;
  return Status::InvalidArgument(
      Quoted(wall.text) + " is not a time in " + zone.name() + ": the clocks went " +
      ClockChange(change, zone) + "; give the time the clocks showed (such as " +
      Quoted(FormatLocalTime(meant * kNanosPerSecond, zone).substr(0, wall.text.size())) +
      ") or a UTC time (" + Quoted(FormatRfc3339(meant * kNanosPerSecond)) + ")");
}

// How to say which of two instants with one wall-clock time is meant: by the zone's
// abbreviations when they differ, else by the offsets.
std::string Which(const WallClock& wall, int64_t instant, bool by_abbreviation,
                  const LocalZone& zone) {
  const ClockReading r = zone.At(instant);
  if (by_abbreviation) return Quoted(wall.text + " " + r.abbreviation);
  char offset[48];
  const int64_t a = r.utc_offset < 0 ? -r.utc_offset : r.utc_offset;
  std::snprintf(offset, sizeof offset, "%c%02lld:%02lld", r.utc_offset < 0 ? '-' : '+',
                static_cast<long long>(a / 3600), static_cast<long long>(a / 60 % 60));
  return Quoted(wall.text + " " + offset);
}

// Why `wall` is not enough (the clocks showed it twice), and what to type instead.
Status Repeated(const WallClock& wall, const std::vector<int64_t>& instants,
                const LocalZone& zone) {
  const int64_t change = NextChange(zone, instants[0], instants[1] + 1);
  const bool by_abbreviation =
      zone.At(instants[0]).abbreviation != zone.At(instants[1]).abbreviation;
  return Status::InvalidArgument(Quoted(wall.text) + " happened twice in " + zone.name() +
                                 ": the clocks went back " + ClockChange(change, zone) +
                                 "; say which: " + Which(wall, instants[0], by_abbreviation, zone) +
                                 " (the first) or " +
                                 Which(wall, instants[1], by_abbreviation, zone) + " (the second)");
}

bool SameLetters(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

// ParseLocalTime but for the check that the instant is not before 1970.
Result<int64_t> ParseAnyTime(std::string_view text, const LocalZone& zone) {
  if (auto utc = ParseRfc3339(text)) return *utc;
  const auto wall = ReadWallClock(text);
  if (!wall) {
    return Status::InvalidArgument(
        Quoted(std::string(text)) + " is not a time: give a local time in " + zone.name() +
        " (\"2026-12-06 18:00\", or a date, \"2026-12-06\") or an RFC 3339 UTC time "
        "(\"2026-12-06T18:00:00Z\")");
  }
  if (auto offset = ReadOffset(wall->suffix)) {
    return (wall->as_if_utc - *offset) * kNanosPerSecond;
  }
  const std::vector<int64_t> instants = InstantsOf(*wall, zone);
  if (wall->text.size() == 10) {
    // A date means the start of that day: its first midnight, or, where the clocks skip
    // midnight, the moment they jump.
    if (!instants.empty()) return instants[0] * kNanosPerSecond;
    return NextChange(zone, wall->as_if_utc - kDay, wall->as_if_utc + kDay) * kNanosPerSecond;
  }
  if (instants.empty()) return Skipped(*wall, zone);
  if (wall->suffix.empty()) {
    if (instants.size() > 1) return Repeated(*wall, instants, zone);
    return instants[0] * kNanosPerSecond;
  }
  std::string used;
  for (int64_t t : instants) {
    const std::string abbreviation = zone.At(t).abbreviation;
    if (SameLetters(abbreviation, wall->suffix)) return t * kNanosPerSecond;
    used += (used.empty() ? "" : " or ") + abbreviation;
  }
  return Status::InvalidArgument(Quoted(wall->suffix) + " is not what the clocks in " +
                                 zone.name() + " showed at " + wall->text + " (" + used +
                                 "); leave it out, or give an offset such as +01:00");
}

}  // namespace

Result<LocalZone> LocalZone::Load(const std::string& name) {
  auto file = TimeZoneFile(name);
  if (!file.ok()) return file.status();
  return LocalZone(name, std::move(file).value());
}

ClockReading LocalZone::At(int64_t unix_seconds) const {
  UseZoneFile(file_);
  const time_t t = static_cast<time_t>(unix_seconds);
  struct tm local {};
  if (::localtime_r(&t, &local) == nullptr) return {};
  return {local.tm_gmtoff, local.tm_zone != nullptr ? local.tm_zone : ""};
}

Result<int64_t> ParseLocalTime(std::string_view text, const LocalZone& zone) {
  auto t = ParseAnyTime(text, zone);
  if (t.ok() && *t < 0) {
    return Status::InvalidArgument(Quoted(std::string(text)) + " is before 1970");
  }
  return t;
}

std::string FormatLocalTime(int64_t unix_nanos, const LocalZone& zone) {
  int64_t seconds = unix_nanos / kNanosPerSecond;
  if (unix_nanos % kNanosPerSecond < 0) --seconds;
  const ClockReading reading = zone.At(seconds);
  const time_t wall = static_cast<time_t>(seconds + reading.utc_offset);
  struct tm f {};
  ::gmtime_r(&wall, &f);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", f.tm_year + 1900, f.tm_mon + 1,
                f.tm_mday, f.tm_hour, f.tm_min, f.tm_sec);
  return std::string(buf) + (reading.abbreviation.empty() ? "" : " " + reading.abbreviation);
}

}  // namespace holdfast::cli
