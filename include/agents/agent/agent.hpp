// The agent runtime: a system prompt, a chat model, tools and a checkpointer around one
// conversation's state. Mirrors the original quick start:
//
//   auto agent = agents::ConfigurableAgentBuilder("You are a helpful assistant.")
//                    .with_model(model).with_checkpointer(checkpointer).build();
//   agent.load_state("user-123");                 // false for a new thread
//   auto reply = agent.handle_message("Hello");   // TurnResult; converts to std::string
//   agent.save_state("user-123");                 // conditional on what was loaded
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/agent/tool.hpp"
#include "agents/checkpoint/checkpointer.hpp"
#include "agents/core/clock.hpp"
#include "agents/export.hpp"
#include "agents/model/chat_model.hpp"

namespace agents {

/// What one turn (handle_message, approve or reject) produced.
struct TurnResult {
  /// The assistant's answer; while awaiting approval, a line naming the tool calls waiting.
  std::string text;
  /// True when the turn stopped at a tool that needs a human's approval (see `pending`).
  bool awaiting_approval = false;
  std::vector<PendingInterrupt> pending;
  Usage usage;          ///< summed over the turn's model calls
  int model_calls = 0;  ///< iterations of the tool-calling loop
  int tool_calls = 0;   ///< tools run (not counting those left pending)

  operator std::string() const { return text; }  // NOLINT(google-explicit-constructor): reads like the seed
  friend bool operator==(const TurnResult& r, std::string_view s) { return r.text == s; }
};
AGENTS_API std::ostream& operator<<(std::ostream& out, const TurnResult& result);

/// Settings the builder collects; plain data.
struct AgentOptions {
  std::string system_prompt;
  /// Model calls per turn (handle_message / approve / reject) before MaxIterationsError.
  int max_iterations = 10;
  /// Messages of the state sent to the model (the system prompt is always sent on top);
  /// 0 sends all. Every message is kept in the state regardless.
  std::size_t history_limit = 0;
  /// The clock behind the time of pending tool-call records; empty: the system clock.
  WallClock clock;
};

/// One conversation at a time. Movable, not copyable, not thread-safe (use one per conversation
/// or request); the model and checkpointer it holds are shared and thread-safe.
///
/// Errors: InvalidArgumentError (no checkpointer, bad thread id, a message while an approval is
/// pending), NotFoundError (approve/reject of an unknown call id), MaxIterationsError, the
/// model's errors (ModelError, ThrottledError, TimeoutError, ConnectionError) and the
/// checkpointer's (ConflictError, ...). After a model error the user message stays in the state:
/// `retry_turn()` (or a later handle_message) goes on from it.
class AGENTS_API Agent {
 public:
  Agent(Agent&&) noexcept;
  Agent& operator=(Agent&&) noexcept;
  ~Agent();

  /// Loads the thread into the agent, replacing whatever it held. False (and an empty state)
  /// when the thread does not exist. Later saves of this thread are conditional on what was
  /// loaded (docs/concurrency.md).
  bool load_state(std::string_view thread_id);
  /// Writes the whole state. After a load of the same thread (or an earlier save of it) the
  /// write is conditional and throws ConflictError when another writer saved in between;
  /// otherwise it overwrites. Returns the new version. When the checkpointer cannot tell
  /// whether the write landed (OutcomeUnknownError), the agent reloads the thread: if the stored
  /// thread holds every message of this state, the turn is stored, the agent goes on from the
  /// stored state and returns its version; otherwise the error is rethrown and nothing changes.
  std::int64_t save_state(std::string_view thread_id);
  /// Goes back to version `version` of the thread ("undo the turns after it"): the agent holds
  /// that state, and the next save_state stores it as the thread's next version, conditional on
  /// the current one, so history is appended to, never rewritten (docs/history.md). False (and
  /// nothing changes) when that version is not kept. Throws NotFoundError when the thread does
  /// not exist.
  bool rewind(std::string_view thread_id, std::int64_t version);

