#include "agents/agent/agent.hpp"

#include <algorithm>
#include <ostream>

#include "agents/agent/builtin_tools.hpp"
#include "agents/core/error.hpp"

namespace agents {

namespace {

std::string describe_pending(const std::vector<PendingInterrupt>& pending) {
  std::string out;
  for (const auto& p : pending) out += (out.empty() ? "" : ", ") + p.tool_name + " (" + p.call_id + ")";
  return out;
}

TurnResult awaiting(TurnResult result, const std::vector<PendingInterrupt>& pending) {
  result.awaiting_approval = true;
  result.pending = pending;
  result.text = "Waiting for approval: " + describe_pending(pending);
  return result;
}

// Does `stored` hold every message of `ours`, in order, from the start (ours, or a later save
// built on it)?
bool holds_conversation(const AgentStateSnapshot& stored, const AgentStateSnapshot& ours) {
  return stored.messages.size() >= ours.messages.size() &&
         std::equal(ours.messages.begin(), ours.messages.end(), stored.messages.begin());
}

}  // namespace

std::ostream& operator<<(std::ostream& out, const TurnResult& result) { return out << result.text; }

Agent::Agent(AgentOptions options, std::shared_ptr<ChatModel> model,
             std::shared_ptr<Checkpointer> checkpointer, std::vector<Tool> tools)
    : options_(std::move(options)),
      model_(std::move(model)),
      checkpointer_(std::move(checkpointer)),
      tools_(std::move(tools)) {
  for (const auto& t : tools_) tool_specs_.push_back(t.spec());
}

Agent::Agent(Agent&&) noexcept = default;
Agent& Agent::operator=(Agent&&) noexcept = default;
Agent::~Agent() = default;

Checkpointer& Agent::require_checkpointer(const char* what) const {
  if (!checkpointer_) {
    throw InvalidArgumentError(
        std::string("agent: ") + what +
        " needs a checkpointer; add one with ConfigurableAgentBuilder::with_checkpointer");
  }
  return *checkpointer_;
}

bool Agent::load_state(std::string_view thread_id) {
  auto& cp = require_checkpointer("load_state");
  auto loaded = cp.load_state(thread_id);
  // The next save of this thread must find exactly what was loaded (or still no thread).
  precondition_ = SavePrecondition::after_load(loaded);
  thread_id_ = std::string(thread_id);
  if (!loaded) {
    state_ = AgentStateSnapshot{};
    return false;
  }
  state_ = std::move(loaded->state);
  return true;
}

bool Agent::rewind(std::string_view thread_id, std::int64_t version) {
  auto& cp = require_checkpointer("rewind");
  // The current version first: the save that follows replaces it, and a past version read after
  // it is still kept if it was then (a save between the two reads makes that save conflict).
  auto current = cp.load_state(thread_id);
  if (!current) throw NotFoundError("rewind: thread '" + std::string(thread_id) + "' does not exist");
  auto past = cp.load_version(thread_id, version);
  if (!past) return false;
  precondition_ = SavePrecondition::after_load(current);
  thread_id_ = std::string(thread_id);
  state_ = std::move(past->state);
  return true;
}

std::int64_t Agent::save_state(std::string_view thread_id) {
  auto& cp = require_checkpointer("save_state");
  const bool tracked = !thread_id_.empty() && thread_id == thread_id_;
  SavePrecondition precondition = tracked ? precondition_ : SavePrecondition::none();
  SavedState saved;
  try {
    saved = cp.save(thread_id, state_, precondition);
  } catch (const OutcomeUnknownError&) {
    // The save's answer was lost and the checkpointer could not tell whether it landed. Before
    // anyone re-handles the turn (a second model call, a duplicated turn), look: when the stored
    // thread holds every message of this state, the turn is stored and the agent goes on from
    // what is stored. Otherwise the error stands and nothing here changes.
    auto stored = cp.load_state(thread_id);
    if (!stored || !holds_conversation(stored->state, state_)) throw;
    state_ = std::move(stored->state);
    thread_id_ = std::string(thread_id);
    precondition_ = SavePrecondition::after_load(stored);
    return stored->version;
  }
  std::int64_t version = saved.version;
  thread_id_ = std::string(thread_id);
  precondition_ = SavePrecondition::after_save(saved);
  return version;
}

void Agent::require_no_pending(const char* what) const {
  if (state_.pending_interrupts.empty()) return;
  throw InvalidArgumentError(std::string("agent: cannot ") + what + " while tool calls wait for approval: " +
                             describe_pending(state_.pending_interrupts) +
                             "; call approve(call_id) or reject(call_id, reason) first");
}

TurnResult Agent::handle_message(std::string_view text, std::function<void(std::string_view)> on_text_delta) {
  require_no_pending("handle a new message");
  state_.messages.push_back(Message::user(std::string(text)));
  return run_loop(TurnResult{}, on_text_delta);
}

TurnResult Agent::retry_turn() {
  require_no_pending("retry the turn");
  if (state_.messages.empty()) throw InvalidArgumentError("agent: retry_turn: the conversation is empty");
  const Message& last = state_.messages.back();
  if (last.role == "assistant" && last.tool_calls.empty()) {
    throw InvalidArgumentError("agent: retry_turn: the last turn is already answered");
  }
  return run_loop(TurnResult{});
}

TurnResult Agent::approve(std::string_view call_id) { return resolve(call_id, std::nullopt); }

TurnResult Agent::reject(std::string_view call_id, std::string_view reason) {
  return resolve(call_id, std::string(reason.empty() ? "rejected by the user" : reason));
}

TurnResult Agent::resolve(std::string_view call_id, const std::optional<std::string>& rejection) {
  auto& pending = state_.pending_interrupts;
  auto it = std::find_if(pending.begin(), pending.end(),
                         [&](const PendingInterrupt& p) { return p.call_id == call_id; });
  if (it == pending.end()) {
    throw NotFoundError(
        "agent: no tool call \"" + std::string(call_id) + "\" waits for approval" +
        (thread_id_.empty() ? std::string() : " in thread " + thread_id_) +
        (pending.empty() ? std::string(" (none is pending)") : "; pending: " + describe_pending(pending)));
  }
  PendingInterrupt interrupt = std::move(*it);
  pending.erase(it);

  TurnResult result;
  std::string content;
  if (rejection) {
    content = "Rejected by a human: " + *rejection + ". The tool was not run.";
  } else if (const Tool* tool = find_tool(interrupt.tool_name)) {
    content = run_tool(*tool, interrupt.tool_args, interrupt.call_id);
    ++result.tool_calls;
  } else {
    content = "Error: tool \"" + interrupt.tool_name + "\" is not available to this agent any more.";
  }
  Message answer = Message::tool(interrupt.call_id, std::move(content));
  answer.name = interrupt.tool_name;
  state_.messages.push_back(std::move(answer));

  if (!pending.empty()) return awaiting(std::move(result), pending);
  return run_loop(std::move(result));
}

const Tool* Agent::find_tool(std::string_view name) const {
  for (const auto& t : tools_) {
    if (t.name() == name) return &t;
  }
  return nullptr;
}

std::string Agent::run_tool(const Tool& tool, const Json& arguments, const std::string& call_id) {
  ToolContext context{state_, call_id, thread_id_};
  try {
    return tool.invoke(arguments, context);
  } catch (const std::exception& e) {
    // The model sees the failure and can correct its call; the turn goes on.
    return std::string("Error: ") + e.what();
  }
}

std::vector<Message> Agent::model_window() const {
  std::vector<Message> window;
  if (!options_.system_prompt.empty()) window.push_back(Message::system(options_.system_prompt));
  const auto& ms = state_.messages;
  std::size_t start = 0;
  if (options_.history_limit > 0 && ms.size() > options_.history_limit)
    start = ms.size() - options_.history_limit;
  // Never start with tool results whose call was cut off: servers reject orphaned results.
  while (start > 0 && ms[start].role == "tool") --start;
  window.insert(window.end(), ms.begin() + static_cast<std::ptrdiff_t>(start), ms.end());
  return window;
}

TurnResult Agent::run_loop(TurnResult result, const std::function<void(std::string_view)>& on_text_delta) {
  for (int iteration = 0; iteration < options_.max_iterations; ++iteration) {
    ChatRequest request;
    request.messages = model_window();
    request.tools = tool_specs_;
    request.on_text_delta = on_text_delta;
    ChatResponse response = model_->complete(request);
    result.usage += response.usage;
    ++result.model_calls;

    Message reply = std::move(response.message);
    reply.role = "assistant";
    state_.messages.push_back(reply);
    if (reply.tool_calls.empty()) {
      result.text = reply.content;
      return result;
    }
    // Every call of the turn, in order: run it, or park it for approval.
    for (const auto& call : reply.tool_calls) {
      std::string content;
      const Tool* tool = find_tool(call.name);
      Json args = Json::parse(call.arguments.empty() ? std::string("{}") : call.arguments, nullptr, false);
      if (tool == nullptr) {
        std::string names;
        for (const auto& t : tools_) names += (names.empty() ? "" : ", ") + t.name();
        content = "Error: there is no tool \"" + call.name + "\"; available tools: " + names;
      } else if (args.is_discarded()) {
        content = "Error: the arguments of " + call.name + " are not valid JSON";
      } else if (auto problem = tool->check_arguments(args); !problem.empty()) {
        content = "Error: " + call.name + ": " + problem;
      } else if (tool->needs_approval()) {
        state_.pending_interrupts.push_back(
            {tool->name(), args, tool->policy_note(), rfc3339_utc(now_from(options_.clock)), call.id});
        continue;
      } else {
        content = run_tool(*tool, args, call.id);
        ++result.tool_calls;
      }
      Message answer = Message::tool(call.id, std::move(content));
      answer.name = call.name;
      state_.messages.push_back(std::move(answer));
    }
    if (!state_.pending_interrupts.empty()) return awaiting(std::move(result), state_.pending_interrupts);
  }
  throw MaxIterationsError(
      "agent: the model still asked for tools after " + std::to_string(options_.max_iterations) +
      " model calls (max_iterations) in " +
      (thread_id_.empty() ? std::string("this turn") : "thread " + thread_id_) +
      "; the state keeps the turn so far: raise with_max_iterations or call retry_turn()");
}

ConfigurableAgentBuilder::ConfigurableAgentBuilder(std::string system_prompt) {
  options_.system_prompt = std::move(system_prompt);
}

ConfigurableAgentBuilder& ConfigurableAgentBuilder::with_model(std::shared_ptr<ChatModel> model) {
  model_ = std::move(model);
  return *this;
}
ConfigurableAgentBuilder& ConfigurableAgentBuilder::with_checkpointer(
    std::shared_ptr<Checkpointer> checkpointer) {
  checkpointer_ = std::move(checkpointer);
  return *this;
}
ConfigurableAgentBuilder& ConfigurableAgentBuilder::with_tool(Tool tool) {
  tools_.push_back(std::move(tool));
  return *this;
}
ConfigurableAgentBuilder& ConfigurableAgentBuilder::with_tools(std::vector<Tool> tools) {
  for (auto& t : tools) tools_.push_back(std::move(t));
  return *this;
}
ConfigurableAgentBuilder& ConfigurableAgentBuilder::with_builtin_tools(bool enabled) {
  builtin_tools_ = enabled;
  return *this;
}
ConfigurableAgentBuilder& ConfigurableAgentBuilder::with_max_iterations(int max_iterations) {
  options_.max_iterations = max_iterations;
  return *this;
}
ConfigurableAgentBuilder& ConfigurableAgentBuilder::with_history_limit(std::size_t messages) {
  options_.history_limit = messages;
  return *this;
}

ConfigurableAgentBuilder& ConfigurableAgentBuilder::with_clock(WallClock clock) {
  options_.clock = std::move(clock);
  return *this;
}

Agent ConfigurableAgentBuilder::build() const {
  if (!model_)
    throw InvalidArgumentError("ConfigurableAgentBuilder: a model is required; call with_model(...)");
  if (options_.max_iterations < 1) {
    throw InvalidArgumentError("ConfigurableAgentBuilder: max_iterations must be at least 1, got " +
                               std::to_string(options_.max_iterations));
  }
  for (std::size_t i = 0; i < tools_.size(); ++i) {
    for (std::size_t j = i + 1; j < tools_.size(); ++j) {
      if (tools_[i].name() == tools_[j].name()) {
        throw InvalidArgumentError("ConfigurableAgentBuilder: two tools are named \"" + tools_[i].name() +
                                   "\"");
      }
    }
  }
  std::vector<Tool> tools;
  if (builtin_tools_) {
    for (auto& b : builtin_tools()) {
      bool replaced =
          std::any_of(tools_.begin(), tools_.end(), [&](const Tool& t) { return t.name() == b.name(); });
      if (!replaced) tools.push_back(std::move(b));
    }
  }
  tools.insert(tools.end(), tools_.begin(), tools_.end());
  return Agent(options_, model_, checkpointer_, std::move(tools));
}

}  // namespace agents
