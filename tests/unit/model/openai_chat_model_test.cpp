// OpenAiChatModel against a loopback server speaking the protocol with recorded-shape answers.
#include "agents/model/openai_chat_model.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "agents/core/error.hpp"
#include "unit/model/openai_test_server.hpp"

namespace agents {
namespace {

using agents::testing::FakeOpenAiServer;
using agents::testing::ScriptedReply;

constexpr const char* kKey = "sk-test-SECRET-9f8e7d6c5b4a";

class OpenAiChatModelTest : public ::testing::Test {
 protected:
  OpenAiConfig config() {
    OpenAiConfig c(kKey, "gpt-4o-mini");
    c.base_url = server_.base_url();
    c.retry.jitter = [] { return 0.0; };
    c.retry.sleeper = [this](std::chrono::milliseconds d) { sleeps_.push_back(d); };
    c.timeout = std::chrono::milliseconds(5000);
    return c;
  }
  ChatRequest hello() {
    ChatRequest r;
    r.messages = {Message::system("You are terse."), Message::user("Hello")};
    return r;
  }

  FakeOpenAiServer server_;
  std::vector<std::chrono::milliseconds> sleeps_;
};

TEST_F(OpenAiChatModelTest, ParsesTextUsageAndFinishReason) {
  server_.push(agents::testing::text_reply("Hello! How can I help you today?", 19, 9));
  OpenAiChatModel model(config());
  ChatResponse r = model.complete(hello());
  EXPECT_EQ(r.message.role, "assistant");
  EXPECT_EQ(r.message.content, "Hello! How can I help you today?");
  EXPECT_TRUE(r.message.tool_calls.empty());
  EXPECT_EQ(r.finish_reason, FinishReason::kStop);
  EXPECT_EQ(r.finish_reason_text, "stop");
  EXPECT_EQ(r.usage, (Usage{19, 9, 28}));
  EXPECT_EQ(r.model, "gpt-4o-mini-2024-07-18");
  EXPECT_EQ(r.id, "chatcmpl-AbC123");
  EXPECT_EQ(model.name(), "openai:gpt-4o-mini");
}

TEST_F(OpenAiChatModelTest, SendsTheProtocolsRequestShape) {
  server_.push(agents::testing::text_reply("ok"));
  OpenAiConfig c = config();
  c.organization = "org-123";
  c.project = "proj_9";
  c.temperature = 0.25;
  c.max_tokens = 256;
  c.extra_body = {{"seed", 7}};
  c.with_header("X-Trace", "abc");
  OpenAiChatModel model(c);
  ChatRequest req = hello();
  req.messages.push_back(Message::assistant("", {{"call_1", "get_weather", R"({"city":"Paris"})"}}));
  req.messages.push_back(Message::tool("call_1", "sunny"));
  req.tools.push_back(
      {"get_weather",
       "Weather for a city",
       {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}, {"required", {"city"}}}});
  model.complete(req);

