// ParseRegister (cli/register_file.h) on arbitrary file contents: the CSV file a facilitator
// gives `holdfast session register --file`, from a spreadsheet or typed by hand.
//
// Promises checked beyond "no crash, no leak, no undefined behaviour":
// - a refusal is InvalidArgument with a one-line message naming the file;
// - an accepted register has at least one attendee, each labelled "line N", and a row with
//   no problem holds valid UTF-8 in every field (invalid text is named, never passed on).
#include <cstdint>
#include <string>

#include "cli/register_file.h"
#include "eventstore/validate.h"
#include "tests/fuzz/fuzz_support.h"

using namespace holdfast;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = cli::ParseRegister(text, "register.csv");
  if (!parsed.ok()) {
    fuzz::Require(parsed.status().code() == Status::Code::kInvalidArgument,
                  "a refusal that is not InvalidArgument: " + parsed.status().ToString());
    const std::string& m = parsed.status().message();
    fuzz::Require(m.find('\n') == std::string::npos, "a refusal of more than one line: " + m);
    fuzz::Require(m.rfind("register.csv: ", 0) == 0, "a refusal that does not name the file: " + m);
    return 0;
  }
  fuzz::Require(!parsed->empty(), "a register accepted with no attendee");
  for (const auto& a : *parsed) {
    fuzz::Require(a.label.rfind("line ", 0) == 0, "an attendee labelled " + a.label);
    if (!a.problem.empty()) continue;
    for (const std::string* f : {&a.case_id, &a.intervention, &a.outcome, &a.reason}) {
      fuzz::Require(FindInvalidUtf8(*f) == std::string::npos,
                    "invalid UTF-8 passed on in " + a.label);
    }
  }
  return 0;
}
