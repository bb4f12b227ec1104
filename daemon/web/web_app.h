// The web front end (SPEC "Programs"; docs/web.md): GOV.UK-style pages that holdfastd's HTTPS
// server (daemon/http_server.cc) hands every request outside /v1/, /healthz and /metrics.
//
// Pages are rendered on the server and work without JavaScript. Each page reads and writes
// only through the request table (RequestHandler::Handle), as the signed-in user: the same
// rights, entry checks, read scopes and audit as the CLI and the API. A page is one row of a
// table (Page), kept by theme in daemon/web/pages_*.cc; this file routes, signs people in and
// out (daemon/web/sessions.h), checks every POST's CSRF token, and lays pages out.
//
// WebApp::Handle is plain code: no sockets. The server calls it on libuv's thread pool;
// tests call it directly.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/api.capnp.h"
#include "daemon/rights.h"
#include "daemon/web/html.h"
#include "daemon/web/sessions.h"
#include "eventstore/status.h"

namespace holdfast {
class RequestHandler;
class Users;
class AuditLog;
}  // namespace holdfast

namespace holdfast::web {

struct WebOptions {
  std::string node_id, agency;
  std::string timezone = "Europe/London";  // [node] timezone: the times pages show and read
  int session_idle_minutes = 30;           // [web] session_idle_minutes
};

struct WebRequest {
  std::string method;  // GET, POST, ...
  std::string path;    // raw, undecoded
  std::string query;   // raw, without the '?'
  std::string body;
  std::string cookie;        // the Cookie header
  std::string content_type;  // of the body
  std::string client;        // the client's IP address (sign-in lockout)
  int64_t now_ns = 0;        // unix nanoseconds
};

struct WebReply {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::string cache_control = "no-store";
  std::vector<std::pair<std::string, std::string>> headers;  // Location, Set-Cookie, ...
};

// A query string or a form body (application/x-www-form-urlencoded): each name's values, in
// order.
class Params {
 public:
  // InvalidArgument for a %-escape that does not decode or text that is not UTF-8.
  static Result<Params> Parse(std::string_view encoded);
  // The first value of `name`, or "".
  std::string Get(std::string_view name) const;
  std::vector<std::string> All(std::string_view name) const;
  bool Has(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// The request table's answer to one request a page made.
class Answer {
 public:
  bool ok() const { return status_.ok(); }
  // The table's refusal (code and its one-line message), or Ok.
  const Status& status() const { return status_; }
  // The final response (an error when refused).
  api::Response::Reader response() const;
  // The frames a listing or a long case view sent before the final response, in order.
  std::vector<api::Response::Reader> frames() const;

 private:
  friend struct WebContext;
  Status status_;
  std::vector<std::unique_ptr<capnp::MallocMessageBuilder>> frames_;
  std::unique_ptr<capnp::MallocMessageBuilder> final_;
};

class WebApp;

// One request to a page, as its handler sees it. The person is signed in (pages that do not
// need that are the sign-in page's own) and any POST's CSRF token has been checked.
struct WebContext {
  const WebRequest& request;
  WebApp& app;
  const WebSession& session;
  std::vector<std::string> params;  // the route's {id}s, in order
  Params query;
  Params form;           // a POST's fields (csrf removed)
  const char* nav = "";  // the navigation item this page belongs to

  // Asks the request table, as the signed-in person, what `build` fills in (not identity).
  Answer Ask(const std::function<void(api::Request::Builder)>& build) const;

  // A whole page: the layout around `html` (which starts with the page's <h1>). `errors`
  // true puts "Error: " before the title, as the design system asks of a form with errors.
  WebReply Page(std::string_view title, std::string_view html, bool errors = false) const;
  // 303 See Other to `location` (after a POST).
  WebReply Redirect(std::string_view location) const;
  // The page for a refusal of the request table: 403 (role or scope), 404, 400, 409, 503.
  WebReply Refused(const Status& status) const;
  // 404: nothing here.
  WebReply NotFound() const;
  // The page for a case (or subject) the reader may not see, `what` naming it ("cases"). A
  // facilitator asking for a case its agency provides no intervention in gets 403, told no
  // more than for one the node does not hold (the daemon answers both as not known), and
  // sees nothing of either; other refusals as Refused.
  WebReply RefusedCase(const Status& status, std::string_view what = "cases") const;

  // Unix nanoseconds as the node's local time: "7 Dec 2026, 18:05" ("" for -1 or 0).
  std::string Time(int64_t unix_ns) const;
  // Just the date: "7 Dec 2026".
  std::string Date(int64_t unix_ns) const;
  // A time as a person types it in a form (docs/local-times.md): "2026-12-07 18:05",
  // "2026-12-07", or RFC 3339; the message names no field (the caller does).
  Result<int64_t> ParseTime(std::string_view text) const;
  // The CSRF token for forms on this page.
  const std::string& csrf() const { return session.csrf; }
};

// One page: the method, the path pattern ("/cases/{id}"; an {id} is letters, digits and
// ._-:@ only), the right a role needs to see it at all (finer checks are the request
// table's), the navigation item it sits under, and its handler.
struct Page {
  const char* method;
  const char* pattern;
  Right right;
  const char* nav;  // today, cases, alerts, indicators, quality, operator, or ""
  WebReply (*handle)(WebContext& ctx);
};

// The pages, by theme (daemon/web/pages_*.cc).
std::vector<Page> TodayPages();
std::vector<Page> CasePages();
std::vector<Page> CaseFormPages();
std::vector<Page> RegisterPages();
std::vector<Page> AlertPages();
std::vector<Page> ReportPages();
std::vector<Page> OperatorPages();

class WebApp {
 public:
  WebApp(RequestHandler* handler, Users* users, AuditLog* audit, WebOptions options);
  ~WebApp();
  WebApp(const WebApp&) = delete;
  WebApp& operator=(const WebApp&) = delete;

  // Answers one request. Thread-safe; never throws.
  WebReply Handle(const WebRequest& request);

  const WebOptions& options() const { return options_; }
  RequestHandler* handler() { return handler_; }
  WebSessions& sessions() { return *sessions_; }

  struct Zone;  // the node's time zone (date/tz.h), for Time and ParseTime
  const Zone& zone() const { return *zone_; }

 private:
  WebReply Route(const WebRequest& request);
  WebReply SignInPage(const WebRequest& request, const Params& form,
                      const std::vector<FieldError>& errors, int status = 200);
  WebReply SignIn(const WebRequest& request);
  WebReply SignOut(const WebRequest& request);

  RequestHandler* handler_;
  WebOptions options_;
  std::unique_ptr<WebSessions> sessions_;
  std::unique_ptr<Zone> zone_;
  std::vector<Page> pages_;
};

}  // namespace holdfast::web
