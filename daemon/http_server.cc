#include "daemon/http_server.h"

#define H2O_USE_LIBUV 1
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <h2o.h>
#pragma GCC diagnostic pop
#include <arpa/inet.h>
#include <capnp/compat/json.h>
#include <capnp/message.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "daemon/feed_json.h"
#include "daemon/http_routes.h"
#include "daemon/rights.h"
#include "daemon/safe_text.h"
#include "daemon/triage.h"
#include "daemon/web/web_app.h"
#include "eventstore/event_json.h"
#include "eventstore/ids.h"
#include "projections/rules.h"

namespace holdfast {
namespace {

using Clock = std::chrono::steady_clock;

std::string ErrorJson(const HttpError& e) {
  std::string out = "{\"error\":{\"code\":" + JsonString(e.code);
  if (!e.field.empty()) out += ",\"field\":" + JsonString(e.field);
  return out + ",\"message\":" + JsonString(e.message) + "}}\n";
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Internal Server Error";
  }
}

// --- Answers on the pool ---------------------------------------------------------------

// The answer to send: status, JSON body and any extra header.
struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::string allow;              // 405
  bool www_authenticate = false;  // 401
  std::string cache_control = "no-store";
  std::vector<std::pair<std::string, std::string>> headers;  // the web's: Location, Set-Cookie
};

Reply ErrorReply(const HttpError& e) {
  Reply r;
  r.status = e.status;
  r.body = ErrorJson(e);
  r.www_authenticate = e.status == 401;
  return r;
}

std::string CodeName(api::Error::Code code) {
  using C = api::Error::Code;
  switch (code) {
    case C::INVALID_ARGUMENT:
      return "invalid_argument";
    case C::NOT_FOUND:
      return "not_found";
    case C::CONFLICT:
      return "conflict";
    case C::VERSION_CONFLICT:
      return "version_conflict";
    case C::PERMISSION_DENIED:
      return "permission_denied";
    case C::UNAVAILABLE:
      return "unavailable";
    case C::IO_ERROR:
      return "io_error";
    case C::CORRUPTION:
      return "corruption";
    case C::INTERNAL:
      return "internal";
  }
  return "internal";
}

// The request table's refusal as HTTP. `known_token`: whether the token names a user the
// node lets in (a refusal is then 403, else 401).
HttpError ErrorOf(api::Error::Reader e, const std::function<bool()>& known_token) {
  HttpError err;
  err.code = CodeName(e.getCode());
  err.message = e.getMessage();
  using C = api::Error::Code;
  switch (e.getCode()) {
    case C::INVALID_ARGUMENT:
      err.status = 400;
      err.field = FieldOf(err.message);
      break;
    case C::NOT_FOUND:
      err.status = 404;
      break;
    case C::CONFLICT:
    case C::VERSION_CONFLICT:
      err.status = 409;
      break;
    case C::PERMISSION_DENIED:
      err.status = known_token() ? 403 : 401;
      if (err.status == 401) err.code = "unauthorized";
      break;
    case C::UNAVAILABLE:
      err.status = 503;
      break;
    default:
      err.status = 500;
  }
  return err;
}

// The request table's answer as HTTP.
Reply ToReply(api::Response::Reader response, const std::function<bool()>& known_token) {
  Reply r;
  switch (response.which()) {
    case api::Response::ERROR:
      return ErrorReply(ErrorOf(response.getError(), known_token));
    case api::Response::PAGE:
      r.body = StructToJson(response.getPage()) + "\n";
      return r;
    case api::Response::REPORT:
      r.body = std::string(response.getReport().cStr()) + "\n";
      return r;
    default: {
      // The union member's value when it is a struct ({"caseView": {...}} -> {...}); else
      // the response as an object ({"appended": [...]}).
      capnp::DynamicStruct::Reader dynamic = response;
      KJ_IF_MAYBE (field, dynamic.which()) {
        if (field->getType().isStruct()) {
          r.body = StructToJson(dynamic.get(*field).as<capnp::DynamicStruct>()) + "\n";
          return r;
        }
      }
      r.body = StructToJson(dynamic) + "\n";
      return r;
    }
  }
}

}  // namespace

// --- The server -------------------------------------------------------------------------

struct HttpServer::Impl {
  uv_loop_t* loop;
  HttpDependencies deps;
  HttpOptions options;
  MetricsRegistry* metrics;

  h2o_globalconf_t config{};
  h2o_context_t ctx{};
  h2o_accept_ctx_t accept_ctx{};
  bool context_ready = false;
  uv_tcp_t listener{};
  bool listening = false;
  bool stopping = false;
  std::function<void()> on_shutdown;

  // A TCP connection, accepted here and handed to H2O. Plain data with the handle first:
  // H2O's close callback gets the handle's address, which is the connection's.
  struct Conn {
    uv_tcp_t tcp;
    Impl* impl;
    h2o_socket_t* sock;
    char ip[INET6_ADDRSTRLEN];
  };
  std::unordered_map<h2o_socket_t*, Conn*> conns;
  std::map<std::string, int> per_ip;
  size_t open_conns = 0;  // accepted and not yet closed
  int in_flight = 0;      // works on the pool

