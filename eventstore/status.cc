#include "eventstore/status.h"

namespace holdfast {

std::string OneLine(std::string text) {
  auto is_control = [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) == 0x7f;
  };
  size_t i = 0;
  while (i < text.size() && !is_control(text[i])) ++i;
  if (i == text.size()) return text;  // the usual case: nothing to escape
  std::string out = text.substr(0, i);
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (!is_control(c)) {
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      static const char kHex[] = "0123456789abcdef";
      const auto b = static_cast<unsigned char>(c);
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0xf];
    }
  }
  return out;
}

std::string Status::ToString() const {
  const char* name = "ok";
  switch (code_) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      name = "invalid argument";
      break;
    case Code::kNotFound:
      name = "not found";
      break;
    case Code::kConflict:
      name = "conflict";
      break;
    case Code::kSeqConflict:
      name = "sequence conflict";
      break;
    case Code::kVersionConflict:
      name = "version conflict";
      break;
    case Code::kPermissionDenied:
      name = "permission denied";
      break;
    case Code::kUnavailable:
      name = "unavailable";
      break;
    case Code::kIoError:
      name = "I/O error";
      break;
    case Code::kCorruption:
      name = "corruption";
      break;
  }
  return std::string(name) + ": " + message_;
}

}  // namespace holdfast
