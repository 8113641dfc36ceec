// Decoding a state's messages (src/checkpoint/state_json.cpp): every field form the stored JSON
// may take, the error that names a bad message by its index, and decoding in place from a
// string whose spare capacity holds the parser's padding.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "../../support/sample_states.hpp"
#include "agents/checkpoint/state.hpp"
#include "checkpoint/message_json.hpp"

namespace agents {
namespace {

std::string error_of(std::string_view json) {
  auto decoded = decode_state_json(json);
  EXPECT_FALSE(decoded.ok()) << json;
  if (decoded.ok()) return "";
  EXPECT_EQ(decoded.status().code(), ErrorCode::kInvalidArgument);
  return decoded.status().message();
}

TEST(StateJson, MessagesOfEveryKindRoundTrip) {
  AgentStateSnapshot state = testing::conversation(4, 300);
  state.messages.push_back(Message::assistant("", {{"call_1", "search", R"({"q":"dynamo"})"}}));
  state.messages.push_back(Message::tool("call_1", "found"));
  state.messages.back().name = "search";
  const std::string text = encode_state_json(state);
  auto decoded = decode_state_json(text);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, state);
  EXPECT_EQ(encode_state_json(*decoded), text);
}

TEST(StateJson, ReadsTheFieldFormsOtherWritersUse) {
  auto decoded = decode_state_json(
      R"({"messages":[{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],"role":"user"},)"
      R"({"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function",)"
      R"("function":{"name":"f","arguments":{"x":1}}}],"name":null,"extra":true},)"
      R"({"role":"tool","tool_call_id":"c","content":"r"},{"role":"user","tool_calls":null}]})");
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ASSERT_EQ(decoded->messages.size(), 4u);
  EXPECT_EQ(decoded->messages[0].content, "ab");  // a list of parts is joined
  EXPECT_EQ(decoded->messages[0].role, "user");   // in any field order
  EXPECT_EQ(decoded->messages[1].content, "");
  ASSERT_EQ(decoded->messages[1].tool_calls.size(), 1u);
  EXPECT_EQ(decoded->messages[1].tool_calls[0].arguments, R"({"x":1})");  // an object kept as text
  EXPECT_EQ(decoded->messages[1].name, "");
  EXPECT_EQ(decoded->messages[2].tool_call_id, "c");
  EXPECT_TRUE(decoded->messages[3].tool_calls.empty());
}

TEST(StateJson, ARepeatedMessageFieldKeepsItsFirstValue) {
  auto decoded =
      decode_state_json(R"({"messages":[{"role":"user","content":"one","role":"x","content":"two"}]})");
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(decoded->messages.at(0).role, "user");
  EXPECT_EQ(decoded->messages.at(0).content, "one");
}

TEST(StateJson, ABadMessageIsNamedByItsIndex) {
  const std::string ok = R"({"role":"user","content":"hi"},)";
  EXPECT_EQ(error_of(R"({"messages":[)" + ok + R"({"content":"no role"}]})"),
            "state: messages[1].role is missing");
  EXPECT_EQ(error_of(R"({"messages":[)" + ok + ok + R"({"role":7}]})"),
            "state: messages[2].role must be a string");
  EXPECT_EQ(error_of(R"({"messages":[{"role":null}]})"), "state: messages[0].role must be a string");
  EXPECT_EQ(error_of(R"({"messages":[)" + ok + R"("text"]})"), "state: messages[1] must be an object");
  EXPECT_EQ(error_of(R"({"messages":[{"role":"user","content":5}]})"),
            "state: messages[0].content must be a string, a list of parts or null");
  EXPECT_EQ(error_of(R"({"messages":[{"role":"user","name":[]}]})"),
            "state: messages[0].name must be a string");
  EXPECT_EQ(error_of(R"({"messages":[{"role":"tool","tool_call_id":1}]})"),
            "state: messages[0].tool_call_id must be a string");
  EXPECT_EQ(error_of(R"({"messages":[{"role":"assistant","tool_calls":{}}]})"),
            "state: messages[0].tool_calls must be an array");
  EXPECT_EQ(error_of(R"({"messages":[)" + ok + R"({"role":"assistant","tool_calls":[{"id":"c"}]}]})"),
            "state: messages[1].tool_calls[].function is missing");
  EXPECT_EQ(error_of(R"({"messages":[{"role":"assistant","tool_calls":[{"function":{"name":"f"}}]}]})"),
            "state: messages[0].tool_calls[].id is missing");
  EXPECT_EQ(error_of(R"({"todos":[{"content":"a","status":"pending"},{"content":"b","status":"done"}]})"),
            "state: todos[1].status must be pending, in_progress or completed, not 'done'");
  EXPECT_EQ(error_of(R"({"pending_interrupts":[{"type":"other"}]})"),
            "state: pending_interrupts[0].type 'other' is not human_in_loop");
}

TEST(StateJson, DecodesInPlaceWithPaddingAndByCopyWithout) {
  const std::string text = encode_state_json(testing::conversation(40, 500));
  std::string padded;
  padded.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  padded.assign(text);
  std::string tight = text;
  tight.shrink_to_fit();
  for (const std::string* json : {&padded, &tight}) {
    auto decoded = detail::decode_state_json_in_place(*json);
    ASSERT_TRUE(decoded.ok()) << decoded.status().message();
    EXPECT_EQ(encode_state_json(*decoded), text);
  }
  EXPECT_EQ(padded, text);  // the parse does not write into the caller's string
  std::string broken = text.substr(0, text.size() / 2);
  broken.reserve(broken.size() + simdjson::SIMDJSON_PADDING);
  auto refused = detail::decode_state_json_in_place(broken);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("state is not valid JSON"), std::string::npos);
}

TEST(StateJson, MessageSegmentsAppendInOrder) {
  const AgentStateSnapshot state = testing::conversation(3, 50);
  std::string first = "[" + detail::encode_message_json(state.messages[0]) + "]";
  std::string rest = "[";
  for (std::size_t i = 1; i < state.messages.size(); ++i) {
    if (i > 1) rest += ",";
    rest += detail::encode_message_json(state.messages[i]);
  }
  rest += "]";
  std::vector<Message> out;
  ASSERT_TRUE(detail::decode_messages_json(first, out).ok());
  ASSERT_TRUE(detail::decode_messages_json(rest, out).ok());
  EXPECT_EQ(out, state.messages);
  Status bad = detail::decode_messages_json(R"([{"role":"user"},{"content":"x"}])", out);
  EXPECT_EQ(bad.message(), "messages[1].role is missing");
}

}  // namespace
}  // namespace agents
