// The conversation's message types, in the OpenAI chat format. The model module sends and
// receives them; the checkpoint module stores them (docs/item-layout.md); neither owns them.
#pragma once

#include <string>
#include <vector>

namespace agents {

/// One tool call requested by the assistant, as in the OpenAI chat format.
struct ToolCall {
  std::string id;         ///< e.g. "call_abc123"
  std::string name;       ///< the function name
  std::string arguments;  ///< JSON text, exactly as the model produced it
  friend bool operator==(const ToolCall&, const ToolCall&) = default;
};

/// A conversation message: role "system", "user", "assistant" or "tool".
struct Message {
  std::string role;
  std::string content;
  std::vector<ToolCall> tool_calls;  ///< assistant messages that call tools
  std::string tool_call_id;          ///< tool results: the call they answer
  std::string name;                  ///< optional participant / tool name
  friend bool operator==(const Message&, const Message&) = default;

  static Message system(std::string text) { return {"system", std::move(text), {}, {}, {}}; }
  static Message user(std::string text) { return {"user", std::move(text), {}, {}, {}}; }
  static Message assistant(std::string text, std::vector<ToolCall> calls = {}) {
    return {"assistant", std::move(text), std::move(calls), {}, {}};
  }
  static Message tool(std::string call_id, std::string result) {
    return {"tool", std::move(result), {}, std::move(call_id), {}};
  }
};

}  // namespace agents
