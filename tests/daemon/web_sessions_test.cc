// Web sign-in (issue 16, point 2; daemon/web/sessions.h): passwords checked against the
// node's real users in a real store, sessions with an idle timeout, CSRF tokens, a growing
// delay after failed sign-ins, and the audit entries each of them writes. The clock is a
// parameter, so the timeouts and delays are tested without waiting.
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "daemon/audit.h"
#include "daemon/users.h"
#include "daemon/web/sessions.h"
#include "eventstore/event_store.h"
#include "tests/daemon/harness.h"

namespace holdfast::test {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kT0 = int64_t{1'765'000'000} * kSecond;
constexpr const char* kPassword = "correct horse battery staple";
constexpr const char* kWrongIdOrPassword = "the user id or password is not right";
constexpr const char* kIp = "203.0.113.7";

// A store with two users who have passwords: po-1 (probation) and fa-1 (facilitator), and
// po-2 (probation) who has none; and a WebSessions over them.
struct Signing {
  TempDir dir;
  std::unique_ptr<EventStore> store;
  std::unique_ptr<Users> users;
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<WebSessions> sessions;

  explicit Signing(WebSessionOptions options = {}) {
    StoreOptions store_options;
    store_options.node_id = "probation-1";
    store_options.sync = false;
    store_options.reserved_bytes = 0;
    auto opened = EventStore::Open(dir / "store", store_options);
    REQUIRE(opened.ok());
    store = std::move(*opened);
    auto u = Users::Open(store.get());
    REQUIRE(u.ok());
    users = std::move(*u);
    auto a = AuditLog::Open(store.get());
    REQUIRE(a.ok());
    audit = std::move(*a);
    AddUser("po-1", schema::Role::PROBATION, kPassword);
    AddUser("fa-1", schema::Role::FACILITATOR, "another long pass phrase");
    AddUser("po-2", schema::Role::PROBATION, "");
    sessions = std::make_unique<WebSessions>(users.get(), audit.get(), options);
  }

  void AddUser(const std::string& id, schema::Role role, const std::string& password) {
    User user;
    user.id = id;
    user.role = role;
    REQUIRE(users->Add(user).ok());
    if (!password.empty()) REQUIRE(users->SetPassword(id, password).ok());
  }

