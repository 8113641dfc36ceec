// The agent runtime: builder, tool-calling loop, bounds, history window, and state round trips
// through the in-memory and file checkpointers.
#include "agents/agent/agent.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <utility>

#include "agents/agent/builtin_tools.hpp"
#include "agents/core/error.hpp"
#include "agents/model/offline_chat_model.hpp"
#include "support/sample_states.hpp"
#include "unit/agent/scripted_model.hpp"

namespace agents {
namespace {

using agents::testing::ScriptedModel;

std::shared_ptr<Checkpointer> make_checkpointer(const std::string& kind) {
  if (kind == "file") {
    static int n = 0;
    auto dir = std::filesystem::temp_directory_path() /
               ("agents-agent-test-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    std::filesystem::remove_all(dir);
    return std::make_shared<FileCheckpointer>(dir.string());
  }
  return std::make_shared<InMemoryCheckpointer>();
}

// The seed's Lambda handler: load, handle, save.
std::string handle_request(const std::shared_ptr<ChatModel>& model, const std::shared_ptr<Checkpointer>& cp,
                           const std::string& thread, const std::string& message) {
  auto agent = ConfigurableAgentBuilder("You are a helpful assistant.")
                   .with_model(model)
                   .with_checkpointer(cp)
                   .build();
  agent.load_state(thread);
  std::string reply = agent.handle_message(message);
  agent.save_state(thread);
  return reply;
}

class AgentCheckpointerTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::shared_ptr<Checkpointer> cp_ = make_checkpointer(GetParam());
  std::shared_ptr<ChatModel> offline_ = std::make_shared<OfflineChatModel>();
};

TEST_P(AgentCheckpointerTest, SeedHandlerFlowResumesAcrossAgents) {
  EXPECT_TRUE(handle_request(offline_, cp_, "user-123", "Hello").find("offline model") != std::string::npos);
  handle_request(offline_, cp_, "user-123", "My name is Alice");
  handle_request(offline_, cp_, "user-123", "add a todo: write the report");
  EXPECT_EQ(handle_request(offline_, cp_, "user-123", "What is my name?"),
            "You told me earlier that your name is Alice. (offline model)");
  auto loaded = cp_->load_state("user-123");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->state.todos, (std::vector<TodoItem>{{"write the report", TodoStatus::kPending}}));
  // 4 turns: user + assistant each, plus the todo turn's 2 tool calls and results.
  EXPECT_EQ(loaded->state.messages.size(), 12u);
  EXPECT_EQ(loaded->version, 4);
  // Another thread knows nothing of it.
  EXPECT_EQ(handle_request(offline_, cp_, "user-456", "What is my name?"),
            "(offline model) You have not told me your name in this conversation.");
}

TEST_P(AgentCheckpointerTest, LoadingThenHandlingKeepsWhatWasLoaded) {
  // The Rust crate's runtime replaced the loaded state on the next message; this must not.
  AgentStateSnapshot stored = agents::testing::rich_state();
  stored.pending_interrupts.clear();
  cp_->save_state("t", stored);
  auto agent = ConfigurableAgentBuilder("sys").with_model(offline_).with_checkpointer(cp_).build();
  ASSERT_TRUE(agent.load_state("t"));
  EXPECT_EQ(agent.state(), stored);
  agent.handle_message("hello");
  const auto& s = agent.state();
  ASSERT_EQ(s.messages.size(), stored.messages.size() + 2);
  EXPECT_TRUE(std::equal(stored.messages.begin(), stored.messages.end(), s.messages.begin()));
  EXPECT_EQ(s.todos, stored.todos);
  EXPECT_EQ(s.files, stored.files);
  EXPECT_EQ(s.scratchpad, stored.scratchpad);
  agent.save_state("t");
  auto reloaded = cp_->load_state("t");
  ASSERT_TRUE(reloaded);
  EXPECT_EQ(reloaded->state, agent.state());
  // The model saw the loaded history too.
  auto recall = agent.handle_message("What do you remember?");
  EXPECT_NE(recall.text.find("your favourite colour is teal"), std::string::npos) << recall.text;
}

TEST_P(AgentCheckpointerTest, SaveAfterLoadIsConditionalAndConsecutiveSavesWork) {
  auto a = ConfigurableAgentBuilder("sys").with_model(offline_).with_checkpointer(cp_).build();
  auto b = ConfigurableAgentBuilder("sys").with_model(offline_).with_checkpointer(cp_).build();
  EXPECT_FALSE(a.load_state("shared"));
  EXPECT_FALSE(b.load_state("shared"));
  a.handle_message("My name is A");
  EXPECT_EQ(a.save_state("shared"), 1);
  a.handle_message("hello");
  EXPECT_EQ(a.save_state("shared"), 2);  // the precondition follows our own saves
  b.handle_message("My name is B");
  try {
    b.save_state("shared");
    FAIL() << "expected ConflictError";
  } catch (const ConflictError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConflict);
  }
  auto stored = cp_->load_state("shared");
  EXPECT_EQ(stored->version, 2);
  EXPECT_EQ(stored->state, a.state());  // nothing of b's landed
  // b reloads and goes on.
  EXPECT_TRUE(b.load_state("shared"));
  b.handle_message("what is my name");
  EXPECT_EQ(b.save_state("shared"), 3);
}

