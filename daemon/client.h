// A blocking client of the local API (daemon/api.capnp) over the node's Unix socket.
// Used by the CLI; one request at a time.
#pragma once

#include <memory>
#include <string>

#include "daemon/api.capnp.h"
#include "eventstore/frame.h"
#include "eventstore/status.h"

namespace holdfast {

class Client {
 public:
  // Connects to the daemon. The error says what to do: start the daemon, or get access to
  // the socket.
  static Result<std::unique_ptr<Client>> Connect(const std::string& socket_path);
  ~Client();

  // Sends one request and waits for its response. Unavailable if the connection drops.
  Result<std::unique_ptr<Frame>> Call(capnp::MessageBuilder& request);
  // The next frame of a request that answers with several (progress, watched alerts).
  Result<std::unique_ptr<Frame>> Next();

 private:
  explicit Client(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
  FrameDecoder decoder_;
};

// The one-line message of an error response ("" when the response is not an error).
std::string ErrorMessage(api::Response::Reader response);

}  // namespace holdfast
