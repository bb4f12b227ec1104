#include "bench/webhook_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace holdfast::bench {
namespace {

SSL_CTX* Context(void* ctx) { return static_cast<SSL_CTX*>(ctx); }

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The value of header `name` (lower case) in `head` (the request line and headers).
std::string Header(const std::string& head, const std::string& name) {
  size_t at = 0;
  while ((at = head.find("\r\n", at)) != std::string::npos) {
    at += 2;
    const size_t colon = head.find(':', at);
    const size_t end = head.find("\r\n", at);
    if (colon == std::string::npos || (end != std::string::npos && colon > end)) continue;
    if (Lower(head.substr(at, colon - at)) != name) continue;
    size_t from = colon + 1;
    while (from < head.size() && head[from] == ' ') ++from;
    return head.substr(from, (end == std::string::npos ? head.size() : end) - from);
  }
  return "";
}

}  // namespace

WebhookReceiver::WebhookReceiver(const std::string& cert_file, const std::string& key_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr || SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    Die("the web hook receiver cannot load " + cert_file + " and " + key_file);
  }
  ssl_ctx_ = ctx;
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Die("the web hook receiver cannot listen: " + std::string(std::strerror(errno)));
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

WebhookReceiver::~WebhookReceiver() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : connections_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : servers_) t.join();  // no new ones: the acceptor has ended
  SSL_CTX_free(Context(ssl_ctx_));
}

std::string WebhookReceiver::url() const {
  return "https://localhost:" + std::to_string(port_) + "/";
}

size_t WebhookReceiver::count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return deliveries_.size();
}

std::vector<Delivery> WebhookReceiver::Since(size_t from) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (from >= deliveries_.size()) return {};
  return std::vector<Delivery>(deliveries_.begin() + static_cast<ptrdiff_t>(from),
                               deliveries_.end());
}

std::optional<Clock::time_point> WebhookReceiver::WaitFor(
    size_t from, const std::function<bool(const Delivery&)>& match,
    Clock::time_point deadline) const {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    for (; from < deliveries_.size(); ++from) {
      if (match(deliveries_[from])) return deliveries_[from].arrived;
    }
    if (arrived_.wait_until(lock, deadline) == std::cv_status::timeout &&
        from == deliveries_.size()) {
      return std::nullopt;
    }
  }
}

void WebhookReceiver::Accept() {
  while (!stopping_) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // shut down
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard<std::mutex> lock(mu_);
    connections_.push_back(fd);
    servers_.emplace_back([this, fd] { Serve(fd); });
  }
}

void WebhookReceiver::Serve(int fd) {
  SSL* ssl = SSL_new(Context(ssl_ctx_));
  SSL_set_fd(ssl, fd);
  std::string in;
  char buffer[16384];
  auto fill = [&] {
    const int n = SSL_read(ssl, buffer, sizeof buffer);
    if (n <= 0) return false;
    in.append(buffer, static_cast<size_t>(n));
    return true;
  };
  // Requests one after another on the connection (keep-alive) until the client closes it.
  auto serve = [&] {
    for (;;) {
      size_t head_end;
      while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
        if (!fill()) return;
      }
      const std::string head = in.substr(0, head_end);
      const size_t length = std::strtoull(Header(head, "content-length").c_str(), nullptr, 10);
      while (in.size() < head_end + 4 + length) {
        if (!fill()) return;
      }
      Delivery d{Clock::now(), Header(head, "webhook-id"), in.substr(head_end + 4, length)};
      in.erase(0, head_end + 4 + length);
      {
        std::lock_guard<std::mutex> lock(mu_);
        deliveries_.push_back(std::move(d));
      }
      arrived_.notify_all();
      static const char kOk[] = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
      if (SSL_write(ssl, kOk, sizeof kOk - 1) <= 0) return;
    }
  };
  if (SSL_accept(ssl) == 1) serve();
  SSL_free(ssl);
  std::lock_guard<std::mutex> lock(mu_);
  connections_.erase(std::find(connections_.begin(), connections_.end(), fd));
  ::close(fd);
}

void AddWebHook(const BenchNode& node, const std::string& id, const WebhookReceiver& receiver,
                const std::string& ca_file) {
  // 32 fixed bytes in base64, as Standard Webhooks writes a secret.
  const std::string secret = node.dir() + "/" + id + ".secret";
  std::ofstream(secret, std::ios::trunc) << "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n";
  node.Cli({"hooks", "add", "--id", id, "--url", receiver.url(), "--secret-file", secret, "--ca",
            ca_file},
           "operator");
}

}  // namespace holdfast::bench
