// The CLI's rough edges (issue 14): help for a group of verbs, bad option values the daemon
// refuses exiting 2, switches never marked required, and tables aligned by display width.
#include <catch2/catch.hpp>
#include <map>

#include "tests/daemon/harness.h"

namespace holdfast::test {
namespace {

// The verb names `holdfast --help` lists ("case open", ...).
std::vector<std::string> ListedVerbs() {
  auto overview = Holdfast({"--help"});
  REQUIRE(overview.exit == 0);
  std::vector<std::string> verbs;
  bool in_list = false;
  for (const auto& line : Lines(overview.out)) {
    if (line == "Verbs:") {
      in_list = true;
      continue;
    }
    if (!in_list) continue;
    if (line.rfind("  ", 0) != 0) break;  // the list ends at its blank line
    // "  case open      Open a case ...": the name ends at the first run of two spaces.
    const std::string rest = line.substr(2);
    verbs.push_back(rest.substr(0, rest.find("  ")));
  }
  return verbs;
}

}  // namespace

TEST_CASE("help GROUP lists every verb of the group, for every group", "[cli]") {
  const auto verbs = ListedVerbs();
  REQUIRE(verbs.size() > 20);
  std::map<std::string, std::vector<std::string>> groups;
  for (const auto& verb : verbs) {
    const size_t space = verb.find(' ');
    if (space != std::string::npos) groups[verb.substr(0, space)].push_back(verb);
  }
  REQUIRE(groups.count("case"));
  REQUIRE(groups.count("intervention"));
  REQUIRE(groups.count("alerts"));
  for (const auto& [group, members] : groups) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"help", group}, std::vector<std::string>{group, "--help"}}) {
      auto help = Holdfast(args);
      INFO(group << ": " << help.Describe());
      CHECK(help.exit == 0);
      for (const auto& verb : members) CHECK(Contains(help.out, "  " + verb + "  "));
      // Nothing of another group.
      for (const auto& verb : verbs) {
        if (verb.rfind(group + " ", 0) != 0) CHECK(!Contains(help.out, "  " + verb + "  "));
      }
    }
  }
  // A word that is no group is still an unknown command, and a verb's own help unchanged.
  auto unknown = Holdfast({"help", "cases"});
  CHECK(unknown.exit == 2);
  CHECK(Contains(unknown.err, "unknown command \"cases\""));
  CHECK(Contains(Holdfast({"help", "case", "open"}).out, "--lead-agency"));
}

TEST_CASE(
    "a value holdfastd refuses on a read's command line exits 2, one line; a refused "
    "append still exits 1",
    "[cli]") {
  StartedNode n;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"alerts", "list", "--status", "opne"},
        std::vector<std::string>{"alerts", "list", "--rule", "late"},
        std::vector<std::string>{"alerts", "list", "--after", "not-a-cursor"},
        std::vector<std::string>{"report", "indicators", "--from", "2026-02-01", "--to",
                                 "2026-01-01"}}) {
    auto r = n.node.Cli(args, "probation");
    INFO(r.Describe());
    CHECK(r.exit == 2);
    CHECK(IsOneLineFailure(r));
  }
  auto verb = n.node.Cli({"audit", "list", "--verb", "no-such-verb"}, "operator");
  CHECK(verb.exit == 2);
  CHECK(Contains(verb.err, "--verb: \"no-such-verb\""));
  // The action refused, not the command line: one id for two different events.
  const std::string id = TestUuid(14, 1);
  auto open = [&](const std::string& case_id) {
    return n.node.Cli({"case", "open", "--case", case_id, "--subject", "P-1", "--order", "licence",
                       "--risk", "medium", "--lead-agency", "probation-ce", "--id", id},
                      "probation");
  };
  REQUIRE(open("C-1").exit == 0);
  auto clash = open("C-2");
  INFO(clash.Describe());
  CHECK(clash.exit == 1);
}

TEST_CASE("a switch is never marked required, and the usage shows it optional", "[cli]") {
  auto help = Holdfast({"help", "incident", "report"});
  REQUIRE(help.exit == 0);
  CHECK(Contains(help.out, "[--crime]"));
  for (const auto& line : Lines(help.out)) {
    if (Contains(line, "--crime ")) CHECK(!Contains(line, "(required)"));
  }
  // No verb's switch says "(required)": a switch left out records no.
  for (const auto& verb : ListedVerbs()) {
    std::vector<std::string> args = {"help"};
    for (size_t b = 0, e; b <= verb.size(); b = e + 1) {
      e = verb.find(' ', b);
      if (e == std::string::npos) e = verb.size();
      args.push_back(verb.substr(b, e - b));
    }
    for (const auto& line : Lines(Holdfast(args).out)) {
      INFO(verb << ": " << line);
      if (Contains(line, "a switch")) CHECK(!Contains(line, "(required)"));
    }
  }
  StartedNode n;
  Ok(n.node,
     {"incident", "report", "--subject", "P-1", "--incident", "INC-1", "--category",
      "domestic_abuse"},
     "police");
}

}  // namespace holdfast::test
