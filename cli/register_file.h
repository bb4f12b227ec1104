// A session register's CSV file (`holdfast session register --file`): columns
// case,intervention,outcome,reason,concern named by a header row in any order (case,
// intervention and outcome required), RFC 4180 quoting (fields in double quotes may hold
// commas, doubled quotes and line breaks), a spreadsheet's byte-order mark and Windows line
// ends accepted, blank lines skipped. Plain code over bytes a person supplies: fuzzed
// (tests/fuzz/fuzz_register_csv.cc).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "eventstore/status.h"

namespace holdfast::cli {

// One attendee: where it came from ("line 4", "--attendee 2") and its fields.
struct Attendee {
  std::string label;
  std::string case_id, intervention, outcome, reason;
  bool concern = false;
  std::string problem;  // what is wrong with the row as read ("": nothing yet)
};

// The attendees of a register's text. A file that cannot be read as a register at all (a
// quote left open, a bad header, no rows) is an error naming `path` and the line; a row that
// is wrong (field count, invalid UTF-8, a bad concern) comes back with its `problem` set, so
// that every bad row is named in the one refusal.
Result<std::vector<Attendee>> ParseRegister(std::string_view text, const std::string& path);

}  // namespace holdfast::cli
