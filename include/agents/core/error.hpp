// Typed exceptions of the public API (docs/errors.md). Every class carries a stable code and the
// context a user needs to act; no message ever contains a secret key or token.
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "agents/export.hpp"

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
  kRegionUnavailable = 16,
};

/// "conflict", "state_too_large", ...: the code as it appears in logs and `--json` output.
AGENTS_API std::string_view error_code_name(ErrorCode code) noexcept;

/// Where an error came from, for the typed exception and for retry decisions.
struct ErrorDetails {
  std::string service_code;      ///< AWS error code, e.g. "ConditionalCheckFailedException"
  int http_status = 0;           ///< 0 when no response was received
  std::string request_id;        ///< x-amzn-RequestId
  bool transient = false;        ///< a fault worth retrying (throttling, 5xx, transport, checksum)
  bool throttling = false;       ///< throttling, counted separately by the retry quota
  bool outcome_unknown = false;  ///< the request may have been applied (reset after sending)
  /// How long the server asked the client to wait before trying again (Retry-After); the retry
  /// loop waits at least this long. 0: the server did not say.
  std::chrono::milliseconds retry_after{0};
};

/// Base of every exception the library throws. Like google-cloud-cpp's RuntimeStatusError
/// carries its Status, every exception carries the ErrorDetails of the failure it reports (empty
/// when it did not come from a request), so no typed error loses what the Status knew.
class AGENTS_API Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, ErrorDetails details = {})
      : std::runtime_error(message), code_(code), details_(std::move(details)) {}
  ErrorCode code() const noexcept { return code_; }
  const ErrorDetails& details() const noexcept { return details_; }
  /// e.g. "ValidationException" (the text after '#' in DynamoDB's `__type`); "" when none.
  const std::string& service_code() const noexcept { return details_.service_code; }
  /// The HTTP status of the answer, 0 when no answer was received.
  int http_status() const noexcept { return details_.http_status; }
  /// The service's request id (x-amzn-RequestId, x-request-id), "" when none.
  const std::string& request_id() const noexcept { return details_.request_id; }
  /// The request may have been applied although no answer said so (a reset after sending).
  bool outcome_unknown() const noexcept { return details_.outcome_unknown; }
  /// A fault the retry policy treats as worth retrying (it was retried before this was thrown).
  bool transient() const noexcept { return details_.transient; }

 private:
  ErrorCode code_;
  ErrorDetails details_;
};

class AGENTS_API InvalidArgumentError : public Error {
 public:
  explicit InvalidArgumentError(const std::string& message, ErrorDetails details = {})
      : Error(ErrorCode::kInvalidArgument, message, std::move(details)) {}
};

class AGENTS_API NotFoundError : public Error {
 public:
  explicit NotFoundError(const std::string& message, ErrorDetails details = {})
      : Error(ErrorCode::kNotFound, message, std::move(details)) {}
};

/// Another writer saved the thread after we loaded it; nothing stored was changed.
class AGENTS_API ConflictError : public Error {
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
class AGENTS_API OutcomeUnknownError : public Error {
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

class AGENTS_API StateTooLargeError : public Error {
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
class AGENTS_API CorruptStateError : public Error {
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

class AGENTS_API CredentialsUnavailableError : public Error {
 public:
  explicit CredentialsUnavailableError(const std::string& message, ErrorDetails details = {})
      : Error(ErrorCode::kCredentialsUnavailable, message, std::move(details)) {}
};

/// An error answered by a service (or by the store behind a checkpointer): service_code(),
/// http_status() and request_id() when known.
class AGENTS_API ServiceError : public Error {
 public:
  ServiceError(const std::string& message, std::string service_code, int http_status, std::string request_id,
               ErrorCode code = ErrorCode::kServiceError)
      : Error(code, message, answer(std::move(service_code), http_status, std::move(request_id))) {}
  ServiceError(const std::string& message, ErrorDetails details, ErrorCode code = ErrorCode::kServiceError)
      : Error(code, message, std::move(details)) {}

