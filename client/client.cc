#include "client/client.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

namespace holdfast {

Result<std::unique_ptr<Client>> Client::Connect(const std::string& path, Timeout timeout) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) {
    return Status::InvalidArgument("socket path " + path + " is too long (over " +
                                   std::to_string(sizeof(addr.sun_path) - 1) + " bytes)");
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError(std::string("socket: ") + std::strerror(errno));
  // A Unix socket's connect waits while the daemon's accept backlog is full (a stopped
  // daemon); SO_SNDTIMEO bounds that wait, after which it fails with EAGAIN.
  if (timeout.count() > 0) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>(timeout.count() % 1000 * 1000);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int err = errno;
    ::close(fd);
    if (err == EACCES || err == EPERM) {
      return Status::PermissionDenied(
          "permission denied on " + path +
          ": the socket is for the daemon's user and group; ask the operator to add you to it");
    }
    if (err == ENOENT || err == ECONNREFUSED) {
      return Status::Unavailable("no holdfastd is listening on " + path +
                                 ": start it with `holdfastd --config DIR/holdfast.conf`, or "
                                 "point --socket or HOLDFAST_SOCKET at the right node");
    }
    if (err == EAGAIN || err == EWOULDBLOCK) {
      return Status::Unavailable("holdfastd on " + path + " did not take the connection within " +
                                 DescribeTimeout(timeout) + " (is it stopped?)");
    }
    return Status::IoError("connecting to " + path + ": " + std::strerror(err));
  }
  return std::unique_ptr<Client>(new Client(fd, path, timeout));
}

Client::~Client() { ::close(fd_); }

bool Client::Wait(short events) {
  const int ms = timeout_.count() > 0 ? static_cast<int>(timeout_.count()) : -1;
  for (;;) {
    pollfd p{fd_, events, 0};
    int n = ::poll(&p, 1, ms);  // EINTR restarts the whole wait: a signal is not progress
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      timed_out_ = true;
      return false;
    }
    return true;  // ready, or an error the next send/recv reports
  }
}

Status Client::TimedOut() {
  return Status::Unavailable("holdfastd did not answer within " + DescribeTimeout(timeout_) +
                             " (is it stopped?)");
}

Result<std::unique_ptr<Frame>> Client::Call(capnp::MessageBuilder& request) {
  timed_out_ = false;
  const std::string frame = EncodeFrame(request);
  size_t sent = 0;
  while (sent < frame.size()) {
    if (!Wait(POLLOUT)) return TimedOut();
    ssize_t n = ::send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) return Status::Unavailable("the daemon on " + path_ + " closed the connection");
    sent += static_cast<size_t>(n);
  }
  return Next();
}

Result<std::unique_ptr<Frame>> Client::Next() {
  timed_out_ = false;
  char buf[64 * 1024];
  for (;;) {
    auto words = decoder_.Next();
    if (words.size() > 0) return Frame::Parse(std::move(words));
    if (!Wait(POLLIN)) return TimedOut();
    ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) {
      return Status::Unavailable("the daemon on " + path_ +
                                 " closed the connection before answering (did it stop?)");
    }
    HOLDFAST_RETURN_IF_ERROR(decoder_.Feed(buf, static_cast<size_t>(n)));
  }
}

std::string ErrorMessage(api::Response::Reader response) {
  if (!response.isError()) return "";
  return response.getError().getMessage();
}

std::string DescribeTimeout(Client::Timeout timeout) {
  std::ostringstream out;
  out << static_cast<double>(timeout.count()) / 1000.0 << " s";
  return out.str();
}

}  // namespace holdfast
