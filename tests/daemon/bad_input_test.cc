// Bad input, one case at a time: each is refused with a non-zero exit and one line on stderr
// that names what was wrong and how to fix it, and nothing is written.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>

#include "tests/daemon/harness.h"

namespace holdfast::test {
namespace {

void OpenCase(const Node& node, const std::string& case_id) {
  auto r = node.Cli({"case", "open", "--case", case_id, "--subject", "P-1", "--order", "licence",
                     "--risk", "high", "--lead-agency", "probation-ce"},
                    "probation");
  INFO(r.Describe());
  REQUIRE(r.exit == 0);
}

}  // namespace

TEST_CASE("a client with no daemon to talk to is told how to start it", "[errors][socket]") {
  TempDir dir;
  Node node(dir / "n1");
  SECTION("never started") {
    auto r = node.Cli({"case", "list"}, "probation");
    INFO(r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, node.socket()));
    CHECK(Contains(r.err, "holdfastd --config"));
  }
  SECTION("killed, leaving its socket file behind") {
    node.Start();
    node.Kill();
    auto r = node.Cli({"case", "list"}, "probation");
    INFO(r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, "holdfastd --config"));
  }
  SECTION("no socket given anywhere") {
    auto r = Holdfast({"case", "list"});
    INFO(r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, "--socket"));
    CHECK(Contains(r.err, "HOLDFAST_SOCKET"));
  }
}

TEST_CASE("a client the socket's permissions keep out is told it lacks access",
          "[errors][socket]") {
  StartedNode n;
  const Env env = {};
  const std::vector<std::string> args = {"users", "list", "--socket", n.node.socket()};
  RunResult r;
  if (::geteuid() == 0) {
    // Root passes every permission check, so run the client as nobody. Let it through the
    // directories, so the socket's own mode (0660, root's) is what keeps it out.
    ::chmod(n.dir.path().c_str(), 0755);
    ::chmod(n.node.data_dir().c_str(), 0755);
    RunOptions as_nobody;
    as_nobody.as_uid = 65534;
    r = Holdfast(args, env, as_nobody);
  } else {
    ::chmod(n.node.data_dir().c_str(), 0);
    r = Holdfast(args, env);
    ::chmod(n.node.data_dir().c_str(), 0750);
  }
  INFO(r.Describe());
  CHECK(IsOneLineFailure(r));
  CHECK(Contains(r.err, "permission denied on " + n.node.socket()));
  CHECK(Contains(r.err, "ask the operator"));
  // The same command from a permitted user works: it was the permissions, not the daemon.
  CHECK(Holdfast(args, env).exit == 0);
}

TEST_CASE("a case-work verb naming a case this node does not know is refused, writing nothing",
          "[errors][case]") {
  StartedNode n;
  OpenCase(n.node, "C-1");
  auto r = n.node.Cli({"attendance", "record", "--case", "C-404", "--intervention", "I-1",
                       "--session", "S-1", "--outcome", "attended"},
                      "facilitator");
  INFO(r.Describe());
  CHECK(IsOneLineFailure(r));
  CHECK(Contains(r.err, "C-404"));
  CHECK(Contains(r.err, "holdfast case list"));
  CHECK(n.node.Export().size() == 1);

  auto show = n.node.Cli({"case", "show", "--case", "C-404"}, "probation");
  INFO(show.Describe());
  CHECK(IsOneLineFailure(show));
  CHECK(Contains(show.err, "C-404"));
}

TEST_CASE("an unknown enum value is refused with the allowed values listed", "[errors][enum]") {
  StartedNode n;
  OpenCase(n.node, "C-1");
  auto r = n.node.Cli({"attendance", "record", "--case", "C-1", "--intervention", "I-1",
                       "--session", "S-1", "--outcome", "present"},
                      "facilitator");
  INFO(r.Describe());
  CHECK(IsOneLineFailure(r));
  CHECK(Contains(r.err, "--outcome"));
  CHECK(Contains(r.err, "\"present\""));
  CHECK(Contains(r.err, "attended, late, left_early, absent_acceptable, absent_unacceptable"));

  auto risk = n.node.Cli({"case", "risk", "--case", "C-1", "--risk", "extreme"}, "probation");
  INFO(risk.Describe());
  CHECK(IsOneLineFailure(risk));
  CHECK(Contains(risk.err, "standard, medium, high, very_high"));
  CHECK(n.node.Export().size() == 1);
}