  // The audit entries of `verb`, oldest first.
  std::vector<AuditRecord> Audited(const std::string& verb) const {
    auto recent = audit->Recent(10000);
    REQUIRE(recent.ok());
    std::vector<AuditRecord> out;
    for (auto it = recent->rbegin(); it != recent->rend(); ++it) {
      if (it->verb == verb) out.push_back(*it);
    }
    return out;
  }
};

bool IsBase64Url(const std::string& s) {
  for (char c : s) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("a right password starts a session, audited as a sign-in", "[web][sessions]") {
  Signing s;
  auto r = s.sessions->SignIn("po-1", kPassword, kIp, kT0);
  INFO(r.status.ToString());
  REQUIRE(r.status.ok());
  CHECK(r.retry_after_seconds == 0);
  // 32 random bytes each, base64url without padding.
  CHECK(r.cookie_value.size() == 43);
  CHECK(IsBase64Url(r.cookie_value));
  CHECK(r.session.csrf.size() == 43);
  CHECK(IsBase64Url(r.session.csrf));
  CHECK(r.session.csrf != r.cookie_value);
  CHECK(r.session.user == "po-1");
  CHECK(r.session.role == schema::Role::PROBATION);
  CHECK(r.session.credential.rfind("session ", 0) == 0);
  CHECK(r.session.credential.size() == 16);

  auto found = s.sessions->Find(r.cookie_value, kT0 + kSecond);
  REQUIRE(found.has_value());
  CHECK(found->user == "po-1");
  CHECK(found->csrf == r.session.csrf);
  CHECK(found->credential == r.session.credential);
  CHECK(!s.sessions->Find("not-a-session", kT0 + kSecond).has_value());
  CHECK(!s.sessions->Find("", kT0 + kSecond).has_value());

  // A second sign-in is a second session, with its own id and token.
  auto again = s.sessions->SignIn("po-1", kPassword, kIp, kT0 + 2 * kSecond);
  REQUIRE(again.status.ok());
  CHECK(again.cookie_value != r.cookie_value);
  CHECK(again.session.csrf != r.session.csrf);
  CHECK(s.sessions->LiveSessions() == 2);

  auto audited = s.Audited("sign-in");
  REQUIRE(audited.size() == 2);
  CHECK(audited[0].user == "po-1");
  CHECK(audited[0].role == "probation");
  CHECK(audited[0].outcome == "ok");
  CHECK(audited[0].credential == "password");
  CHECK(audited[0].target == kIp);
  CHECK(audited[0].at == kT0);
}

TEST_CASE("a wrong password, an unknown id and a disabled user are refused alike",
          "[web][sessions]") {
  Signing s;
  auto wrong = s.sessions->SignIn("po-1", "not the password at all", kIp, kT0);
  CHECK(wrong.status.code() == Status::Code::kPermissionDenied);
  CHECK(wrong.status.message() == kWrongIdOrPassword);
  CHECK(wrong.cookie_value.empty());
  CHECK(wrong.retry_after_seconds == 0);

  auto unknown = s.sessions->SignIn("nobody", kPassword, "198.51.100.1", kT0);
  CHECK(unknown.status.code() == Status::Code::kPermissionDenied);
  CHECK(unknown.status.message() == kWrongIdOrPassword);

  auto no_password = s.sessions->SignIn("po-2", kPassword, "198.51.100.2", kT0);
  CHECK(no_password.status.message() == kWrongIdOrPassword);

  auto not_an_id = s.sessions->SignIn("po 1 with spaces", kPassword, "198.51.100.3", kT0);
  CHECK(not_an_id.status.message() == kWrongIdOrPassword);

  REQUIRE(s.users->SetDisabled("po-1", true).ok());
  auto disabled = s.sessions->SignIn("po-1", kPassword, "198.51.100.4", kT0);
  CHECK(disabled.status.message() == kWrongIdOrPassword);
  CHECK(disabled.cookie_value.empty());
  CHECK(s.sessions->LiveSessions() == 0);

  auto audited = s.Audited("sign-in");
  REQUIRE(audited.size() == 5);
  CHECK(audited[0].user == "po-1");
  CHECK(audited[0].role == "");
  CHECK(audited[0].outcome == "permission denied");
  CHECK(audited[0].credential == "password");
  CHECK(audited[1].user == "nobody");
  CHECK(audited[3].user == "");  // not a valid id: not written as given
  for (const auto& a : audited) {
    CHECK(a.outcome == "permission denied");
    CHECK(!Contains(a.user + a.target + a.outcome + a.credential, "horse"));
    CHECK(!Contains(a.user + a.target + a.outcome + a.credential, "not the password"));
  }
}

TEST_CASE("an unknown id, a user without a password and a disabled one take as long to refuse",
          "[web][sessions]") {
  Signing s;
  REQUIRE(s.users->SetDisabled("fa-1", true).ok());
  // The least of a few tries of each, interleaved: a busy machine only makes a try slower.
  using Clock = std::chrono::steady_clock;
  auto time_of = [&](const std::string& id) {
    const auto start = Clock::now();
    CHECK(!s.users->CheckPassword(id, "not the password at all"));
    return Clock::now() - start;
  };
  Clock::duration wrong = Clock::duration::max(), unknown = wrong, none = wrong, disabled = wrong;
  for (int i = 0; i < 5; ++i) {
    wrong = std::min(wrong, time_of("po-1"));
    unknown = std::min(unknown, time_of("nobody"));
    none = std::min(none, time_of("po-2"));
    disabled = std::min(disabled, time_of("fa-1"));
  }
  INFO("wrong password " << wrong.count() << " ns, unknown id " << unknown.count()
                         << " ns, no password " << none.count() << " ns, disabled "
                         << disabled.count() << " ns");
  CHECK(unknown * 4 > wrong);
  CHECK(none * 4 > wrong);
  CHECK(disabled * 4 > wrong);
}

TEST_CASE("a password that is empty, too long or not UTF-8 is refused before any check",
          "[web][sessions]") {
  Signing s;
  auto empty_id = s.sessions->SignIn("", kPassword, kIp, kT0);
  CHECK(empty_id.status.code() == Status::Code::kInvalidArgument);
  CHECK(Contains(empty_id.status.message(), "user id:"));
  auto empty = s.sessions->SignIn("po-1", "", kIp, kT0);
  CHECK(empty.status.code() == Status::Code::kInvalidArgument);
  CHECK(Contains(empty.status.message(), "password:"));
  auto too_long = s.sessions->SignIn("po-1", std::string(1025, 'a'), kIp, kT0);
  CHECK(too_long.status.code() == Status::Code::kInvalidArgument);
  CHECK(Contains(too_long.status.message(), "1024"));
  auto not_utf8 = s.sessions->SignIn("po-1", "correct horse \xff\xfe staple", kIp, kT0);
  CHECK(not_utf8.status.code() == Status::Code::kInvalidArgument);
  // Not counted as failures: the right password still gets in.
  for (int i = 0; i < 5; ++i) s.sessions->SignIn("po-1", std::string(2000, 'b'), kIp, kT0);
  CHECK(s.sessions->SignIn("po-1", kPassword, kIp, kT0).status.ok());
  // But audited.
  auto audited = s.Audited("sign-in");
  REQUIRE(audited.size() == 10);
  CHECK(audited[0].outcome == "invalid argument");
  CHECK(audited[9].outcome == "ok");
}

TEST_CASE("failed sign-ins for one id make it wait 1, 2, 4 seconds..., and a success resets",
          "[web][sessions][lockout]") {
  Signing s;
  const std::string wrong = "not the password at all";
  int64_t t = kT0;
  // Three failures are free.
  for (int i = 0; i < 3; ++i) {
    CHECK(s.sessions->SignIn("po-1", wrong, kIp, t).status.message() == kWrongIdOrPassword);
  }
  // After the 3rd: 1 second, during which even the right password is not checked.
  auto locked = s.sessions->SignIn("po-1", kPassword, kIp, t);
  CHECK(locked.status.code() == Status::Code::kUnavailable);
  CHECK(locked.status.message() == "too many failed sign-ins: try again in 1 second");
  CHECK(locked.retry_after_seconds == 1);
  CHECK(locked.cookie_value.empty());
  CHECK(s.sessions->SignIn("po-1", kPassword, kIp, t + kSecond - 1).retry_after_seconds == 1);
  // Another id from the same address is not held up by po-1's failures.
  CHECK(s.sessions->SignIn("fa-1", "another long pass phrase", kIp, t).status.ok());
  // After the 4th: 2 seconds; after the 5th: 4.
  t += kSecond;
  CHECK(s.sessions->SignIn("po-1", wrong, kIp, t).status.message() == kWrongIdOrPassword);
  auto two = s.sessions->SignIn("po-1", kPassword, kIp, t);
  CHECK(two.retry_after_seconds == 2);
  CHECK(two.status.message() == "too many failed sign-ins: try again in 2 seconds");
  CHECK(s.sessions->SignIn("po-1", kPassword, kIp, t + kSecond + 1).retry_after_seconds == 1);
  t += 2 * kSecond;
  CHECK(s.sessions->SignIn("po-1", wrong, kIp, t).status.message() == kWrongIdOrPassword);
  CHECK(s.sessions->SignIn("po-1", kPassword, kIp, t).retry_after_seconds == 4);
  // Waited out, the right password gets in, and the count starts again.
  t += 4 * kSecond;
  REQUIRE(s.sessions->SignIn("po-1", kPassword, kIp, t).status.ok());
  for (int i = 0; i < 2; ++i) {
    CHECK(s.sessions->SignIn("po-1", wrong, kIp, t).status.message() == kWrongIdOrPassword);
  }
  CHECK(s.sessions->SignIn("po-1", wrong, kIp, t).retry_after_seconds == 0);  // the 3rd
  CHECK(s.sessions->SignIn("po-1", wrong, kIp, t).retry_after_seconds == 1);

  // Refusals while waiting are audited, as refusals, and are not failures themselves.
  auto audited = s.Audited("sign-in");
  size_t waits = 0;
  for (const auto& a : audited) {
    if (a.outcome == "unavailable") {
      ++waits;
      CHECK(a.user == "po-1");
    }
  }
  CHECK(waits == 6);
}

TEST_CASE("failed sign-ins made at once cannot slip past the count", "[web][sessions][lockout]") {
  Signing s;
  constexpr int kThreads = 8;
  std::vector<SignInResult> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      results[i] = s.sessions->SignIn("po-1", "not the password at all",
                                      "198.51.100." + std::to_string(i), kT0);
    });
  }
  for (auto& t : threads) t.join();
  int checked = 0, waited = 0;
  for (const auto& r : results) {
    if (r.status.message() == kWrongIdOrPassword) ++checked;
    if (r.retry_after_seconds > 0) ++waited;
  }
  // Each attempt counts from the moment its check begins: three are checked, the rest wait.
  CHECK(checked == 3);
  CHECK(waited == kThreads - 3);
}

