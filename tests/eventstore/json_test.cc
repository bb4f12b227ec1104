// The JSON form of every event type, and every kind of bad JSON a user or script can hand
// the importer: each must be refused with an error naming the field.
#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "eventstore/event_json.h"
#include "eventstore/validate.h"

using namespace holdfast;

namespace {

const std::string kEnvelope =
    R"({"id":"7f0c2a4e-5d1b-4c8e-9a51-2f7b9d0e6c13","occurred_at":"2025-03-04T18:00:00Z",)"
    R"("author":{"user":"jsmith","role":"facilitator","agency":"provider-a"},)";

std::string Line(const std::string& type, const std::string& data) {
  return kEnvelope + R"("type":")" + type + R"(","data":)" + data + "}";
}

// One canonical line per event type, written in the codec's field order, so that the
// round trip must reproduce it byte for byte.
const char* const kEveryType[][2] = {
    {"case.opened",
     R"({"case":"C-0042","subject":"P-17","order":"community_order","risk":"very_high","lead_agency":"probation-ce"})"},
    {"case.risk_changed", R"({"case":"C-0042","risk":"high","marac":true})"},
    {"case.closed", R"({"case":"C-0042","reason":"order_ended"})"},
    {"intervention.referred",
     R"({"case":"C-0042","intervention":"I-0042-1","programme":"building_choices","provider":"provider-a"})"},
    {"intervention.started", R"({"case":"C-0042","intervention":"I-0042-1"})"},
    {"intervention.completed", R"({"case":"C-0042","intervention":"I-0042-1"})"},
    {"intervention.exited", R"({"case":"C-0042","intervention":"I-0042-1","reason":"moved_area"})"},
    {"session.held",
     R"({"session":"S-2025-03-04-grpA","group":"grpA","module":"Module 3: respect","facilitator":"f-ali","notes":"quiet group"})"},
    {"attendance.recorded",
     R"({"case":"C-0042","intervention":"I-0042-1","session":"S-2025-03-04-grpA","outcome":"absent_unacceptable","reason":"no contact","concern":true})"},
    {"breach.reported", R"({"case":"C-0042","kind":"dvpo_breach","detail":"seen at the address"})"},
    {"incident.reported",
     R"({"subject":"P-17","incident":"INC-2025-0001","category":"sexual_offence","crime":true})"},
    {"alert.raised",
     R"({"alert":"0b5a3c1e-0000-5000-8000-000000000001","rule":"non_engagement","case":"C-0042","subject":"P-17","intervention":"I-0042-1","severity":"medium","trigger":"7f0c2a4e-5d1b-4c8e-9a51-2f7b9d0e6c14","reason":"2 unacceptable absences within 365 days"})"},
    {"alert.acknowledged",
     R"({"alert":"0b5a3c1e-0000-5000-8000-000000000001","note":"called the officer"})"},
    {"alert.resolved",
     R"({"alert":"0b5a3c1e-0000-5000-8000-000000000001","action":"home visit made"})"},
    {"alert.withdrawn",
     R"({"alert":"0b5a3c1e-0000-5000-8000-000000000001","reason":"attendance corrected"})"},
    {"alert.assigned",
     R"({"alert":"0b5a3c1e-0000-5000-8000-000000000001","to":"pc-1","note":"yours: you know the family"})"},
    {"subject.erased", R"({"subject":"P-17"})"},
    {"record.voided",
     R"({"event":"7f0c2a4e-5d1b-4c8e-9a51-2f7b9d0e6c13","reason":"recorded against the wrong case"})"},
};

std::string ErrorOf(const std::string& json) {
  auto r = EventFromJson(json);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  return r.status().message();
}

}  // namespace

