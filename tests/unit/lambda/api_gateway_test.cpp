// API Gateway proxy events (payload 1.0 and 2.0) and proxy responses: pure functions.
#include "agents/lambda/api_gateway.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <random>

#include "unit/lambda/sample_events.hpp"

namespace agents::lambda {
namespace {

using agents::testing::chat_body;
using agents::testing::http_v2_event;
using agents::testing::rest_v1_event;
using Json = nlohmann::json;

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    auto n = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
             static_cast<unsigned char>(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  if (i < in.size()) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

const std::string* header(const ApiGatewayRequest& r, std::string_view name) {
  return http::find_header(r.headers, name);
}

TEST(ApiGatewayEvent, ParsesRestApiPayloadV1) {
  auto r = parse_api_gateway_event(rest_v1_event(chat_body("user-1", "hello")).dump());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->version, ApiGatewayPayloadVersion::kV1);
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->path, "/chat");
  EXPECT_TRUE(r->has_body);
  EXPECT_EQ(r->body, R"({"message":"hello","thread_id":"user-1"})");
  EXPECT_EQ(r->request_id, "77375676-xmpl-4b79-853a-f982474efe18");
  ASSERT_NE(header(*r, "content-type"), nullptr);
  EXPECT_EQ(*header(*r, "content-type"), "application/json");
  for (const auto& h : r->headers) {
    for (char c : h.name) EXPECT_FALSE(std::isupper(static_cast<unsigned char>(c))) << h.name;
  }
}

TEST(ApiGatewayEvent, ParsesHttpApiPayloadV2) {
  auto r = parse_api_gateway_event(http_v2_event(chat_body("user-2", "hi")).dump());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->version, ApiGatewayPayloadVersion::kV2);
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->path, "/chat");
  EXPECT_EQ(r->body, R"({"message":"hi","thread_id":"user-2"})");
  EXPECT_EQ(r->request_id, "JKJaXmPLvHcESHA=");
  ASSERT_NE(header(*r, "x-forwarded-for"), nullptr);
}

TEST(ApiGatewayEvent, V2WithoutRawPathFallsBackToRequestContextPath) {
  Json e = http_v2_event("{}");
  e.erase("rawPath");
  auto r = parse_api_gateway_event(e.dump());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "/chat");
}

TEST(ApiGatewayEvent, HttpApiPayloadV1IsReadAsV1) {
  Json e = rest_v1_event("{}");
  e["version"] = "1.0";  // HTTP APIs with payloadFormatVersion 1.0 add this field
  auto r = parse_api_gateway_event(e.dump());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->version, ApiGatewayPayloadVersion::kV1);
}

TEST(ApiGatewayEvent, DecodesBase64Bodies) {
  std::string body = chat_body("t", "caf\xc3\xa9 \xe2\x98\x95");
  for (std::size_t cut : {body.size(), body.size() - 1, body.size() - 2}) {  // all three paddings
    std::string part = body.substr(0, cut);
    auto v1 = parse_api_gateway_event(rest_v1_event(base64(part), true).dump());
    ASSERT_TRUE(v1.ok()) << v1.status().message();
    EXPECT_EQ(v1->body, part);
    auto v2 = parse_api_gateway_event(http_v2_event(base64(part), true).dump());
    ASSERT_TRUE(v2.ok()) << v2.status().message();
    EXPECT_EQ(v2->body, part);
  }
  auto empty = parse_api_gateway_event(http_v2_event("", true).dump());
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->has_body);
  EXPECT_EQ(empty->body, "");
}

TEST(ApiGatewayEvent, NullOrAbsentBodyIsNoBody) {
  auto null_body = parse_api_gateway_event(rest_v1_event(nullptr).dump());
  ASSERT_TRUE(null_body.ok());
  EXPECT_FALSE(null_body->has_body);
  Json e = http_v2_event("x");
  e.erase("body");
  auto absent = parse_api_gateway_event(e.dump());
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_body);
}

TEST(ApiGatewayEvent, NullHeaderMapsAreAllowed) {
  Json e = rest_v1_event("{}");
  e["headers"] = nullptr;
  e["multiValueHeaders"] = nullptr;
  auto r = parse_api_gateway_event(e.dump());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->headers.empty());
}

TEST(ApiGatewayEvent, MultiValueHeadersAreJoinedAndWin) {
  Json e = rest_v1_event("{}");
  e["headers"] = {{"Accept", "text/plain"}, {"X-One", "1"}};
  e["multiValueHeaders"] = {{"Accept", {"application/json", "text/plain"}}};
  auto r = parse_api_gateway_event(e.dump());
  ASSERT_TRUE(r.ok());
  ASSERT_NE(header(*r, "accept"), nullptr);
  EXPECT_EQ(*header(*r, "accept"), "application/json,text/plain");
  EXPECT_EQ(*header(*r, "x-one"), "1");
}

