// A tool the agent can run for the model: a name, a description, a JSON Schema for its
// arguments and a C++ callable. Tools see (and may change) the agent's state.
#pragma once

#include <concepts>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "agents/checkpoint/state.hpp"
#include "agents/export.hpp"
#include "agents/model/chat_model.hpp"

namespace agents {

/// What a running tool can see: the whole state of the conversation and its own call.
struct ToolContext {
  AgentStateSnapshot& state;
  const std::string& call_id;
  const std::string& thread_id;  ///< empty before the first load/save
};

/// A value type (copies share the callable). The callable returns the text the model sees as
/// the tool's result. It may throw: an exception's message is reported to the model as
/// "Error: ..." so it can correct itself, and the turn goes on.
///
/// Arguments are checked against the schema's top level before the call (an object; `required`
/// properties present; string/integer/number/boolean/array/object property types), and a
/// mismatch is reported to the model the same way, without calling the callable.
class AGENTS_API Tool {
 public:
  using Handler = std::function<std::string(const Json& arguments, ToolContext& context)>;

  Tool(std::string name, std::string description, Json parameters_schema, Handler handler);

  /// Convenience for callables that do not need the context: `std::string(const Json&)`.
  template <typename F>
  requires(std::invocable<F, const Json&> && !std::invocable<F, const Json&, ToolContext&>)
      Tool(std::string name, std::string description, Json parameters_schema, F fn)
      : Tool(std::move(name), std::move(description), std::move(parameters_schema),
             Handler([f = std::move(fn)](const Json& args, ToolContext&) { return std::string(f(args)); })) {}

  /// Human in the loop: the agent records a pending interrupt instead of running the tool, and
  /// runs it only after Agent::approve. `policy_note` is stored with the interrupt.
  Tool& requires_approval(std::optional<std::string> policy_note = std::nullopt);

  const std::string& name() const noexcept { return spec_.name; }
  const std::string& description() const noexcept { return spec_.description; }
  const Json& parameters() const noexcept { return spec_.parameters; }
  const ToolSpec& spec() const noexcept { return spec_; }
  bool needs_approval() const noexcept { return needs_approval_; }
  const std::optional<std::string>& policy_note() const noexcept { return policy_note_; }

  /// Checks the arguments against the schema's top level: "" when they fit, else what is wrong.
  std::string check_arguments(const Json& arguments) const;
  /// Runs the callable (no schema check, no exception handling).
  std::string invoke(const Json& arguments, ToolContext& context) const {
    return handler_(arguments, context);
  }

 private:
  ToolSpec spec_;
  Handler handler_;
  bool needs_approval_ = false;
  std::optional<std::string> policy_note_;
};

}  // namespace agents
