#include <algorithm>
#include <cstdio>
#include <ostream>

#include "cli/cli.h"

namespace holdfast::cli {

Table::Table(std::vector<std::string> columns, std::vector<bool> numeric)
    : columns_(std::move(columns)), numeric_(std::move(numeric)) {
  numeric_.resize(columns_.size(), false);
}

void Table::Add(std::vector<std::string> row) {
  row.resize(columns_.size());
  rows_.push_back(std::move(row));
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
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
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
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
  std::vector<size_t> width(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) width[c] = columns_[c].size();
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t c = 0; c < cells.size(); ++c) {
      std::string cell = cells[c];
      if (c + 1 < cells.size()) {
        cell.resize(width[c], ' ');
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
  for (const auto& row : rows_) line(row);
}

}  // namespace holdfast::cli
