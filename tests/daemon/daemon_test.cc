// holdfastd as a server: many clients at once, hostile bytes on its socket, a second daemon
// on the same data directory, signals, and the socket's permissions.
#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <functional>
#include <thread>

#include "daemon/api.capnp.h"
#include "eventstore/event_json.h"
#include "tests/daemon/harness.h"

namespace holdfast::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string LengthPrefix(uint32_t n) {
  std::string h(4, '\0');
  for (int i = 0; i < 4; ++i) h[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return h;
}

// One framed Request from a raw client (layout in daemon/api.capnp). Without a token the
// daemon knows it by its Unix account: the node's first operator, who ran node init.
std::string RequestFrame(const std::function<void(api::Request::Builder)>& fill,
                         const std::string& token = "") {
  capnp::MallocMessageBuilder message;
  auto request = message.initRoot<api::Request>();
  if (!token.empty()) {
    request.initIdentity().setToken(capnp::Text::Reader(token.data(), token.size()));
  }
  fill(request);
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return LengthPrefix(static_cast<uint32_t>(bytes.size())) +
         std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

bool SendAll(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

struct RawReply {
  std::string bytes;    // everything received
  bool closed = false;  // the daemon closed the connection
  // The first frame, when complete: its Response's error message, or "(not an error)".
  std::optional<std::string> error;
};

// Reads until the daemon closes the connection, or has sent one whole frame and then
// `linger` passes without more, or the time limit is reached.
RawReply ReadReply(int fd, milliseconds limit, milliseconds linger = milliseconds(300)) {
  RawReply reply;
  const auto deadline = Clock::now() + limit;
  char buf[65536];
  auto whole_frame = [&] {
    if (reply.bytes.size() < 4) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(reply.bytes.data());
    const uint32_t n = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
    return reply.bytes.size() >= 4 + static_cast<size_t>(n);
  };
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const int wait_ms = whole_frame() ? static_cast<int>(linger.count()) : 50;
    int ready = ::poll(&p, 1, wait_ms);
    if (ready == 0) {
      if (whole_frame()) break;
      continue;
    }
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      reply.closed = true;
      break;
    }
    reply.bytes.append(buf, static_cast<size_t>(n));
  }
  if (whole_frame()) {
    const auto* p = reinterpret_cast<const unsigned char*>(reply.bytes.data());
    const uint32_t n = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
    auto words = kj::heapArray<capnp::word>(n / sizeof(capnp::word));
    std::memcpy(words.begin(), reply.bytes.data() + 4, words.asBytes().size());
    try {
      capnp::FlatArrayMessageReader reader(words);
      auto response = reader.getRoot<api::Response>();
      reply.error = response.isError() ? std::string(response.getError().getMessage().cStr())
                                       : std::string("(not an error)");
    } catch (const kj::Exception& e) {
      reply.error = std::string("(undecodable response: ") + e.getDescription().cStr() + ")";
    }
  }
  return reply;
}

// The daemon is done with every client before (it has closed their connections, which it
// does once a connection's request in flight is answered, so any write to a client gone
// has happened), is alive, and serves another client normally.
void CheckStillServing(Node& node) {
  INFO("holdfastd log:\n" << node.Log());
  CHECK(WaitUntil(
      Scaled(milliseconds(10000)), [&] { return node.ClientConnections() == 0 || !node.Running(); },
      milliseconds(10)));
  const bool running = node.Running();
  INFO("holdfastd exit status " << node.ExitStatus() << " (141: killed by SIGPIPE)");
  REQUIRE(running);
  auto r = node.Cli({"case", "list"}, "probation");
  INFO(r.Describe());
  CHECK(r.exit == 0);
}

}  // namespace

