// Errors as values at module boundaries: every fallible call in holdfast returns a
// Status or a Result<T>. Exceptions never cross a module's public API.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace holdfast {

// `text` with its control characters written as escapes ("\n", "\r", "\t", "\x1b"), so
// that text from a client or peer echoed into an error or a log line cannot break the line
// or forge another.
std::string OneLine(std::string text);

class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,  // bad input from a user or peer; the message names the field
    kNotFound,
    kConflict,         // same event id with different content
    kSeqConflict,      // another event already holds that (origin, seq): two nodes' logs split
    kVersionConflict,  // a stream's expected version did not match
    kPermissionDenied,
    kUnavailable,  // the store is closed or shutting down; try again later
    kIoError,
    kCorruption,
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status Conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
  static Status SeqConflict(std::string m) { return {Code::kSeqConflict, std::move(m)}; }
  static Status VersionConflict(std::string m) { return {Code::kVersionConflict, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status IoError(std::string m) { return {Code::kIoError, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  // One line: control characters in it are escaped (OneLine).
  const std::string& message() const { return message_; }
  // "invalid argument: data.outcome: unknown value ..." — for logs and the CLI's one line.
  std::string ToString() const;
  // Says that the caller lets this status go on purpose: a best-effort step whose failure
  // changes nothing it could act on (a cleanup after another error, which is the one to
  // report; a nudge that is retried anyway). Write why beside the call.
  void IgnoreError() const {}

 private:
  Status(Code c, std::string m) : code_(c), message_(OneLine(std::move(m))) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status saying why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: must not be Ok
  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace holdfast

#define HOLDFAST_RETURN_IF_ERROR(expr)       \
  do {                                       \
    ::holdfast::Status _hf_status = (expr);  \
    if (!_hf_status.ok()) return _hf_status; \
  } while (0)
