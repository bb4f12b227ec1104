#include "eventstore/event_json.h"

#include <capnp/compat/json.h>
#include <capnp/dynamic.h>
#include <kj/encoding.h>
#include <simdjson.h>

#include <cctype>
#include <cstring>
#include <map>
#include <string_view>
#include <vector>

#include "eventstore/validate.h"

namespace holdfast {
namespace {

// --- Encoding: Cap'n Proto's JSON codec, driven by event.capnp's annotations -------------
// It writes every string correctly: control characters as \u00XX (or \b \t \n \f \r), " and
// \ escaped, everything else (UTF-8, which validation guarantees) as it is.

using capnp::JsonValue;

// The codec's Handler interface has a decode half; EventFromJson below does all decoding.
#define HOLDFAST_NOT_DECODED KJ_FAIL_REQUIRE("events are decoded by EventFromJson")

class UuidHandler final : public capnp::JsonCodec::Handler<schema::Uuid> {
 public:
  void encode(const capnp::JsonCodec&, schema::Uuid::Reader input,
              JsonValue::Builder output) const override {
    output.setString(FormatUuid(ToUuid(input)));
  }
  void decode(const capnp::JsonCodec&, JsonValue::Reader, schema::Uuid::Builder) const override {
    HOLDFAST_NOT_DECODED;
  }
};

class TimestampHandler final : public capnp::JsonCodec::Handler<schema::Timestamp> {
 public:
  void encode(const capnp::JsonCodec&, schema::Timestamp::Reader input,
              JsonValue::Builder output) const override {
    output.setString(FormatRfc3339(input.getUnixNanos()));
  }
  void decode(const capnp::JsonCodec&, JsonValue::Reader,
              schema::Timestamp::Builder) const override {
    HOLDFAST_NOT_DECODED;
  }
};

class HlcHandler final : public capnp::JsonCodec::Handler<schema::Hlc> {
 public:
  void encode(const capnp::JsonCodec&, schema::Hlc::Reader input,
              JsonValue::Builder output) const override {
    output.setString(FormatHlc(input.getValue()));
  }
  void decode(const capnp::JsonCodec&, JsonValue::Reader, schema::Hlc::Builder) const override {
    HOLDFAST_NOT_DECODED;
  }
};

// seq and a basis's rank are plain JSON numbers (the codec's default for 64-bit integers is
// a string).
class SeqHandler final : public capnp::JsonCodec::Handler<uint64_t> {
 public:
  void encode(const capnp::JsonCodec&, uint64_t input, JsonValue::Builder output) const override {
    output.setNumber(static_cast<double>(input));
  }
  uint64_t decode(const capnp::JsonCodec&, JsonValue::Reader) const override {
    HOLDFAST_NOT_DECODED;
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
    json.addFieldHandler(capnp::Schema::from<schema::Basis>().getFieldByName("rank"), seq);
  }
};

// JsonCodec is not documented as thread-safe; one per thread costs nothing.
Codec& ThreadCodec() {
  thread_local Codec codec;
  return codec;
}

// --- Decoding: simdjson's DOM, then event.capnp walked with DynamicStruct builders --------

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// An event is a few hundred bytes; free text is at most 8 KiB a field. The parser keeps the
// capacity it grew to, so this also bounds what one thread holds.
constexpr size_t kMaxEventJsonBytes = 1 << 20;
// Seq and position are written as JSON numbers, which readers take as doubles.
constexpr uint64_t kMaxExactNumber = uint64_t{1} << 53;

Status Invalid(const std::string& path, const std::string& what) {
  return Status::InvalidArgument(path + ": " + what);
}

// Text from the line, fit to go in a one-line message: control characters escaped, cut
// (on a character boundary) after 64 bytes.
std::string Printable(std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  size_t n = text.size();
  const bool cut = n > 64;
  if (cut) {
    n = 64;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xc0) == 0x80) --n;
  }
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return cut ? out + "..." : out;
}

std::string Join(const std::string& path, std::string_view name) {
  return path.empty() ? Printable(name) : path + "." + Printable(name);
}

const char* KindOf(element v) {
  switch (v.type()) {
    case element_type::NULL_VALUE:
      return "null";
    case element_type::BOOL:
      return "a boolean";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "a number";
    case element_type::STRING:
      return "a string";
    case element_type::ARRAY:
      return "an array";
    case element_type::OBJECT:
      return "an object";
  }
  return "a value";
}

