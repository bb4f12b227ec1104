// Hooks (SPEC "Alerts reach people", docs/hooks.md) through real daemons and a real HTTPS
// receiver (tests/daemon/webhook_receiver.py, Python's http.server and ssl, with a
// certificate from a CA made by ops/make-ca): signatures checked with Python's hmac module,
// a receiver down and back, a daemon killed mid-delivery, answers of 500, a slow receiver,
// a wrong certificate, parking and hooks retry, and an exec hook.
#include <signal.h>

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <sstream>

#include "tests/daemon/harness.h"

namespace holdfast::test {
namespace {

using std::chrono::milliseconds;

const std::string kReceiver =
    std::string(HOLDFAST_SOURCE_DIR) + "/tests/daemon/webhook_receiver.py";
const std::string kOps = std::string(HOLDFAST_SOURCE_DIR) + "/ops";

void MustRun(const std::vector<std::string>& args) {
  auto r = Run(args);
  if (r.exit != 0) throw std::runtime_error(r.Describe());
}

// A CA in DIR (ops/make-ca) and a certificate for "localhost" signed by it.
struct Ca {
  std::string dir;
  explicit Ca(std::string d) : dir(std::move(d)) {
    MustRun({kOps + "/make-ca", dir});
    MustRun({kOps + "/make-node-cert", dir, "localhost"});
  }
  std::string crt() const { return dir + "/ca.crt"; }
  std::string cert() const { return dir + "/localhost.crt"; }
  std::string key() const { return dir + "/localhost.key"; }
};

// One recorded request, from the receiver's summary.
struct Delivery {
  int answered = 0;
  std::string webhook_id, alert, change;
  uint64_t cursor = 0;
  bool free_text = false;
};

class Receiver {
 public:
  Receiver(const std::string& dir, const Ca& ca) : dir_(dir), cert_(ca.cert()), key_(ca.key()) {
    Start();
  }
  ~Receiver() { Stop(); }
  void Start() {
    std::remove((dir_ + ".port").c_str());
    std::vector<std::string> args = {
        HOLDFAST_PYTHON, kReceiver, "--cert",      cert_,          "--key",       key_,
        "--record",      record(),  "--mode-file", dir_ + ".mode", "--port-file", dir_ + ".port"};
    if (port_ != 0) {
      args.push_back("--port");
      args.push_back(std::to_string(port_));
    }
    child_ = Child::Start(args);
    if (!WaitUntil(Scaled(milliseconds(10000)),
                   [&] { return !ReadFile(dir_ + ".port").empty(); })) {
      throw std::runtime_error("the receiver did not start: " +
                               child_->Wait(milliseconds(100)).Describe());
    }
    port_ = std::stoi(ReadFile(dir_ + ".port"));
  }
  void Stop() {
    if (!child_) return;
    child_->Signal(SIGKILL);
    child_->Wait(milliseconds(5000));
    child_.reset();
  }
  void SetMode(const std::string& mode) { WriteFile(dir_ + ".mode", mode); }
  std::string url() const { return "https://localhost:" + std::to_string(port_) + "/hook"; }
  std::string record() const { return dir_ + ".jsonl"; }
  std::vector<Delivery> Deliveries() const {
    auto r = Run({HOLDFAST_PYTHON, kReceiver, "summary", "--record", record()});
    if (r.exit != 0) throw std::runtime_error(r.Describe());
    std::vector<Delivery> out;
    for (const auto& line : Lines(r.out)) {
      std::istringstream in(line);
      Delivery d;
      std::string text;
      in >> d.answered >> d.webhook_id >> d.alert >> d.change >> d.cursor >> text;
      d.free_text = text == "text";
      out.push_back(d);
    }
    return out;
  }
  // The changes the receiver took (answered 200), each webhook-id once, in arrival order.
  std::vector<Delivery> Taken() const {
    std::vector<Delivery> out;
    std::set<std::string> seen;
    for (const auto& d : Deliveries()) {
      if (d.answered == 200 && seen.insert(d.webhook_id).second) out.push_back(d);
    }
    return out;
  }

