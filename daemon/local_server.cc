#include "daemon/local_server.h"

#include <errno.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>

#include "daemon/rights.h"
#include "wire/frame.h"

namespace holdfast {
namespace {

constexpr size_t kMaxQueuedRequests = 16;  // per connection, before reading pauses
// A listing's pages wait while this many bytes of earlier ones are not yet written to the
// client, and the listing stops when the client has taken none of them for kMaxStall.
constexpr size_t kMaxUnwrittenPageBytes = 4u << 20;
constexpr auto kMaxStall = std::chrono::minutes(10);

std::string ErrorFrame(api::Error::Code code, const std::string& message) {
  capnp::MallocMessageBuilder m;
  auto error = m.initRoot<api::Response>().initError();
  error.setCode(code);
  error.setMessage(OneLine(message));  // it may quote a capnp complaint about the input
  return EncodeFrame(m);
}

// Writes this process's id into the socket's lock file, for a person looking for the holder.
// The lock is what counts, so a write that fails is let go.
void WritePid(int fd) {
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
}

}  // namespace

// The pages of a listing in flight to one client: the worker thread that lists waits on
// this while the loop thread writes. Lives as long as its connection.
struct LocalServer::PageFlow {
  std::mutex mu;
  std::condition_variable cv;
  size_t unwritten = 0;  // bytes of pages posted and not yet written to the socket
  uint64_t written = 0;  // pages written so far (the client is making progress)
  bool gone = false;     // the client cannot be written to, or the daemon is stopping

  // Called by the worker before posting a page of `bytes`; false when the listing must stop.
  bool Reserve(size_t bytes) {
    std::unique_lock<std::mutex> l(mu);
    uint64_t seen = written;
    auto waiting_since = std::chrono::steady_clock::now();
    while (!gone && unwritten > 0 && unwritten + bytes > kMaxUnwrittenPageBytes) {
      cv.wait_for(l, std::chrono::seconds(1));
      const auto now = std::chrono::steady_clock::now();
      if (written != seen) {
        seen = written;
        waiting_since = now;
      } else if (now - waiting_since > kMaxStall) {
        return false;
      }
    }
    if (gone) return false;
    unwritten += bytes;
    return true;
  }
  // Called on the loop thread when a page has been written (ok) or dropped.
  void Written(size_t bytes, bool ok) {
    std::lock_guard<std::mutex> l(mu);
    unwritten -= bytes;
    ++written;
    if (!ok) gone = true;
    cv.notify_all();
  }
  void Abandon() {
    std::lock_guard<std::mutex> l(mu);
    gone = true;
    cv.notify_all();
  }
};

struct LocalServer::WriteRequest {
  uv_write_t req;
  std::string bytes;
  PageFlow* flow = nullptr;  // set for a listing's page: its bytes are counted there
};

struct LocalServer::Connection : public ResponseChannel {
  uv_pipe_t pipe{};
  LocalServer* server = nullptr;
  uint64_t id = 0;
  PageFlow flow;
  void SendInterim(capnp::MessageBuilder& message) override {
    server->Post(id, EncodeFrame(message));
  }
  bool SendPage(capnp::MessageBuilder& message) override {
    std::string frame = EncodeFrame(message);
    if (!flow.Reserve(frame.size())) return false;
    server->Post(id, std::move(frame), /*page=*/true);
    return true;
  }
  int64_t peer_uid = -1;  // SO_PEERCRED at accept; -1 when the kernel would not say
  void Follow() override { following = true; }
  bool Gone() override {
    std::lock_guard<std::mutex> l(flow.mu);
    return flow.gone;
  }
  std::atomic<bool> following{false};  // the client's end-of-file ends its request
  FrameDecoder decoder;
  std::deque<kj::Array<capnp::word>> queued;
  bool reading = false;
  bool busy = false;     // a request is on the thread pool
  bool closing = false;  // no more requests; close once idle
  bool closed = false;
  // The request on the thread pool and its answer.
  uv_work_t work{};
  kj::Array<capnp::word> request;
  std::string response;
  char read_buffer[64 * 1024];
};

Result<std::unique_ptr<SocketPathLock>> SocketPathLock::Acquire(const std::string& socket_path) {
  const std::string path = socket_path + ".lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  // Another user's file still locks (flock works on a read-only descriptor).
  if (fd < 0 && errno == EACCES) fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::IoError("cannot open " + path +
                           " to lock the socket path: " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char pid[32] = {};
    const ssize_t n = ::pread(fd, pid, sizeof pid - 1, 0);
    ::close(fd);
    if (error != EWOULDBLOCK) {
      return Status::IoError("cannot lock " + path + ": " + std::strerror(error));
    }
    std::string holder = n > 0 ? std::string(pid, static_cast<size_t>(n)) : "";
    holder.erase(
        std::remove_if(holder.begin(), holder.end(), [](char c) { return c < '0' || c > '9'; }),
        holder.end());
    return Status::IoError("socket " + socket_path + " is in use by another holdfastd (pid " +
                           (holder.empty() ? "unknown" : holder) +
                           "): stop it, or give this node another node.socket");
  }
  WritePid(fd);
  return std::unique_ptr<SocketPathLock>(new SocketPathLock(fd));
}

SocketPathLock::~SocketPathLock() { ::close(fd_); }

Status LocalServer::Listen(const std::string& path) {
  path_ = path;
  uv_pipe_init(loop_, &pipe_, 0);
  pipe_.data = this;
  // The caller holds the path's SocketPathLock, so a socket file left here is a stale one.
  ::unlink(path.c_str());
  int rc = uv_pipe_bind(&pipe_, path.c_str());
  if (rc == 0 && ::chmod(path.c_str(), 0660) != 0) rc = -errno;
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&pipe_), 128, OnConnection);
  if (rc != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&pipe_), nullptr);
    pipe_closed_ = true;
    return Status::IoError("cannot listen on " + path + ": " + uv_strerror(rc));
  }
  uv_async_init(loop_, &async_, OnAsync);
  async_.data = this;
  listening_ = true;
  return Status::Ok();
}

