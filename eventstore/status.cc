#include "eventstore/status.h"

namespace holdfast {

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
