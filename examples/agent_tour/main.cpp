// The C++ samples of docs/agent.md, compiled as they appear there, and run with the offline
// model and an in-memory store (the AWS + OpenAI variant is compiled, not run).
#include <agents/agents.hpp>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>

namespace {

// clang-format off
void seed_flow(const std::string& api_key, const std::string& thread_id, const std::string& text) {
auto checkpointer = std::make_shared<agents::DynamoDbCheckpointer>("agent-checkpoints");
auto model = std::make_shared<agents::OpenAiChatModel>(agents::OpenAiConfig(api_key, "gpt-4o-mini"));
auto agent = agents::ConfigurableAgentBuilder("You are a helpful assistant.")
                 .with_model(model)
                 .with_checkpointer(checkpointer)
                 .build();
agent.load_state(thread_id);                  // false for a new thread
auto reply = agent.handle_message(text);      // agents::TurnResult; reads like a std::string
agent.save_state(thread_id);                  // conditional on what was loaded
  std::cout << reply << "\n";
}

// docs/getting-started.md: the quick start's settings passed at construction (compiled, not run).
std::shared_ptr<agents::DynamoDbCheckpointer> configured_checkpointer() {
auto checkpointer = std::make_shared<agents::DynamoDbCheckpointer>(
    "agent-checkpoints",
    agents::DynamoDbCheckpointerOptions().with_region("us-east-1").with_ttl(std::chrono::days(30)));
  return checkpointer;
}

agents::Tool weather_tool() {
agents::Tool weather("get_weather", "Current weather for a city",
    agents::Json{{"type", "object"},
                 {"properties", {{"city", {{"type", "string"}}}}},
                 {"required", {"city"}}},
    [](const agents::Json& args) { return "sunny in " + args["city"].get<std::string>(); });
  return weather;
}
// clang-format on

// The human-in-the-loop sample. `agent` is fresh; the thread was saved with a pending approval.
template <typename Handler>
agents::TurnResult approval_flow(agents::Agent& agent, const agents::Json& schema, Handler handler,
                                 const std::string& thread, const std::string& call_id) {
  // clang-format off
auto send = agents::Tool("send_email", "...", schema, handler).requires_approval("emails leave the company");
auto r = agent.handle_message("mail Bob the report");
if (r.awaiting_approval) {            // r.pending[i]: tool_name, tool_args, call_id, policy_note, created_at
  agent.save_state(thread);           // the interrupt is part of the state
}
// later, maybe in another process:
agent.load_state(thread);
auto done = agent.approve(call_id);   // runs the tool with the stored arguments, then continues the turn
// or: agent.reject(call_id, "not today");   // the model sees "Rejected by a human: not today. ..."
  // clang-format on
  (void)send;
  return done;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 3) seed_flow(argv[1], argv[2], argv[3]);
  if (argc > 4) configured_checkpointer();  // a real model and DynamoDB: compiled, run by hand

  auto store = std::make_shared<agents::InMemoryCheckpointer>();
  agents::Json schema{{"type", "object"}, {"properties", {{"to", {{"type", "string"}}}}}};
  auto handler = [](const agents::Json& args) {
    return "sent to " + args.value("to", std::string("nobody"));
  };
  const std::string thread = "tour";
  auto make_agent = [&] {
    return agents::ConfigurableAgentBuilder("You are a helpful assistant.")
        .with_model(std::make_shared<agents::OfflineChatModel>())
        .with_checkpointer(store)
        .with_tool(weather_tool())
        .with_tool(
            agents::Tool("send_email", "...", schema, handler).requires_approval("emails leave the company"))
        .build();
  };

  // The offline model calls a tool when told "call TOOL {json}": the call waits for approval.
  auto first = make_agent();
  auto r = first.handle_message(R"(call send_email {"to":"bob@example.com"})");
  std::cout << "turn: " << r.text << "\n";
  if (!r.awaiting_approval) return 1;
  first.save_state(thread);

  auto second = make_agent();  // as another process would
  auto done = approval_flow(second, schema, handler, thread, r.pending.at(0).call_id);
  std::cout << "after approval: " << done.text << "\n";
  bool tool_ran = false;
  for (const auto& m : second.state().messages) {
    tool_ran = tool_ran || (m.role == "tool" && m.content == "sent to bob@example.com");
  }
  return tool_ran ? 0 : 1;
}
