// Errors as values, used below the public API (transport, retry loop, protocol) so that retries
// do not use exceptions for control flow. `throw_if_error` turns one into the typed exception.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

#include "agents/core/error.hpp"
#include "agents/export.hpp"

namespace agents {

// ErrorDetails (where an error came from) is declared in error.hpp: the exceptions carry it too.

class AGENTS_API Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message, ErrorDetails details = {})
      : code_(code), message_(std::move(message)), details_(std::move(details)) {}

  bool ok() const noexcept { return code_ == ErrorCode::kOk; }
  ErrorCode code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  const ErrorDetails& details() const noexcept { return details_; }
  ErrorDetails& details() noexcept { return details_; }

  /// Throws the exception class that matches code() (see error.hpp); does nothing when ok().
  void throw_if_error() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
  ErrorDetails details_;
};

/// A value or the Status saying why there is none.
template <typename T>
class StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  StatusOr(Status status) : value_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(value_).ok());
  }

  bool ok() const noexcept { return std::holds_alternative<T>(value_); }
  explicit operator bool() const noexcept { return ok(); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(value_);
  }

  T& value() & {
    throw_unless_ok();
    return std::get<T>(value_);
  }
  const T& value() const& {
    throw_unless_ok();
    return std::get<T>(value_);
  }
  T&& value() && {
    throw_unless_ok();
    return std::get<T>(std::move(value_));
  }
  T& operator*() & { return std::get<T>(value_); }
  const T& operator*() const& { return std::get<T>(value_); }
  T* operator->() { return &std::get<T>(value_); }
  const T* operator->() const { return &std::get<T>(value_); }

 private:
  void throw_unless_ok() const {
    if (!ok()) std::get<Status>(value_).throw_if_error();
  }
  std::variant<Status, T> value_;
};

}  // namespace agents
