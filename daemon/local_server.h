// LocalServer: the daemon's Unix-socket listener for the CLI, on one libuv loop.
//
// Each connection is read into a FrameDecoder; each complete request runs on libuv's
// thread pool (uv_queue_work) so a slow request (an fsync, a large export) never stalls the
// loop or other clients; its response is written back on the loop thread. One request per
// connection is in flight at a time, so responses keep request order. A listing's pages
// (ResponseChannel::SendPage) are written as they come, and its worker waits while 4 MiB
// of them are unwritten, so a slow reader holds one worker, not the whole listing in memory.
// A frame that breaks the framing (oversized, not whole words) gets an error response and
// the connection is closed; an undecodable message gets an error response only.
#pragma once

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "daemon/handler.h"
#include "eventstore/status.h"

namespace holdfast {

// Holds `<socket>.lock` (flock) while it lives: one socket path, one daemon. Without it, a
// second daemon configured with another data directory but the same socket path would
// take the socket file over and leave the first one unreachable. The lock file holds the
// holder's pid and is left in place (removing it would let two daemons lock two files).
class SocketPathLock {
 public:
  // Takes the lock without waiting. IoError "socket PATH is in use by another holdfastd
  // (pid N)" when another process holds it; IoError naming the file when it cannot be
  // opened.
  static Result<std::unique_ptr<SocketPathLock>> Acquire(const std::string& socket_path);
  ~SocketPathLock();  // releases it
  SocketPathLock(const SocketPathLock&) = delete;
  SocketPathLock& operator=(const SocketPathLock&) = delete;

 private:
  explicit SocketPathLock(int fd) : fd_(fd) {}
  int fd_;
};

// Answers one request frame (the words FrameDecoder::Next gave) as the server does, for the
// Unix account `peer_uid` at the socket's other end: the response's frame bytes; an error
// response when the words are not a Request message. Never throws. The server runs it on
// the thread pool; tests/fuzz calls it directly.
std::string AnswerRequestFrame(RequestHandler* handler, kj::Array<capnp::word> request,
                               ResponseChannel* channel, int64_t peer_uid);

class LocalServer {
 public:
  LocalServer(uv_loop_t* loop, RequestHandler* handler) : loop_(loop), handler_(handler) {}
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  // Binds the socket (replacing a stale socket file), makes it 0660 and listens. Note: the
  // caller must hold the path's SocketPathLock, which is what makes a socket file found
  // there a stale one.
  Status Listen(const std::string& path);
  // Stops accepting, lets in-flight requests finish and answer, closes every connection,
  // then calls `done` on the loop thread.
  void Shutdown(std::function<void()> done);
  size_t connections() const { return connections_.size(); }

 private:
  struct Connection;
  struct PageFlow;
  struct WriteRequest;
  static void OnConnection(uv_stream_t* server, int status);
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWork(uv_work_t* req);
  static void OnAfterWork(uv_work_t* req, int status);
  void Dispatch(Connection* c);
  // `page`: a listing's page, counted in the connection's PageFlow until written.
  void Send(Connection* c, std::string frame, bool close_after, bool page = false);
  void Close(Connection* c);
  void MaybeFinishShutdown();
  // Queues a frame for a connection from any thread; the loop thread writes it.
  // `close_after`: the connection is closed once the frame is written.
  void Post(uint64_t connection, std::string frame, bool page = false, bool close_after = false);
  static void OnAsync(uv_async_t* async);
  void DrainOutbox();

  struct Outgoing {
    uint64_t connection;
    std::string frame;
    bool page = false;
    bool close_after = false;
  };
  uv_async_t async_{};
  std::mutex outbox_mu_;  // guards outbox_
  std::vector<Outgoing> outbox_;
  std::map<uint64_t, Connection*> by_id_;  // loop thread only
  uint64_t next_id_ = 1;

  uv_loop_t* loop_;
  RequestHandler* handler_;
  uv_pipe_t pipe_{};
  bool listening_ = false;
  bool stopping_ = false;
  bool pipe_closed_ = false;
  std::string path_;
  std::set<Connection*> connections_;
  std::function<void()> on_shutdown_;
};

}  // namespace holdfast
