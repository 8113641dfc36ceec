// Typed exceptions of the public API (docs/errors.md). Every class carries a stable code and the
// context a user needs to act; no message ever contains a secret key or token.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace agents {

/// Stable error codes; the numbers and names never change once released.
enum class ErrorCode : int {
  kOk = 0,
  kInvalidArgument = 1,
  kNotFound = 2,
  kConflict = 3,
  kStateTooLarge = 4,
  kCorruptState = 5,
  kCredentialsUnavailable = 6,
  kAccessDenied = 7,
  kThrottled = 8,
  kServiceError = 9,
  kTimeout = 10,
  kConnectionFailed = 11,
  kModelError = 12,
  kMaxIterations = 13,
  kUnsupported = 14,
  kOutcomeUnknown = 15,
};

/// "conflict", "state_too_large", ...: the code as it appears in logs and `--json` output.
std::string_view error_code_name(ErrorCode code) noexcept;

/// Base of every exception the library throws.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

class InvalidArgumentError : public Error {
 public:
  explicit InvalidArgumentError(const std::string& message) : Error(ErrorCode::kInvalidArgument, message) {}
};

class NotFoundError : public Error {
 public:
  explicit NotFoundError(const std::string& message) : Error(ErrorCode::kNotFound, message) {}
};

/// Another writer saved the thread after we loaded it; nothing stored was changed.
class ConflictError : public Error {
 public:
  ConflictError(const std::string& message, std::string thread_id, std::int64_t expected_version,
                std::int64_t actual_version)
      : Error(ErrorCode::kConflict, message),
        thread_id_(std::move(thread_id)),
        expected_version_(expected_version),
        actual_version_(actual_version) {}
  const std::string& thread_id() const noexcept { return thread_id_; }
  /// The version this writer loaded (0 when it expected the thread not to exist).
  std::int64_t expected_version() const noexcept { return expected_version_; }
  /// The version found in the store, or -1 when it could not be read back.
  std::int64_t actual_version() const noexcept { return actual_version_; }

 private:
  std::string thread_id_;
  std::int64_t expected_version_;
  std::int64_t actual_version_;
};

/// A save whose last write may or may not have been stored, and the library could not tell
/// (docs/concurrency.md): its answer was lost and the thread has since been deleted, recreated
/// or saved over too many times to trace. Nothing the save wrote was deleted. Load the thread to
/// see whether the change is there before you redo it (Agent::save_state does this itself).
class OutcomeUnknownError : public Error {
 public:
  OutcomeUnknownError(const std::string& message, std::string thread_id, std::int64_t attempted_version)
      : Error(ErrorCode::kOutcomeUnknown, message),
        thread_id_(std::move(thread_id)),
        attempted_version_(attempted_version) {}
  const std::string& thread_id() const noexcept { return thread_id_; }
  /// The version the save would have stored.
  std::int64_t attempted_version() const noexcept { return attempted_version_; }

 private:
  std::string thread_id_;
  std::int64_t attempted_version_;
};

class StateTooLargeError : public Error {
 public:
  StateTooLargeError(const std::string& message, std::size_t size, std::size_t limit)
      : Error(ErrorCode::kStateTooLarge, message), size_(size), limit_(limit) {}
  std::size_t size() const noexcept { return size_; }
  std::size_t limit() const noexcept { return limit_; }

 private:
  std::size_t size_;
  std::size_t limit_;
};

/// A stored item could not be read back as a state; names the thread and the attribute.
class CorruptStateError : public Error {
 public:
  CorruptStateError(const std::string& message, std::string thread_id, std::string attribute)
      : Error(ErrorCode::kCorruptState, message),
        thread_id_(std::move(thread_id)),
        attribute_(std::move(attribute)) {}
  const std::string& thread_id() const noexcept { return thread_id_; }
  const std::string& attribute() const noexcept { return attribute_; }

 private:
  std::string thread_id_;
  std::string attribute_;
};

class CredentialsUnavailableError : public Error {
 public:
  explicit CredentialsUnavailableError(const std::string& message)
      : Error(ErrorCode::kCredentialsUnavailable, message) {}
};

/// An error answered by a service: AWS error code, HTTP status and request id when known.
class ServiceError : public Error {
 public:
  ServiceError(const std::string& message, std::string service_code, int http_status, std::string request_id,
               ErrorCode code = ErrorCode::kServiceError)
      : Error(code, message),
        service_code_(std::move(service_code)),
        http_status_(http_status),
        request_id_(std::move(request_id)) {}
  /// e.g. "ValidationException" (the text after '#' in DynamoDB's `__type`).
  const std::string& service_code() const noexcept { return service_code_; }
  int http_status() const noexcept { return http_status_; }
  const std::string& request_id() const noexcept { return request_id_; }

 private:
  std::string service_code_;
  int http_status_;
  std::string request_id_;
};

class AccessDeniedError : public ServiceError {
 public:
  AccessDeniedError(const std::string& message, std::string service_code, int http_status,
                    std::string request_id)
      : ServiceError(message, std::move(service_code), http_status, std::move(request_id),
                     ErrorCode::kAccessDenied) {}
};

/// Throttled, and still throttled after the retry policy gave up.
class ThrottledError : public ServiceError {
 public:
  ThrottledError(const std::string& message, std::string service_code, int http_status,
                 std::string request_id)
      : ServiceError(message, std::move(service_code), http_status, std::move(request_id),
                     ErrorCode::kThrottled) {}
};

class TimeoutError : public Error {
 public:
  explicit TimeoutError(const std::string& message) : Error(ErrorCode::kTimeout, message) {}
};

/// Connection refused, DNS failure, reset mid-response: the endpoint could not be talked to.
class ConnectionError : public Error {
 public:
  explicit ConnectionError(const std::string& message) : Error(ErrorCode::kConnectionFailed, message) {}
};

class ModelError : public ServiceError {
 public:
  ModelError(const std::string& message, std::string service_code, int http_status, std::string request_id)
      : ServiceError(message, std::move(service_code), http_status, std::move(request_id),
                     ErrorCode::kModelError) {}
};

class MaxIterationsError : public Error {
 public:
  explicit MaxIterationsError(const std::string& message) : Error(ErrorCode::kMaxIterations, message) {}
};

class UnsupportedError : public Error {
 public:
  explicit UnsupportedError(const std::string& message) : Error(ErrorCode::kUnsupported, message) {}
};

}  // namespace agents
