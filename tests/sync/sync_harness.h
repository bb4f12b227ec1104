// Harness for sync between real nodes: a partnership CA and node certificates made with the
// ops/ scripts, nodes with a peer listener and peers (test::Node from tests/daemon/harness.h
// underneath, so the daemons are real processes on loopback), and readers of the CLI's JSON.
// Failures of the harness itself throw std::runtime_error, which Catch2 reports.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/daemon/harness.h"

namespace holdfast::synctest {

using std::chrono::milliseconds;
using test::RunResult;
using test::Scaled;
using test::TempDir;
using test::WaitUntil;

// A limit for waiting on something that comes quickly when the code is right: the release
// limit, stretched 2.5 times under ASan (Scaled's 6 times would keep a failing test
// waiting for minutes).
milliseconds Briefly(milliseconds release_limit);

// The ops/ folder of the source tree and the sample generator (compile definitions).
std::string OpsDir();
const std::string& SamplePath();

// A JSON value flattened to text: objects' members become "a.b" keys, numbers print as
// integers when they are whole, booleans as true/false, null as "".
using JsonFields = std::map<std::string, std::string>;
// One JSON object (a line of `holdfast export`).
JsonFields ParseJsonObject(const std::string& json);
// A JSON array of objects (any `--format json` listing).
std::vector<JsonFields> ParseJsonArray(const std::string& json);

// The partnership's certificate authority for one test, made by ops/make-ca in DIR.
class Pki {
 public:
  struct Identity {
    std::string cert, key;
  };
  explicit Pki(std::string dir);
  const std::string& ca() const { return ca_; }
  const std::string& dir() const { return dir_; }
  // DIR/NODE.crt and DIR/NODE.key from ops/make-node-cert (made on first use).
  Identity Node(const std::string& node);
  // A certificate for NODE signed by this CA that expired yesterday.
  Identity Expired(const std::string& node);

 private:
  std::string dir_, ca_;
  std::set<std::string> made_;
};

// A TCP port on 127.0.0.1 that was free a moment ago, below the kernel's ephemeral range
// when it can be, so that no connection takes it while its node is down.
int FreePort();

// One event as `holdfast export` shows it.
struct ExportedEvent {
  std::string id, type, origin;
};

// A node with sync: `holdfast node init --listen ... --ca ... --cert ... --key ...` in
// DIR/ID, its peers as `peer = ...` lines of its holdfast.conf (or `holdfast peers add`).
class SyncNode {
 public:
  // kind: probation, provider, police or partnership (the agency is KIND-ce).
  SyncNode(const std::string& parent_dir, Pki& pki, const std::string& id, const std::string& kind);
  const std::string& id() const { return node_.id(); }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  test::Node& node() { return node_; }

  // A `peer = ID ADDRESS SEND` line in the config, read at the next start. An empty
  // address: this node only accepts the peer. SEND is the sharing agreement: "all", an
  // agreement's name or type prefixes (nothing is shared by default).
  void AddPeerToConfig(const std::string& peer, const std::string& address,
                       const std::string& send);
  // `holdfast peers add --send SEND` against the running daemon; throws if it fails.
  void AddPeerLive(const std::string& peer, const std::string& address, const std::string& send);

  void Start() { node_.Start(); }
  int Stop() { return node_.Stop(); }

  // `holdfast ARGS` as an operator.
  RunResult Operator(const std::vector<std::string>& args,
                     milliseconds timeout = Scaled(milliseconds(60000))) const;
  // `holdfast import --file FILE`; throws if it fails.
  void Import(const std::string& file) const;
  std::vector<ExportedEvent> Export() const;
  // The "events" line of `holdfast store stats`; throws if it fails.
  uint64_t EventCount() const;
  // `holdfast alerts list ARGS --format json`; throws if it fails.
  std::vector<JsonFields> Alerts(const std::vector<std::string>& args) const;
  // `holdfast sync status --format json`, one entry per peer.
  std::vector<JsonFields> SyncStatus() const;
  // `holdfast store verify`.
  RunResult Verify() const;
  std::string Log() const { return node_.Log(); }

 private:
  test::Node node_;
  int port_;
};

// Each node's exported event ids (as a sorted multiset, so duplicates show).
std::multiset<std::string> IdsOf(const std::vector<ExportedEvent>& events);
// Ids that occur more than once.
std::vector<std::string> Duplicates(const std::vector<ExportedEvent>& events);

// Waits until every node holds the same events (by id), each once; returns the common
// count, or throws with what differs.
size_t WaitForSameEvents(const std::vector<SyncNode*>& nodes, milliseconds limit);

// The alert lines of a listing reduced to the named fields, sorted, for comparing nodes.
std::vector<std::string> AlertKeys(const std::vector<JsonFields>& alerts,
                                   const std::vector<std::string>& fields);

// Waits until every node lists the same alerts (`alerts list ARGS`, compared on `fields`)
// on two polls in a row; throws with the difference if they do not in time.
void WaitForSameAlerts(const std::vector<SyncNode*>& nodes, const std::vector<std::string>& args,
                       const std::vector<std::string>& fields, milliseconds limit);

// JSON Lines of `n` attendance.recorded events with ids TestUuid(prefix, first..first+n-1).
std::string AttendanceLines(uint32_t prefix, uint64_t first, size_t n);

// Lines describing the first few differences between two sorted lists.
std::string DescribeDifference(const std::vector<std::string>& a,
                               const std::vector<std::string>& b);

// --- Scenarios shared by the sync tests ----------------------------------------------------

// The police data-sharing agreement of the SPEC, and whether it lets a type through.
inline const std::string kPoliceFilter = "alert.,breach.,case.opened";
bool TypeAllowedForPolice(const std::string& type);

// The sample county (holdfast-sample --cases N --seed S): split by agency as each agency
// records it, and whole.
struct County {
  std::string probation, provider, police, whole;
};
County MakeCounty(const TempDir& dir, int cases, int seed);
// The county size for tests that load one: smaller in the sanitizer build.
int CountyCases();

// `holdfast store verify` says every node's store is sound (Catch2 CHECKs).
void CheckSound(const std::vector<SyncNode*>& nodes);

// The line of `holdfast sync status` for `peer` (empty when there is none), and one of its
// numbers (0 when absent).
JsonFields StatusOf(const SyncNode& node, const std::string& peer);
uint64_t Number(const JsonFields& row, const std::string& field);

// probation-1 with a real peer provider-1 (which dials it) and a configured peer ghost-1
// that no daemon plays: a test's RawPeer speaks for it, or for someone worse. Started, with
// 100 events that provider-1 already holds.
struct AttackedNode {
  TempDir dir;
  Pki pki{dir / "pki"};
  SyncNode node{dir.path(), pki, "probation-1", "probation"};
  SyncNode good{dir.path(), pki, "provider-1", "provider"};
  size_t events = 0;

  AttackedNode();
  // How many times `what` occurs in probation-1's log.
  size_t LogCount(const std::string& what) const;
  // Checks that probation-1 still answers its CLI and still syncs both ways with
  // provider-1 (a few new events each way; `round` keeps their ids apart).
  void CheckStillServing(uint32_t round);
};

}  // namespace holdfast::synctest