TEST_P(AgentCheckpointerTest, ASaveWithoutLoadOverwritesAndLoadingANewThreadResets) {
  auto a = ConfigurableAgentBuilder("sys").with_model(offline_).with_checkpointer(cp_).build();
  a.handle_message("My name is Zed");
  cp_->save_state("t", agents::testing::rich_state());
  EXPECT_EQ(a.save_state("t"), 2);  // no load: overwrites, as the original does
  EXPECT_EQ(cp_->load_state("t")->state, a.state());
  EXPECT_FALSE(a.load_state("fresh"));
  EXPECT_EQ(a.state(), AgentStateSnapshot{});  // nothing of thread "t" leaks into "fresh"
  EXPECT_EQ(a.thread_id(), "fresh");
}

// A checkpointer whose next save loses its answer: the write is applied (or not) and the caller
// gets OutcomeUnknownError, as DynamoDbCheckpointer reports when it cannot tell.
class LostAnswerCheckpointer final : public Checkpointer {
 public:
  explicit LostAnswerCheckpointer(std::shared_ptr<Checkpointer> inner) : inner_(std::move(inner)) {}
  enum class Next { kNormal, kLandsButAnswerIsLost, kLostBeforeLanding } next = Next::kNormal;

 protected:
  SavedState do_save(const std::string& thread_id, const AgentStateSnapshot& state,
                     SavePrecondition precondition) override {
    const Next now = std::exchange(next, Next::kNormal);
    if (now == Next::kNormal) return inner_->save(thread_id, state, std::move(precondition));
    if (now == Next::kLandsButAnswerIsLost) inner_->save(thread_id, state, std::move(precondition));
    throw OutcomeUnknownError("lost answer", thread_id, -1);
  }
  std::optional<LoadedState> do_load(const std::string& thread_id) override {
    return inner_->load_state(thread_id);
  }
  bool do_delete(const std::string& thread_id) override { return inner_->delete_thread(thread_id); }
  std::vector<ThreadInfo> do_list() override { return inner_->list_threads().threads; }

 private:
  std::shared_ptr<Checkpointer> inner_;
};

