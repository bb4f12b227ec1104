// Events in memory. An event is one Cap'n Proto message whose root is schema::Event
// (eventstore/event.capnp). Two owners exist:
//   Event        — a mutable message, for building an event and handing it to the store;
//   StoredEvent  — the immutable bytes of an event read back from the store or a peer,
//                  decoded with bounded reader options (untrusted input is never trusted).
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eventstore/event.capnp.h"
#include "eventstore/ids.h"
#include "eventstore/status.h"

namespace holdfast {

using EventType = schema::Event::Which;

class Event {
 public:
  Event();
  // A copy of any event reader (for example one decoded from bytes).
  static Event CopyOf(schema::Event::Reader reader);

  Event(Event&&) noexcept = default;
  Event& operator=(Event&&) noexcept = default;

  schema::Event::Builder builder() { return message_->getRoot<schema::Event>(); }
  schema::Event::Reader reader() const;
  // The flat, unpacked message bytes: what the store writes and `capnp decode` reads.
  kj::Array<capnp::word> Encode() const;

 private:
  struct Empty {};
  explicit Event(Empty);  // a message with no root yet
  std::unique_ptr<capnp::MallocMessageBuilder> message_;
};

class StoredEvent {
 public:
  // Decodes bytes with bounded traversal; Corruption if they are not a well-formed message.
  // Does not check the vocabulary: call ValidateEvent for that.
  static Result<StoredEvent> Decode(std::string_view bytes, uint64_t position = 0);

  StoredEvent(StoredEvent&&) noexcept = default;
  StoredEvent& operator=(StoredEvent&&) noexcept = default;

  schema::Event::Reader reader() const { return reader_->getRoot<schema::Event>(); }
  std::string_view bytes() const;
  // This node's log position (0 when the event did not come from the local log).
  uint64_t position() const { return position_; }

 private:
  StoredEvent() = default;
  kj::Array<capnp::word> words_;
  std::unique_ptr<capnp::FlatArrayMessageReader> reader_;
  uint64_t position_ = 0;
};

// Decodes one whole event message held in word-aligned `words` (as read from the log) and
// calls fn with its root, valid only during the call. Corruption (without a position) if
// the words are not one well-formed message.
Status DecodeEventWords(kj::ArrayPtr<const capnp::word> words,
                        const std::function<void(schema::Event::Reader)>& fn);

// Reader limits for bytes from disk or from peers: an event is small, so anything that
// needs more than 64 KiB words of traversal or 16 levels of nesting is refused.
capnp::ReaderOptions BoundedReaderOptions();

// The SPEC's name of an event type ("attendance.recorded"), from the schema's $Json.name.
std::string_view EventTypeName(EventType type);
// The reverse; false when the name is not in the vocabulary.
bool FindEventType(std::string_view name, EventType* type);
// Every type in the vocabulary, in schema order.
const std::vector<EventType>& AllEventTypes();

// The stream an event belongs to, for ordered per-stream reads and expected-version checks:
// "case/<id>" for every event that names a case (including alert.raised), "subject/<id>" for
// incident.reported and subject.erased, "session/<id>" for session.held, and "alert/<id>" for
// alert acknowledgements, resolutions, assignments and withdrawals, "void/<id>" for record.voided
// (the voided event's id).
std::string StreamOf(schema::Event::Reader event);

Uuid ToUuid(schema::Uuid::Reader id);
void SetUuid(schema::Uuid::Builder out, const Uuid& id);

}  // namespace holdfast
