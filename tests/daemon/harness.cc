#include "tests/daemon/harness.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace holdfast::test {
namespace {

using Clock = std::chrono::steady_clock;

// The test process writes into pipes and sockets whose readers may be gone; that must be an
// error value here, not a signal. Children get SIGPIPE back (tests/support/subprocess.h), so
// a binary under test that forgets to handle it is caught.
struct IgnoreSigpipe {
  IgnoreSigpipe() { ::signal(SIGPIPE, SIG_IGN); }
} const kIgnoreSigpipe;

[[noreturn]] void Fail(const std::string& what) { throw std::runtime_error(what); }

std::string ErrnoText(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

const std::string& HoldfastdPath() {
  static const std::string path = HOLDFASTD_PATH;
  return path;
}

const std::string& HoldfastPath() {
  static const std::string path = HOLDFAST_PATH;
  return path;
}

bool Sanitized() {
#ifdef HOLDFAST_TEST_SANITIZED
  return true;
#else
  return false;
#endif
}

milliseconds Scaled(milliseconds release_limit) {
  return Sanitized() ? release_limit * 6 : release_limit;
}

std::vector<std::string> RunResult::ErrLines() const { return Lines(err); }

std::string RunResult::Describe() const {
  return "exit " + std::to_string(exit) + "\n--- stdout:\n" + out.substr(0, 4000) +
         "\n--- stderr:\n" + err.substr(0, 4000);
}

// --- Child ------------------------------------------------------------------------------

std::unique_ptr<Child> Child::Start(const std::vector<std::string>& args, const Env& env,
                                    const RunOptions& options) {
  testing::SpawnOptions spawn;
  for (const auto& [name, value] : env) spawn.env.push_back(name + "=" + value);
  spawn.stdin_data = options.stdin_data;
  spawn.stdout_path = options.stdout_path;
  spawn.stderr_path = options.stderr_path;
  spawn.as_uid = options.as_uid;
  return std::unique_ptr<Child>(new Child(args, spawn, options.timeout));
}

RunResult Child::Wait(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  if (process_.Collect(deadline, &result_.out, &result_.err)) process_.Wait(deadline);
  if (process_.Running()) {
    process_.Kill();
    result_.err += "\n[harness: killed after " + std::to_string(timeout.count()) + " ms]";
    result_.exit = -1;
    return result_;
  }
  result_.exit = *process_.exit_code();
  return result_;
}

bool WaitUntil(milliseconds limit, const std::function<bool()>& check, milliseconds interval) {
  const auto deadline = Clock::now() + limit;
  for (;;) {
    if (check()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

RunResult Run(const std::vector<std::string>& args, const Env& env, const std::string& stdin_data) {
  RunOptions options;
  options.stdin_data = stdin_data;
  return Run(args, env, options);
}

RunResult Run(const std::vector<std::string>& args, const Env& env, const RunOptions& options) {
  return Child::Start(args, env, options)->Wait(options.timeout);
}

RunResult Holdfast(const std::vector<std::string>& args, const Env& env,
                   const RunOptions& options) {
  std::vector<std::string> full = {HoldfastPath()};
  full.insert(full.end(), args.begin(), args.end());
  return Run(full, env, options);
}

// --- TempDir ----------------------------------------------------------------------------

TempDir::TempDir() {
  char pattern[] = "/tmp/hfd-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) Fail(ErrnoText("mkdtemp"));
  path_ = pattern;
}

TempDir::~TempDir() {
  if (std::getenv("HOLDFAST_TEST_KEEP") != nullptr) return;
  std::error_code ec;
  // A test may have taken permissions away; give them back so everything can go.
  for (auto it = std::filesystem::recursive_directory_iterator(
           path_, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec)) ::chmod(it->path().c_str(), 0700);
  }
  ::chmod(path_.c_str(), 0700);
  std::filesystem::remove_all(path_, ec);
}

// --- Node -------------------------------------------------------------------------------

Node::Node(const std::string& data_dir, const std::string& id, const std::string& agency,
           const std::string& kind)
    : data_dir_(data_dir),
      config_(data_dir + "/holdfast.conf"),
      socket_(data_dir + "/holdfast.sock"),
      log_(data_dir + ".holdfastd.log"),
      id_(id),
      identities_(std::make_shared<Identities>()) {
  auto r = Holdfast(
      {"node", "init", "--id", id, "--agency", agency, "--kind", kind, "--data-dir", data_dir});
  if (r.exit != 0) Fail("holdfast node init failed: " + r.Describe());
}

Node::~Node() {
  if (daemon_ && daemon_->Running()) {
    daemon_->Signal(SIGTERM);
    // Kills it if it does not stop in time.
    const int exit = daemon_->Wait(Scaled(milliseconds(10000))).exit;
    // Every test that leaves its daemon running also checks that it stops cleanly: exit 0,
    // which in the sanitizer build also means no leak or error report.
    if (std::uncaught_exceptions() == 0) {
      INFO("holdfastd " << id_ << " log:\n" << Log());
      CHECK(exit == 0);
    }
  }
}

void Node::Start() {
  if (daemon_ && daemon_->Running()) Fail("Node::Start: holdfastd is already running");
  RunOptions options;
  options.stdout_path = log_;
  options.stderr_path = log_;
  daemon_ = Child::Start({HoldfastdPath(), "--config", config_}, {}, options);
  const auto deadline = Clock::now() + Scaled(milliseconds(20000));
  RunResult last;
  while (Clock::now() < deadline) {
    if (!daemon_->Running()) {
      Fail("holdfastd exited while starting (" + std::to_string(daemon_->Wait().exit) +
           "); its log:\n" + Log());
    }
    int fd = ConnectUnix(socket_);
    if (fd >= 0) {
      ::close(fd);
      last = Cli({"users", "list"}, "");  // as the Unix account: the first operator
      if (last.exit == 0) return;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  Fail("holdfastd did not answer `holdfast case list` in time: " + last.Describe() +
       "\nits log:\n" + Log());
}

int Node::Stop() {
  if (!daemon_) Fail("Node::Stop: holdfastd was never started");
  daemon_->Signal(SIGTERM);
  return daemon_->Wait(Scaled(milliseconds(30000))).exit;
}

void Node::Kill() {
  if (!daemon_) Fail("Node::Kill: holdfastd was never started");
  daemon_->Signal(SIGKILL);
  daemon_->Wait(Scaled(milliseconds(30000)));
}

bool Node::Running() { return daemon_ && daemon_->Running(); }

int Node::ExitStatus() {
  if (!daemon_ || daemon_->Running()) return -1;
  return daemon_->Wait(milliseconds(0)).exit;
}

pid_t Node::pid() const { return daemon_ ? daemon_->pid() : -1; }

// The users the harness made on this node: user id -> its role and token file.
struct Node::Identities {
  std::mutex mu;
  std::map<std::string, std::pair<std::string, std::string>> users;
};

Env Node::ClientEnv(const std::string& role, const std::string& named) const {
  const Env unix_account = {{"HOLDFAST_CONFIG", config_}};
  if (role.empty() || (role == "operator" && named == kDefaultUser)) return unix_account;
  // The default user is one person per role, so a test switching roles changes no user.
  const std::string user =
      named == kDefaultUser && role != "probation" ? named + "-" + role : named;
  std::lock_guard<std::mutex> lock(identities_->mu);
  auto& users = identities_->users;
  auto known = users.find(user);
  if (known != users.end() && known->second.first == role) {
    return {{"HOLDFAST_CONFIG", config_}, {"HOLDFAST_TOKEN_FILE", known->second.second}};
  }
  // With no daemon to make the user, a client can only meet the missing daemon (or, with
  // the store, act as the Unix account: store restore).
  if (!daemon_ || !daemon_->Running()) return unix_account;
  auto must = [&](const std::vector<std::string>& args, bool may_exist = false) {
    auto r = Holdfast(args, unix_account);
    if (r.exit != 0 && !(may_exist && Contains(r.err, "already exists"))) {
      Fail("harness: holdfast " + args[0] + " " + args[1] + " " + user +
           " failed: " + r.Describe());
    }
    return r;
  };
  auto added = must({"users", "add", "--id", user, "--role", role}, /*may_exist=*/true);
  if (added.exit != 0) must({"users", "role", "--id", user, "--role", role});
  std::string path;
  if (known != users.end()) {
    path = known->second.second;
  } else {
    const std::string dir = data_dir_ + ".tokens";
    ::mkdir(dir.c_str(), 0700);
    path = dir + "/" + user;
    auto r = must({"users", "token", "--id", user});
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ::write(fd, r.out.data(), r.out.size()) != static_cast<ssize_t>(r.out.size())) {
      Fail("harness: cannot write the token file " + path);
    }
    ::close(fd);
  }
  users[user] = {role, path};
  return {{"HOLDFAST_CONFIG", config_}, {"HOLDFAST_TOKEN_FILE", path}};
}

RunResult Node::Cli(const std::vector<std::string>& args, const std::string& role,
                    const std::string& user, const RunOptions& options) const {
  RunResult r = Holdfast(args, ClientEnv(role, user), options);
  if (r.exit != 0 && Contains(r.err, "is not one this node knows")) {
    {
      std::lock_guard<std::mutex> lock(identities_->mu);
      identities_->users.clear();  // the store was replaced: none of its tokens hold
    }
    r = Holdfast(args, ClientEnv(role, user), options);
  }
  return r;
}

std::vector<std::string> Node::Export() const {
  RunOptions options;
  options.timeout = Scaled(milliseconds(60000));
  auto r = Cli({"export"}, "operator", kDefaultUser, options);
  if (r.exit != 0) Fail("holdfast export failed: " + r.Describe());
  return Lines(r.out);
}

std::string Node::Log() const { return ReadFile(log_); }

size_t Node::ClientConnections() const {
  // Lines: "Num RefCount Protocol Flags Type St Inode Path". A listening socket is
  // unconnected (St 01); the daemon's accepted ones are connected (St 03) and show the
  // listener's path. Client ends are not bound, so they have none.
  std::ifstream in("/proc/net/unix");
  if (!in) Fail("cannot read /proc/net/unix");
  size_t n = 0;
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string num, refs, protocol, flags, type, state, inode, path;
    fields >> num >> refs >> protocol >> flags >> type >> state >> inode >> path;
    n += path == socket_ && state == "03";
  }
  return n;
}

uint64_t Node::StoredEvents() const {
  auto r = Cli({"store", "stats", "--format", "csv"}, "operator");
  const std::string key = "\nevents,";
  const size_t at = r.out.find(key);
  if (r.exit != 0 || at == std::string::npos) return 0;
  return std::stoull(r.out.substr(at + key.size()));
}

bool IsOneLineFailure(const RunResult& r) {
  auto lines = r.ErrLines();
  return r.exit > 0 && r.exit < 128 && lines.size() == 1 && !lines[0].empty();
}

// --- Helpers ----------------------------------------------------------------------------

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  if (!out) Fail("cannot write " + path);
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string TestUuid(uint32_t prefix, uint64_t n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-0000-4000-8000-%012llx", prefix,
                static_cast<unsigned long long>(n & 0xffffffffffffULL));
  return buf;
}

std::string EventIdOf(const std::string& json_line) {
  const std::string key = "\"id\":\"";
  size_t at = json_line.find(key);
  if (at == std::string::npos || at + key.size() + 36 > json_line.size()) return "";
  return json_line.substr(at + key.size(), 36);
}

std::string StringField(const std::string& json_object, const std::string& name) {
  const std::string key = "\"" + name + "\":\"";
  const size_t at = json_object.find(key);
  if (at == std::string::npos) return "";
  const size_t from = at + key.size();
  const size_t end = json_object.find('"', from);
  return end == std::string::npos ? "" : json_object.substr(from, end - from);
}

std::string WithoutPosition(const std::string& json_line) {
  const std::string key = "\"position\":";
  size_t at = json_line.find(key);
  if (at == std::string::npos) return json_line;
  size_t end = at + key.size();
  while (end < json_line.size() && json_line[end] >= '0' && json_line[end] <= '9') ++end;
  if (at > 0 && json_line[at - 1] == ',') {
    --at;
  } else if (end < json_line.size() && json_line[end] == ',') {
    ++end;
  }
  return json_line.substr(0, at) + json_line.substr(end);
}

std::string AttendanceJson(const std::string& id, const std::string& case_id,
                           const std::string& session, const std::string& occurred_at) {
  return "{\"id\":\"" + id + "\",\"type\":\"attendance.recorded\",\"occurred_at\":\"" +
         occurred_at +
         "\",\"author\":{\"user\":\"f-1\",\"role\":\"facilitator\",\"agency\":"
         "\"provider-a\"},\"data\":{\"case\":\"" +
         case_id + "\",\"intervention\":\"I-" + case_id + "\",\"session\":\"" + session +
         "\",\"outcome\":\"attended\"}}";
}

std::string BulkyAttendanceJson(const std::string& id, const std::string& case_id,
                                const std::string& session, size_t reason_bytes) {
  std::string reason(reason_bytes, ' ');
  uint64_t noise = std::hash<std::string>()(id);
  for (char& c : reason) {
    noise = noise * 6364136223846793005u + 1442695040888963407u;
    c = static_cast<char>('a' + (noise >> 59) % 26);  // ASCII letters: valid UTF-8
  }
  std::string line = AttendanceJson(id, case_id, session);
  line.insert(line.size() - 2, ",\"reason\":\"" + reason + "\"");
  return line;
}

std::vector<std::string> EventIds(const std::vector<std::string>& json_lines) {
  std::vector<std::string> ids;
  ids.reserve(json_lines.size());
  for (const auto& l : json_lines) ids.push_back(EventIdOf(l));
  return ids;
}

int ConnectUnix(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

RunResult Ok(const Node& node, const std::vector<std::string>& args, const std::string& role,
             const std::string& user) {
  auto r = node.Cli(args, role, user);
  INFO("holdfast " << args[0] << " " << (args.size() > 1 ? args[1] : "") << ": " << r.Describe());
  REQUIRE(r.exit == 0);
  return r;
}

}  // namespace holdfast::test
