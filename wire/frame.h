// Length-prefixed Cap'n Proto frames, for the local socket (daemon/api.capnp) and for
// peer links (sync/sync.capnp):
//
//   +----------------------+-----------------------------------------+
//   | length N (4 bytes LE)| N bytes: one unpacked Cap'n Proto message|
//   +----------------------+-----------------------------------------+
//
// N must be a non-zero multiple of 8 and at most the decoder's limit.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "eventstore/status.h"

namespace holdfast {

constexpr uint32_t kMaxFrameBytes = 32u << 20;

// The frame bytes of one message.
std::string EncodeFrame(capnp::MessageBuilder& message);

// One received message, kept with the aligned words its reader points into.
class Frame {
 public:
  // Decodes with bounded traversal; Corruption if the bytes are not a message.
  static Result<std::unique_ptr<Frame>> Parse(kj::Array<capnp::word> words);
  template <typename T>
  typename T::Reader root() {
    return reader_->getRoot<T>();
  }

 private:
  kj::Array<capnp::word> words_;
  std::unique_ptr<capnp::FlatArrayMessageReader> reader_;
};

// Cuts a byte stream into frames. Feed it bytes as they arrive; take frames with Next.
class FrameDecoder {
 public:
  explicit FrameDecoder(uint32_t max_frame_bytes = kMaxFrameBytes) : max_(max_frame_bytes) {}
  // InvalidArgument when a header announces a frame that is too large or not whole words;
  // the stream cannot be resynchronised after that, so the connection must be closed.
  Status Feed(const char* data, size_t size);
  // The next complete frame's bytes, as aligned words; empty Array when none is complete.
  kj::Array<capnp::word> Next();
  // Bytes held that do not yet make a whole frame.
  size_t buffered() const { return buffer_.size(); }

 private:
  uint32_t max_;
  std::string buffer_;
  std::deque<kj::Array<capnp::word>> ready_;
};

// The traversal limits for API messages: an import page may hold many events.
capnp::ReaderOptions ApiReaderOptions();

}  // namespace holdfast
