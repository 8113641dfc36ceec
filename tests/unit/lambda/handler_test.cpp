// The example's chat handler on an in-memory checkpointer: every HTTP status it answers, the
// deadline rule, non-API events, and the configuration read from the environment.
#include "handler.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include "unit/lambda/sample_events.hpp"
#include "unit/lambda/test_models.hpp"

namespace agents_lambda_example {
namespace {

using agents::Json;
using agents::lambda::Invocation;
using agents::lambda::InvocationResponse;
using agents::testing::chat_body;
using agents::testing::http_v2_event;
using agents::testing::rest_v1_event;
using namespace std::chrono_literals;

struct HttpReply {
  int status = 0;
  Json body;
};

HttpReply http_reply(const InvocationResponse& r) {
  EXPECT_FALSE(r.is_failure) << r.payload;
  Json proxy = Json::parse(r.payload);
  EXPECT_EQ(proxy["headers"]["content-type"], "application/json");
  EXPECT_EQ(proxy["isBase64Encoded"], false);
  return {proxy["statusCode"].get<int>(), Json::parse(proxy["body"].get<std::string>())};
}

Invocation invocation(const Json& event, std::chrono::milliseconds time_left = 30s) {
  Invocation in;
  in.request_id = "req-" + std::to_string(std::rand());
  in.deadline = std::chrono::system_clock::now() + time_left;
  in.payload = event.dump();
  return in;
}

class ChatHandlerTest : public ::testing::Test {
 protected:
  std::shared_ptr<agents::InMemoryCheckpointer> store_ = std::make_shared<agents::InMemoryCheckpointer>();
  ChatHandler handler_{store_, std::make_shared<agents::OfflineChatModel>()};

  HttpReply send(const std::string& body, bool v2 = true) {
    return http_reply(handler_(invocation(v2 ? http_v2_event(body) : rest_v1_event(body))));
  }
};

TEST_F(ChatHandlerTest, AnswersAndResumesTheThread) {
  auto first = send(chat_body("user-123", "Remember that I like tea"), /*v2=*/false);
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body["thread_id"], "user-123");
  EXPECT_EQ(first.body["version"], 1);
  EXPECT_EQ(first.body["resumed"], false);
  EXPECT_FALSE(first.body["response"].get<std::string>().empty());

  auto second = send(chat_body("user-123", "What do you remember?"));
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body["version"], 2);
  EXPECT_EQ(second.body["resumed"], true);
  EXPECT_NE(second.body["response"].get<std::string>().find("tea"), std::string::npos) << second.body;

  auto stored = store_->load_state("user-123");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->version, 2);
  EXPECT_EQ(stored->state.messages.size(), 4u);
}

TEST_F(ChatHandlerTest, BadBodiesAre400WithAJsonError) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "JSON object"},
      {"[1,2]", "JSON object"},
      {R"({"message":"hi"})", "thread_id"},
      {R"({"thread_id":7,"message":"hi"})", "thread_id"},
      {R"({"thread_id":"t"})", "message"},
      {R"({"thread_id":"t","message":""})", "message"},
      {R"({"thread_id":"t","message":["hi"]})", "message"},
      {R"({"thread_id":"","message":"hi"})", "thread"},
      {Json{{"thread_id", std::string(1025, 'x')}, {"message", "hi"}}.dump(), "1024"},
  };
  for (const auto& [body, mentions] : cases) {
    auto r = send(body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(r.body["error"], "bad_request") << body;
    EXPECT_NE(r.body["message"].get<std::string>().find(mentions), std::string::npos)
        << body << " -> " << r.body;
  }
  auto no_body = http_reply(handler_(invocation(rest_v1_event(nullptr))));
  EXPECT_EQ(no_body.status, 400);
  EXPECT_TRUE(store_->list_threads().threads.empty()) << "nothing was saved";
}

TEST_F(ChatHandlerTest, AcceptsBase64Bodies) {
  // {"thread_id":"b64","message":"hello"}
  auto r = http_reply(
      handler_(invocation(http_v2_event("eyJ0aHJlYWRfaWQiOiJiNjQiLCJtZXNzYWdlIjoiaGVsbG8ifQ==", true))));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["thread_id"], "b64");
}

TEST_F(ChatHandlerTest, EventThatIsNotFromApiGatewayIsAFunctionError) {
  Invocation in;
  in.request_id = "req-direct";
  in.payload = chat_body("t", "a direct invoke, not a proxy event");
  InvocationResponse r = handler_(in);
  EXPECT_TRUE(r.is_failure);
  EXPECT_EQ(r.error_type, "InvalidEvent");
  EXPECT_EQ(Json::parse(r.payload)["errorType"], "InvalidEvent");
}

