// One real node for the system benchmark: a data directory made by `holdfast node init`, its
// holdfastd, and the holdfast CLI pointed at it, as an operator would run them. Polling
// (positions, peer state) goes through the local API directly (client/client.h): starting a
// CLI process would cost milliseconds and blur the latencies being measured.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/subprocess.h"
#include "client/client.h"
#include "eventstore/event.h"

namespace holdfast::bench {

// Where the programs are: a build tree's binaries and the repository's ops/ scripts.
struct Programs {
  std::string holdfastd, holdfast, sample, make_ca, make_node_cert;
  static Programs In(const std::string& build_dir, const std::string& ops_dir);
};

// Makes the partnership CA in `cert_dir` and a certificate for each node id.
void MakeCertificates(const Programs& programs, const std::string& cert_dir,
                      const std::vector<std::string>& node_ids);

struct PeerView {
  std::string id;
  bool connected = false;
  uint64_t behind_in = 0, behind_out = 0, events_in = 0, bytes_in = 0;
  std::string last_error;
};

class BenchNode {
 public:
  // Node `id` of `kind` ("probation", "police", "provider") in `dir`. With a `cert_dir`, it
  // listens for peers on a free loopback port, with the certificate made there for `id`.
  BenchNode(const Programs& programs, std::string dir, std::string id, std::string agency,
            std::string kind, std::string cert_dir = "");
  ~BenchNode();  // stops the daemon if it runs (SIGTERM, then SIGKILL)
  BenchNode(const BenchNode&) = delete;
  BenchNode& operator=(const BenchNode&) = delete;

  // `holdfast node init` (dies on failure).
  void Init();
  // Sets `key = value` in `section` of the node's config file (the line node init wrote);
  // takes effect at the next Start.
  void SetConfig(const std::string& section, const std::string& key, const std::string& value);
  // Starts holdfastd and waits until it answers on its socket (dies after `timeout_seconds`);
  // returns how long that took.
  double Start(double timeout_seconds = 300);
  // SIGTERM and wait for a graceful stop; returns how long the stop took.
  double Stop();
  bool running() const { return daemon_ != nullptr; }
  pid_t pid() const;

  // Runs `holdfast ARGS` against this node as `user` with `role`; dies unless it exits 0.
  // The operator is the Unix account that ran node init; another role is a user the bench
  // makes (holdfast users add, users token) the first time, acting by its token file.
  RunResult Cli(const std::vector<std::string>& args, const std::string& role,
                const std::string& user = "bench") const;
  // The argv and environment of such a run, to start it some other way.
  std::vector<std::string> CliArgv(const std::vector<std::string>& args) const;
  std::vector<std::string> CliEnv(const std::string& role, const std::string& user) const;

  // The daemon's last log position, by a ping over the local API.
  uint64_t LastPosition();
  std::vector<PeerView> Peers();
  std::optional<PeerView> Peer(const std::string& id);
  // Reads case `case_id` (case-show) over the local API as the user whose token is `token`;
  // dies on an error. The HTTPS API's GET of a case without the HTTP.
  void CaseShow(const std::string& case_id, const std::string& token);
  // Sends `events` in one operator import request, on a connection of its own (so another
  // thread may poll meanwhile), and returns once the daemon answered; dies on an error.
  // `with_derived` takes alert lifecycle events too (`holdfast import --with-derived`).
  void Import(const std::vector<Event>& events, bool with_derived = false) const;

  const std::string& id() const { return id_; }
  const std::string& dir() const { return dir_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string config() const { return dir_ + "/holdfast.conf"; }
  std::string store_dir() const { return dir_ + "/store"; }
  std::string log_file() const { return dir_ + "/holdfastd.log"; }

 private:
  Client* client();
  std::unique_ptr<Frame> Call(capnp::MallocMessageBuilder& message, const char* what);
  [[noreturn]] void Fail(const std::string& what) const;

  Programs programs_;
  std::string dir_, id_, agency_, kind_, cert_dir_;
  int port_ = 0;
  std::unique_ptr<Subprocess> daemon_;
  std::unique_ptr<Client> client_;
  mutable std::map<std::string, std::string> token_files_;  // user -> its token file
};

}  // namespace holdfast::bench