TEST(ApiGatewayEvent, RejectsWhatIsNotAProxyEvent) {
  auto expect_invalid = [](const std::string& payload, const std::string& why) {
    auto r = parse_api_gateway_event(payload);
    ASSERT_FALSE(r.ok()) << payload;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(why), std::string::npos) << r.status().message();
  };
  expect_invalid("", "not JSON");
  expect_invalid("{\"httpMethod\":", "not JSON");
  expect_invalid("[1,2]", "not a JSON object");
  expect_invalid("\"text\"", "not a JSON object");
  expect_invalid(R"({"thread_id":"t","message":"m"})", "requestContext");  // a direct invoke
  expect_invalid(R"({"Records":[{"eventSource":"aws:sqs"}]})", "requestContext");
  expect_invalid(R"({"requestContext":{}})", "httpMethod");
  expect_invalid(R"({"requestContext":[],"httpMethod":"POST"})", "requestContext");

  Json no_http = http_v2_event("{}");
  no_http["requestContext"].erase("http");
  expect_invalid(no_http.dump(), "requestContext.http");
  Json bad_b64 = rest_v1_event("not*base64!", true);
  expect_invalid(bad_b64.dump(), "base64");
  Json numeric_body = rest_v1_event(42);
  expect_invalid(numeric_body.dump(), "body");
  Json bad_headers = rest_v1_event("{}");
  bad_headers["headers"] = "x";
  expect_invalid(bad_headers.dump(), "headers");
  Json no_method = http_v2_event("{}");
  no_method["requestContext"]["http"].erase("method");
  expect_invalid(no_method.dump(), "method");
}

TEST(ApiGatewayEvent, NeverThrowsOnMutatedEvents) {
  // A small deterministic fuzz: byte flips, truncations and splices of valid events.
  std::mt19937 rng(12345);
  std::vector<std::string> seeds = {rest_v1_event(chat_body("a", "b")).dump(),
                                    http_v2_event(base64(chat_body("a", "b")), true).dump()};
  int parsed = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string s = seeds[static_cast<std::size_t>(i) % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits && !s.empty(); ++k) {
      std::size_t at = rng() % s.size();
      switch (rng() % 3) {
        case 0:
          s[at] = static_cast<char>(rng() % 256);
          break;
        case 1:
          s.resize(at);
          break;
        default:
          s.insert(at, s.substr(rng() % s.size(), rng() % 16));
      }
    }
    StatusOr<ApiGatewayRequest> r = Status(ErrorCode::kInvalidArgument, "unset");
    EXPECT_NO_THROW(r = parse_api_gateway_event(s));
    if (r.ok()) ++parsed;
  }
  EXPECT_GT(parsed, 0);
}

TEST(ApiGatewayResponse, HasTheProxyResponseShape) {
  Json r = Json::parse(api_gateway_response(200, R"({"response":"Hi \"there\""})"));
  EXPECT_EQ(r.size(), 4u);
  EXPECT_EQ(r["statusCode"], 200);
  EXPECT_EQ(r["headers"], Json({{"content-type", "application/json"}}));
  EXPECT_EQ(r["body"], R"({"response":"Hi \"there\""})");
  EXPECT_EQ(r["isBase64Encoded"], false);
  EXPECT_EQ(Json::parse(r["body"].get<std::string>())["response"], "Hi \"there\"");

  Json text = Json::parse(api_gateway_response(404, "nope", "text/plain"));
  EXPECT_EQ(text["statusCode"], 404);
  EXPECT_EQ(text["headers"]["content-type"], "text/plain");
}

TEST(ApiGatewayResponse, ReplacesInvalidUtf8InsteadOfThrowing) {
  std::string out;
  ASSERT_NO_THROW(out = api_gateway_response(200, "bad \xff byte"));
  EXPECT_EQ(Json::parse(out)["body"], "bad \xef\xbf\xbd byte");
}

TEST(ApiGatewayResponse, ErrorBodyNamesCodeAndMessage) {
  Json r = Json::parse(api_gateway_error_response(409, "conflict", "thread t was saved by another writer"));
  EXPECT_EQ(r["statusCode"], 409);
  Json body = Json::parse(r["body"].get<std::string>());
  EXPECT_EQ(body, Json({{"error", "conflict"}, {"message", "thread t was saved by another writer"}}));
}

}  // namespace
}  // namespace agents::lambda
