// The web front end (daemon/web/web_app.h) on arbitrary requests: WebApp::Handle, as the
// HTTPS server calls it for every request outside /v1/, over a real store in a scratch
// directory, with a probation officer signed in. Every page and form handler is reached
// with whatever path parameters, query strings and form bodies the fuzzer makes.
//
// The input: one flags byte (bit 0: send the signed-in session's cookie; bit 1: replace each
// "CSRF" in the body with the session's real token), then the method, a newline, the path
// with its query string, a newline, and the body (sent as a form).
//
// Promises checked beyond "no crash, no leak, no undefined behaviour":
// - no handler fails: never a 500;
// - a reply is a status this front end uses, and HTML replies are UTF-8;
// - nothing from the request reaches a page unescaped: an HTML page holds exactly the two
//   <script> elements of the layout;
// - a redirect goes to a path on this site ("/..."), never "//host" or another scheme;
// - every reply carries the Content-Security-Policy.
#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "daemon/audit.h"
#include "daemon/handler.h"
#include "daemon/safe_text.h"
#include "daemon/web/web_app.h"
#include "eventstore/event_store.h"
#include "projections/projector.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/support/sync_not_configured.h"

using namespace holdfast;

namespace {

using holdfast::testing::SyncNotConfigured;

constexpr int64_t kNow = int64_t{1796601600} * 1000000000;  // 2026-12-07

struct Node {
  fuzz::ScratchDir dir{fuzz::kScratchPrefix};
  std::unique_ptr<EventStore> store;
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<Users> users;
  std::unique_ptr<Projector> projector;
  SyncNotConfigured sync;
  std::unique_ptr<RequestHandler> handler;
  std::unique_ptr<web::WebApp> app;
  std::string cookie, csrf;

  Node() {
    StoreOptions options;
    options.node_id = "probation-1";
    options.sync = false;
    auto s = EventStore::Open(dir.path() + "/store", options);
    fuzz::Require(s.ok(), "cannot open the store: " + s.status().ToString());
    store = std::move(s).value();
    auto a = AuditLog::Open(store.get());
    fuzz::Require(a.ok(), "cannot open the audit log: " + a.status().ToString());
    audit = std::move(a).value();
    auto p = Projector::Open(store.get(), RuleConfig{});
    fuzz::Require(p.ok(), "cannot open the projector: " + p.status().ToString());
    projector = std::move(p).value();
    auto u = Users::Open(store.get());
    fuzz::Require(u.ok(), "cannot open the users: " + u.status().ToString());
    users = std::move(u).value();
    User po;
    po.id = "po";
    po.role = schema::Role::PROBATION;
    fuzz::Require(users->Add(po).ok(), "cannot add the fuzzer's user");
    fuzz::Require(users->SetPassword("po", "fuzzing password one").ok(), "cannot set a password");
    handler = std::make_unique<RequestHandler>(
        store.get(), audit.get(), users.get(), projector.get(), &sync,
        NodeIdentity{"probation-1", "probation-ce", "probation", "Europe/London"});
    web::WebOptions web_options;
    web_options.node_id = "probation-1";
    web_options.agency = "probation-ce";
    app = std::make_unique<web::WebApp>(handler.get(), users.get(), audit.get(), web_options);
    auto signed_in = app->sessions().SignIn("po", "fuzzing password one", "127.0.0.1", kNow);
    fuzz::Require(signed_in.status.ok(), "cannot sign in: " + signed_in.status.ToString());
    cookie = signed_in.cookie_value;
    csrf = signed_in.session.csrf;
  }
};

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

}  // namespace

// A fresh node every this many inputs: the audit log grows with every page read.
constexpr int kInputsPerNode = 2000;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Node* current = nullptr;
  static int inputs = 0;
  if (size < 1) return 0;
  if (current == nullptr || ++inputs % kInputsPerNode == 0) {
    delete current;
    current = new Node();
  }
  Node& node = *current;
  const uint8_t flags = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t first = input.find('\n');
  if (first == std::string_view::npos) return 0;
  const size_t second = input.find('\n', first + 1);
  if (second == std::string_view::npos) return 0;
  web::WebRequest request;
  request.method = std::string(input.substr(0, first));
  std::string target(input.substr(first + 1, second - first - 1));
  request.body = std::string(input.substr(second + 1));
  const size_t q = target.find('?');
  request.path = target.substr(0, q);
  if (q != std::string::npos) request.query = target.substr(q + 1);
  if (flags & 1) request.cookie = std::string(WebSessions::kCookieName) + "=" + node.cookie;
  if (flags & 2) {
    for (size_t at = request.body.find("CSRF"); at != std::string::npos;
         at = request.body.find("CSRF", at + node.csrf.size())) {
      request.body.replace(at, 4, node.csrf);
    }
  }
  request.content_type = "application/x-www-form-urlencoded";
  request.client = "127.0.0.1";
  request.now_ns = kNow;
  // Sign-in hashes a password with Argon2id, slowly on purpose: not the fuzzer's business.
  if (request.path == "/sign-in" && request.method == "POST") return 0;

  const web::WebReply reply = node.app->Handle(request);
  static const std::set<int> kStatuses = {200, 303, 400, 401, 403, 404, 405, 409, 429, 503};
  fuzz::Require(kStatuses.count(reply.status) == 1, "a reply with status " +
                                                        std::to_string(reply.status) + " to " +
                                                        request.method + " " + target);
  bool csp = false;
  for (const auto& [name, value] : reply.headers) {
    if (name == "Content-Security-Policy") csp = true;
    if (name == "Location") {
      fuzz::Require(!value.empty() && value[0] == '/' &&
                        (value.size() < 2 || (value[1] != '/' && value[1] != '\\')),
                    "a redirect off the site: " + value);
    }
  }
  fuzz::Require(csp, "a reply without the Content-Security-Policy");
  if (reply.content_type.rfind("text/html", 0) == 0 && !reply.body.empty()) {
    fuzz::Require(IsValidUtf8(reply.body), "an HTML page that is not UTF-8");
    fuzz::Require(Count(reply.body, "<script") == 2,
                  "an HTML page with other than the layout's two scripts: input reached it "
                  "unescaped");
  }
  return 0;
}
