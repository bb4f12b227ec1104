// A blocking client of the local API (daemon/api.capnp) over the node's Unix socket.
// Used by the CLI; one request at a time.
//
// Every wait has a deadline (docs/paging.md, "Timeouts"): connecting, sending and reading
// each give up when the daemon has taken or sent nothing for `timeout`. Each byte that
// moves restarts the wait, so a long answer that keeps coming (an export's pages, a
// rebuild's progress) takes as long as it needs, and a stopped daemon is noticed.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "daemon/api.capnp.h"
#include "eventstore/status.h"
#include "wire/frame.h"

namespace holdfast {

class Client {
 public:
  // Zero: wait for ever.
  using Timeout = std::chrono::milliseconds;

  // Connects to the daemon. The error says what to do: start the daemon, or get access to
  // the socket.
  static Result<std::unique_ptr<Client>> Connect(const std::string& socket_path,
                                                 Timeout timeout = std::chrono::seconds(30));
  ~Client();

  // Sends one request and waits for the first frame of its response. Unavailable if the
  // connection drops or the daemon does not answer in time (then timed_out() is true).
  Result<std::unique_ptr<Frame>> Call(capnp::MessageBuilder& request);
  // The next frame of a request that answers with several (pages, progress, watched alerts).
  Result<std::unique_ptr<Frame>> Next();

  // How long to wait for the daemon from now on (alerts watch waits for ever).
  void set_timeout(Timeout timeout) { timeout_ = timeout; }
  // Whether the last failure was the daemon not answering in time (its outcome unknown).
  bool timed_out() const { return timed_out_; }

 private:
  Client(int fd, std::string path, Timeout timeout)
      : fd_(fd), path_(std::move(path)), timeout_(timeout) {}
  // Waits for `events` on the socket; false (timed_out_ set) when the timeout passes first.
  bool Wait(short events);
  Status TimedOut();

  int fd_;
  std::string path_;
  Timeout timeout_;
  bool timed_out_ = false;
  FrameDecoder decoder_;
};

// The one-line message of an error response ("" when the response is not an error).
std::string ErrorMessage(api::Response::Reader response);

// "30 s", "0.5 s": a timeout as the CLI's messages show it.
std::string DescribeTimeout(Client::Timeout timeout);

}  // namespace holdfast