// What decoding needs of a struct's schema, worked out once per struct (walking a schema's
// annotations for every line of an import costs more than parsing the line).
struct StructInfo {
  struct FieldInfo {
    capnp::StructSchema::Field field;
    capnp::Type type;  // Field::getType() interprets the schema on every call
    std::string name;  // JSON name
    bool optional;
  };
  std::vector<FieldInfo> fields;  // schema order
  std::string expected;           // "a, b, c" for error messages

  const FieldInfo* Find(std::string_view name) const {
    for (const auto& f : fields) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }
};

const StructInfo& InfoOf(capnp::StructSchema schema) {
  thread_local std::map<uint64_t, StructInfo> cache;
  const uint64_t id = schema.getProto().getId();
  auto it = cache.find(id);
  if (it != cache.end()) return it->second;
  StructInfo info;
  for (auto f : schema.getNonUnionFields()) {
    info.fields.push_back({f, f.getType(), JsonNameOf(f), IsOptionalField(f)});
    info.expected += (info.expected.empty() ? "" : ", ") + info.fields.back().name;
  }
  return cache.emplace(id, std::move(info)).first->second;
}

// An enum's values by JSON name.
const std::map<std::string, capnp::EnumSchema::Enumerant, std::less<>>& EnumerantsOf(
    capnp::EnumSchema schema) {
  thread_local std::map<uint64_t, std::map<std::string, capnp::EnumSchema::Enumerant, std::less<>>>
      cache;
  const uint64_t id = schema.getProto().getId();
  auto it = cache.find(id);
  if (it != cache.end()) return it->second;
  std::map<std::string, capnp::EnumSchema::Enumerant, std::less<>> names;
  for (auto e : schema.getEnumerants()) names.emplace(JsonNameOf(e), e);
  return cache.emplace(id, std::move(names)).first->second;
}

Status DecodeStruct(const std::string& path, const StructInfo& info, element v,
                    capnp::DynamicStruct::Builder out);

// A field's JSON path, "data.reason", built only when there is an error to name it in.
struct Path {
  const std::string& parent;
  std::string_view name;
  operator std::string() const { return Join(parent, name); }  // NOLINT: implicit on purpose
};

Status Invalid(const Path& path, const std::string& what) {
  return Invalid(std::string(path), what);
}

