#include "sync/filter.h"

#include <algorithm>

namespace holdfast {
namespace {

struct Named {
  const char* name;
  std::vector<std::string> prefixes;  // empty: every event
};

// The SPEC's named agreements.
const std::vector<Named>& NamedAgreements() {
  static const std::vector<Named> named = {
      {"police",
       {"case.opened", "case.closed", "case.risk_changed", "breach.", "incident.", "alert."}},
      {"provider",
       {"case.opened", "case.closed", "intervention.", "session.", "attendance.", "alert."}},
      {"probation", {}},
      {"partnership", {}},
  };
  return named;
}

// Whether `prefix` starts the name of some event type.
bool StartsSomeType(const std::string& prefix) {
  for (EventType type : AllEventTypes()) {
    if (EventTypeName(type).substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

}  // namespace

PeerFilter PeerFilter::All() {
  PeerFilter f;
  f.agreement_ = "all";
  f.all_ = true;
  return f;
}

PeerFilter PeerFilter::Nothing() { return PeerFilter(); }

std::string PeerFilter::Choices() {
  return "all, police, provider, probation, partnership, or event type prefixes separated by "
         "commas (such as alert.,breach.)";
}

Result<PeerFilter> PeerFilter::Parse(const std::string& text) {
  std::vector<std::string> items;
  std::string item;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ',') {
      if (!item.empty()) items.push_back(item);
      item.clear();
    } else if (text[i] != ' ' && text[i] != '\t') {
      item += text[i];
    }
  }
  if (items.empty()) {
    return Status::InvalidArgument("no sharing agreement: name what the peer may receive: " +
                                   Choices());
  }
  PeerFilter f;
  if (items.size() == 1) {
    if (items[0] == "all" || items[0] == "*") {
      f = All();
      f.agreement_ = items[0] == "*" ? "all" : items[0];
      return f;
    }
    for (const auto& named : NamedAgreements()) {
      if (items[0] != named.name) continue;
      f.agreement_ = named.name;
      f.all_ = named.prefixes.empty();
      f.prefixes_ = named.prefixes;
      return f;
    }
  }
  for (const auto& prefix : items) {
    const bool is_name = prefix == "all" || prefix == "*" ||
                         std::any_of(NamedAgreements().begin(), NamedAgreements().end(),
                                     [&](const Named& n) { return prefix == n.name; });
    if (is_name) {
      return Status::InvalidArgument("\"" + prefix +
                                     "\" is an agreement of its own: give it alone, or list "
                                     "event type prefixes");
    }
    if (!StartsSomeType(prefix)) {
      return Status::InvalidArgument("\"" + prefix +
                                     "\" is neither an agreement nor the start of an event type "
                                     "name: give " +
                                     Choices());
    }
    f.prefixes_.push_back(prefix);
    f.agreement_ += (f.agreement_.empty() ? "" : ",") + prefix;
  }
  return f;
}

PeerFilter PeerFilter::Stored(const std::string& text) {
  auto parsed = Parse(text);
  if (parsed.ok()) return *parsed;
  PeerFilter f;
  std::string item;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ',') {
      if (!item.empty()) {
        f.prefixes_.push_back(item);
        f.agreement_ += (f.agreement_.empty() ? "" : ",") + item;
      }
      item.clear();
    } else if (text[i] != ' ' && text[i] != '\t') {
      item += text[i];
    }
  }
  return f.prefixes_.empty() ? All() : f;
}

bool PeerFilter::Allows(std::string_view type) const {
  if (all_) return true;
  return std::any_of(prefixes_.begin(), prefixes_.end(),
                     [&](const std::string& p) { return type.substr(0, p.size()) == p; });
}

bool PeerFilter::Passes(schema::Event::Reader e, const HeldTypeFn& held_type) const {
  if (all_) return true;
  if (receives_nothing()) return false;
  switch (e.which()) {
    case EventType::SUBJECT_ERASED:
      return true;  // an erasure reaches every peer
    case EventType::RECORD_VOIDED: {
      // With the event it voids; a void of a void (ignored wherever it arrives) or of an
      // event not held here goes only to the peers that receive everything.
      if (!held_type) return false;
      const std::optional<EventType> voided = held_type(ToUuid(e.getRecordVoided().getEvent()));
      return voided && *voided != EventType::RECORD_VOIDED && Allows(EventTypeName(*voided));
    }
    default:
      return Allows(EventTypeName(e.which()));
  }
}

std::string PeerFilter::Canonical() const {
  if (all_) return "all";
  std::vector<std::string> sorted = prefixes_;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::string out;
  for (const auto& p : sorted) out += p + "\n";
  return out;
}

std::string PeerFilter::AlertNote(const std::string& peer) const {
  std::vector<std::string> missing;
  for (const char* type : {"alert.acknowledged", "alert.resolved", "alert.assigned"}) {
    if (!Allows(type)) missing.emplace_back(type);
  }
  if (missing.empty() || receives_nothing()) return "";
  std::string listed;
  for (size_t i = 0; i < missing.size(); ++i) {
    listed += (i == 0 ? "" : i + 1 == missing.size() ? " and " : ", ") + missing[i];
  }
  return "its agreement (" + agreement_ + ") does not send it " + listed +
         ": alerts acknowledged, resolved or assigned here do not show so on " + peer +
         "; if it derives or shows alerts, add alert. (holdfast peers add --id " + peer +
         " --send ...)";
}

}  // namespace holdfast
