#include "tests/sync/raw_peer.h"

#include <arpa/inet.h>
#include <capnp/serialize.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "eventstore/event.h"
#include "eventstore/ids.h"
#include "wire/frame.h"

namespace holdfast::synctest {
namespace {

using Clock = std::chrono::steady_clock;

std::string SslErrors() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += (out.empty() ? "" : "; ") + std::string(buf);
  }
  return out;
}

}  // namespace

std::string FrameHeader(uint32_t length) {
  std::string h(4, '\0');
  for (int i = 0; i < 4; ++i) h[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  return h;
}

std::string Frame(capnp::MessageBuilder& message) { return EncodeFrame(message); }

RawPeer::RawPeer(int port, const std::string& cert, const std::string& key) : port_(port) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (ctx_ == nullptr) throw std::runtime_error("SSL_CTX_new: " + SslErrors());
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);  // the node is on trial, not us
  if (!cert.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx_, cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM) != 1) {
      throw std::runtime_error("cannot load " + cert + " / " + key + ": " + SslErrors());
    }
  }
}

RawPeer::~RawPeer() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

bool RawPeer::WaitFd(short events, Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return false;
  pollfd p{fd_, events, 0};
  return ::poll(&p, 1, static_cast<int>(left)) > 0;
}

bool RawPeer::Handshake(std::chrono::milliseconds limit, std::string* error,
                        const std::function<void()>& on_server_flight) {
  bool flight_seen = false;
  const auto deadline = Clock::now() + limit;
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    *error = std::string("connect: ") + std::strerror(errno);
    return false;
  }
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, fd_);
  // With on_server_flight, the handshake's output goes to memory and out from there: the
  // hello at once, the answer to the node's flight only once the callback has run. This
  // client writes that answer only when it has read and processed the whole flight.
  BIO* held = nullptr;
  if (on_server_flight) {
    held = BIO_new(BIO_s_mem());
    SSL_set0_wbio(ssl_, held);  // the socket stays the read side
  }
  bool hello_sent = false;
  auto send_held = [&] {
    char buf[4096];
    int n;
    while ((n = BIO_read(held, buf, sizeof buf)) > 0) {
      for (int done = 0; done < n;) {
        const ssize_t w = ::send(fd_, buf + done, static_cast<size_t>(n - done), MSG_NOSIGNAL);
        if (w > 0) {
          done += static_cast<int>(w);
        } else if (!(w < 0 && (errno == EAGAIN || errno == EINTR) && WaitFd(POLLOUT, deadline))) {
          return false;
        }
      }
    }
    return true;
  };
  for (;;) {
    ERR_clear_error();
    const int rc = SSL_connect(ssl_);
    if (held != nullptr && BIO_ctrl_pending(held) > 0) {
      if (hello_sent && !flight_seen) {
        flight_seen = true;
        on_server_flight();
      }
      if (!send_held()) {
        *error = std::string("handshake: send: ") + std::strerror(errno);
        return false;
      }
      hello_sent = true;
    }
    if (rc == 1) {
      if (held != nullptr) SSL_set0_wbio(ssl_, BIO_new_socket(fd_, BIO_NOCLOSE));
      return true;
    }
    const int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_READ && WaitFd(POLLIN, deadline)) continue;
    if (err == SSL_ERROR_WANT_WRITE && WaitFd(POLLOUT, deadline)) continue;
    *error = err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE
                 ? "handshake timed out"
                 : "handshake failed: " + SslErrors();
    if (error->empty() || *error == "handshake failed: ") *error = "handshake failed (closed)";
    return false;
  }
}

bool RawPeer::Write(std::string_view bytes) {
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  size_t done = 0;
  while (done < bytes.size()) {
    ERR_clear_error();
    size_t written = 0;
    const int rc = SSL_write_ex(ssl_, bytes.data() + done, bytes.size() - done, &written);
    if (rc == 1) {
      done += written;
      continue;
    }
    const int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_WRITE && WaitFd(POLLOUT, deadline)) continue;
    if (err == SSL_ERROR_WANT_READ && WaitFd(POLLIN, deadline)) continue;
    return false;
  }
  return true;
}

void RawPeer::Reset(bool fin_first) {
  if (fd_ < 0) return;
  if (fin_first) ::shutdown(fd_, SHUT_WR);
  linger hard{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  ::close(fd_);
  fd_ = -1;
}

bool RawPeer::Send(capnp::MessageBuilder& message) { return Write(Frame(message)); }

bool RawPeer::HelloAndPull(const std::string& self) {
  capnp::MallocMessageBuilder hello;
  auto h = hello.initRoot<wire::Message>().initHello();
  h.setProtocol(wire::PROTOCOL_VERSION);
  h.setNodeId(self);
  capnp::MallocMessageBuilder pull;
  auto p = pull.initRoot<wire::Message>().initPull();
  p.setAfter(0);
  p.setMaxEvents(2000);
  return Send(hello) && Send(pull);
}

void RawPeer::Decode() {
  while (plaintext_.size() - decoded_ >= 4) {
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) {
      n |= static_cast<uint32_t>(static_cast<unsigned char>(plaintext_[decoded_ + i])) << (8 * i);
    }
    if (n % 8 != 0 || plaintext_.size() - decoded_ - 4 < n) return;
    auto words = kj::heapArray<capnp::word>(n / 8);
    std::memcpy(words.begin(), plaintext_.data() + decoded_ + 4, n);
    decoded_ += 4 + n;
    capnp::ReaderOptions options;
    options.traversalLimitInWords = 1u << 26;
    capnp::FlatArrayMessageReader reader(words.asPtr(), options);
    auto m = reader.getRoot<wire::Message>();
    switch (m.which()) {
      case wire::Message::HELLO:
        ++hellos_;
        break;
      case wire::Message::PULL: {
        ++pulls_;
        SeenPull seen{m.getPull().getAfter(), {}};
        for (auto c : m.getPull().getConflicts()) {
          for (unsigned i = 0; i < c.getSeqs().size() && i < c.getIds().size(); ++i) {
            seen.conflicts.push_back(std::string(c.getOrigin()) + " " +
                                     std::to_string(c.getSeqs()[i]) + " " +
                                     FormatUuid(ToUuid(c.getIds()[i])));
          }
        }
        seen_pulls_.push_back(std::move(seen));
        break;
      }
      case wire::Message::BATCH:
        ++batches_;
        for (auto e : m.getBatch().getEvents()) event_ids_.push_back(FormatUuid(ToUuid(e.getId())));
        break;
      case wire::Message::GOODBYE:
        close_reason_ = goodbye_ = m.getGoodbye();
        break;
    }
  }
}

RawPeer::ReadEnd RawPeer::Read(std::chrono::milliseconds limit,
                               const std::function<bool()>& enough) {
  const auto deadline = Clock::now() + limit;
  char buf[16384];
  for (;;) {
    if (enough && enough()) return ReadEnd::kEnough;
    ERR_clear_error();
    size_t n = 0;
    const int rc = SSL_read_ex(ssl_, buf, sizeof buf, &n);
    if (rc == 1) {
      plaintext_.append(buf, n);
      Decode();
      continue;
    }
    const int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      if (!WaitFd(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) {
        return ReadEnd::kTimedOut;
      }
      continue;
    }
    close_reason_ = err == SSL_ERROR_ZERO_RETURN ? "close_notify"
                    : err == SSL_ERROR_SYSCALL   ? "connection closed"
                                                 : "TLS error: " + SslErrors();
    return ReadEnd::kClosed;
  }
}

}  // namespace holdfast::synctest
