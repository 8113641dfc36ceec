// The seed's Lambda handler: an API Gateway proxy event with the JSON body
// {"thread_id":"...","message":"..."} -> load the thread, handle the message, save it ->
// 200 {"response":"...","thread_id":"...","version":N}. See docs/lambda.md for every status.
#pragma once

#include <agents/agents.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace agents_lambda_example {

/// Plain settings; durations carry their units.
struct HandlerOptions {
  std::string system_prompt = "You are a helpful assistant.";
  /// With less time than this left before Lambda's deadline, answer 503 {"error":"deadline"}
  /// without loading or saving anything (a turn cut short by the deadline would be lost anyway).
  std::chrono::milliseconds deadline_margin{1000};
};

/// One per container: the checkpointer and model (and their HTTP connections) are created at the
/// cold start and reused by every invocation; each invocation gets a fresh Agent.
/// Thread safety: operator() may be called from several threads at once.
///
/// Statuses: 200 the reply; 400 bad body or thread id; 409 another writer saved the thread
/// since this invocation loaded it (nothing stored changed: retry); 503 deadline, throttled,
/// timeout or connection failure (retry); 500 anything else (details only in the logs). An event
/// that is not an API Gateway proxy event at all is a function error (`/error`).
class ChatHandler {
 public:
  ChatHandler(std::shared_ptr<agents::Checkpointer> checkpointer, std::shared_ptr<agents::ChatModel> model,
              HandlerOptions options = {});

  agents::lambda::InvocationResponse operator()(const agents::lambda::Invocation& invocation) const;

 private:
  HandlerOptions options_;
  agents::ConfigurableAgentBuilder builder_;
};

/// The cold start, from the environment: AGENTS_TABLE (default agent-checkpoints), AGENTS_TTL
/// (e.g. 30d, 12h; unset: no expiry), AGENTS_SYSTEM_PROMPT, AGENTS_DEADLINE_MARGIN_MS;
/// OPENAI_API_KEY (and OPENAI_BASE_URL, OPENAI_MODEL) selects OpenAiChatModel, else the offline
/// model. Region, endpoint (AWS_ENDPOINT_URL_DYNAMODB) and credentials follow the library's
/// usual resolution. Throws (-> /runtime/init/error) when the configuration is unusable.
ChatHandler make_chat_handler_from_environment();

/// "30d", "12h", "90m", "3600s" or "3600"; InvalidArgumentError otherwise.
std::chrono::seconds parse_ttl(std::string_view text);

}  // namespace agents_lambda_example