TEST_CASE("64 concurrent clients recording attendance all succeed and every record is held",
          "[daemon][concurrency]") {
  StartedNode n;
  auto open = n.node.Cli({"case", "open", "--case", "C-1", "--subject", "P-1", "--order", "licence",
                          "--risk", "high", "--lead-agency", "probation-ce"},
                         "probation");
  REQUIRE(open.exit == 0);
  // I-1 at this node's agency, so its facilitators may record on it (checks at entry).
  Ok(n.node,
     {"intervention", "refer", "--case", "C-1", "--intervention", "I-1", "--programme",
      "building_choices", "--provider", "probation-ce", "--at", "2025-01-01T09:00:00Z"},
     "probation");
  Ok(n.node, {"intervention", "start", "--case", "C-1", "--intervention", "I-1"}, "probation");
  constexpr int kClients = 64;
  RunOptions options;
  options.timeout = Scaled(milliseconds(60000));
  std::vector<std::unique_ptr<Child>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(
        Child::Start({HoldfastPath(), "attendance", "record", "--case", "C-1", "--intervention",
                      "I-1", "--session", "S-" + std::to_string(i), "--outcome", "attended", "--id",
                      TestUuid(0xc0c0, static_cast<uint64_t>(i)), "--unlisted-session"},
                     n.node.ClientEnv("facilitator", "f-" + std::to_string(i)), options));
  }
  for (int i = 0; i < kClients; ++i) {
    auto r = clients[i]->Wait();
    INFO("client " << i << ": " << r.Describe());
    CHECK(r.exit == 0);
  }
  const auto ids = EventIds(n.node.Export());
  CHECK(ids.size() == kClients + 3);
  for (int i = 0; i < kClients; ++i) {
    const std::string id = TestUuid(0xc0c0, static_cast<uint64_t>(i));
    INFO("event " << id);
    CHECK(std::count(ids.begin(), ids.end(), id) == 1);
  }
}

TEST_CASE("the daemon's socket file is a socket with mode 0660", "[daemon][socket]") {
  StartedNode n;
  struct stat st {};
  REQUIRE(::stat(n.node.socket().c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 07777) == 0660);
}

TEST_CASE(
    "a second holdfastd on the same data directory refuses to start while the first serves on",
    "[daemon][lock]") {
  StartedNode n;
  RunOptions options;
  options.timeout = Scaled(milliseconds(20000));
  auto second = Run({HoldfastdPath(), "--config", n.node.config()}, {}, options);
  INFO(second.Describe());
  CHECK(second.exit > 0);
  CHECK(second.exit < 128);
  CHECK(Contains(second.err, "in use"));
  CHECK(Contains(second.err, n.node.data_dir()));
  struct stat st {};
  CHECK(::stat(n.node.socket().c_str(), &st) == 0);
  CheckStillServing(n.node);
}

TEST_CASE(
    "a second holdfastd configured with the first one's socket refuses to start, leaving the "
    "socket alone",
    "[daemon][lock][socket]") {
  // Two data directories (so the store's lock does not stop the second), one socket path.
  StartedNode n;
  Node second(n.dir / "n2", "probation-2");
  std::string config = ReadFile(second.config());
  const size_t at = config.find("\nsocket = ");
  REQUIRE(at != std::string::npos);
  const size_t end = config.find('\n', at + 1);
  config.replace(at, end - at, "\nsocket = " + n.node.socket());
  WriteFile(second.config(), config);
  struct stat before {};
  REQUIRE(::stat(n.node.socket().c_str(), &before) == 0);

  RunOptions options;
  options.timeout = Scaled(milliseconds(10000));
  auto r = Run({HoldfastdPath(), "--config", second.config()}, {}, options);
  INFO(r.Describe());
  CHECK(r.exit > 0);
  CHECK(r.exit < 128);
  CHECK(Contains(r.err, "socket " + n.node.socket() + " is in use by another holdfastd (pid " +
                            std::to_string(n.node.pid()) + ")"));
  struct stat after {};
  REQUIRE(::stat(n.node.socket().c_str(), &after) == 0);
  CHECK(after.st_ino == before.st_ino);  // not unlinked and bound again
  CheckStillServing(n.node);

  SECTION("once the first has stopped, the socket path is free again") {
    REQUIRE(n.node.Stop() == 0);
    auto started = Child::Start({HoldfastdPath(), "--config", second.config()}, {}, options);
    RunResult list;
    WaitUntil(
        Scaled(milliseconds(20000)),
        [&] {
          list = Holdfast({"users", "list"}, {{"HOLDFAST_SOCKET", n.node.socket()}});
          return list.exit == 0 || !started->Running();
        },
        milliseconds(20));
    INFO(list.Describe());
    CHECK(list.exit == 0);
    started->Signal(SIGTERM);
    auto stopped = started->Wait(Scaled(milliseconds(10000)));
    INFO(stopped.Describe());
    CHECK(stopped.exit == 0);
  }
}

