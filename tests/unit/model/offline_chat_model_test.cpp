// The offline model's rules, on their own and driving a real agent with the built-in tools.
#include "agents/model/offline_chat_model.hpp"

#include <gtest/gtest.h>

#include "agents/agent/agent.hpp"

namespace agents {
namespace {

ChatResponse ask(std::vector<Message> history, std::vector<ToolSpec> tools = {}) {
  ChatRequest r;
  r.messages = std::move(history);
  r.tools = std::move(tools);
  return OfflineChatModel().complete(r);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(OfflineChatModelTest, EchoesHonestlyWhenNoRuleMatches) {
  auto r = ask({Message::system("You are helpful."), Message::user("Tell me a joke about compilers")});
  EXPECT_EQ(r.message.content,
            "(offline model) I heard: \"Tell me a joke about compilers\". I follow a small rule set, not a "
            "language "
            "model; say \"help\" to see what I can do.");
  EXPECT_EQ(r.finish_reason, FinishReason::kStop);
  EXPECT_GT(r.usage.prompt_tokens, 0);
  EXPECT_EQ(r.model, "offline");
}

TEST(OfflineChatModelTest, RecallsFactsOnlyFromTheHistoryItIsGiven) {
  std::vector<Message> history = {Message::user("Hi, my name is Alice."),
                                  Message::assistant("Nice to meet you"),
                                  Message::user("My favourite colour is teal"),
                                  Message::assistant("Noted"),
                                  Message::user("Remember that I have a dog called Rex"),
                                  Message::assistant("Noted"),
                                  Message::user("What is my name?")};
  EXPECT_EQ(ask(history).message.content, "You told me earlier that your name is Alice. (offline model)");
  history.back() = Message::user("what's my favourite colour?");
  EXPECT_EQ(ask(history).message.content,
            "You told me earlier that your favourite colour is teal. (offline model)");
  history.back() = Message::user("What do you remember?");
  std::string all = ask(history).message.content;
  EXPECT_TRUE(contains(all, "your name is Alice")) << all;
  EXPECT_TRUE(contains(all, "you have a dog called Rex")) << all;
  // Without the earlier messages it knows nothing: no hidden memory.
  EXPECT_EQ(ask({Message::user("What is my name?")}).message.content,
            "(offline model) You have not told me your name in this conversation.");
}

TEST(OfflineChatModelTest, AcknowledgesAndGreetsAsTheOfflineModel) {
  EXPECT_TRUE(contains(ask({Message::user("My name is Bob")}).message.content, "Nice to meet you, Bob."));
  EXPECT_TRUE(contains(ask({Message::user("hello")}).message.content, "offline model"));
  EXPECT_EQ(ask({Message::user("My name is Bob"), Message::assistant("hi"), Message::user("Hello!")})
                .message.content,
            "Hello again, Bob! (offline model: I recalled your name from this conversation.)");
  EXPECT_TRUE(contains(ask({Message::user("help")}).message.content, "not a language model"));
}

TEST(OfflineChatModelTest, SaysSoWhenATooIsNotOffered) {
  auto r = ask({Message::user("add a todo: buy milk")});
  EXPECT_TRUE(r.message.tool_calls.empty());
  EXPECT_TRUE(contains(r.message.content, "does not offer it"));
}

TEST(OfflineChatModelTest, CallsReadTodosFirstWithADeterministicId) {
  std::vector<ToolSpec> tools = {{"read_todos", "", {}}, {"write_todos", "", {}}};
  auto a = ask({Message::user("add a todo: buy milk")}, tools);
  auto b = ask({Message::user("add a todo: buy milk")}, tools);
  ASSERT_EQ(a.message.tool_calls.size(), 1u);
  EXPECT_EQ(a.message.tool_calls[0].name, "read_todos");
  EXPECT_EQ(a.message.tool_calls[0], b.message.tool_calls[0]);
  EXPECT_EQ(a.finish_reason, FinishReason::kToolCalls);
  // With the list in hand it writes the old items plus the new one.
  auto c = ask({Message::user("add a todo: buy milk"), a.message,
                Message::tool(a.message.tool_calls[0].id,
                              R"({"todos":[{"content":"pay rent","status":"completed"}]})")},
               tools);
  ASSERT_EQ(c.message.tool_calls.size(), 1u);
  EXPECT_EQ(c.message.tool_calls[0].name, "write_todos");
  EXPECT_EQ(
      Json::parse(c.message.tool_calls[0].arguments),
      Json::parse(
          R"({"todos":[{"content":"pay rent","status":"completed"},{"content":"buy milk","status":"pending"}]})"));
  EXPECT_NE(c.message.tool_calls[0].id, a.message.tool_calls[0].id);
}

TEST(OfflineChatModelTest, NeverWritesTodosItCouldNotRead) {
  std::vector<ToolSpec> tools = {{"read_todos", "", {}}, {"write_todos", "", {}}};
  auto a = ask({Message::user("add a todo: x")}, tools);
  auto c =
      ask({Message::user("add a todo: x"), a.message, Message::tool(a.message.tool_calls[0].id, "garbage")},
          tools);
  EXPECT_TRUE(c.message.tool_calls.empty());
  EXPECT_TRUE(contains(c.message.content, "left it unchanged"));
}

TEST(OfflineChatModelTest, StreamsItsAnswerWordByWord) {
  ChatRequest r;
  r.messages = {Message::user("My name is Carol")};
  std::vector<std::string> deltas;
  r.on_text_delta = [&](std::string_view d) { deltas.emplace_back(d); };
  auto resp = OfflineChatModel().complete(r);
  ASSERT_GT(deltas.size(), 3u);
  std::string joined;
  for (const auto& d : deltas) joined += d;
  EXPECT_EQ(joined, resp.message.content);
}

class OfflineAgentTest : public ::testing::Test {
 protected:
  Agent agent_ = ConfigurableAgentBuilder("You are a helpful assistant.")
                     .with_model(std::make_shared<OfflineChatModel>())
                     .with_checkpointer(std::make_shared<InMemoryCheckpointer>())
                     .build();
};

TEST_F(OfflineAgentTest, ManagesTodosThroughTheBuiltInTools) {
  TurnResult r = agent_.handle_message("add a todo: buy milk");
  EXPECT_EQ(r.text, "Added \"buy milk\". You have 1 todo:\n1. [pending] buy milk");
  EXPECT_EQ(r.model_calls, 3);  // read_todos, write_todos, answer
  EXPECT_EQ(r.tool_calls, 2);
  agent_.handle_message("Add a todo: call the bank");
  ASSERT_EQ(agent_.state().todos.size(), 2u);
  EXPECT_EQ(agent_.state().todos[1], (TodoItem{"call the bank", TodoStatus::kPending}));
  r = agent_.handle_message("complete todo 1");
  EXPECT_EQ(agent_.state().todos[0].status, TodoStatus::kCompleted);
  r = agent_.handle_message("What are my todos?");
  EXPECT_EQ(r.text, "You have 2 todos:\n1. [completed] buy milk\n2. [pending] call the bank");
}

TEST_F(OfflineAgentTest, WritesReadsAndListsFiles) {
  EXPECT_EQ(agent_.handle_message("write file notes.md: # Notes").text, "Saved notes.md (7 bytes).");
  EXPECT_EQ(agent_.state().files.at("notes.md"), "# Notes");
  EXPECT_EQ(agent_.handle_message("read file notes.md").text, "Contents of notes.md:\n# Notes");
  EXPECT_EQ(agent_.handle_message("list files").text, "Files:\nnotes.md");
  EXPECT_TRUE(contains(agent_.handle_message("read file missing.txt").text, "does not exist"));
}

TEST_F(OfflineAgentTest, CallsAnyToolByName) {
  TurnResult r = agent_.handle_message(R"(call write_file {"path":"a.txt","content":"A"})");
  EXPECT_EQ(r.text, "(offline model) write_file returned: Wrote 1 bytes to a.txt.");
  EXPECT_TRUE(contains(agent_.handle_message("call write_file not-json").text, "must be a JSON object"));
  EXPECT_TRUE(contains(agent_.handle_message("call launch_rockets {}").text, "does not offer it"));
}

}  // namespace
}  // namespace agents
