// API Gateway Lambda proxy events and responses, as small pure functions (no I/O, no globals):
// REST APIs (payload format 1.0), HTTP APIs (1.0 or 2.0) and function URLs (2.0 shape).
//
//   auto request = agents::lambda::parse_api_gateway_event(invocation.payload);
//   if (!request) return InvocationResponse::failure(request.status().message(), "InvalidEvent");
//   return InvocationResponse::success(agents::lambda::api_gateway_response(200, R"({"ok":true})"));
#pragma once

#include <string>
#include <string_view>

#include "agents/core/status.hpp"
#include "agents/export.hpp"
#include "agents/http/http_client.hpp"

namespace agents::lambda {

enum class ApiGatewayPayloadVersion {
  kV1,  ///< REST API proxy (and HTTP API payload 1.0): httpMethod, path, headers, multiValueHeaders
  kV2,  ///< HTTP API payload 2.0 and function URLs: version "2.0", rawPath, requestContext.http
};

/// The parts of a proxy event a handler needs. Plain data.
struct ApiGatewayRequest {
  ApiGatewayPayloadVersion version = ApiGatewayPayloadVersion::kV1;
  std::string method;  ///< "POST", ... (httpMethod, or requestContext.http.method)
  std::string path;    ///< path (1.0) or rawPath (2.0)
  /// Header names lower-cased. 1.0: `headers`, with `multiValueHeaders` values comma-joined
  /// where both name one header (multiValueHeaders wins); 2.0 already joins duplicates.
  http::Headers headers;
  bool has_body = false;   ///< false when `body` is null or absent
  std::string body;        ///< decoded from base64 when isBase64Encoded is true
  std::string request_id;  ///< requestContext.requestId (API Gateway's, not Lambda's)
};

/// Parses a proxy event. kInvalidArgument when the payload is not JSON, not an object shaped like
/// an API Gateway proxy event (an object with `requestContext` and either `httpMethod` or
/// `version` "2.0" with `requestContext.http`), or its base64 body does not decode. Never throws.
AGENTS_API StatusOr<ApiGatewayRequest> parse_api_gateway_event(std::string_view payload);

/// A proxy response valid for payload formats 1.0 and 2.0:
/// {"statusCode":N,"headers":{"content-type":...},"body":"...","isBase64Encoded":false}.
/// `body` is sent as text (invalid UTF-8 is replaced by U+FFFD, never an exception).
AGENTS_API std::string api_gateway_response(int status_code, std::string_view body,
                                            std::string_view content_type = "application/json");

/// {"error":"<code>","message":"<message>"} wrapped in api_gateway_response.
AGENTS_API std::string api_gateway_error_response(int status_code, std::string_view error_code,
                                                  std::string_view message);

}  // namespace agents::lambda