namespace {

// `holdfast audit list` in a format, as an operator; REQUIREs it to succeed.
std::string AuditList(const Node& node, const std::string& format) {
  auto r = node.Cli({"audit", "list", "--format", format}, "operator", "auditor");
  INFO(r.Describe());
  REQUIRE(r.exit == 0);
  return r.out;
}

// Every byte is printable ASCII, a line break, or part of valid UTF-8 that is no C1 control.
bool PrintableText(const std::string& text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') continue;
    if (c < 0x20 || c == 0x7f) return false;
    if (c < 0x80) continue;
    size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (n == 0 || c > 0xf4 || i + n > text.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return false;
    }
    if (c == 0xc2 && static_cast<unsigned char>(text[i + 1]) < 0xa0) return false;  // C1
    i += n - 1;
  }
  return true;
}

// Python's json module accepts the text as one JSON document (strictly: valid UTF-8).
bool ParsesAsJson(const std::string& text, const std::string& scratch_file) {
  WriteFile(scratch_file, text);
  auto r = Run({"/usr/bin/python3", "-c",
                "import json,sys; json.load(open(sys.argv[1], encoding='utf-8', "
                "errors='strict'))",
                scratch_file});
  INFO(r.Describe());
  return r.exit == 0;
}

uint64_t BytesUnder(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (f.is_regular_file()) total += f.file_size();
  }
  return total;
}

}  // namespace

TEST_CASE("a 5 MB token is refused, audited, and costs the audit log a bounded entry",
          "[daemon][audit][limits]") {
  StartedNode n;
  const std::string huge(5u << 20, 'u');
  const uint64_t before = BytesUnder(n.node.data_dir() + "/store");
  for (int i = 0; i < 6; ++i) {
    int fd = ConnectUnix(n.node.socket());
    REQUIRE(fd >= 0);
    REQUIRE(SendAll(
        fd, RequestFrame([](api::Request::Builder r) { r.setReadStream("case/C-1"); }, huge)));
    auto reply = ReadReply(fd, Scaled(milliseconds(10000)));
    ::close(fd);
    REQUIRE(reply.error.has_value());
    CHECK(Contains(*reply.error, "not one this node knows"));
  }
  const uint64_t growth = BytesUnder(n.node.data_dir() + "/store") - before;
  INFO("the store grew " << growth << " bytes");
  CHECK(growth < (1u << 20));

  const std::string csv = AuditList(n.node, "csv");
  size_t refused = 0;
  for (const auto& row : Lines(csv)) {
    CHECK(row.size() < 1024);
    if (Contains(row, ",read-stream,")) {
      ++refused;
      CHECK(!Contains(row, "uuuuuuuu"));  // the audit log keeps a token's hash, never it
      CHECK(!Contains(row, ",ok"));
    }
  }
  CHECK(refused == 6);
}