void LocalServer::Post(uint64_t connection, std::string frame, bool page, bool close_after) {
  {
    std::lock_guard<std::mutex> l(outbox_mu_);
    outbox_.push_back({connection, std::move(frame), page, close_after});
  }
  uv_async_send(&async_);
}

void LocalServer::OnAsync(uv_async_t* async) {
  static_cast<LocalServer*>(async->data)->DrainOutbox();
}

void LocalServer::DrainOutbox() {
  std::vector<Outgoing> out;
  {
    std::lock_guard<std::mutex> l(outbox_mu_);
    out.swap(outbox_);
  }
  for (auto& o : out) {
    auto it = by_id_.find(o.connection);
    if (it == by_id_.end()) continue;  // a page's connection stays until its listing ends
    Connection* c = it->second;
    if (c->closed) {
      if (o.page) c->flow.Written(o.frame.size(), false);
      continue;
    }
    Send(c, std::move(o.frame), o.close_after, o.page);
  }
}

void LocalServer::OnConnection(uv_stream_t* listener, int status) {
  auto* self = static_cast<LocalServer*>(listener->data);
  if (status < 0) {
    spdlog::warn("local socket: accept failed: {}", uv_strerror(status));
    return;
  }
  auto* c = new Connection();
  c->server = self;
  uv_pipe_init(self->loop_, &c->pipe, 0);
  c->pipe.data = c;
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&c->pipe)) != 0 || self->stopping_) {
    c->closed = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&c->pipe),
             [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); });
    return;
  }
  // Who is at the other end: the kernel's word for it (SO_PEERCRED), read once, at accept.
  uv_os_fd_t fd = -1;
  struct ucred cred {};
  socklen_t cred_size = sizeof cred;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&c->pipe), &fd) == 0 &&
      getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_size) == 0 && cred_size == sizeof cred) {
    c->peer_uid = cred.uid;
  }
  self->connections_.insert(c);
  c->id = self->next_id_++;
  self->by_id_[c->id] = c;
  c->reading = true;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&c->pipe), OnAlloc, OnRead);
}

void LocalServer::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(handle->data);
  *buf = uv_buf_init(c->read_buffer, sizeof c->read_buffer);
}

void LocalServer::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(stream->data);
  LocalServer* self = c->server;
  if (nread == 0) return;
  if (nread < 0) {  // EOF or error: answer nothing more
    c->closing = true;
    // A listing in flight cannot reach the client; a feed it follows has no one to read it.
    if (nread != UV_EOF || c->following) c->flow.Abandon();
    if (!c->busy) self->Close(c);
    return;
  }
  Status s = c->decoder.Feed(buf->base, static_cast<size_t>(nread));
  for (auto words = c->decoder.Next(); words.size() > 0; words = c->decoder.Next()) {
    c->queued.push_back(std::move(words));
  }
  if (!s.ok()) {
    spdlog::warn("local socket: dropping a client: {}", s.message());
    c->queued.clear();
    uv_read_stop(stream);
    c->reading = false;
    c->closing = true;
    if (!c->busy) self->Send(c, ErrorFrame(api::Error::Code::INVALID_ARGUMENT, s.message()), true);
    return;
  }
  if (c->queued.size() >= kMaxQueuedRequests) {
    uv_read_stop(stream);
    c->reading = false;
  }
  self->Dispatch(c);
}

