// A real HTTPS web hook receiver inside the benchmark process, so that the moment a delivery
// arrives is read on the benchmark's own steady clock (no pipe or second process between the
// arrival and its timestamp). It serves 127.0.0.1 with a certificate and key (ops/make-node-cert
// for "localhost"), a thread per connection, HTTP/1.1 keep-alive; each POST is timestamped once
// its body has been read whole, kept, and answered 200 with an empty body.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_node.h"
#include "bench/subprocess.h"

namespace holdfast::bench {

struct Delivery {
  Clock::time_point arrived;  // when the request's body had been read whole
  std::string webhook_id;     // the webhook-id header
  std::string body;
};

class WebhookReceiver {
 public:
  // Listens on a free port of 127.0.0.1; dies if the certificate or the socket cannot be had.
  WebhookReceiver(const std::string& cert_file, const std::string& key_file);
  ~WebhookReceiver();  // closes every connection and joins the threads
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  int port() const { return port_; }
  // "https://localhost:PORT/" (the certificate names localhost).
  std::string url() const;

  size_t count() const;
  // Deliveries [from, count()) as they are now.
  std::vector<Delivery> Since(size_t from) const;
  // Waits until a delivery after index `from` satisfies `match`, or `deadline`; returns its
  // arrival time, or nullopt.
  std::optional<Clock::time_point> WaitFor(size_t from,
                                           const std::function<bool(const Delivery&)>& match,
                                           Clock::time_point deadline) const;

 private:
  void Accept();
  void Serve(int fd);

  void* ssl_ctx_ = nullptr;  // SSL_CTX
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  mutable std::mutex mu_;
  mutable std::condition_variable arrived_;
  std::vector<Delivery> deliveries_;
  std::vector<int> connections_;
  std::vector<std::thread> servers_;
};

// Adds web hook `id` on `node` (as its operator) delivering every alert change to `receiver`,
// signed with a fixed secret written into the node's directory, trusting `ca_file`.
void AddWebHook(const BenchNode& node, const std::string& id, const WebhookReceiver& receiver,
                const std::string& ca_file);

}  // namespace holdfast::bench