TEST_CASE("audit list shows escape sequences and invalid UTF-8 escaped, and its JSON parses",
          "[daemon][audit][escaping]") {
  StartedNode n;
  // Two tokens that are escape sequences and broken UTF-8 (refused: no user has them), and
  // the operator asking for a stream whose name carries an OSC sequence, a BEL and a broken
  // UTF-8 sequence (refused: case data is not the operator's, but audited with its target).
  const std::string ansi_token = "\x1b[31mmallory\x1b[0m";
  const std::string bad_utf8_token = "bob\xff\xfe";
  const std::string target = "case/\x1b]0;pwned\x07\xc3\x28";
  const std::vector<std::pair<std::string, std::string>> requests = {
      {ansi_token, "case/C-1"}, {bad_utf8_token, "case/C-1"}, {"", target}};
  for (const auto& request : requests) {
    // Named copies, not a structured binding: clang 14 cannot capture those in the lambda.
    const std::string& token = request.first;
    const std::string& stream = request.second;
    int fd = ConnectUnix(n.node.socket());
    REQUIRE(fd >= 0);
    REQUIRE(SendAll(fd, RequestFrame(
                            [&](api::Request::Builder r) {
                              r.setReadStream(capnp::Text::Reader(stream.data(), stream.size()));
                            },
                            token)));
    auto reply = ReadReply(fd, Scaled(milliseconds(5000)));
    ::close(fd);
    REQUIRE(reply.error.has_value());
    CHECK(*reply.error != "(not an error)");
  }
  const std::string table = AuditList(n.node, "table");
  INFO(table);
  CHECK(PrintableText(table));
  CHECK(!Contains(table, "mallory"));  // a token is audited by its hash only
  CHECK(Contains(table, "case/\\x1b]0;pwned\\x07\\xc3("));
  const std::string json = AuditList(n.node, "json");
  INFO(json);
  CHECK(ParsesAsJson(json, n.dir / "audit.json"));
  CHECK(PrintableText(json));
}

TEST_CASE("tables show control characters in free text escaped", "[daemon][escaping]") {
  // A reason is free text, so it may carry any character; a table must not pass an escape
  // sequence through to the terminal.
  StartedNode n;
  auto open = n.node.Cli({"case", "open", "--case", "C-1", "--subject", "P-1", "--order", "licence",
                          "--risk", "high", "--lead-agency", "probation-ce"},
                         "probation");
  REQUIRE(open.exit == 0);
  Ok(n.node,
     {"intervention", "refer", "--case", "C-1", "--intervention", "I-1", "--programme", "drive",
      "--provider", "probation-ce", "--at", "2025-01-01T09:00:00Z"},
     "probation");
  Ok(n.node,
     {"intervention", "start", "--case", "C-1", "--intervention", "I-1", "--at",
      "2025-01-02T09:00:00Z"},
     "probation");
  auto record = n.node.Cli({"attendance", "record", "--case", "C-1", "--intervention", "I-1",
                            "--session", "S-1", "--outcome", "absent_acceptable", "--reason",
                            "bus\x07\x1b[2J\x1b[Hlate\ttoday", "--unlisted-session"},
                           "facilitator");
  INFO(record.Describe());
  REQUIRE(record.exit == 0);
  auto show = n.node.Cli({"case", "show", "--case", "C-1"}, "probation");
  INFO(show.Describe());
  REQUIRE(show.exit == 0);
  CHECK(PrintableText(show.out));
  CHECK(Contains(show.out, "bus\\x07\\x"));  // then ESC, or what the JSON parser made of it
  CHECK(Contains(show.out, "[Hlate\\ttoday"));
}

