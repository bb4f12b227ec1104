// The text guards in front of the audit log and the CLI's tables, on their own: what counts
// as UTF-8, and what gets escaped.
#include "daemon/safe_text.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace holdfast {
namespace {

TEST_CASE("IsValidUtf8 takes well-formed UTF-8 and refuses every malformed form", "[text][utf8]") {
  for (const std::string& ok :
       std::vector<std::string>{"", "plain", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x90\x9f",
                                "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf", std::string("a\0b", 3)}) {
    INFO(ok);
    CHECK(IsValidUtf8(ok));
  }
  for (const std::string& bad : std::vector<std::string>{
           "\xff",              // never in UTF-8
           "\x80",              // a continuation byte alone
           "\xc3",              // cut short
           "\xc3\x28",          // a lead byte, then no continuation
           "\xc0\xaf",          // overlong '/'
           "\xe0\x80\xaf",      // overlong, three bytes
           "\xed\xa0\x80",      // a UTF-16 surrogate
           "\xf4\x90\x80\x80",  // above U+10FFFF
           "\xf8\x88\x80\x80\x80",
           "ok\xe2\x82",  // cut short at the end
       }) {
    INFO(bad);
    CHECK(!IsValidUtf8(bad));
  }
}

TEST_CASE("EscapeControls makes control characters and stray bytes visible, nothing else",
          "[text][escape]") {
  CHECK(EscapeControls("plain text, caf\xc3\xa9 \\ back") == "plain text, caf\xc3\xa9 \\ back");
  CHECK(EscapeControls("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m");
  CHECK(EscapeControls("a\tb\nc\rd") == "a\\tb\\nc\\rd");
  CHECK(EscapeControls(std::string("nul\0bel\x07"
                                   "del\x7f",
                                   12)) == "nul\\x00bel\\x07del\\x7f");
  CHECK(EscapeControls("csi\xc2\x9b"
                       "2J") == "csi\\u009b2J");  // C1 CSI
  CHECK(EscapeControls("bob\xff\xfe") == "bob\\xff\\xfe");
  CHECK(EscapeControls("\xc3\x28") == "\\xc3(");
  CHECK(IsPrintableUtf8(EscapeControls("\x1b]0;title\x07\xc3\x28\xc2\x85")));
}

TEST_CASE("DisplayWidth counts code points, and each stray byte as one", "[text]") {
  CHECK(DisplayWidth("abc") == 3);
  CHECK(DisplayWidth("caf\xc3\xa9") == 4);
  CHECK(DisplayWidth("\xf0\x9f\x90\x9f!") == 2);
  CHECK(DisplayWidth("\xff\xfe") == 2);
}

}  // namespace
}  // namespace holdfast
