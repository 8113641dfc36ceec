#include "agents/core/status.hpp"

namespace agents {

std::string_view error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kOk:
      return "ok";
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kStateTooLarge:
      return "state_too_large";
    case ErrorCode::kCorruptState:
      return "corrupt_state";
    case ErrorCode::kCredentialsUnavailable:
      return "credentials_unavailable";
    case ErrorCode::kAccessDenied:
      return "access_denied";
    case ErrorCode::kThrottled:
      return "throttled";
    case ErrorCode::kServiceError:
      return "service_error";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kConnectionFailed:
      return "connection_failed";
    case ErrorCode::kModelError:
      return "model_error";
    case ErrorCode::kMaxIterations:
      return "max_iterations";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kOutcomeUnknown:
      return "outcome_unknown";
  }
  return "unknown";
}

void Status::throw_if_error() const {
  const auto& d = details_;
  switch (code_) {
    case ErrorCode::kOk:
      return;
    case ErrorCode::kInvalidArgument:
      throw InvalidArgumentError(message_);
    case ErrorCode::kNotFound:
      throw NotFoundError(message_);
    case ErrorCode::kConflict:
      throw ConflictError(message_, "", -1, -1);
    case ErrorCode::kStateTooLarge:
      throw StateTooLargeError(message_, 0, 0);
    case ErrorCode::kCorruptState:
      throw CorruptStateError(message_, "", "");
    case ErrorCode::kCredentialsUnavailable:
      throw CredentialsUnavailableError(message_);
    case ErrorCode::kAccessDenied:
      throw AccessDeniedError(message_, d.service_code, d.http_status, d.request_id);
    case ErrorCode::kThrottled:
      throw ThrottledError(message_, d.service_code, d.http_status, d.request_id);
    case ErrorCode::kServiceError:
      throw ServiceError(message_, d.service_code, d.http_status, d.request_id);
    case ErrorCode::kTimeout:
      throw TimeoutError(message_);
    case ErrorCode::kConnectionFailed:
      throw ConnectionError(message_);
    case ErrorCode::kModelError:
      throw ModelError(message_, d.service_code, d.http_status, d.request_id);
    case ErrorCode::kMaxIterations:
      throw MaxIterationsError(message_);
    case ErrorCode::kUnsupported:
      throw UnsupportedError(message_);
    case ErrorCode::kOutcomeUnknown:
      throw OutcomeUnknownError(message_, "", -1);
  }
  throw Error(code_, message_);
}

}  // namespace agents