TEST_CASE("SIGTERM stops the daemon cleanly and removes its socket", "[daemon][signals]") {
  StartedNode n;
  SECTION("with no clients") {}
  SECTION("with an idle client and one that sent half a frame still connected") {
    int idle = ConnectUnix(n.node.socket());
    int half = ConnectUnix(n.node.socket());
    REQUIRE(idle >= 0);
    REQUIRE(half >= 0);
    REQUIRE(SendAll(half, LengthPrefix(64) + std::string(10, '\0')));
    // Stopped while it holds both.
    REQUIRE(WaitUntil(
        Scaled(milliseconds(5000)), [&] { return n.node.ClientConnections() == 2; },
        milliseconds(5)));
    CHECK(n.node.Stop() == 0);
    ::close(idle);
    ::close(half);
  }
  if (n.node.Running()) CHECK(n.node.Stop() == 0);
  CHECK(!std::filesystem::exists(n.node.socket()));
  CHECK(Contains(n.node.Log(), "stopped cleanly"));
}

TEST_CASE("SIGHUP reloads the log level and keeps serving, and does not apply a broken config",
          "[daemon][signals]") {
  StartedNode n;
  const std::string original = ReadFile(n.node.config());
  std::string debug = original;
  debug.replace(debug.find("level = info"), 12, "level = debug");
  WriteFile(n.node.config(), debug);
  ::kill(n.node.pid(), SIGHUP);
  CHECK(WaitUntil(
      Scaled(milliseconds(5000)), [&] { return Contains(n.node.Log(), "log level now debug"); },
      milliseconds(20)));
  CheckStillServing(n.node);

  WriteFile(n.node.config(), original + "nonsense = 1\n");
  ::kill(n.node.pid(), SIGHUP);
  CHECK(WaitUntil(
      Scaled(milliseconds(5000)), [&] { return Contains(n.node.Log(), "config not reloaded"); },
      milliseconds(20)));
  WriteFile(n.node.config(), original);  // the CLI reads the config too
  CheckStillServing(n.node);
}

