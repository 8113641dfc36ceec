// The API Gateway proxy event parser (include/agents/lambda/api_gateway.hpp) on arbitrary bytes:
// never throws or crashes; a parsed body goes back out in a response that is valid JSON and, when
// the body is valid UTF-8, carries it unchanged.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "agents/lambda/api_gateway.hpp"

namespace {

bool valid_utf8(std::string_view s) {
  try {
    (void)nlohmann::json(std::string(s)).dump();
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto request = agents::lambda::parse_api_gateway_event(input);
  std::string_view body = request.ok() ? std::string_view(request->body) : input;
  std::string response = agents::lambda::api_gateway_response(200, body);
  auto doc = nlohmann::json::parse(response, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || doc.value("statusCode", 0) != 200 || !doc["body"].is_string()) __builtin_trap();
  if (valid_utf8(body) && doc["body"].get<std::string>() != body) __builtin_trap();
  std::string error = agents::lambda::api_gateway_error_response(400, "invalid_event", input);
  if (nlohmann::json::parse(error, nullptr, false).is_discarded()) __builtin_trap();
  return 0;
}
