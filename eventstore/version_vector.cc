#include "eventstore/version_vector.h"

namespace holdfast {

std::string SeqConflict::ToString() const {
  return "origin " + origin + " seq " + std::to_string(seq) + " names two events, " +
         FormatUuid(held) + " and " + FormatUuid(offered);
}

std::string_view OriginNode(std::string_view origin) {
  constexpr size_t kSuffix = 13;  // "~" and 12 hex digits
  if (origin.size() <= kSuffix || origin[origin.size() - kSuffix] != '~') return origin;
  for (char c : origin.substr(origin.size() - kSuffix + 1)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return origin;
  }
  return origin.substr(0, origin.size() - kSuffix);
}

}  // namespace holdfast
