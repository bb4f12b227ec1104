#include "tests/sync/sync_harness.h"

#include <arpa/inet.h>
#include <capnp/compat/json.h>
#include <capnp/message.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace holdfast::synctest {
namespace {

[[noreturn]] void Fail(const std::string& what) { throw std::runtime_error(what); }

void Flatten(capnp::JsonValue::Reader value, const std::string& key, JsonFields* out) {
  switch (value.which()) {
    case capnp::JsonValue::NULL_:
      (*out)[key] = "";
      return;
    case capnp::JsonValue::BOOLEAN:
      (*out)[key] = value.getBoolean() ? "true" : "false";
      return;
    case capnp::JsonValue::NUMBER: {
      const double n = value.getNumber();
      std::ostringstream text;
      if (n == std::floor(n) && std::fabs(n) < 9e15) {
        text << static_cast<long long>(n);
      } else {
        text << n;
      }
      (*out)[key] = text.str();
      return;
    }
    case capnp::JsonValue::STRING:
      (*out)[key] = value.getString();
      return;
    case capnp::JsonValue::ARRAY: {
      size_t i = 0;
      for (auto v : value.getArray()) Flatten(v, key + "." + std::to_string(i++), out);
      return;
    }
    case capnp::JsonValue::OBJECT:
      for (auto f : value.getObject()) {
        Flatten(f.getValue(),
                key.empty() ? std::string(f.getName()) : key + "." + f.getName().cStr(), out);
      }
      return;
    default:
      Fail("unexpected JSON value under \"" + key + "\"");
  }
}

// Runs fn over the decoded JSON text; throws naming the text if it is not JSON.
template <typename Fn>
void WithJson(const std::string& json, Fn fn) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<capnp::JsonValue>();
  capnp::JsonCodec codec;
  try {
    codec.decodeRaw(kj::ArrayPtr<const char>(json.data(), json.size()), root);
  } catch (const kj::Exception& e) {
    Fail("not JSON (" + std::string(e.getDescription().cStr()) + "): " + json.substr(0, 300));
  }
  fn(root.asReader());
}

std::string Run(const std::vector<std::string>& args, const std::string& what) {
  auto r = test::Run(args);
  if (r.exit != 0) Fail(what + " failed: " + r.Describe());
  return r.out;
}

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += s + "\n";
  return out;
}

}  // namespace

milliseconds Briefly(milliseconds release_limit) {
  return test::Sanitized() ? release_limit * 5 / 2 : release_limit;
}

std::string OpsDir() { return std::string(HOLDFAST_SOURCE_DIR) + "/ops"; }

const std::string& SamplePath() {
  static const std::string path = HOLDFAST_SAMPLE_PATH;
  return path;
}

JsonFields ParseJsonObject(const std::string& json) {
  JsonFields out;
  WithJson(json, [&](capnp::JsonValue::Reader v) {
    if (!v.isObject()) Fail("not a JSON object: " + json.substr(0, 300));
    Flatten(v, "", &out);
  });
  return out;
}

std::vector<JsonFields> ParseJsonArray(const std::string& json) {
  std::vector<JsonFields> out;
  WithJson(json, [&](capnp::JsonValue::Reader v) {
    if (!v.isArray()) Fail("not a JSON array: " + json.substr(0, 300));
    for (auto item : v.getArray()) {
      JsonFields fields;
      Flatten(item, "", &fields);
      out.push_back(std::move(fields));
    }
  });
  return out;
}

// --- Pki ------------------------------------------------------------------------------------

Pki::Pki(std::string dir) : dir_(std::move(dir)), ca_(dir_ + "/ca.crt") {
  Run({OpsDir() + "/make-ca", dir_}, "ops/make-ca");
}

Pki::Identity Pki::Node(const std::string& node) {
  if (!made_.count(node)) {
    Run({OpsDir() + "/make-node-cert", dir_, node}, "ops/make-node-cert " + node);
    made_.insert(node);
  }
  return {dir_ + "/" + node + ".crt", dir_ + "/" + node + ".key"};
}

Pki::Identity Pki::Expired(const std::string& node) {
  const std::string base = dir_ + "/expired-" + node;
  Run({"/usr/bin/env", "openssl", "genpkey", "-algorithm", "ed25519", "-out", base + ".key"},
      "openssl genpkey");
  Run({"/usr/bin/env", "openssl", "req", "-new", "-key", base + ".key", "-subj",
       "/O=holdfast partnership/CN=" + node, "-out", base + ".csr"},
      "openssl req");
  Run({"/usr/bin/env", "openssl", "x509", "-req", "-in", base + ".csr", "-CA", ca_, "-CAkey",
       dir_ + "/ca.key", "-CAcreateserial", "-days", "-1", "-out", base + ".crt"},
      "openssl x509 -days -1");
  return {base + ".crt", base + ".key"};
}

