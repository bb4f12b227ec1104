// Times as people type and read them: wall-clock times in the node's time zone
// ([node] timezone, default Europe/London), "2026-12-06 18:00". What happens on the days
// the clocks change is docs/local-times.md. The zones' rules come from the C library's
// zoneinfo (Debian's tzdata).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "eventstore/status.h"

namespace holdfast::cli {

// What a zone's clocks said at one instant.
struct ClockReading {
  int64_t utc_offset = 0;    // seconds east of UTC (3600 for BST)
  std::string abbreviation;  // "GMT", "BST"; some zones use a number ("+03")
};

// One IANA time zone ("Europe/London"), read from the C library's zoneinfo.
//
// Note: it reads the zone through the process's TZ variable (the C library offers no other
// way), so it is for a single-threaded program, the CLI. holdfastd only checks a zone's
// name (CheckTimeZone, daemon/config.h) and must never use this.
class LocalZone {
 public:
  // The zone `name`; InvalidArgument, saying so, when this machine's zoneinfo lacks it.
  static Result<LocalZone> Load(const std::string& name);

  const std::string& name() const { return name_; }
  // The clocks' offset and abbreviation at `unix_seconds`.
  ClockReading At(int64_t unix_seconds) const;

 private:
  LocalZone(std::string name, std::string file) : name_(std::move(name)), file_(std::move(file)) {}
  std::string name_;
  std::string file_;  // its zoneinfo file
};

// A time as a person types it, as unix nanoseconds:
//  - RFC 3339, as always: "2026-12-06T18:00:00Z", "2026-12-06T18:00:00+01:00";
//  - a wall-clock time in `zone`: "2026-12-06 18:00", "2026-12-06 18:00:30", or a date,
//    "2026-12-06", for its midnight; optionally followed by the zone's abbreviation then
//    ("2026-10-25 01:30 BST"), "UTC", or an offset ("+01:00"), which settles an hour the
//    clocks show twice.
// Refused, with a message saying why and what to type instead: a wall-clock time the clocks
// skip (01:30 on the last Sunday of March in London), one they show twice (01:30 on the last
// Sunday of October) given without an abbreviation, an abbreviation the zone did not use at
// that time, and anything else. The message does not name the option; the caller does.
Result<int64_t> ParseLocalTime(std::string_view text, const LocalZone& zone);

// Unix nanoseconds as the wall-clock time in `zone`, to the second, with the abbreviation in
// force then: "2026-12-06 18:00:00 GMT". ParseLocalTime reads it back (to the second).
std::string FormatLocalTime(int64_t unix_nanos, const LocalZone& zone);

}  // namespace holdfast::cli
