#include "dynamodb/errors.hpp"

#include "dynamodb/json_codec.hpp"

namespace agents::dynamodb::detail {

bool is_throttling_code(std::string_view code) noexcept {
  static constexpr std::string_view kCodes[] = {"Throttling",
                                                "ThrottlingException",
                                                "ThrottledException",
                                                "RequestThrottledException",
                                                "TooManyRequestsException",
                                                "ProvisionedThroughputExceededException",
                                                "TransactionInProgressException",
                                                "RequestLimitExceeded",
                                                "BandwidthLimitExceeded",
                                                "LimitExceededException",
                                                "RequestThrottled",
                                                "SlowDown",
                                                "PriorRequestNotComplete",
                                                "EC2ThrottledException"};
  for (auto c : kCodes) {
    if (code == c) return true;
  }
  return false;
}

namespace {

bool is_access_code(std::string_view code) {
  return code == "AccessDeniedException" || code == "UnrecognizedClientException" ||
         code == "MissingAuthenticationTokenException" || code == "InvalidSignatureException" ||
         code == "ExpiredTokenException" || code == "ExpiredToken" || code == "InvalidToken" ||
         code == "IncompleteSignatureException";
}

std::string hint_for(std::string_view code, std::string_view operation) {
  if (code == "ResourceNotFoundException")
    return " (does the table exist in this region? `agents table create` makes it)";
  if (code == "UnknownOperationException") {
    return " (this endpoint does not implement " + std::string(operation) +
           "; dynalite lacks transactions and TTL)";
  }
  if (is_access_code(code))
    return " (check the credentials and the IAM policy; `agents doctor` shows what is used)";
  return "";
}

}  // namespace

namespace {

bool has_error_type(const std::string& body) {
  simdjson::dom::element doc;
  std::string_view type;
  return !thread_parser().parse(body).get(doc) && doc.is_object() && !doc["__type"].get_string().get(type);
}

std::string clipped(const std::string& text, std::size_t limit) {
  std::string out;
  for (char c : text.substr(0, limit)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

}  // namespace

std::optional<Status> foreign_answer(std::string_view operation, std::string_view endpoint,
                                     const http::Response& response) {
  if (response.header("x-amzn-RequestId") != nullptr) return std::nullopt;
  const std::string* type = response.header("Content-Type");
  if (type != nullptr && type->starts_with("application/x-amz-json")) return std::nullopt;
  if (has_error_type(response.body)) return std::nullopt;

  const bool gateway = response.status == 502 || response.status == 503 || response.status == 504;
  ErrorDetails details;
  details.service_code = kNotDynamoDbCode;
  details.http_status = response.status;
  details.transient = gateway;
  details.outcome_unknown = gateway;  // a gateway may have passed the request on
  std::string text = "DynamoDB " + std::string(operation) + ": " + std::string(endpoint) +
                     " does not speak DynamoDB: it answered HTTP " + std::to_string(response.status);
  if (type != nullptr && !type->empty()) text += " (" + clipped(*type, 60) + ")";
  if (const std::string* server = response.header("Server"))
    text += " from server '" + clipped(*server, 40) + "'";
  text += " without the x-amzn-RequestId of a DynamoDB answer; ";
  text += gateway ? "a proxy or gateway in front of it may be failing, or " : "";
  text += "check the endpoint URL (--endpoint-url, AWS_ENDPOINT_URL_DYNAMODB) and the port";
  return Status(ErrorCode::kServiceError, std::move(text), std::move(details));
}

Status classify_error_response(std::string_view operation, std::string_view table,
                               const http::Response& response) {
  std::string code, message;
  simdjson::dom::element doc;
  if (!thread_parser().parse(response.body).get(doc)) {
    std::string_view s;
    if (!doc["__type"].get_string().get(s)) {
      s = s.substr(0, s.find(':'));
      auto hash = s.rfind('#');
      code = std::string(hash == std::string_view::npos ? s : s.substr(hash + 1));
    }
    if (!doc["message"].get_string().get(s) || !doc["Message"].get_string().get(s)) message = std::string(s);
  }
  ErrorDetails details;
  details.http_status = response.status;
  details.service_code = code.empty() ? "HTTP" + std::to_string(response.status) : code;
  if (const auto* id = response.header("x-amzn-RequestId")) details.request_id = *id;
  details.throttling = is_throttling_code(code) || response.status == 429;
  details.transient = details.throttling || response.status >= 500 || code == "InternalServerError" ||
                      code == "ServiceUnavailable" || code == "RequestTimeout" ||
                      code == "RequestTimeoutException" ||
                      // MRSC: another Region is writing the item; rejected, so a retry is safe and
                      // succeeds once that write is done (docs/global-tables.md).
                      code == "ReplicatedWriteConflictException";
  // A 5xx on a write may still have been applied.
  details.outcome_unknown = response.status >= 500;

  ErrorCode error_code = ErrorCode::kServiceError;
  if (is_access_code(code) || response.status == 403) error_code = ErrorCode::kAccessDenied;
  if (code == "ResourceNotFoundException") error_code = ErrorCode::kNotFound;
  if (code == "UnknownOperationException") error_code = ErrorCode::kUnsupported;

  std::string text = "DynamoDB " + std::string(operation);
  if (!table.empty()) text += " on table '" + std::string(table) + "'";
  text += ": " + details.service_code;
  if (!message.empty()) text += ": " + message;
  text += hint_for(code, operation);
  text += " (HTTP " + std::to_string(response.status);
  if (!details.request_id.empty()) text += ", request id " + details.request_id;
  text += ")";
  return Status(error_code, std::move(text), std::move(details));
}

}  // namespace agents::dynamodb::detail
