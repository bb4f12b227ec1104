#include "bench/bench_node.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "daemon/api.capnp.h"

namespace holdfast::bench {
namespace {

// The last lines of a daemon's log, for an error message.
std::string Tail(const std::string& file, size_t lines) {
  std::ifstream in(file);
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);) all.push_back(line);
  std::string out;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) {
    out += "\n    " + all[i];
  }
  return out;
}

// The bench's own requests carry no token: the daemon knows them by the Unix account that
// ran node init, the node's first operator.
void SetOperator(api::Request::Builder) {}

}  // namespace

Programs Programs::In(const std::string& build_dir, const std::string& ops_dir) {
  Programs p{build_dir + "/daemon/holdfastd", build_dir + "/cli/holdfast",
             build_dir + "/ops/sample/holdfast-sample", ops_dir + "/make-ca",
             ops_dir + "/make-node-cert"};
  for (const auto& path : {p.holdfastd, p.holdfast, p.sample, p.make_ca, p.make_node_cert}) {
    if (!std::filesystem::exists(path)) Die(path + " does not exist (build it first)");
  }
  return p;
}

void MakeCertificates(const Programs& programs, const std::string& cert_dir,
                      const std::vector<std::string>& node_ids) {
  auto check = [](const RunResult& r, const std::string& what) {
    if (r.exit_code != 0) Die(what + " failed: " + r.err);
  };
  check(Run({programs.make_ca, cert_dir}, {}), "ops/make-ca");
  for (const auto& id : node_ids) {
    check(Run({programs.make_node_cert, cert_dir, id}, {}), "ops/make-node-cert " + id);
  }
}

BenchNode::BenchNode(const Programs& programs, std::string dir, std::string id, std::string agency,
                     std::string kind, std::string cert_dir)
    : programs_(programs),
      dir_(std::move(dir)),
      id_(std::move(id)),
      agency_(std::move(agency)),
      kind_(std::move(kind)),
      cert_dir_(std::move(cert_dir)) {}

BenchNode::~BenchNode() {
  if (!daemon_) return;
  client_.reset();
  daemon_->Signal(SIGTERM);
  daemon_->Wait(std::chrono::seconds(60));  // then ~Subprocess kills it
}

pid_t BenchNode::pid() const { return daemon_ ? daemon_->pid() : -1; }

void BenchNode::Fail(const std::string& what) const {
  Die("node " + id_ + ": " + what + "\n  last lines of " + log_file() + ":" + Tail(log_file(), 8));
}

void BenchNode::Init() {
  std::vector<std::string> args = {"node",  "init",   "--id", id_,          "--agency",
                                   agency_, "--kind", kind_,  "--data-dir", dir_};
  if (!cert_dir_.empty()) {
    port_ = FreeLoopbackPort();
    args.insert(args.end(),
                {"--listen", address(), "--ca", cert_dir_ + "/ca.crt", "--cert",
                 cert_dir_ + "/" + id_ + ".crt", "--key", cert_dir_ + "/" + id_ + ".key"});
  }
  // Not Cli: HOLDFAST_CONFIG would name the file this is about to write, and init reads it.
  const RunResult r = Run(CliArgv(args), {});
  if (r.exit_code != 0)
    Fail("`holdfast node init` exited with status " + std::to_string(r.exit_code) + ": " + r.err);
}

void BenchNode::SetConfig(const std::string& section, const std::string& key,
                          const std::string& value) {
  std::ifstream in(config());
  std::string out, current;
  bool found = false;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] == '[') current = line;
    if (current == "[" + section + "]" && line.rfind(key + " =", 0) == 0) {
      line = key + " = " + value;
      found = true;
    }
    out += line + "\n";
  }
  if (!found) Fail("no " + key + " in [" + section + "] of " + config());
  std::ofstream(config(), std::ios::trunc) << out;
}