TEST_CASE("every event type round-trips JSON to Cap'n Proto to JSON unchanged", "[json]") {
  REQUIRE(std::size(kEveryType) == AllEventTypes().size());
  for (const auto& [type, data] : kEveryType) {
    INFO(type);
    const std::string line = Line(type, data);
    auto event = EventFromJson(line);
    REQUIRE(event.ok());
    CHECK(EventTypeName(event->reader().which()) == type);
    // Through the bytes the store writes, and back.
    auto bytes = event->Encode();
    auto stored = StoredEvent::Decode(std::string_view(
        reinterpret_cast<const char*>(bytes.asBytes().begin()), bytes.asBytes().size()));
    REQUIRE(stored.ok());
    CHECK(EventToJson(stored->reader()) == line);
  }
}

TEST_CASE("stored provenance and position appear in the exported JSON", "[json]") {
  const std::string line =
      kEnvelope + R"("origin":"probation-1","seq":12,"recorded_at":"2025-03-04T18:00:01.250Z/3",)"
                  R"("type":"case.closed","data":{"case":"C-1","reason":"completed"}})";
  auto event = EventFromJson(line);
  REQUIRE(event.ok());
  CHECK(event->reader().getProvenance().getSeq() == 12);
  CHECK(EventToJson(event->reader()) == line);
  std::string with_position = EventToJson(event->reader(), 99);
  CHECK(with_position.substr(with_position.size() - 15) == R"(,"position":99})");
  // An exported line (with its position) imports again; the position is the exporter's.
  CHECK(EventFromJson(with_position).ok());
}

TEST_CASE("optional fields may be left out", "[json]") {
  auto e = EventFromJson(
      Line("attendance.recorded",
           R"({"case":"C-1","intervention":"I-1","session":"S-1","outcome":"attended"})"));
  REQUIRE(e.ok());
  auto a = e->reader().getAttendanceRecorded();
  CHECK_FALSE(a.hasReason());
  CHECK_FALSE(a.getConcern());
}

TEST_CASE("malformed JSON is refused", "[json][bad-input]") {
  CHECK(ErrorOf("{\"id\": ").find("malformed JSON") == 0);
  CHECK(ErrorOf("not json at all").find("malformed JSON") == 0);
  CHECK(ErrorOf("[1,2]").find("malformed JSON") == 0);
  CHECK(ErrorOf("").find("malformed JSON") == 0);
}

TEST_CASE("a missing required field is named", "[json][bad-input]") {
  auto msg = ErrorOf(
      Line("case.opened", R"({"case":"C-1","subject":"P-1","order":"licence","risk":"high"})"));
  CHECK(msg.find("data.lead_agency: missing") == 0);
  msg = ErrorOf(
      Line("incident.reported", R"({"subject":"P-1","incident":"I-1","category":"other"})"));
  CHECK(msg.find("data.crime: missing") == 0);
  msg = ErrorOf(
      R"({"type":"case.closed","occurred_at":"2025-03-04T18:00:00Z","author":{"user":"a","role":"probation","agency":"x"},"data":{"case":"C-1","reason":"other"}})");
  CHECK(msg.find("id: missing") == 0);
  msg = ErrorOf(
      R"({"id":"7f0c2a4e-5d1b-4c8e-9a51-2f7b9d0e6c13","type":"case.closed","occurred_at":"2025-03-04T18:00:00Z","author":{"user":"a","agency":"x"},"data":{"case":"C-1","reason":"other"}})");
  CHECK(msg.find("author.role: missing") == 0);
  msg = ErrorOf(Line("case.closed", R"({"case":"","reason":"other"})"));
  CHECK(msg.find("data.case: missing") == 0);
}

TEST_CASE("an unknown enum value is named with the allowed values", "[json][bad-input]") {
  auto msg =
      ErrorOf(Line("attendance.recorded",
                   R"({"case":"C-1","intervention":"I-1","session":"S-1","outcome":"absnt"})"));
  CHECK(msg.find("data.outcome: unknown value \"absnt\"") == 0);
  CHECK(msg.find("attended, late, left_early, absent_acceptable, absent_unacceptable") !=
        std::string::npos);
  msg = ErrorOf(
      R"({"id":"7f0c2a4e-5d1b-4c8e-9a51-2f7b9d0e6c13","type":"case.closed","occurred_at":"2025-03-04T18:00:00Z","author":{"user":"a","role":"chief","agency":"x"},"data":{"case":"C-1","reason":"other"}})");
  CHECK(msg.find("author.role: unknown value \"chief\"") == 0);
}

