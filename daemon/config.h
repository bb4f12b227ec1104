// A node's configuration: one INI-style file (ops/holdfast.conf.example documents every
// key), read with Boost.Program_options. Shared by holdfastd, which runs from it, and the
// CLI, which takes its socket and default identity from it and writes it at `node init`.
#pragma once

#include <string>
#include <vector>

#include "eventstore/status.h"

namespace holdfast {

struct NodeConfig {
  std::string path;  // the file it was read from (absolute)

  // [node]
  std::string node_id;
  std::string agency;
  std::string kind;      // probation | provider | police | partnership
  std::string data_dir;  // absolute; relative values are taken from the file's folder
  std::string socket;    // default: <data_dir>/holdfast.sock
  // The IANA time zone people type times in and tables show them in (docs/local-times.md);
  // the daemon itself keeps and sends UTC only.
  std::string timezone = "Europe/London";
  // How far ahead of its recording an event's occurred_at may be: the checks at entry refuse
  // more, and the quality report lists events from elsewhere that have more (future_dated).
  int max_future_seconds = 300;

  // [log]
  std::string log_level = "info";  // trace | debug | info | warn | error | off
  std::string log_file;            // empty: stderr

  // [sync]: the peer listener and TLS files (used once sync lands)
  std::string listen;
  std::string ca;
  std::string cert;
  std::string key;
  // Peers declared in the file, each "ID ADDRESS [PREFIX,PREFIX...]" (ADDRESS "-" to only
  // accept from it); `holdfast peers add` keeps more in the store.
  std::vector<std::string> peers;

  // [http]: the HTTPS API (daemon/http_server.h, docs/http-api.md); off while listen is empty
  std::string http_listen;  // HOST:PORT
  std::string http_cert;    // empty: [sync] cert
  std::string http_key;     // empty: [sync] key
  int http_max_body_bytes = 1 << 20;
  int http_max_connections_per_client = 128;
  int http_max_connections = 1024;
  int http_client_timeout_seconds = 10;
  // [web]: the web front end (docs/web.md), served with the API on [http] listen
  int web_session_idle_minutes = 30;

  // [rules]: alert derivation and the rules' parameters (SPEC defaults)
  std::string derive;  // "true" | "false"; empty: true on probation and partnership nodes
  int non_engagement_absences = 2;
  int non_engagement_window_days = 365;
  int no_contact_days = 21;
  int reoffending_days = 365;
  int tick_seconds = 60;  // how often time-based rules (no_contact) are re-checked

  // [store]: writes are refused while the store's disk has less than this free (MB)
  int reserve_mb = 128;

  // [hooks] (docs/hooks.md): a delivery is retried with backoff (full jitter, from
  // backoff_base_ms doubling to backoff_cap_ms) until retry_for_seconds after its first
  // attempt, then parked; one attempt takes at most timeout_seconds.
  int hooks_retry_for_seconds = 86400;
  int hooks_backoff_base_ms = 1000;
  int hooks_backoff_cap_ms = 600000;
  int hooks_timeout_seconds = 10;

  std::string store_dir() const { return data_dir + "/store"; }
  bool Derives() const {
    return derive.empty() ? (kind == "probation" || kind == "partnership") : derive == "true";
  }
};

const std::vector<std::string>& NodeKinds();
const std::vector<std::string>& LogLevels();

// The C library's zoneinfo file of the IANA time zone `name` ("Europe/London"), under
// $TZDIR or /usr/share/zoneinfo; InvalidArgument saying what is wrong (no such zone, or no
// tzdata) when there is none. Reads the file's first bytes only: safe on any thread.
Result<std::string> TimeZoneFile(const std::string& name);

// Reads and checks a config file. An unknown key or a bad value fails with
// "FILE:LINE: section.key: what is wrong".
Result<NodeConfig> LoadConfig(const std::string& path);

// The file `node init` writes: every key, with a comment saying what it is for.
std::string RenderConfig(const NodeConfig& config);

}  // namespace holdfast
