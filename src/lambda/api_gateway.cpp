#include "agents/lambda/api_gateway.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "util/base64.hpp"

namespace agents::lambda {
namespace {

using Json = nlohmann::json;

Status invalid(std::string message) {
  return Status(ErrorCode::kInvalidArgument, "api gateway event: " + std::move(message));
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

const Json* member(const Json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

std::string string_member(const Json& object, const char* name) {
  const Json* v = member(object, name);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

void set_header(http::Headers& headers, std::string name, std::string value) {
  for (auto& h : headers) {
    if (h.name == name) {
      h.value = std::move(value);
      return;
    }
  }
  headers.push_back({std::move(name), std::move(value)});
}

// `headers` (a map of strings, or null) and, in 1.0, `multiValueHeaders` (a map of string arrays).
Status read_headers(const Json& event, http::Headers& out) {
  const Json* single = member(event, "headers");
  if (single != nullptr && !single->is_null()) {
    if (!single->is_object()) return invalid("headers is not an object");
    for (const auto& [name, value] : single->items()) {
      if (value.is_string()) set_header(out, lower(name), value.get<std::string>());
    }
  }
  const Json* multi = member(event, "multiValueHeaders");
  if (multi != nullptr && multi->is_object()) {
    for (const auto& [name, values] : multi->items()) {
      if (!values.is_array() || values.empty()) continue;
      std::string joined;
      for (const auto& v : values) {
        if (!v.is_string()) continue;
        if (!joined.empty()) joined += ",";
        joined += v.get<std::string>();
      }
      set_header(out, lower(name), std::move(joined));
    }
  }
  return {};
}

}  // namespace

StatusOr<ApiGatewayRequest> parse_api_gateway_event(std::string_view payload) {
  Json event = Json::parse(payload.begin(), payload.end(), nullptr, /*allow_exceptions=*/false);
  if (event.is_discarded()) return invalid("the payload is not JSON");
  if (!event.is_object()) return invalid("the payload is not a JSON object");
  const Json* context = member(event, "requestContext");
  if (context == nullptr || !context->is_object()) {
    return invalid("no requestContext object: not an API Gateway proxy event");
  }

  ApiGatewayRequest request;
  const Json* version = member(event, "version");
  const Json* http_context = member(*context, "http");
  if (version != nullptr && version->is_string() && version->get<std::string>() == "2.0") {
    if (http_context == nullptr || !http_context->is_object()) {
      return invalid("version 2.0 without requestContext.http");
    }
    request.version = ApiGatewayPayloadVersion::kV2;
    request.method = string_member(*http_context, "method");
    request.path = string_member(event, "rawPath");
    if (request.path.empty()) request.path = string_member(*http_context, "path");
  } else {
    const Json* method = member(event, "httpMethod");
    if (method == nullptr || !method->is_string()) {
      return invalid("neither httpMethod (payload 1.0) nor version \"2.0\": not an API Gateway proxy event");
    }
    request.version = ApiGatewayPayloadVersion::kV1;
    request.method = method->get<std::string>();
    request.path = string_member(event, "path");
  }
  if (request.method.empty()) return invalid("the HTTP method is empty");
  request.request_id = string_member(*context, "requestId");
  if (Status s = read_headers(event, request.headers); !s.ok()) return s;

  const Json* body = member(event, "body");
  if (body != nullptr && !body->is_null()) {
    if (!body->is_string()) return invalid("body is neither a string nor null");
    const Json* b64 = member(event, "isBase64Encoded");
    bool encoded = b64 != nullptr && b64->is_boolean() && b64->get<bool>();
    const auto& text = body->get_ref<const std::string&>();
    if (encoded) {
      if (!util::base64_decode(text, request.body)) return invalid("body is not valid base64");
    } else {
      request.body = text;
    }
    request.has_body = true;
  }
  return request;
}

std::string api_gateway_response(int status_code, std::string_view body, std::string_view content_type) {
  Json response = Json::object();
  response["statusCode"] = status_code;
  response["headers"] = Json::object({{"content-type", std::string(content_type)}});
  response["body"] = std::string(body);
  response["isBase64Encoded"] = false;
  return response.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string api_gateway_error_response(int status_code, std::string_view error_code,
                                       std::string_view message) {
  Json body = Json::object({{"error", std::string(error_code)}, {"message", std::string(message)}});
  return api_gateway_response(status_code, body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace agents::lambda
