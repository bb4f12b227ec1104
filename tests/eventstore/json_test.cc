// The JSON form of every event type, and every kind of bad JSON a user or script can hand
// the importer: each must be refused with an error naming the field.
#include <catch2/catch.hpp>
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
    {"subject.erased", R"({"subject":"P-17"})"},
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
