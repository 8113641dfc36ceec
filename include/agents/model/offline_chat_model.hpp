// A deterministic ChatModel for demos and tests: no network, no weights, a small rule set that
// reads only the conversation it is given. It says it is the offline model wherever a person
// could mistake it for an LLM. The rules (see docs/agent.md):
//   "my name is X" / "remember that X"      -> acknowledges; recalled later from the history
//   "what is my name" / "what do you remember" -> "You told me earlier that ..."
//   "add a todo: X"                          -> read_todos, then write_todos with X appended
//   "complete todo N" / "complete todo: X"   -> read_todos, then write_todos with it completed
//   "what are my todos" / "list todos"       -> read_todos, then lists them
//   "write file P: TEXT" / "read file P" / "list files" -> write_file / read_file / ls
//   "call TOOL {json}"                       -> calls any offered tool with those arguments
//   "help", "hello"                          -> what it can do
//   anything else                            -> "(offline model) I heard: ..."
#pragma once

#include <string>

#include "agents/export.hpp"
#include "agents/model/chat_model.hpp"

namespace agents {

/// Thread safety: stateless; safe to share. Usage reports estimates (about 4 bytes per token).
class AGENTS_API OfflineChatModel final : public ChatModel {
 public:
  OfflineChatModel() = default;
  ChatResponse complete(const ChatRequest& request) override;
  std::string name() const override { return "offline"; }
};

}  // namespace agents