TEST_P(AgentCheckpointerTest, AnUnknownOutcomeIsResolvedByReloadingBeforeTheTurnIsRedone) {
  auto lossy = std::make_shared<LostAnswerCheckpointer>(cp_);
  auto agent = ConfigurableAgentBuilder("sys").with_model(offline_).with_checkpointer(lossy).build();
  agent.load_state("t");
  agent.handle_message("My name is Ada");
  EXPECT_EQ(agent.save_state("t"), 1);
  agent.handle_message("hello");
  const AgentStateSnapshot turn_two = agent.state();

  // The save landed but its answer was lost: the agent finds its turn stored and goes on.
  lossy->next = LostAnswerCheckpointer::Next::kLandsButAnswerIsLost;
  EXPECT_EQ(agent.save_state("t"), 2);
  EXPECT_EQ(agent.state(), turn_two);
  agent.handle_message("what is my name");
  EXPECT_EQ(agent.save_state("t"), 3);  // the precondition follows the stored version
  const AgentStateSnapshot turn_three = agent.state();

  // The save did not land: the error reaches the caller and the agent keeps its state, so that
  // the caller can reload before redoing the turn.
  agent.handle_message("and again");
  const AgentStateSnapshot unsaved = agent.state();
  lossy->next = LostAnswerCheckpointer::Next::kLostBeforeLanding;
  EXPECT_THROW(agent.save_state("t"), OutcomeUnknownError);
  EXPECT_EQ(agent.state(), unsaved);
  EXPECT_EQ(cp_->load_state("t")->state, turn_three);
  EXPECT_EQ(agent.save_state("t"), 4);  // nothing else was stored: the retry goes through
}

INSTANTIATE_TEST_SUITE_P(Checkpointers, AgentCheckpointerTest, ::testing::Values("memory", "file"));

TEST(AgentTest, RunsEveryToolCallOfATurnWithIds) {
  auto model = std::make_shared<ScriptedModel>();
  model->then_call({{"call_a", "write_file", R"({"path":"a.txt","content":"A"})"},
                    {"call_b", "write_file", R"({"path":"b.txt","content":"BB"})"},
                    {"call_c", "ls", "{}"}});
  model->then_say("Both written.");
  auto agent = ConfigurableAgentBuilder("sys").with_model(model).build();
  TurnResult r = agent.handle_message("write two files");
  EXPECT_EQ(r.text, "Both written.");
  EXPECT_FALSE(r.awaiting_approval);
  EXPECT_EQ(r.model_calls, 2);
  EXPECT_EQ(r.tool_calls, 3);
  EXPECT_EQ(r.usage, (Usage{20, 7, 27}));
  const auto& ms = agent.state().messages;
  ASSERT_EQ(ms.size(), 6u);
  EXPECT_EQ(ms[0], Message::user("write two files"));
  EXPECT_EQ(ms[1].tool_calls.size(), 3u);
  EXPECT_EQ(ms[2].role, "tool");
  EXPECT_EQ(ms[2].tool_call_id, "call_a");
  EXPECT_EQ(ms[2].name, "write_file");
  EXPECT_EQ(ms[3].tool_call_id, "call_b");
  EXPECT_EQ(ms[4].tool_call_id, "call_c");
  EXPECT_EQ(ms[4].content, "a.txt\nb.txt");
  EXPECT_EQ(ms[5], Message::assistant("Both written."));
  // The second request carried the system prompt, the calls and their results.
  const auto& second = model->requests.at(1).messages;
  ASSERT_EQ(second.size(), 6u);
  EXPECT_EQ(second[0], Message::system("sys"));
  EXPECT_EQ(second[5].tool_call_id, "call_c");
  // Tools were offered with their schemas.
  const auto& tools = model->requests.at(0).tools;
  ASSERT_EQ(tools.size(), 6u);
  EXPECT_EQ(tools[0].name, "write_todos");
  EXPECT_EQ(tools[0].parameters["required"][0], "todos");
}

