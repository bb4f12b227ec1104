#include "wire/frame.h"

#include <cstring>

namespace holdfast {

capnp::ReaderOptions ApiReaderOptions() {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = kMaxFrameBytes / sizeof(capnp::word) * 2;
  options.nestingLimit = 32;
  return options;
}

std::string EncodeFrame(capnp::MessageBuilder& message) {
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  std::string frame(4 + bytes.size(), '\0');
  const uint32_t n = static_cast<uint32_t>(bytes.size());
  for (int i = 0; i < 4; ++i) frame[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  std::memcpy(&frame[4], bytes.begin(), bytes.size());
  return frame;
}

Result<std::unique_ptr<Frame>> Frame::Parse(kj::Array<capnp::word> words) {
  auto frame = std::make_unique<Frame>();
  frame->words_ = std::move(words);
  try {
    kj::ArrayPtr<const capnp::word> view = frame->words_.asPtr();
    if (capnp::expectedSizeInWordsFromPrefix(view) != view.size()) {
      return Status::Corruption("frame size does not match its message");
    }
    frame->reader_ = std::make_unique<capnp::FlatArrayMessageReader>(view, ApiReaderOptions());
  } catch (const kj::Exception& ex) {
    return Status::Corruption(std::string("undecodable message: ") + ex.getDescription().cStr());
  }
  return frame;
}

Status FrameDecoder::Feed(const char* data, size_t size) {
  buffer_.append(data, size);
  size_t offset = 0;
  while (buffer_.size() - offset >= 4) {
    const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + offset);
    const uint32_t n = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
    if (n == 0 || n % sizeof(capnp::word) != 0) {
      return Status::InvalidArgument("malformed frame: length " + std::to_string(n) +
                                     " is not a whole number of words");
    }
    if (n > max_) {
      return Status::InvalidArgument("oversized frame: " + std::to_string(n) +
                                     " bytes, the limit is " + std::to_string(max_));
    }
    if (buffer_.size() - offset - 4 < n) break;
    auto words = kj::heapArray<capnp::word>(n / sizeof(capnp::word));
    std::memcpy(words.begin(), buffer_.data() + offset + 4, n);
    ready_.push_back(std::move(words));
    offset += 4 + n;
  }
  buffer_.erase(0, offset);
  return Status::Ok();
}

kj::Array<capnp::word> FrameDecoder::Next() {
  if (ready_.empty()) return nullptr;
  auto words = std::move(ready_.front());
  ready_.pop_front();
  return words;
}

}  // namespace holdfast
