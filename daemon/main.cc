// holdfastd: a holdfast node. Owns the RocksDB store, serves the CLI on a Unix socket.
//
//   holdfastd --config DIR/holdfast.conf
//
// SIGTERM / SIGINT: stop accepting, finish in-flight requests, close the store.
// SIGHUP: re-read the config and apply what can change while running (the log level).
#include <malloc.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <unistd.h>
#include <uv.h>

#include <boost/program_options.hpp>
#include <csignal>
#include <iostream>

#include "daemon/audit.h"
#include "daemon/config.h"
#include "daemon/fold_thread.h"
#include "daemon/handler.h"
#include "daemon/hooks.h"
#include "daemon/http_server.h"
#include "daemon/local_server.h"
#include "daemon/peer_registry.h"
#include "daemon/users.h"
#include "daemon/web/web_app.h"
#include "eventstore/event_store.h"
#include "projections/projector.h"
#include "sync/sync_manager.h"

namespace po = boost::program_options;
using namespace holdfast;

namespace {

struct Daemon {
  NodeConfig config;
  std::unique_ptr<SocketPathLock> socket_lock;  // held for the daemon's life
  std::unique_ptr<EventStore> store;
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<Users> users;
  std::unique_ptr<Projector> projector;
  std::unique_ptr<FoldThread> fold;
  std::unique_ptr<SyncManager> sync;
  std::unique_ptr<PeerRegistry> peers;
  std::unique_ptr<Hooks> hooks;
  std::unique_ptr<RequestHandler> handler;
  std::unique_ptr<LocalServer> server;
  std::unique_ptr<web::WebApp> web;  // the web front end, with the HTTPS server
  std::unique_ptr<HttpServer> http;  // null when [http] listen is empty
  uv_loop_t* loop = nullptr;
  uv_signal_t sigterm{}, sigint{}, sighup{};
  uv_timer_t tick{};
  uv_work_t tick_work{};
  bool ticking = false;
  bool stopping = false;
};

// The hooks' counters as metrics families (docs/metrics.md), one series per hook.
void AppendHookMetrics(const std::vector<HookCounters>& hooks, std::string* out) {
  struct Family {
    const char* name;
    const char* type;
    const char* help;
    uint64_t HookCounters::*value;
  };
  static const Family families[] = {
      {"holdfast_hook_deliveries_total", "counter",
       "Alert changes the hook's receiver took (2xx, or an exec hook's exit 0).",
       &HookCounters::delivered},
      {"holdfast_hook_failures_total", "counter",
       "Delivery attempts that failed (an error, a timeout, a non-2xx answer, a non-zero exit).",
       &HookCounters::failed_attempts},
      {"holdfast_hook_parked", "gauge",
       "Deliveries parked as failed after the retry period, waiting for hooks retry.",
       &HookCounters::parked},
      {"holdfast_hook_pending", "gauge", "Deliveries waiting to be made or retried.",
       &HookCounters::pending},
  };
  for (const auto& f : families) {
    AppendFamily(out, f.name, f.type, f.help);
    for (const auto& h : hooks) {
      AppendSample(out, f.name, {{"hook", h.hook}}, static_cast<double>(h.*(f.value)));
    }
  }
}

RuleConfig RulesOf(const NodeConfig& c) {
  RuleConfig r;
  r.derive = c.Derives();
  r.non_engagement_absences = c.non_engagement_absences;
  r.non_engagement_window_days = c.non_engagement_window_days;
  r.no_contact_days = c.no_contact_days;
  r.reoffending_days = c.reoffending_days;
  return r;
}

// The audit chain's head (docs/audit.md): a copy of this log kept off the node anchors the
// chain, so rewriting it whole shows against the heads logged before. No personal data.
void LogAuditHead(AuditLog* audit, const char* when) {
  const AuditChainHead head = audit->Head();
  spdlog::info("audit: chain head at {}: {} entries, newest sha256 {}", when, head.count,
               head.hash);
}

// Time-based rules: every tick_seconds, re-check cases whose no_contact deadline passed,
// on the thread pool so the loop never waits for it.
void OnTick(uv_timer_t* timer) {
  auto* d = static_cast<Daemon*>(timer->data);
  if (d->ticking || d->stopping) return;
  d->ticking = true;
  d->tick_work.data = d;
  uv_queue_work(
      d->loop, &d->tick_work,
      [](uv_work_t* w) {
        auto* daemon = static_cast<Daemon*>(w->data);
        Status s = daemon->projector->Tick();
        if (!s.ok()) spdlog::error("time-based rules: {}", s.ToString());
      },
      [](uv_work_t* w, int) { static_cast<Daemon*>(w->data)->ticking = false; });
}

Status SetUpLogging(const NodeConfig& config) {
  try {
    std::shared_ptr<spdlog::logger> logger;
    if (config.log_file.empty()) {
      logger = spdlog::stderr_logger_mt("holdfastd");
    } else {
      logger = spdlog::basic_logger_mt("holdfastd", config.log_file);
    }
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(config.log_level));
  } catch (const spdlog::spdlog_ex& e) {
    return Status::IoError(std::string("cannot open the log: ") + e.what());
  }
  return Status::Ok();
}