// Decodes one JSON value into the schema field it is meant for.
Status DecodeField(const Path& path, capnp::StructSchema::Field field, capnp::Type type, element v,
                   capnp::DynamicStruct::Builder out) {
  static const auto kUuid = capnp::Schema::from<schema::Uuid>();
  static const auto kTimestamp = capnp::Schema::from<schema::Timestamp>();
  static const auto kHlc = capnp::Schema::from<schema::Hlc>();
  std::string_view text;
  const bool is_string = v.get_string().get(text) == simdjson::SUCCESS;
  switch (type.which()) {
    case capnp::schema::Type::TEXT: {
      if (!is_string) return Invalid(path, std::string("expected a string, got ") + KindOf(v));
      auto t = out.init(field, static_cast<unsigned>(text.size())).as<capnp::Text>();
      if (!text.empty()) std::memcpy(t.begin(), text.data(), text.size());
      return Status::Ok();  // UTF-8, NUL and length: ValidateEvent, for every way in
    }
    case capnp::schema::Type::BOOL: {
      bool b;
      if (v.get_bool().get(b) != simdjson::SUCCESS) {
        return Invalid(path, std::string("expected true or false, got ") + KindOf(v));
      }
      out.set(field, b);
      return Status::Ok();
    }
    case capnp::schema::Type::ENUM: {
      auto schema = type.asEnum();
      if (!is_string) return Invalid(path, "expected one of: " + AllowedValues(schema));
      const auto& names = EnumerantsOf(schema);
      auto it = names.find(text);
      if (it == names.end()) {
        return Invalid(
            path, "unknown value \"" + Printable(text) + "\"; allowed: " + AllowedValues(schema));
      }
      out.set(field, capnp::DynamicEnum(it->second));
      return Status::Ok();
    }
    case capnp::schema::Type::STRUCT: {
      auto s = type.asStruct();
      if (s == kUuid) {
        auto id = is_string ? ParseUuid(text) : std::nullopt;
        if (!id) return Invalid(path, "expected a UUID like 7f0c2a4e-5d1b-4c8e-9a51-2f7b9d0e6c13");
        SetUuid(out.init(field).as<schema::Uuid>(), *id);
        return Status::Ok();
      }
      if (s == kTimestamp) {
        auto t = is_string ? ParseRfc3339(text) : std::nullopt;
        if (!t) return Invalid(path, "expected an RFC 3339 UTC time like 2025-03-04T18:00:00Z");
        out.init(field).as<schema::Timestamp>().setUnixNanos(*t);
        return Status::Ok();
      }
      if (s == kHlc) {
        auto h = is_string ? ParseHlc(text) : std::nullopt;
        if (!h) return Invalid(path, "expected an HLC time like 2025-03-04T18:00:00.123Z/0");
        out.init(field).as<schema::Hlc>().setValue(*h);
        return Status::Ok();
      }
      return DecodeStruct(std::string(path), InfoOf(s), v,
                          out.init(field).as<capnp::DynamicStruct>());
    }
    case capnp::schema::Type::UINT64: {
      uint64_t n = 0;
      double d = 0;
      bool whole = v.get_uint64().get(n) == simdjson::SUCCESS;
      if (!whole && v.get_double().get(d) == simdjson::SUCCESS && d >= 1 &&
          d <= static_cast<double>(kMaxExactNumber) && d == static_cast<double>(uint64_t(d))) {
        n = static_cast<uint64_t>(d);
        whole = true;
      }
      if (!whole || n < 1 || n > kMaxExactNumber) {
        return Invalid(path, "expected a whole number of 1 or more");
      }
      out.set(field, n);
      return Status::Ok();
    }
    case capnp::schema::Type::DATA: {
      if (!is_string) return Invalid(path, "expected a base64 string");
      auto bytes = kj::decodeBase64(kj::ArrayPtr<const char>(text.data(), text.size()));
      if (bytes.hadErrors) return Invalid(path, "expected a base64 string");
      out.set(field, capnp::Data::Reader(bytes.begin(), bytes.size()));
      return Status::Ok();
    }
    default:
      return Invalid(path, "unsupported field type");
  }
}

// Decodes a JSON object into a struct: no unknown or repeated fields, none of the required
// ones missing.
Status DecodeStruct(const std::string& path, const StructInfo& info, element v,
                    capnp::DynamicStruct::Builder out) {
  object obj;
  if (v.get_object().get(obj) != simdjson::SUCCESS) return Invalid(path, "expected a JSON object");
  std::vector<bool> seen(info.fields.size(), false);
  for (auto [key, value] : obj) {
    const StructInfo::FieldInfo* f = info.Find(key);
    if (f == nullptr) return Invalid(Path{path, key}, "unknown field; expected: " + info.expected);
    const size_t index = static_cast<size_t>(f - info.fields.data());
    if (seen[index]) return Invalid(Path{path, key}, "appears twice");
    seen[index] = true;
    HOLDFAST_RETURN_IF_ERROR(DecodeField(Path{path, key}, f->field, f->type, value, out));
  }
  for (size_t i = 0; i < info.fields.size(); ++i) {
    if (!seen[i] && !info.fields[i].optional) {
      return Invalid(Join(path, info.fields[i].name), "missing (required)");
    }
  }
  return Status::Ok();
}

// The envelope's members, from event.capnp: Event's own fields, the fields of the
// $Json.flatten-ed provenance (all three or none), the "type"/"data" discriminator, and
// "position", which is the exporting node's and is ignored.
struct Envelope {
  enum Kind { kField, kProvenance, kType, kData, kPosition };
  struct Member {
    std::string name;
    Kind kind;
    capnp::StructSchema::Field field;  // for kField and kProvenance
    bool required;
    capnp::Type type = {};
  };
  std::vector<Member> members;
  std::string expected;  // the members an event has, for error messages
  capnp::StructSchema::Field provenance;
  int provenance_fields = 0;                       // all of them or none
  std::vector<capnp::StructSchema::Field> bodies;  // by discriminant

