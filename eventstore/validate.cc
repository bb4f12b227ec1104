#include "eventstore/validate.h"

#include <capnp/dynamic.h>

#include <map>
#include <mutex>
#include <vector>

#include "eventstore/event.h"

namespace holdfast {
namespace {

template <typename Annotated>
bool HasAnnotation(Annotated proto, uint64_t id) {
  for (auto ann : proto.getAnnotations()) {
    if (ann.getId() == id) return true;
  }
  return false;
}

template <typename Annotated>
std::string JsonNameFromProto(Annotated proto) {
  for (auto ann : proto.getAnnotations()) {
    if (ann.getId() == kJsonNameAnnotationId) return ann.getValue().getText();
  }
  return proto.getName();
}

Status Invalid(const std::string& path, const std::string& what) {
  return Status::InvalidArgument(path + ": " + what);
}

// UTF-8 without U+0000: what every Text field must hold, whichever way the event came in
// (a CLI argument, an import, a peer). The message names the byte, never the text.
Status CheckEncoding(const std::string& path, std::string_view text) {
  const size_t bad = FindInvalidUtf8(text);
  if (bad != std::string_view::npos) {
    static const char kHex[] = "0123456789abcdef";
    const auto b = static_cast<unsigned char>(text[bad]);
    return Invalid(path, std::string("not valid UTF-8 (byte 0x") + kHex[b >> 4] + kHex[b & 0xf] +
                             " at byte " + std::to_string(bad) + "); text must be UTF-8");
  }
  if (text.find('\0') != std::string_view::npos) {
    return Invalid(path, "holds a NUL character (U+0000), which text may not contain");
  }
  return Status::Ok();
}

Status CheckText(const std::string& path, capnp::Text::Reader reader, bool free_text) {
  const std::string_view text(reader.begin(), reader.size());
  HOLDFAST_RETURN_IF_ERROR(CheckEncoding(path, text));
  if (free_text) {
    if (text.size() > kMaxFreeTextBytes) {
      return Invalid(path, "longer than " + std::to_string(kMaxFreeTextBytes) + " bytes");
    }
    return Status::Ok();
  }
  if (!IsIdentifier(text)) {
    return Invalid(path, "not a valid identifier (1 to 128 characters, no spaces)");
  }
  return Status::Ok();
}

Status CheckEnum(const std::string& path, capnp::DynamicEnum value) {
  if (value.getEnumerant() == nullptr) {
    return Invalid(path, "unknown value " + std::to_string(value.getRaw()) +
                             "; allowed: " + AllowedValues(value.getSchema()));
  }
  return Status::Ok();
}

// What validation needs of each field, read from the schema's annotations once per struct
// type (events are validated on every append; annotation scans are not cheap).
struct FieldInfo {
  capnp::StructSchema::Field field;
  capnp::Type type;  // Field::getType() interprets the schema on every call
  std::string json_name;
  bool optional, free_text;
};

const std::vector<FieldInfo>& FieldsOf(capnp::StructSchema schema) {
  static std::mutex mu;
  static std::map<uint64_t, std::vector<FieldInfo>> cache;
  std::lock_guard<std::mutex> l(mu);
  auto& fields = cache[schema.getProto().getId()];
  if (fields.empty()) {
    for (auto f : schema.getNonUnionFields()) {
      fields.push_back({f, f.getType(), JsonNameOf(f), IsOptionalField(f), IsFreeTextField(f)});
    }
  }
  return fields;
}

// Checks every field of a struct against its schema annotations.
Status CheckStruct(const std::string& path, capnp::DynamicStruct::Reader s) {
  static const auto kUuid = capnp::Schema::from<schema::Uuid>();
  // The one struct a body holds besides ids: checked field by field as the body is.
  static const auto kBasis = capnp::Schema::from<schema::Basis>();
  for (const FieldInfo& info : FieldsOf(s.getSchema())) {
    const auto& field = info.field;
    auto fpath = [&] { return path + "." + info.json_name; };  // built only on error
    const auto& type = info.type;
    switch (type.which()) {
      case capnp::schema::Type::TEXT:
        if (!s.has(field) || s.get(field).as<capnp::Text>().size() == 0) {
          if (!info.optional) return Invalid(fpath(), "missing (required)");
          break;
        }
        if (Status t = CheckText("", s.get(field).as<capnp::Text>(), info.free_text); !t.ok()) {
          return Status::InvalidArgument(fpath() + t.message());
        }
        break;
      case capnp::schema::Type::ENUM: {
        auto value = s.get(field).as<capnp::DynamicEnum>();
        if (value.getEnumerant() == nullptr) return CheckEnum(fpath(), value);
        break;
      }
      case capnp::schema::Type::STRUCT:
        if (!s.has(field)) {
          if (!info.optional) return Invalid(fpath(), "missing (required)");
          break;
        }
        if (type.asStruct() == kUuid) {
          if (ToUuid(s.get(field).as<schema::Uuid>()).IsNil()) {
            return Invalid(fpath(), "nil UUID is not a valid id");
          }
        } else if (type.asStruct() == kBasis) {
          HOLDFAST_RETURN_IF_ERROR(CheckStruct(fpath(), s.get(field).as<capnp::DynamicStruct>()));
        }
        break;
      case capnp::schema::Type::UINT64: {
        // As JSON holds them exactly (a double): 1 to 2^53.
        const uint64_t n = s.get(field).as<uint64_t>();
        if (n < 1 || n > (uint64_t{1} << 53)) {
          return Invalid(fpath(), "expected a whole number of 1 or more (at most 2^53)");
        }
        break;
      }
      default:
        break;  // bools and numbers always hold a value
    }
  }
  return Status::Ok();
}

}  // namespace

bool IsIdentifier(std::string_view text) {
  if (text.empty() || text.size() > 128) return false;
  for (unsigned char c : text) {
    if (c <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

size_t Utf8SequenceAt(std::string_view text, size_t at) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[at + k]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t n;
  unsigned char low = 0x80, high = 0xbf;  // the allowed range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    n = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    n = 3;
    if (lead == 0xe0) low = 0xa0;   // overlong
    if (lead == 0xed) high = 0x9f;  // surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    n = 4;
    if (lead == 0xf0) low = 0x90;   // overlong
    if (lead == 0xf4) high = 0x8f;  // above U+10FFFF
  } else {
    return 0;  // a continuation byte, an overlong two-byte lead, or 0xf5-0xff
  }
  if (text.size() - at < n) return 0;
  if (byte(1) < low || byte(1) > high) return 0;
  for (size_t k = 2; k < n; ++k) {
    if ((byte(k) & 0xc0) != 0x80) return 0;
  }
  return n;
}

size_t FindInvalidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {  // the usual case, without a call
      ++i;
      continue;
    }
    const size_t n = Utf8SequenceAt(text, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

std::string JsonNameOf(capnp::StructSchema::Field field) {
  return JsonNameFromProto(field.getProto());
}

std::string JsonNameOf(capnp::EnumSchema::Enumerant enumerant) {
  return JsonNameFromProto(enumerant.getProto());
}

bool IsOptionalField(capnp::StructSchema::Field field) {
  return HasAnnotation(field.getProto(), kOptionalAnnotationId);
}

bool IsFreeTextField(capnp::StructSchema::Field field) {
  return HasAnnotation(field.getProto(), kFreeTextAnnotationId);
}

std::string AllowedValues(capnp::EnumSchema schema) {
  std::string out;
  for (auto e : schema.getEnumerants()) {
    if (!out.empty()) out += ", ";
    out += JsonNameOf(e);
  }
  return out;
}

Status ValidateEvent(schema::Event::Reader event) {
  try {
    if (!event.hasId() || ToUuid(event.getId()).IsNil()) return Invalid("id", "missing");
    if (!event.hasOccurredAt()) return Invalid("occurred_at", "missing");
    if (event.getOccurredAt().getUnixNanos() < 0) return Invalid("occurred_at", "before 1970");
    if (!event.hasAuthor()) return Invalid("author", "missing");
    HOLDFAST_RETURN_IF_ERROR(
        CheckStruct("author", capnp::DynamicStruct::Reader(event.getAuthor())));
    if (event.hasProvenance()) {
      auto p = event.getProvenance();
      const std::string_view origin(p.getOrigin().begin(), p.getOrigin().size());
      HOLDFAST_RETURN_IF_ERROR(CheckEncoding("origin", origin));
      if (!IsIdentifier(origin)) return Invalid("origin", "not a valid node id");
      if (p.getSeq() == 0) return Invalid("seq", "must be 1 or more");
      if (!p.hasRecordedAt()) return Invalid("recorded_at", "missing");
      try {  // read here, so the store never meets one it cannot read
        (void)p.getRecordedAt().getValue();
      } catch (const kj::Exception&) {
        return Invalid("recorded_at", "not an HLC time");
      }
    }
    capnp::DynamicStruct::Reader dyn(event);
    KJ_IF_MAYBE (field, dyn.which()) {
      std::string type_name(EventTypeName(event.which()));
      Status s = CheckStruct("data", dyn.get(*field).as<capnp::DynamicStruct>());
      if (!s.ok()) return Status::InvalidArgument(s.message() + " (in " + type_name + ")");
      return Status::Ok();
    }
    return Invalid("type",
                   "unknown event type " + std::to_string(static_cast<unsigned>(event.which())));
  } catch (const kj::Exception& ex) {
    return Status::InvalidArgument(std::string("malformed event: ") + ex.getDescription().cStr());
  }
}

}  // namespace holdfast
