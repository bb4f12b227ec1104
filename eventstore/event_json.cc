#include "eventstore/event_json.h"

#include <capnp/compat/json.h>
#include <capnp/dynamic.h>

#include <map>
#include <set>
#include <string_view>

#include "eventstore/validate.h"

namespace holdfast {
namespace {

using capnp::JsonValue;

class UuidHandler final : public capnp::JsonCodec::Handler<schema::Uuid> {
 public:
  void encode(const capnp::JsonCodec&, schema::Uuid::Reader input,
              JsonValue::Builder output) const override {
    output.setString(FormatUuid(ToUuid(input)));
  }
  void decode(const capnp::JsonCodec&, JsonValue::Reader input,
              schema::Uuid::Builder output) const override {
    KJ_REQUIRE(input.isString(), "expected a UUID string");
    auto id = ParseUuid(input.getString().cStr());
    KJ_REQUIRE(id != std::nullopt, "malformed UUID");
    SetUuid(output, *id);
  }
};

class TimestampHandler final : public capnp::JsonCodec::Handler<schema::Timestamp> {
 public:
  void encode(const capnp::JsonCodec&, schema::Timestamp::Reader input,
              JsonValue::Builder output) const override {
    output.setString(FormatRfc3339(input.getUnixNanos()));
  }
  void decode(const capnp::JsonCodec&, JsonValue::Reader input,
              schema::Timestamp::Builder output) const override {
    KJ_REQUIRE(input.isString(), "expected an RFC 3339 string");
    auto t = ParseRfc3339(input.getString().cStr());
    KJ_REQUIRE(t != std::nullopt, "malformed RFC 3339 time");
    output.setUnixNanos(*t);
  }
};

class HlcHandler final : public capnp::JsonCodec::Handler<schema::Hlc> {
 public:
  void encode(const capnp::JsonCodec&, schema::Hlc::Reader input,
              JsonValue::Builder output) const override {
    output.setString(FormatHlc(input.getValue()));
  }
  void decode(const capnp::JsonCodec&, JsonValue::Reader input,
              schema::Hlc::Builder output) const override {
    KJ_REQUIRE(input.isString(), "expected an HLC string");
    auto v = ParseHlc(input.getString().cStr());
    KJ_REQUIRE(v != std::nullopt, "malformed HLC value");
    output.setValue(*v);
  }
};

// seq is a plain JSON number (the codec's default for 64-bit integers is a string).
class SeqHandler final : public capnp::JsonCodec::Handler<uint64_t> {
 public:
  void encode(const capnp::JsonCodec&, uint64_t input, JsonValue::Builder output) const override {
    output.setNumber(static_cast<double>(input));
  }
  uint64_t decode(const capnp::JsonCodec&, JsonValue::Reader input) const override {
    KJ_REQUIRE(input.isNumber(), "expected a number");
    return static_cast<uint64_t>(input.getNumber());
  }
};

struct Codec {
  UuidHandler uuid;
  TimestampHandler timestamp;
  HlcHandler hlc;
  SeqHandler seq;
  capnp::JsonCodec json;
  Codec() {
    // Type handlers first: handleByAnnotation then leaves these types to them.
    json.addTypeHandler(uuid);
    json.addTypeHandler(timestamp);
    json.addTypeHandler(hlc);
    json.handleByAnnotation<schema::Event>();
    json.addFieldHandler(capnp::Schema::from<schema::Provenance>().getFieldByName("seq"), seq);
    json.setMaxNestingDepth(8);
  }
};

// JsonCodec is not documented as thread-safe; one per thread costs nothing.
Codec& ThreadCodec() {
  thread_local Codec codec;
  return codec;
}

using Object = std::map<std::string, JsonValue::Reader>;

// The JSON parser's own words, without its internal assertion text: its descriptions read
// "expected prefix == expected [...]; Unexpected input in JSON message."
std::string ParserComplaint(const kj::Exception& ex) {
  std::string d = ex.getDescription().cStr();
  const size_t semicolon = d.rfind("; ");
  if (semicolon != std::string::npos) d = d.substr(semicolon + 2);
  for (char& c : d) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (d.find(" == ") != std::string::npos || d.empty()) {
    d = "not a valid JSON object (check quotes, commas and braces)";
  }
  return d;
}

Status Invalid(const std::string& path, const std::string& what) {
  return Status::InvalidArgument(path + ": " + what);
}

Status ToObject(const std::string& path, JsonValue::Reader v, Object* out) {
  if (!v.isObject()) return Invalid(path, "expected a JSON object");
  for (auto f : v.getObject()) {
    if (!out->emplace(f.getName().cStr(), f.getValue()).second) {
      return Invalid(path + "." + f.getName().cStr(), "appears twice");
    }
  }
  return Status::Ok();
}

const char* KindOf(JsonValue::Reader v) {
  switch (v.which()) {
    case JsonValue::NULL_:
      return "null";
    case JsonValue::BOOLEAN:
      return "a boolean";
    case JsonValue::NUMBER:
      return "a number";
    case JsonValue::STRING:
      return "a string";
    case JsonValue::ARRAY:
      return "an array";
    case JsonValue::OBJECT:
      return "an object";
    case JsonValue::CALL:
      return "a call";
  }
  return "a value";
}

// Checks one JSON value against the type of the schema field it is meant for.
Status CheckValue(const std::string& path, capnp::StructSchema::Field field, JsonValue::Reader v);

// What the checks need of a struct's schema, worked out once per struct (walking a
// schema's annotations for every line of an import costs more than parsing the line).
struct StructInfo {
  struct FieldInfo {
    capnp::StructSchema::Field field;
    bool optional;
  };
  std::map<std::string, FieldInfo, std::less<>> fields;  // by JSON name
  std::string expected;                                  // "a, b, c" for error messages
  size_t required = 0;                                   // fields not $optional
};

const StructInfo& InfoOf(capnp::StructSchema schema) {
  thread_local std::map<uint64_t, StructInfo> cache;
  const uint64_t id = schema.getProto().getId();
  auto it = cache.find(id);
  if (it != cache.end()) return it->second;
  StructInfo info;
  for (auto f : schema.getNonUnionFields()) {
    const std::string name = JsonNameOf(f);
    info.fields.emplace(name, StructInfo::FieldInfo{f, IsOptionalField(f)});
    info.expected += (info.expected.empty() ? "" : ", ") + name;
    if (!IsOptionalField(f)) ++info.required;
  }
  return cache.emplace(id, std::move(info)).first->second;
}

// The JSON names of an enum's values.
const std::set<std::string, std::less<>>& NamesOf(capnp::EnumSchema schema) {
  thread_local std::map<uint64_t, std::set<std::string, std::less<>>> cache;
  const uint64_t id = schema.getProto().getId();
  auto it = cache.find(id);
  if (it != cache.end()) return it->second;
  std::set<std::string, std::less<>> names;
  for (auto e : schema.getEnumerants()) names.insert(JsonNameOf(e));
  return cache.emplace(id, std::move(names)).first->second;
}

// Checks a JSON object against a struct schema: no unknown fields, no missing required ones.
Status CheckObject(const std::string& path, capnp::StructSchema schema, JsonValue::Reader v) {
  if (!v.isObject()) return Invalid(path, "expected a JSON object");
  const StructInfo& info = InfoOf(schema);
  size_t required_seen = 0;
  auto fields = v.getObject();
  for (size_t i = 0; i < fields.size(); ++i) {
    auto name = fields[i].getName();
    std::string_view key(name.cStr(), name.size());
    for (size_t j = 0; j < i; ++j) {
      if (fields[j].getName() == name) return Invalid(path + "." + name.cStr(), "appears twice");
    }
    auto it = info.fields.find(key);
    if (it == info.fields.end())
      return Invalid(path + "." + name.cStr(), "unknown field; expected: " + info.expected);
    if (!it->second.optional) ++required_seen;
    HOLDFAST_RETURN_IF_ERROR(
        CheckValue(path + "." + name.cStr(), it->second.field, fields[i].getValue()));
  }
  if (required_seen != info.required) {
    for (const auto& [name, field] : info.fields) {
      bool present = false;
      for (auto f : fields) present = present || f.getName() == name.c_str();
      if (!present && !field.optional) return Invalid(path + "." + name, "missing (required)");
    }
  }
  return Status::Ok();
}

Status CheckValue(const std::string& path, capnp::StructSchema::Field field, JsonValue::Reader v) {
  auto type = field.getType();
  switch (type.which()) {
    case capnp::schema::Type::TEXT:
      if (!v.isString()) return Invalid(path, std::string("expected a string, got ") + KindOf(v));
      return Status::Ok();
    case capnp::schema::Type::BOOL:
      if (!v.isBoolean())
        return Invalid(path, std::string("expected true or false, got ") + KindOf(v));
      return Status::Ok();
    case capnp::schema::Type::ENUM: {
      auto schema = type.asEnum();
      if (!v.isString()) return Invalid(path, "expected one of: " + AllowedValues(schema));
      const auto& names = NamesOf(schema);
      if (names.find(std::string_view(v.getString().cStr(), v.getString().size())) != names.end()) {
        return Status::Ok();
      }
      return Invalid(path, std::string("unknown value \"") + v.getString().cStr() +
                               "\"; allowed: " + AllowedValues(schema));
    }
    case capnp::schema::Type::STRUCT: {
      auto s = type.asStruct();
      if (s == capnp::Schema::from<schema::Uuid>()) {
        if (!v.isString() || !ParseUuid(v.getString().cStr())) {
          return Invalid(path, "expected a UUID like 7f0c2a4e-5d1b-4c8e-9a51-2f7b9d0e6c13");
        }
        return Status::Ok();
      }
      if (s == capnp::Schema::from<schema::Timestamp>()) {
        if (!v.isString() || !ParseRfc3339(v.getString().cStr())) {
          return Invalid(path, "expected an RFC 3339 UTC time like 2025-03-04T18:00:00Z");
        }
        return Status::Ok();
      }
      if (s == capnp::Schema::from<schema::Hlc>()) {
        if (!v.isString() || !ParseHlc(v.getString().cStr())) {
          return Invalid(path, "expected an HLC time like 2025-03-04T18:00:00.123Z/0");
        }
        return Status::Ok();
      }
      return CheckObject(path, s, v);
    }
    case capnp::schema::Type::UINT64:
      if (!v.isNumber() || v.getNumber() < 1 || v.getNumber() > 9007199254740992.0 ||
          v.getNumber() != static_cast<double>(static_cast<uint64_t>(v.getNumber()))) {
        return Invalid(path, "expected a whole number of 1 or more");
      }
      return Status::Ok();
    case capnp::schema::Type::DATA:
      if (!v.isString()) return Invalid(path, "expected a base64 string");
      return Status::Ok();
    default:
      return Invalid(path, "unsupported field type");
  }
}

// The envelope: every top-level key, checked before anything is built.
Status CheckEnvelope(const Object& obj, EventType* type) {
  auto event_schema = capnp::Schema::from<schema::Event>();
  auto provenance_schema = capnp::Schema::from<schema::Provenance>();
  static const char* const kKnown[] = {"id",     "type", "occurred_at", "author",   "data",
                                       "origin", "seq",  "recorded_at", "position", "signature"};
  for (auto& [name, value] : obj) {
    bool known = false;
    for (const char* k : kKnown) known = known || name == k;
    if (!known) {
      return Invalid(name, "unknown field; an event has id, type, occurred_at, author, data");
    }
  }
  for (const char* required : {"id", "type", "occurred_at", "author", "data"}) {
    if (!obj.count(required)) return Invalid(required, "missing (required)");
  }
  auto type_value = obj.at("type");
  if (!type_value.isString()) return Invalid("type", "expected a string");
  if (!FindEventType(type_value.getString().cStr(), type)) {
    std::string all;
    for (auto t : AllEventTypes()) all += (all.empty() ? "" : ", ") + std::string(EventTypeName(t));
    return Invalid("type", std::string("unknown event type \"") + type_value.getString().cStr() +
                               "\"; known: " + all);
  }
  for (const char* name : {"id", "occurred_at", "author", "signature"}) {
    if (!obj.count(name)) continue;
    auto field =
        event_schema.getFieldByName(name == std::string("occurred_at") ? "occurredAt" : name);
    HOLDFAST_RETURN_IF_ERROR(CheckValue(name, field, obj.at(name)));
  }
  int provenance_keys = 0;
  for (auto f : provenance_schema.getFields()) {
    std::string name = JsonNameOf(f);
    if (!obj.count(name)) continue;
    ++provenance_keys;
    HOLDFAST_RETURN_IF_ERROR(CheckValue(name, f, obj.at(name)));
  }
  if (provenance_keys != 0 && provenance_keys != 3) {
    return Invalid("origin", "origin, seq and recorded_at go together: give all three or none");
  }
  if (obj.count("position") && !obj.at("position").isNumber()) {
    return Invalid("position", "expected a number");
  }
  // The body: the union member named by "type".
  for (auto f : event_schema.getUnionFields()) {
    if (static_cast<EventType>(f.getProto().getDiscriminantValue()) == *type) {
      return CheckObject("data", f.getType().asStruct(), obj.at("data"));
    }
  }
  return Invalid("type", "not in the schema");
}

}  // namespace

Result<Event> EventFromJson(std::string_view json) {
  Codec& codec = ThreadCodec();
  capnp::MallocMessageBuilder scratch;
  auto value = scratch.initRoot<JsonValue>();
  try {
    codec.json.decodeRaw(kj::ArrayPtr<const char>(json.data(), json.size()), value);
  } catch (const kj::Exception& ex) {
    return Status::InvalidArgument("malformed JSON: " + ParserComplaint(ex));
  }
  Object obj;
  if (!value.asReader().isObject()) {
    return Status::InvalidArgument("malformed JSON: an event must be a JSON object");
  }
  HOLDFAST_RETURN_IF_ERROR(ToObject("event", value.asReader(), &obj));
  EventType type;
  HOLDFAST_RETURN_IF_ERROR(CheckEnvelope(obj, &type));
  Event event;
  try {
    codec.json.decode(value.asReader(), capnp::DynamicStruct::Builder(event.builder()));
  } catch (const kj::Exception& ex) {
    return Status::InvalidArgument(std::string("event does not fit the schema: ") +
                                   ex.getDescription().cStr());
  }
  HOLDFAST_RETURN_IF_ERROR(ValidateEvent(event.reader()));
  return event;
}

std::string EventToJson(schema::Event::Reader event, std::optional<uint64_t> position) {
  kj::String text = ThreadCodec().json.encode(event);
  std::string out(text.cStr(), text.size());
  if (position) {
    out.pop_back();  // the closing brace
    out += ",\"position\":" + std::to_string(*position) + "}";
  }
  return out;
}

}  // namespace holdfast