void LocalServer::Dispatch(Connection* c) {
  if (c->busy || c->closed || c->queued.empty()) return;
  c->busy = true;
  c->request = std::move(c->queued.front());
  c->queued.pop_front();
  c->work.data = c;
  uv_queue_work(loop_, &c->work, OnWork, OnAfterWork);
  if (!c->reading && !c->closing && c->queued.size() < kMaxQueuedRequests / 2) {
    c->reading = true;
    uv_read_start(reinterpret_cast<uv_stream_t*>(&c->pipe), OnAlloc, OnRead);
  }
}

std::string AnswerRequestFrame(RequestHandler* handler, kj::Array<capnp::word> request,
                               ResponseChannel* channel, int64_t peer_uid) {
  auto frame = Frame::Parse(std::move(request));
  if (!frame.ok()) {
    return ErrorFrame(api::Error::Code::INVALID_ARGUMENT,
                      "malformed request: " + frame.status().message());
  }
  capnp::MallocMessageBuilder message;
  auto response = message.initRoot<api::Response>();
  try {
    handler->Handle((*frame)->root<api::Request>(), response, channel, peer_uid);
    return EncodeFrame(message);
  } catch (const kj::Exception& ex) {
    return ErrorFrame(api::Error::Code::INVALID_ARGUMENT,
                      std::string("malformed request: ") + ex.getDescription().cStr());
  }
}

void LocalServer::OnWork(uv_work_t* req) {
  auto* c = static_cast<Connection*>(req->data);
  c->response = AnswerRequestFrame(c->server->handler_, std::move(c->request), c, c->peer_uid);
}

void LocalServer::OnAfterWork(uv_work_t* req, int) {
  auto* c = static_cast<Connection*>(req->data);
  c->busy = false;
  LocalServer* self = c->server;
  if (c->closed) return;
  self->DrainOutbox();  // interim frames of this request go before its answer
  self->Send(c, std::move(c->response), false);
  if (c->closing) {
    self->Close(c);
  } else {
    self->Dispatch(c);
  }
}

void LocalServer::Send(Connection* c, std::string frame, bool close_after, bool page) {
  auto* w = new WriteRequest();
  w->bytes = std::move(frame);
  w->req.data = w;
  w->flow = page ? &c->flow : nullptr;
  uv_buf_t buf = uv_buf_init(w->bytes.data(), static_cast<unsigned>(w->bytes.size()));
  int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&c->pipe), &buf, 1,
                    [](uv_write_t* req, int status) {
                      auto* done = static_cast<WriteRequest*>(req->data);
                      if (done->flow) done->flow->Written(done->bytes.size(), status == 0);
                      delete done;
                    });
  if (rc != 0) {
    if (w->flow) w->flow->Written(w->bytes.size(), false);
    delete w;
  }
  if (close_after) Close(c);
}

void LocalServer::Close(Connection* c) {
  if (c->closed) return;
  c->closed = true;
  connections_.erase(c);
  by_id_.erase(c->id);
  // uv_close would cancel queued writes: shut the write side down first, which waits for
  // them, so the last response (often an error) reaches the client.
  auto* shutdown = new uv_shutdown_t();
  shutdown->data = c;
  int rc =
      uv_shutdown(shutdown, reinterpret_cast<uv_stream_t*>(&c->pipe), [](uv_shutdown_t* req, int) {
        auto* conn = static_cast<Connection*>(req->data);
        delete req;
        uv_close(reinterpret_cast<uv_handle_t*>(&conn->pipe), [](uv_handle_t* h) {
          auto* done = static_cast<Connection*>(h->data);
          LocalServer* server = done->server;
          delete done;
          server->MaybeFinishShutdown();
        });
      });
  if (rc != 0) {
    delete shutdown;
    uv_close(reinterpret_cast<uv_handle_t*>(&c->pipe), [](uv_handle_t* h) {
      auto* done = static_cast<Connection*>(h->data);
      LocalServer* server = done->server;
      delete done;
      server->MaybeFinishShutdown();
    });
  }
}

void LocalServer::Shutdown(std::function<void()> done) {
  stopping_ = true;
  on_shutdown_ = std::move(done);
  if (listening_ && !pipe_closed_) {
    pipe_closed_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&pipe_), [](uv_handle_t* h) {
      auto* self = static_cast<LocalServer*>(h->data);
      ::unlink(self->path_.c_str());
      self->listening_ = false;
      self->MaybeFinishShutdown();
    });
  }
  std::vector<Connection*> all(connections_.begin(), connections_.end());
  for (Connection* c : all) {
    c->closing = true;
    c->queued.clear();
    c->flow.Abandon();  // a listing in flight stops at its next page; other requests finish
    if (!c->busy) Close(c);
  }
  MaybeFinishShutdown();
}

void LocalServer::MaybeFinishShutdown() {
  if (!stopping_ || listening_ || !connections_.empty() || !on_shutdown_) return;
  auto done = std::move(on_shutdown_);
  on_shutdown_ = nullptr;
  done();
}

}  // namespace holdfast
