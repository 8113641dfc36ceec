// The seed's handler flow end to end on the real local servers: load, handle, save, resumed by a
// fresh agent each request, with the offline model and with the OpenAI protocol over loopback.
#include <gtest/gtest.h>

#include "agents/agent/agent.hpp"
#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "agents/core/error.hpp"
#include "agents/model/offline_chat_model.hpp"
#include "agents/model/openai_chat_model.hpp"
#include "support/dynamodb_fixture.hpp"
#include "unit/model/openai_test_server.hpp"

namespace agents {
namespace {

using agents::testing::LocalServer;

class AgentDynamoDbTest : public ::testing::TestWithParam<LocalServer> {
 protected:
  void SetUp() override {
    AGENTS_REQUIRE_LOCAL_SERVER(GetParam(), endpoint);
    auto client = agents::testing::make_local_client(endpoint);
    table_ = agents::testing::unique_table_name("agent");
    agents::testing::create_table_and_wait(*client, {.table = table_, .partition_key = {"thread_id", "S"}});
    checkpointer_ = std::make_shared<DynamoDbCheckpointer>(table_);
    checkpointer_->with_endpoint(endpoint)
        .with_region("us-east-1")
        .with_credentials(agents::testing::local_credentials())
        .with_ttl(std::chrono::days(30));
  }

  Agent make_agent(const std::shared_ptr<ChatModel>& model, std::vector<Tool> tools = {}) {
    return ConfigurableAgentBuilder("You are a helpful assistant.")
        .with_model(model)
        .with_checkpointer(checkpointer_)
        .with_tools(std::move(tools))
        .build();
  }

  // The Lambda example's handler body.
  std::string handle(const std::shared_ptr<ChatModel>& model, const std::string& thread,
                     const std::string& text) {
    auto agent = make_agent(model);
    agent.load_state(thread);
    auto reply = agent.handle_message(text);
    agent.save_state(thread);
    return reply;
  }

  void run_seed_flow(const std::shared_ptr<ChatModel>& model) {
    EXPECT_NE(handle(model, "user-123", "Hello").find("offline model"), std::string::npos);
    handle(model, "user-123", "My name is Alice");
    EXPECT_EQ(handle(model, "user-123", "add a todo: ship the agent"),
              "Added \"ship the agent\". You have 1 todo:\n1. [pending] ship the agent");
    EXPECT_EQ(handle(model, "user-123", "What is my name?"),
              "You told me earlier that your name is Alice. (offline model)");
    auto stored = checkpointer_->load_state("user-123");
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->version, 4);
    EXPECT_EQ(stored->state.messages.size(), 12u);
    EXPECT_EQ(stored->state.todos, (std::vector<TodoItem>{{"ship the agent", TodoStatus::kPending}}));
    EXPECT_TRUE(checkpointer_->delete_thread("user-123"));
    EXPECT_FALSE(make_agent(model).load_state("user-123"));
  }

