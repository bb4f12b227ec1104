// LocalServer: the daemon's Unix-socket listener for the CLI, on one libuv loop.
//
// Each connection is read into a FrameDecoder; each complete request runs on libuv's
// thread pool (uv_queue_work) so a slow request (an fsync, a large export page) never
// stalls the loop or other clients; its response is written back on the loop thread.
// One request per connection is in flight at a time, so responses keep request order.
// A frame that breaks the framing (oversized, not whole words) gets an error response and
// the connection is closed; an undecodable message gets an error response only.
#pragma once

#include <uv.h>

#include <functional>
#include <set>
#include <string>

#include "daemon/handler.h"
#include "eventstore/status.h"

namespace holdfast {

class LocalServer {
 public:
  LocalServer(uv_loop_t* loop, RequestHandler* handler) : loop_(loop), handler_(handler) {}
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  // Binds the socket (replacing a stale socket file), makes it 0660 and listens.
  Status Listen(const std::string& path);
  // Stops accepting, lets in-flight requests finish and answer, closes every connection,
  // then calls `done` on the loop thread.
  void Shutdown(std::function<void()> done);
  size_t connections() const { return connections_.size(); }

 private:
  struct Connection;
  static void OnConnection(uv_stream_t* server, int status);
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWork(uv_work_t* req);
  static void OnAfterWork(uv_work_t* req, int status);
  void Dispatch(Connection* c);
  void Send(Connection* c, std::string frame, bool close_after);
  void Close(Connection* c);
  void MaybeFinishShutdown();

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