  // One request on the pool.
  struct Work;
  // Disposed with its request's memory pool: tells the work its request is gone.
  struct Guard {
    Work* work;
  };
  struct Work {
    uv_work_t uv{};
    Impl* impl = nullptr;
    h2o_req_t* req = nullptr;  // null once the request is gone
    Guard* guard = nullptr;
    const Route* route = nullptr;
    HttpCall call;
    std::string token;
    std::string route_name;
    web::WebRequest web;                 // a web page's request
    std::function<Reply(Work*)> answer;  // runs on the pool
    Reply reply;
    uint64_t started_ns = 0;
    // GET /v1/alerts/feed: what the request table let in (FeedTaker), to stream from.
    struct Feed {
      Caller caller;
      ReadScope scope;
      uint64_t cursor;
    };
    std::optional<Feed> feed;
  };

  // The request table's watchFeed, answered by the HTTPS server's own stream: takes the
  // reader the table let in (and audited) instead of holding a pool thread.
  struct FeedTaker : ResponseChannel {
    Work* work;
    explicit FeedTaker(Work* w) : work(w) {}
    void SendInterim(capnp::MessageBuilder&) override {}
    bool SendPage(capnp::MessageBuilder&) override { return false; }
    bool TakeFeed(const Caller& caller, const ReadScope& scope, uint64_t cursor) override {
      work->feed.emplace(Work::Feed{caller, scope, cursor});
      return true;
    }
  };

  // A feed reader (GET /v1/alerts/feed).
  struct Stream {
    h2o_generator_t generator{};  // first: H2O calls back with its address
    Impl* impl = nullptr;
    h2o_req_t* req = nullptr;  // null once the client has gone
    Caller caller;
    std::optional<ReadScope> scope;
    uint64_t cursor = 0;
    std::string pending;    // frames ready to send
    std::string in_flight;  // frames H2O is sending (kept until proceed)
    bool sending = false;
    bool scanning = false;
    bool dirty = true;  // the feed may hold entries after `cursor`
    bool ending = false;
    std::string end_message;  // a final frame when the reader may no longer read
    Clock::time_point last_sent = Clock::now();
    Clock::time_point send_started = Clock::now();
    uv_work_t work{};
    std::string scanned;  // the scan's frames
    uint64_t scanned_to = 0;
    bool scanned_more = false;
  };
  std::set<Stream*> streams;
  uv_async_t feed_async{};
  uv_timer_t tick{};
  int feed_listener = -1;

  Counter* http_requests(const std::string& route, int status) {
    return metrics->GetCounter("holdfast_http_requests_total",
                               "HTTP requests answered, by route and status code.",
                               {{"route", route}, {"code", std::to_string(status)}});
  }
  Histogram* latency(const std::string& route) {
    return metrics->GetHistogram(
        "holdfast_http_request_duration_seconds",
        "Time from a request's arrival (headers and body read) to its answer, by route.",
        {{"route", route}});
  }

