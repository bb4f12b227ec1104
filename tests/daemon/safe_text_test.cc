// The text guards in front of the audit log and the CLI's tables, on their own: what counts
// as UTF-8, what gets escaped, and what an audited field is bounded to.
#include "daemon/safe_text.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "daemon/audit.h"

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

TEST_CASE("DisplayWidth counts the columns a terminal gives, and each stray byte as one",
          "[text]") {
  CHECK(DisplayWidth("abc") == 3);
  CHECK(DisplayWidth("caf\xc3\xa9") == 4);
  CHECK(DisplayWidth("Zo\xc3\xab") == 3);     // Zoë, ë one code point
  CHECK(DisplayWidth("Zoe\xcc\x88") == 3);    // Zoë, e and a combining diaeresis
  CHECK(DisplayWidth("\xc5\x81ukasz") == 6);  // Łukasz
  CHECK(DisplayWidth("\xe7\x8e\x8b\xe5\xb0\x8f\xe6\x98\x8e") == 6);  // 王小明: wide
  CHECK(DisplayWidth("\xf0\x9f\x90\x9f!") == 3);                     // a fish (wide) and "!"
  CHECK(DisplayWidth("\xff\xfe") == 2);
}

TEST_CASE("AuditField keeps printable names as given and bounds and escapes the rest",
          "[text][audit]") {
  CHECK(AuditField("po-7") == "po-7");
  CHECK(AuditField("case/C-77") == "case/C-77");
  const std::string longest(kMaxAuditFieldBytes, 'a');
  CHECK(AuditField(longest) == longest);
  CHECK(AuditField("\x1b[31mred") == "\\x1b[31mred [as given: 8 bytes, escaped]");
  CHECK(AuditField("bob\xff") == "bob\\xff [as given: 4 bytes, escaped]");

  const std::string huge(5u << 20, 'u');
  CHECK(AuditField(huge) ==
        std::string(kAuditExcerptBytes, 'u') + "... [as given: 5242880 bytes, cut]");

  // The worst case for size: every kept byte escaped four times over.
  const std::string bad_bytes(1000, '\xff');
  CHECK(AuditField(bad_bytes).size() <= kMaxAuditFieldBytes);
  CHECK(AuditField(bad_bytes).rfind("\\xff... [as given: 1000 bytes, cut, escaped]") ==
        kAuditExcerptBytes - 4);
  CHECK(IsPrintableUtf8(AuditField(bad_bytes)));

  // A cut never splits a character: 42 three-byte euro signs fit in 128 bytes, not 43.
  std::string euros;
  for (int i = 0; i < 100; ++i) euros += "\xe2\x82\xac";
  const std::string cut = AuditField(euros);
  CHECK(IsValidUtf8(cut));
  CHECK(cut.rfind(std::string("\xe2\x82\xac") + "... [as given: 300 bytes, cut]") == 123);

  // What it returns it keeps as it is, so reading an entry back changes nothing.
  for (const std::string& raw : std::vector<std::string>{huge, bad_bytes, euros, "\x1b[2J"}) {
    CHECK(AuditField(AuditField(raw)) == AuditField(raw));
  }
}

}  // namespace
}  // namespace holdfast