TEST_CASE(
    "malformed frames on the socket get an error or a closed connection, and the daemon "
    "serves on",
    "[daemon][frames]") {
  StartedNode n;
  int fd = ConnectUnix(n.node.socket());
  REQUIRE(fd >= 0);
  const milliseconds limit = Scaled(milliseconds(5000));

  SECTION("a well-formed ping gets a pong (the raw client itself works)") {
    REQUIRE(SendAll(fd, RequestFrame([](api::Request::Builder r) { r.setPing(); })));
    auto reply = ReadReply(fd, limit);
    INFO("received " << reply.bytes.size() << " bytes: " << reply.error.value_or("(no frame)"));
    CHECK(reply.error == std::optional<std::string>("(not an error)"));
    CHECK(!reply.closed);
  }
  SECTION("an oversized length header gets an error response, then the connection closes") {
    REQUIRE(SendAll(fd, LengthPrefix(0xFFFFFFF0u) + std::string(64, 'x')));
    auto reply = ReadReply(fd, limit);
    INFO("received " << reply.bytes.size() << " bytes");
    REQUIRE(reply.error.has_value());
    CHECK(Contains(*reply.error, "oversized"));
    CHECK(reply.closed);
  }
  SECTION("garbage bytes under a valid small length get an error response") {
    REQUIRE(SendAll(fd, LengthPrefix(8) + std::string(8, '\xff')));
    auto reply = ReadReply(fd, limit);
    INFO("received " << reply.bytes.size() << " bytes, closed " << reply.closed);
    CHECK((reply.error.has_value() || reply.closed));
    if (reply.error) CHECK(*reply.error != "(not an error)");
  }
  SECTION("a length of zero, or not a whole number of words, gets an error and a close") {
    for (uint32_t length : {0u, 5u}) {
      int other = ConnectUnix(n.node.socket());
      REQUIRE(other >= 0);
      REQUIRE(SendAll(other, LengthPrefix(length) + std::string(length, '\0')));
      auto reply = ReadReply(other, limit);
      ::close(other);
      INFO("length " << length);
      CHECK(reply.error.has_value());
      CHECK(reply.closed);
    }
  }
  SECTION("a message whose root points outside it gets an error response") {
    // Segment table: one segment of 1 word; the root: a struct pointer 1000 words away.
    std::string message = LengthPrefix(0) + LengthPrefix(1);
    const uint64_t pointer = (uint64_t{1} << 48) | (uint64_t{1} << 32) | (1000u << 2);
    for (int i = 0; i < 8; ++i) message += static_cast<char>((pointer >> (8 * i)) & 0xff);
    REQUIRE(SendAll(fd, LengthPrefix(static_cast<uint32_t>(message.size())) + message));
    auto reply = ReadReply(fd, limit);
    CHECK((reply.error.has_value() || reply.closed));
    if (reply.error) CHECK(*reply.error != "(not an error)");
  }
  SECTION("a request naming a role or presenting a token the node never issued is refused") {
    // The old identity fields claim a role; the daemon never reads them.
    REQUIRE(SendAll(fd, RequestFrame([](api::Request::Builder r) {
                      r.initIdentity().setObsoleteRole(schema::Role::PROBATION);
                      r.getIdentity().setObsoleteUser("po-7");
                      r.initListCases();
                    })));
    auto claimed = ReadReply(fd, limit);
    REQUIRE(claimed.error.has_value());
    CHECK(Contains(*claimed.error, "case list is for the probation, facilitator, police roles"));
    REQUIRE(SendAll(fd, RequestFrame([](api::Request::Builder r) {
                      r.initIdentity().setToken("hft_0123456789abcdef");
                      r.initListCases();
                    })));
    auto reply = ReadReply(fd, limit);
    REQUIRE(reply.error.has_value());
    CHECK(Contains(*reply.error, "not one this node knows"));
  }
  SECTION("an append whose author or text is not UTF-8 is refused naming the field") {
    // What a client other than the CLI could send: the daemon's own validation refuses it.
    auto event = EventFromJson(
        R"({"id":"7f0c2a4e-5d1b-4c8e-9a51-2f7b9d0e6c13","type":"case.opened",)"
        R"("occurred_at":"2025-03-04T18:00:00Z","author":{"user":"-","role":"probation",)"
        R"("agency":"-"},"data":{"case":"C-1","subject":"P-1","order":"licence","risk":"high",)"
        R"("lead_agency":"probation-ce"}})");
    REQUIRE(event.ok());
    std::string token = ReadFile(n.node.ClientEnv("probation", "po-7")["HOLDFAST_TOKEN_FILE"]);
    token.pop_back();  // the newline
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"po-\xc3", "author.user: not valid UTF-8"}, {"po-7", "data.subject: not valid UTF-8"}};
    for (const auto& [user, expected] : cases) {
      // The author the client writes is replaced by the identified user's; a bad one in
      // the request changes nothing. The subject is the client's, and is checked.
      event->builder().getAuthor().setUser(user);
      if (user == "po-7") event->builder().getCaseOpened().setSubject("P-\xff");
      int other = ConnectUnix(n.node.socket());
      REQUIRE(other >= 0);
      REQUIRE(SendAll(other, RequestFrame([&](api::Request::Builder r) {
                        r.initIdentity().setToken(token);
                        r.initAppend().initEvents(1).setWithCaveats(0, event->reader());
                      })));
      auto reply = ReadReply(other, limit);
      ::close(other);
      if (user == "po-7") {
        REQUIRE(reply.error.has_value());
        CHECK(Contains(*reply.error, expected));
      } else {
        // The author was replaced: the case opened.
        CHECK((!reply.error.has_value() || *reply.error == "(not an error)"));
      }
    }
    CHECK(n.node.Export().size() == 1);
  }
  SECTION("an append or import claiming a million events in a few bytes is refused") {
    // Found by tests/fuzz/fuzz_local_request: a list of zero-sized structs costs the sender
    // a word, but the daemon copied each element into an event of its own first: gigabytes
    // from one frame, the daemon killed for memory.
    // An append is case work: it goes as a probation user, by token; an import as the Unix
    // account, the node's operator.
    std::string probation = ReadFile(n.node.ClientEnv("probation", "po-7")["HOLDFAST_TOKEN_FILE"]);
    probation.pop_back();  // the newline
    for (bool import : {false, true}) {
      INFO((import ? "import" : "append"));
      const std::string frame = RequestFrame(
          [&](api::Request::Builder r) {
            // Import's list, and Append's events, are each the first pointer of their struct
            // after the identity; both replaced by a list of a million empty structs.
            if (import) {
              r.initImport(0);  // sets the union's tag
              capnp::AnyStruct::Builder(kj::cp(r)).getPointerSection()[1].initAsListOfAnyStruct(
                  0, 0, 1000000);
            } else {
              capnp::AnyStruct::Builder(r.initAppend())
                  .getPointerSection()[0]
                  .initAsListOfAnyStruct(0, 0, 1000000);
            }
          },
          import ? "" : probation);
      REQUIRE(frame.size() < 300);
      REQUIRE(SendAll(fd, frame));
      auto reply = ReadReply(fd, limit);
      REQUIRE(reply.error.has_value());
      CHECK(Contains(*reply.error, "1000000 events"));
      CHECK(Contains(*reply.error, "at most"));
    }
  }
  SECTION("a truncated frame, then the client closes") {
    REQUIRE(SendAll(fd, LengthPrefix(64) + std::string(10, '\x01')));
    ::close(fd);
    fd = -1;
  }
  if (fd >= 0) ::close(fd);
  CheckStillServing(n.node);
}

