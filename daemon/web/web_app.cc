#include "daemon/web/web_app.h"

#include <capnp/message.h>
#include <date/tz.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>

#include "daemon/handler.h"
#include "daemon/http_routes.h"
#include "daemon/safe_text.h"
#include "daemon/users.h"
#include "daemon/web/assets.h"

namespace holdfast::web {

struct WebApp::Zone {
  const date::time_zone* tz = nullptr;
};

namespace {

constexpr const char* kSignInCookie = "holdfast_sign_in";
constexpr size_t kSignInTokenBytes = 24;  // base64url: 32 characters
constexpr size_t kSignInTokenChars = 32;

Result<std::string> FormDecode(std::string_view s) {
  auto out = PercentDecode(s, true);
  if (!out) return Status::InvalidArgument("a form value has a % not followed by two hex digits");
  if (!IsValidUtf8(*out)) return Status::InvalidArgument("a form value is not UTF-8 text");
  return std::move(*out);
}

// The value of cookie `name` in a Cookie header, or "".
std::string CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    if (part.substr(0, eq) == name) return std::string(part.substr(eq + 1));
  }
  return "";
}

// A `next` address after sign-in: only a path on this site ("/cases?x"), never "//host".
std::string SafeNext(std::string_view next) {
  if (next.empty() || next[0] != '/' || (next.size() > 1 && (next[1] == '/' || next[1] == '\\'))) {
    return "/";
  }
  for (char c : next) {
    if (static_cast<unsigned char>(c) < 0x20) return "/";
  }
  return std::string(next);
}

void AddSecurityHeaders(WebReply& reply) {
  reply.headers.emplace_back("Content-Security-Policy",
                             "default-src 'self'; script-src 'self'; style-src 'self'; img-src "
                             "'self' data:; font-src 'self'; form-action 'self'; "
                             "frame-ancestors 'none'; base-uri 'none'");
  reply.headers.emplace_back("X-Content-Type-Options", "nosniff");
  reply.headers.emplace_back("X-Frame-Options", "DENY");
  reply.headers.emplace_back("Referrer-Policy", "no-referrer");
}

struct NavItem {
  const char* id;
  const char* href;
  const char* text;
  Right right;
};

constexpr NavItem kNav[] = {
    {"today", "/", "Today", Right::kReadCases},
    {"cases", "/cases", "Cases", Right::kReadCases},
    {"alerts", "/alerts", "Alerts", Right::kReadCases},
    {"indicators", "/indicators", "Indicators", Right::kReports},
    {"quality", "/quality", "Quality", Right::kQuality},
    {"operator", "/operator", "Operator", Right::kOperator},
};

struct LayoutParts {
  std::string title;
  std::string main;
  const WebSession* session = nullptr;
  std::string nav;
  std::string node, agency;
};

