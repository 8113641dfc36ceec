// Turns a DynamoDB error response into a Status: the AWS error code (text after '#' in
// `__type`), the message, HTTP status, request id, and whether it is worth retrying.
#pragma once

#include <string_view>

#include "agents/core/status.hpp"
#include "agents/http/http_client.hpp"

namespace agents::dynamodb::detail {

Status classify_error_response(std::string_view operation, std::string_view table,
                               const http::Response& response);

/// True for the codes the SDKs treat as throttling (retried with the longer backoff).
bool is_throttling_code(std::string_view code) noexcept;

}  // namespace agents::dynamodb::detail
