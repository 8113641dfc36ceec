// Turns a DynamoDB error response into a Status: the AWS error code (text after '#' in
// `__type`), the message, HTTP status, request id, and whether it is worth retrying.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "agents/core/status.hpp"
#include "agents/http/http_client.hpp"

namespace agents::dynamodb::detail {

Status classify_error_response(std::string_view operation, std::string_view table,
                               const http::Response& response);

/// The service code of an answer from something that is not DynamoDB.
inline constexpr const char* kNotDynamoDbCode = "NotDynamoDbEndpoint";

/// std::nullopt when `response` is in the DynamoDB JSON protocol (it carries x-amzn-RequestId, an
/// x-amz-json content type or a `__type` error body); otherwise the error that says this endpoint
/// does not speak DynamoDB (another web server, a proxy's page). Not retried, except a 502/503/504
/// (a gateway in front of the endpoint may answer those for a moment).
std::optional<Status> foreign_answer(std::string_view operation, std::string_view endpoint,
                                     const http::Response& response);

/// True for the codes the SDKs treat as throttling (retried with the longer backoff).
bool is_throttling_code(std::string_view code) noexcept;

}  // namespace agents::dynamodb::detail
