#include "tests/sync/cut_proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace holdfast::synctest {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

// Writes all of it (the sockets are blocking for writes; both nodes always read).
bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

CutProxy::CutProxy(int target_port) : target_port_(target_port) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof addr;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener_, 16) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      ::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::runtime_error(std::string("CutProxy: ") + std::strerror(errno));
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Loop(); });
}

CutProxy::~CutProxy() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  Wake();
  thread_.join();
  for (auto& p : pairs_) ClosePair(&p);
  ::close(listener_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

// A write that fails finds the pipe full, so a wake-up is already waiting: it is let go.
void CutProxy::Wake() { (void)!::write(wake_[1], "x", 1); }

void CutProxy::CutNextAfter(uint64_t bytes) {
  std::lock_guard<std::mutex> l(mu_);
  next_limit_ = bytes;
}

void CutProxy::DropAll() {
  {
    std::lock_guard<std::mutex> l(mu_);
    drop_all_ = true;
  }
  Wake();
}

void CutProxy::Hold(bool on) {
  {
    std::lock_guard<std::mutex> l(mu_);
    hold_ = on;
  }
  Wake();
}

void CutProxy::Partition(bool on) {
  {
    std::lock_guard<std::mutex> l(mu_);
    partitioned_ = on;
    if (on) drop_all_ = true;
  }
  Wake();
}

CutProxy::Stats CutProxy::stats() {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

void CutProxy::ClosePair(Pair* p) {
  if (p->a >= 0) ::close(p->a);
  if (p->b >= 0) ::close(p->b);
  p->a = p->b = -1;
}

void CutProxy::Loop() {
  char buf[16384];
  for (;;) {
    bool hold = false;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stop_) return;
      hold = hold_;
      if (drop_all_) {
        for (auto& p : pairs_) ClosePair(&p);
        drop_all_ = false;
      }
    }
    pairs_.erase(
        std::remove_if(pairs_.begin(), pairs_.end(), [](const Pair& p) { return p.a < 0; }),
        pairs_.end());
    std::vector<pollfd> fds = {{wake_[0], POLLIN, 0}, {listener_, POLLIN, 0}};
    for (const auto& p : pairs_) {
      if (hold) break;
      fds.push_back({p.a, POLLIN, 0});
      fds.push_back({p.b, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), 1000) <= 0) continue;
    if (fds[0].revents) {
      while (::read(wake_[0], buf, sizeof buf) > 0) {
      }
    }
    if (fds[1].revents & POLLIN) {
      const int a = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      bool refuse = false;
      if (a >= 0) {
        std::lock_guard<std::mutex> l(mu_);
        refuse = partitioned_;
        if (refuse) ++stats_.refused;
      }
      if (a >= 0 && refuse) {
        ::close(a);
      } else if (a >= 0) {
        const int b = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in target = Loopback(target_port_);
        if (::connect(b, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
          ::close(a);
          ::close(b);
        } else {
          Pair p;
          p.a = a;
          p.b = b;
          std::lock_guard<std::mutex> l(mu_);
          ++stats_.accepted;
          p.limit = next_limit_;
          next_limit_.reset();
          pairs_.push_back(p);
        }
      }
    }
    for (size_t i = 0; i < pairs_.size() && 2 + 2 * i + 1 < fds.size(); ++i) {
      Pair& p = pairs_[i];
      for (int side = 0; side < 2 && p.a >= 0; ++side) {
        const pollfd& f = fds[2 + 2 * i + side];
        if (f.revents == 0) continue;
        const int from = side == 0 ? p.a : p.b, to = side == 0 ? p.b : p.a;
        size_t want = sizeof buf;
        if (p.limit) want = std::min<uint64_t>(want, *p.limit - p.moved);
        const ssize_t n = want == 0 ? 0 : ::recv(from, buf, want, 0);
        if (n <= 0 || !WriteAll(to, buf, static_cast<size_t>(n))) {
          ClosePair(&p);
          break;
        }
        p.moved += static_cast<uint64_t>(n);
        if (p.limit && p.moved >= *p.limit) {
          ClosePair(&p);
          std::lock_guard<std::mutex> l(mu_);
          ++stats_.cut;
          stats_.last_cut_total = p.moved;
          break;
        }
      }
    }
  }
}

}  // namespace holdfast::synctest
