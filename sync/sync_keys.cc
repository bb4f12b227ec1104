#include "sync/sync_keys.h"

#include <sstream>

#include "eventstore/keys.h"

namespace holdfast {

std::string CheckpointKey(std::string_view peer) {
  return std::string(kCheckpointPrefix) + std::string(peer);
}

std::string QuarantineKey(std::string_view peer) {
  return std::string(kQuarantinePrefix) + std::string(peer);
}

std::string ServedKey(std::string_view peer) {
  return std::string(kServedPrefix) + std::string(peer);
}

std::string EncodeCheckpoint(const Checkpoint& c) {
  return keys::Fixed64BE(c.through) + keys::Fixed64BE(c.basis);
}

Checkpoint DecodeCheckpoint(std::string_view value) {
  Checkpoint c;
  if (value.size() != 8 && value.size() != 16) return c;
  c.through = keys::DecodeFixed64BE(value.data());
  if (value.size() == 16) c.basis = keys::DecodeFixed64BE(value.data() + 8);
  return c;
}

std::string EncodeQuarantine(const Quarantine& quarantine) {
  std::string out;
  for (const auto& [origin, c] : quarantine) {
    out += origin + ' ' + std::to_string(c.seq) + ' ' + FormatUuid(c.held) + ' ' +
           FormatUuid(c.offered) + '\n';
  }
  return out;
}

Quarantine DecodeQuarantine(std::string_view text) {
  Quarantine out;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string origin, seq, held, offered;
    if (!(fields >> origin >> seq >> held >> offered)) continue;
    auto h = ParseUuid(held), o = ParseUuid(offered);
    if (!h || !o || seq.empty() || seq.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    out[origin] = SeqConflict{origin, std::stoull(seq), *h, *o};
  }
  return out;
}

namespace {

bool ParseNumber(const std::string& text, uint64_t* out) {
  if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  try {
    *out = std::stoull(text);
  } catch (...) {
    return false;
  }
  return true;
}

}  // namespace

std::string EncodeServed(const Served& s) {
  std::string out = std::to_string(s.after) + ' ' + std::to_string(s.basis) + '\n';
  for (const auto& [origin, seq] : s.held) out += origin + ' ' + std::to_string(seq) + '\n';
  return out;
}

Served DecodeServed(std::string_view value) {
  std::istringstream lines{std::string(value)};
  std::string line, a, b;
  Served s;
  if (!std::getline(lines, line)) return Served();
  std::istringstream first(line);
  if (!(first >> a >> b) || !ParseNumber(a, &s.after) || !ParseNumber(b, &s.basis)) {
    return Served();
  }
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string origin, seq;
    uint64_t n = 0;
    if (fields >> origin >> seq && ParseNumber(seq, &n)) s.held[origin] = n;
  }
  return s;
}

}  // namespace holdfast