TEST_CASE("a bad UUID is named", "[json][bad-input]") {
  std::string line = Line("case.closed", R"({"case":"C-1","reason":"other"})");
  line.replace(line.find("7f0c2a4e"), 8, "7f0c2a4z");
  CHECK(ErrorOf(line).find("id: expected a UUID") == 0);
  auto msg = ErrorOf(Line("alert.acknowledged", R"({"alert":"not-a-uuid"})"));
  CHECK(msg.find("data.alert: expected a UUID") == 0);
}

TEST_CASE("a void needs the voided event's id, as a UUID, and a reason", "[json][bad-input]") {
  auto msg = ErrorOf(Line("record.voided", R"({"reason":"wrong case"})"));
  CHECK(msg.find("data.event: missing") == 0);
  msg = ErrorOf(Line("record.voided", R"({"event":"C-1","reason":"wrong case"})"));
  CHECK(msg.find("data.event: expected a UUID") == 0);
  msg = ErrorOf(Line("record.voided", R"({"event":"7f0c2a4e-5d1b-4c8e-9a51-2f7b9d0e6c13"})"));
  CHECK(msg.find("data.reason: missing") == 0);
  auto ok = EventFromJson(
      Line("record.voided", R"({"event":"7f0c2a4e-5d1b-4c8e-9a51-2f7b9d0e6c13","reason":"x"})"));
  REQUIRE(ok.ok());
  CHECK(ok->reader().isRecordVoided());
}

TEST_CASE("a bad timestamp is named with the expected form", "[json][bad-input]") {
  std::string line = Line("case.closed", R"({"case":"C-1","reason":"other"})");
  line.replace(line.find("2025-03-04T18:00:00Z"), 20, "04/03/2025 18:00");
  auto msg = ErrorOf(line);
  CHECK(msg.find("occurred_at: expected an RFC 3339 UTC time") == 0);
  line.replace(line.find("04/03/2025 18:00"), 16, "2025-13-04T18:00:00Z");
  CHECK(ErrorOf(line).find("occurred_at:") == 0);
}

TEST_CASE("an unknown or missing type is refused", "[json][bad-input]") {
  auto msg = ErrorOf(Line("attendance.recordd", R"({})"));
  CHECK(msg.find("type: unknown event type \"attendance.recordd\"") == 0);
  CHECK(msg.find("attendance.recorded") != std::string::npos);
  msg = ErrorOf(
      R"({"id":"7f0c2a4e-5d1b-4c8e-9a51-2f7b9d0e6c13","occurred_at":"2025-03-04T18:00:00Z","author":{"user":"a","role":"probation","agency":"x"},"data":{}})");
  CHECK(msg.find("type: missing") == 0);
}

TEST_CASE("unknown fields and wrong JSON types are named", "[json][bad-input]") {
  CHECK(ErrorOf(Line("case.closed", R"({"case":"C-1","reason":"other","colour":"red"})"))
            .find("data.colour: unknown field") == 0);
  CHECK(ErrorOf(Line("incident.reported",
                     R"({"subject":"P-1","incident":"I-1","category":"other","crime":"yes"})"))
            .find("data.crime: expected true or false") == 0);
  CHECK(ErrorOf(Line("case.closed", R"({"case":42,"reason":"other"})"))
            .find("data.case: expected a string") == 0);
  CHECK(ErrorOf(Line("case.closed", R"({"case":"C 1","reason":"other"})"))
            .find("data.case: not a valid identifier") == 0);
  CHECK(ErrorOf(kEnvelope +
                R"("type":"case.closed","data":{"case":"C-1","reason":"other"},"extra":1})")
            .find("extra: unknown field") == 0);
  CHECK(ErrorOf(kEnvelope +
                R"("origin":"n1","type":"case.closed","data":{"case":"C-1","reason":"other"}})")
            .find("origin: origin, seq and recorded_at go together") == 0);
  CHECK(ErrorOf(Line("case.closed", R"({"case":"C-1","case":"C-2","reason":"other"})"))
            .find("data.case: appears twice") == 0);
}