std::string Layout(const LayoutParts& p) {
  Html h;
  h.Raw(
      "<!DOCTYPE html><html lang=\"en\" class=\"govuk-template govuk-template--rebranded\"><head>"
      "<meta charset=\"utf-8\"><title>");
  h.Text(p.title).Raw(" - holdfast</title>");
  h.Raw(
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1, "
      "viewport-fit=cover\"><meta name=\"theme-color\" content=\"#1d70b8\">"
      "<link rel=\"icon\" href=\"/assets/images/favicon.ico\" sizes=\"48x48\">"
      "<link rel=\"stylesheet\" href=\"/assets/govuk-frontend.min.css\">"
      "<link rel=\"stylesheet\" href=\"/assets/moj/moj-frontend.min.css\">"
      "<link rel=\"stylesheet\" href=\"/assets/holdfast/holdfast.css\">"
      "</head><body class=\"govuk-template__body\">"
      "<script src=\"/assets/holdfast/init.js\"></script>"
      "<a href=\"#main-content\" class=\"govuk-skip-link\" data-module=\"govuk-skip-link\">Skip "
      "to main content</a>");
  // The header: the product, the partnership node, and who is signed in.
  h.Raw(
      "<header class=\"moj-header\" role=\"banner\"><div class=\"moj-header__container\">"
      "<div class=\"moj-header__logo\"><a class=\"moj-header__link "
      "moj-header__link--organisation-name\" href=\"/\">holdfast</a> <a class=\"moj-header__link "
      "moj-header__link--service-name\" href=\"/\">");
  h.Text(p.agency).Raw("</a></div>");
  if (p.session != nullptr) {
    h.Raw(
        "<div class=\"moj-header__content\"><nav class=\"moj-header__navigation\" "
        "aria-label=\"Account navigation\"><ul class=\"moj-header__navigation-list\">"
        "<li class=\"moj-header__navigation-item\"><span class=\"moj-header__navigation-link "
        "hf-signed-in\">");
    h.Text(p.session->user).Raw(" (").Text(RoleName(p.session->role)).Raw(")</span></li>");
    h.Raw(
        "<li class=\"moj-header__navigation-item\"><form method=\"post\" action=\"/sign-out\" "
        "class=\"hf-sign-out\"><input type=\"hidden\" name=\"csrf\"");
    h.Raw(Attr("value", p.session->csrf));
    h.Raw(
        "><button type=\"submit\" class=\"moj-header__navigation-link hf-link-button\">Sign "
        "out</button></form></li></ul></nav></div>");
  }
  h.Raw("</div></header>");
  if (p.session != nullptr) {
    h.Raw(
        "<section class=\"govuk-service-navigation\" aria-label=\"Service information\" "
        "data-module=\"govuk-service-navigation\"><div class=\"govuk-width-container\"><div "
        "class=\"govuk-service-navigation__container\"><nav aria-label=\"Menu\" "
        "class=\"govuk-service-navigation__wrapper\"><button type=\"button\" "
        "class=\"govuk-service-navigation__toggle govuk-js-service-navigation-toggle\" "
        "aria-controls=\"navigation\" hidden>Menu</button><ul "
        "class=\"govuk-service-navigation__list\" id=\"navigation\">");
    for (const auto& item : kNav) {
      if (!HasRight(p.session->role, item.right)) continue;
      // Today is not for roles without case data: their home is their own first page.
      const bool active = p.nav == item.id;
      h.Raw(active ? "<li class=\"govuk-service-navigation__item "
                     "govuk-service-navigation__item--active\">"
                   : "<li class=\"govuk-service-navigation__item\">");
      h.Raw("<a class=\"govuk-service-navigation__link\"").Raw(Attr("href", item.href));
      if (active) {
        h.Raw(" aria-current=\"page\"><strong class=\"govuk-service-navigation__active-fallback\">")
            .Text(item.text)
            .Raw("</strong></a></li>");
      } else {
        h.Raw(">").Text(item.text).Raw("</a></li>");
      }
    }
    h.Raw("</ul></nav></div></div></section>");
  }
  h.Raw(
      "<div class=\"govuk-width-container\"><main class=\"govuk-main-wrapper\" "
      "id=\"main-content\">");
  h.Raw(p.main);
  h.Raw(
      "</main></div><footer class=\"govuk-footer\"><div class=\"govuk-width-container\"><div "
      "class=\"govuk-footer__meta\"><div class=\"govuk-footer__meta-item "
      "govuk-footer__meta-item--grow\"><p class=\"govuk-body-s\">holdfast node ");
  h.Text(p.node).Raw(" of ").Text(p.agency);
  h.Raw(
      ". Personal data: every page you open is recorded in this node's audit log.</p></div>"
      "</div></div></footer>"
      "<script type=\"module\" src=\"/assets/holdfast/holdfast.js\"></script></body></html>");
  return h.Take();
}

// A page with just a heading and a paragraph (errors, refusals).
std::string Message(std::string_view heading, std::string_view text) {
  return Html()
      .Element("h1", " class=\"govuk-heading-l\"", heading)
      .Element("p", " class=\"govuk-body\"", text)
      .Take();
}

