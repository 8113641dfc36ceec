// The wire format as pure functions: SSE framing, stream chunks, Retry-After, error bodies.
#include "model/openai_codec.hpp"

#include <gtest/gtest.h>

namespace agents::detail {
namespace {

std::vector<std::string> events_of(const std::string& stream, std::size_t piece) {
  std::vector<std::string> out;
  SseParser p([&](const std::string& d) { out.push_back(d); });
  for (std::size_t i = 0; i < stream.size(); i += piece) p.feed(std::string_view(stream).substr(i, piece));
  p.finish();
  return out;
}

TEST(SseParserTest, SplitsEventsWhateverThePieces) {
  const std::string stream =
      ": comment\r\n\r\ndata: {\"a\":1}\r\n\r\nevent: x\ndata: line1\ndata: line2\nid: 7\n\ndata:[DONE]\n\n";
  for (std::size_t piece : {1u, 2u, 3u, 7u, 1000u}) {
    EXPECT_EQ(events_of(stream, piece), (std::vector<std::string>{"{\"a\":1}", "line1\nline2", "[DONE]"}))
        << "piece " << piece;
  }
}

TEST(SseParserTest, DispatchesALastEventWithoutBlankLine) {
  EXPECT_EQ(events_of("data: tail", 4), (std::vector<std::string>{"tail"}));
}

TEST(StreamAccumulatorTest, ReportsMalformedChunks) {
  StreamAccumulator acc(nullptr);
  Status s = acc.add("{not json", "");
  EXPECT_EQ(s.code(), ErrorCode::kModelError);
  EXPECT_EQ(s.details().service_code, "invalid_response");
}

TEST(RetryAfterTest, SecondsMillisecondsAndDates) {
  auto now = std::chrono::system_clock::from_time_t(1445412480);  // Wed, 21 Oct 2015 07:28:00 GMT
  http::Response r;
  EXPECT_FALSE(retry_after(r, now));
  r.headers = {{"Retry-After", "3"}};
  EXPECT_EQ(retry_after(r, now), std::chrono::milliseconds(3000));
  r.headers = {{"retry-after", "0.5"}};
  EXPECT_EQ(retry_after(r, now), std::chrono::milliseconds(500));
  r.headers = {{"Retry-After", "Wed, 21 Oct 2015 07:28:10 GMT"}};
  EXPECT_EQ(retry_after(r, now), std::chrono::milliseconds(10000));
  r.headers = {{"Retry-After", "9"}, {"retry-after-ms", "120"}};
  EXPECT_EQ(retry_after(r, now), std::chrono::milliseconds(120));
  r.headers = {{"Retry-After", "soon"}};
  EXPECT_FALSE(retry_after(r, now));
}

TEST(ErrorResponseTest, ClassifiesAndRedacts) {
  http::Response r;
  r.status = 401;
  r.body =
      R"({"error":{"message":"bad key sk-abc","type":"invalid_request_error","code":"invalid_api_key"}})";
  Status s = status_for_error_response(r, "sk-abc");
  EXPECT_EQ(s.code(), ErrorCode::kModelError);
  EXPECT_FALSE(s.details().transient);
  EXPECT_EQ(s.message().find("sk-abc"), std::string::npos);
  EXPECT_NE(s.message().find("bad key <redacted>"), std::string::npos);

  r.status = 503;
  r.body = "";
  s = status_for_error_response(r, "");
  EXPECT_TRUE(s.details().transient);
  EXPECT_FALSE(s.details().throttling);
  EXPECT_EQ(s.details().service_code, "http_503");

  r.status = 404;
  r.body = R"({"error":"model \"llama9\" not found, try pulling it first"})";  // Ollama's shape
  s = status_for_error_response(r, "");
  EXPECT_NE(s.message().find("llama9"), std::string::npos);
}

TEST(ParseChatResponseTest, AcceptsServerVariants) {
  // Ollama: arguments as an object; content as parts; no ids.
  auto r = parse_chat_response(
      R"({"choices":[{"message":{"role":"assistant","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],
          "tool_calls":[{"function":{"name":"ls","arguments":{"x":1}}}]},"finish_reason":"tool_calls"}]})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->message.content, "ab");
  ASSERT_EQ(r->message.tool_calls.size(), 1u);
  EXPECT_EQ(r->message.tool_calls[0], (ToolCall{"call_0", "ls", R"({"x":1})"}));
  EXPECT_EQ(r->finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(r->usage, Usage{});

  EXPECT_FALSE(parse_chat_response(R"({"choices":[]})").ok());
  EXPECT_FALSE(parse_chat_response(R"([1,2])").ok());
  EXPECT_FALSE(parse_chat_response(R"({"choices":[{"message":{"tool_calls":[{"function":{}}]}}]})").ok());
  EXPECT_EQ(parse_finish_reason("length"), FinishReason::kLength);
  EXPECT_EQ(parse_finish_reason("content_filter"), FinishReason::kContentFilter);
  EXPECT_EQ(parse_finish_reason("weird"), FinishReason::kOther);
}

TEST(EncodeTest, MaxCompletionTokensAndInvalidUtf8) {
  OpenAiConfig c("k", "o3-mini");
  c.max_tokens = 10;
  c.max_tokens_field = "max_completion_tokens";
  ChatRequest req;
  req.messages = {Message::user("bad \xff byte")};
  Json body = encode_chat_request(c, req, false);
  EXPECT_EQ(body["max_completion_tokens"], 10);
  EXPECT_FALSE(body.contains("max_tokens"));
  EXPECT_NO_THROW(body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace
}  // namespace agents::detail