TEST_F(ChatHandlerTest, TooCloseToTheDeadlineIs503AndTouchesNothing) {
  for (auto left : {-5000ms, 0ms, 400ms, 999ms}) {
    auto r = http_reply(handler_(invocation(http_v2_event(chat_body("late", "hi")), left)));
    EXPECT_EQ(r.status, 503) << left.count();
    EXPECT_EQ(r.body["error"], "deadline");
  }
  EXPECT_FALSE(store_->load_state("late"));
  auto in_time = http_reply(handler_(invocation(http_v2_event(chat_body("late", "hi")), 1500ms)));
  EXPECT_EQ(in_time.status, 200);
}

TEST(ChatHandlerRace, TwoInstancesOnOneThreadGiveOne409AndLoseNothing) {
  auto store = std::make_shared<agents::InMemoryCheckpointer>();
  auto rendezvous = std::make_shared<agents::testing::Rendezvous>(2);
  ChatHandler a(store, std::make_shared<agents::testing::RendezvousModel>(rendezvous));
  ChatHandler b(store, std::make_shared<agents::testing::RendezvousModel>(rendezvous));
  InvocationResponse ra, rb;
  std::thread ta([&] { ra = a(invocation(http_v2_event(chat_body("shared", "Remember that A was here")))); });
  std::thread tb([&] { rb = b(invocation(http_v2_event(chat_body("shared", "Remember that B was here")))); });
  ta.join();
  tb.join();
  auto ha = http_reply(ra), hb = http_reply(rb);
  std::multiset<int> statuses{ha.status, hb.status};
  ASSERT_EQ(statuses, (std::multiset<int>{200, 409}));
  const HttpReply& lost = ha.status == 409 ? ha : hb;
  EXPECT_EQ(lost.body["error"], "conflict");
  EXPECT_NE(lost.body["message"].get<std::string>().find("shared"), std::string::npos) << lost.body;

  // The client retries the 409: both turns are kept.
  ChatHandler& loser = ha.status == 409 ? a : b;
  std::string loser_text = ha.status == 409 ? "Remember that A was here" : "Remember that B was here";
  auto retried = http_reply(loser(invocation(http_v2_event(chat_body("shared", loser_text)))));
  EXPECT_EQ(retried.status, 200);
  EXPECT_EQ(retried.body["version"], 2);
  auto stored = store->load_state("shared");
  ASSERT_TRUE(stored);
  std::string all;
  for (const auto& m : stored->state.messages) all += m.content + "\n";
  EXPECT_NE(all.find("A was here"), std::string::npos) << all;
  EXPECT_NE(all.find("B was here"), std::string::npos) << all;
  EXPECT_EQ(stored->state.messages.size(), 4u);
}

TEST(ChatHandlerErrors, MapErrorsToStatusesWithoutLeakingDetails) {
  struct Case {
    std::function<void()> thrower;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {[] { throw agents::ModelError("secret detail", "server_error", 500, "r1"); }, 500, "model_error"},
      {[] { throw agents::ThrottledError("busy", "rate_limit", 429, "r2"); }, 503, "throttled"},
      {[] { throw agents::TimeoutError("slow"); }, 503, "timeout"},
      {[] { throw agents::ConnectionError("refused"); }, 503, "connection_failed"},
      {[] { throw std::runtime_error("secret detail"); }, 500, "internal"},
  };
  for (const auto& c : cases) {
    auto store = std::make_shared<agents::InMemoryCheckpointer>();
    ChatHandler h(store, std::make_shared<agents::testing::FailingModel>([&](int) { c.thrower(); }));
    auto r = http_reply(h(invocation(http_v2_event(chat_body("t", "hi")))));
    EXPECT_EQ(r.status, c.status) << c.code;
    EXPECT_EQ(r.body["error"], c.code);
    EXPECT_EQ(r.body["message"].get<std::string>().find("secret"), std::string::npos) << r.body;
    EXPECT_FALSE(store->load_state("t")) << "a failed turn saves nothing";
  }
}

TEST(ChatHandlerConfig, ParsesTtls) {
  EXPECT_EQ(parse_ttl("30d"), std::chrono::days(30));
  EXPECT_EQ(parse_ttl("12h"), std::chrono::hours(12));
  EXPECT_EQ(parse_ttl("90m"), std::chrono::minutes(90));
  EXPECT_EQ(parse_ttl("3600s"), std::chrono::seconds(3600));
  EXPECT_EQ(parse_ttl("3600"), std::chrono::seconds(3600));
  for (const char* bad : {"", "d", "0d", "-1d", "1w", "1.5h", "99999999999999999999d"}) {
    EXPECT_THROW(parse_ttl(bad), agents::InvalidArgumentError) << bad;
  }
}

TEST(ChatHandlerConfig, BadTtlFailsTheColdStart) {
  ::setenv("AGENTS_TTL", "soon", 1);
  ::setenv("AWS_REGION", "us-east-1", 1);
  EXPECT_THROW(make_chat_handler_from_environment(), agents::InvalidArgumentError);
  ::unsetenv("AGENTS_TTL");
}

}  // namespace
}  // namespace agents_lambda_example