WebReply Plain(int status, std::string_view title, std::string_view heading, std::string_view text,
               const LayoutParts& base) {
  WebReply r;
  r.status = status;
  LayoutParts p = base;
  p.title = std::string(title);
  p.main = Message(heading, text);
  r.body = Layout(p);
  return r;
}

// Collects the frames a listing or a long case view sends before its final response.
class Collector : public ResponseChannel {
 public:
  explicit Collector(std::vector<std::unique_ptr<capnp::MallocMessageBuilder>>* frames)
      : frames_(frames) {}
  void SendInterim(capnp::MessageBuilder&) override {}
  bool SendPage(capnp::MessageBuilder& message) override {
    auto copy = std::make_unique<capnp::MallocMessageBuilder>();
    copy->setRoot(message.getRoot<api::Response>().asReader());
    frames_->push_back(std::move(copy));
    return true;
  }

 private:
  std::vector<std::unique_ptr<capnp::MallocMessageBuilder>>* frames_;
};

bool MatchPattern(const char* pattern, const std::vector<std::string>& segments,
                  std::vector<std::string>* params) {
  return Match(pattern, segments, params);
}

int StatusOf(const Status& s) {
  switch (s.code()) {
    case Status::Code::kPermissionDenied:
      return 403;
    case Status::Code::kNotFound:
      return 404;
    case Status::Code::kConflict:
    case Status::Code::kVersionConflict:
      return 409;
    case Status::Code::kUnavailable:
      return 503;
    case Status::Code::kInvalidArgument:
      return 400;
    default:
      return 500;
  }
}

}  // namespace

// --- Params ------------------------------------------------------------------------------

Result<Params> Params::Parse(std::string_view encoded) {
  Params out;
  while (!encoded.empty()) {
    const size_t amp = encoded.find('&');
    std::string_view part = encoded.substr(0, amp);
    encoded = amp == std::string_view::npos ? std::string_view() : encoded.substr(amp + 1);
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    auto name = FormDecode(part.substr(0, eq));
    if (!name.ok()) return name.status();
    auto value =
        FormDecode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1));
    if (!value.ok()) return value.status();
    out.items_.emplace_back(std::move(name).value(), std::move(value).value());
  }
  return out;
}

std::string Params::Get(std::string_view name) const {
  for (const auto& [n, v] : items_) {
    if (n == name) return v;
  }
  return "";
}

std::vector<std::string> Params::All(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [n, v] : items_) {
    if (n == name) out.push_back(v);
  }
  return out;
}

bool Params::Has(std::string_view name) const {
  for (const auto& item : items_) {
    if (item.first == name) return true;
  }
  return false;
}

// --- Answer ------------------------------------------------------------------------------

api::Response::Reader Answer::response() const {
  return final_->getRoot<api::Response>().asReader();
}

std::vector<api::Response::Reader> Answer::frames() const {
  std::vector<api::Response::Reader> out;
  for (const auto& f : frames_) out.push_back(f->getRoot<api::Response>().asReader());
  return out;
}

// --- WebContext --------------------------------------------------------------------------

Answer WebContext::Ask(const std::function<void(api::Request::Builder)>& build) const {
  Answer answer;
  capnp::MallocMessageBuilder request_message;
  auto request = request_message.initRoot<api::Request>();
  build(request);
  answer.final_ = std::make_unique<capnp::MallocMessageBuilder>();
  auto response = answer.final_->initRoot<api::Response>();
  Collector collector(&answer.frames_);
  const Presented who{{}, -1, session.user, session.credential};
  app.handler()->Handle(request.asReader(), response, &collector, -1, &who);
  if (response.isError()) {
    const auto e = response.asReader().getError();
    const std::string message = e.getMessage();
    switch (e.getCode()) {
      case api::Error::Code::INVALID_ARGUMENT:
        answer.status_ = Status::InvalidArgument(message);
        break;
      case api::Error::Code::NOT_FOUND:
        answer.status_ = Status::NotFound(message);
        break;
      case api::Error::Code::CONFLICT:
        answer.status_ = Status::Conflict(message);
        break;
      case api::Error::Code::VERSION_CONFLICT:
        answer.status_ = Status::VersionConflict(message);
        break;
      case api::Error::Code::PERMISSION_DENIED:
        answer.status_ = Status::PermissionDenied(message);
        break;
      case api::Error::Code::UNAVAILABLE:
        answer.status_ = Status::Unavailable(message);
        break;
      default:
        answer.status_ = Status::IoError(message);
    }
  }
  return answer;
}

