#include "daemon/config.h"

#include <boost/program_options.hpp>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "eventstore/validate.h"
#include "sync/filter.h"

namespace holdfast {
namespace po = boost::program_options;
namespace {

po::options_description Keys(NodeConfig* c) {
  po::options_description d("holdfast.conf");
  auto add = d.add_options();
  add("node.id", po::value(&c->node_id));
  add("node.agency", po::value(&c->agency));
  add("node.kind", po::value(&c->kind));
  add("node.data_dir", po::value(&c->data_dir));
  add("node.socket", po::value(&c->socket));
  add("node.timezone", po::value(&c->timezone));
  add("node.max_future_seconds", po::value(&c->max_future_seconds));
  add("log.level", po::value(&c->log_level));
  add("log.file", po::value(&c->log_file));
  add("sync.listen", po::value(&c->listen));
  add("sync.ca", po::value(&c->ca));
  add("sync.cert", po::value(&c->cert));
  add("sync.key", po::value(&c->key));
  add("sync.peer", po::value(&c->peers)->composing());
  add("http.listen", po::value(&c->http_listen));
  add("http.cert", po::value(&c->http_cert));
  add("http.key", po::value(&c->http_key));
  add("http.max_body_bytes", po::value(&c->http_max_body_bytes));
  add("http.max_connections_per_client", po::value(&c->http_max_connections_per_client));
  add("http.max_connections", po::value(&c->http_max_connections));
  add("http.client_timeout_seconds", po::value(&c->http_client_timeout_seconds));
  add("web.session_idle_minutes", po::value(&c->web_session_idle_minutes));
  add("rules.derive", po::value(&c->derive));
  add("rules.non_engagement_absences", po::value(&c->non_engagement_absences));
  add("rules.non_engagement_window_days", po::value(&c->non_engagement_window_days));
  add("rules.no_contact_days", po::value(&c->no_contact_days));
  add("rules.reoffending_days", po::value(&c->reoffending_days));
  add("rules.tick_seconds", po::value(&c->tick_seconds));
  add("store.reserve_mb", po::value(&c->reserve_mb));
  add("hooks.retry_for_seconds", po::value(&c->hooks_retry_for_seconds));
  add("hooks.backoff_base_ms", po::value(&c->hooks_backoff_base_ms));
  add("hooks.backoff_cap_ms", po::value(&c->hooks_backoff_cap_ms));
  add("hooks.timeout_seconds", po::value(&c->hooks_timeout_seconds));
  return d;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

bool OneOf(const std::string& v, const std::vector<std::string>& allowed) {
  for (const auto& a : allowed) {
    if (a == v) return true;
  }
  return false;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// The line without its comment: from a '#' or ';' that starts it, or from a '#' that starts
// the value or follows white space ("level = info  # chatty", "file =# none"); a '#' inside
// a value ("/srv/hold#fast") stays. So no value starts with '#', and one written back as
// `key = value` reads the same.
std::string WithoutComment(const std::string& line) {
  const size_t first = line.find_first_not_of(" \t\r");
  if (first == std::string::npos || line[first] == '#' || line[first] == ';') return "";
  const size_t eq = line.find('=');
  const size_t value =
      eq == std::string::npos ? std::string::npos : line.find_first_not_of(" \t\r", eq + 1);
  for (size_t i = first + 1; i < line.size(); ++i) {
    if (line[i] != '#') continue;
    if (i == value || line[i - 1] == ' ' || line[i - 1] == '\t') return line.substr(0, i);
  }
  return line;
}

std::string Absolute(const std::string& path, const std::filesystem::path& base) {
  if (path.empty()) return path;
  std::filesystem::path p(path);
  return (p.is_absolute() ? p : base / p).lexically_normal().string();
}

}  // namespace

Result<std::string> TimeZoneFile(const std::string& name) {
  const char* tzdir = std::getenv("TZDIR");
  const std::string dir = tzdir != nullptr && tzdir[0] != '\0' ? tzdir : "/usr/share/zoneinfo";
  const std::string example = "give an IANA zone name such as Europe/London";
  // A name, not a path: letters, digits and "_+-" in parts joined by '/'.
  bool named = !name.empty() && name.size() <= 64 && name.front() != '/' && name.back() != '/';
  for (char c : name) {
    named = named && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' ||
                      c == '-' || c == '/');
  }
  if (!named || name.find("//") != std::string::npos || name.find("..") != std::string::npos) {
    return Status::InvalidArgument("\"" + name + "\" is not a time zone name; " + example);
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return Status::InvalidArgument("no zoneinfo at " + dir +
                                   " to read time zones from: install tzdata (ops/install-deps)");
  }
  const std::string file = dir + "/" + name;
  std::ifstream in(file, std::ios::binary);
  char magic[4] = {};
  if (!std::filesystem::is_regular_file(file, ec) || !in.read(magic, sizeof magic) ||
      std::string(magic, sizeof magic) != "TZif") {
    return Status::InvalidArgument("\"" + name + "\" is not a time zone this machine knows (" +
                                   dir + "); " + example);
  }
  return file;
}

const std::vector<std::string>& NodeKinds() {
  static const std::vector<std::string> kinds = {"probation", "provider", "police", "partnership"};
  return kinds;
}

const std::vector<std::string>& LogLevels() {
  static const std::vector<std::string> levels = {"trace", "debug", "info", "warn", "error", "off"};
  return levels;
}

Result<NodeConfig> LoadConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Status::NotFound("cannot read config " + path +
                            ": create one with `holdfast node init` or give --config");
  }
  NodeConfig config;
  auto keys = Keys(&config);

