// The agent state snapshot and its JSON form (docs/item-layout.md), compatible with the Rust crate
// `agents-sdk`: what we write for a state without messages is byte-identical to what it writes.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/core/status.hpp"

namespace agents {

/// Free-form JSON (scratchpad values, tool arguments, JSON Schemas). Objects keep sorted keys.
using Json = nlohmann::json;

enum class TodoStatus { kPending, kInProgress, kCompleted };
std::string_view todo_status_name(TodoStatus status) noexcept;  ///< "pending", "in_progress", "completed"

struct TodoItem {
  std::string content;
  TodoStatus status = TodoStatus::kPending;
  friend bool operator==(const TodoItem&, const TodoItem&) = default;
};

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

/// A tool call waiting for a human's approval (`"type":"human_in_loop"`).
struct PendingInterrupt {
  std::string tool_name;
  Json tool_args = Json::object();
  std::optional<std::string> policy_note;
  std::string created_at;  ///< RFC 3339 UTC
  std::string call_id;
  friend bool operator==(const PendingInterrupt&, const PendingInterrupt&) = default;
};

/// Everything an agent keeps between turns. Plain data: copy, compare, store.
struct AgentStateSnapshot {
  std::vector<TodoItem> todos;
  std::map<std::string, std::string> files;  ///< virtual file system: path -> content
  std::map<std::string, Json> scratchpad;
  std::vector<Message> messages;
  std::vector<PendingInterrupt> pending_interrupts;
  friend bool operator==(const AgentStateSnapshot&, const AgentStateSnapshot&) = default;
};

/// Compact JSON, keys in the order todos, files, scratchpad, messages (when any),
/// pending_interrupts (when any); maps sorted; UTF-8 written raw.
std::string encode_state_json(const AgentStateSnapshot& state);

/// Accepts any key order, ignores unknown keys; missing todos/files/scratchpad load empty.
/// kInvalidArgument naming the offending field for anything else.
StatusOr<AgentStateSnapshot> decode_state_json(std::string_view json);

}  // namespace agents
