// HttpServer: the node's HTTPS API (SPEC "Alerts reach people"; docs/http-api.md), served by
// H2O (libh2o, built on libuv) on the daemon's own loop.
//
// Every /v1/ route builds an api::Request and answers it through RequestHandler::Handle, the
// request table the Unix socket uses (daemon/requests.h): the same rights, entry checks and
// audit. The caller is who the bearer token (`holdfast users token`) names. Handle runs on
// libuv's thread pool (uv_queue_work), as the socket's requests do; the reply is encoded to
// JSON there and sent back on the loop thread. Listings are answered one bounded page at a
// time (`limit`, `after`).
//
// `GET /v1/alerts/feed` streams the alert feed (Projector::ScanFeed) as Server-Sent Events,
// each change the caller's role may read (daemon/read_scope.h), resumed after `Last-Event-ID`
// or `?since=`. `GET /healthz` and `GET /metrics` (daemon/metrics.h, docs/metrics.md) take no
// token.
//
// Limits: HTTP/1.1 only; a body over `max_body_bytes` gets 413; a client holding
// `max_connections_per_client` connections (by IP) has more refused at accept; a client that
// takes more than `client_timeout_seconds` for its TLS handshake or one request's headers and
// body is cut off (the slow client costs one socket, never a worker); a feed reader that stops
// reading for that long is dropped, and at most one chunk of the feed (256 KiB) is ever held
// for it.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include "daemon/handler.h"
#include "daemon/metrics.h"
#include "daemon/peer_registry.h"
#include "daemon/users.h"
#include "eventstore/event_store.h"
#include "eventstore/status.h"
#include "projections/projector.h"

namespace holdfast {
namespace web {
class WebApp;
}

struct HttpOptions {
  std::string listen;  // HOST:PORT (port 0: any free port, logged)
  std::string cert, key;
  size_t max_body_bytes = 1u << 20;
  int max_connections_per_client = 128;
  int max_connections = 1024;
  int client_timeout_seconds = 10;
  int keepalive_seconds = 15;  // the feed's comment heartbeat
  std::string node_id, agency;
};

// What the server reads besides the request table: for identifying feed readers, scoping the
// feed, and metrics. All must outlive the server.
struct HttpDependencies {
  RequestHandler* handler;
  Users* users;
  Projector* projector;
  EventStore* store;
  SyncControl* sync;  // may be null
  // The web front end (daemon/web/web_app.h): every request outside /v1/, /healthz and
  // /metrics. Null: those get 404.
  web::WebApp* web = nullptr;
};

class HttpServer {
 public:
  HttpServer(uv_loop_t* loop, HttpDependencies deps, HttpOptions options);
  // Call after the loop has stopped running (it frees H2O's loop handles).
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Loads the TLS files and listens. InvalidArgument naming the file or the address.
  Status Listen();
  // The port listened on (after Listen).
  int port() const { return port_; }
  // Stops accepting, lets requests in flight answer, ends feed streams, closes every
  // connection, then calls `done` on the loop thread.
  void Shutdown(std::function<void()> done);
  // Counters and sources: more may be added (hook deliveries) before or after Listen.
  MetricsRegistry* metrics() { return &metrics_; }

  struct Impl;  // H2O's state and the connections (http_server.cc)

 private:
  std::unique_ptr<Impl> impl_;
  MetricsRegistry metrics_;
  int port_ = 0;
};

}  // namespace holdfast