TEST_CASE("the wait grows to at most 15 minutes, and an unknown id waits as a known one does",
          "[web][sessions][lockout]") {
  Signing s;
  for (const std::string id : {"po-1", "nobody"}) {
    INFO(id);
    int64_t t = kT0;
    for (int failures = 1; failures <= 14; ++failures) {
      auto r = s.sessions->SignIn(id, "not the password at all", "198.51.100." + id, t);
      REQUIRE(r.status.message() == kWrongIdOrPassword);
      if (failures < 3) continue;  // free (and a right password now would reset the count)
      const int want = std::min(1 << (failures - 3), 15 * 60);
      // Even the right password waits.
      auto wait = s.sessions->SignIn(id, kPassword, "198.51.100." + id, t);
      CHECK(wait.retry_after_seconds == want);
      t += want * kSecond;
    }
  }
}

TEST_CASE("failures from one address across many ids make that address wait",
          "[web][sessions][lockout]") {
  Signing s;
  int64_t t = kT0;
  // Ten failures, two per id (so no id waits), are free for the address.
  for (int i = 0; i < 10; ++i) {
    auto r = s.sessions->SignIn("guess-" + std::to_string(i / 2), "some password here", kIp, t);
    REQUIRE(r.status.message() == kWrongIdOrPassword);
  }
  auto held = s.sessions->SignIn("po-1", kPassword, kIp, t);
  CHECK(held.status.code() == Status::Code::kUnavailable);
  CHECK(held.retry_after_seconds == 1);
  // Another address is not held up.
  CHECK(s.sessions->SignIn("po-1", kPassword, "198.51.100.9", t).status.ok());
  // The 11th failure: 2 seconds.
  t += kSecond;
  CHECK(s.sessions->SignIn("guess-9", "some password here", kIp, t).status.message() ==
        kWrongIdOrPassword);
  CHECK(s.sessions->SignIn("po-1", kPassword, kIp, t).retry_after_seconds == 2);
  // A success from the address resets its count.
  t += 2 * kSecond;
  REQUIRE(s.sessions->SignIn("po-1", kPassword, kIp, t).status.ok());
  CHECK(s.sessions->SignIn("guess-20", "some password here", kIp, t).retry_after_seconds == 0);
  CHECK(s.sessions->SignIn("guess-20", "some password here", kIp, t).status.message() ==
        kWrongIdOrPassword);
}

