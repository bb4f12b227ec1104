// The JSON form of events (SPEC "Event vocabulary"), as eventstore/event.capnp's annotations
// define it. One JSON object per event; JSON Lines for files. What it accepts and refuses:
// docs/json.md.
#pragma once

#include <capnp/dynamic.h>

#include <optional>
#include <string>
#include <string_view>

#include "eventstore/event.h"
#include "eventstore/status.h"

namespace holdfast {

// Parses one JSON object into an event. Checks it against the schema before building it:
// malformed JSON, an unknown or missing "type", a missing required field, an unknown field,
// an unknown enum value (the error lists the allowed ones), a malformed UUID or RFC 3339
// time, an invalid string escape, a lone surrogate, an unescaped control character or
// invalid UTF-8 each give InvalidArgument naming the field ("data.outcome: ..."). `origin`, `seq`
// and `recorded_at` are kept when all three are present (an exported event); `position` is
// ignored (it is the exporting node's, not the event's).
Result<Event> EventFromJson(std::string_view json);

// One line of JSON, no trailing newline. With a position, adds "position": N.
std::string EventToJson(schema::Event::Reader event,
                        std::optional<uint64_t> position = std::nullopt);

// Any Cap'n Proto struct (an API response, daemon/http_server.h) as one line of JSON, by
// capnp's JSON codec: the events it holds as EventToJson writes them, other 64-bit integers
// as JSON strings (the codec's default: JavaScript's numbers cannot hold them), enums by name.
std::string StructToJson(capnp::DynamicStruct::Reader message);

}  // namespace holdfast
