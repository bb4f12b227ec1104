// Role rights (SPEC "Roles and rights"): a refused action exits non-zero with one line that
// says what the role may do, and writes nothing.
#include <catch2/catch.hpp>
#include <fstream>

#include "tests/daemon/harness.h"

namespace holdfast::test {
namespace {

// A node holding one open case, C-1.
struct NodeWithCase : StartedNode {
  NodeWithCase() {
    auto r = node.Cli({"case", "open", "--case", "C-1", "--subject", "P-1", "--order",
                       "community_order", "--risk", "medium", "--lead-agency", "probation-ce"},
                      "probation");
    if (r.exit != 0) throw std::runtime_error("case open failed: " + r.Describe());
  }
};

}  // namespace

TEST_CASE("a facilitator cannot open a case, and nothing is written", "[roles]") {
  NodeWithCase n;
  auto r = n.node.Cli({"case", "open", "--case", "C-2", "--subject", "P-2", "--order", "licence",
                       "--risk", "high", "--lead-agency", "probation-ce"},
                      "facilitator");
  INFO(r.Describe());
  CHECK(IsOneLineFailure(r));
  CHECK(Contains(r.err, "facilitator"));
  CHECK(Contains(r.err, "case.opened"));
  CHECK(n.node.Export().size() == 1);
  auto list = n.node.Cli({"case", "list", "--format", "csv"}, "probation");
  CHECK(!Contains(list.out, "C-2"));
}

TEST_CASE("police cannot record attendance, and nothing is written", "[roles]") {
  NodeWithCase n;
  auto r = n.node.Cli({"attendance", "record", "--case", "C-1", "--intervention", "I-1",
                       "--session", "S-1", "--outcome", "attended"},
                      "police");
  INFO(r.Describe());
  CHECK(IsOneLineFailure(r));
  CHECK(Contains(r.err, "police"));
  CHECK(Contains(r.err, "attendance.recorded"));
  CHECK(n.node.Export().size() == 1);
}

TEST_CASE("the operator records no case work", "[roles]") {
  NodeWithCase n;
  auto r = n.node.Cli({"breach", "report", "--case", "C-1", "--kind", "recall"}, "operator");
  INFO(r.Describe());
  CHECK(IsOneLineFailure(r));
  CHECK(n.node.Export().size() == 1);
}

TEST_CASE("a probation user cannot import, export, verify the store or list the audit", "[roles]") {
  NodeWithCase n;
  const std::string file = n.dir / "events.jsonl";
  WriteFile(file, AttendanceJson(TestUuid(0x40, 1), "C-1", "S-1") + "\n" +
                      AttendanceJson(TestUuid(0x40, 2), "C-1", "S-2") + "\n");
  const std::vector<std::vector<std::string>> operator_verbs = {
      {"import", "--file", file}, {"export"},         {"export", "--format", "capnp"},
      {"store", "verify"},        {"store", "stats"}, {"store", "backup", n.dir / "backup"},
      {"audit", "list"},
  };
  for (const auto& args : operator_verbs) {
    auto r = n.node.Cli(args, "probation", "po-7");
    INFO("holdfast " << args[0] << (args.size() > 1 ? " " + args[1] : "") << ": " << r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, "operator"));
    CHECK(r.out.empty());
  }
  CHECK(n.node.Export().size() == 1);
  CHECK(!std::ifstream(n.dir / "backup").good());
}

}  // namespace holdfast::test