TEST_CASE("a session idle for 30 minutes ends, and each use restarts the 30 minutes",
          "[web][sessions]") {
  Signing s;
  auto r = s.sessions->SignIn("po-1", kPassword, kIp, kT0);
  REQUIRE(r.status.ok());
  const int64_t idle = 30 * kMinute;
  // Just before 30 minutes: still there, and used now.
  int64_t t = kT0 + idle - 1;
  REQUIRE(s.sessions->Find(r.cookie_value, t).has_value());
  // So another 30 minutes less a nanosecond after that use still finds it.
  t += idle - 1;
  REQUIRE(s.sessions->Find(r.cookie_value, t).has_value());
  // 30 minutes idle: gone, and gone for good.
  t += idle;
  CHECK(!s.sessions->Find(r.cookie_value, t).has_value());
  CHECK(!s.sessions->Find(r.cookie_value, t - kMinute).has_value());
  CHECK(s.sessions->LiveSessions() == 0);

  auto other = s.sessions->SignIn("po-1", kPassword, kIp, kT0);
  REQUIRE(other.status.ok());
  CHECK(!s.sessions->Find(other.cookie_value, kT0 + idle).has_value());

  SECTION("a shorter timeout is kept") {
    WebSessionOptions options;
    options.idle_timeout_ns = 5 * kMinute;
    Signing short_idle(options);
    auto q = short_idle.sessions->SignIn("po-1", kPassword, kIp, kT0);
    REQUIRE(q.status.ok());
    CHECK(short_idle.sessions->Find(q.cookie_value, kT0 + 5 * kMinute - 1).has_value());
    CHECK(!short_idle.sessions->Find(q.cookie_value, kT0 + 10 * kMinute).has_value());
  }
}

