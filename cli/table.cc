#include <algorithm>
#include <cstdio>
#include <ostream>

#include "cli/cli.h"
#include "daemon/safe_text.h"

namespace holdfast::cli {

Table::Table(std::vector<std::string> columns, std::vector<bool> numeric)
    : columns_(std::move(columns)), numeric_(std::move(numeric)) {
  numeric_.resize(columns_.size(), false);
}

void Table::Add(std::vector<std::string> row) {
  row.resize(columns_.size());
  rows_.push_back(std::move(row));
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

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void Table::Print(const std::string& format, std::ostream& out) const {
  if (format == "json") {
    out << "[";
    for (size_t r = 0; r < rows_.size(); ++r) {
      out << (r ? ",\n " : "") << "{";
      for (size_t c = 0; c < columns_.size(); ++c) {
        const std::string& v = rows_[r][c];
        out << (c ? "," : "") << JsonString(columns_[c]) << ":"
            << (numeric_[c] ? (v.empty() ? "null" : v) : JsonString(v));
      }
      out << "}";
    }
    out << "]\n";
    return;
  }
  if (format == "csv") {
    for (size_t c = 0; c < columns_.size(); ++c) out << (c ? "," : "") << CsvField(columns_[c]);
    out << "\n";
    for (const auto& row : rows_) {
      for (size_t c = 0; c < row.size(); ++c) out << (c ? "," : "") << CsvField(row[c]);
      out << "\n";
    }
    return;
  }
  // For a terminal: a cell (a note, a name, an audited value) must not be able to move the
  // cursor, retitle the window or clear the screen, so control characters and stray bytes
  // are shown escaped.
  std::vector<std::vector<std::string>> shown;
  shown.reserve(rows_.size());
  for (const auto& row : rows_) {
    shown.emplace_back();
    for (const auto& cell : row) shown.back().push_back(EscapeControls(cell));
  }
  std::vector<size_t> width(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) width[c] = DisplayWidth(columns_[c]);
  for (const auto& row : shown) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], DisplayWidth(row[c]));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t c = 0; c < cells.size(); ++c) {
      std::string cell = cells[c];
      if (c + 1 < cells.size()) {
        cell.append(width[c] - std::min(width[c], DisplayWidth(cell)), ' ');
        cell += "  ";
      }
      text += cell;
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << "\n";
  };
  line(columns_);
  std::vector<std::string> rule;
  for (size_t w : width) rule.push_back(std::string(w, '-'));
  line(rule);
  for (const auto& row : shown) line(row);
}

}  // namespace holdfast::cli