TEST(AgentTest, ReportsUnknownToolsBadArgumentsAndToolFailuresToTheModel) {
  auto model = std::make_shared<ScriptedModel>();
  model->then_call({{"c1", "no_such_tool", "{}"},
                    {"c2", "write_file", "{not json"},
                    {"c3", "write_file", R"({"path":"x"})"},
                    {"c4", "write_todos", R"({"todos":[{"content":"x","status":"someday"}]})"},
                    {"c5", "boom", R"({})"}});
  model->then_say("done");
  Tool boom("boom", "fails", Json::object(),
            [](const Json&) -> std::string { throw std::runtime_error("kaput"); });
  auto agent = ConfigurableAgentBuilder("sys").with_model(model).with_tool(boom).build();
  EXPECT_EQ(agent.handle_message("go").text, "done");
  const auto& ms = agent.state().messages;
  ASSERT_EQ(ms.size(), 8u);
  EXPECT_NE(ms[2].content.find("Error: there is no tool \"no_such_tool\"; available tools: write_todos"),
            std::string::npos)
      << ms[2].content;
  EXPECT_EQ(ms[3].content, "Error: the arguments of write_file are not valid JSON");
  EXPECT_EQ(ms[4].content, "Error: write_file: missing required argument \"content\"");
  EXPECT_NE(ms[5].content.find("is not one of pending, in_progress, completed"), std::string::npos)
      << ms[5].content;
  EXPECT_EQ(ms[6].content, "Error: kaput");
  EXPECT_TRUE(agent.state().files.empty());
}

TEST(AgentTest, MaxIterationsBoundsTheLoop) {
  auto model = std::make_shared<ScriptedModel>();
  model->forever_call("ls");
  auto agent = ConfigurableAgentBuilder("sys").with_model(model).with_max_iterations(3).build();
  try {
    agent.handle_message("loop forever");
    FAIL() << "expected MaxIterationsError";
  } catch (const MaxIterationsError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kMaxIterations);
    EXPECT_NE(std::string(e.what()).find("3 model calls"), std::string::npos) << e.what();
  }
  EXPECT_EQ(model->requests.size(), 3u);
  // The turn so far stays in the state, and the loop can be resumed.
  EXPECT_EQ(agent.state().messages.size(), 7u);
  model->then_say("finally");
  EXPECT_EQ(agent.retry_turn().text, "finally");
  EXPECT_THROW(agent.retry_turn(), InvalidArgumentError);  // nothing left to answer
}

TEST(AgentTest, AModelErrorKeepsTheUserMessageForARetry) {
  auto model = std::make_shared<ScriptedModel>();
  model->then(
      [](const ChatRequest&) -> ChatResponse { throw ModelError("HTTP 500", "server_error", 500, ""); });
  model->then_say("second time lucky");
  auto agent = ConfigurableAgentBuilder("sys").with_model(model).build();
  EXPECT_THROW(agent.handle_message("hi"), ModelError);
  EXPECT_EQ(agent.state().messages.size(), 1u);
  EXPECT_EQ(agent.retry_turn().text, "second time lucky");
}

TEST(AgentTest, HistoryLimitBoundsWhatIsSentButKeepsEverything) {
  auto model = std::make_shared<ScriptedModel>();
  for (int i = 0; i < 5; ++i) model->then_say("answer " + std::to_string(i));
  auto agent = ConfigurableAgentBuilder("sys").with_model(model).with_history_limit(3).build();
  for (int i = 0; i < 5; ++i) agent.handle_message("question " + std::to_string(i));
  EXPECT_EQ(agent.state().messages.size(), 10u);
  const auto& last = model->requests.back().messages;
  ASSERT_EQ(last.size(), 4u);  // system + 3
  EXPECT_EQ(last[0], Message::system("sys"));
  EXPECT_EQ(last[1], Message::user("question 3"));
  EXPECT_EQ(last[3], Message::user("question 4"));
}

TEST(AgentTest, HistoryLimitNeverStartsWithAnOrphanedToolResult) {
  auto model = std::make_shared<ScriptedModel>();
  model->then_call({{"c1", "ls", "{}"}, {"c2", "read_todos", "{}"}});
  model->then_say("ok");
  auto agent = ConfigurableAgentBuilder("").with_model(model).with_history_limit(1).build();
  agent.handle_message("go");
  // Second request: [user, assistant(calls), tool, tool]; the last 1 is a tool result, so the
  // window reaches back to the assistant message that made the calls.
  const auto& sent = model->requests.at(1).messages;
  ASSERT_EQ(sent.size(), 3u);  // no system prompt when it is empty
  EXPECT_EQ(sent[0].role, "assistant");
  EXPECT_EQ(sent[1].tool_call_id, "c1");
  EXPECT_EQ(sent[2].tool_call_id, "c2");
}