  // The file is read line by line here, and each value handed to Boost.Program_options,
  // which converts and stores it. (Boost's own file parser read ';' lines as keys and cut
  // values at any '#', which this reading did not; and its error messages quote the value
  // through a substitution that never ends when the value holds a placeholder such as
  // "%value%", so they are not used.)
  std::map<std::string, int> line_of;
  std::vector<int> peer_lines;  // the line of each `peer`, in order
  po::variables_map vm;
  std::string section, line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string at = path + ":" + std::to_string(number);
    std::string t = Trim(WithoutComment(line));
    if (t.empty()) continue;
    if (t.front() == '[') {
      if (t.back() != ']') return Status::InvalidArgument(at + ": unclosed section header");
      section = Trim(t.substr(1, t.size() - 2));
      continue;
    }
    size_t eq = t.find('=');
    if (eq == std::string::npos) {
      return Status::InvalidArgument(at + ": expected `key = value` or `[section]`");
    }
    const std::string name = Trim(t.substr(0, eq));
    if (name.empty()) {  // Boost's find_nothrow throws on an empty name
      return Status::InvalidArgument(at + ": a value with no key: expected `key = value`");
    }
    std::string key = (section.empty() ? "" : section + ".") + name;
    if (key == "client.user" || key == "client.role") {
      // node init wrote these, empty, before issue 13: an empty one claims nothing.
      if (Trim(t.substr(eq + 1)).empty()) continue;
      return Status::InvalidArgument(
          at + ": " + key +
          " is no longer read: the node identifies each person by their Unix account or API "
          "token, never by what a client says (docs/users.md); remove the [client] lines");
    }
    if (keys.find_nothrow(key, false) == nullptr) {
      return Status::InvalidArgument(at + ": unknown key " + key +
                                     " (see ops/holdfast.conf.example for every key)");
    }
    if (line_of.count(key) && key != "sync.peer") {
      return Status::InvalidArgument(at + ": " + key + " is set twice (first on line " +
                                     std::to_string(line_of[key]) + ")");
    }
    line_of[key] = number;
    if (key == "sync.peer") peer_lines.push_back(number);
    const std::string value = Trim(t.substr(eq + 1));
    po::parsed_options parsed(&keys);
    parsed.options.emplace_back(key, std::vector<std::string>{value});
    try {
      po::store(parsed, vm);
    } catch (const po::error&) {
      return Status::InvalidArgument(
          at + ": " + key + ": \"" + value + "\" is not " +
          ((key.rfind("rules.", 0) == 0 && key != "rules.derive") || key.rfind("hooks.", 0) == 0
               ? "a whole number"
               : "a valid value"));
    }
  }
  try {
    po::notify(vm);
  } catch (const po::error&) {
    return Status::InvalidArgument(path +
                                   ": not a holdfast config (see ops/holdfast.conf.example)");
  }
  auto bad = [&](const std::string& key, const std::string& what) {
    std::string where = line_of.count(key) ? ":" + std::to_string(line_of[key]) : "";
    return Status::InvalidArgument(path + where + ": " + key + ": " + what);
  };
  if (!IsIdentifier(config.node_id)) return bad("node.id", "required: a node id without spaces");
  if (!IsIdentifier(config.agency))
    return bad("node.agency", "required: an agency id without spaces");
  if (!OneOf(config.kind, NodeKinds())) {
    return bad("node.kind", "\"" + config.kind + "\" is not one of " + Join(NodeKinds()));
  }
  if (config.data_dir.empty()) return bad("node.data_dir", "required: the node's data directory");
  if (auto zone = TimeZoneFile(config.timezone); !zone.ok()) {
    return bad("node.timezone", zone.status().message());
  }
  if (!OneOf(config.log_level, LogLevels())) {
    return bad("log.level", "\"" + config.log_level + "\" is not one of " + Join(LogLevels()));
  }
  if (!config.derive.empty() && config.derive != "true" && config.derive != "false") {
    return bad("rules.derive", "\"" + config.derive + "\" is not true or false");
  }
  for (auto [key, value] : {std::pair<const char*, int>{"rules.non_engagement_absences",
                                                        config.non_engagement_absences},
                            {"rules.non_engagement_window_days", config.non_engagement_window_days},
                            {"rules.no_contact_days", config.no_contact_days},
                            {"rules.reoffending_days", config.reoffending_days},
                            {"rules.tick_seconds", config.tick_seconds}}) {
    if (value < 1) return bad(key, "must be a whole number of 1 or more");
  }
  if (config.max_future_seconds < 0) {
    return bad("node.max_future_seconds", "must be a whole number of 0 or more");
  }
  if (config.reserve_mb < 0) return bad("store.reserve_mb", "must be a whole number of 0 or more");
  for (auto [key, value] :
       {std::pair<const char*, int>{"hooks.retry_for_seconds", config.hooks_retry_for_seconds},
        {"hooks.backoff_base_ms", config.hooks_backoff_base_ms},
        {"hooks.backoff_cap_ms", config.hooks_backoff_cap_ms},
        {"hooks.timeout_seconds", config.hooks_timeout_seconds}}) {
    if (value < 1) return bad(key, "must be a whole number of 1 or more");
  }
  if (config.hooks_backoff_cap_ms < config.hooks_backoff_base_ms) {
    return bad("hooks.backoff_cap_ms", "must be at least hooks.backoff_base_ms");
  }
  if (!config.listen.empty() && config.listen.rfind(':') == std::string::npos) {
    return bad("sync.listen", "expected HOST:PORT");
  }
  if (!config.http_listen.empty() && config.http_listen.rfind(':') == std::string::npos) {
    return bad("http.listen", "expected HOST:PORT");
  }
  for (auto [key, value] :
       {std::pair<const char*, int>{"http.max_body_bytes", config.http_max_body_bytes},
        {"http.max_connections_per_client", config.http_max_connections_per_client},
        {"http.max_connections", config.http_max_connections},
        {"http.client_timeout_seconds", config.http_client_timeout_seconds},
        {"web.session_idle_minutes", config.web_session_idle_minutes}}) {
    if (value < 1) return bad(key, "must be a whole number of 1 or more");
  }
  for (size_t i = 0; i < config.peers.size(); ++i) {
    const std::string& peer = config.peers[i];
    const std::string at =
        path + (i < peer_lines.size() ? ":" + std::to_string(peer_lines[i]) : "") + ": sync.peer: ";
    std::istringstream words(peer);
    std::string id, address, agreement;
    words >> id >> address;
    std::getline(words, agreement);
    if (!IsIdentifier(id) || address.empty()) {
      return Status::InvalidArgument(at + "\"" + peer + "\": expected ID ADDRESS AGREEMENT");
    }
    // Nothing is shared by default: each peer line says what the peer may receive.
    if (auto send = PeerFilter::Parse(agreement); !send.ok()) {
      return Status::InvalidArgument(at + "\"" + peer + "\": " + send.status().message());
    }
  }
  const auto base = std::filesystem::absolute(path).parent_path();
  config.path = std::filesystem::absolute(path).lexically_normal().string();
  config.data_dir = Absolute(config.data_dir, base);
  // Joined as a path (not "DIR" + "/holdfast.sock"): a data_dir written with a trailing slash
  // gives the same socket path when the config is read, rendered and read again.
  config.socket = config.socket.empty() ? Absolute("holdfast.sock", config.data_dir)
                                        : Absolute(config.socket, base);
  config.log_file = Absolute(config.log_file, base);
  config.ca = Absolute(config.ca, base);
  config.cert = Absolute(config.cert, base);
  config.key = Absolute(config.key, base);
  config.http_cert = Absolute(config.http_cert, base);  // empty: [sync] cert
  config.http_key = Absolute(config.http_key, base);
  return config;
}

