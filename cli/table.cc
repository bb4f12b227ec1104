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

void Table::Add(std::vector<std::string> row, std::vector<bool> withheld) {
  row.resize(columns_.size());
  rows_.push_back(std::move(row));
  withheld_.push_back(std::move(withheld));
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

RowWriter::RowWriter(std::vector<std::string> columns, std::vector<bool> numeric,
                     std::string format, std::ostream& out, size_t width_rows)
    : columns_(std::move(columns)),
      numeric_(std::move(numeric)),
      format_(std::move(format)),
      out_(out),
      width_rows_(width_rows) {
  numeric_.resize(columns_.size(), false);
}

void RowWriter::Add(std::vector<std::string> row, std::vector<bool> withheld) {
  row.resize(columns_.size());
  withheld.resize(columns_.size(), false);
  for (size_t c = 0; c < row.size(); ++c) {
    if (withheld[c]) row[c] = format_ == "table" ? "-" : "";
  }
  if (format_ != "json" && format_ != "csv") {
    // For a terminal: a cell (a note, a name, an audited value) must not be able to move the
    // cursor, retitle the window or clear the screen, so control characters and stray bytes
    // are shown escaped.
    for (auto& cell : row) cell = EscapeControls(cell);
  }
  if (format_ == "table" && !started_) {
    held_.push_back(std::move(row));
    if (held_.size() >= width_rows_) Start();
    return;
  }
  Start();
  Print(row, withheld);
}

void RowWriter::Finish() {
  Start();
  if (format_ == "json") out_ << "]\n";
}

// Prints the header (and, for a table, the rows held to size its columns).
void RowWriter::Start() {
  if (started_) return;
  started_ = true;
  if (format_ == "json") {
    out_ << "[";
    return;
  }
  if (format_ == "csv") {
    for (size_t c = 0; c < columns_.size(); ++c) out_ << (c ? "," : "") << CsvField(columns_[c]);
    out_ << "\n";
    return;
  }
  width_.resize(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) width_[c] = DisplayWidth(columns_[c]);
  for (const auto& row : held_) {
    for (size_t c = 0; c < row.size(); ++c) width_[c] = std::max(width_[c], DisplayWidth(row[c]));
  }
  Line(columns_);
  std::vector<std::string> rule;
  for (size_t w : width_) rule.push_back(std::string(w, '-'));
  Line(rule);
  auto held = std::move(held_);
  held_.clear();
  for (const auto& row : held) Print(row, {});
}

void RowWriter::Print(const std::vector<std::string>& row, const std::vector<bool>& withheld) {
  if (format_ == "json") {
    out_ << (rows_ ? ",\n " : "") << "{";
    bool first = true;
    for (size_t c = 0; c < columns_.size(); ++c) {
      if (c < withheld.size() && withheld[c]) continue;  // absent: not an empty value
      const std::string& v = row[c];
      out_ << (first ? "" : ",") << JsonString(columns_[c]) << ":"
           << (numeric_[c] ? (v.empty() ? "null" : v) : JsonString(v));
      first = false;
    }
    out_ << "}";
  } else if (format_ == "csv") {
    for (size_t c = 0; c < row.size(); ++c) out_ << (c ? "," : "") << CsvField(row[c]);
    out_ << "\n";
  } else {
    Line(row);
  }
  ++rows_;
}

void RowWriter::Line(const std::vector<std::string>& cells) {
  std::string text;
  for (size_t c = 0; c < cells.size(); ++c) {
    std::string cell = cells[c];
    if (c + 1 < cells.size()) {
      cell.append(width_[c] - std::min(width_[c], DisplayWidth(cell)), ' ');
      cell += "  ";
    }
    text += cell;
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  out_ << text << "\n";
}

void Table::Print(const std::string& format, std::ostream& out) const {
  RowWriter writer(columns_, numeric_, format, out, rows_.size() + 1);
  for (size_t i = 0; i < rows_.size(); ++i) writer.Add(rows_[i], withheld_[i]);
  writer.Finish();
}

}  // namespace holdfast::cli