  Envelope() {
    constexpr uint64_t kFlattenAnnotationId = 0x82d3e852af0336bfull;  // capnp/compat/json.capnp
    auto event = capnp::Schema::from<schema::Event>();
    members.push_back({"type", kType, {}, true});
    for (auto f : event.getNonUnionFields()) {
      bool flattened = false;
      for (auto a : f.getProto().getAnnotations()) flattened |= a.getId() == kFlattenAnnotationId;
      if (!flattened) {
        members.push_back({JsonNameOf(f), kField, f, !IsOptionalField(f)});
        continue;
      }
      provenance = f;
      for (auto p : f.getType().asStruct().getFields()) {
        members.push_back({JsonNameOf(p), kProvenance, p, false});
        ++provenance_fields;
      }
    }
    members.push_back({"data", kData, {}, true});
    members.push_back({"position", kPosition, {}, false});
    for (auto& m : members) {
      if (m.kind == kField || m.kind == kProvenance) m.type = m.field.getType();
      if (m.required) expected += (expected.empty() ? "" : ", ") + m.name;
    }
    bodies.resize(event.getUnionFields().size());
    for (auto f : event.getUnionFields()) bodies.at(f.getProto().getDiscriminantValue()) = f;
  }
};

const Envelope& TheEnvelope() {
  static const Envelope envelope;
  return envelope;
}

Status DecodeEvent(object obj, schema::Event::Builder event) {
  static const std::string kTopLevel;
  const Envelope& envelope = TheEnvelope();
  // Every top-level key, placed before anything is built.
  std::vector<std::optional<element>> values(envelope.members.size());
  for (auto [key, value] : obj) {
    size_t i = 0;
    while (i < envelope.members.size() && envelope.members[i].name != key) ++i;
    if (i == envelope.members.size()) {
      return Invalid(Printable(key), "unknown field; an event has " + envelope.expected);
    }
    if (values[i]) return Invalid(Printable(key), "appears twice");
    values[i] = value;
  }
  int provenance_keys = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    const auto& m = envelope.members[i];
    if (m.required && !values[i]) return Invalid(m.name, "missing (required)");
    if (m.kind == Envelope::kProvenance && values[i]) ++provenance_keys;
  }
  capnp::DynamicStruct::Builder dyn(event);
  EventType type = EventType::CASE_OPENED;
  element data;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!values[i]) continue;
    const auto& m = envelope.members[i];
    const element v = *values[i];
    switch (m.kind) {
      case Envelope::kType: {
        std::string_view name;
        if (v.get_string().get(name) != simdjson::SUCCESS) {
          return Invalid("type", "expected a string");
        }
        if (!FindEventType(name, &type)) {
          std::string all;
          for (auto t : AllEventTypes()) {
            all += (all.empty() ? "" : ", ") + std::string(EventTypeName(t));
          }
          return Invalid("type", "unknown event type \"" + Printable(name) + "\"; known: " + all);
        }
        break;
      }
      case Envelope::kField:
        HOLDFAST_RETURN_IF_ERROR(DecodeField(Path{kTopLevel, m.name}, m.field, m.type, v, dyn));
        break;
      case Envelope::kProvenance:
        if (provenance_keys != envelope.provenance_fields) {
          return Invalid("origin",
                         "origin, seq and recorded_at go together: give all three or none");
        }
        HOLDFAST_RETURN_IF_ERROR(
            DecodeField(Path{kTopLevel, m.name}, m.field, m.type, v,
                        dyn.get(envelope.provenance).as<capnp::DynamicStruct>()));
        break;
      case Envelope::kPosition:
        if (!v.is_number()) return Invalid("position", "expected a number");
        break;
      case Envelope::kData:
        data = v;
        break;
    }
  }
  // The body: the union member named by "type".
  const auto body = envelope.bodies.at(static_cast<size_t>(type));
  return DecodeStruct("data", InfoOf(body.getType().asStruct()), data,
                      dyn.init(body).as<capnp::DynamicStruct>());
}

// --- Naming the field of a malformed string ------------------------------------------------
// simdjson refuses a document with a bad string escape, a lone surrogate, an unescaped
// control character or invalid UTF-8, but does not say where. This walks the JSON text
// (only on that error path) to find the first such string and the field that holds it.

class BadStringFinder {
 public:
  explicit BadStringFinder(std::string_view json) : s_(json) {}

  // "data.reason: lone surrogate ..." for the first malformed string or number; empty when
  // every string and number is well formed as far as the structure could be followed.
  std::string Find() {
    Value("", 0);
    return problem_;
  }

