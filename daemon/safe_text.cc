#include "daemon/safe_text.h"

#include <locale.h>
#include <wchar.h>

#include <cstdio>

#include "eventstore/validate.h"

namespace holdfast {
namespace {

// The code point of the sequence Utf8SequenceAt found (length n) at text[at].
char32_t CodePointAt(std::string_view text, size_t at, size_t n) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[at + k]); };
  switch (n) {
    case 1:
      return byte(0);
    case 2:
      return (char32_t{byte(0)} & 0x1f) << 6 | (byte(1) & 0x3f);
    case 3:
      return (char32_t{byte(0)} & 0x0f) << 12 | (char32_t{byte(1)} & 0x3f) << 6 | (byte(2) & 0x3f);
    default:
      return (char32_t{byte(0)} & 0x07) << 18 | (char32_t{byte(1)} & 0x3f) << 12 |
             (char32_t{byte(2)} & 0x3f) << 6 | (byte(3) & 0x3f);
  }
}

bool IsControl(char32_t c) { return c < 0x20 || (c >= 0x7f && c <= 0x9f); }

void AppendHexEscape(std::string* out, const char* form, unsigned value) {
  char buf[8];
  std::snprintf(buf, sizeof buf, form, value);
  *out += buf;
}

}  // namespace

bool IsValidUtf8(std::string_view text) { return FindInvalidUtf8(text) == std::string_view::npos; }

bool IsPrintableUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8SequenceAt(text, i);
    if (n == 0 || IsControl(CodePointAt(text, i, n))) return false;
    i += n;
  }
  return true;
}

std::string EscapeControls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8SequenceAt(text, i);
    if (n == 0) {
      AppendHexEscape(&out, "\\x%02x", static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    const char32_t c = CodePointAt(text, i, n);
    if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x80 && IsControl(c)) {
      AppendHexEscape(&out, "\\x%02x", static_cast<unsigned>(c));
    } else if (IsControl(c)) {
      AppendHexEscape(&out, "\\u%04x", static_cast<unsigned>(c));
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

size_t DisplayWidth(std::string_view text) {
  // wcwidth answers by LC_CTYPE, so it is asked under C.UTF-8 set for this thread alone
  // (uselocale): the process's locale, and every other thread's, stay as they are.
  static const locale_t utf8 = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  const locale_t previous = utf8 != static_cast<locale_t>(0) ? ::uselocale(utf8) : nullptr;
  size_t width = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8SequenceAt(text, i);
    if (n == 0 || utf8 == static_cast<locale_t>(0)) {
      ++width;  // a stray byte (shown escaped), or no C.UTF-8 to ask: one column
    } else {
      // 2 for East Asian wide characters, 0 for combining marks; a code point wcwidth
      // calls unprintable (unassigned) takes one.
      const int columns = ::wcwidth(static_cast<wchar_t>(CodePointAt(text, i, n)));
      width += columns < 0 ? 1 : static_cast<size_t>(columns);
    }
    i += n == 0 ? 1 : n;
  }
  if (previous != nullptr) ::uselocale(previous);
  return width;
}

std::string JsonString(const std::string& s, InvalidUtf8 invalid) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80 && invalid == InvalidUtf8::kReplace) {
      // A JSON document is UTF-8: a byte that is not part of a valid sequence becomes U+FFFD.
      const size_t n = Utf8SequenceAt(s, i);
      if (n == 0) {
        out += "\\ufffd";
      } else {
        out.append(s, i, n);
        i += n - 1;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);  // ASCII, or a byte passed on as given (kKeep)
        }
    }
  }
  return out + "\"";
}

}  // namespace holdfast