// --- Text integrity (issue 11): what a string holds is what is stored and exported ---------

namespace {

std::string WithReason(const std::string& escaped_reason) {
  return Line("alert.withdrawn", R"({"alert":"0b5a3c1e-0000-5000-8000-000000000001","reason":")" +
                                     escaped_reason + "\"}");
}

std::string ReasonOf(const std::string& json) {
  auto event = EventFromJson(json);
  INFO(json);
  REQUIRE(event.ok());
  auto reason = event->reader().getAlertWithdrawn().getReason();
  return std::string(reason.begin(), reason.size());
}

}  // namespace

TEST_CASE("uXXXX escapes decode to the code point they name, in either case of hex",
          "[json][text]") {
  // Cap'n Proto 0.9.2's decoder read the hex letters a-f as 0-5: "Zo\u00eb" became "ZoA".
  CHECK(ReasonOf(WithReason(R"(Zo\u00eb caf\u00e9)")) == "Zo\xc3\xab caf\xc3\xa9");
  CHECK(ReasonOf(WithReason(R"(Zo\u00EB caf\u00E9)")) == "Zo\xc3\xab caf\xc3\xa9");
  CHECK(ReasonOf(WithReason(R"(\u001b[0m \u007f \u00ff \u0aBc \uFFFD \uffff)")) ==
        "\x1b[0m \x7f \xc3\xbf \xe0\xaa\xbc \xef\xbf\xbd \xef\xbf\xbf");
  // Astral characters: a surrogate pair, or the UTF-8 itself.
  CHECK(ReasonOf(WithReason(R"(\ud83d\ude00 \uD83D\uDE00 \udbff\udfff)")) ==
        "\xf0\x9f\x98\x80 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf");
  CHECK(ReasonOf(WithReason("\xf0\x9f\x98\x80 Zo\xc3\xab")) == "\xf0\x9f\x98\x80 Zo\xc3\xab");
  // The short escapes.
  CHECK(ReasonOf(WithReason(R"(\" \\ \/ \b \f \n \r \t)")) == "\" \\ / \b \f \n \r \t");
}

TEST_CASE("what is decoded is exported unchanged: non-ASCII as UTF-8, controls escaped",
          "[json][text]") {
  auto event = EventFromJson(WithReason(R"(Zo\u00eb \ud83d\ude00 \u0001\u001f\u007f \"q\" \/)"));
  REQUIRE(event.ok());
  const std::string out = EventToJson(event->reader());
  CHECK(out.find(R"("reason":"Zo)"
                 "\xc3\xab \xf0\x9f\x98\x80 "
                 R"(\u0001\u001f)"
                 "\x7f"
                 R"( \"q\" /"})") != std::string::npos);
  auto again = EventFromJson(out);
  REQUIRE(again.ok());
  CHECK(EventToJson(again->reader()) == out);
}

TEST_CASE("invalid escapes and lone surrogates are refused, naming the field", "[json][text]") {
  const std::vector<std::string> bad_escapes = {R"(a\qb)",  R"(\x41)", R"(\U0001F600)", R"(\u12G4)",
                                                R"(\u00e)", R"(\')",   R"(\a)"};
  for (const auto& e : bad_escapes) {
    INFO(e);
    const std::string msg = ErrorOf(WithReason(e));
    CHECK(msg.find("data.reason: invalid escape") == 0);
  }
  const std::vector<std::string> lone = {R"(\ud800)",       R"(\udbff x)",     R"(\udc00)",
                                         R"(\ud800\u0041)", R"(\ud800\ud800)", R"(x\udfff)",
                                         R"(\ude00\ud83d)", R"(\ud83d\n)"};
  for (const auto& e : lone) {
    INFO(e);
    const std::string msg = ErrorOf(WithReason(e));
    CHECK(msg.find("data.reason: lone surrogate \\u") == 0);
  }
  // In an identifier, in the author, in the envelope, in a field name.
  CHECK(ErrorOf(Line("case.closed", R"({"case":"C-\ud800","reason":"other"})"))
            .find("data.case: lone surrogate \\ud800") == 0);
  std::string line = Line("case.closed", R"({"case":"C-1","reason":"other"})");
  line.replace(line.find("jsmith"), 6, R"(j\qsmith)");
  CHECK(ErrorOf(line).find("author.user: invalid escape \"\\q\"") == 0);
  CHECK(ErrorOf(Line("case.closed", R"({"ca\se":"C-1","reason":"other"})"))
            .find("data: a field name: invalid escape") == 0);
}

