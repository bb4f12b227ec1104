// PLACEHOLDER until helper "auth" lands the real sessions (lockout, audit, hashing ids).
#include "daemon/web/sessions.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

namespace holdfast::web {
namespace {
std::string RandomHex() {
  unsigned char b[16];
  RAND_bytes(b, sizeof b);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned char c : b) {
    s += hex[c >> 4];
    s += hex[c & 15];
  }
  return s;
}
}  // namespace

SignInResult WebSessions::SignIn(std::string_view user_id, std::string_view password,
                                 std::string_view, int64_t now_ns) {
  SignInResult r;
  if (!users_->CheckPassword(user_id, password)) {
    r.status = Status::PermissionDenied("the user id or password is not right");
    return r;
  }
  auto user = users_->Find(user_id);
  if (!user.ok()) {
    r.status = user.status();
    return r;
  }
  r.cookie_value = RandomHex();
  r.session =
      WebSession{user->id, user->role, RandomHex(), "session " + r.cookie_value.substr(0, 8)};
  std::lock_guard lock(mu_);
  sessions_[r.cookie_value] = {r.session, now_ns};
  return r;
}

std::optional<WebSession> WebSessions::Find(std::string_view cookie_value, int64_t now_ns) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(cookie_value);
  if (it == sessions_.end()) return std::nullopt;
  if (now_ns - it->second.second > options_.idle_timeout_ns ||
      !users_->StillActs(it->second.first.user, it->second.first.role).ok()) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.second = now_ns;
  return it->second.first;
}

void WebSessions::SignOut(std::string_view cookie_value, int64_t) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(cookie_value);
  if (it != sessions_.end()) sessions_.erase(it);
}

bool WebSessions::CheckCsrf(const WebSession& s, std::string_view token) const {
  return token.size() == s.csrf.size() &&
         CRYPTO_memcmp(token.data(), s.csrf.data(), token.size()) == 0;
}

std::string WebSessions::CookieHeader(std::string_view value) const {
  return std::string(kCookieName) + "=" + std::string(value) +
         "; Path=/; HttpOnly; Secure; SameSite=Strict";
}

std::string WebSessions::ClearCookieHeader() const {
  return std::string(kCookieName) + "=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0";
}

}  // namespace holdfast::web
