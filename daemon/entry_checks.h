// The checks at entry (SPEC "Keeping the record right"): what a case-work append is refused
// for on this node, as one plain function of the events offered and what the node holds of
// the cases, sessions and subjects they name. The daemon reads that (without voided events:
// a voided event counts as absent for every check) and asks here before it appends; every
// transport that appends through the request table gets the same answer. Import and sync do
// not ask: events from elsewhere are kept whatever order they come in.
//
// A request's events are checked in order, each against what is held and the events before
// it in the request (a register's session.held makes its session known to its attendance).
// Every event is checked, so a refused register names each bad row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "eventstore/event.h"
#include "eventstore/event_store.h"
#include "projections/facts.h"
#include "projections/projector.h"

namespace holdfast {

// What the node holds that the checks read. Voided events are not in it.
struct HeldRecord {
  // Each case an offered event names (or a void's target names): its events.
  std::map<std::string, std::vector<Fact>> cases;
  // The sessions attendance names that have a session.held here.
  std::set<std::string> sessions;
  // The subjects incidents name that some case here names.
  std::set<std::string> subjects;
  // The event each void names, when the node holds it, and whether it is voided already.
  struct VoidTarget {
    Fact event;
    std::string agency;  // the agency of its author
    bool voided = false;
  };
  std::map<Uuid, VoidTarget> void_targets;
};

// Who appends, and the rules of this append.
struct EntryRules {
  schema::Role role = schema::Role::PROBATION;
  std::string agency;  // the node's (a facilitator appends only for its agency's cases)
  int64_t now = 0;     // unix nanoseconds
  int64_t max_future_nanos = 300LL * 1000000000LL;  // [node] max_future_seconds
  bool unlisted_session = false;                    // attendance record --unlisted-session
};

struct EntryProblem {
  size_t index = 0;  // the offered event it is about
  Status status;     // the one line that says what is wrong and what to do
};

// Accepted, but the caller should hear it (an incident for a subject no case names).
struct EntryWarning {
  size_t index = 0;
  std::string text;
};

struct EntryVerdict {
  std::vector<EntryProblem> refused;  // empty: the append may go ahead
  std::vector<EntryWarning> warnings;
  // Voids of events already voided: accepted, and nothing is written for them.
  std::set<size_t> already_voided;
  bool ok() const { return refused.empty(); }
};

// The checks on `offered` (the request's events, in order).
EntryVerdict CheckEntry(const std::vector<Fact>& offered, const HeldRecord& held,
                        const EntryRules& rules);

// The case the event's stream names ("" when none: sessions, incidents, voids, alerts).
std::string CaseNamedBy(const Fact& f);

// The I/O half: reads from the store what the checks need of `offered`, without the
// events the projector holds voided (call Projector::CatchUp first).
Result<HeldRecord> ReadHeldRecord(const EventStore& store, const Projector& projector,
                                  const std::vector<Fact>& offered);

}  // namespace holdfast