WebReply WebContext::Page(std::string_view title, std::string_view html, bool errors) const {
  LayoutParts p;
  p.title = (errors ? "Error: " : "") + std::string(title);
  p.main = std::string(html);
  p.session = &session;
  p.nav = nav;
  p.node = app.options().node_id;
  p.agency = app.options().agency;
  WebReply r;
  if (errors) r.status = 400;
  r.body = Layout(p);
  return r;
}

WebReply WebContext::Redirect(std::string_view location) const {
  WebReply r;
  r.status = 303;
  r.headers.emplace_back("Location", std::string(location));
  return r;
}

WebReply WebContext::Refused(const Status& status) const {
  const int code = StatusOf(status);
  const char* heading = code == 403   ? "You do not have access to this"
                        : code == 404 ? "Page not found"
                        : code == 503 ? "Sorry, the node is busy"
                                      : "There is a problem";
  WebReply r = Page(heading, Message(heading, status.message()));
  r.status = code;
  return r;
}

WebReply WebContext::RefusedCase(const Status& status, std::string_view what) const {
  if (status.code() == Status::Code::kNotFound && session.role == schema::Role::FACILITATOR) {
    return Refused(Status::PermissionDenied(
        "Facilitators see only the " + std::string(what) +
        " with an intervention their agency provides. If you need this one, ask the case's "
        "probation officer."));
  }
  return Refused(status);
}

WebReply WebContext::NotFound() const {
  return Refused(Status::NotFound("If you typed the web address, check it is correct."));
}

std::string WebContext::Time(int64_t unix_ns) const {
  if (unix_ns <= 0) return "";
  using namespace std::chrono;
  const auto local = app.zone().tz->to_local(
      date::sys_time<seconds>(duration_cast<seconds>(nanoseconds(unix_ns))));
  const auto day = date::floor<date::days>(local);
  const date::year_month_day ymd(day);
  const date::hh_mm_ss<seconds> hms(local - day);
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  snprintf(buf, sizeof buf, "%u %s %d, %02d:%02d", static_cast<unsigned>(ymd.day()),
           months[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
           static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()));
  return buf;
}

std::string WebContext::Date(int64_t unix_ns) const {
  const std::string t = Time(unix_ns);
  const size_t comma = t.find(',');
  return comma == std::string::npos ? t : t.substr(0, comma);
}