 private:
  std::string dir_, cert_, key_;
  int port_ = 0;
  std::unique_ptr<Child> child_;
};

// Sets `key = value` in the node's config (the line node init wrote for it).
void SetConfig(const Node& node, const std::string& key, const std::string& value) {
  std::string config;
  bool found = false;
  for (const auto& line : Lines(ReadFile(node.config()))) {
    if (line.rfind(key + " =", 0) == 0) {
      config += key + " = " + value + "\n";
      found = true;
    } else {
      config += line + "\n";
    }
  }
  if (!found) throw std::runtime_error("no " + key + " in the config");
  WriteFile(node.config(), config);
}

// A probation node (it derives alerts) with quick retries.
struct HookNode {
  TempDir dir;
  Node node{dir / "n1"};
  Ca ca{dir / "ca"};
  explicit HookNode(const std::string& retry_for = "86400", const std::string& timeout = "10") {
    SetConfig(node, "retry_for_seconds", retry_for);
    SetConfig(node, "backoff_base_ms", "50");
    SetConfig(node, "backoff_cap_ms", "400");
    SetConfig(node, "timeout_seconds", timeout);
    node.Start();
  }
  std::string Secret(const std::string& name) {
    const std::string path = dir / (name + ".secret");
    // 32 fixed bytes, base64: whsec_ as Standard Webhooks writes secrets.
    WriteFile(path, "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n");
    return path;
  }
  void AddWebHook(const std::string& id, const Receiver& r, const std::string& ca_file = "") {
    std::vector<std::string> args = {"hooks", "add",   "--id",          id,
                                     "--url", r.url(), "--secret-file", Secret(id)};
    args.push_back("--ca");
    args.push_back(ca_file.empty() ? ca.crt() : ca_file);
    Ok(node, args, "operator");
  }
  // Opens case `c` and reports a breach on it: one breach alert raised.
  void RaiseAlert(const std::string& c) {
    Ok(node,
       {"case", "open", "--case", c, "--subject", "P-" + c, "--order", "licence", "--risk", "high",
        "--lead-agency", "probation-ce", "--at", "2025-01-01T09:00:00Z"},
       "probation");
    Ok(node, {"breach", "report", "--case", c, "--kind", "recall"}, "probation");
  }
  std::string AlertOf(const std::string& c) const {
    auto json = Ok(node, {"alerts", "list", "--status", "all", "--format", "json"}, "probation");
    for (const auto& line : Lines(json.out)) {
      if (StringField(line, "case") == c) return StringField(line, "alert");
    }
    throw std::runtime_error("no alert on " + c + ": " + json.out);
  }
  void Acknowledge(const std::string& c) {
    Ok(node, {"alerts", "ack", "--alert", AlertOf(c), "--note", "called the officer"}, "probation");
  }
  // A column of `hooks status --format json` for hook `id`.
  std::string Status(const std::string& id, const std::string& field) const {
    auto r = Ok(node, {"hooks", "status", "--format", "json"}, "operator");
    for (const auto& line : Lines(r.out)) {
      if (StringField(line, "id") != id) continue;
      const std::string quoted = StringField(line, field);
      if (!quoted.empty()) return quoted;
      const auto at = line.find("\"" + field + "\":");
      if (at == std::string::npos) return "";
      const auto from = at + field.size() + 3;
      return line.substr(from, line.find_first_of(",}", from) - from);
    }
    return "";
  }
};

uint64_t Number(const std::string& s) { return s.empty() ? 0 : std::stoull(s); }

// Whether every alert's changes arrived in cursor order, as `want` lists them per alert.
bool InOrderPerAlert(const std::vector<Delivery>& taken,
                     const std::map<std::string, std::vector<std::string>>& want) {
  std::map<std::string, std::vector<std::string>> got;
  for (const auto& d : taken) got[d.alert].push_back(d.change);
  return got == want;
}

}  // namespace

TEST_CASE("a web hook delivers each alert change, signed as Standard Webhooks says", "[hooks]") {
  HookNode n;
  Receiver receiver(n.dir / "r1", n.ca);
  n.AddWebHook("police-rms", receiver);
  n.RaiseAlert("C-1");
  n.Acknowledge("C-1");
  REQUIRE(WaitUntil(Scaled(milliseconds(15000)), [&] { return receiver.Taken().size() >= 2; }));
  const auto taken = receiver.Taken();
  CHECK(taken[0].change == "raised");
  CHECK(taken[1].change == "acknowledged");
  CHECK(taken[0].alert == n.AlertOf("C-1"));
  CHECK(taken[0].cursor < taken[1].cursor);
  for (const auto& d : taken) {
    CHECK_FALSE(d.free_text);  // the note stays on the node
    CHECK(d.webhook_id.rfind("msg_", 0) == 0);
  }
  // Python's hmac, not holdfastd's OpenSSL, checks each signature.
  auto verified = Run({HOLDFAST_PYTHON, kReceiver, "verify", "--secret-file",
                       n.dir / "police-rms.secret", "--record", receiver.record()});
  INFO(verified.Describe());
  CHECK(verified.exit == 0);
  CHECK(Contains(verified.out, "verified "));
  CHECK(WaitUntil(Scaled(milliseconds(5000)),
                  [&] { return Number(n.Status("police-rms", "delivered")) == 2; }));
  CHECK(n.Status("police-rms", "pending") == "0");
}

TEST_CASE("a receiver down for a while gets every change once it is up, in order per alert",
          "[hooks]") {
  HookNode n;
  Receiver receiver(n.dir / "r1", n.ca);
  n.AddWebHook("rms", receiver);
  receiver.Stop();
  std::map<std::string, std::vector<std::string>> want;
  for (const std::string c : {"C-1", "C-2", "C-3"}) {
    n.RaiseAlert(c);
    n.Acknowledge(c);
    want[n.AlertOf(c)] = {"raised", "acknowledged"};
  }
  REQUIRE(WaitUntil(Scaled(milliseconds(15000)),
                    [&] { return Number(n.Status("rms", "failed_attempts")) >= 3; }));
  CHECK(Number(n.Status("rms", "pending")) == 6);
  receiver.Start();
  REQUIRE(WaitUntil(Scaled(milliseconds(30000)), [&] { return receiver.Taken().size() >= 6; }));
  CHECK(InOrderPerAlert(receiver.Taken(), want));
  CHECK(WaitUntil(Scaled(milliseconds(5000)), [&] { return n.Status("rms", "pending") == "0"; }));
}

TEST_CASE("a daemon killed mid-delivery loses nothing, and a change sent twice has one webhook-id",
          "[hooks]") {
  HookNode n;
  Receiver receiver(n.dir / "r1", n.ca);
  n.AddWebHook("rms", receiver);
  receiver.SetMode("slow 3");
  n.RaiseAlert("C-1");
  n.RaiseAlert("C-2");
  REQUIRE(WaitUntil(
      Scaled(milliseconds(10000)), [&] { return Number(n.Status("rms", "in_flight")) >= 1; },
      milliseconds(20)));
  n.node.Kill();
  receiver.SetMode("ok");
  n.node.Start();
  REQUIRE(WaitUntil(Scaled(milliseconds(20000)), [&] { return receiver.Taken().size() >= 2; }));
  std::map<std::string, std::vector<std::string>> want = {{n.AlertOf("C-1"), {"raised"}},
                                                          {n.AlertOf("C-2"), {"raised"}}};
  CHECK(InOrderPerAlert(receiver.Taken(), want));
  // The attempt the kill cut short reached the receiver too (it answered after 3 s): the
  // same change, under the same webhook-id.
  REQUIRE(
      WaitUntil(Scaled(milliseconds(10000)), [&] { return receiver.Deliveries().size() >= 3; }));
  std::map<std::string, std::set<uint64_t>> cursors_of_id;
  for (const auto& d : receiver.Deliveries()) cursors_of_id[d.webhook_id].insert(d.cursor);
  CHECK(cursors_of_id.size() == 2);
  for (const auto& [id, cursors] : cursors_of_id) CHECK(cursors.size() == 1);
}

TEST_CASE("a receiver answering 500 is retried until it answers 200", "[hooks]") {
  HookNode n;
  Receiver receiver(n.dir / "r1", n.ca);
  n.AddWebHook("rms", receiver);
  receiver.SetMode("500");
  n.RaiseAlert("C-1");
  REQUIRE(WaitUntil(Scaled(milliseconds(15000)),
                    [&] { return Number(n.Status("rms", "failed_attempts")) >= 2; }));
  CHECK(n.Status("rms", "last_error") == "HTTP 500");
  CHECK(receiver.Taken().empty());
  receiver.SetMode("ok");
  REQUIRE(WaitUntil(Scaled(milliseconds(15000)), [&] { return receiver.Taken().size() == 1; }));
  CHECK(WaitUntil(Scaled(milliseconds(5000)), [&] { return n.Status("rms", "pending") == "0"; }));
}

TEST_CASE("a slow receiver does not hold up another hook", "[hooks]") {
  HookNode n("86400", "30");
  Receiver slow(n.dir / "slow", n.ca);
  Receiver quick(n.dir / "quick", n.ca);
  slow.SetMode("slow 20");
  n.AddWebHook("slow", slow);
  n.AddWebHook("quick", quick);
  n.RaiseAlert("C-1");
  n.RaiseAlert("C-2");
  REQUIRE(WaitUntil(Scaled(milliseconds(8000)), [&] { return quick.Taken().size() == 2; }));
  CHECK(slow.Deliveries().empty());                   // still waiting on its first answer
  CHECK(Number(n.Status("slow", "in_flight")) == 2);  // both alerts at once
}

TEST_CASE("a receiver whose certificate the hook's CA did not sign gets nothing", "[hooks]") {
  HookNode n;
  Ca other(n.dir / "other-ca");
  Receiver impostor(n.dir / "r1", other);
  n.AddWebHook("rms", impostor);  // trusts n.ca only
  n.RaiseAlert("C-1");
  REQUIRE(WaitUntil(Scaled(milliseconds(15000)),
                    [&] { return Number(n.Status("rms", "failed_attempts")) >= 1; }));
  const std::string error = n.Status("rms", "last_error");
  INFO(error);
  CHECK((Contains(error, "certificate") || Contains(error, "SSL")));
  CHECK(impostor.Deliveries().empty());
}

TEST_CASE("a delivery failing past retry_for_seconds is parked, and hooks retry sends it",
          "[hooks]") {
  HookNode n("2");
  Receiver receiver(n.dir / "r1", n.ca);
  n.AddWebHook("rms", receiver);
  receiver.SetMode("500");
  n.RaiseAlert("C-1");
  // The acknowledgement waits behind the raise, and is parked with it.
  REQUIRE(WaitUntil(Scaled(milliseconds(5000)),
                    [&] { return Number(n.Status("rms", "failed_attempts")) >= 1; }));
  n.Acknowledge("C-1");
  REQUIRE(WaitUntil(Scaled(milliseconds(20000)), [&] { return n.Status("rms", "parked") == "2"; }));
  CHECK(n.Status("rms", "pending") == "0");
  const size_t tried = receiver.Deliveries().size();
  receiver.SetMode("ok");
  // Parked: no more attempts until hooks retry.
  CHECK_FALSE(WaitUntil(milliseconds(1500), [&] { return receiver.Deliveries().size() > tried; }));
  auto retried = Ok(n.node, {"hooks", "retry", "--id", "rms"}, "operator");
  CHECK(Contains(retried.out, "2 parked deliveries of hook rms queued again"));
  REQUIRE(WaitUntil(Scaled(milliseconds(15000)), [&] { return receiver.Taken().size() == 2; }));
  CHECK(InOrderPerAlert(receiver.Taken(), {{n.AlertOf("C-1"), {"raised", "acknowledged"}}}));
  CHECK(WaitUntil(Scaled(milliseconds(5000)), [&] { return n.Status("rms", "parked") == "0"; }));
}

TEST_CASE("an exec hook gets each change on stdin and its id in the environment", "[hooks]") {
  HookNode n;
  const std::string out = n.dir / "alerts.jsonl";
  const std::string script = n.dir / "to-file.sh";
  WriteFile(script, "#!/bin/sh\n{ cat; echo; echo \"$HOLDFAST_WEBHOOK_ID\"; } >> " + out + "\n");
  MustRun({"/bin/chmod", "+x", script});
  Ok(n.node, {"hooks", "add", "--id", "to-file", "--exec", script}, "operator");
  n.RaiseAlert("C-1");
  REQUIRE(WaitUntil(Scaled(milliseconds(15000)), [&] { return Contains(ReadFile(out), "msg_"); }));
  const auto lines = Lines(ReadFile(out));
  REQUIRE(lines.size() == 2);
  CHECK(StringField(lines[0], "change") == "raised");
  CHECK(Contains(lines[0], n.AlertOf("C-1")));
  CHECK(lines[1].rfind("msg_", 0) == 0);
}

TEST_CASE(
    "hooks add refuses bad input in one line naming the flag, and only operators manage hooks",
    "[hooks]") {
  StartedNode n;
  const std::string secret = n.dir / "s";
  WriteFile(secret, "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n");
  const std::string weak = n.dir / "weak";
  WriteFile(weak, "hunter2\n");
  struct Case {
    std::vector<std::string> args;
    std::string names;
  };
  const std::vector<Case> cases = {
      {{"--id", "Bad_Id", "--exec", "/bin/true"}, "--id"},
      {{"--id", "h", "--url", "http://example.org/x", "--secret-file", secret}, "--url"},
      {{"--id", "h", "--url", "https://example.org/x"}, "--secret-file"},
      {{"--id", "h", "--url", "https://example.org/x", "--secret-file", weak}, "--secret-file"},
      {{"--id", "h", "--url", "https://example.org/x", "--secret-file", n.dir / "none"},
       "--secret-file"},
      {{"--id", "h", "--exec", "relative/path"}, "--exec"},
      {{"--id", "h", "--exec", n.dir / "missing"}, "--exec"},
      {{"--id", "h", "--exec", "/bin/true", "--rules", "breach,nonsense"}, "--rules"},
      {{"--id", "h", "--exec", "/bin/true", "--severity", "urgent"}, "--severity"},
      {{"--id", "h"}, "--url"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"hooks", "add"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto r = n.node.Cli(args, "operator");
    INFO(r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, c.names));
  }
  Ok(n.node, {"hooks", "add", "--id", "h", "--exec", "/bin/true"}, "operator");
  auto twice = n.node.Cli({"hooks", "add", "--id", "h", "--exec", "/bin/true"}, "operator");
  CHECK(IsOneLineFailure(twice));
  auto listed = Ok(n.node, {"hooks", "list", "--format", "json"}, "operator");
  CHECK(Contains(listed.out, "/bin/true"));
  for (const std::string role : {"probation", "police"}) {
    auto refused = n.node.Cli({"hooks", "list"}, role);
    CHECK(IsOneLineFailure(refused));
  }
  Ok(n.node, {"hooks", "remove", "--id", "h"}, "operator");
  CHECK(IsOneLineFailure(n.node.Cli({"hooks", "remove", "--id", "h"}, "operator")));
}

// Plain http:// is for a receiver on this machine only. A URL's user info comes before the
// host: curl sends http://127.0.0.1:80@10.1.2.3/ to 10.1.2.3, in clear, so a URL that merely
// starts with a loopback name is not enough.
TEST_CASE("hooks add refuses plain http to another machine behind a loopback user name",
          "[hooks]") {
  StartedNode n;
  const std::string secret = n.dir / "s";
  WriteFile(secret, "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n");
  for (const std::string url :
       {"http://127.0.0.1:80@10.1.2.3/hook", "http://localhost:8080@example.org/hook",
        "http://[::1]:1@10.1.2.3/", "http://127.0.0.1:@10.1.2.3", "http://localhost:80\\@10.1.2.3/",
        "http://127.0.0.1:80:81/x", "http://localhost:x/"}) {
    auto r = n.node.Cli({"hooks", "add", "--id", "h", "--url", url, "--secret-file", secret},
                        "operator");
    INFO(url << "\n" << r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, "--url"));
  }
  CHECK_FALSE(Contains(Ok(n.node, {"hooks", "list", "--format", "json"}, "operator").out, "\"h\""));
  // Loopback itself, with a port, a path, a query or an @ in the path, is fine.
  int i = 0;
  for (const std::string url : {"http://127.0.0.1:8080/hook", "http://localhost/hook?x=1",
                                "http://[::1]:9/", "http://127.0.0.1/a@b", "http://localhost"}) {
    INFO(url);
    Ok(n.node,
       {"hooks", "add", "--id", "ok-" + std::to_string(i++), "--url", url, "--secret-file", secret},
       "operator");
  }
}

