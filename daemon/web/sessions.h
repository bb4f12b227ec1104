// Sign-in to the web front end (SPEC "Users, roles and rights"; issue 16, point 2): a
// password checked against the node's users (daemon/users.h), a session cookie, a CSRF
// token per session, a growing delay after failed sign-ins, sign-out. docs/web-sign-in.md
// is the operator's guide.
//
// Sessions are kept in memory only: a restart of holdfastd signs everyone out. The cookie
// carries a session id (32 random bytes, base64url); the node keeps only the id's SHA-256,
// so a copy of its memory does not hold a cookie that works. A session ends when it has not
// been used for the idle timeout, on sign-out, when the user's role changes, or when more
// than max_sessions are live (the least recently used goes). While its user is disabled a
// session does not work (Find refuses it at once); enabled again within the idle timeout it
// works again, as the user's API token does (Users::SetDisabled).
//
// Failed sign-ins: after user_free_failures consecutive failures for one user id, that id is
// refused without its password being checked for 2^(failures - user_free_failures) seconds
// (1, 2, 4, ... at most max_delay); a success resets it. The same is kept per client address
// with a larger allowance (ip_free_failures), so that guessing across many ids is slowed
// too. An attempt counts as failed from the moment its check begins (a success then clears
// it), so attempts made at once cannot slip past the count. Ids that do not exist are
// counted exactly as ids that do, and take as long to refuse, so neither the message, the
// delay nor the time tells which ids exist.
//
// Every sign-in, allowed or refused, and every sign-out is written to the audit log: verb
// "sign-in" / "sign-out", the user id (when it is a valid id), the client address as the
// target (sign-in), credential "password" (sign-in) or the session's credential (sign-out), outcome
// "ok" or the refusal's code.
//
// Times are given (unix nanoseconds), never read here, so tests control the clock.
// Thread-safe. SignIn is slow on purpose (a password hash, tens of milliseconds): not for an
// event loop's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "daemon/audit.h"
#include "daemon/users.h"
#include "eventstore/status.h"

namespace holdfast {

struct WebSessionOptions {
  int64_t idle_timeout_ns = int64_t{30} * 60 * 1'000'000'000;  // 30 minutes
  size_t max_sessions = 10'000;
  int user_free_failures = 3;  // consecutive failures for one id before it waits
  int ip_free_failures = 10;   // consecutive failures from one address before it waits
  int64_t max_delay_ns = int64_t{15} * 60 * 1'000'000'000;  // the longest wait: 15 minutes
  // A count of failures is forgotten this long after its last failure (and the oldest are
  // forgotten first once max_tracked ids or addresses are counted).
  int64_t failure_memory_ns = int64_t{24} * 3600 * 1'000'000'000;
  size_t max_tracked = 100'000;
};

struct WebSession {
  std::string user;
  schema::Role role = schema::Role::SYSTEM;
  std::string csrf;  // the token every form of this session carries (base64url)
  // How the audit log names the session: "session " and the first 8 hex digits of the
  // SHA-256 of its id (never the id).
  std::string credential;
};

struct SignInResult {
  // Ok, or why not, in a line a person can act on: "the user id or password is not right"
  // (PermissionDenied, for a wrong password, an unknown or disabled id alike), "too many
  // failed sign-ins: try again in N seconds" (Unavailable), or InvalidArgument naming the
  // field ("user id: ...", "password: ...").
  Status status;
  std::string cookie_value;     // the session id, for CookieHeader (only when ok)
  WebSession session;           // only when ok
  int retry_after_seconds = 0;  // when refused for too many failures: when to try again
};

// `n` random bytes (OpenSSL's RAND_bytes) as base64url without padding: the session ids, the
// CSRF tokens and the sign-in form's token. Unavailable when the generator fails.
Result<std::string> RandomToken(size_t n);

class WebSessions {
 public:
  static constexpr const char* kCookieName = "holdfast_session";
  // The longest password looked at; longer ones are refused before any hashing.
  static constexpr size_t kMaxPasswordBytes = 1024;

  // `users` and `audit` must outlive this.
  WebSessions(const Users* users, AuditLog* audit, WebSessionOptions options = {});

  // Checks the password of `user_id` and, when it is right, starts a session. Refused
  // before the password is hashed: an empty id or password, a password of invalid UTF-8 or
  // over kMaxPasswordBytes, an id or address that must still wait. Audited either way.
  SignInResult SignIn(std::string_view user_id, std::string_view password,
                      std::string_view client_ip, int64_t now_ns);

  // The session a cookie names, its idle time restarted; nullopt when it names none, the
  // session has been idle for the idle timeout or longer, or its user is disabled or has
  // another role now (the session then ends; a disabled user's stays, unusable, until it
  // idles out or the user is enabled).
  std::optional<WebSession> Find(std::string_view cookie_value, int64_t now_ns);

  // Ends the session the cookie names (if any). Audited, with outcome "not found" when it
  // named none (already ended, or never was).
  void SignOut(std::string_view cookie_value, int64_t now_ns);

  // True when `token` is the session's CSRF token (a constant-time compare).
  bool CheckCsrf(const WebSession& session, std::string_view token) const;

  // A Set-Cookie header's value carrying `value`: HttpOnly, Secure, SameSite=Strict,
  // Path=/, no Max-Age or Expires (the browser forgets it when it closes; the idle timeout
  // is kept here).
  std::string CookieHeader(std::string_view value) const;
  // A Set-Cookie header's value that removes the cookie (sign-out).
  std::string ClearCookieHeader() const;

  // How many sessions are live (some may have idled out and not yet been swept).
  size_t LiveSessions() const;

 private:
  struct Live {
    WebSession session;
    int64_t last_used_ns = 0;
    std::list<std::string>::iterator recency;  // in by_recency_
  };
  struct Failures {
    int count = 0;
    int64_t last_ns = 0;
    int64_t wait_until_ns = 0;
    std::list<std::string>::iterator recency;
  };
  // Failure counts by key (user id or address), the least recently failed last.
  struct FailureBook {
    std::unordered_map<std::string, Failures> by_key;
    std::list<std::string> by_recency;  // most recent first
  };

  void Audit(const std::string& user, const std::string& role, const char* verb,
             std::string_view client_ip, const Status& status, const std::string& credential,
             int64_t now_ns);
  // mu_ held. The wait still due for `key` in `book`, in ns (0: none).
  int64_t WaitFor(FailureBook& book, const std::string& key, int64_t now_ns);
  // mu_ held. Counts one failure for `key`; after `free` of them it must wait.
  void CountFailure(FailureBook& book, const std::string& key, int free, int64_t now_ns);
  void ClearFailures(FailureBook& book, const std::string& key);  // mu_ held
  void SweepSessions(int64_t now_ns);                             // mu_ held
  void EndSession(const std::string& key);                        // mu_ held

  const Users* users_;
  AuditLog* audit_;
  const WebSessionOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Live> sessions_;  // by the SHA-256 of the id (raw bytes)
  std::list<std::string> by_recency_;               // session keys, most recently used first
  FailureBook user_failures_, ip_failures_;
};

}  // namespace holdfast