TEST(AgentTest, StreamsTheAnswerToACallback) {
  auto agent = ConfigurableAgentBuilder("sys").with_model(std::make_shared<OfflineChatModel>()).build();
  std::string streamed;
  TurnResult r = agent.handle_message("My name is Dana", [&](std::string_view d) { streamed += d; });
  EXPECT_EQ(streamed, r.text);
  EXPECT_FALSE(streamed.empty());
}

TEST(AgentTest, TurnResultReadsLikeAString) {
  auto agent = ConfigurableAgentBuilder("sys").with_model(std::make_shared<OfflineChatModel>()).build();
  auto reply = agent.handle_message("hello");
  std::string text = reply;
  std::ostringstream out;
  out << reply;
  EXPECT_EQ(out.str(), text);
  EXPECT_TRUE(reply == text);
}

TEST(AgentTest, BuilderChecksItsParts) {
  EXPECT_THROW(ConfigurableAgentBuilder("sys").build(), InvalidArgumentError);
  auto model = std::make_shared<OfflineChatModel>();
  EXPECT_THROW(ConfigurableAgentBuilder("sys").with_model(model).with_max_iterations(0).build(),
               InvalidArgumentError);
  Tool t("mine", "d", Json::object(), [](const Json&) { return std::string("x"); });
  EXPECT_THROW(ConfigurableAgentBuilder("sys").with_model(model).with_tools({t, t}).build(),
               InvalidArgumentError);
  // A tool named like a built-in replaces it; built-ins can be left out.
  Tool my_ls("ls", "custom", Json::object(), [](const Json&) { return std::string("custom listing"); });
  auto agent = ConfigurableAgentBuilder("sys").with_model(model).with_tool(my_ls).build();
  EXPECT_EQ(agent.tools().size(), 6u);
  EXPECT_EQ(agent.handle_message("list files").text, "Files:\ncustom listing");
  auto bare =
      ConfigurableAgentBuilder("sys").with_model(model).with_builtin_tools(false).with_tool(t).build();
  ASSERT_EQ(bare.tools().size(), 1u);
  EXPECT_EQ(bare.tools()[0].name(), "mine");
  // No checkpointer: load and save say how to add one.
  EXPECT_THROW(bare.load_state("t"), InvalidArgumentError);
  EXPECT_THROW(bare.save_state("t"), InvalidArgumentError);
}

TEST(AgentTest, IsMovable) {
  auto cp = std::make_shared<InMemoryCheckpointer>();
  auto a = ConfigurableAgentBuilder("sys")
               .with_model(std::make_shared<OfflineChatModel>())
               .with_checkpointer(cp)
               .build();
  a.load_state("m");
  a.handle_message("My name is Moe");
  Agent b = std::move(a);
  b.save_state("m");
  std::vector<Agent> agents;
  agents.push_back(std::move(b));
  EXPECT_EQ(agents[0].handle_message("what is my name").text,
            "You told me earlier that your name is Moe. (offline model)");
  EXPECT_EQ(agents[0].save_state("m"), 2);
}

TEST(AgentTest, InvalidThreadIdsAreRejectedBeforeAnyIo) {
  auto agent = ConfigurableAgentBuilder("sys")
                   .with_model(std::make_shared<OfflineChatModel>())
                   .with_checkpointer(std::make_shared<InMemoryCheckpointer>())
                   .build();
  EXPECT_THROW(agent.load_state(""), InvalidArgumentError);
  EXPECT_THROW(agent.save_state(std::string(1025, 'x')), InvalidArgumentError);
}

}  // namespace
}  // namespace agents
