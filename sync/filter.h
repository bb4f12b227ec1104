// PeerFilter: the data-sharing agreement with one peer, what this node may send it (SPEC
// "Sync between nodes"). Nothing is shared by default: an agreement is given as `all`, as
// one of the SPEC's named agreements, or as event type prefixes. Plain code, no disk.
//
//   all (or "*")   every event
//   police         case.opened, case.closed, case.risk_changed, breach., incident., alert.
//   provider       case.opened, case.closed, intervention., session., attendance., alert.
//   probation      every event
//   partnership    every event
//   PREFIX,...     the types that start with one of them ("alert.", "case.opened")
//
// Whatever the agreement, a subject.erased goes to every peer, and a record.voided goes with
// the event it voids: it passes exactly when that event does (judged by the type of the event
// this node holds under that id; a void of an event not held here goes only to peers that
// receive every event).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eventstore/event.h"
#include "eventstore/status.h"

namespace holdfast {

// The type of the event this node holds under `id`, or nullopt when it holds none.
using HeldTypeFn = std::function<std::optional<EventType>(const Uuid& id)>;

class PeerFilter {
 public:
  // Every event (tests and the old "*").
  static PeerFilter All();
  // No event at all, not even an erasure: what a removed peer gets.
  static PeerFilter Nothing();
  // Reads an agreement as `peers add --send` and a `peer` line give it. InvalidArgument,
  // naming the choices, when it is empty or names neither an agreement nor a type prefix.
  static Result<PeerFilter> Parse(const std::string& text);
  // An agreement stored before agreements were required, read as what it sent then: none
  // (or "*") is `all`, and prefixes that start no event type are kept (they match nothing).
  static PeerFilter Stored(const std::string& text);
  // The choices, for messages: "all, police, provider, probation, partnership, or event type
  // prefixes separated by commas (alert.,breach.)".
  static std::string Choices();

  // Whether an event of this type passes, by its type alone (a record.voided is judged by
  // the event it voids: see Passes).
  bool Allows(std::string_view type) const;
  // Whether `event` passes. `held_type` finds the event a record.voided voids (may be null:
  // then every void counts as voiding an event not held here).
  bool Passes(schema::Event::Reader event, const HeldTypeFn& held_type) const;

  // The agreement as it was given ("police", "all", "alert.,breach."), to show and store.
  const std::string& agreement() const { return agreement_; }
  bool receives_all() const { return all_; }
  bool receives_nothing() const { return !all_ && prefixes_.empty(); }
  // What it lets through, for the link's basis: "all", "" (nothing), or the prefixes sorted
  // and once each, one a line. Two agreements that let the same types through (`police` and
  // its prefixes written out) give the same text.
  std::string Canonical() const;
  // When it lets neither alert acknowledgements nor resolutions through: the sentence that
  // says so (for the log and `sync status`); empty otherwise.
  std::string AlertNote(const std::string& peer) const;

 private:
  std::string agreement_;
  bool all_ = false;
  std::vector<std::string> prefixes_;  // with all_ false; empty: nothing
};

}  // namespace holdfast