  // --- Sending -----------------------------------------------------------------------
  void Send(h2o_req_t* req, const std::string& route, uint64_t started_ns, const Reply& r) {
    req->res.status = r.status;
    req->res.reason = Reason(r.status);
    const h2o_iovec_t type = h2o_strdup(&req->pool, r.content_type.data(), r.content_type.size());
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, type.base,
                   type.len);
    const h2o_iovec_t cache =
        h2o_strdup(&req->pool, r.cache_control.data(), r.cache_control.size());
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, cache.base,
                   cache.len);
    for (const auto& [name, value] : r.headers) {
      const h2o_iovec_t n = h2o_strdup(&req->pool, name.data(), name.size());
      const h2o_iovec_t v = h2o_strdup(&req->pool, value.data(), value.size());
      h2o_add_header_by_str(&req->pool, &req->res.headers, n.base, n.len, 0, NULL, v.base, v.len);
    }
    if (r.www_authenticate) {
      h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL,
                     H2O_STRLIT("Bearer realm=\"holdfast\""));
    }
    if (!r.allow.empty()) {
      const h2o_iovec_t allow = h2o_strdup(&req->pool, r.allow.data(), r.allow.size());
      h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, allow.base, allow.len);
    }
    if (stopping) req->http1_is_persistent = 0;
    req->res.content_length = r.body.size();
    h2o_send_inline(req, r.body.data(), r.body.size());
    http_requests(route, r.status)->Add();
    latency(route)->Observe(static_cast<double>(uv_hrtime() - started_ns) / 1e9);
  }

  void SendError(h2o_req_t* req, const std::string& route, const HttpError& e,
                 std::string allow = "") {
    Reply r = ErrorReply(e);
    r.allow = std::move(allow);
    Send(req, route, uv_hrtime(), r);
  }

  // --- Accepting -----------------------------------------------------------------------
  static void OnAccept(uv_stream_t* server, int status) {
    auto* self = static_cast<Impl*>(server->data);
    if (status != 0) return;
    auto* c = new Conn();
    c->impl = self;
    c->sock = nullptr;
    c->ip[0] = 0;
    uv_tcp_init(self->loop, &c->tcp);
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp),
               [](uv_handle_t* h) { delete reinterpret_cast<Conn*>(h); });
      return;
    }
    sockaddr_storage addr{};
    int len = sizeof addr;
    if (uv_tcp_getpeername(&c->tcp, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      if (addr.ss_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr, c->ip, sizeof c->ip);
      } else if (addr.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr, c->ip,
                  sizeof c->ip);
      }
    }
    int& mine = self->per_ip[c->ip];
    if (self->stopping || mine >= self->options.max_connections_per_client ||
        self->open_conns >= static_cast<size_t>(self->options.max_connections)) {
      if (!self->stopping) {
        self->metrics
            ->GetCounter("holdfast_http_connections_refused_total",
                         "Connections closed at accept: the client (by IP) already held "
                         "max_connections_per_client, or the server max_connections.")
            ->Add();
        spdlog::warn("http: refused a connection from {}: {} connections open from it", c->ip,
                     mine);
      }
      if (mine == 0) self->per_ip.erase(c->ip);
      uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp),
               [](uv_handle_t* h) { delete reinterpret_cast<Conn*>(h); });
      return;
    }
    ++mine;
    ++self->open_conns;
    c->sock = h2o_uv_socket_create(reinterpret_cast<uv_stream_t*>(&c->tcp), OnConnClosed);
    self->conns[c->sock] = c;
    h2o_accept(&self->accept_ctx, c->sock);
  }

  static void OnConnClosed(uv_handle_t* handle) {
    auto* c = reinterpret_cast<Conn*>(handle);
    Impl* self = c->impl;
    self->conns.erase(c->sock);
    auto it = self->per_ip.find(c->ip);
    if (it != self->per_ip.end() && --it->second <= 0) self->per_ip.erase(it);
    --self->open_conns;
    delete c;
    self->MaybeFinishShutdown();
  }

  // Cuts a connection off: its socket is shut down, so H2O sees it fail and closes it.
  static void CutOff(h2o_req_t* req) {
    h2o_socket_t* sock = req->conn->callbacks->get_socket(req->conn);
    if (sock == nullptr) return;
    int fd = h2o_socket_get_fd(sock);
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
  }

  // --- Requests ------------------------------------------------------------------------
  static int OnRequest(h2o_handler_t* handler, h2o_req_t* req);

  int Dispatch(h2o_req_t* req) {
    const uint64_t started = uv_hrtime();
    const std::string_view method(req->method.base, req->method.len);
    const size_t path_end = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    const std::string_view path(req->path.base, path_end);
    const std::string_view query = req->query_at != SIZE_MAX
                                       ? std::string_view(req->path.base + req->query_at + 1,
                                                          req->path.len - req->query_at - 1)
                                       : std::string_view();
    if (stopping) {
      SendError(req, "other", {503, "unavailable", "", "holdfastd is stopping; try again shortly"});
      return 0;
    }
    const auto segments = Segments(path);
    // Only the raw path is matched: nothing is decoded or resolved, so a path that climbs
    // (/v1/../x, %2e%2e) matches no route.
    if (path == "/healthz" || path == "/metrics") {
      if (method != "GET" && method != "HEAD") {
        SendError(req, std::string(path),
                  {405, "method_not_allowed", "", std::string(method) + " is not allowed here"},
                  "GET");
        return 0;
      }
      auto w = NewWork(req, std::string(path), started);
      if (path == "/healthz") {
        w->answer = [](Work* work) { return work->impl->Health(); };
      } else {
        w->answer = [](Work* work) {
          Reply r;
          r.content_type = "text/plain; version=0.0.4; charset=utf-8";
          r.body = work->impl->metrics->Render();
          return r;
        };
      }
      Queue(w);
      return 0;
    }
    if (path == kFeedPath) {
      if (method != "GET") {
        SendError(req, kFeedPath,
                  {405, "method_not_allowed", "", std::string(method) + " is not allowed here"},
                  "GET");
        return 0;
      }
      auto token = Token(req);
      if (!token) {
        SendError(req, kFeedPath, NoToken());
        return 0;
      }
      auto parsed = ParseQuery(query, "since");
      if (!parsed.ok()) {
        SendError(req, kFeedPath, BadRequest(parsed.status()));
        return 0;
      }
      StartFeed(req, *token, *parsed, started);
      return 0;
    }
    // Everything outside /v1/ is the web front end's, but for an API client (one that sends
    // a bearer token): it gets the API's JSON 404, not a page or a redirect to sign in.
    if (deps.web != nullptr && path.rfind("/v1/", 0) != 0 && path != "/v1" && !Token(req)) {
      if (req->entity.base != nullptr && req->entity.len > options.max_body_bytes) {
        SendError(req, "web", {413, "payload_too_large", "body", "the form is too large"});
        return 0;
      }
      auto w = NewWork(req, "web", started);
      w->web.method.assign(method);
      w->web.path.assign(path);
      w->web.query.assign(query);
      if (req->entity.base != nullptr) w->web.body.assign(req->entity.base, req->entity.len);
      if (ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, -1); i >= 0) {
        w->web.cookie.assign(req->headers.entries[i].value.base, req->headers.entries[i].value.len);
      }
      if (ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1); i >= 0) {
        w->web.content_type.assign(req->headers.entries[i].value.base,
                                   req->headers.entries[i].value.len);
      }
      w->web.client = PeerIp(req);
      w->answer = [](Work* work) {
        work->web.now_ns =
            static_cast<int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
        web::WebReply page = work->impl->deps.web->Handle(work->web);
        Reply r;
        r.status = page.status;
        r.content_type = std::move(page.content_type);
        r.body = std::move(page.body);
        r.cache_control = std::move(page.cache_control);
        r.headers = std::move(page.headers);
        return r;
      };
      Queue(w);
      return 0;
    }
    const Route* found = nullptr;
    std::string allow;
    std::vector<std::string> params;
    for (const auto& route : Routes()) {
      std::vector<std::string> p;
      if (!Match(route.pattern, segments, &p)) continue;
      if (method == route.method) {
        found = &route;
        params = std::move(p);
      } else {
        allow += (allow.empty() ? "" : ", ") + std::string(route.method);
      }
    }
    if (found == nullptr) {
      if (!allow.empty()) {
        SendError(req, "other",
                  {405, "method_not_allowed", "", std::string(method) + " is not allowed here"},
                  allow);
      } else {
        SendError(
            req, "other",
            {404, "not_found", "", "no such resource (the API is under /v1/: docs/http-api.md)"});
      }
      return 0;
    }
    auto token = Token(req);
    if (!token) {
      SendError(req, found->pattern, NoToken());
      return 0;
    }
    auto parsed = ParseQuery(query, found->query);
    if (!parsed.ok()) {
      SendError(req, found->pattern, BadRequest(parsed.status()));
      return 0;
    }
    if (req->entity.base != nullptr && req->entity.len > options.max_body_bytes) {
      SendError(req, found->pattern,
                {413, "payload_too_large", "body",
                 "the body is over " + std::to_string(options.max_body_bytes) +
                     " bytes ([http] max_body_bytes): send fewer events per request"});
      return 0;
    }
    auto w = NewWork(req, found->pattern, started);
    w->route = found;
    w->token = *token;
    w->call.params = std::move(params);
    w->call.query = std::move(parsed).value();
    if (req->entity.base != nullptr) w->call.body.assign(req->entity.base, req->entity.len);
    w->answer = [](Work* work) { return work->impl->Answer(work); };
    Queue(w);
    return 0;
  }

  // The client's IP address, as text ("" when the connection cannot say).
  static std::string PeerIp(h2o_req_t* req) {
    sockaddr_storage addr{};
    const socklen_t len =
        req->conn->callbacks->get_peername(req->conn, reinterpret_cast<sockaddr*>(&addr));
    char ip[INET6_ADDRSTRLEN] = "";
    if (len == 0) return "";
    if (addr.ss_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr, ip, sizeof ip);
    } else if (addr.ss_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr, ip, sizeof ip);
    }
    return ip;
  }

  static HttpError NoToken() {
    return {401, "unauthorized", "Authorization",
            "no token: send `Authorization: Bearer TOKEN` (make one with holdfast users token)"};
  }
  static HttpError BadRequest(const Status& s) {
    return {400, "invalid_argument", FieldOf(s.message()), s.message()};
  }

  // The bearer token of the request; nullopt when there is none.
  static std::optional<std::string> Token(h2o_req_t* req) {
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    if (i < 0) return std::nullopt;
    std::string_view v(req->headers.entries[i].value.base, req->headers.entries[i].value.len);
    if (v.size() < 7 || strncasecmp(v.data(), "Bearer ", 7) != 0) return std::nullopt;
    v.remove_prefix(7);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    if (v.empty()) return std::nullopt;
    return std::string(v);
  }

  Work* NewWork(h2o_req_t* req, std::string route, uint64_t started) {
    auto* w = new Work();
    w->impl = this;
    w->req = req;
    w->route_name = std::move(route);
    w->started_ns = started;
    w->uv.data = w;
    w->guard = static_cast<Guard*>(h2o_mem_alloc_shared(&req->pool, sizeof(Guard), [](void* p) {
      auto* g = static_cast<Guard*>(p);
      if (g->work != nullptr) g->work->req = nullptr;
    }));
    w->guard->work = w;
    return w;
  }

  void Queue(Work* w) {
    ++in_flight;
    uv_queue_work(
        loop, &w->uv,
        [](uv_work_t* u) {
          auto* work = static_cast<Work*>(u->data);
          try {
            work->reply = work->answer(work);
          } catch (const std::exception& e) {
            work->reply =
                ErrorReply({500, "internal", "", std::string("internal error: ") + e.what()});
          } catch (const kj::Exception& e) {
            work->reply = ErrorReply(
                {500, "internal", "", std::string("internal error: ") + e.getDescription().cStr()});
          }
        },
        [](uv_work_t* u, int) {
          auto* work = static_cast<Work*>(u->data);
          Impl* self = work->impl;
          if (work->req != nullptr) {
            work->guard->work = nullptr;
            if (work->feed) {
              self->BeginStream(work->req, std::move(*work->feed), work->started_ns);
            } else {
              self->Send(work->req, work->route_name, work->started_ns, work->reply);
            }
          }
          delete work;
          --self->in_flight;
          self->MaybeFinishShutdown();
        });
  }

  // On the pool: the request table's answer.
  Reply Answer(Work* w) {
    capnp::MallocMessageBuilder request_message;
    auto request = request_message.initRoot<api::Request>();
    request.initIdentity().setToken(w->token);
    const std::string token = w->token;
    auto known_token = [this, &token] {
      return deps.users->Identify(Presented{token, -1, {}, {}}).status.ok();
    };
    std::optional<HttpError> refused;
    w->call.whole_alert_id = [&](const std::string& given) -> Result<std::string> {
      capnp::MallocMessageBuilder lookup_message;
      auto lookup = lookup_message.initRoot<api::Request>();
      lookup.initIdentity().setToken(token);
      lookup.setResolveAlert(given);
      capnp::MallocMessageBuilder found_message;
      auto found = found_message.initRoot<api::Response>();
      deps.handler->Handle(lookup.asReader(), found, nullptr, /*peer_uid=*/-1);
      if (found.isAlert()) return std::string(found.asReader().getAlert().getAlert().cStr());
      refused = found.isError() ? ErrorOf(found.asReader().getError(), known_token)
                                : HttpError{500, "internal", "", "resolveAlert: no alert"};
      return Status::InvalidArgument(refused->message);
    };
    const Status built = w->route->build(w->call, request);
    w->call.whole_alert_id = nullptr;  // it holds references to this frame
    if (!built.ok()) return ErrorReply(PathAlert(refused ? *refused : BadRequest(built)));
    capnp::MallocMessageBuilder response_message;
    auto response = response_message.initRoot<api::Response>();
    deps.handler->Handle(request.asReader(), response, nullptr, /*peer_uid=*/-1);
    if (response.isError()) {
      return ErrorReply(PathAlert(ErrorOf(response.asReader().getError(), known_token)));
    }
    return ToReply(response.asReader(), known_token);
  }

  // The daemon names an alert id "--alert" (the CLI's option); here it is the path's {id}.
  static HttpError PathAlert(HttpError e) {
    const std::string option = "--alert: ";
    if (e.message.rfind(option, 0) == 0) {
      e.message = "id: " + e.message.substr(option.size());
      e.field = "id";
    }
    return e;
  }

  Reply Health() {
    Reply r;
    const uint64_t last = deps.store->LastPosition();
    r.body = "{\"status\":\"ok\",\"node\":" + JsonString(options.node_id) +
             ",\"last_position\":" + std::to_string(last) + "}\n";
    return r;
  }

  // --- The alert feed ------------------------------------------------------------------
  // On the loop: reads the cursor, then asks the request table (on the pool) to let the
  // reader in, as `alerts watch` is: the same right, identity checks and audit entry.
  void StartFeed(h2o_req_t* req, const std::string& token,
                 const std::map<std::string, std::string>& query, uint64_t started) {
    uint64_t since = 0;
    ssize_t h = h2o_find_header_by_str(&req->headers, H2O_STRLIT("last-event-id"), -1);
    std::string given, field;
    if (h >= 0) {
      given.assign(req->headers.entries[h].value.base, req->headers.entries[h].value.len);
      field = "Last-Event-ID";
    } else if (query.count("since")) {
      given = query.at("since");
      field = "since";
    }
    if (!field.empty()) {
      if (given.empty() || given.size() > 19 ||
          given.find_first_not_of("0123456789") != std::string::npos) {
        SendError(req, kFeedPath,
                  {400, "invalid_argument", field,
                   field + ": \"" + given + "\" is not a feed cursor (the id: of an event sent)"});
        return;
      }
      since = std::stoull(given);
      if (since > deps.store->LastPosition()) {
        SendError(req, kFeedPath, {400, "invalid_argument", field, PastTheEnd(field, since)});
        return;
      }
    }
    auto w = NewWork(req, kFeedPath, started);
    w->token = token;
    w->answer = [since](Work* work) {
      capnp::MallocMessageBuilder request_message;
      auto request = request_message.initRoot<api::Request>();
      request.initIdentity().setToken(work->token);
      request.initWatchFeed().setSince(since);
      capnp::MallocMessageBuilder response_message;
      auto response = response_message.initRoot<api::Response>();
      FeedTaker taker(work);
      work->impl->deps.handler->Handle(request.asReader(), response, &taker, /*peer_uid=*/-1);
      if (work->feed && !response.isError()) return Reply{};
      work->feed.reset();
      const std::string token = work->token;
      return ToReply(response.asReader(), [work, &token] {
        return work->impl->deps.users->Identify(Presented{token, -1, {}, {}}).status.ok();
      });
    };
    Queue(w);
  }

  // A cursor is a position in this node's log: past its end, the feed would say nothing
  // until the log grew past it, every change meanwhile lost to the reader.
  std::string PastTheEnd(const std::string& field, uint64_t cursor) const {
    return field + ": " + std::to_string(cursor) + " is past the end of this node's log (" +
           std::to_string(deps.store->LastPosition()) +
           "): a cursor of another node, or of this one before a restore? Read again from the "
           "start (no " +
           field + ") and skip the changes already handled";
  }

  // On the loop, once the request table has let the reader in: the stream begins.
  void BeginStream(h2o_req_t* req, Work::Feed feed, uint64_t started) {
    auto* s = new Stream();
    s->impl = this;
    s->req = req;
    s->caller = std::move(feed.caller);
    s->scope.emplace(std::move(feed.scope));
    s->cursor = feed.cursor;
    s->generator.proceed = [](h2o_generator_t* g, h2o_req_t*) {
      auto* stream = reinterpret_cast<Stream*>(g);
      stream->sending = false;
      stream->in_flight.clear();
      stream->impl->Pump(stream);
    };
    s->generator.stop = [](h2o_generator_t* g, h2o_req_t*) {
      auto* stream = reinterpret_cast<Stream*>(g);
      stream->req = nullptr;
      stream->impl->Forget(stream);
    };
    streams.insert(s);
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("text/event-stream; charset=utf-8"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    h2o_start_response(req, &s->generator);
    http_requests(kFeedPath, 200)->Add();
    latency(kFeedPath)->Observe(static_cast<double>(uv_hrtime() - started) / 1e9);
    s->pending = "retry: 2000\n\n";
    Pump(s);
  }

  // Frees a stream once H2O and the pool are both done with it.
  void Forget(Stream* s) {
    if (s->req != nullptr || s->scanning) return;
    streams.erase(s);
    delete s;
    MaybeFinishShutdown();
  }

  // Sends what is pending when H2O can take it; scans the feed when nothing is pending.
  void Pump(Stream* s) {
    if (s->req == nullptr) {
      Forget(s);
      return;
    }
    if (s->sending) return;
    if (!s->pending.empty()) {
      s->in_flight.swap(s->pending);
      s->pending.clear();
      s->sending = true;
      s->send_started = s->last_sent = Clock::now();
      if (s->ending) {
        // The last frame is copied to the request's pool: the stream goes before H2O sends.
        h2o_iovec_t last = h2o_strdup(&s->req->pool, s->in_flight.data(), s->in_flight.size());
        h2o_send(s->req, &last, 1, H2O_SEND_STATE_FINAL);
        // H2O is done with the request once a final send is made; it calls stop no more.
        s->req = nullptr;
        Forget(s);
        return;
      }
      h2o_iovec_t buf = h2o_iovec_init(s->in_flight.data(), s->in_flight.size());
      h2o_send(s->req, &buf, 1, H2O_SEND_STATE_IN_PROGRESS);
      return;
    }
    if (s->ending) {
      h2o_send(s->req, nullptr, 0, H2O_SEND_STATE_FINAL);
      s->req = nullptr;
      Forget(s);
      return;
    }
    if (s->dirty && !s->scanning && !stopping) Scan(s);
  }

  void Scan(Stream* s) {
    s->scanning = true;
    s->dirty = false;
    s->work.data = s;
    ++in_flight;
    uv_queue_work(
        loop, &s->work,
        [](uv_work_t* u) {
          auto* stream = static_cast<Stream*>(u->data);
          stream->impl->ScanOnPool(stream);
        },
        [](uv_work_t* u, int) {
          auto* stream = static_cast<Stream*>(u->data);
          Impl* self = stream->impl;
          --self->in_flight;
          stream->scanning = false;
          if (stream->req == nullptr) {
            self->Forget(stream);
            return;
          }
          stream->cursor = stream->scanned_to;
          stream->pending += stream->scanned;
          stream->scanned.clear();
          if (stream->scanned_more) stream->dirty = true;
          self->Pump(stream);
          self->MaybeFinishShutdown();
        });
  }

  // At most this much of the feed is read for one client at a time.
  static constexpr size_t kFeedChunkBytes = 256 * 1024;

  void ScanOnPool(Stream* s) {
    s->scanned.clear();
    s->scanned_to = s->cursor;
    s->scanned_more = false;
    if (Status still = deps.handler->StillActs(s->caller); !still.ok()) {
      s->scanned =
          "event: error\ndata: " + ErrorJson({403, "permission_denied", "", still.message()});
      s->scanned += "\n";
      s->ending = true;
      return;
    }
    const ReadScope& scope = *s->scope;
    Status scanned = deps.projector->ScanFeed(s->cursor, [&](const FeedEntry& e) {
      if (s->scanned.size() >= kFeedChunkBytes) {
        s->scanned_more = true;
        return false;
      }
      s->scanned_to = e.cursor;
      auto visible = scope.everything() ? Result<bool>(true) : scope.MaySee(e.alert);
      if (!visible.ok()) {
        spdlog::warn("http feed: an alert change was not sent to a {} reader: {}",
                     RoleName(scope.role()), visible.status().ToString());
        return true;
      }
      if (!*visible) return true;
      capnp::MallocMessageBuilder m;
      auto item = m.initRoot<api::FeedItem>();
      RequestHandler::FillFeedItem(e, scope.WithheldOf(e.alert), item);
      s->scanned += "id: " + std::to_string(e.cursor) + "\nevent: " + AlertChangeName(e.change) +
                    "\ndata: " + FeedItemJson(item.asReader()) + "\n\n";
      return true;
    });
    if (!scanned.ok()) {
      spdlog::error("http feed: {}", scanned.ToString());
      s->scanned_more = true;  // tried again at the next change or tick
    }
  }

  static void OnFeedAsync(uv_async_t* async) {
    auto* self = static_cast<Impl*>(async->data);
    for (Stream* s : std::vector<Stream*>(self->streams.begin(), self->streams.end())) {
      s->dirty = true;
      self->Pump(s);
    }
  }

  // Every second: heartbeats, and readers that stopped reading are dropped.
  static void OnTick(uv_timer_t* timer) {
    auto* self = static_cast<Impl*>(timer->data);
    const auto now = Clock::now();
    const auto stall = std::chrono::seconds(self->options.client_timeout_seconds);
    const auto keepalive = std::chrono::seconds(self->options.keepalive_seconds);
    for (Stream* s : std::vector<Stream*>(self->streams.begin(), self->streams.end())) {
      if (s->req == nullptr) continue;
      if (s->sending && now - s->send_started > stall) {
        self->metrics
            ->GetCounter("holdfast_http_feed_readers_dropped_total",
                         "Feed readers cut off because they stopped reading.")
            ->Add();
        CutOff(s->req);
        continue;
      }
      if (!s->sending && s->pending.empty() && now - s->last_sent >= keepalive) {
        s->pending = ": keepalive\n\n";
        // And a scan once it is sent, which looks first at whether the reader may still
        // read: a user disabled with no change since hears so within a heartbeat.
        s->dirty = true;
        self->Pump(s);
      }
    }
  }

  // --- Shutting down -------------------------------------------------------------------
  void Shutdown(std::function<void()> done) {
    stopping = true;
    on_shutdown = std::move(done);
    if (feed_listener >= 0) {
      deps.projector->RemoveFeedListener(feed_listener);
      feed_listener = -1;
    }
    if (listening) {
      listening = false;
      uv_close(reinterpret_cast<uv_handle_t*>(&listener), nullptr);
      uv_close(reinterpret_cast<uv_handle_t*>(&feed_async), nullptr);
      uv_timer_stop(&tick);
      uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
    }
    // Feed streams end now; other connections once their requests in flight have answered.
    for (Stream* s : std::vector<Stream*>(streams.begin(), streams.end())) {
      if (s->req != nullptr) CutOff(s->req);
    }
    MaybeFinishShutdown();
  }

  void MaybeFinishShutdown() {
    if (!stopping || !on_shutdown) return;
    if (in_flight > 0) return;
    if (!conns.empty()) {
      for (auto& [sock, c] : conns) {
        int fd = h2o_socket_get_fd(sock);
        if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
      }
      return;
    }
    if (open_conns > 0 || !streams.empty()) return;
    auto done = std::move(on_shutdown);
    on_shutdown = nullptr;
    done();
  }
};