Result<int64_t> WebContext::ParseTime(std::string_view text) const {
  using namespace std::chrono;
  std::string s(text);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, consumed = 0;
  char sep = 0;
  const auto bad = [&] {
    return Status::InvalidArgument(
        "give a date as 2026-12-07, or a date and time as "
        "2026-12-07 18:05 (the node's time, " +
        app.options().timezone + ")");
  };
  if (sscanf(s.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) != 3 || consumed != 10) {
    return bad();
  }
  std::string rest = s.substr(10);
  if (!rest.empty()) {
    sep = rest[0];
    if (sep != ' ' && sep != 'T' && sep != 't') return bad();
    int n = 0;
    if (sscanf(rest.c_str() + 1, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5) return bad();
    rest = rest.substr(6);
    if (!rest.empty() && rest[0] == ':') {
      if (sscanf(rest.c_str() + 1, "%2d%n", &sec, &n) != 1 || n != 2) return bad();
      rest = rest.substr(3);
    }
  }
  const date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)},
                                 date::day{static_cast<unsigned>(d)}};
  // Unix nanoseconds end in 2262: a year past 2200 is a typing mistake, never a time.
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 59 || y < 1970 || y > 2200) return bad();
  const auto wall = date::local_days{ymd} + hours{h} + minutes{mi} + seconds{sec};
  date::sys_seconds utc;
  if (rest == "Z" || rest == "z" || rest == "UTC") {
    utc = date::sys_seconds{(wall).time_since_epoch()};
  } else if (!rest.empty()) {
    int oh = 0, om = 0, n = 0;
    if ((rest[0] != '+' && rest[0] != '-') ||
        sscanf(rest.c_str() + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5) {
      return bad();
    }
    const seconds offset = hours{oh} + minutes{om};
    utc = date::sys_seconds{wall.time_since_epoch() - (rest[0] == '+' ? offset : -offset)};
  } else {
    const auto info = app.zone().tz->get_info(wall);
    if (info.result == date::local_info::nonexistent) {
      return Status::InvalidArgument(
          "the clocks skip that time (they go forward then): give "
          "the time an hour later");
    }
    if (info.result == date::local_info::ambiguous) {
      return Status::InvalidArgument(
          "the clocks show that time twice (they go back then): give it with its offset, as "
          "2026-10-25T01:30+01:00 or +00:00");
    }
    utc = date::sys_seconds{wall.time_since_epoch() - info.first.offset};
  }
  return static_cast<int64_t>(utc.time_since_epoch().count()) * 1000000000;
}

// --- WebApp ------------------------------------------------------------------------------

WebApp::WebApp(RequestHandler* handler, Users* users, AuditLog* audit, WebOptions options)
    : handler_(handler), options_(std::move(options)), zone_(new Zone()) {
  WebSessionOptions session_options;
  session_options.idle_timeout_ns = int64_t{options_.session_idle_minutes} * 60 * 1000000000;
  sessions_ = std::make_unique<WebSessions>(users, audit, session_options);
  try {
    zone_->tz = date::locate_zone(options_.timezone);
  } catch (const std::exception&) {
    zone_->tz = date::locate_zone("UTC");
  }
  for (auto group : {TodayPages, CasePages, CaseFormPages, RegisterPages, AlertPages, ReportPages,
                     OperatorPages}) {
    for (auto& page : group()) pages_.push_back(page);
  }
}

WebApp::~WebApp() = default;

WebReply WebApp::Handle(const WebRequest& request) {
  WebReply reply;
  try {
    reply = Route(request);
  } catch (const std::exception& e) {
    spdlog::error("web: a page failed: {}", e.what());
    reply = Plain(500, "Sorry, there is a problem", "Sorry, there is a problem with the service",
                  "Try again later. Nothing you sent has been lost or half-saved.",
                  {"", "", nullptr, "", options_.node_id, options_.agency});
  } catch (const kj::Exception& e) {
    spdlog::error("web: a page failed: {}", e.getDescription().cStr());
    reply = Plain(500, "Sorry, there is a problem", "Sorry, there is a problem with the service",
                  "Try again later. Nothing you sent has been lost or half-saved.",
                  {"", "", nullptr, "", options_.node_id, options_.agency});
  }
  AddSecurityHeaders(reply);
  return reply;
}

