// The CLI's rough edges (issue 14): help for a group of verbs, bad option values the daemon
// refuses exiting 2, switches never marked required, and tables aligned by display width.
#include <catch2/catch.hpp>
#include <map>
#include <set>

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

// The terminal columns of UTF-8 `text`, for the names these tests use: CJK ideographs take
// two, combining diacritics none, everything else one.
size_t Columns(const std::string& text) {
  size_t columns = 0;
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t n = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
    char32_t c = n == 1 ? lead : lead & (0xff >> (n + 1));
    for (size_t k = 1; k < n; ++k) c = c << 6 | (static_cast<unsigned char>(text[i + k]) & 0x3f);
    columns += (c >= 0x4e00 && c <= 0x9fff) ? 2 : (c >= 0x300 && c <= 0x36f) ? 0 : 1;
    i += n;
  }
  return columns;
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
    "a value holdfastd refuses on a read's command line exits 2, one line, and a refused "
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

TEST_CASE("table columns line up on names with accents, combining marks and CJK", "[cli]") {
  StartedNode n;
  const std::vector<std::string> subjects = {
      "P-17", "Zo\xc3\xab", "Zoe\xcc\x88", "\xc5\x81ukasz",
      "\xe7\x8e\x8b\xe5\xb0\x8f\xe6\x98\x8e"};  // P-17, Zoë, Zoë (e + U+0308), Łukasz, 王小明
  for (size_t i = 0; i < subjects.size(); ++i) {
    Ok(n.node,
       {"case", "open", "--case", "C-" + std::to_string(i), "--subject", subjects[i], "--order",
        "licence", "--risk", "medium", "--lead-agency", "probation-ce", "--at",
        "2026-01-05T09:00:00Z"},
       "probation");
  }
  auto table = Ok(n.node, {"case", "list"}, "probation").out;
  INFO(table);
  // Where the "order" column starts, in terminal columns, on the header and on every row.
  std::set<size_t> starts;
  for (const auto& line : Lines(table)) {
    const size_t header = line.find("order");
    const size_t value = line.find("licence");
    const size_t at = header != std::string::npos ? header : value;
    if (at != std::string::npos) starts.insert(Columns(line.substr(0, at)));
  }
  CHECK(starts.size() == 1);
}

}  // namespace holdfast::test