TEST_CASE("unescaped control characters and NUL are refused, naming the field", "[json][text]") {
  for (char c : {'\x01', '\t', '\n', '\x1f'}) {
    INFO(static_cast<int>(c));
    CHECK(ErrorOf(WithReason(std::string("a") + c + "b"))
              .find("data.reason: unescaped control character U+00") == 0);
  }
  // U+0000 is valid JSON, but Cap'n Proto Text is NUL-terminated: readers would cut it there.
  CHECK(ErrorOf(WithReason(R"(a\u0000b)")).find("data.reason: holds a NUL character") == 0);
}

TEST_CASE("invalid UTF-8 is refused, naming the field and the byte", "[json][text]") {
  const std::vector<std::string> bad = {
      "\xff",              // never in UTF-8
      "caf\xe9",           // Latin-1
      "\xc0\xaf",          // overlong '/'
      "\xe0\x80\xaf",      // overlong
      "\xed\xa0\x80",      // an encoded surrogate (CESU-8)
      "\xf4\x90\x80\x80",  // above U+10FFFF
      "\xe2\x82",          // truncated
      "\x80",              // a lone continuation byte
  };
  for (const auto& b : bad) {
    INFO(b);
    CHECK(ErrorOf(WithReason(b)).find("data.reason: not valid UTF-8 (byte 0x") == 0);
  }
  CHECK(ErrorOf(WithReason("caf\xe9")).find("byte 0xe9 at byte 3") != std::string::npos);
  CHECK(ErrorOf(Line("case.closed", "{\"case\":\"C-\xff\",\"reason\":\"other\"}"))
            .find("data.case: not valid UTF-8") == 0);
  std::string line = Line("case.closed", R"({"case":"C-1","reason":"other"})");
  line.replace(line.find("jsmith"), 6, "j\xc3smith");
  CHECK(ErrorOf(line).find("author.user: not valid UTF-8") == 0);
}

TEST_CASE("validation refuses invalid UTF-8 and NUL in every text field, however built",
          "[json][text]") {
  // What the daemon checks for the CLI's appends and for peers' events, which do not come
  // through the JSON reader.
  auto event = EventFromJson(
      kEnvelope +
      R"("origin":"probation-1","seq":12,"recorded_at":"2025-03-04T18:00:01.250Z/3",)"
      R"("type":"alert.withdrawn","data":{"alert":"0b5a3c1e-0000-5000-8000-000000000001","reason":"ok"}})");
  REQUIRE(event.ok());
  REQUIRE(ValidateEvent(event->reader()).ok());
  SECTION("free text") {
    event->builder().getAlertWithdrawn().setReason("caf\xe9");
    CHECK(ValidateEvent(event->reader()).message().find("data.reason: not valid UTF-8") == 0);
  }
  SECTION("free text holding NUL") {
    event->builder().getAlertWithdrawn().setReason(kj::StringPtr("a\0b", 3));
    CHECK(ValidateEvent(event->reader()).message().find("data.reason: holds a NUL") == 0);
  }
  SECTION("the author") {
    event->builder().getAuthor().setUser("\xed\xa0\x80");
    CHECK(ValidateEvent(event->reader()).message().find("author.user: not valid UTF-8") == 0);
  }
  SECTION("an identifier cut short by NUL") {
    event->builder().getAuthor().setAgency(kj::StringPtr("x\0 y", 4));
    CHECK(ValidateEvent(event->reader()).message().find("author.agency: holds a NUL") == 0);
  }
  SECTION("the origin") {
    event->builder().getProvenance().setOrigin("n\xff");
    CHECK(ValidateEvent(event->reader()).message().find("origin: not valid UTF-8") == 0);
  }
  SECTION("a lifecycle event's basis") {
    auto basis = event->builder().getAlertWithdrawn().initBasis();
    basis.setRank(7);
    basis.setMarks("probation-1:7");
    REQUIRE(ValidateEvent(event->reader()).ok());
    basis.setMarks("probation-1:\xff");
    CHECK(ValidateEvent(event->reader()).message().find("data.basis.marks: not valid UTF-8") == 0);
    basis.setMarks("probation-1:7");
    basis.setRank(0);
    CHECK(ValidateEvent(event->reader()).message().find("data.basis.rank: expected a whole") == 0);
    basis.setRank((uint64_t{1} << 53) + 1);
    CHECK(ValidateEvent(event->reader()).message().find("data.basis.rank: expected a whole") == 0);
  }
}

