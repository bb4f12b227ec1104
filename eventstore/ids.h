// Identifiers and instants in their text forms: UUIDs, RFC 3339 times, HLC values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace holdfast {

struct Uuid {
  uint64_t hi = 0;
  uint64_t lo = 0;
  friend bool operator==(const Uuid& a, const Uuid& b) { return a.hi == b.hi && a.lo == b.lo; }
  friend bool operator!=(const Uuid& a, const Uuid& b) { return !(a == b); }
  friend bool operator<(const Uuid& a, const Uuid& b) {
    return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo;
  }
  bool IsNil() const { return hi == 0 && lo == 0; }
};

// "7f0c2a4e-5d1b-4c8e-9a51-2f7b9d0e6c13" (either case) -> Uuid; nullopt if malformed.
std::optional<Uuid> ParseUuid(std::string_view text);
// Lower-case canonical 8-4-4-4-12 form.
std::string FormatUuid(const Uuid& id);
// A random (version 4) UUID from the OS's CSPRNG.
Uuid RandomUuid();
// A name-based (version 5, SHA-1) UUID (RFC 9562): the same namespace and name always give
// the same id, on every node. Used for derived ids such as alert ids.
Uuid NameUuid(const Uuid& name_space, std::string_view name);
// A name made of parts, for NameUuid, that no other list of parts gives: in each part '%'
// becomes "%25" and '/' becomes "%2F", and the parts are joined with '/'. So ("C/I", "x")
// and ("C", "I/x") give "C%2FI/x" and "C/I%2Fx". Parts with neither character are joined
// as they are: names (and so ids) made before the escaping came stay the same.
std::string JoinNameParts(const std::vector<std::string_view>& parts);

// RFC 3339 -> nanoseconds since the epoch. Accepts "Z"/"z" or a numeric offset and up to
// nine fractional digits; nullopt if malformed or out of range (years 1970..2261).
std::optional<int64_t> ParseRfc3339(std::string_view text);
// Nanoseconds -> "2025-03-04T18:00:00Z", with the fraction only when it is non-zero.
std::string FormatRfc3339(int64_t unix_nanos);
// "YYYY-MM-DD" (midnight UTC) or RFC 3339 -> nanoseconds.
std::optional<int64_t> ParseDateOrTime(std::string_view text);

// Hybrid logical clock values: physical ms in the high 48 bits, a counter in the low 16.
inline uint64_t HlcPack(uint64_t physical_ms, uint32_t logical) {
  return (physical_ms << 16) | (logical & 0xffff);
}
inline uint64_t HlcPhysicalMs(uint64_t hlc) { return hlc >> 16; }
inline uint32_t HlcLogical(uint64_t hlc) { return static_cast<uint32_t>(hlc & 0xffff); }
// "2025-03-04T18:00:00.123Z/4"
std::string FormatHlc(uint64_t hlc);
std::optional<uint64_t> ParseHlc(std::string_view text);

}  // namespace holdfast