WebReply WebApp::Route(const WebRequest& request) {
  const LayoutParts base{"", "", nullptr, "", options_.node_id, options_.agency};
  const std::string& path = request.path;
  if (path.rfind("/assets/", 0) == 0) {
    const WebAsset* asset = FindWebAsset(path);
    if (asset == nullptr || (request.method != "GET" && request.method != "HEAD")) {
      return Plain(404, "Page not found", "Page not found",
                   "If you typed the web address, check it is correct.", base);
    }
    WebReply r;
    r.content_type = std::string(asset->content_type);
    r.body = std::string(asset->body);
    r.cache_control = "public, max-age=3600";
    r.headers.emplace_back("ETag", std::string(asset->etag));
    return r;
  }
  if (path == "/sign-in") {
    if (request.method == "POST") return SignIn(request);
    auto query = Params::Parse(request.query);
    return SignInPage(request, query.ok() ? *query : Params(), {});
  }
  if (path == "/sign-out") {
    if (request.method != "POST") {
      WebReply r;
      r.status = 303;
      r.headers.emplace_back("Location", "/");
      return r;
    }
    return SignOut(request);
  }

  const std::string cookie = CookieValue(request.cookie, WebSessions::kCookieName);
  std::optional<WebSession> session;
  if (!cookie.empty()) session = sessions_->Find(cookie, request.now_ns);
  if (!session) {
    WebReply r;
    r.status = 303;
    std::string next = request.method == "GET" ? path : "/";
    if (request.method == "GET" && !request.query.empty()) next += "?" + request.query;
    r.headers.emplace_back("Location", "/sign-in?" + std::string(cookie.empty() ? "" : "ended=1&") +
                                           "next=" + UrlEncode(next));
    return r;
  }

  const auto segments = Segments(path);
  const Page* found = nullptr;
  std::vector<std::string> params;
  bool other_method = false;
  for (const auto& page : pages_) {
    std::vector<std::string> p;
    if (!MatchPattern(page.pattern, segments, &p)) continue;
    if (request.method == page.method ||
        (request.method == "HEAD" && std::strcmp(page.method, "GET") == 0)) {
      found = &page;
      params = std::move(p);
      break;
    }
    other_method = true;
  }
  LayoutParts signed_in = base;
  signed_in.session = &*session;
  if (found == nullptr) {
    if (other_method) {
      return Plain(405, "Page not found", "Page not found",
                   "This address does not take that kind of request.", signed_in);
    }
    return Plain(404, "Page not found", "Page not found",
                 "If you typed the web address, check it is correct.", signed_in);
  }
  signed_in.nav = found->nav;
  if (!HasRight(session->role, found->right)) {
    return Plain(403, "You do not have access to this", "You do not have access to this",
                 "Your role (" + RoleName(session->role) +
                     ") cannot see this page. If you need to, ask an operator of this node.",
                 signed_in);
  }
  auto query = Params::Parse(request.query);
  if (!query.ok()) {
    return Plain(400, "There is a problem", "There is a problem", query.status().message(),
                 signed_in);
  }
  WebContext ctx{request, *this,     *session, std::move(params), std::move(query).value(),
                 {},      found->nav};
  if (request.method == "POST") {
    const bool form_type = request.content_type.rfind("application/x-www-form-urlencoded", 0) == 0;
    auto form = form_type ? Params::Parse(request.body)
                          : Result<Params>(Status::InvalidArgument("not a form"));
    if (!form.ok() || !sessions_->CheckCsrf(*session, form->Get("csrf"))) {
      return Plain(403, "This form has expired", "This form has expired",
                   "It was not sent from a holdfast page you have open now, or it was open "
                   "before you last signed in. Go back, reload the page and try again.",
                   signed_in);
    }
    ctx.form = std::move(form).value();
  }
  return found->handle(ctx);
}

