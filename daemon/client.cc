#include "daemon/client.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace holdfast {

Result<std::unique_ptr<Client>> Client::Connect(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) {
    return Status::InvalidArgument("socket path " + path + " is too long (over " +
                                   std::to_string(sizeof(addr.sun_path) - 1) + " bytes)");
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError(std::string("socket: ") + std::strerror(errno));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
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
    return Status::IoError("connecting to " + path + ": " + std::strerror(err));
  }
  return std::unique_ptr<Client>(new Client(fd, path));
}

Client::~Client() { ::close(fd_); }

Result<std::unique_ptr<Frame>> Client::Call(capnp::MessageBuilder& request) {
  const std::string frame = EncodeFrame(request);
  size_t sent = 0;
  while (sent < frame.size()) {
    ssize_t n = ::send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::Unavailable("the daemon on " + path_ + " closed the connection");
    sent += static_cast<size_t>(n);
  }
  return Next();
}

Result<std::unique_ptr<Frame>> Client::Next() {
  char buf[64 * 1024];
  for (;;) {
    auto words = decoder_.Next();
    if (words.size() > 0) return Frame::Parse(std::move(words));
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
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

}  // namespace holdfast