  /// Appends the user message, runs the tool-calling loop and returns the answer. With
  /// `on_text_delta`, the model streams and the callback receives the answer's text as it arrives.
  TurnResult handle_message(std::string_view text, std::function<void(std::string_view)> on_text_delta = {});
  /// Runs the pending tool call `call_id` and goes on with the turn once none is pending.
  TurnResult approve(std::string_view call_id);
  /// Reports `reason` to the model as that call's result instead of running it, then goes on.
  TurnResult reject(std::string_view call_id, std::string_view reason = "rejected by the user");
  /// Runs the loop again from the current state (e.g. after a model error or MaxIterationsError).
  TurnResult retry_turn();

  const AgentStateSnapshot& state() const noexcept { return state_; }
  /// Replaces the state (keeps the save precondition of the thread last loaded or saved).
  void set_state(AgentStateSnapshot state) { state_ = std::move(state); }
  const std::vector<PendingInterrupt>& pending_approvals() const noexcept {
    return state_.pending_interrupts;
  }
  /// The thread last loaded or saved; empty before.
  const std::string& thread_id() const noexcept { return thread_id_; }
  const AgentOptions& options() const noexcept { return options_; }
  const std::vector<Tool>& tools() const noexcept { return tools_; }
  const std::shared_ptr<ChatModel>& model() const noexcept { return model_; }
  const std::shared_ptr<Checkpointer>& checkpointer() const noexcept { return checkpointer_; }

 private:
  friend class ConfigurableAgentBuilder;
  Agent(AgentOptions options, std::shared_ptr<ChatModel> model, std::shared_ptr<Checkpointer> checkpointer,
        std::vector<Tool> tools);

  TurnResult run_loop(TurnResult result, const std::function<void(std::string_view)>& on_text_delta = {});
  const Tool* find_tool(std::string_view name) const;
  std::string run_tool(const Tool& tool, const Json& arguments, const std::string& call_id);
  void require_no_pending(const char* what) const;
  TurnResult resolve(std::string_view call_id, const std::optional<std::string>& rejection);
  std::vector<Message> model_window() const;
  Checkpointer& require_checkpointer(const char* what) const;

  AgentOptions options_;
  std::shared_ptr<ChatModel> model_;
  std::shared_ptr<Checkpointer> checkpointer_;
  std::vector<Tool> tools_;
  std::vector<ToolSpec> tool_specs_;
  AgentStateSnapshot state_;
  std::string thread_id_;
  SavePrecondition precondition_;
};

/// Collects the agent's parts; build() checks them. Built-in tools (builtin_tools.hpp) are
/// included unless with_builtin_tools(false); a tool of the same name as a built-in replaces it.
class AGENTS_API ConfigurableAgentBuilder {
 public:
  explicit ConfigurableAgentBuilder(std::string system_prompt);

  ConfigurableAgentBuilder& with_model(std::shared_ptr<ChatModel> model);
  ConfigurableAgentBuilder& with_checkpointer(std::shared_ptr<Checkpointer> checkpointer);
  ConfigurableAgentBuilder& with_tool(Tool tool);
  ConfigurableAgentBuilder& with_tools(std::vector<Tool> tools);
  ConfigurableAgentBuilder& with_builtin_tools(bool enabled);
  ConfigurableAgentBuilder& with_max_iterations(int max_iterations);
  ConfigurableAgentBuilder& with_history_limit(std::size_t messages);
  ConfigurableAgentBuilder& with_clock(WallClock clock);

  /// InvalidArgumentError when there is no model, max_iterations < 1, or two added tools share
  /// a name. The builder can build again (agents share the model and checkpointer).
  Agent build() const;

 private:
  AgentOptions options_;
  std::shared_ptr<ChatModel> model_;
  std::shared_ptr<Checkpointer> checkpointer_;
  std::vector<Tool> tools_;
  bool builtin_tools_ = true;
};

}  // namespace agents