namespace {

// Whether a listening socket could take 127.0.0.1:port now.
bool CanBind(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Fail("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return free;
}

// The first port of the kernel's ephemeral range (where connect() takes local ports).
int EphemeralLow() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  return range >> low ? low : 0;
}

}  // namespace

int FreePort() {
  // Below the ephemeral range: a node's port stays free while the node is down (killed,
  // restarting), because no connection's local end is ever given it. Inside that range an
  // outgoing connection of another node, or a relay, could take it, and the restart would
  // fail with "address already in use".
  static thread_local std::mt19937 rng{std::random_device{}()};
  const int low = EphemeralLow();
  if (low > 12000) {
    for (int attempt = 0; attempt < 200; ++attempt) {
      const int port = 10000 + static_cast<int>(rng() % static_cast<unsigned>(low - 10000));
      if (CanBind(port)) return port;
    }
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Fail("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    Fail("cannot find a free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// --- SyncNode -------------------------------------------------------------------------------

SyncNode::SyncNode(const std::string& parent_dir, Pki& pki, const std::string& id,
                   const std::string& kind)
    : node_(parent_dir + "/" + id, id, kind + "-ce", kind), port_(FreePort()) {
  const auto files = pki.Node(id);
  std::string conf = test::ReadFile(node_.config());
  auto set = [&](const std::string& key, const std::string& value) {
    const std::string empty = "\n" + key + " = \n";
    const size_t at = conf.find(empty);
    if (at == std::string::npos) Fail("holdfast.conf has no empty \"" + key + "\" to set");
    conf.replace(at, empty.size(), "\n" + key + " = " + value + "\n");
  };
  set("listen", address());
  set("ca", pki.ca());
  set("cert", files.cert);
  set("key", files.key);
  test::WriteFile(node_.config(), conf);
}

void SyncNode::AddPeerToConfig(const std::string& peer, const std::string& address,
                               const std::string& send) {
  std::string conf = test::ReadFile(node_.config());
  const std::string marker = "\n[rules]";
  const size_t at = conf.find(marker);
  if (at == std::string::npos) Fail("holdfast.conf has no [rules] section");
  conf.insert(at, "\npeer = " + peer + " " + (address.empty() ? "-" : address) + " " + send);
  test::WriteFile(node_.config(), conf);
}

void SyncNode::AddPeerLive(const std::string& peer, const std::string& address,
                           const std::string& send) {
  std::vector<std::string> args = {"peers", "add", "--id", peer, "--send", send};
  if (!address.empty()) {
    args.push_back("--address");
    args.push_back(address);
  }
  auto r = Operator(args);
  if (r.exit != 0) Fail("holdfast peers add on " + id() + " failed: " + r.Describe());
}

RunResult SyncNode::Operator(const std::vector<std::string>& args, milliseconds timeout) const {
  test::RunOptions options;
  options.timeout = timeout;
  return node_.Cli(args, "operator", test::Node::kDefaultUser, options);
}

void SyncNode::Import(const std::string& file) const {
  auto r = Operator({"import", "--file", file, "--quiet"}, Scaled(milliseconds(120000)));
  if (r.exit != 0) Fail("holdfast import on " + id() + " failed: " + r.Describe());
}

std::vector<ExportedEvent> SyncNode::Export() const {
  std::vector<ExportedEvent> out;
  for (const auto& line : node_.Export()) {
    if (line.empty()) continue;
    auto f = ParseJsonObject(line);
    out.push_back({f["id"], f["type"], f["origin"]});
  }
  return out;
}

uint64_t SyncNode::EventCount() const {
  auto r = Operator({"store", "stats", "--format", "json"});
  if (r.exit != 0) Fail("holdfast store stats on " + id() + " failed: " + r.Describe());
  for (auto& row : ParseJsonArray(r.out)) {
    if (row["name"] == "events") return std::stoull(row["value"]);
  }
  Fail("holdfast store stats shows no events line: " + r.out);
}

std::vector<JsonFields> SyncNode::Alerts(const std::vector<std::string>& args) const {
  std::vector<std::string> full = {"alerts", "list"};
  full.insert(full.end(), args.begin(), args.end());
  full.push_back("--format");
  full.push_back("json");
  // Probation reads every field (police are not shown some: docs/roles.md).
  auto r = node_.Cli(full, "probation");
  if (r.exit != 0) Fail("holdfast alerts list on " + id() + " failed: " + r.Describe());
  return ParseJsonArray(r.out);
}

std::vector<JsonFields> SyncNode::SyncStatus() const {
  auto r = Operator({"sync", "status", "--format", "json"});
  if (r.exit != 0) Fail("holdfast sync status on " + id() + " failed: " + r.Describe());
  return ParseJsonArray(r.out);
}

RunResult SyncNode::Verify() const { return Operator({"store", "verify"}); }

// --- Waiting and comparing ------------------------------------------------------------------

std::multiset<std::string> IdsOf(const std::vector<ExportedEvent>& events) {
  std::multiset<std::string> ids;
  for (const auto& e : events) ids.insert(e.id);
  return ids;
}

std::vector<std::string> Duplicates(const std::vector<ExportedEvent>& events) {
  std::vector<std::string> ids, dups;
  for (const auto& e : events) ids.push_back(e.id);
  std::sort(ids.begin(), ids.end());
  for (size_t i = 1; i < ids.size(); ++i) {
    if (ids[i] == ids[i - 1] && (dups.empty() || dups.back() != ids[i])) dups.push_back(ids[i]);
  }
  return dups;
}

std::string DescribeDifference(const std::vector<std::string>& a,
                               const std::vector<std::string>& b) {
  std::vector<std::string> only_a, only_b;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only_a));
  std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(only_b));
  std::string out = std::to_string(a.size()) + " against " + std::to_string(b.size()) + "; " +
                    std::to_string(only_a.size()) + " only in the first, " +
                    std::to_string(only_b.size()) + " only in the second\n";
  for (size_t i = 0; i < std::min<size_t>(only_a.size(), 5); ++i) out += "  < " + only_a[i] + "\n";
  for (size_t i = 0; i < std::min<size_t>(only_b.size(), 5); ++i) out += "  > " + only_b[i] + "\n";
  return out;
}