 private:
  bool Failed() const { return stopped_ || !problem_.empty(); }

  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }

  char Peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }

  void Value(const std::string& path, int depth) {
    SkipSpace();
    if (depth > 64 || i_ >= s_.size()) {
      stopped_ = true;
      return;
    }
    const char c = s_[i_];
    if (c == '{') {
      Object(path, depth);
    } else if (c == '[') {
      Array(path, depth);
    } else if (c == '"') {
      std::string ignored;
      String(path, &ignored);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      Number(path);
    } else {
      for (std::string_view word : {"true", "false", "null"}) {
        if (s_.substr(i_, word.size()) == word) {
          i_ += word.size();
          return;
        }
      }
      stopped_ = true;
    }
  }

  void Object(const std::string& path, int depth) {
    ++i_;  // {
    SkipSpace();
    if (Peek() == '}') {
      ++i_;
      return;
    }
    while (!Failed()) {
      SkipSpace();
      if (Peek() != '"') {
        stopped_ = true;
        return;
      }
      std::string key;
      String(path.empty() ? "a field name" : path + ": a field name", &key);
      key = Printable(key);
      if (Failed()) return;
      SkipSpace();
      if (Peek() != ':') {
        stopped_ = true;
        return;
      }
      ++i_;
      Value(Join(path, key), depth + 1);
      if (Failed()) return;
      SkipSpace();
      if (Peek() == ',') {
        ++i_;
      } else if (Peek() == '}') {
        ++i_;
        return;
      } else {
        stopped_ = true;
      }
    }
  }

  void Array(const std::string& path, int depth) {
    ++i_;  // [
    SkipSpace();
    if (Peek() == ']') {
      ++i_;
      return;
    }
    for (size_t n = 0; !Failed(); ++n) {
      Value(path + "[" + std::to_string(n) + "]", depth + 1);
      if (Failed()) return;
      SkipSpace();
      if (Peek() == ',') {
        ++i_;
      } else if (Peek() == ']') {
        ++i_;
        return;
      } else {
        stopped_ = true;
      }
    }
  }

  void Problem(const std::string& path, const std::string& what) {
    problem_ = (path.empty() ? std::string("the event") : path) + ": " + what;
  }

  static std::string Hex(unsigned value, int digits) {
    static const char kDigits[] = "0123456789abcdef";
    std::string out;
    for (int d = digits - 1; d >= 0; --d) out += kDigits[(value >> (4 * d)) & 0xf];
    return out;
  }

  // Four hex digits at s_[at]; -1 if there are not four.
  int HexQuad(size_t at) const {
    if (at + 4 > s_.size()) return -1;
    int v = 0;
    for (size_t k = at; k < at + 4; ++k) {
      const char c = s_[k];
      const int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    return v;
  }

  // A string from its opening quote; its raw text (escapes left as they are) goes to `raw`.
  void String(const std::string& path, std::string* raw) {
    const size_t start = ++i_;
    while (i_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        *raw = std::string(s_.substr(start, i_ - start));
        ++i_;
        return;
      }
      if (c == '\\') {
        const char e = i_ + 1 < s_.size() ? s_[i_ + 1] : '\0';
        if (std::strchr("\"\\/bfnrt", e) != nullptr && e != '\0') {
          i_ += 2;
          continue;
        }
        if (e != 'u') {
          const auto b = static_cast<unsigned char>(e);
          return Problem(
              path, std::string("invalid escape ") +
                        (b > 0x20 && b < 0x7f ? std::string("\"\\") + e + "\""
                                              : "(a backslash before byte 0x" + Hex(b, 2) + ")") +
                        "; JSON allows \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX "
                        "(write a backslash itself as \\\\)");
        }
        const int unit = HexQuad(i_ + 2);
        if (unit < 0) {
          return Problem(path, "invalid escape \"" +
                                   std::string(s_.substr(i_, std::min<size_t>(6, s_.size() - i_))) +
                                   "\": \\u takes exactly four hex digits");
        }
        const std::string lone = "lone surrogate \\u" + Hex(static_cast<unsigned>(unit), 4);
        if (unit >= 0xdc00 && unit <= 0xdfff) {
          return Problem(path, lone +
                                   " (a low surrogate must follow a high one, \\ud800 to "
                                   "\\udbff); write the character itself or its surrogate pair");
        }
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const int low = s_.substr(i_ + 6, 2) == "\\u" ? HexQuad(i_ + 8) : -1;
          if (low < 0xdc00 || low > 0xdfff) {
            return Problem(path, lone +
                                     " (a high surrogate must be followed by a low one, \\udc00 "
                                     "to \\udfff); write the character itself or its surrogate "
                                     "pair");
          }
          i_ += 12;
          continue;
        }
        i_ += 6;
        continue;
      }
      if (c < 0x20) {
        return Problem(path, "unescaped control character U+00" + Hex(c, 2) +
                                 " in a string; write it as \\u00" + Hex(c, 2));
      }
      if (c < 0x80) {
        ++i_;
        continue;
      }
      const size_t bad = FindInvalidUtf8(s_.substr(i_, std::min<size_t>(4, s_.size() - i_)));
      if (bad == 0) {
        return Problem(path, "not valid UTF-8 (byte 0x" +
                                 Hex(static_cast<unsigned char>(s_[i_]), 2) + " at byte " +
                                 std::to_string(i_ - start) +
                                 " of the string); save the file as UTF-8");
      }
      i_ += c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    }
    stopped_ = true;  // no closing quote
    Problem(path, "the string has no closing quote");
  }

  // JSON's number grammar, and integers a 64-bit reader can hold.
  void Number(const std::string& path) {
    const size_t start = i_;
    auto digits = [&] {
      const size_t from = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      return i_ - from;
    };
    bool ok = true;
    if (Peek() == '-') ++i_;
    const bool leading_zero = Peek() == '0';
    const size_t int_digits = digits();
    ok = int_digits > 0 && !(leading_zero && int_digits > 1);
    bool integer = true;
    if (ok && Peek() == '.') {
      ++i_;
      integer = false;
      ok = digits() > 0;
    }
    if (ok && (Peek() == 'e' || Peek() == 'E')) {
      ++i_;
      integer = false;
      if (Peek() == '+' || Peek() == '-') ++i_;
      ok = digits() > 0;
    }
    const std::string_view token = s_.substr(start, i_ - start);
    if (ok && integer &&
        (int_digits > 20 || (int_digits == 20 && token > "18446744073709551615"))) {
      return Problem(path, "the number " + std::string(token) + " is too large");
    }
    if (!ok) Problem(path, "not a valid JSON number");
  }

  std::string_view s_;
  size_t i_ = 0;
  bool stopped_ = false;  // the structure could not be followed further
  std::string problem_;
};