TEST_CASE("a lifecycle event's basis round-trips through JSON, its rank a plain number", "[json]") {
  const std::string line =
      kEnvelope +
      R"("origin":"probation-1","seq":12,"recorded_at":"2025-03-04T18:00:01.250Z/3",)"
      R"("type":"alert.withdrawn","data":{"alert":"0b5a3c1e-0000-5000-8000-000000000001",)"
      R"("reason":"ok","basis":{"rank":9007199254740992,"marks":"partnership-1:4 probation-1:9"}}})";
  auto event = EventFromJson(line);
  REQUIRE(event.ok());
  auto basis = event->reader().getAlertWithdrawn().getBasis();
  CHECK(basis.getRank() == (uint64_t{1} << 53));
  CHECK(std::string(basis.getMarks().cStr()) == "partnership-1:4 probation-1:9");
  const std::string json = EventToJson(event->reader());
  CHECK(json.find(R"("basis":{"rank":9007199254740992,"marks":"partnership-1:4 probation-1:9"})") !=
        std::string::npos);
  auto again = EventFromJson(json);
  REQUIRE(again.ok());
  CHECK(EventToJson(again->reader()) == json);
  // Without a basis (events derived before bases): no "basis" member at all.
  auto old = EventFromJson(kEnvelope + R"("type":"alert.withdrawn","data":{"alert":)"
                                       R"("0b5a3c1e-0000-5000-8000-000000000001","reason":"ok"}})");
  REQUIRE(old.ok());
  CHECK(EventToJson(old->reader()).find("basis") == std::string::npos);
  CHECK(ErrorOf(kEnvelope + R"("type":"alert.withdrawn","data":{"alert":)"
                            R"("0b5a3c1e-0000-5000-8000-000000000001","reason":"ok",)"
                            R"("basis":{"rank":0}}})")
            .find("data.basis.rank: expected a whole number") == 0);
}