TEST_CASE("a malformed timestamp is refused showing the expected form", "[errors][time]") {
  StartedNode n;
  OpenCase(n.node, "C-1");
  for (const std::string at :
       {"04/03/2025 18:00", "2025-02-30T10:00:00Z", "2025-03-04 18:60", "yesterday!"}) {
    auto r = n.node.Cli({"breach", "report", "--case", "C-1", "--kind", "recall", "--at", at},
                        "probation");
    INFO("--at " << at << ": " << r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, "--at"));
    // Both forms it takes: a local time, and RFC 3339 UTC.
    CHECK(Contains(r.err, "\"2026-12-06 18:00\""));
    CHECK(Contains(r.err, "\"2026-12-06T18:00:00Z\""));
  }
  CHECK(n.node.Export().size() == 1);
}

TEST_CASE("an unknown option is refused naming it and where the help is", "[errors][usage]") {
  StartedNode n;
  auto r = n.node.Cli({"case", "list", "--colour"}, "probation");
  INFO(r.Describe());
  CHECK(IsOneLineFailure(r));
  CHECK(Contains(r.err, "--colour"));
  CHECK(Contains(r.err, "holdfast help case list"));

  auto format = n.node.Cli({"case", "list", "--format", "xml"}, "probation");
  INFO(format.Describe());
  CHECK(IsOneLineFailure(format));
  CHECK(Contains(format.err, "table, json, csv"));

  // No client chooses its role: the old flag is an unknown option like any other.
  auto role = n.node.Cli({"case", "list", "--role", "operator"}, "probation");
  INFO(role.Describe());
  CHECK(IsOneLineFailure(role));
  CHECK(Contains(role.err, "--role"));
}

TEST_CASE("an unknown command is refused naming it", "[errors][usage]") {
  auto r = Holdfast({"frobnicate", "--case", "C-1"});
  INFO(r.Describe());
  CHECK(IsOneLineFailure(r));
  CHECK(Contains(r.err, "unknown command \"frobnicate\""));
  CHECK(Contains(r.err, "holdfast --help"));

  auto near = Holdfast({"case", "reopen", "--case", "C-1"});
  INFO(near.Describe());
  CHECK(IsOneLineFailure(near));
  CHECK(Contains(near.err, "\"case reopen\""));
  CHECK(Contains(near.err, "case open"));
}

TEST_CASE("a missing required option is refused naming it", "[errors][usage]") {
  StartedNode n;
  auto r = n.node.Cli(
      {"case", "open", "--case", "C-1", "--subject", "P-1", "--order", "licence", "--risk", "high"},
      "probation");
  INFO(r.Describe());
  CHECK(IsOneLineFailure(r));
  CHECK(Contains(r.err, "--lead-agency"));
  CHECK(Contains(r.err, "required"));

  auto import = n.node.Cli({"import"}, "operator");
  INFO(import.Describe());
  CHECK(IsOneLineFailure(import));
  CHECK(Contains(import.err, "--file"));

  auto backup = n.node.Cli({"store", "backup"}, "operator");
  INFO(backup.Describe());
  CHECK(IsOneLineFailure(backup));
  CHECK(Contains(backup.err, "DIR"));
  CHECK(n.node.Export().empty());
}

TEST_CASE("import stops at the first malformed line, naming it, and --skip-invalid carries on",
          "[errors][import]") {
  StartedNode n;
  const std::string file = n.dir / "mixed.jsonl";
  WriteFile(file, AttendanceJson(TestUuid(1, 1), "C-1", "S-1") + "\n" +
                      AttendanceJson(TestUuid(1, 2), "C-1", "S-2") + "\n" +
                      "{\"id\": \"00000001-0000-4000-8000-000000000003\", \"type\": \n" +
                      AttendanceJson(TestUuid(1, 4), "C-1", "S-4") + "\n" +
                      AttendanceJson(TestUuid(1, 5), "C-1", "S-5") + "\n");
  auto r = n.node.Cli({"import", "--file", file}, "operator");
  INFO(r.Describe());
  CHECK(IsOneLineFailure(r));
  CHECK(Contains(r.err, "line 3"));
  CHECK(Contains(r.err, "--skip-invalid"));
  CHECK(EventIds(n.node.Export()) == std::vector<std::string>{TestUuid(1, 1), TestUuid(1, 2)});

  auto skip = n.node.Cli({"import", "--file", file, "--skip-invalid"}, "operator");
  INFO(skip.Describe());
  CHECK(Contains(skip.err, "line 3"));
  CHECK(Contains(skip.out, "2 new"));
  CHECK(EventIds(n.node.Export()) ==
        std::vector<std::string>{TestUuid(1, 1), TestUuid(1, 2), TestUuid(1, 4), TestUuid(1, 5)});
}

