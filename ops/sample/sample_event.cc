#include "ops/sample/sample_event.h"

namespace holdfast::sample {
namespace {

struct TypeRoute {
  std::string_view name;
  Agency agency;
};

// Indexed by SampleType.
constexpr TypeRoute kRoutes[] = {
    {"case.opened", Agency::kProbation},         {"case.risk_changed", Agency::kProbation},
    {"case.closed", Agency::kProbation},         {"intervention.referred", Agency::kProbation},
    {"intervention.started", Agency::kProvider}, {"intervention.completed", Agency::kProbation},
    {"intervention.exited", Agency::kProbation}, {"session.held", Agency::kProvider},
    {"attendance.recorded", Agency::kProvider},  {"breach.reported", Agency::kProbation},
    {"incident.reported", Agency::kPolice},
};

struct AuthorOf {
  std::string_view role;
  std::string_view agency_id;
};

// Indexed by Agency.
constexpr AuthorOf kAuthors[] = {
    {"probation", "probation-ce"},
    {"facilitator", "provider-ce"},
    {"police", "police-ce"},
};

void AppendJsonString(std::string* out, std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  bool plain = true;
  for (char c : text)
    plain = plain && c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20;
  if (plain) {
    out->append(text);
    out->push_back('"');
    return;
  }
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[(c >> 4) & 0xf]);
      out->push_back(kHex[c & 0xf]);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

}  // namespace

const Uuid kSampleNamespace{0x3d1c6e0a9b7f4c52ull, 0x8e4a2f61c0d95b37ull};

std::string_view TypeName(SampleType type) { return kRoutes[static_cast<int>(type)].name; }

Agency AgencyOf(SampleType type) { return kRoutes[static_cast<int>(type)].agency; }

std::string EventJson(const SampleEvent& event) {
  const AuthorOf& author = kAuthors[static_cast<int>(AgencyOf(event.type))];
  std::string out;
  out.reserve(320);
  out += R"({"id":")";
  out += FormatUuid(NameUuid(kSampleNamespace, event.id_name));
  out += R"(","occurred_at":")";
  out += FormatRfc3339(event.at * 1000000000);
  out += R"(","author":{"user":)";
  AppendJsonString(&out, event.user);
  out += R"(,"role":")";
  out += author.role;
  out += R"(","agency":")";
  out += author.agency_id;
  out += R"("},"type":")";
  out += TypeName(event.type);
  out += R"(","data":{)";
  bool first = true;
  for (const DataField& field : event.data) {
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(&out, field.key);
    out.push_back(':');
    if (field.is_flag) {
      out += field.value;
    } else {
      AppendJsonString(&out, field.value);
    }
  }
  out += "}}";
  return out;
}

}  // namespace holdfast::sample