// A careless path (a device, a disk image) is refused after at most 1 MiB read: the CLI once
// read the whole file before looking at its size, so --secret-file /dev/zero grew until the
// machine ran out of memory. Here under a 1 GiB address space limit, so that the old code
// failed with bad_alloc rather than taking the machine's memory; under AddressSanitizer
// (which reserves terabytes of address space for its shadow, so no such limit can be set)
// under its own limit on one allocation, 256 MiB, which the old code's string passed.
#if defined(__SANITIZE_ADDRESS__)
constexpr const char* kMemoryLimit =
    "export ASAN_OPTIONS=\"$ASAN_OPTIONS:max_allocation_size_mb=256\"; ";
#else
constexpr const char* kMemoryLimit = "ulimit -v 1048576; ";
#endif
TEST_CASE("hooks add refuses a secret or CA file that never ends, reading 1 MiB of it", "[hooks]") {
  StartedNode n;
  const Env env = n.node.ClientEnv("operator");
  for (const std::string option : {"--secret-file", "--ca"}) {
    const std::string secret = option == "--ca" ? " --secret-file " + (n.dir / "s") : "";
    WriteFile(n.dir / "s", "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n");
    RunOptions quick;
    quick.timeout = Scaled(milliseconds(20000));
    auto r = Run(
        {"/bin/sh", "-c",
         std::string(kMemoryLimit) + "exec \"$0\" hooks add --id h --url https://127.0.0.1:9/x " +
             option + " /dev/zero" + secret,
         HOLDFAST_PATH},
        env, quick);
    INFO(r.Describe());
    CHECK(IsOneLineFailure(r));
    CHECK(Contains(r.err, option + ": /dev/zero is too big"));
  }
}

