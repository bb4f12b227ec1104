// PLACEHOLDER until helper "auth" lands daemon/web/sessions.{h,cc} (the contract below).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/audit.h"
#include "daemon/users.h"

namespace holdfast::web {

struct WebSession {
  std::string user;
  schema::Role role = schema::Role::SYSTEM;
  std::string csrf;
  std::string credential;
};

struct SignInResult {
  Status status;
  std::string cookie_value;
  WebSession session;
  int retry_after_seconds = 0;
};

struct WebSessionOptions {
  int64_t idle_timeout_ns = int64_t{30} * 60 * 1000000000;
};

class WebSessions {
 public:
  WebSessions(Users* users, AuditLog* audit, WebSessionOptions options)
      : users_(users), audit_(audit), options_(options) {}
  static constexpr const char* kCookieName = "holdfast_session";
  SignInResult SignIn(std::string_view user_id, std::string_view password,
                      std::string_view client_ip, int64_t now_ns);
  std::optional<WebSession> Find(std::string_view cookie_value, int64_t now_ns);
  void SignOut(std::string_view cookie_value, int64_t now_ns);
  bool CheckCsrf(const WebSession& s, std::string_view token) const;
  std::string CookieHeader(std::string_view value) const;
  std::string ClearCookieHeader() const;

 private:
  Users* users_;
  AuditLog* audit_;
  WebSessionOptions options_;
  std::mutex mu_;
  std::map<std::string, std::pair<WebSession, int64_t>, std::less<>> sessions_;
};

}  // namespace holdfast::web