TEST_CASE("import stops at a line longer than 1 MiB, naming it, whatever --skip-invalid says",
          "[errors][import][limits]") {
  StartedNode n;
  const std::string file = n.dir / "long.jsonl";
  constexpr size_t kMiB = 1u << 20;
  // A valid event padded with blanks to exactly 1 MiB is still a line holdfast reads.
  std::string padded = AttendanceJson(TestUuid(4, 3), "C-1", "S-3");
  padded.insert(1, kMiB - padded.size(), ' ');
  REQUIRE(padded.size() == kMiB);
  WriteFile(file, AttendanceJson(TestUuid(4, 1), "C-1", "S-1") + "\n" +
                      AttendanceJson(TestUuid(4, 2), "C-1", "S-2") + "\n" + padded + "\n" +
                      std::string(2 * kMiB, 'x') + "\n" +
                      AttendanceJson(TestUuid(4, 5), "C-1", "S-5") + "\n");
  for (bool skip_invalid : {false, true}) {
    std::vector<std::string> args = {"import", "--file", file};
    if (skip_invalid) args.push_back("--skip-invalid");
    auto r = n.node.Cli(args, "operator");
    INFO(r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, "line 4 is longer than 1 MiB: not a holdfast JSONL file?"));
    CHECK(EventIds(n.node.Export()) ==
          std::vector<std::string>{TestUuid(4, 1), TestUuid(4, 2), TestUuid(4, 3)});
  }
}

TEST_CASE("import of /dev/zero stops at once with bounded memory", "[errors][import][limits]") {
  // One endless line without a newline: the reader must give up at the bound, not buffer it.
  StartedNode n;
  RunOptions options;
  options.timeout = Scaled(milliseconds(20000));
  std::vector<std::string> command = {HoldfastPath(), "import", "--file", "/dev/zero"};
  if (!Sanitized()) {
    // Under a 1 GiB address-space limit, an import that buffers the line fails by itself.
    std::string line = "ulimit -v 1048576 && exec";
    for (const auto& arg : command) line += " '" + arg + "'";
    command = {"/bin/sh", "-c", line};
  }
  const auto start = std::chrono::steady_clock::now();
  auto r = Run(command, n.node.ClientEnv("operator"), options);
  const auto took = std::chrono::steady_clock::now() - start;
  INFO(r.Describe());
  CHECK(IsOneLineFailure(r));
  CHECK(Contains(r.err, "line 1 is longer than 1 MiB: not a holdfast JSONL file?"));
  CHECK(took < Scaled(milliseconds(5000)));
  CHECK(n.node.Export().empty());
}

TEST_CASE("import names a malformed JSON line in words, without the parser's assertion text",
          "[errors][import]") {
  StartedNode n;
  const std::string file = n.dir / "garbled.jsonl";
  WriteFile(file, "not json at all\n");
  auto r = n.node.Cli({"import", "--file", file}, "operator");
  INFO(r.Describe());
  CHECK(IsOneLineFailure(r));
  CHECK(Contains(r.err, "line 1: malformed JSON"));
  CHECK(!Contains(r.err, " == "));  // e.g. "expected prefix == expected [not  == null]"
}

TEST_CASE("import --skip-invalid reports each skipped line as one line on stderr",
          "[errors][import]") {
  StartedNode n;
  const std::string file = n.dir / "one-bad.jsonl";
  WriteFile(file, AttendanceJson(TestUuid(2, 1), "C-1", "S-1") + "\nnot json at all\n");
  auto r = n.node.Cli({"import", "--file", file, "--skip-invalid"}, "operator");
  INFO(r.Describe());
  auto lines = r.ErrLines();
  REQUIRE(lines.size() == 1);  // no blank line before it when stderr is not a terminal
  CHECK(Contains(lines[0], "line 2"));
}