TEST_CASE("idle sessions are swept when others sign in", "[web][sessions]") {
  Signing s;
  REQUIRE(s.sessions->SignIn("po-1", kPassword, kIp, kT0).status.ok());
  REQUIRE(s.sessions->SignIn("fa-1", "another long pass phrase", kIp, kT0 + kMinute).status.ok());
  CHECK(s.sessions->LiveSessions() == 2);
  REQUIRE(s.sessions->SignIn("po-1", kPassword, kIp, kT0 + 31 * kMinute).status.ok());
  CHECK(s.sessions->LiveSessions() == 1);
}

TEST_CASE("a disabled user's session stops working at once, and one whose role changed ends",
          "[web][sessions]") {
  Signing s;
  auto r = s.sessions->SignIn("po-1", kPassword, kIp, kT0);
  REQUIRE(r.status.ok());
  REQUIRE(s.users->SetDisabled("po-1", true).ok());
  CHECK(!s.sessions->Find(r.cookie_value, kT0 + kSecond).has_value());
  // Enabled again before it idles out, it works again (as the user's token would).
  REQUIRE(s.users->SetDisabled("po-1", false).ok());
  CHECK(s.sessions->Find(r.cookie_value, kT0 + 2 * kSecond).has_value());
  // A disabled user's session does not idle-refresh: it ends 30 minutes after its last use.
  REQUIRE(s.users->SetDisabled("po-1", true).ok());
  CHECK(!s.sessions->Find(r.cookie_value, kT0 + 20 * kMinute).has_value());
  REQUIRE(s.users->SetDisabled("po-1", false).ok());
  CHECK(!s.sessions->Find(r.cookie_value, kT0 + 2 * kSecond + 30 * kMinute).has_value());

  // Another role: the session ends, and does not come back with the old role.
  auto q = s.sessions->SignIn("po-1", kPassword, kIp, kT0 + 40 * kMinute);
  REQUIRE(q.status.ok());
  REQUIRE(s.users->SetRole("po-1", schema::Role::ANALYST).ok());
  CHECK(!s.sessions->Find(q.cookie_value, kT0 + 41 * kMinute).has_value());
  REQUIRE(s.users->SetRole("po-1", schema::Role::PROBATION).ok());
  CHECK(!s.sessions->Find(q.cookie_value, kT0 + 42 * kMinute).has_value());
  CHECK(s.sessions->LiveSessions() == 0);
}

TEST_CASE("sign-out ends the session and is audited", "[web][sessions]") {
  Signing s;
  auto r = s.sessions->SignIn("po-1", kPassword, kIp, kT0);
  REQUIRE(r.status.ok());
  auto other = s.sessions->SignIn("po-1", kPassword, kIp, kT0);
  REQUIRE(other.status.ok());
  s.sessions->SignOut(r.cookie_value, kT0 + kMinute);
  CHECK(!s.sessions->Find(r.cookie_value, kT0 + kMinute).has_value());
  CHECK(s.sessions->Find(other.cookie_value, kT0 + kMinute).has_value());  // only that one
  s.sessions->SignOut(r.cookie_value, kT0 + 2 * kMinute);                  // again: nothing to end
  auto audited = s.Audited("sign-out");
  REQUIRE(audited.size() == 2);
  CHECK(audited[0].user == "po-1");
  CHECK(audited[0].role == "probation");
  CHECK(audited[0].outcome == "ok");
  CHECK(audited[0].credential == r.session.credential);
  CHECK(audited[0].at == kT0 + kMinute);
  CHECK(audited[1].user == "");
  CHECK(audited[1].outcome == "not found");
  CHECK(audited[1].credential == r.session.credential);
  for (const auto& a : s.Audited("sign-in")) CHECK(!Contains(a.target, r.cookie_value));
}

