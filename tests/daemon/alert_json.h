// An alert.raised event as one line of import JSON (`holdfast import --with-derived`), for
// tests that need alerts under ids they choose (two ids sharing a prefix, say).
#pragma once

#include <string>

#include "tests/daemon/harness.h"

namespace holdfast::test {

// Event `id` raising alert `alert` (the breach rule, high) on case `c`, as holdfastd's own
// derivation authors it.
inline std::string AlertRaisedJson(const std::string& id, const std::string& alert,
                                   const std::string& c) {
  return "{\"id\":\"" + id +
         "\",\"type\":\"alert.raised\",\"occurred_at\":\"2025-03-01T10:00:00Z\",\"author\":{"
         "\"user\":\"holdfastd\",\"role\":\"system\",\"agency\":\"holdfast\"},\"data\":{"
         "\"alert\":\"" +
         alert + "\",\"rule\":\"breach\",\"case\":\"" + c +
         "\",\"subject\":\"P-9\",\"severity\":\"high\",\"trigger\":\"" + TestUuid(0x7e, 1) +
         "\",\"reason\":\"breach reported\"}}\n";
}

}  // namespace holdfast::test
