// API Gateway proxy events shaped like the published samples (Lambda guide
// sample-apps/java-events/events/apigateway-v1.json and -v2.json), with the body swapped in.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace agents::testing {

/// REST API proxy integration, payload format 1.0.
inline nlohmann::json rest_v1_event(const nlohmann::json& body, bool base64 = false) {
  return {
      {"resource", "/chat"},
      {"path", "/chat"},
      {"httpMethod", "POST"},
      {"headers",
       {{"Content-Type", "application/json"},
        {"Host", "abc123.execute-api.us-east-1.amazonaws.com"},
        {"X-Amzn-Trace-Id", "Root=1-5e66d96f-7491f09xmpl79d18acf3d050"}}},
      {"multiValueHeaders",
       {{"Content-Type", {"application/json"}},
        {"Host", {"abc123.execute-api.us-east-1.amazonaws.com"}},
        {"X-Amzn-Trace-Id", {"Root=1-5e66d96f-7491f09xmpl79d18acf3d050"}}}},
      {"queryStringParameters", nullptr},
      {"multiValueQueryStringParameters", nullptr},
      {"pathParameters", nullptr},
      {"stageVariables", nullptr},
      {"requestContext",
       {{"resourceId", "2gxmpl"},
        {"resourcePath", "/chat"},
        {"httpMethod", "POST"},
        {"extendedRequestId", "JJbxmplHYosFVYQ="},
        {"requestTime", "10/Mar/2020:00:03:59 +0000"},
        {"path", "/Prod/chat"},
        {"accountId", "123456789012"},
        {"protocol", "HTTP/1.1"},
        {"stage", "Prod"},
        {"domainPrefix", "abc123"},
        {"requestTimeEpoch", 1583798639428LL},
        {"requestId", "77375676-xmpl-4b79-853a-f982474efe18"},
        {"identity", {{"sourceIp", "52.255.255.12"}, {"userAgent", "curl/7.68.0"}}},
        {"domainName", "abc123.execute-api.us-east-1.amazonaws.com"},
        {"apiId", "abc123"}}},
      {"body", body},
      {"isBase64Encoded", base64},
  };
}

/// HTTP API, payload format 2.0 (function URLs use the same shape).
inline nlohmann::json http_v2_event(const nlohmann::json& body, bool base64 = false) {
  return {
      {"version", "2.0"},
      {"routeKey", "POST /chat"},
      {"rawPath", "/chat"},
      {"rawQueryString", ""},
      {"cookies", {"session=abc"}},
      {"headers",
       {{"content-type", "application/json"},
        {"host", "r3pmxmplak.execute-api.us-east-2.amazonaws.com"},
        {"x-forwarded-for", "205.255.255.176"}}},
      {"requestContext",
       {{"accountId", "123456789012"},
        {"apiId", "r3pmxmplak"},
        {"domainName", "r3pmxmplak.execute-api.us-east-2.amazonaws.com"},
        {"domainPrefix", "r3pmxmplak"},
        {"http",
         {{"method", "POST"},
          {"path", "/chat"},
          {"protocol", "HTTP/1.1"},
          {"sourceIp", "205.255.255.176"},
          {"userAgent", "curl/7.64.1"}}},
        {"requestId", "JKJaXmPLvHcESHA="},
        {"routeKey", "POST /chat"},
        {"stage", "$default"},
        {"time", "10/Mar/2020:05:16:23 +0000"},
        {"timeEpoch", 1583817383220LL}}},
      {"body", body},
      {"isBase64Encoded", base64},
  };
}

/// The seed handler's request body as API Gateway passes it: a string holding JSON.
inline std::string chat_body(const std::string& thread_id, const std::string& message) {
  return nlohmann::json{{"thread_id", thread_id}, {"message", message}}.dump();
}

}  // namespace agents::testing