TEST_CASE("a form's CSRF token must be its session's, exactly", "[web][sessions][csrf]") {
  Signing s;
  auto r = s.sessions->SignIn("po-1", kPassword, kIp, kT0);
  auto other = s.sessions->SignIn("fa-1", "another long pass phrase", kIp, kT0);
  REQUIRE(r.status.ok());
  REQUIRE(other.status.ok());
  auto found = s.sessions->Find(r.cookie_value, kT0);
  REQUIRE(found.has_value());
  CHECK(s.sessions->CheckCsrf(*found, r.session.csrf));
  CHECK(!s.sessions->CheckCsrf(*found, ""));
  CHECK(!s.sessions->CheckCsrf(*found, other.session.csrf));
  CHECK(!s.sessions->CheckCsrf(*found, r.session.csrf.substr(0, 42)));
  CHECK(!s.sessions->CheckCsrf(*found, r.session.csrf + "A"));
  CHECK(!s.sessions->CheckCsrf(*found, r.cookie_value));
  std::string flipped = r.session.csrf;
  flipped[20] = flipped[20] == 'A' ? 'B' : 'A';
  CHECK(!s.sessions->CheckCsrf(*found, flipped));
  CHECK(!s.sessions->CheckCsrf(WebSession{}, ""));
}

TEST_CASE("the session cookie is HttpOnly, Secure, SameSite=Strict and lasts the browser session",
          "[web][sessions]") {
  Signing s;
  const std::string set = s.sessions->CookieHeader("abc-_123");
  CHECK(set.rfind("holdfast_session=abc-_123;", 0) == 0);
  CHECK(Contains(set, "; HttpOnly"));
  CHECK(Contains(set, "; Secure"));
  CHECK(Contains(set, "; SameSite=Strict"));
  CHECK(Contains(set, "; Path=/"));
  CHECK(!Contains(set, "Max-Age"));
  CHECK(!Contains(set, "Expires"));
  CHECK(!Contains(set, "Domain"));
  const std::string clear = s.sessions->ClearCookieHeader();
  CHECK(clear.rfind("holdfast_session=;", 0) == 0);
  CHECK(Contains(clear, "; Max-Age=0"));
  CHECK(Contains(clear, "; HttpOnly"));
  CHECK(Contains(clear, "; Secure"));
  CHECK(Contains(clear, "; SameSite=Strict"));
  CHECK(Contains(clear, "; Path=/"));
  CHECK(std::string(WebSessions::kCookieName) == "holdfast_session");
}

TEST_CASE("beyond the most live sessions, the least recently used ends", "[web][sessions]") {
  WebSessionOptions options;
  options.max_sessions = 3;
  Signing s(options);
  std::vector<std::string> cookies;
  for (int i = 0; i < 3; ++i) {
    auto r = s.sessions->SignIn("po-1", kPassword, kIp, kT0 + i * kSecond);
    REQUIRE(r.status.ok());
    cookies.push_back(r.cookie_value);
  }
  // The first is used again, so the second is now the least recently used.
  REQUIRE(s.sessions->Find(cookies[0], kT0 + 10 * kSecond).has_value());
  auto fourth = s.sessions->SignIn("po-1", kPassword, kIp, kT0 + 11 * kSecond);
  REQUIRE(fourth.status.ok());
  CHECK(s.sessions->LiveSessions() == 3);
  CHECK(s.sessions->Find(cookies[0], kT0 + 12 * kSecond).has_value());
  CHECK(!s.sessions->Find(cookies[1], kT0 + 12 * kSecond).has_value());
  CHECK(s.sessions->Find(cookies[2], kT0 + 12 * kSecond).has_value());
  CHECK(s.sessions->Find(fourth.cookie_value, kT0 + 12 * kSecond).has_value());
}

TEST_CASE("sessions end with the process: a new WebSessions knows none", "[web][sessions]") {
  Signing s;
  auto r = s.sessions->SignIn("po-1", kPassword, kIp, kT0);
  REQUIRE(r.status.ok());
  WebSessions restarted(s.users.get(), s.audit.get());
  CHECK(!restarted.Find(r.cookie_value, kT0 + kSecond).has_value());
}

}  // namespace holdfast::test