TEST_CASE("a client that disconnects before its answer does not stop the daemon",
          "[daemon][frames]") {
  // What an interrupted CLI does (Ctrl-C during an import): the answer to its last request is
  // written to a socket nobody reads any more. That must cost the daemon one connection, not
  // its life.
  StartedNode n;
  const std::string file = n.dir / "events.jsonl";
  std::string contents;
  for (int i = 0; i < 40000; ++i) {
    contents += AttendanceJson(TestUuid(0xd15c, i), "C-" + std::to_string(i % 50),
                               "S-" + std::to_string(i)) +
                "\n";
  }
  WriteFile(file, contents);

  SECTION("raw clients that close right after sending a request") {
    REQUIRE(n.node.Cli({"import", "--file", file}, "operator").exit == 0);
    const std::string request = RequestFrame([](api::Request::Builder r) {
      auto read = r.initReadLog();
      read.setAfter(0);
      read.setLimit(5000);
    });
    for (int i = 0; i < 20 && n.node.Running(); ++i) {
      int fd = ConnectUnix(n.node.socket());
      if (fd < 0) break;
      SendAll(fd, request);
      ::close(fd);
    }
  }
  SECTION("holdfast import interrupted with Ctrl-C (SIGINT)") {
    for (int attempt = 0; attempt < 5 && n.node.Running(); ++attempt) {
      // The daemon is done with the last attempt's connection...
      REQUIRE(WaitUntil(
          Scaled(milliseconds(20000)), [&] { return n.node.ClientConnections() == 0; },
          milliseconds(5)));
      auto import =
          Child::Start({HoldfastPath(), "import", "--file", file}, n.node.ClientEnv("operator"));
      // ...and once the import is talking to the daemon (the first time, once it has had a batch
      // stored; after that its events are already held)...
      REQUIRE(WaitUntil(
          Scaled(milliseconds(20000)),
          [&] {
            return !import->Running() ||
                   (attempt == 0 ? n.node.StoredEvents() > 0 : n.node.ClientConnections() > 0);
          },
          milliseconds(5)));
      // ...Ctrl-C lands a little later each attempt: not to wait for anything, but to
      // interrupt it at different points of its requests.
      std::this_thread::sleep_for(milliseconds(50 * attempt));
      import->Signal(SIGINT);
      import->Wait();
    }
  }
  CheckStillServing(n.node);
}

}  // namespace holdfast::test
