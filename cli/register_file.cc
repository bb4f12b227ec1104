#include "cli/register_file.h"

#include <map>

#include "eventstore/validate.h"

namespace holdfast::cli {
namespace {

constexpr const char* kColumns[] = {"case", "intervention", "outcome", "reason", "concern"};

// CSV records (RFC 4180: fields in double quotes may hold commas, quotes doubled and line
// breaks), each with the line it starts on. A quote left open is an error naming its line.
struct CsvRecord {
  size_t line = 0;
  std::vector<std::string> fields;
};

Result<std::vector<CsvRecord>> ParseCsv(std::string_view text) {
  std::vector<CsvRecord> records;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a spreadsheet's BOM
  size_t line = 1, i = 0;
  while (i < text.size()) {
    CsvRecord r;
    r.line = line;
    std::string field;
    bool end_of_record = false;
    while (!end_of_record) {
      field.clear();
      if (i < text.size() && text[i] == '"') {
        ++i;
        for (;;) {
          if (i >= text.size()) {
            return Status::InvalidArgument("line " + std::to_string(r.line) +
                                           ": a quoted field is not closed (a \" is missing)");
          }
          const char c = text[i++];
          if (c == '"') {
            if (i < text.size() && text[i] == '"') {
              field += '"';
              ++i;
              continue;
            }
            break;
          }
          if (c == '\n') ++line;
          field += c;
        }
        if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          return Status::InvalidArgument("line " + std::to_string(line) +
                                         ": text after a closing quote; quote the whole field");
        }
      } else {
        while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          field += text[i++];
        }
      }
      r.fields.push_back(field);
      if (i < text.size() && text[i] == ',') {
        ++i;
        continue;
      }
      if (i < text.size() && text[i] == '\r') ++i;
      if (i < text.size() && text[i] == '\n') ++i;
      ++line;
      end_of_record = true;
    }
    const bool blank = r.fields.size() == 1 && r.fields[0].empty();
    if (!blank) records.push_back(std::move(r));
  }
  return records;
}

std::string Trimmed(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::optional<bool> ParseConcern(const std::string& text) {
  std::string t;
  for (char c : text) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t.empty() || t == "false" || t == "no" || t == "0" || t == "n") return false;
  if (t == "true" || t == "yes" || t == "1" || t == "y") return true;
  return std::nullopt;
}

}  // namespace

Result<std::vector<Attendee>> ParseRegister(std::string_view text, const std::string& path) {
  auto records = ParseCsv(text);
  if (!records.ok()) return Status::InvalidArgument(path + ": " + records.status().message());
  if (records->empty()) {
    return Status::InvalidArgument(path +
                                   ": empty: a register has a header row "
                                   "(case,intervention,outcome,reason,concern) and a row per "
                                   "attendee");
  }
  // The header names the columns, in any order; case, intervention and outcome are required.
  std::map<std::string, size_t> column;
  const CsvRecord& header = records->front();
  for (size_t c = 0; c < header.fields.size(); ++c) {
    const std::string name = Trimmed(header.fields[c]);
    bool known = false;
    for (const char* k : kColumns) known = known || name == k;
    if (!known || column.count(name)) {
      return Status::InvalidArgument(
          path + ": line " + std::to_string(header.line) + ": column \"" + name + "\" is " +
          (known ? "named twice" : "not one of case, intervention, outcome, reason, concern") +
          "; the first row names the columns: case,intervention,outcome,reason,concern");
    }
    column[name] = c;
  }
  for (const char* required : {"case", "intervention", "outcome"}) {
    if (!column.count(required)) {
      return Status::InvalidArgument(path + ": line " + std::to_string(header.line) +
                                     ": no column \"" + required +
                                     "\"; the first row names the columns: "
                                     "case,intervention,outcome,reason,concern");
    }
  }
  std::vector<Attendee> out;
  for (size_t r = 1; r < records->size(); ++r) {
    const CsvRecord& rec = (*records)[r];
    Attendee a;
    a.label = "line " + std::to_string(rec.line);
    if (rec.fields.size() != header.fields.size()) {
      a.problem = std::to_string(rec.fields.size()) + " fields, the header has " +
                  std::to_string(header.fields.size()) + " (quote a field that holds a comma)";
    }
    for (const auto& f : rec.fields) {
      if (a.problem.empty() && FindInvalidUtf8(f) != std::string::npos) {
        a.problem = "not valid UTF-8 text: save the file as UTF-8";
      }
    }
    auto get = [&](const char* name) {
      auto it = column.find(name);
      return it == column.end() || it->second >= rec.fields.size() ? std::string()
                                                                   : rec.fields[it->second];
    };
    if (a.problem.empty()) {
      a.case_id = Trimmed(get("case"));
      a.intervention = Trimmed(get("intervention"));
      a.outcome = Trimmed(get("outcome"));
      a.reason = get("reason");
      auto concern = ParseConcern(Trimmed(get("concern")));
      if (!concern) {
        a.problem = "concern: \"" + get("concern") + "\" is not true or false (or empty)";
      } else {
        a.concern = *concern;
      }
    }
    out.push_back(std::move(a));
  }
  if (out.empty()) {
    return Status::InvalidArgument(path +
                                   ": no attendees after the header row (a session without "
                                   "attendees is `holdfast session log`)");
  }
  return out;
}

}  // namespace holdfast::cli
