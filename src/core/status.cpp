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
    case ErrorCode::kRegionUnavailable:
      return "region_unavailable";
  }
  return "unknown";
}

// Every exception carries the Status's details. The classes whose fields a Status cannot supply
// (ConflictError's versions, StateTooLargeError's sizes, CorruptStateError's attribute,
// OutcomeUnknownError's version) are thrown only where that context is known; a Status with one of
// those codes becomes the general type with the same code() instead of a half-filled typed error.
void Status::throw_if_error() const {
  const auto& d = details_;
  switch (code_) {
    case ErrorCode::kOk:
      return;
    case ErrorCode::kInvalidArgument:
      throw InvalidArgumentError(message_, d);
    case ErrorCode::kNotFound:
      throw NotFoundError(message_, d);
    case ErrorCode::kConflict:
    case ErrorCode::kStateTooLarge:
    case ErrorCode::kCorruptState:
    case ErrorCode::kOutcomeUnknown:
      if (d.http_status != 0 || !d.service_code.empty() || !d.request_id.empty()) {
        throw ServiceError(message_, d, code_);
      }
      throw Error(code_, message_, d);
    case ErrorCode::kCredentialsUnavailable:
      throw CredentialsUnavailableError(message_, d);
    case ErrorCode::kAccessDenied:
      throw AccessDeniedError(message_, d);
    case ErrorCode::kThrottled:
      throw ThrottledError(message_, d);
    case ErrorCode::kServiceError:
      throw ServiceError(message_, d);
    case ErrorCode::kTimeout:
      throw TimeoutError(message_, d);
    case ErrorCode::kConnectionFailed:
      throw ConnectionError(message_, d);
    case ErrorCode::kModelError:
      throw ModelError(message_, d);
    case ErrorCode::kMaxIterations:
      throw MaxIterationsError(message_, d);
    case ErrorCode::kUnsupported:
      throw UnsupportedError(message_, d);
    case ErrorCode::kRegionUnavailable:
      throw RegionUnavailableError(message_, d);
  }
  throw Error(code_, message_, d);
}

}  // namespace agents