size_t WaitForSameEvents(const std::vector<SyncNode*>& nodes, milliseconds limit) {
  std::string problem;
  size_t count = 0;
  const bool same = WaitUntil(
      limit,
      [&] {
        std::vector<uint64_t> counts;
        for (auto* n : nodes) counts.push_back(n->EventCount());
        for (size_t i = 1; i < counts.size(); ++i) {
          if (counts[i] != counts[0]) {
            problem = "event counts differ:";
            for (size_t j = 0; j < nodes.size(); ++j) {
              problem += " " + nodes[j]->id() + "=" + std::to_string(counts[j]);
            }
            return false;
          }
        }
        std::vector<std::string> first;
        for (size_t i = 0; i < nodes.size(); ++i) {
          const auto events = nodes[i]->Export();
          const auto dups = Duplicates(events);
          if (!dups.empty()) Fail(nodes[i]->id() + " exports event " + dups[0] + " twice");
          auto ids = IdsOf(events);
          std::vector<std::string> sorted(ids.begin(), ids.end());
          if (i == 0) {
            first = sorted;
          } else if (sorted != first) {
            problem = nodes[0]->id() + " and " + nodes[i]->id() +
                      " hold different events: " + DescribeDifference(first, sorted);
            return false;
          }
        }
        count = first.size();
        return true;
      },
      milliseconds(200));
  if (!same) {
    std::string logs;
    for (auto* n : nodes) {
      const std::string log = n->Log();
      logs += "\n--- " + n->id() + " log (tail):\n" +
              log.substr(log.size() > 3000 ? log.size() - 3000 : 0);
    }
    Fail("nodes did not converge in " + std::to_string(limit.count()) + " ms: " + problem + logs);
  }
  return count;
}