TEST_CASE("import refuses an event that is valid JSON but not a valid event, naming line and field",
          "[errors][import]") {
  StartedNode n;
  const std::string file = n.dir / "bad.jsonl";
  SECTION("an unknown event type") {
    WriteFile(file, AttendanceJson(TestUuid(3, 1), "C-1", "S-1") + "\n" + "{\"id\":\"" +
                        TestUuid(3, 2) +
                        "\",\"type\":\"attendance.forgotten\",\"occurred_at\":"
                        "\"2025-03-04T18:00:00Z\",\"author\":{\"user\":\"f-1\",\"role\":"
                        "\"facilitator\",\"agency\":\"provider-a\"},\"data\":{}}\n");
    auto r = n.node.Cli({"import", "--file", file}, "operator");
    INFO(r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, "line 2"));
    CHECK(Contains(r.err, "attendance.forgotten"));
    CHECK(Contains(r.err, "attendance.recorded"));  // the known types are listed
    CHECK(EventIds(n.node.Export()) == std::vector<std::string>{TestUuid(3, 1)});
  }
  SECTION("an unknown enum value") {
    std::string line = AttendanceJson(TestUuid(3, 1), "C-1", "S-1");
    line.replace(line.find("\"attended\""), 10, "\"present\"");
    WriteFile(file, line + "\n");
    auto r = n.node.Cli({"import", "--file", file}, "operator");
    INFO(r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, "line 1"));
    CHECK(Contains(r.err, "data.outcome"));
    CHECK(Contains(r.err, "absent_unacceptable"));
    CHECK(n.node.Export().empty());
  }
  SECTION("an event without an id") {
    std::string line = AttendanceJson(TestUuid(3, 1), "C-1", "S-1");
    line.erase(1, line.find(','));  // drop "id":"...",
    WriteFile(file, line + "\n");
    auto r = n.node.Cli({"import", "--file", file}, "operator");
    INFO(line << "\n" << r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, "line 1"));
    CHECK(Contains(r.err, "id"));
    CHECK(n.node.Export().empty());
  }
  SECTION("a missing required field") {
    std::string line = AttendanceJson(TestUuid(3, 1), "C-1", "S-1");
    const std::string session = ",\"session\":\"S-1\"";
    line.erase(line.find(session), session.size());
    WriteFile(file, line + "\n");
    auto r = n.node.Cli({"import", "--file", file}, "operator");
    INFO(r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, "data.session"));
    CHECK(n.node.Export().empty());
  }
}

TEST_CASE("holdfastd refuses a config with an unknown key or a bad value, naming key and line",
          "[errors][config]") {
  TempDir dir;
  Node node(dir / "n1");
  auto lines = Lines(ReadFile(node.config()));
  std::string broken;
  int line_no = 0;
  std::string key;
  SECTION("an unknown key") {
    for (size_t i = 0; i < lines.size(); ++i) {
      broken += lines[i] + "\n";
      if (lines[i] == "[log]") {
        broken += "colour = blue\n";
        line_no = static_cast<int>(i) + 2;
      }
    }
    key = "log.colour";
  }
  SECTION("a bad node kind") {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].rfind("kind =", 0) == 0) {
        broken += "kind = prison\n";
        line_no = static_cast<int>(i) + 1;
      } else {
        broken += lines[i] + "\n";
      }
    }
    key = "node.kind";
  }
  SECTION("a value quoting Boost's own placeholder") {
    // Found by tests/fuzz/fuzz_config: Boost's error message substitutes "%value%" with the
    // value, again and again while the value holds it: holdfastd hung, eating memory.
    for (size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].rfind("tick_seconds =", 0) == 0) {
        broken += "tick_seconds = %value%\n";
        line_no = static_cast<int>(i) + 1;
      } else {
        broken += lines[i] + "\n";
      }
    }
    key = "rules.tick_seconds";
  }
  SECTION("a value with no key") {  // found by tests/fuzz/fuzz_config: holdfastd aborted
    for (size_t i = 0; i < lines.size(); ++i) {
      broken += lines[i] + "\n";
      if (i == 0) {
        broken += "= probation-1\n";
        line_no = 2;
      }
    }
    key = "no key";
  }
  REQUIRE(line_no > 0);
  WriteFile(node.config(), broken);
  RunOptions options;
  options.timeout = Scaled(milliseconds(20000));
  auto r = Run({HoldfastdPath(), "--config", node.config()}, {}, options);
  INFO(r.Describe());
  CHECK(IsOneLineFailure(r));
  CHECK(Contains(r.err, node.config() + ":" + std::to_string(line_no) + ":"));
  CHECK(Contains(r.err, key));
  CHECK(!std::filesystem::exists(node.socket()));
}

TEST_CASE(
    "holdfastd reads semicolon and # comments as comments, and a # inside a value as the value",
    "[config]") {
  // Boost's own parser read `; a = b` as a key and cut `data_dir = /srv/hold#fast` at '#',
  // where holdfast's reading (and ops/holdfast.conf.example) had them as a comment and a path.
  TempDir dir;
  Node node(dir / "n1");
  const std::string log_file = dir / "hold#fast.log";
  std::string config;
  for (const auto& line : Lines(ReadFile(node.config()))) {
    if (line.rfind("file =", 0) == 0) {
      config += "file = " + log_file + "  # where the log goes\n";
    } else if (line.rfind("socket =", 0) == 0) {
      // A '#' starting the value is a comment too (found by tests/fuzz/fuzz_config:
      // `key =#x` read as the value "#x", but written back as `key = #x` as a comment).
      config += "socket =# the default, DATA_DIR/holdfast.sock\n";
    } else {
      config += line + "\n";
    }
    if (line == "[log]") config += "; level = trace, once, to see the sync\n";
  }
  WriteFile(node.config(), config);
  node.Start();
  CHECK(std::filesystem::exists(log_file));
}

}  // namespace holdfast::test