int HttpServer::Impl::OnRequest(h2o_handler_t* handler, h2o_req_t* req) {
  Impl* self = *reinterpret_cast<Impl**>(handler + 1);
  try {
    return self->Dispatch(req);
  } catch (const std::exception& e) {
    spdlog::error("http: a request failed: {}", e.what());
    h2o_send_error_500(req, "Internal Server Error", "internal error", 0);
    return 0;
  }
}

HttpServer::HttpServer(uv_loop_t* loop, HttpDependencies deps, HttpOptions options)
    : impl_(new Impl()) {
  impl_->loop = loop;
  impl_->deps = deps;
  impl_->options = std::move(options);
  impl_->metrics = &metrics_;
  Impl* impl = impl_.get();
  metrics_.AddSource([impl](std::string* out) {
    AppendFamily(out, "holdfast_events_total", "counter",
                 "Events in this node's log (its last log position): appended here, "
                 "imported, derived or received from peers.");
    AppendSample(out, "holdfast_events_total", {},
                 static_cast<double>(impl->deps.store->LastPosition()));
  });
  metrics_.AddSource([impl](std::string* out) {
    std::map<std::string, uint64_t> open;
    for (const char* rule :
         {"non_engagement", "no_contact", "reoffending", "breach", "dropout", "risk_escalation"}) {
      open[rule] = 0;
    }
    AlertFilter filter;
    filter.status = "open";
    filter.as_of = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
    Status s = impl->deps.projector->ScanAlerts(filter, std::nullopt, [&](const ListedAlert& a) {
      ++open[RuleName(a.state.rule)];
      return true;
    });
    if (!s.ok()) return;
    AppendFamily(out, "holdfast_alerts_open", "gauge", "Open alerts on this node, by rule.");
    for (const auto& [rule, n] : open) {
      AppendSample(out, "holdfast_alerts_open", {{"rule", rule}}, static_cast<double>(n));
    }
  });
  metrics_.AddSource([impl](std::string* out) {
    if (impl->deps.sync == nullptr) return;
    auto peers = impl->deps.sync->ListPeers(/*behind_out=*/true);
    if (!peers.ok()) return;
    struct Family {
      const char* name;
      const char* type;
      const char* help;
      double (*value)(const PeerStatus&);
    };
    static const Family families[] = {
        {"holdfast_peer_connected", "gauge", "1 while a sync link with the peer is up.",
         [](const PeerStatus& p) { return p.connected ? 1.0 : 0.0; }},
        {"holdfast_peer_last_contact_seconds", "gauge",
         "When the peer was last heard from (unix seconds; 0: never).",
         [](const PeerStatus& p) { return static_cast<double>(p.last_contact / 1000000000); }},
        {"holdfast_peer_behind_in_events", "gauge",
         "Events of the peer's log this node has not pulled yet, as the peer last said.",
         [](const PeerStatus& p) { return static_cast<double>(p.behind_in); }},
        {"holdfast_peer_behind_out_events", "gauge",
         "Events of this node's log for the peer that it has not pulled yet.",
         [](const PeerStatus& p) { return static_cast<double>(p.behind_out); }},
        {"holdfast_peer_events_in_total", "counter",
         "Events received from the peer since the daemon started.",
         [](const PeerStatus& p) { return static_cast<double>(p.events_in); }},
        {"holdfast_peer_events_out_total", "counter",
         "Events sent to the peer since the daemon started.",
         [](const PeerStatus& p) { return static_cast<double>(p.events_out); }},
    };
    for (const auto& f : families) {
      AppendFamily(out, f.name, f.type, f.help);
      for (const auto& view : *peers) {
        AppendSample(out, f.name, {{"peer", view.status.config.id}}, f.value(view.status));
      }
    }
  });
  metrics_.AddSource([impl](std::string* out) {
    // Read on the pool while the loop changes them: a scrape's view, good to a request.
    AppendFamily(out, "holdfast_http_connections", "gauge", "HTTPS connections open.");
    AppendSample(out, "holdfast_http_connections", {},
                 static_cast<double>(__atomic_load_n(&impl->open_conns, __ATOMIC_RELAXED)));
  });
}