std::vector<std::string> AlertKeys(const std::vector<JsonFields>& alerts,
                                   const std::vector<std::string>& fields) {
  std::vector<std::string> keys;
  for (const auto& a : alerts) {
    std::string key;
    for (const auto& f : fields) {
      auto it = a.find(f);
      key += (key.empty() ? "" : " ") + f + "=" + (it == a.end() ? "?" : it->second);
    }
    keys.push_back(key);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

void WaitForSameAlerts(const std::vector<SyncNode*>& nodes, const std::vector<std::string>& args,
                       const std::vector<std::string>& fields, milliseconds limit) {
  std::string problem;
  int agreeing_polls = 0;
  const bool same = WaitUntil(
      limit,
      [&] {
        std::vector<uint64_t> counts;
        for (auto* n : nodes) counts.push_back(n->EventCount());
        std::vector<std::vector<std::string>> keys;
        for (auto* n : nodes) keys.push_back(AlertKeys(n->Alerts(args), fields));
        for (size_t i = 1; i < nodes.size(); ++i) {
          if (keys[i] != keys[0]) {
            problem = nodes[0]->id() + " (" + std::to_string(counts[0]) + " events) and " +
                      nodes[i]->id() + " (" + std::to_string(counts[i]) +
                      " events) list different alerts: " + DescribeDifference(keys[0], keys[i]);
            agreeing_polls = 0;
            return false;
          }
        }
        // Twice in a row, so that alerts derived from the last events are in.
        return ++agreeing_polls >= 2;
      },
      milliseconds(300));
  if (!same)
    Fail("alerts did not converge in " + std::to_string(limit.count()) + " ms: " + problem);
}

std::string AttendanceLines(uint32_t prefix, uint64_t first, size_t n) {
  std::vector<std::string> lines;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t k = first + i;
    lines.push_back(test::AttendanceJson(test::TestUuid(prefix, k), "C-" + std::to_string(k % 50),
                                         "S-" + std::to_string(k)));
  }
  return Joined(lines);
}

// --- Scenarios ------------------------------------------------------------------------------

bool TypeAllowedForPolice(const std::string& type) {
  return type.rfind("alert.", 0) == 0 || type.rfind("breach.", 0) == 0 || type == "case.opened";
}

County MakeCounty(const TempDir& dir, int cases, int seed) {
  const std::string split = dir / "county";
  Run({SamplePath(), "--cases", std::to_string(cases), "--seed", std::to_string(seed),
       "--agency-split", split},
      "holdfast-sample --agency-split");
  test::RunOptions whole;
  whole.stdout_path = dir / "county.jsonl";
  auto r = test::Run(
      {SamplePath(), "--cases", std::to_string(cases), "--seed", std::to_string(seed)}, {}, whole);
  if (r.exit != 0) Fail("holdfast-sample failed: " + r.Describe());
  return {split + "/probation.jsonl", split + "/provider.jsonl", split + "/police.jsonl",
          dir / "county.jsonl"};
}

int CountyCases() { return test::Sanitized() ? 12 : 30; }

void CheckSound(const std::vector<SyncNode*>& nodes) {
  for (auto* n : nodes) {
    auto r = n->Verify();
    INFO(n->id() << ": " << r.Describe());
    CHECK(r.exit == 0);
    CHECK(test::Contains(r.out, "sound"));
  }
}

JsonFields StatusOf(const SyncNode& node, const std::string& peer) {
  for (auto& row : node.SyncStatus()) {
    if (row["peer"] == peer) return row;
  }
  return {};
}

uint64_t Number(const JsonFields& row, const std::string& field) {
  auto it = row.find(field);
  return it == row.end() || it->second.empty() ? 0 : std::stoull(it->second);
}

AttackedNode::AttackedNode() {
  node.AddPeerToConfig("ghost-1", "", "all");
  node.AddPeerToConfig(good.id(), "", "all");
  good.AddPeerToConfig(node.id(), node.address(), "all");
  node.Start();
  good.Start();
  test::WriteFile(dir / "t.jsonl", AttendanceLines(0x400, 1, 100));
  node.Import(dir / "t.jsonl");
  events = WaitForSameEvents({&node, &good}, Scaled(milliseconds(30000)));
}

size_t AttackedNode::LogCount(const std::string& what) const {
  const std::string log = node.Log();
  size_t n = 0;
  for (size_t at = log.find(what); at != std::string::npos; at = log.find(what, at + 1)) ++n;
  return n;
}

void AttackedNode::CheckStillServing(uint32_t round) {
  auto r = node.node().Cli({"case", "list"}, "probation");
  INFO(r.Describe());
  CHECK(r.exit == 0);
  const std::string from_good = dir / ("g" + std::to_string(round) + ".jsonl");
  const std::string from_node = dir / ("n" + std::to_string(round) + ".jsonl");
  test::WriteFile(from_good, AttendanceLines(0x500 + round, 1, 3));
  test::WriteFile(from_node, AttendanceLines(0x600 + round, 1, 3));
  good.Import(from_good);
  node.Import(from_node);
  events += 6;
  CHECK(WaitForSameEvents({&node, &good}, Scaled(milliseconds(20000))) == events);
}

}  // namespace holdfast::synctest