TEST_CASE("FindInvalidUtf8 follows Unicode's table of well-formed sequences", "[json][text]") {
  const auto npos = std::string_view::npos;
  for (const std::string ok :
       {"", "a", "\x7f", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80",
        "\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "Zo\xc3\xab"}) {
    INFO(ok);
    CHECK(FindInvalidUtf8(ok) == npos);
  }
  CHECK(FindInvalidUtf8(std::string("a\0b", 3)) == npos);  // NUL is UTF-8; validation refuses it
  CHECK(FindInvalidUtf8("\xc1\xbf") == 0);
  CHECK(FindInvalidUtf8("ab\xe0\x9f\xbf") == 2);
  CHECK(FindInvalidUtf8("\xed\xa0\x80") == 0);
  CHECK(FindInvalidUtf8("\xf0\x8f\xbf\xbf") == 0);
  CHECK(FindInvalidUtf8("\xf4\x90\x80\x80") == 0);
  CHECK(FindInvalidUtf8("\xf5\x80\x80\x80") == 0);
  CHECK(FindInvalidUtf8("x\xc3") == 1);
  CHECK(FindInvalidUtf8("\xe2\x82x") == 0);
}

TEST_CASE("other malformed JSON is refused, naming the field where it can", "[json][bad-input]") {
  CHECK(ErrorOf(WithReason("a\"b")).find("malformed JSON") == 0);
  CHECK(ErrorOf(Line("case.risk_changed", R"({"case":"C-1","risk":"high","marac":tru})"))
            .find("malformed JSON") == 0);
  CHECK(ErrorOf(Line("case.risk_changed", R"({"case":"C-1","risk":"high","marac":01})"))
            .find("data.marac: not a valid JSON number") == 0);
  CHECK(ErrorOf(kEnvelope + R"("origin":"n1","seq":123456789012345678901234,)"
                            R"("recorded_at":"2025-03-04T18:00:01.250Z/3",)"
                            R"("type":"case.closed","data":{"case":"C-1","reason":"other"}})")
            .find("seq: the number 123456789012345678901234 is too large") == 0);
  CHECK(ErrorOf(kEnvelope + R"("origin":"n1","seq":1.5,"recorded_at":"2025-03-04T18:00:01.250Z/3",)"
                            R"("type":"case.closed","data":{"case":"C-1","reason":"other"}})")
            .find("seq: expected a whole number") == 0);
  CHECK(ErrorOf(std::string(2 << 20, ' ')).find("at most 1048576 bytes") != std::string::npos);
  CHECK(ErrorOf("   ").find("malformed JSON") == 0);
  // What the line said goes into the message on one line, and not at any length.
  CHECK(ErrorOf(Line("attendance.recorded",
                     R"({"case":"C-1","intervention":"I-1","session":"S-1","outcome":"a\nb"})"))
            .find(R"(data.outcome: unknown value "a\u000ab")") == 0);
  CHECK(ErrorOf(Line("case.closed", R"({"case":"C-1","reason":"other","x\ty":1})"))
            .find(R"(data.x\u0009y: unknown field)") == 0);
  const std::string long_type(500, 'x');
  // (Most of the message is the list of known types, which grows with the vocabulary.)
  CHECK(ErrorOf(Line(long_type, "{}")).size() < 450);
  CHECK(ErrorOf("\xef\xbb\xbf" + WithReason("x")).find("byte order mark") != std::string::npos);
}

TEST_CASE("mangled lines are refused or read, never half-read", "[json][text][bad-input]") {
  // Every line of every type, with bytes JSON and UTF-8 care about put in at random places
  // or the line cut short: each is read to an event that validates and round-trips, or
  // refused with a message that names something.
  const char* const kBytes[] = {"\\",
                                "\"",
                                "\\u",
                                "\\ud800",
                                "\\udc00",
                                "\xff",
                                "\xc3",
                                "\xed\xa0\x80",
                                "\x01",
                                "\\u0000",
                                "{",
                                "}",
                                ",",
                                ":",
                                "1e999",
                                "-",
                                "\xf0\x9f\x98",
                                "\\/",
                                "\\uD83D\\uDE00"};
  std::mt19937 rng(11);
  size_t read = 0, refused = 0;
  for (int round = 0; round < 3000; ++round) {
    const auto& [type, data] = kEveryType[rng() % std::size(kEveryType)];
    std::string line = Line(type, data);
    for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k) {
      const size_t at = rng() % line.size();
      if (rng() % 5 == 0) {
        line.resize(at);
      } else {
        line.insert(at, kBytes[rng() % std::size(kBytes)]);
      }
      if (line.empty()) line = "{";
    }
    INFO(line);
    auto event = EventFromJson(line);
    if (event.ok()) {
      ++read;
      CHECK(ValidateEvent(event->reader()).ok());
      auto again = EventFromJson(EventToJson(event->reader()));
      REQUIRE(again.ok());
      CHECK(EventToJson(again->reader()) == EventToJson(event->reader()));
    } else {
      ++refused;
      const std::string& m = event.status().message();
      CHECK(m.find(": ") != std::string::npos);
      CHECK(m.find('\n') == std::string::npos);
    }
  }
  CHECK(read > 0);
  CHECK(refused > 0);
}