WebReply WebApp::SignInPage(const WebRequest& request, const Params& form,
                            const std::vector<FieldError>& errors, int status) {
  const LayoutParts base{"", "", nullptr, "", options_.node_id, options_.agency};
  std::string token = CookieValue(request.cookie, kSignInCookie);
  const bool fresh = token.size() != kSignInTokenChars;
  if (fresh) {
    auto made = RandomToken(kSignInTokenBytes);
    if (!made.ok()) throw std::runtime_error(made.status().message());
    token = *made;
  }
  Html h;
  h.Raw("<div class=\"govuk-grid-row\"><div class=\"govuk-grid-column-two-thirds\">");
  h.Raw(ErrorSummary(errors));
  if (form.Get("ended") == "1" && errors.empty()) {
    h.Raw(NotificationBanner(
        "Important",
        "<p class=\"govuk-notification-banner__heading\">You have been signed out. "
        "Sign in again to carry on.</p><p class=\"govuk-body\">A session ends after " +
            std::to_string(options_.session_idle_minutes) + " minutes without activity.</p>"));
  }
  h.Raw("<h1 class=\"govuk-heading-l\">Sign in</h1>");
  h.Raw("<form method=\"post\" action=\"/sign-in\" novalidate>");
  h.Raw("<input type=\"hidden\" name=\"csrf\"").Raw(Attr("value", token)).Raw(">");
  h.Raw("<input type=\"hidden\" name=\"next\"")
      .Raw(Attr("value", SafeNext(form.Get("next"))))
      .Raw(">");
  Field user("user", "User ID", form.Get("user"), ErrorFor(errors, "user"));
  user.hint = "The ID your node's operator gave you";
  user.width = "govuk-!-width-one-half";
  user.autocomplete = "username";
  h.Raw(TextInput(user));
  Field password("password", "Password", "", ErrorFor(errors, "password"));
  password.type = "password";
  password.width = "govuk-!-width-one-half";
  password.autocomplete = "current-password";
  h.Raw(TextInput(password));
  h.Raw(Button("Sign in"));
  h.Raw("</form></div></div>");
  LayoutParts p = base;
  p.title = (errors.empty() ? "" : "Error: ") + std::string("Sign in");
  p.main = h.Take();
  WebReply r;
  r.status = status;
  r.body = Layout(p);
  if (fresh) {
    r.headers.emplace_back("Set-Cookie", std::string(kSignInCookie) + "=" + token +
                                             "; Path=/sign-in; HttpOnly; Secure; SameSite=Strict");
  }
  return r;
}

WebReply WebApp::SignIn(const WebRequest& request) {
  auto form = Params::Parse(request.body);
  if (!form.ok()) {
    return SignInPage(request, Params(), {{"user", "Enter your user ID and password again"}}, 400);
  }
  const std::string token = CookieValue(request.cookie, kSignInCookie);
  if (token.size() != kSignInTokenChars || token != form->Get("csrf")) {
    return SignInPage(request, *form, {{"user", "This sign-in form has expired: sign in again"}},
                      403);
  }
  const std::string user = form->Get("user");
  const std::string password = form->Get("password");
  std::vector<FieldError> errors;
  if (user.empty()) errors.push_back({"user", "Enter your user ID"});
  if (password.empty()) errors.push_back({"password", "Enter your password"});
  if (!errors.empty()) return SignInPage(request, *form, errors, 400);
  SignInResult result = sessions_->SignIn(user, password, request.client, request.now_ns);
  if (!result.status.ok()) {
    WebReply r = SignInPage(request, *form, {{"user", result.status.message()}},
                            result.retry_after_seconds > 0 ? 429 : 401);
    if (result.retry_after_seconds > 0) {
      r.headers.emplace_back("Retry-After", std::to_string(result.retry_after_seconds));
    }
    return r;
  }
  WebReply r;
  r.status = 303;
  r.headers.emplace_back("Location", SafeNext(form->Get("next")));
  r.headers.emplace_back("Set-Cookie", sessions_->CookieHeader(result.cookie_value));
  r.headers.emplace_back("Set-Cookie", std::string(kSignInCookie) +
                                           "=; Path=/sign-in; HttpOnly; Secure; "
                                           "SameSite=Strict; Max-Age=0");
  return r;
}

WebReply WebApp::SignOut(const WebRequest& request) {
  const std::string cookie = CookieValue(request.cookie, WebSessions::kCookieName);
  WebReply r;
  r.status = 303;
  r.headers.emplace_back("Location", "/sign-in");
  if (cookie.empty()) return r;
  auto session = sessions_->Find(cookie, request.now_ns);
  auto form = Params::Parse(request.body);
  if (session && form.ok() && sessions_->CheckCsrf(*session, form->Get("csrf"))) {
    sessions_->SignOut(cookie, request.now_ns);
    r.headers.emplace_back("Set-Cookie", sessions_->ClearCookieHeader());
  }
  return r;
}

}  // namespace holdfast::web