TEST_CASE("a web hook's secret is never listed or logged", "[hooks]") {
  StartedNode n;
  const std::string secret = n.dir / "s";
  WriteFile(secret, "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n");
  Ok(n.node,
     {"hooks", "add", "--id", "rms", "--url", "https://127.0.0.1:9/x", "--secret-file", secret},
     "operator");
  auto listed = Ok(n.node, {"hooks", "list", "--format", "json"}, "operator");
  CHECK(Contains(listed.out, "\"secret\":\"set\""));
  CHECK_FALSE(Contains(listed.out, "MDEyMzQ1"));
  CHECK_FALSE(Contains(n.node.Log(), "MDEyMzQ1"));
}

TEST_CASE("/metrics shows each hook's deliveries, failures, parked and pending",
          "[hooks][metrics]") {
  HookNode n;
  // The node serves HTTPS (for /metrics) with the localhost certificate.
  REQUIRE(n.node.Stop() == 0);
  std::string config = ReadFile(n.node.config());
  const size_t http = config.find("[http]");
  REQUIRE(http != std::string::npos);
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"listen", "127.0.0.1:0"}, {"cert", n.ca.cert()}, {"key", n.ca.key()}}) {
    const size_t at = config.find("\n" + key + " =", http);
    REQUIRE(at != std::string::npos);
    config.replace(at, config.find('\n', at + 1) - at, "\n" + key + " = " + value);
  }
  WriteFile(n.node.config(), config);
  n.node.Start();
  const std::string marker = "http: listening on 127.0.0.1:";
  REQUIRE(WaitUntil(Scaled(milliseconds(10000)), [&] { return Contains(n.node.Log(), marker); }));
  const std::string log = n.node.Log();
  const std::string port = std::to_string(std::stoi(log.substr(log.rfind(marker) + marker.size())));

  const std::string out = n.dir / "alerts.jsonl";
  const std::string good = n.dir / "to-file.sh";
  WriteFile(good, "#!/bin/sh\ncat >> " + out + "\n");
  const std::string bad = n.dir / "fails.sh";
  WriteFile(bad, "#!/bin/sh\ncat > /dev/null\nexit 1\n");
  MustRun({"/bin/chmod", "+x", good, bad});
  Ok(n.node, {"hooks", "add", "--id", "to-file", "--exec", good}, "operator");
  Ok(n.node, {"hooks", "add", "--id", "fails", "--exec", bad}, "operator");
  n.RaiseAlert("C-1");
  REQUIRE(WaitUntil(Scaled(milliseconds(15000)), [&] {
    return !ReadFile(out).empty() && Number(n.Status("fails", "failed_attempts")) >= 1;
  }));

  auto scraped =
      Run({HOLDFAST_PYTHON, std::string(HOLDFAST_SOURCE_DIR) + "/tests/daemon/http_client.py",
           n.ca.crt(), port, "request", "GET", "/metrics", "-", "-"});
  INFO(scraped.Describe());
  REQUIRE(scraped.exit == 0);
  std::map<std::string, double> samples;
  for (const auto& line : Lines(scraped.out)) {
    if (line.rfind("holdfast_hook_", 0) != 0) continue;
    samples[line.substr(0, line.rfind(' '))] = std::stod(line.substr(line.rfind(' ') + 1));
  }
  CHECK(Contains(scraped.out, "# TYPE holdfast_hook_deliveries_total counter"));
  CHECK(Contains(scraped.out, "# TYPE holdfast_hook_pending gauge"));
  CHECK(samples["holdfast_hook_deliveries_total{hook=\"to-file\"}"] == 1);
  CHECK(samples["holdfast_hook_failures_total{hook=\"to-file\"}"] == 0);
  CHECK(samples["holdfast_hook_pending{hook=\"to-file\"}"] == 0);
  CHECK(samples["holdfast_hook_deliveries_total{hook=\"fails\"}"] == 0);
  CHECK(samples["holdfast_hook_failures_total{hook=\"fails\"}"] >= 1);
  CHECK(samples["holdfast_hook_pending{hook=\"fails\"}"] == 1);
  CHECK(samples.count("holdfast_hook_parked{hook=\"fails\"}") == 1);
  CHECK(samples["holdfast_hook_parked{hook=\"fails\"}"] == 0);
}

}  // namespace holdfast::test