void Stop(Daemon* d, const char* why) {
  if (d->stopping) return;
  d->stopping = true;
  spdlog::info("{}: stopping; finishing in-flight requests", why);
  uv_timer_stop(&d->tick);
  d->peers->Close();
  d->store->SetCommitListener(nullptr);
  if (d->sync) d->sync->Shutdown([] {});
  if (d->http) d->http->Shutdown([] {});
  d->server->Shutdown([d] {
    uv_close(reinterpret_cast<uv_handle_t*>(&d->tick), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&d->sigterm), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&d->sigint), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&d->sighup), nullptr);
  });
}

void Reload(Daemon* d) {
  auto fresh = LoadConfig(d->config.path);
  if (!fresh.ok()) {
    spdlog::error("SIGHUP: config not reloaded: {}", fresh.status().message());
    return;
  }
  if (fresh->log_level != d->config.log_level) {
    spdlog::set_level(spdlog::level::from_str(fresh->log_level));
    spdlog::info("SIGHUP: log level now {}", fresh->log_level);
  }
  d->config.log_level = fresh->log_level;
  d->projector->SetRules(RulesOf(*fresh));
  d->peers->ReloadConfig(fresh->peers);
  spdlog::info("SIGHUP: config reloaded (log level, rules)");
}

int Run(const std::string& config_path) {
  Daemon d;
  auto config = LoadConfig(config_path);
  if (!config.ok()) {
    std::cerr << "holdfastd: " << config.status().message() << "\n";
    return 2;
  }
  d.config = std::move(config).value();
  if (Status s = SetUpLogging(d.config); !s.ok()) {
    std::cerr << "holdfastd: " << s.message() << "\n";
    return 2;
  }
  // Before anything else: a second daemon on this socket path must not get far.
  auto socket_lock = SocketPathLock::Acquire(d.config.socket);
  if (!socket_lock.ok()) {
    spdlog::error("{}", socket_lock.status().message());
    std::cerr << "holdfastd: " << socket_lock.status().message() << "\n";
    return 1;
  }
  d.socket_lock = std::move(socket_lock).value();
  // The TLS files first: a node whose certificate every peer would refuse must not start.
  std::unique_ptr<TlsContext> tls;
  if (!d.config.listen.empty() || !d.config.peers.empty()) {
    if (d.config.ca.empty() || d.config.cert.empty() || d.config.key.empty()) {
      std::cerr << "holdfastd: " << d.config.path
                << ": [sync] needs ca, cert and key (make them with ops/make-ca and "
                   "ops/make-node-cert)\n";
      return 2;
    }
    auto created = TlsContext::Create(d.config.ca, d.config.cert, d.config.key);
    if (!created.ok()) {
      std::cerr << "holdfastd: " << d.config.path << ": " << created.status().message() << "\n";
      return 2;
    }
    tls = std::move(created).value();
    for (const auto& notice : tls->ExpiryNotices(TlsContext::CurrentUnixSeconds())) {
      spdlog::warn("sync: {}", notice);
    }
  }
  StoreOptions options;
  options.node_id = d.config.node_id;
  options.create_if_missing = true;
  options.reserved_bytes = static_cast<uint64_t>(d.config.reserve_mb) << 20;
  options.log = [](StoreOptions::LogLevel level, std::string_view line) {
    using L = StoreOptions::LogLevel;
    const auto to = level == L::kError  ? spdlog::level::err
                    : level == L::kWarn ? spdlog::level::warn
                                        : spdlog::level::debug;
    if (spdlog::should_log(to)) spdlog::log(to, "rocksdb: {}", line);
  };
  auto store = EventStore::Open(d.config.store_dir(), options);
  if (!store.ok()) {
    spdlog::error("cannot open the store: {}", store.status().message());
    std::cerr << "holdfastd: " << store.status().message() << "\n";
    return 1;
  }
  d.store = std::move(store).value();
  auto audit = AuditLog::Open(d.store.get());
  if (!audit.ok()) {
    std::cerr << "holdfastd: " << audit.status().message() << "\n";
    return 1;
  }
  d.audit = std::move(audit).value();
  // A store made before users existed has none, and nobody could use the node: the account
  // holdfastd runs as (which can read the store's files anyway) becomes its first operator,
  // as node init would have made it.
  if (auto account = FindUnixAccount(geteuid()); account.ok()) {
    auto first = AddFirstOperator(d.store.get(), *account);
    if (!first.ok()) {
      std::cerr << "holdfastd: users: " << first.status().message() << "\n";
      return 1;
    }
    if (!first->empty()) {
      spdlog::warn(
          "users: the store had no users; made {} (this daemon's Unix account) its "
          "first operator",
          *first);
    }
  }
  auto users = Users::Open(d.store.get());
  if (!users.ok()) {
    std::cerr << "holdfastd: " << users.status().message() << "\n";
    return 1;
  }
  d.users = std::move(users).value();
  LogAuditHead(d.audit.get(), "start");
  auto projector = Projector::Open(d.store.get(), RulesOf(d.config));
  if (!projector.ok()) {
    std::cerr << "holdfastd: " << projector.status().message() << "\n";
    return 1;
  }
  d.projector = std::move(projector).value();
  spdlog::info("projections: catching up from position {} to {}", d.projector->checkpoint(),
               d.store->LastPosition());
  if (Status s = d.projector->CatchUp(); !s.ok()) {
    spdlog::error("projections: {}", s.ToString());
    std::cerr << "holdfastd: projections: " << s.message()
              << " (try `holdfast projections rebuild`)\n";
  }
  d.fold = std::make_unique<FoldThread>(d.projector.get());
  FoldThread* fold = d.fold.get();
  d.loop = uv_default_loop();
  // Sync runs when the node has a listener and its TLS files; there is no plaintext mode.
  if (tls) {
    d.sync = std::make_unique<SyncManager>(d.loop, d.store.get(), std::move(tls),
                                           [fold] { fold->Notify(); });
    if (!d.config.listen.empty()) {
      if (Status s = d.sync->Listen(d.config.listen); !s.ok()) {
        std::cerr << "holdfastd: " << s.message() << "\n";
        return 1;
      }
    }
  }
  // Every commit (a local append, an import batch, a sync batch, a derived alert) wakes the
  // fold thread and, when syncing, the peers waiting for new events.
  SyncManager* sync = d.sync.get();
  d.store->SetCommitListener([fold, sync](uint64_t) {
    fold->Notify();
    if (sync) sync->NotifyAppend();
  });
  d.peers = std::make_unique<PeerRegistry>(d.loop, d.store.get(), d.sync.get());
  if (Status s = d.peers->Start(d.config.peers); !s.ok()) {
    std::cerr << "holdfastd: peers: " << s.message() << "\n";
    return 1;
  }
  // A full disk stops writes (requests that write are refused, reads go on, peers' batches
  // are not taken) until the store resumes by itself. Then the fold thread folds what could
  // not be saved meanwhile, and peers are dialled at once rather than at their backoff.
  PeerRegistry* peers = d.peers.get();
  const bool syncing = d.sync != nullptr;
  d.store->SetWriteStateListener([fold, peers, syncing](const Status& writable) {
    if (!writable.ok()) {
      spdlog::error("store: refusing writes: {}", writable.message());
      return;
    }
    spdlog::info("store: writing resumed");
    fold->Notify();
    if (syncing) peers->SyncNow("").IgnoreError();  // a nudge: the links retry by themselves
  });
  d.handler = std::make_unique<RequestHandler>(
      d.store.get(), d.audit.get(), d.users.get(), d.projector.get(), d.peers.get(),
      NodeIdentity{d.config.node_id, d.config.agency, d.config.kind, d.config.timezone,
                   d.config.max_future_seconds});
  // Hooks deliver from the alert feed on a thread of their own (docs/hooks.md).
  HookSettings hook_settings;
  hook_settings.retry_for_seconds = d.config.hooks_retry_for_seconds;
  hook_settings.backoff_base_ms = d.config.hooks_backoff_base_ms;
  hook_settings.backoff_cap_ms = d.config.hooks_backoff_cap_ms;
  hook_settings.timeout_seconds = d.config.hooks_timeout_seconds;
  auto hooks = Hooks::Open(d.store.get(), d.projector.get(), hook_settings);
  if (!hooks.ok()) {
    std::cerr << "holdfastd: " << hooks.status().message() << "\n";
    return 1;
  }
  d.hooks = std::move(hooks).value();
  if (Status s = d.hooks->Start(); !s.ok()) {
    std::cerr << "holdfastd: " << s.message() << "\n";
    return 1;
  }
  d.handler->SetHooks(d.hooks.get());

  d.server = std::make_unique<LocalServer>(d.loop, d.handler.get());
  if (Status s = d.server->Listen(d.config.socket); !s.ok()) {
    spdlog::error("{}", s.message());
    std::cerr << "holdfastd: " << s.message() << "\n";
    return 1;
  }
  if (!d.config.http_listen.empty()) {
    HttpOptions http;
    http.listen = d.config.http_listen;
    http.cert = d.config.http_cert.empty() ? d.config.cert : d.config.http_cert;
    http.key = d.config.http_key.empty() ? d.config.key : d.config.http_key;
    http.max_body_bytes = static_cast<size_t>(d.config.http_max_body_bytes);
    http.max_connections_per_client = d.config.http_max_connections_per_client;
    http.max_connections = d.config.http_max_connections;
    http.client_timeout_seconds = d.config.http_client_timeout_seconds;
    http.node_id = d.config.node_id;
    http.agency = d.config.agency;
    web::WebOptions web_options;
    web_options.node_id = d.config.node_id;
    web_options.agency = d.config.agency;
    web_options.timezone = d.config.timezone;
    web_options.session_idle_minutes = d.config.web_session_idle_minutes;
    d.web = std::make_unique<web::WebApp>(d.handler.get(), d.users.get(), d.audit.get(),
                                          std::move(web_options));
    d.http = std::make_unique<HttpServer>(
        d.loop,
        HttpDependencies{d.handler.get(), d.users.get(), d.projector.get(), d.store.get(),
                         d.peers.get(), d.web.get()},
        std::move(http));
    if (Status s = d.http->Listen(); !s.ok()) {
      spdlog::error("{}", s.message());
      std::cerr << "holdfastd: " << d.config.path << ": " << s.message() << "\n";
      return 1;
    }
    // The hooks' deliveries and failures (docs/metrics.md); the server goes before the hooks.
    Hooks* hooks_seen = d.hooks.get();
    d.http->metrics()->AddSource(
        [hooks_seen](std::string* out) { AppendHookMetrics(hooks_seen->Counters(), out); });
  }
  uv_timer_init(d.loop, &d.tick);
  d.tick.data = &d;
  const uint64_t tick_ms = static_cast<uint64_t>(d.config.tick_seconds) * 1000;
  uv_timer_start(&d.tick, OnTick, tick_ms, tick_ms);
  auto on_signal = [](uv_signal_t* h, int signum) {
    auto* daemon = static_cast<Daemon*>(h->data);
    if (signum == SIGHUP) {
      Reload(daemon);
    } else {
      Stop(daemon, signum == SIGTERM ? "SIGTERM" : "SIGINT");
    }
  };
  for (auto* sig : {&d.sigterm, &d.sigint, &d.sighup}) {
    uv_signal_init(d.loop, sig);
    sig->data = &d;
  }
  uv_signal_start(&d.sigterm, on_signal, SIGTERM);
  uv_signal_start(&d.sigint, on_signal, SIGINT);
  uv_signal_start(&d.sighup, on_signal, SIGHUP);

  spdlog::info("node {} ({}) serving {} events on {}", d.config.node_id, d.config.kind,
               d.store->LastPosition(), d.config.socket);
  uv_run(d.loop, UV_RUN_DEFAULT);
  d.store->SetCommitListener(nullptr);
  d.store->SetWriteStateListener(nullptr);
  d.hooks->Stop();  // deliveries under way are made again at the next start
  d.fold.reset();
  d.http.reset();  // after the loop: frees H2O's loop handles
  d.server.reset();
  d.sync.reset();
  d.handler.reset();
  d.hooks.reset();
  // What still waits (a full disk) is written if it can be, so the head logged is the last.
  d.audit->Flush().IgnoreError();
  LogAuditHead(d.audit.get(), "stop");
  d.audit.reset();
  d.projector.reset();
  d.store.reset();  // flushes and closes RocksDB
  uv_loop_close(d.loop);
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Requests run on libuv's pool: enough threads that many clients' appends share one
  // group commit. Must be set before the pool starts.
  setenv("UV_THREADPOOL_SIZE", "32", 0);
  // A client or peer that hangs up before its answer must cost the daemon nothing: writes
  // to it fail with EPIPE (and are dropped) instead of killing the process.
  signal(SIGPIPE, SIG_IGN);
  // Requests run on many pool threads; with glibc's default of one malloc arena per thread
  // (up to 8 per core) each keeps the memory it once used, and a bulk import leaves the
  // daemon holding twice what it needs. Two arenas keep contention low and RSS flat.
  mallopt(M_ARENA_MAX, 2);
  po::options_description desc("holdfastd --config FILE\n\nThe holdfast node daemon");
  std::string config_path;
  desc.add_options()("config", po::value(&config_path), "the node's holdfast.conf")(
      "help", "show this help");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "holdfastd: " << e.what() << " (see holdfastd --help)\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc << "\nExample: holdfastd --config /var/lib/holdfast/holdfast.conf\n";
    return 0;
  }
  if (config_path.empty()) {
    std::cerr << "holdfastd: --config FILE is required (make one with `holdfast node init`)\n";
    return 2;
  }
  return Run(config_path);
}