std::string DescribeParseError(std::string_view json, simdjson::error_code error) {
  if (error == simdjson::EMPTY) return "malformed JSON: the line holds no JSON object";
  if (json.substr(0, 3) == "\xef\xbb\xbf") {
    return "malformed JSON: the line begins with a byte order mark (U+FEFF); save the file as "
           "UTF-8 without one";
  }
  std::string where = BadStringFinder(json).Find();
  if (!where.empty()) return where;
  std::string why = simdjson::error_message(error);
  if (error == simdjson::TAPE_ERROR || error == simdjson::INCOMPLETE_ARRAY_OR_OBJECT) {
    why = "not a valid JSON object (check quotes, commas and braces)";
  } else if (!why.empty()) {
    why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
  }
  return "malformed JSON: " + why;
}

}  // namespace

Result<Event> EventFromJson(std::string_view json) {
  if (json.size() > kMaxEventJsonBytes) {
    return Status::InvalidArgument(
        "the event's JSON is " + std::to_string(json.size()) + " bytes; an event is at most " +
        std::to_string(kMaxEventJsonBytes) + " bytes (a free text field holds at most " +
        std::to_string(kMaxFreeTextBytes) + ")");
  }
  thread_local simdjson::dom::parser parser(kMaxEventJsonBytes);
  element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root)) {
    return Status::InvalidArgument(DescribeParseError(json, error));
  }
  object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) {
    return Status::InvalidArgument("malformed JSON: an event must be a JSON object");
  }
  Event event;
  try {
    HOLDFAST_RETURN_IF_ERROR(DecodeEvent(obj, event.builder()));
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

std::string StructToJson(capnp::DynamicStruct::Reader message) {
  kj::String text = ThreadCodec().json.encode(message);
  return std::string(text.cStr(), text.size());
}

}  // namespace holdfast
