// The chat model interface the agent talks to: a conversation (and the tools it may call) in,
// one assistant message out. Implementations: OpenAiChatModel (any server speaking the OpenAI
// chat-completions protocol) and OfflineChatModel (a deterministic rule set, no network).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/conversation/message.hpp"
#include "agents/core/json.hpp"
#include "agents/export.hpp"

namespace agents {

/// A tool the model may call: a function name, what it does, and its arguments as a JSON Schema
/// (`{"type":"object","properties":{...},"required":[...]}`).
struct ToolSpec {
  std::string name;
  std::string description;
  Json parameters = Json::object();
};

/// Token counts as reported by the server (estimates for the offline model).
struct Usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t total_tokens = 0;
  Usage& operator+=(const Usage& other) {
    prompt_tokens += other.prompt_tokens;
    completion_tokens += other.completion_tokens;
    total_tokens += other.total_tokens;
    return *this;
  }
  friend bool operator==(const Usage&, const Usage&) = default;
};

/// Why the model stopped producing output.
enum class FinishReason {
  kStop,           ///< a complete answer ("stop")
  kToolCalls,      ///< it wants tools called ("tool_calls", or the legacy "function_call")
  kLength,         ///< max tokens reached ("length")
  kContentFilter,  ///< "content_filter"
  kOther,          ///< anything else (or none reported); see ChatResponse::finish_reason_text
};
AGENTS_API std::string_view finish_reason_name(FinishReason reason) noexcept;

struct ChatRequest {
  /// The conversation, oldest first, system prompt included when there is one.
  std::vector<Message> messages;
  /// Tools the model may call; empty means none.
  std::vector<ToolSpec> tools;
  /// When set, the model streams its answer and calls this with each text delta as it arrives,
  /// on the calling thread. An exception it throws ends the call and reaches the caller.
  std::function<void(std::string_view delta)> on_text_delta;
};

struct ChatResponse {
  /// role "assistant": the answer text and/or the tool calls (each with its id).
  Message message;
  FinishReason finish_reason = FinishReason::kOther;
  std::string finish_reason_text;  ///< as the server sent it, e.g. "stop"
  Usage usage;
  std::string model;  ///< the model that answered, when the server says
  std::string id;     ///< the server's response id, when it has one
};

/// Thread safety: implementations are safe to share between threads and agents (one instance per
/// process is the intended use). Errors: the typed exceptions of agents/core/error.hpp.
class AGENTS_API ChatModel {
 public:
  virtual ~ChatModel() = default;
  virtual ChatResponse complete(const ChatRequest& request) = 0;
  /// A short label for logs and `--verbose`, e.g. "openai:gpt-4o-mini" or "offline".
  virtual std::string name() const = 0;
};

}  // namespace agents
