// Projector::FindAlertsByPrefix: an alert id's unique prefix (SPEC "Alerts reach people":
// every verb that takes an alert id takes a unique prefix of at least 8 characters). Alert
// rows are keyed alert/<16-byte id> (row_keys.h), so the prefix's whole bytes are a key
// prefix: one short range scan, whatever the node holds; an odd last hex digit is checked
// on each row the range gives (at most 16 times the rows it matches).
#include <cctype>

#include "projections/projector.h"
#include "projections/records.h"
#include "projections/row_keys.h"

namespace holdfast {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

Result<std::vector<AlertState>> Projector::FindAlertsByPrefix(std::string_view hex,
                                                              size_t limit) const {
  if (hex.size() < 2 || hex.size() > 32) {
    return Status::InvalidArgument("an alert id prefix holds 2 to 32 hex digits");
  }
  std::string prefix(rows::kAlertPrefix);
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    const int hi = HexValue(hex[i]), lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return Status::InvalidArgument("an alert id prefix is hex digits");
    prefix.push_back(static_cast<char>(hi << 4 | lo));
  }
  const int odd = hex.size() % 2 == 1 ? HexValue(hex.back()) : 0;
  if (odd < 0) return Status::InvalidArgument("an alert id prefix is hex digits");
  const size_t whole = prefix.size();
  std::vector<AlertState> out;
  Status decoded;
  HOLDFAST_RETURN_IF_ERROR(table_.Scan(prefix, [&](std::string_view key, std::string_view v) {
    if (key.size() != rows::kAlertPrefix.size() + 16) return true;  // not an alert row
    if (hex.size() % 2 == 1 && (static_cast<unsigned char>(key[whole]) >> 4) != odd) return true;
    AlertState a;
    if (!DecodeAlert(v, &a)) {
      decoded = Status::Corruption("undecodable alert record");
      return false;
    }
    out.push_back(std::move(a));
    return out.size() < limit;
  }));
  HOLDFAST_RETURN_IF_ERROR(decoded);
  return out;
}

}  // namespace holdfast