HttpServer::~HttpServer() {
  if (impl_->context_ready) {
    h2o_context_dispose(&impl_->ctx);
    h2o_config_dispose(&impl_->config);
  }
  if (impl_->accept_ctx.ssl_ctx != nullptr) SSL_CTX_free(impl_->accept_ctx.ssl_ctx);
}

namespace {

// The loop's handles, to tell which ones H2O's context adds.
std::set<uv_handle_t*> Handles(uv_loop_t* loop) {
  std::set<uv_handle_t*> out;
  uv_walk(
      loop, [](uv_handle_t* h, void* arg) { static_cast<std::set<uv_handle_t*>*>(arg)->insert(h); },
      &out);
  return out;
}

std::string SslError() {
  unsigned long e = ERR_get_error();
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace

Status HttpServer::Listen() {
  Impl* impl = impl_.get();
  const HttpOptions& o = impl->options;
  const size_t colon = o.listen.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument("http.listen: \"" + o.listen + "\": expected HOST:PORT");
  }
  std::string host = o.listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port_text = o.listen.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port_text) > 65535) {
    return Status::InvalidArgument("http.listen: \"" + o.listen + "\": the port must be 0-65535");
  }
  if (o.cert.empty() || o.key.empty()) {
    return Status::InvalidArgument(
        "http: needs a certificate and key ([http] cert and key, or [sync] cert and key)");
  }
  SSL_CTX* ssl = SSL_CTX_new(TLS_server_method());
  impl->accept_ctx.ssl_ctx = ssl;
  SSL_CTX_set_min_proto_version(ssl, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ssl, o.cert.c_str()) != 1) {
    return Status::InvalidArgument("http.cert: cannot load " + o.cert + ": " + SslError());
  }
  if (SSL_CTX_use_PrivateKey_file(ssl, o.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Status::InvalidArgument("http.key: cannot load " + o.key + ": " + SslError());
  }
  if (SSL_CTX_check_private_key(ssl) != 1) {
    return Status::InvalidArgument("http.key: " + o.key + " is not the key of " + o.cert);
  }
  if (X509* cert = SSL_CTX_get0_certificate(ssl);
      cert != nullptr && X509_get0_pubkey(cert) != nullptr &&
      EVP_PKEY_id(X509_get0_pubkey(cert)) == EVP_PKEY_ED25519) {
    // Nodes sign with Ed25519 between themselves; no browser takes it (docs/web.md).
    spdlog::warn(
        "http: {} is an Ed25519 certificate, which browsers refuse: the web front end needs "
        "[http] cert and key of ECDSA or RSA (ops/make-web-cert makes one); API clients on "
        "OpenSSL still connect",
        o.cert);
  }
  sockaddr_storage addr{};
  const int port = std::stoi(port_text);
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr)) != 0 &&
      uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0) {
    return Status::InvalidArgument("http.listen: \"" + host + "\" is not an IP address");
  }

  h2o_config_init(&impl->config);
  // Bodies up to twice the limit are read and answered with a JSON 413 naming the limit;
  // H2O refuses larger ones itself (a plain 413) without reading them.
  impl->config.max_request_entity_size = o.max_body_bytes * 2;
  impl->config.handshake_timeout = static_cast<uint64_t>(o.client_timeout_seconds) * 1000;
  impl->config.http1.req_timeout = static_cast<uint64_t>(o.client_timeout_seconds) * 1000;
  impl->config.http1.upgrade_to_http2 = 0;
  impl->config.server_name = h2o_iovec_init(H2O_STRLIT("holdfastd"));
  h2o_hostconf_t* host_conf =
      h2o_config_register_host(&impl->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
  h2o_pathconf_t* path_conf = h2o_config_register_path(host_conf, "/", 0);
  h2o_handler_t* handler = h2o_create_handler(path_conf, sizeof(h2o_handler_t) + sizeof(Impl*));
  handler->on_req = Impl::OnRequest;
  *reinterpret_cast<Impl**>(handler + 1) = impl;

  // H2O's context adds loop handles of its own (timers, a queue's async): they must not keep
  // the loop running once everything else has stopped, so they are unreferenced.
  const auto before = Handles(impl->loop);
  h2o_context_init(&impl->ctx, impl->loop, &impl->config);
  impl->context_ready = true;
  for (uv_handle_t* h : Handles(impl->loop)) {
    if (!before.count(h)) uv_unref(h);
  }
  impl->accept_ctx.ctx = &impl->ctx;
  impl->accept_ctx.hosts = impl->config.hosts;

  uv_tcp_init(impl->loop, &impl->listener);
  impl->listener.data = impl;
  int rc = uv_tcp_bind(&impl->listener, reinterpret_cast<sockaddr*>(&addr), 0);
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&impl->listener), 128, Impl::OnAccept);
  }
  if (rc != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&impl->listener), nullptr);
    return Status::IoError("http: cannot listen on " + o.listen + ": " + uv_strerror(rc));
  }
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(&impl->listener, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  uv_async_init(impl->loop, &impl->feed_async, Impl::OnFeedAsync);
  impl->feed_async.data = impl;
  uv_timer_init(impl->loop, &impl->tick);
  impl->tick.data = impl;
  uv_timer_start(&impl->tick, Impl::OnTick, 1000, 1000);
  impl->listening = true;
  uv_async_t* wake = &impl->feed_async;
  impl->feed_listener = impl->deps.projector->AddFeedListener([wake](uint64_t) {
    uv_async_send(wake);  // the folding thread: only wake the loop
  });
  spdlog::info("http: listening on {}:{}", host, port_);
  return Status::Ok();
}

void HttpServer::Shutdown(std::function<void()> done) { impl_->Shutdown(std::move(done)); }

}  // namespace holdfast
