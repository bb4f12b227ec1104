#include "daemon/web/sessions.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>

#include "daemon/digest.h"
#include "daemon/rights.h"
#include "eventstore/validate.h"

namespace holdfast {
namespace {

constexpr size_t kSessionIdBytes = 32;
constexpr size_t kCsrfBytes = 32;
// base64url of 32 bytes is 43 characters; anything much longer is not one of ours.
constexpr size_t kMaxCookieValue = 64;
// A client address longer than this is counted by its start (an IPv6 address is 45 at most).
constexpr size_t kMaxAddressKey = 64;
constexpr int64_t kSecond = 1'000'000'000;
constexpr const char* kVerbSignIn = "sign-in";
constexpr const char* kVerbSignOut = "sign-out";
constexpr const char* kWrongIdOrPassword = "the user id or password is not right";

// base64url without padding (RFC 4648 section 5): safe in a cookie and a form field as is.
std::string Base64Url(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  uint32_t bits = 0;
  int held = 0;
  for (unsigned char c : bytes) {
    bits = (bits << 8) | c;
    held += 8;
    while (held >= 6) {
      held -= 6;
      out.push_back(kAlphabet[(bits >> held) & 0x3f]);
    }
  }
  if (held > 0) out.push_back(kAlphabet[(bits << (6 - held)) & 0x3f]);
  return out;
}

std::string SessionCredential(const std::string& key) { return "session " + Hex(key).substr(0, 8); }

// As the request table writes it (daemon/handler.cc): "ok", or the code of the refusal.
std::string Outcome(const Status& status) {
  const std::string text = status.ToString();
  return status.ok() ? "ok" : text.substr(0, text.find(':'));
}

int64_t DelayAfter(int failures, int free, int64_t max_delay_ns) {
  const int over = failures - free;  // 0 after the free-th failure: 1 second
  if (over < 0) return 0;
  if (over >= 40) return max_delay_ns;
  return std::min(max_delay_ns, (int64_t{1} << over) * kSecond);
}

}  // namespace

WebSessions::WebSessions(const Users* users, AuditLog* audit, WebSessionOptions options)
    : users_(users), audit_(audit), options_(options) {}

void WebSessions::Audit(const std::string& user, const std::string& role, const char* verb,
                        std::string_view client_ip, const Status& status,
                        const std::string& credential, int64_t now_ns) {
  AuditRecord record;
  record.at = now_ns;
  record.user = user;
  record.role = role;
  record.verb = verb;
  record.target = std::string(client_ip);
  record.outcome = Outcome(status);
  record.credential = credential;
  audit_->Record(record).IgnoreError();  // an entry the store cannot take yet waits in the log
}

int64_t WebSessions::WaitFor(FailureBook& book, const std::string& key, int64_t now_ns) {
  auto it = book.by_key.find(key);
  if (it == book.by_key.end()) return 0;
  if (now_ns - it->second.last_ns >= options_.failure_memory_ns) {
    book.by_recency.erase(it->second.recency);
    book.by_key.erase(it);
    return 0;
  }
  return std::max<int64_t>(0, it->second.wait_until_ns - now_ns);
}

void WebSessions::CountFailure(FailureBook& book, const std::string& key, int free,
                               int64_t now_ns) {
  auto it = book.by_key.find(key);
  if (it == book.by_key.end()) {
    // Room first: forget what is past remembering, then (under a flood of new keys) the
    // least recently failed.
    while (!book.by_recency.empty() && book.by_key.size() >= options_.max_tracked) {
      book.by_key.erase(book.by_recency.back());
      book.by_recency.pop_back();
    }
    book.by_recency.push_front(key);
    it = book.by_key.emplace(key, Failures{}).first;
    it->second.recency = book.by_recency.begin();
  } else {
    book.by_recency.splice(book.by_recency.begin(), book.by_recency, it->second.recency);
  }
  Failures& f = it->second;
  ++f.count;
  f.last_ns = now_ns;
  const int64_t delay = DelayAfter(f.count, free, options_.max_delay_ns);
  f.wait_until_ns = delay > 0 ? now_ns + delay : 0;
}

void WebSessions::ClearFailures(FailureBook& book, const std::string& key) {
  auto it = book.by_key.find(key);
  if (it == book.by_key.end()) return;
  book.by_recency.erase(it->second.recency);
  book.by_key.erase(it);
}

void WebSessions::EndSession(const std::string& key) {
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return;
  by_recency_.erase(it->second.recency);
  sessions_.erase(it);
}

void WebSessions::SweepSessions(int64_t now_ns) {
  // by_recency_ is in order of last use, so the idle ones are all at its end.
  while (!by_recency_.empty()) {
    auto it = sessions_.find(by_recency_.back());
    if (now_ns - it->second.last_used_ns < options_.idle_timeout_ns) break;
    sessions_.erase(it);
    by_recency_.pop_back();
  }
}

SignInResult WebSessions::SignIn(std::string_view user_id, std::string_view password,
                                 std::string_view client_ip, int64_t now_ns) {
  SignInResult out;
  const bool valid_id = IsIdentifier(user_id) && FindInvalidUtf8(user_id) == std::string_view::npos;
  // The id as given goes to the audit log only when it could be an id: never a password
  // typed into the wrong box, nor bytes that are not text.
  const std::string id = valid_id ? std::string(user_id) : std::string();
  const std::string address(client_ip.substr(0, kMaxAddressKey));
  auto refuse = [&](Status status) {
    Audit(id, "", kVerbSignIn, client_ip, status, "password", now_ns);
    out.status = std::move(status);
    return out;
  };
  if (user_id.empty()) return refuse(Status::InvalidArgument("user id: enter your user id"));
  if (password.empty()) return refuse(Status::InvalidArgument("password: enter your password"));
  if (password.size() > kMaxPasswordBytes || FindInvalidUtf8(password) != std::string_view::npos) {
    return refuse(Status::InvalidArgument(
        "password: a password is at most 1024 characters of UTF-8; check what was pasted"));
  }
  {
    std::lock_guard lock(mu_);
    const int64_t wait = std::max(valid_id ? WaitFor(user_failures_, id, now_ns) : 0,
                                  WaitFor(ip_failures_, address, now_ns));
    if (wait > 0) {
      out.retry_after_seconds = static_cast<int>((wait + kSecond - 1) / kSecond);
      const int n = out.retry_after_seconds;
      return refuse(Status::Unavailable("too many failed sign-ins: try again in " +
                                        std::to_string(n) + (n == 1 ? " second" : " seconds")));
    }
    // Counted now, cleared on success: attempts made at once each see the ones before.
    if (valid_id) CountFailure(user_failures_, id, options_.user_free_failures, now_ns);
    CountFailure(ip_failures_, address, options_.ip_free_failures, now_ns);
  }
  // An invalid id is no user's, and is checked (against nothing) all the same.
  if (!users_->CheckPassword(user_id, password)) {
    return refuse(Status::PermissionDenied(kWrongIdOrPassword));
  }
  auto user = users_->Find(id);
  if (!user.ok()) return refuse(Status::PermissionDenied(kWrongIdOrPassword));  // just removed
  auto session_id = RandomToken(kSessionIdBytes);
  auto csrf = RandomToken(kCsrfBytes);
  if (!session_id.ok()) return refuse(session_id.status());
  if (!csrf.ok()) return refuse(csrf.status());
  const std::string key = Sha256({*session_id});
  out.cookie_value = *session_id;
  out.session.user = user->id;
  out.session.role = user->role;
  out.session.csrf = *csrf;
  out.session.credential = SessionCredential(key);
  {
    std::lock_guard lock(mu_);
    ClearFailures(user_failures_, id);
    ClearFailures(ip_failures_, address);
    SweepSessions(now_ns);
    while (!by_recency_.empty() && sessions_.size() >= options_.max_sessions) {
      EndSession(by_recency_.back());
    }
    by_recency_.push_front(key);
    Live& live = sessions_[key];
    live.session = out.session;
    live.last_used_ns = now_ns;
    live.recency = by_recency_.begin();
  }
  Audit(id, RoleName(user->role), kVerbSignIn, client_ip, Status::Ok(), "password", now_ns);
  return out;
}

std::optional<WebSession> WebSessions::Find(std::string_view cookie_value, int64_t now_ns) {
  if (cookie_value.empty() || cookie_value.size() > kMaxCookieValue) return std::nullopt;
  const std::string key = Sha256({cookie_value});
  std::lock_guard lock(mu_);
  SweepSessions(now_ns);
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return std::nullopt;
  Live& live = it->second;
  if (now_ns - live.last_used_ns >= options_.idle_timeout_ns) {
    EndSession(key);
    return std::nullopt;
  }
  auto user = users_->Find(live.session.user);
  if (!user.ok() || user->role != live.session.role) {
    EndSession(key);  // removed, or another role now: sign in again to act in it
    return std::nullopt;
  }
  if (user->disabled) return std::nullopt;  // kept: works again if enabled before it idles out
  live.last_used_ns = std::max(live.last_used_ns, now_ns);
  by_recency_.splice(by_recency_.begin(), by_recency_, live.recency);
  return live.session;
}

void WebSessions::SignOut(std::string_view cookie_value, int64_t now_ns) {
  const std::string key = Sha256({cookie_value.substr(0, kMaxCookieValue)});
  std::optional<WebSession> ended;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(key);
    if (it != sessions_.end() && cookie_value.size() <= kMaxCookieValue) {
      ended = it->second.session;
      EndSession(key);
    }
  }
  if (ended) {
    Audit(ended->user, RoleName(ended->role), kVerbSignOut, "", Status::Ok(), ended->credential,
          now_ns);
  } else {
    Audit("", "", kVerbSignOut, "", Status::NotFound("no such session"), SessionCredential(key),
          now_ns);
  }
}

bool WebSessions::CheckCsrf(const WebSession& session, std::string_view token) const {
  return !session.csrf.empty() && token.size() == session.csrf.size() &&
         CRYPTO_memcmp(token.data(), session.csrf.data(), token.size()) == 0;
}

std::string WebSessions::CookieHeader(std::string_view value) const {
  return std::string(kCookieName) + "=" + std::string(value) +
         "; Path=/; Secure; HttpOnly; SameSite=Strict";
}

std::string WebSessions::ClearCookieHeader() const {
  return std::string(kCookieName) + "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0";
}

size_t WebSessions::LiveSessions() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

Result<std::string> RandomToken(size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
    return Status::Unavailable("the system's random number generator failed; try again");
  }
  return Base64Url(bytes);
}

}  // namespace holdfast
