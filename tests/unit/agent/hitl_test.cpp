// Human in the loop: a tool that needs approval parks the call in pending_interrupts; another
// process loads the thread and approves or rejects it, and the turn goes on.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>

#include "agents/agent/agent.hpp"
#include "agents/core/error.hpp"
#include "agents/model/offline_chat_model.hpp"
#include "unit/agent/scripted_model.hpp"

namespace agents {
namespace {

struct Outbox {
  std::atomic<int> sent{0};
  std::string last_to;
};

Tool send_email_tool(const std::shared_ptr<Outbox>& outbox) {
  return Tool("send_email", "Send an email",
              Json{{"type", "object"},
                   {"properties", {{"to", {{"type", "string"}}}, {"body", {{"type", "string"}}}}},
                   {"required", {"to"}}},
              [outbox](const Json& args, ToolContext& ctx) {
                ++outbox->sent;
                outbox->last_to = args.at("to").get<std::string>();
                ctx.state.scratchpad["last_email_call"] = ctx.call_id;
                return "sent to " + outbox->last_to;
              })
      .requires_approval("emails leave the company");
}

class HitlTest : public ::testing::Test {
 protected:
  Agent make_agent() {
    return ConfigurableAgentBuilder("You are a helpful assistant.")
        .with_model(model_)
        .with_checkpointer(cp_)
        .with_tool(send_email_tool(outbox_))
        .build();
  }
  std::shared_ptr<Outbox> outbox_ = std::make_shared<Outbox>();
  std::shared_ptr<ChatModel> model_ = std::make_shared<OfflineChatModel>();
  std::shared_ptr<Checkpointer> cp_ = std::make_shared<InMemoryCheckpointer>();
};

TEST_F(HitlTest, ApprovalAfterAResumeInAnotherAgentRunsTheToolAndFinishesTheTurn) {
  std::string call_id;
  {
    auto agent = make_agent();
    EXPECT_FALSE(agent.load_state("hitl"));
    TurnResult r = agent.handle_message(R"(call send_email {"to":"bob@example.com","body":"hi"})");
    EXPECT_TRUE(r.awaiting_approval);
    ASSERT_EQ(r.pending.size(), 1u);
    call_id = r.pending[0].call_id;
    EXPECT_EQ(r.text, "Waiting for approval: send_email (" + call_id + ")");
    EXPECT_EQ(r.pending[0].tool_name, "send_email");
    EXPECT_EQ(r.pending[0].tool_args, (Json{{"to", "bob@example.com"}, {"body", "hi"}}));
    EXPECT_EQ(r.pending[0].policy_note, "emails leave the company");
    EXPECT_FALSE(r.pending[0].created_at.empty());
    EXPECT_EQ(outbox_->sent, 0);
    // No new message while an approval is pending: the conversation would lose the call.
    EXPECT_THROW(agent.handle_message("never mind"), InvalidArgumentError);
    agent.save_state("hitl");
  }
  auto stored = cp_->load_state("hitl");
  ASSERT_EQ(stored->state.pending_interrupts.size(), 1u);

  auto resumed = make_agent();  // "another process"
  ASSERT_TRUE(resumed.load_state("hitl"));
  ASSERT_EQ(resumed.pending_approvals().size(), 1u);
  EXPECT_THROW(resumed.approve("call_unknown"), NotFoundError);
  TurnResult r = resumed.approve(call_id);
  EXPECT_FALSE(r.awaiting_approval);
  EXPECT_EQ(r.text, "(offline model) send_email returned: sent to bob@example.com");
  EXPECT_EQ(outbox_->sent, 1);
  EXPECT_EQ(resumed.state().scratchpad.at("last_email_call"), call_id);
  EXPECT_TRUE(resumed.pending_approvals().empty());
  // The tool's result answers the original call id.
  const auto& ms = resumed.state().messages;
  auto it = std::find_if(ms.begin(), ms.end(), [&](const Message& m) { return m.tool_call_id == call_id; });
  ASSERT_NE(it, ms.end());
  EXPECT_EQ(it->content, "sent to bob@example.com");
  resumed.save_state("hitl");
  EXPECT_TRUE(cp_->load_state("hitl")->state.pending_interrupts.empty());
  EXPECT_THROW(resumed.approve(call_id), NotFoundError);  // only once
}

// The record of a pending call is stamped by the agent's clock, and the state's `updated_at` by
// the checkpointer's: both injectable, so tests and simulations need not wait or guess the date.
TEST_F(HitlTest, PendingCallsAndSavesAreStampedByTheInjectedClocks) {
  const WallClock at_2030 = [] {
    return std::chrono::system_clock::time_point(std::chrono::seconds(1'893'456'000));
  };
  const WallClock a_day_later = [] {
    return std::chrono::system_clock::time_point(std::chrono::seconds(1'893'456'000 + 86'400));
  };
  cp_ = std::make_shared<InMemoryCheckpointer>(LocalCheckpointerOptions().with_clock(a_day_later));
  auto agent = ConfigurableAgentBuilder("You are a helpful assistant.")
                   .with_model(model_)
                   .with_checkpointer(cp_)
                   .with_tool(send_email_tool(outbox_))
                   .with_clock(at_2030)
                   .build();
  agent.load_state("clocked");
  TurnResult r = agent.handle_message(R"(call send_email {"to":"bob@example.com"})");
  ASSERT_EQ(r.pending.size(), 1u);
  EXPECT_EQ(r.pending[0].created_at, "2030-01-01T00:00:00.000Z");
  agent.save_state("clocked");
  auto stored = cp_->load_state("clocked");
  EXPECT_EQ(stored->updated_at, "2030-01-02T00:00:00.000Z");
  EXPECT_EQ(stored->state.pending_interrupts.at(0).created_at, "2030-01-01T00:00:00.000Z");
}

TEST_F(HitlTest, RejectionReportsTheReasonAndDoesNotRun) {
  auto agent = make_agent();
  agent.load_state("r");
  TurnResult r = agent.handle_message(R"(call send_email {"to":"eve@example.com"})");
  ASSERT_TRUE(r.awaiting_approval);
  agent.save_state("r");
  auto resumed = make_agent();
  resumed.load_state("r");
  TurnResult done = resumed.reject(r.pending[0].call_id, "not to Eve");
  EXPECT_EQ(done.text,
            "(offline model) send_email returned: Rejected by a human: not to Eve. The tool was not run.");
  EXPECT_EQ(outbox_->sent, 0);
  EXPECT_TRUE(resumed.pending_approvals().empty());
  EXPECT_EQ(resumed.save_state("r"), 2);
}

TEST_F(HitlTest, OtherCallsOfTheTurnRunAndTheTurnWaitsForEveryApproval) {
  auto scripted = std::make_shared<agents::testing::ScriptedModel>();
  scripted->then_call({{"c1", "send_email", R"({"to":"a@x"})"},
                       {"c2", "write_file", R"({"path":"log","content":"x"})"},
                       {"c3", "send_email", R"({"to":"b@x"})"}});
  scripted->then_say("all done");
  model_ = scripted;
  auto agent = make_agent();
  TurnResult r = agent.handle_message("mail both");
  ASSERT_TRUE(r.awaiting_approval);
  EXPECT_EQ(r.pending.size(), 2u);
  EXPECT_EQ(r.tool_calls, 1);
  EXPECT_EQ(agent.state().files.at("log"), "x");  // c2 ran at once
  TurnResult half = agent.approve("c3");
  EXPECT_TRUE(half.awaiting_approval);
  EXPECT_EQ(half.pending.size(), 1u);
  EXPECT_EQ(scripted->requests.size(), 1u);  // the model waits for every answer
  TurnResult done = agent.reject("c1", "");
  EXPECT_EQ(done.text, "all done");
  EXPECT_EQ(outbox_->sent, 1);
  EXPECT_EQ(outbox_->last_to, "b@x");
  // The model saw an answer for each of the three calls.
  const auto& sent = scripted->requests.at(1).messages;
  int answered = 0;
  for (const auto& m : sent) answered += m.role == "tool" ? 1 : 0;
  EXPECT_EQ(answered, 3);
}

}  // namespace
}  // namespace agents