std::string RenderConfig(const NodeConfig& c) {
  std::ostringstream out;
  out << "# holdfast node configuration (every key: ops/holdfast.conf.example)\n"
      << "[node]\n"
      << "# this node's id, its agency, and what kind of agency it serves\n"
      << "id = " << c.node_id << "\n"
      << "agency = " << c.agency << "\n"
      << "kind = " << c.kind << "\n"
      << "# the store, the socket and logs live here\n"
      << "data_dir = " << c.data_dir << "\n"
      << "socket = " << c.socket << "\n"
      << "# the time zone people type times in and tables show them in (JSON and CSV: UTC)\n"
      << "timezone = " << c.timezone << "\n"
      << "# how many seconds after now an event's time may be (later ones are refused)\n"
      << "max_future_seconds = " << c.max_future_seconds << "\n\n"
      << "[log]\n"
      << "# trace, debug, info, warn, error or off; file empty means stderr\n"
      << "level = " << c.log_level << "\n"
      << "file = " << c.log_file << "\n\n"
      << "[sync]\n"
      << "# where peers connect (HOST:PORT), and this node's TLS files from ops/make-node-cert\n"
      << "listen = " << c.listen << "\n"
      << "ca = " << c.ca << "\n"
      << "cert = " << c.cert << "\n"
      << "key = " << c.key << "\n"
      << "# peers: one line each, `peer = ID HOST:PORT AGREEMENT` (or use holdfast peers add),\n"
      << "# AGREEMENT being what the peer may receive: all, police, provider, probation,\n"
      << "# partnership, or event type prefixes such as alert.,breach. (nothing by default)\n\n"
      << "[rules]\n"
      << "# derive alerts here? true or false; empty: yes on probation and partnership nodes\n"
      << "derive = " << c.derive << "\n"
      << "# non_engagement: N unacceptable absences within W days\n"
      << "non_engagement_absences = " << c.non_engagement_absences << "\n"
      << "non_engagement_window_days = " << c.non_engagement_window_days << "\n"
      << "# no_contact: no positive contact for D days\n"
      << "no_contact_days = " << c.no_contact_days << "\n"
      << "# reoffending: incidents up to R days after a case closed\n"
      << "reoffending_days = " << c.reoffending_days << "\n"
      << "# how often (seconds) time-based rules are re-checked\n"
      << "tick_seconds = " << c.tick_seconds << "\n\n"
      << "[store]\n"
      << "# writes are refused while the store's disk has less than this many MB free\n"
      << "reserve_mb = " << c.reserve_mb << "\n\n"
      << "[http]\n"
      << "# the HTTPS API (docs/http-api.md): HOST:PORT, empty for none; cert and key empty\n"
      << "# mean [sync]'s; limits per request and per client\n"
      << "listen = " << c.http_listen << "\n"
      << "cert = " << c.http_cert << "\n"
      << "key = " << c.http_key << "\n"
      << "max_body_bytes = " << c.http_max_body_bytes << "\n"
      << "max_connections_per_client = " << c.http_max_connections_per_client << "\n"
      << "max_connections = " << c.http_max_connections << "\n"
      << "client_timeout_seconds = " << c.http_client_timeout_seconds << "\n\n"
      << "[web]\n"
      << "# the web front end (docs/web.md), on [http] listen: a session ends after this many\n"
      << "# minutes without a request\n"
      << "session_idle_minutes = " << c.web_session_idle_minutes << "\n\n"
      << "[hooks]\n"
      << "# a failing delivery is retried with backoff for this long, then parked (hooks status)\n"
      << "retry_for_seconds = " << c.hooks_retry_for_seconds << "\n"
      << "# the backoff between retries: random up to base doubling each time, at most cap (ms)\n"
      << "backoff_base_ms = " << c.hooks_backoff_base_ms << "\n"
      << "backoff_cap_ms = " << c.hooks_backoff_cap_ms << "\n"
      << "# one attempt (a web hook's request, an exec hook's program) takes at most this long\n"
      << "timeout_seconds = " << c.hooks_timeout_seconds << "\n";
  return out.str();
}

}  // namespace holdfast