  std::string table_;
  std::shared_ptr<DynamoDbCheckpointer> checkpointer_;
};

TEST_P(AgentDynamoDbTest, SeedHandlerFlowWithTheOfflineModel) {
  run_seed_flow(std::make_shared<OfflineChatModel>());
}

TEST_P(AgentDynamoDbTest, SeedHandlerFlowOverTheOpenAiProtocol) {
  agents::testing::FakeOpenAiServer server;
  server.use_offline_brain();
  OpenAiConfig config("sk-loopback-test-key", "gpt-4o-mini");
  config.base_url = server.base_url();
  run_seed_flow(std::make_shared<OpenAiChatModel>(config));
  // Every request carried the system prompt and the whole history so far.
  auto requests = server.requests();
  ASSERT_GE(requests.size(), 6u);
  Json last = requests.back().json();
  EXPECT_EQ(last["messages"][0]["content"], "You are a helpful assistant.");
  EXPECT_EQ(last["messages"].size(), 1u + 10u + 1u);  // system, 10 earlier messages, the question
}

TEST_P(AgentDynamoDbTest, StreamingOverTheOpenAiProtocol) {
  agents::testing::FakeOpenAiServer server;
  server.use_offline_brain();
  OpenAiConfig config("", "llama3.2");
  config.base_url = server.base_url();
  auto model = std::make_shared<OpenAiChatModel>(config);
  auto agent = make_agent(model);
  agent.load_state("stream");
  std::string streamed;
  auto reply = agent.handle_message("add a todo: stream it", [&](std::string_view d) { streamed += d; });
  EXPECT_EQ(reply.text, "Added \"stream it\". You have 1 todo:\n1. [pending] stream it");
  EXPECT_EQ(streamed, reply.text);
  agent.save_state("stream");
  EXPECT_EQ(checkpointer_->load_state("stream")->state.todos.size(), 1u);
}

// docs/history.md: three turns, then a different second turn twice: once by rewinding the thread
// (stored as its next versions) and once on a fork from after turn 1. Every branch stays loadable.
TEST_P(AgentDynamoDbTest, RewindAndForkBranchAConversationWithoutRewritingItsHistory) {
  checkpointer_->with_history(10);
  auto model = std::make_shared<OfflineChatModel>();
  handle(model, "trip", "Hello");
  handle(model, "trip", "My name is Alice");
  EXPECT_EQ(handle(model, "trip", "What is my name?"),
            "You told me earlier that your name is Alice. (offline model)");
  std::vector<AgentStateSnapshot> original;
  for (std::int64_t v = 1; v <= 3; ++v) original.push_back(checkpointer_->load_version("trip", v)->state);
  EXPECT_EQ(original[0].messages.size(), 2u);  // "Hello" and the answer

  // Rewind to after turn 1 and take another second turn: versions 4 and 5 of the same thread.
  auto agent = make_agent(model);
  ASSERT_TRUE(agent.rewind("trip", 1));
  EXPECT_EQ(agent.state(), original[0]);
  agent.handle_message("My name is Bob");
  EXPECT_EQ(agent.save_state("trip"), 4);
  EXPECT_EQ(handle(model, "trip", "What is my name?"),
            "You told me earlier that your name is Bob. (offline model)");
  EXPECT_FALSE(agent.rewind("trip", 99));

  // A fork from after turn 1: a thread of its own, whose first version is turn 1's state.
  checkpointer_->fork("trip", 1, "trip-carol");
  EXPECT_EQ(checkpointer_->load_version("trip-carol", 1)->state, original[0]);
  handle(model, "trip-carol", "My name is Carol");
  EXPECT_EQ(handle(model, "trip-carol", "What is my name?"),
            "You told me earlier that your name is Carol. (offline model)");

  // The original versions are unchanged, and every branch loads.
  for (std::int64_t v = 1; v <= 3; ++v)
    EXPECT_EQ(checkpointer_->load_version("trip", v)->state, original[v - 1]) << v;
  auto versions = checkpointer_->list_versions("trip");
  ASSERT_EQ(versions.size(), 5u);
  EXPECT_EQ(versions.front().version, 5);
  auto carol = checkpointer_->list_versions("trip-carol");
  ASSERT_EQ(carol.size(), 3u);
  ASSERT_TRUE(carol.back().forked_from.has_value());
  EXPECT_EQ(*carol.back().forked_from, (ForkOrigin{"trip", 1}));
  EXPECT_EQ(checkpointer_->load_version("trip-carol", 1)->state, original[0]);
}

TEST_P(AgentDynamoDbTest, ConcurrentWritersConflict) {
  auto model = std::make_shared<OfflineChatModel>();
  auto a = make_agent(model);
  auto b = make_agent(model);
  a.load_state("race");
  b.load_state("race");
  a.handle_message("My name is A");
  b.handle_message("My name is B");
  EXPECT_EQ(a.save_state("race"), 1);
  EXPECT_THROW(b.save_state("race"), ConflictError);
  a.handle_message("hello");
  EXPECT_EQ(a.save_state("race"), 2);  // consecutive saves in one process
  EXPECT_EQ(checkpointer_->load_state("race")->state, a.state());
}

TEST_P(AgentDynamoDbTest, ApprovalAcrossASaveAndLoad) {
  auto model = std::make_shared<OfflineChatModel>();
  int sent = 0;
  Tool send("send_email", "Send an email",
            Json{{"type", "object"}, {"properties", {{"to", {{"type", "string"}}}}}, {"required", {"to"}}},
            [&sent](const Json& args) { return ++sent, "sent to " + args.at("to").get<std::string>(); });
  send.requires_approval("outbound email");
  std::string call_id;
  {
    auto agent = make_agent(model, {send});
    agent.load_state("hitl");
    auto r = agent.handle_message(R"(call send_email {"to":"ops@example.com"})");
    ASSERT_TRUE(r.awaiting_approval);
    call_id = r.pending.at(0).call_id;
    agent.save_state("hitl");
  }
  EXPECT_EQ(sent, 0);
  auto agent = make_agent(model, {send});
  ASSERT_TRUE(agent.load_state("hitl"));
  ASSERT_EQ(agent.pending_approvals().size(), 1u);
  EXPECT_EQ(agent.pending_approvals()[0].policy_note, "outbound email");
  EXPECT_EQ(agent.approve(call_id).text, "(offline model) send_email returned: sent to ops@example.com");
  EXPECT_EQ(sent, 1);
  EXPECT_EQ(agent.save_state("hitl"), 2);
  EXPECT_TRUE(checkpointer_->load_state("hitl")->state.pending_interrupts.empty());
}

INSTANTIATE_TEST_SUITE_P(Servers, AgentDynamoDbTest,
                         ::testing::Values(agents::testing::kDynamoDbLocal, agents::testing::kDynalite),
                         agents::testing::server_test_name);

}  // namespace
}  // namespace agents
