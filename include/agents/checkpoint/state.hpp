// The agent state snapshot and its JSON form (docs/item-layout.md), compatible with the Rust crate
// `agents-sdk`: what we write for a state without messages is byte-identical to what it writes.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/conversation/message.hpp"
#include "agents/core/json.hpp"
#include "agents/core/json_value.hpp"
#include "agents/core/status.hpp"
#include "agents/export.hpp"

namespace agents {

enum class TodoStatus { kPending, kInProgress, kCompleted };
AGENTS_API std::string_view todo_status_name(
    TodoStatus status) noexcept;  ///< "pending", "in_progress", "completed"

struct TodoItem {
  std::string content;
  TodoStatus status = TodoStatus::kPending;
  friend bool operator==(const TodoItem&, const TodoItem&) = default;
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
  /// Free-form values; a loaded value stays the text it was stored as until it is read.
  std::map<std::string, JsonValue> scratchpad;
  std::vector<Message> messages;
  std::vector<PendingInterrupt> pending_interrupts;
  friend bool operator==(const AgentStateSnapshot&, const AgentStateSnapshot&) = default;
};

/// Compact JSON, keys in the order todos, files, scratchpad, messages (when any),
/// pending_interrupts (when any); maps sorted; UTF-8 written raw.
AGENTS_API std::string encode_state_json(const AgentStateSnapshot& state);

/// Accepts any key order, ignores unknown keys; missing todos/files/scratchpad load empty.
/// kInvalidArgument naming the offending field for anything else.
AGENTS_API StatusOr<AgentStateSnapshot> decode_state_json(std::string_view json);

}  // namespace agents
