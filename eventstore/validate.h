// Vocabulary checks, driven by eventstore/event.capnp: which fields are required (every
// field not marked $optional), which Text fields are identifiers (every one not marked
// $freeText) and which enum values exist.
#pragma once

#include <capnp/schema.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "eventstore/event.capnp.h"
#include "eventstore/status.h"

namespace holdfast {

// Checks a decoded event: a known type, a non-nil id, occurred_at and author set, every
// required body field present, every enum value known, every text UTF-8 without U+0000,
// identifiers well formed, and a complete provenance when one is present. InvalidArgument names the
// offending field with its JSON path ("data.outcome: ...").
Status ValidateEvent(schema::Event::Reader event);

// Identifiers: 1 to 128 bytes, none of them white space or control characters.
bool IsIdentifier(std::string_view text);
constexpr size_t kMaxFreeTextBytes = 8192;

// The length (1 to 4) of the well-formed UTF-8 sequence that starts at text[at], or 0 when
// the bytes there are not one: a stray continuation byte, an overlong form, a surrogate, a
// sequence cut short, or a code point above U+10FFFF. at must be < text.size().
size_t Utf8SequenceAt(std::string_view text, size_t at);

// The offset of the first byte of `text` that does not begin a well-formed UTF-8 sequence
// (Unicode's table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF), or npos
// when all of it is UTF-8. Every Text field of an event must be UTF-8 without U+0000.
size_t FindInvalidUtf8(std::string_view text);

// Annotation ids, as declared in eventstore/event.capnp and capnp/compat/json.capnp
// (Cap'n Proto generates no C++ names for annotations).
constexpr uint64_t kOptionalAnnotationId = 0x8073525d839bc31cull;
constexpr uint64_t kFreeTextAnnotationId = 0xce511ddf7aa5b3d2ull;
constexpr uint64_t kJsonNameAnnotationId = 0xfa5b1fd61c2e7c3dull;

// Schema facts shared by the validator and the JSON reader.
std::string JsonNameOf(capnp::StructSchema::Field field);
std::string JsonNameOf(capnp::EnumSchema::Enumerant enumerant);
bool IsOptionalField(capnp::StructSchema::Field field);
bool IsFreeTextField(capnp::StructSchema::Field field);
// "attended, late, left_early, ..." for error messages.
std::string AllowedValues(capnp::EnumSchema schema);

}  // namespace holdfast
