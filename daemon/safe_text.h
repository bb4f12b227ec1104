// Text that came from a client, a peer or a file, made safe to keep and to show: a UTF-8
// check, and an escaping that turns control characters and stray bytes into visible text,
// so a value can neither drive a terminal (ESC sequences, BEL, C1 controls) nor break a
// JSON document (invalid UTF-8).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "eventstore/validate.h"

namespace holdfast {

// Utf8SequenceAt and FindInvalidUtf8 (eventstore/validate.h) are the one UTF-8 decoder.
bool IsValidUtf8(std::string_view text);

// Valid UTF-8 without control characters: no C0 (U+0000-U+001F, tab and line breaks
// included), no DEL, no C1 (U+0080-U+009F).
bool IsPrintableUtf8(std::string_view text);

// `text` with every control character and every byte that is not part of valid UTF-8
// written as a visible escape: \t, \n and \r; \xNN for the other C0 controls, DEL and stray
// bytes; \u0080 to \u009f for C1 controls. Printable UTF-8, backslashes included, is kept as
// it is.
std::string EscapeControls(std::string_view text);

// The columns `text` takes on a terminal: the C library's wcwidth of each code point (2 for
// East Asian wide characters such as CJK, 0 for combining marks, 1 for most others and for
// each stray byte).
size_t DisplayWidth(std::string_view text);

// A JSON string literal for `s`. Output for people and scripts (kReplace) turns bytes that
// are not UTF-8 into U+FFFD so the document stays valid; building an event from options
// (kKeep) passes them on, so the event parser refuses them naming the option instead of
// storing altered text.
enum class InvalidUtf8 { kReplace, kKeep };
std::string JsonString(const std::string& s, InvalidUtf8 invalid = InvalidUtf8::kReplace);

}  // namespace holdfast