double BenchNode::Start(double timeout_seconds) {
  if (daemon_) Fail("already running");
  SpawnOptions options;
  options.stderr_path = log_file();
  options.stdout_path = log_file();
  daemon_ = std::make_unique<Subprocess>(
      std::vector<std::string>{programs_.holdfastd, "--config", config()}, options);
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(timeout_seconds));
  for (;;) {
    if (auto code = daemon_->Wait(Clock::now())) {
      daemon_.reset();
      Fail("holdfastd exited with status " + std::to_string(*code) + " while starting");
    }
    auto connected = Client::Connect(dir_ + "/holdfast.sock");
    if (connected.ok()) {
      client_ = std::move(connected.value());
      LastPosition();  // answers once it serves
      return Seconds(Clock::now() - daemon_->started());
    }
    if (Clock::now() > deadline) Fail("holdfastd did not start serving in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

double BenchNode::Stop() {
  if (!daemon_) return 0;
  client_.reset();
  const auto start = Clock::now();
  daemon_->Signal(SIGTERM);
  auto code = daemon_->Wait(std::chrono::seconds(300));
  if (!code) Fail("holdfastd did not stop within 300 s of SIGTERM");
  const double seconds = Seconds(Clock::now() - start);
  daemon_.reset();
  if (*code != 0) Fail("holdfastd exited with status " + std::to_string(*code) + " on SIGTERM");
  return seconds;
}

std::vector<std::string> BenchNode::CliArgv(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {programs_.holdfast};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::vector<std::string> BenchNode::CliEnv(const std::string& role, const std::string& user) const {
  if (role == "operator") return {"HOLDFAST_CONFIG=" + config()};
  auto known = token_files_.find(user);
  if (known == token_files_.end()) {
    auto must = [&](const std::vector<std::string>& args) {
      RunResult r = Run(CliArgv(args), {"HOLDFAST_CONFIG=" + config()});
      if (r.exit_code != 0) Fail("`holdfast " + args[0] + " " + args[1] + "` failed: " + r.err);
      return r;
    };
    must({"users", "add", "--id", user, "--role", role});
    RunResult token = must({"users", "token", "--id", user});
    const std::string path = dir_ + "/" + user + ".token";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 ||
        ::write(fd, token.out.data(), token.out.size()) != static_cast<ssize_t>(token.out.size())) {
      Fail("cannot write " + path);
    }
    ::close(fd);
    known = token_files_.emplace(user, path).first;
  }
  return {"HOLDFAST_CONFIG=" + config(), "HOLDFAST_TOKEN_FILE=" + known->second};
}

RunResult BenchNode::Cli(const std::vector<std::string>& args, const std::string& role,
                         const std::string& user) const {
  RunResult r = Run(CliArgv(args), CliEnv(role, user));
  if (r.exit_code != 0) {
    std::string command = "holdfast";
    for (const auto& a : args) command += " " + a;
    Fail("`" + command + "` exited with status " + std::to_string(r.exit_code) + ": " + r.err);
  }
  return r;
}

Client* BenchNode::client() {
  if (!client_) {
    auto connected = Client::Connect(dir_ + "/holdfast.sock");
    if (!connected.ok()) Fail(connected.status().ToString());
    client_ = std::move(connected.value());
  }
  return client_.get();
}

std::unique_ptr<Frame> BenchNode::Call(capnp::MallocMessageBuilder& message, const char* what) {
  auto reply = client()->Call(message);
  if (!reply.ok()) Fail(std::string(what) + ": " + reply.status().ToString());
  std::unique_ptr<Frame> frame = std::move(reply.value());
  const std::string error = ErrorMessage(frame->root<api::Response>());
  if (!error.empty()) Fail(std::string(what) + ": " + error);
  return frame;
}

uint64_t BenchNode::LastPosition() {
  capnp::MallocMessageBuilder message;
  auto request = message.initRoot<api::Request>();
  SetOperator(request);
  request.setPing();
  auto reply = Call(message, "ping");
  auto response = reply->root<api::Response>();
  if (!response.isPong()) Fail("ping: the daemon did not answer with a pong");
  return response.getPong().getLastPosition();
}

void BenchNode::CaseShow(const std::string& case_id, const std::string& token) {
  capnp::MallocMessageBuilder message;
  auto request = message.initRoot<api::Request>();
  request.initIdentity().setToken(token);
  request.setCaseShow(case_id);
  auto reply = Call(message, "case show");
  if (!reply->root<api::Response>().isCaseView()) Fail("case show: the daemon sent no case view");
}

std::vector<PeerView> BenchNode::Peers() {
  capnp::MallocMessageBuilder message;
  auto request = message.initRoot<api::Request>();
  SetOperator(request);
  request.setSyncStatus();
  auto reply = Call(message, "sync status");
  std::vector<PeerView> out;
  for (auto p : reply->root<api::Response>().getPeers()) {
    out.push_back({p.getId(), p.getConnected(), p.getBehindIn(), p.getBehindOut(), p.getEventsIn(),
                   p.getBytesIn(), p.getLastError()});
  }
  return out;
}

std::optional<PeerView> BenchNode::Peer(const std::string& id) {
  for (auto& p : Peers()) {
    if (p.id == id) return p;
  }
  return std::nullopt;
}

void BenchNode::Import(const std::vector<Event>& events, bool with_derived) const {
  capnp::MallocMessageBuilder message;
  auto request = message.initRoot<api::Request>();
  SetOperator(request);
  request.setImportWithDerived(with_derived);
  auto list = request.initImport(static_cast<unsigned>(events.size()));
  for (size_t i = 0; i < events.size(); ++i) {
    list.setWithCaveats(static_cast<unsigned>(i), events[i].reader());
  }
  // A connection of its own: the benchmark polls the node on the shared one meanwhile.
  auto connected = Client::Connect(dir_ + "/holdfast.sock");
  if (!connected.ok()) Fail(connected.status().ToString());
  auto reply = connected.value()->Call(message);
  // Progress frames (every second while the import runs) come before the answer.
  while (reply.ok() && reply.value()->root<api::Response>().isProgress()) {
    reply = connected.value()->Next();
  }
  if (!reply.ok()) Fail("import: " + reply.status().ToString());
  const std::string error = ErrorMessage(reply.value()->root<api::Response>());
  if (!error.empty()) Fail("import: " + error);
}

}  // namespace holdfast::bench