 private:
  static ErrorDetails answer(std::string service_code, int http_status, std::string request_id) {
    ErrorDetails d;
    d.service_code = std::move(service_code);
    d.http_status = http_status;
    d.request_id = std::move(request_id);
    return d;
  }
};

class AGENTS_API AccessDeniedError : public ServiceError {
 public:
  AccessDeniedError(const std::string& message, std::string service_code, int http_status,
                    std::string request_id)
      : ServiceError(message, std::move(service_code), http_status, std::move(request_id),
                     ErrorCode::kAccessDenied) {}
  AccessDeniedError(const std::string& message, ErrorDetails details)
      : ServiceError(message, std::move(details), ErrorCode::kAccessDenied) {}
};

/// Throttled, and still throttled after the retry policy gave up.
class AGENTS_API ThrottledError : public ServiceError {
 public:
  ThrottledError(const std::string& message, std::string service_code, int http_status,
                 std::string request_id)
      : ServiceError(message, std::move(service_code), http_status, std::move(request_id),
                     ErrorCode::kThrottled) {}
  ThrottledError(const std::string& message, ErrorDetails details)
      : ServiceError(message, std::move(details), ErrorCode::kThrottled) {}
};

/// A file the FileCheckpointer needed could not be created, read, written, locked or renamed.
/// A ServiceError with code service_error (the directory is that checkpointer's store), so
/// `catch (ServiceError&)` handles the failures of every store alike; http_status() is 0.
class AGENTS_API StorageError : public ServiceError {
 public:
  StorageError(const std::string& message, std::string path, std::error_code os_error)
      : ServiceError(message, ErrorDetails{}), path_(std::move(path)), os_error_(os_error) {}
  /// The file or directory the operation was on.
  const std::string& path() const noexcept { return path_; }
  /// What the operating system said (errno as a std::error_code).
  std::error_code os_error() const noexcept { return os_error_; }

 private:
  std::string path_;
  std::error_code os_error_;
};

/// No answer in time. outcome_unknown() tells whether the request may have been applied.
class AGENTS_API TimeoutError : public Error {
 public:
  explicit TimeoutError(const std::string& message, ErrorDetails details = {})
      : Error(ErrorCode::kTimeout, message, std::move(details)) {}
};

/// Connection refused, DNS failure, reset mid-response: the endpoint could not be talked to.
/// outcome_unknown() tells whether the request may have been applied (a reset after sending).
class AGENTS_API ConnectionError : public Error {
 public:
  explicit ConnectionError(const std::string& message, ErrorDetails details = {})
      : Error(ErrorCode::kConnectionFailed, message, std::move(details)) {}
};

/// A write could not reach its table's home Region and was not moved to another one, because
/// there it could be lost to last-writer-wins replication (an eventually consistent global
/// table; docs/global-tables.md#region-failover). No other Region was written. details() are the home
/// Region's failure (outcome_unknown() when the write may have been applied there).
class AGENTS_API RegionUnavailableError : public Error {
 public:
  explicit RegionUnavailableError(const std::string& message, ErrorDetails details = {})
      : Error(ErrorCode::kRegionUnavailable, message, std::move(details)) {}
};

class AGENTS_API ModelError : public ServiceError {
 public:
  ModelError(const std::string& message, std::string service_code, int http_status, std::string request_id)
      : ServiceError(message, std::move(service_code), http_status, std::move(request_id),
                     ErrorCode::kModelError) {}
  ModelError(const std::string& message, ErrorDetails details)
      : ServiceError(message, std::move(details), ErrorCode::kModelError) {}
};

class AGENTS_API MaxIterationsError : public Error {
 public:
  explicit MaxIterationsError(const std::string& message, ErrorDetails details = {})
      : Error(ErrorCode::kMaxIterations, message, std::move(details)) {}
};

class AGENTS_API UnsupportedError : public Error {
 public:
  explicit UnsupportedError(const std::string& message, ErrorDetails details = {})
      : Error(ErrorCode::kUnsupported, message, std::move(details)) {}
};

}  // namespace agents