  auto recorded = server_.requests();
  ASSERT_EQ(recorded.size(), 1u);
  const auto& got = recorded[0];
  EXPECT_EQ(got.method, "POST");
  EXPECT_EQ(got.path, "/v1/chat/completions");
  EXPECT_EQ(got.header("Authorization"), std::string("Bearer ") + kKey);
  EXPECT_EQ(got.header("OpenAI-Organization"), "org-123");
  EXPECT_EQ(got.header("OpenAI-Project"), "proj_9");
  EXPECT_EQ(got.header("X-Trace"), "abc");
  EXPECT_NE(got.header("Content-Type").find("application/json"), std::string::npos);
  Json body = got.json();
  EXPECT_EQ(body["model"], "gpt-4o-mini");
  EXPECT_EQ(body["temperature"], 0.25);
  EXPECT_EQ(body["max_tokens"], 256);
  EXPECT_EQ(body["seed"], 7);
  EXPECT_FALSE(body.contains("stream"));
  ASSERT_EQ(body["messages"].size(), 4u);
  EXPECT_EQ(body["messages"][0], (Json{{"role", "system"}, {"content", "You are terse."}}));
  EXPECT_EQ(body["messages"][1], (Json{{"role", "user"}, {"content", "Hello"}}));
  EXPECT_TRUE(body["messages"][2]["content"].is_null());
  EXPECT_EQ(body["messages"][2]["tool_calls"][0],
            (Json{{"id", "call_1"},
                  {"type", "function"},
                  {"function", {{"name", "get_weather"}, {"arguments", R"({"city":"Paris"})"}}}}));
  EXPECT_EQ(body["messages"][3], (Json{{"role", "tool"}, {"content", "sunny"}, {"tool_call_id", "call_1"}}));
  EXPECT_EQ(body["tools"][0]["type"], "function");
  EXPECT_EQ(body["tools"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(body["tools"][0]["function"]["parameters"]["required"][0], "city");
}

TEST_F(OpenAiChatModelTest, ParsesSeveralToolCallsWithIds) {
  server_.push(agents::testing::tool_calls_reply({{"call_abc", "get_weather", R"({"city":"Paris"})"},
                                                  {"call_def", "get_weather", R"({"city":"Tokyo"})"},
                                                  {"call_ghi", "read_todos", "{}"}}));
  OpenAiChatModel model(config());
  ChatResponse r = model.complete(hello());
  EXPECT_EQ(r.finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(r.message.content, "");
  ASSERT_EQ(r.message.tool_calls.size(), 3u);
  EXPECT_EQ(r.message.tool_calls[0], (ToolCall{"call_abc", "get_weather", R"({"city":"Paris"})"}));
  EXPECT_EQ(r.message.tool_calls[1], (ToolCall{"call_def", "get_weather", R"({"city":"Tokyo"})"}));
  EXPECT_EQ(r.message.tool_calls[2], (ToolCall{"call_ghi", "read_todos", "{}"}));
  EXPECT_EQ(r.usage.total_tokens, 133);
}

TEST_F(OpenAiChatModelTest, RetriesA429AfterAtLeastRetryAfter) {
  auto limited = agents::testing::error_reply(
      429, "Rate limit reached for gpt-4o-mini in organization org-x on requests per min (RPM): Limit 3.",
      "requests", "rate_limit_exceeded");
  limited.headers.push_back({"Retry-After", "2"});
  server_.push(limited);
  server_.push(agents::testing::text_reply("after the wait"));
  OpenAiChatModel model(config());
  EXPECT_EQ(model.complete(hello()).message.content, "after the wait");
  EXPECT_EQ(server_.request_count(), 2u);
  ASSERT_EQ(sleeps_.size(), 1u);
  EXPECT_GE(sleeps_[0], std::chrono::milliseconds(2000));  // jitter 0 would have slept 0
}

TEST_F(OpenAiChatModelTest, HonoursRetryAfterMs) {
  auto limited = agents::testing::error_reply(429, "slow down", "requests", "rate_limit_exceeded");
  limited.headers.push_back({"retry-after-ms", "750"});
  server_.push(limited);
  server_.push(agents::testing::text_reply("ok"));
  OpenAiChatModel model(config());
  model.complete(hello());
  ASSERT_EQ(sleeps_.size(), 1u);
  EXPECT_EQ(sleeps_[0], std::chrono::milliseconds(750));
}

TEST_F(OpenAiChatModelTest, PersistentThrottlingBecomesThrottledError) {
  OpenAiConfig c = config();
  c.retry.max_attempts = 3;
  for (int i = 0; i < 3; ++i) {
    auto r = agents::testing::error_reply(429, "Rate limit reached", "requests", "rate_limit_exceeded");
    r.headers.push_back({"Retry-After", "1"});
    server_.push(r);
  }
  OpenAiChatModel model(c);
  try {
    model.complete(hello());
    FAIL() << "expected ThrottledError";
  } catch (const ThrottledError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kThrottled);
    EXPECT_EQ(e.http_status(), 429);
    EXPECT_NE(std::string(e.what()).find("gave up after 3 attempts"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Rate limit reached"), std::string::npos);
  }
  EXPECT_EQ(server_.request_count(), 3u);
}

TEST_F(OpenAiChatModelTest, RetryAfterBeyondTheMaximumIsNotWaitedFor) {
  auto r = agents::testing::error_reply(429, "Rate limit reached", "tokens", "rate_limit_exceeded");
  r.headers.push_back({"Retry-After", "3600"});
  server_.push(r);
  OpenAiChatModel model(config());
  EXPECT_THROW(model.complete(hello()), ThrottledError);
  EXPECT_EQ(server_.request_count(), 1u);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(OpenAiChatModelTest, InsufficientQuotaIsNotRetried) {
  server_.push(agents::testing::error_reply(429, "You exceeded your current quota, please check your plan.",
                                            "insufficient_quota", "insufficient_quota"));
  OpenAiChatModel model(config());
  try {
    model.complete(hello());
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_EQ(e.service_code(), "insufficient_quota");
    EXPECT_NE(std::string(e.what()).find("billing"), std::string::npos);
  }
  EXPECT_EQ(server_.request_count(), 1u);
}

TEST_F(OpenAiChatModelTest, Retries500ThenSucceeds) {
  server_.push(agents::testing::error_reply(500, "The server had an error while processing your request.",
                                            "server_error", ""));
  server_.push(agents::testing::text_reply("recovered"));
  OpenAiChatModel model(config());
  EXPECT_EQ(model.complete(hello()).message.content, "recovered");
  EXPECT_EQ(server_.request_count(), 2u);
  EXPECT_EQ(sleeps_.size(), 1u);
  EXPECT_EQ(model.stats().attempts, 2);
  EXPECT_EQ(model.stats().calls, 1);
}

TEST_F(OpenAiChatModelTest, Persistent5xxIsAModelErrorWithStatus) {
  OpenAiConfig c = config();
  c.retry.max_attempts = 2;
  server_.push(agents::testing::error_reply(503, "overloaded", "server_error", ""));
  server_.push(agents::testing::error_reply(502, "bad gateway", "server_error", ""));
  OpenAiChatModel model(c);
  try {
    model.complete(hello());
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_EQ(e.http_status(), 502);
    EXPECT_NE(std::string(e.what()).find("gave up after 2 attempts"), std::string::npos);
  }
}

TEST_F(OpenAiChatModelTest, Unauthorized401QuotesTheServerButNeverTheKey) {
  // A server that echoes the whole key back (OpenAI masks it; others may not).
  server_.push(agents::testing::error_reply(401,
                                            std::string("Incorrect API key provided: ") + kKey +
                                                ". You can find your API key at https://platform.openai.com.",
                                            "invalid_request_error", "invalid_api_key"));
  OpenAiChatModel model(config());
  try {
    model.complete(hello());
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    std::string what = e.what();
    EXPECT_EQ(e.code(), ErrorCode::kModelError);
    EXPECT_EQ(e.http_status(), 401);
    EXPECT_EQ(e.service_code(), "invalid_api_key");
    EXPECT_EQ(e.request_id(), "req_401abc");
    EXPECT_NE(what.find("Incorrect API key provided"), std::string::npos) << what;
    EXPECT_NE(what.find("check the API key"), std::string::npos) << what;
    EXPECT_EQ(what.find(kKey), std::string::npos) << what;
    EXPECT_EQ(what.find("SECRET"), std::string::npos) << what;
  }
  EXPECT_EQ(server_.request_count(), 1u);  // never retried
}

TEST_F(OpenAiChatModelTest, BadRequest400AndNotFound404AreTypedAndQuoted) {
  server_.push(agents::testing::error_reply(
      400, "Invalid 'messages[1].role': expected one of system, user, assistant, tool.",
      "invalid_request_error", "invalid_value"));
  server_.push(
      agents::testing::error_reply(404, "The model `gpt-9` does not exist or you do not have access to it.",
                                   "invalid_request_error", "model_not_found"));
  OpenAiChatModel model(config());
  try {
    model.complete(hello());
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_EQ(e.http_status(), 400);
    EXPECT_NE(std::string(e.what()).find("Invalid 'messages[1].role'"), std::string::npos);
  }
  try {
    model.complete(hello());
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_EQ(e.http_status(), 404);
    EXPECT_EQ(e.service_code(), "model_not_found");
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("check the model name"), std::string::npos);
  }
  EXPECT_EQ(server_.request_count(), 2u);
}

TEST_F(OpenAiChatModelTest, MalformedJsonIsAModelErrorNotRetried) {
  server_.push(ScriptedReply{200, R"({"id":"chatcmpl-1","choices":[{"index":0,"message":{"role":"assis)"});
  OpenAiChatModel model(config());
  try {
    model.complete(hello());
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_EQ(e.service_code(), "invalid_response");
    EXPECT_NE(std::string(e.what()).find("malformed JSON"), std::string::npos) << e.what();
  }
  EXPECT_EQ(server_.request_count(), 1u);
}

TEST_F(OpenAiChatModelTest, NonJsonErrorBodiesAreQuoted) {
  server_.push(ScriptedReply{404, "<html><body>404 page not found</body></html>", "text/html"});
  OpenAiChatModel model(config());
  try {
    model.complete(hello());
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_EQ(e.http_status(), 404);
    EXPECT_NE(std::string(e.what()).find("404 page not found"), std::string::npos);
  }
}

TEST_F(OpenAiChatModelTest, StreamsTextDeltasAsTheyArrive) {
  std::promise<void> first_delta_seen;
  auto seen = first_delta_seen.get_future().share();
  std::atomic<bool> delivered_before_rest{false};
  ScriptedReply r;
  r.events = agents::testing::text_stream_events({"Hel", "lo", " there"});
  // The server holds the rest of the stream back until the client has shown the first piece:
  // a client that only parses the finished body would keep it waiting for the whole timeout.
  r.events.erase(r.events.begin());  // make the first event carry text
  r.after_first_event = [seen, &delivered_before_rest] {
    delivered_before_rest = seen.wait_for(std::chrono::seconds(3)) == std::future_status::ready;
  };
  server_.push(r);
  OpenAiChatModel model(config());
  ChatRequest req = hello();
  std::vector<std::string> deltas;
  req.on_text_delta = [&](std::string_view d) {
    if (deltas.empty()) first_delta_seen.set_value();
    deltas.emplace_back(d);
  };
  ChatResponse resp = model.complete(req);
  EXPECT_TRUE(delivered_before_rest.load());
  EXPECT_EQ(deltas, (std::vector<std::string>{"Hel", "lo", " there"}));
  EXPECT_EQ(resp.message.content, "Hello there");
  EXPECT_EQ(resp.finish_reason, FinishReason::kStop);
  EXPECT_EQ(resp.usage, (Usage{10, 3, 13}));
  Json body = server_.requests()[0].json();
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
  EXPECT_EQ(server_.requests()[0].header("Accept"), "text/event-stream");
}

TEST_F(OpenAiChatModelTest, StreamedToolCallsAreAssembledByIndex) {
  using agents::testing::sse;
  ScriptedReply r;
  r.events = {
      sse({{"choices",
            {{{"index", 0},
              {"delta",
               {{"role", "assistant"},
                {"content", nullptr},
                {"tool_calls",
                 {{{"index", 0},
                   {"id", "call_1"},
                   {"type", "function"},
                   {"function", {{"name", "get_weather"}, {"arguments", ""}}}}}}}},
              {"finish_reason", nullptr}}}}}),
      sse({{"choices",
            {{{"index", 0},
              {"delta", {{"tool_calls", {{{"index", 0}, {"function", {{"arguments", "{\"city\":"}}}}}}}}}}}}),
      sse({{"choices",
            {{{"index", 0},
              {"delta", {{"tool_calls", {{{"index", 0}, {"function", {{"arguments", "\"Paris\"}"}}}}}}}}}}}}),
      sse({{"choices",
            {{{"index", 0},
              {"delta",
               {{"tool_calls",
                 {{{"index", 1},
                   {"id", "call_2"},
                   {"type", "function"},
                   {"function", {{"name", "read_todos"}, {"arguments", "{}"}}}}}}}}}}}}),
      sse({{"choices", {{{"index", 0}, {"delta", Json::object()}, {"finish_reason", "tool_calls"}}}}}),
      ": keep-alive comment\n\n",
      "data: [DONE]\n\n"};
  server_.push(r);
  OpenAiConfig c = config();
  c.stream = true;
  OpenAiChatModel model(c);
  ChatResponse resp = model.complete(hello());
  EXPECT_EQ(resp.finish_reason, FinishReason::kToolCalls);
  ASSERT_EQ(resp.message.tool_calls.size(), 2u);
  EXPECT_EQ(resp.message.tool_calls[0], (ToolCall{"call_1", "get_weather", R"({"city":"Paris"})"}));
  EXPECT_EQ(resp.message.tool_calls[1], (ToolCall{"call_2", "read_todos", "{}"}));
}

TEST_F(OpenAiChatModelTest, StreamsOverAnInjectedTransportToo) {
  ScriptedReply r;
  r.events = agents::testing::text_stream_events({"a", "b", "c"});
  server_.push(r);
  OpenAiConfig c = config();
  c.http_client = http::make_curl_http_client();
  OpenAiChatModel model(c);
  ChatRequest req = hello();
  std::string streamed;
  req.on_text_delta = [&](std::string_view d) { streamed += d; };
  EXPECT_EQ(model.complete(req).message.content, "abc");
  EXPECT_EQ(streamed, "abc");
}

// A transport of the caller's own (no libcurl) drives real streaming through the body sink: each
// delta reaches the caller before the transport hands on the next piece.
TEST(OpenAiStreamingTransport, AnInjectedTransportStreamsThroughTheBodySink) {
  class PieceByPiece final : public http::HttpClient {
   public:
    explicit PieceByPiece(std::vector<std::string> pieces) : pieces_(std::move(pieces)) {}
    StatusOr<http::Response> send(const http::Request& request) override {
      http::Response head;
      head.status = 200;
      head.headers = {{"Content-Type", "text/event-stream"}};
      if (!request.on_body) return Status(ErrorCode::kInvalidArgument, "expected a streaming request");
      for (const auto& piece : pieces_) {
        if (!request.on_body(head, piece)) break;
        deltas_after_piece.push_back(deltas_seen);
      }
      return head;
    }
    std::vector<std::string> pieces_;
    int deltas_seen = 0;
    std::vector<int> deltas_after_piece;
  };
  auto events = agents::testing::text_stream_events({"one", " two", " three"});
  auto transport = std::make_shared<PieceByPiece>(events);
  OpenAiConfig c("sk-test", "gpt-test");
  c.base_url = "http://127.0.0.1:1/v1";  // never dialled: the transport is the caller's
  c.http_client = transport;
  OpenAiChatModel model(c);
  ChatRequest req;
  req.messages.push_back(Message::user("hi"));
  std::string streamed;
  req.on_text_delta = [&](std::string_view d) {
    streamed += d;
    ++transport->deltas_seen;
  };
  EXPECT_EQ(model.complete(req).message.content, "one two three");
  EXPECT_EQ(streamed, "one two three");
  // Counts grow piece by piece: every delta was delivered while the transport was still sending.
  ASSERT_EQ(transport->deltas_after_piece.size(), events.size());
  ASSERT_GE(transport->deltas_after_piece.size(), 4u);  // the role chunk, then one chunk per piece
  EXPECT_EQ(transport->deltas_after_piece[1], 1);
  EXPECT_EQ(transport->deltas_after_piece[2], 2);
  EXPECT_EQ(transport->deltas_after_piece[3], 3);
}

TEST_F(OpenAiChatModelTest, AnErrorEventInTheStreamIsAModelError) {
  ScriptedReply r;
  r.events = {
      agents::testing::text_stream_events({"partial"})[1],
      "data: {\"error\":{\"message\":\"The server had an error mid-stream\",\"type\":\"server_error\"}}\n\n"};
  server_.push(r);
  OpenAiChatModel model(config());
  ChatRequest req = hello();
  std::string streamed;
  req.on_text_delta = [&](std::string_view d) { streamed += d; };
  EXPECT_THROW(model.complete(req), ModelError);
  EXPECT_EQ(streamed, "partial");
  EXPECT_EQ(server_.request_count(), 1u);  // text already reached the caller: not retried
}

TEST_F(OpenAiChatModelTest, AServerIgnoringStreamStillDeliversTheText) {
  server_.push(agents::testing::text_reply("whole answer"));
  OpenAiChatModel model(config());
  ChatRequest req = hello();
  std::string streamed;
  req.on_text_delta = [&](std::string_view d) { streamed += d; };
  EXPECT_EQ(model.complete(req).message.content, "whole answer");
  EXPECT_EQ(streamed, "whole answer");
}

TEST_F(OpenAiChatModelTest, AzureStyleFullUrlAndApiKeyHeader) {
  server_.push(agents::testing::text_reply("from azure"));
  OpenAiConfig c = config();
  c.chat_completions_url =
      server_.url("/openai/deployments/my-gpt4o/chat/completions?api-version=2024-06-01");
  c.api_key_header = "api-key";
  OpenAiChatModel model(c);
  EXPECT_EQ(model.complete(hello()).message.content, "from azure");
  auto got = server_.requests().at(0);
  EXPECT_EQ(got.path, "/openai/deployments/my-gpt4o/chat/completions");
  EXPECT_EQ(got.query, "api-version=2024-06-01");
  EXPECT_EQ(got.header("api-key"), kKey);
  EXPECT_FALSE(got.has_header("Authorization"));
}

TEST_F(OpenAiChatModelTest, NoKeyMeansNoAuthorizationHeader) {
  server_.push(agents::testing::text_reply("local"));
  OpenAiConfig c = config();
  c.api_key.clear();
  c.base_url = server_.base_url() + "/";  // a trailing slash is fine
  OpenAiChatModel model(c);
  model.complete(hello());
  EXPECT_FALSE(server_.requests().at(0).has_header("Authorization"));
  EXPECT_EQ(server_.requests().at(0).path, "/v1/chat/completions");
}

TEST_F(OpenAiChatModelTest, ConnectionRefusedIsAConnectionErrorWithoutTheKey) {
  OpenAiConfig c = config();
  c.base_url = "http://127.0.0.1:1/v1";
  c.retry.max_attempts = 2;
  OpenAiChatModel model(c);
  try {
    model.complete(hello());
    FAIL();
  } catch (const ConnectionError& e) {
    EXPECT_EQ(std::string(e.what()).find(kKey), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:1"), std::string::npos) << e.what();
  }
  EXPECT_EQ(sleeps_.size(), 1u);
}

TEST_F(OpenAiChatModelTest, ASlowServerTimesOut) {
  ScriptedReply slow = agents::testing::text_reply("too late");
  slow.delay = std::chrono::milliseconds(1500);
  server_.push(slow);
  OpenAiConfig c = config();
  c.timeout = std::chrono::milliseconds(200);
  c.retry.max_attempts = 1;
  OpenAiChatModel model(c);
  EXPECT_THROW(model.complete(hello()), TimeoutError);
}

TEST(OpenAiConfigTest, FromEnvironment) {
  ::setenv("OPENAI_API_KEY", "sk-env", 1);
  ::setenv("OPENAI_BASE_URL", "http://localhost:11434/v1", 1);
  ::unsetenv("OPENAI_MODEL");
  ::setenv("OPENAI_ORGANIZATION", "org-e", 1);
  OpenAiConfig c = OpenAiConfig::from_environment("llama3.2");
  EXPECT_EQ(c.api_key, "sk-env");
  EXPECT_EQ(c.base_url, "http://localhost:11434/v1");
  EXPECT_EQ(c.model, "llama3.2");
  EXPECT_EQ(c.organization, "org-e");
  ::unsetenv("OPENAI_API_KEY");
  ::unsetenv("OPENAI_BASE_URL");
  ::unsetenv("OPENAI_ORGANIZATION");
  OpenAiChatModel model(c);
  EXPECT_EQ(model.url(), "http://localhost:11434/v1/chat/completions");
}

TEST(OpenAiConfigTest, RejectsABadUrlWithoutQuotingTheKey) {
  OpenAiConfig c("sk-bad-url-key", "m");
  c.base_url = "localhost:8080/v1?key=sk-bad-url-key";
  try {
    OpenAiChatModel model(c);
    FAIL();
  } catch (const InvalidArgumentError& e) {
    EXPECT_EQ(std::string(e.what()).find("sk-bad-url-key"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace agents
