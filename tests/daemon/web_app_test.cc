// The web front end's core (daemon/web/web_app.h, html.h) in-process, over a real store and
// request table: form decoding, times in the node's zone, escaping in every component, the
// way to sign-in and back, the CSRF check, redirects that stay on the site, and the headers
// every reply carries. The pages themselves are tested in a real browser (tests/web).
#include "daemon/web/web_app.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "daemon/audit.h"
#include "daemon/handler.h"
#include "daemon/web/html.h"
#include "eventstore/event_store.h"
#include "projections/projector.h"
#include "tests/daemon/harness.h"
#include "tests/eventstore/test_events.h"
#include "tests/support/sync_not_configured.h"

namespace holdfast::test {
namespace {

using web::Params;
using web::WebReply;
using web::WebRequest;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kNow = int64_t{1'796'601'600} * kSecond;  // 2026-12-07 00:00 UTC
constexpr const char* kPassword = "a long enough pass phrase";

std::string Header(const WebReply& reply, const std::string& name) {
  for (const auto& [n, v] : reply.headers) {
    if (n == name) return v;
  }
  return "";
}

struct WebNode {
  TempDir dir;
  std::unique_ptr<EventStore> store;
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<Users> users;
  std::unique_ptr<Projector> projector;
  testing::SyncNotConfigured sync;
  std::unique_ptr<RequestHandler> handler;
  std::unique_ptr<web::WebApp> app;

  WebNode() {
    StoreOptions options;
    options.node_id = "probation-1";
    options.sync = false;
    options.reserved_bytes = 0;
    auto s = EventStore::Open(dir / "store", options);
    REQUIRE(s.ok());
    store = std::move(*s);
    auto a = AuditLog::Open(store.get());
    REQUIRE(a.ok());
    audit = std::move(*a);
    auto p = Projector::Open(store.get(), RuleConfig{});
    REQUIRE(p.ok());
    projector = std::move(*p);
    auto u = Users::Open(store.get());
    REQUIRE(u.ok());
    users = std::move(*u);
    User po;
    po.id = "po-1";
    po.role = schema::Role::PROBATION;
    REQUIRE(users->Add(po).ok());
    REQUIRE(users->SetPassword("po-1", kPassword).ok());
    handler = std::make_unique<RequestHandler>(
        store.get(), audit.get(), users.get(), projector.get(), &sync,
        NodeIdentity{"probation-1", "probation-ce", "probation", "Europe/London"});
    web::WebOptions web_options;
    web_options.node_id = "probation-1";
    web_options.agency = "probation-ce";
    app = std::make_unique<web::WebApp>(handler.get(), users.get(), audit.get(), web_options);
  }

  WebReply Get(const std::string& target, const std::string& cookie = "") {
    WebRequest r;
    r.method = "GET";
    const size_t q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = target.substr(q + 1);
    r.cookie = cookie;
    r.client = "127.0.0.1";
    r.now_ns = kNow;
    return app->Handle(r);
  }
  WebReply Post(const std::string& path, const std::string& body, const std::string& cookie) {
    WebRequest r;
    r.method = "POST";
    r.path = path;
    r.body = body;
    r.cookie = cookie;
    r.content_type = "application/x-www-form-urlencoded";
    r.client = "127.0.0.1";
    r.now_ns = kNow;
    return app->Handle(r);
  }
};

// The value of NAME=... in a Set-Cookie header.
std::string CookiePair(const std::string& set_cookie) {
  return set_cookie.substr(0, set_cookie.find(';'));
}

// The value of the page's first hidden field `name`.
std::string Hidden(const std::string& body, const std::string& name) {
  const std::string marker = "name=\"" + name + "\" value=\"";
  const size_t at = body.find(marker);
  REQUIRE(at != std::string::npos);
  const size_t from = at + marker.size();
  return body.substr(from, body.find('"', from) - from);
}
std::string HiddenCsrf(const std::string& body) { return Hidden(body, "csrf"); }

// How many events of `type` the store holds, and the occurred_at of the last.
std::pair<int, int64_t> EventsOfType(const EventStore& store, EventType type) {
  std::pair<int, int64_t> out{0, 0};
  REQUIRE(store
              .ScanLog(0,
                       [&](uint64_t, schema::Event::Reader e) {
                         if (e.which() == type) {
                           ++out.first;
                           out.second = e.getOccurredAt().getUnixNanos();
                         }
                         return true;
                       })
              .ok());
  return out;
}

}  // namespace

TEST_CASE("a form body decodes +, %-escapes and repeated names, and refuses bad escapes and bytes",
          "[web]") {
  auto p = Params::Parse("a=1+2&b=%C3%A9t%C3%A9&alert=x&alert=y&empty=&flag");
  REQUIRE(p.ok());
  CHECK(p->Get("a") == "1 2");
  CHECK(p->Get("b") == "\xC3\xA9t\xC3\xA9");
  CHECK(p->All("alert") == std::vector<std::string>{"x", "y"});
  CHECK(p->Has("empty"));
  CHECK(p->Get("empty").empty());
  CHECK(p->Has("flag"));
  CHECK_FALSE(p->Has("missing"));
  for (const char* bad : {"a=%", "a=%4", "a=%zz", "a=%C3", "a=%FF%FE", "%00%80=1"}) {
    INFO(bad);
    auto r = Params::Parse(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kInvalidArgument);
  }
}

TEST_CASE("every component escapes the text it is given", "[web]") {
  const std::string evil = "<script>alert(\"x\")</script>&'";
  const std::string escaped = web::Escape(evil);
  CHECK(escaped == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;");
  web::Field field("name", evil, evil, evil);
  field.hint = evil;
  std::vector<std::string> out = {
      web::TextInput(field),
      web::Textarea(field),
      web::Select(field, {{evil, evil, ""}}),
      web::Radios(field, {{evil, evil, evil}}),
      web::Checkboxes(field, {{evil, evil, evil}}, {evil}),
      web::ErrorSummary({{"name", evil}}),
      web::SummaryList({{evil, web::Escape(evil), "/x?" + evil, evil}}),
      web::Table(evil, {evil}, {{web::Escape(evil)}}),
      web::Tag(evil),
      web::Link("/cases/" + evil, evil),
      web::Button(evil, "", evil, evil),
      web::PostForm("/x" + evil, evil, ""),
      web::BackLink(evil, evil),
      web::WarningText(evil),
  };
  for (const auto& html : out) {
    INFO(html);
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("\"x\"") == std::string::npos);
  }
  CHECK(web::UrlEncode("a b/c?d=é") == "a%20b%2Fc%3Fd%3D%C3%A9");
}

TEST_CASE("times are shown and read in the node's zone, and the clocks' changes are refused",
          "[web]") {
  WebNode node;
  WebSession session;
  web::WebRequest request;
  web::WebContext ctx{request, *node.app, session, {}, {}, {}, ""};
  // 2026-07-01 12:00 UTC is 13:00 BST; 2026-12-07 12:00 UTC is 12:00 GMT.
  CHECK(ctx.Time(int64_t{1'782'907'200} * kSecond) == "1 Jul 2026, 13:00");
  CHECK(ctx.Time(int64_t{1'796'644'800} * kSecond) == "7 Dec 2026, 12:00");
  CHECK(ctx.Date(int64_t{1'796'644'800} * kSecond) == "7 Dec 2026");
  CHECK(ctx.Time(0).empty());
  CHECK(ctx.Time(-1).empty());
  auto t = ctx.ParseTime("2026-07-01 13:00");
  REQUIRE(t.ok());
  CHECK(*t == int64_t{1'782'907'200} * kSecond);
  CHECK(*ctx.ParseTime("2026-07-01T13:00") == *t);  // a datetime-local input
  CHECK(*ctx.ParseTime(" 2026-07-01 12:00:00Z ") == *t);
  CHECK(*ctx.ParseTime("2026-07-01T14:00+02:00") == *t);
  CHECK(*ctx.ParseTime("2026-12-07") == kNow);
  // 01:30 on 29 March 2026 never happens in London; 01:30 on 25 October 2026 happens twice.
  auto gap = ctx.ParseTime("2026-03-29 01:30");
  REQUIRE_FALSE(gap.ok());
  CHECK(gap.status().message().find("skip") != std::string::npos);
  auto twice = ctx.ParseTime("2026-10-25 01:30");
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.status().message().find("twice") != std::string::npos);
  CHECK(ctx.ParseTime("2026-10-25T01:30+01:00").ok());
  for (const char* bad : {"", "yesterday", "2026-13-01", "2026-02-30", "2026-12-07 24:00",
                          "2026-12-07 10:60", "2026-12-07 10", "2026-12-07T10:00+5", "1969-12-31",
                          "2026-12-07 10:00 extra", "4050-01-01", "2262-04-12 00:00"}) {
    INFO(bad);
    CHECK_FALSE(ctx.ParseTime(bad).ok());
  }
}

TEST_CASE("a page before sign-in leads to sign-in and back, never off the site", "[web]") {
  WebNode node;
  const WebReply away = node.Get("/cases?open=1");
  CHECK(away.status == 303);
  CHECK(Header(away, "Location") == "/sign-in?next=%2Fcases%3Fopen%3D1");
  const WebReply form = node.Get("/sign-in?next=%2Fcases%3Fopen%3D1");
  CHECK(form.status == 200);
  const std::string sign_in_cookie = CookiePair(Header(form, "Set-Cookie"));
  const std::string csrf = HiddenCsrf(form.body);
  CHECK(sign_in_cookie == "holdfast_sign_in=" + csrf);
  CHECK(form.body.find("value=\"/cases?open=1\"") != std::string::npos);

  SECTION("the right password: a session cookie, and back to the page") {
    const WebReply in = node.Post(
        "/sign-in", "csrf=" + csrf + "&user=po-1&password=a+long+enough+pass+phrase&next=%2Fcases",
        sign_in_cookie);
    CHECK(in.status == 303);
    CHECK(Header(in, "Location") == "/cases");
    bool session_cookie = false;
    for (const auto& [name, value] : in.headers) {
      if (name == "Set-Cookie" && value.rfind("holdfast_session=", 0) == 0) {
        session_cookie = true;
        CHECK(value.find("HttpOnly") != std::string::npos);
        CHECK(value.find("Secure") != std::string::npos);
        CHECK(value.find("SameSite=Strict") != std::string::npos);
      }
    }
    CHECK(session_cookie);
  }
  SECTION("a next that leaves the site goes home instead") {
    for (const char* next : {"%2F%2Fevil.example%2F", "https%3A%2F%2Fevil.example", "%2F%5Cevil",
                             "%2Fok%0D%0ASet-Cookie%3A+x"}) {
      INFO(next);
      const WebReply in = node.Post(
          "/sign-in",
          "csrf=" + csrf + "&user=po-1&password=a+long+enough+pass+" + "phrase&next=" + next,
          sign_in_cookie);
      CHECK(in.status == 303);
      CHECK(Header(in, "Location") == "/");
    }
  }
  SECTION("a sign-in form not from this browser's sign-in page is refused, nothing checked") {
    const WebReply forged = node.Post(
        "/sign-in", "csrf=0123&user=po-1&password=a+long+enough+pass+phrase", sign_in_cookie);
    CHECK(forged.status == 403);
    CHECK(forged.body.find("expired") != std::string::npos);
  }
  SECTION("a wrong password: 401, the form again with the id kept and the error on it") {
    const WebReply wrong =
        node.Post("/sign-in", "csrf=" + csrf + "&user=po-1&password=nope+nope", sign_in_cookie);
    CHECK(wrong.status == 401);
    CHECK(wrong.body.find("govuk-error-summary") != std::string::npos);
    CHECK(wrong.body.find("id=\"user-error\"") != std::string::npos);
    CHECK(wrong.body.find("value=\"po-1\"") != std::string::npos);
    CHECK(wrong.body.find("nope") == std::string::npos);  // never the password
    CHECK(wrong.body.find("<title>Error: Sign in") != std::string::npos);
  }
}

TEST_CASE("signed in: pages answer, a POST needs the session's CSRF token, headers on all",
          "[web]") {
  WebNode node;
  auto signed_in = node.app->sessions().SignIn("po-1", kPassword, "127.0.0.1", kNow);
  REQUIRE(signed_in.status.ok());
  const std::string cookie = "holdfast_session=" + signed_in.cookie_value;
  const WebReply today = node.Get("/", cookie);
  CHECK(today.status == 200);
  CHECK(today.body.find("po-1") != std::string::npos);
  CHECK(today.body.find("Sign out") != std::string::npos);
  CHECK(Header(today, "Content-Security-Policy").find("script-src 'self'") != std::string::npos);
  CHECK(Header(today, "X-Frame-Options") == "DENY");
  CHECK(today.cache_control == "no-store");
  CHECK(node.Get("/no/such/page", cookie).status == 404);
  const WebReply asset = node.Get("/assets/govuk-frontend.min.css", cookie);
  CHECK(asset.status == 200);
  CHECK(asset.cache_control.find("max-age") != std::string::npos);

  // Signing out needs the token: a forged form leaves the session as it was.
  const WebReply forged = node.Post("/sign-out", "csrf=forged", cookie);
  CHECK(forged.status == 303);
  CHECK(node.Get("/", cookie).status == 200);
  const WebReply out = node.Post("/sign-out", "csrf=" + signed_in.session.csrf, cookie);
  CHECK(out.status == 303);
  const WebReply after = node.Get("/", cookie);
  CHECK(after.status == 303);
  CHECK(Header(after, "Location").rfind("/sign-in?ended=1", 0) == 0);
}

TEST_CASE("a case form sent twice records once, also when the second send is refused", "[web]") {
  WebNode node;
  REQUIRE(node.store->Append(testing::Single(testing::MakeCaseOpened("C-1"))).ok());
  auto signed_in = node.app->sessions().SignIn("po-1", kPassword, "127.0.0.1", kNow);
  REQUIRE(signed_in.status.ok());
  const std::string cookie = "holdfast_session=" + signed_in.cookie_value;
  const std::string csrf = "csrf=" + signed_in.session.csrf;

  const WebReply form = node.Get("/cases/C-1/breach", cookie);
  REQUIRE(form.status == 200);
  const std::string token = Hidden(form.body, "token");
  const std::string breach = csrf + "&token=" + token + "&kind=order_breach&when=";
  // A double click: the same form twice. Then a reload that sends it again a minute on (a
  // form left empty for "now" does that): other content under the same id.
  for (const char* when : {"2026-12-06+10%3A00", "2026-12-06+10%3A00", "2026-12-06+10%3A01"}) {
    INFO(when);
    const WebReply sent = node.Post("/cases/C-1/breach", breach + when, cookie);
    CHECK(sent.status == 303);
    CHECK(Header(sent, "Location") == "/cases/C-1?done=breach");
  }
  auto [breaches, at] = EventsOfType(*node.store, EventType::BREACH_REPORTED);
  CHECK(breaches == 1);
  CHECK(at == int64_t{1'796'551'200} * kSecond);  // 2026-12-06 10:00 in London (UTC)

  // A form shown again is a new report.
  const WebReply again = node.Get("/cases/C-1/breach", cookie);
  CHECK(Hidden(again.body, "token") != token);
  const WebReply second = node.Post(
      "/cases/C-1/breach", csrf + "&token=" + Hidden(again.body, "token") + "&kind=recall", cookie);
  CHECK(second.status == 303);
  CHECK(EventsOfType(*node.store, EventType::BREACH_REPORTED).first == 2);

  // Closing twice: the second send is refused by the checks at entry (the case is closed),
  // and is done, the case closed once. A new close form on the closed case is refused.
  const std::string close_token = Hidden(node.Get("/cases/C-1/close", cookie).body, "token");
  const std::string close = csrf + "&token=" + close_token + "&reason=completed";
  CHECK(node.Post("/cases/C-1/close", close, cookie).status == 303);
  CHECK(node.Post("/cases/C-1/close", close, cookie).status == 303);
  CHECK(EventsOfType(*node.store, EventType::CASE_CLOSED).first == 1);
  const std::string other = Hidden(node.Get("/cases/C-1/close", cookie).body, "token");
  const WebReply refused =
      node.Post("/cases/C-1/close", csrf + "&token=" + other + "&reason=completed", cookie);
  CHECK(refused.status == 400);  // the form again, with its errors
  CHECK(refused.body.find("govuk-error-summary") != std::string::npos);
  CHECK(EventsOfType(*node.store, EventType::CASE_CLOSED).first == 1);
}

}  // namespace holdfast::test
