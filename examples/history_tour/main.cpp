// The C++ samples of docs/history.md, compiled as they appear there, and run with the offline
// model on an in-memory store that keeps history (the DynamoDB variant is compiled, not run).
#include <agents/agents.hpp>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

namespace {

// clang-format off
std::shared_ptr<agents::DynamoDbCheckpointer> configured_checkpointer() {
auto checkpointer = std::make_shared<agents::DynamoDbCheckpointer>(
    "agent-checkpoints", agents::DynamoDbCheckpointerOptions().with_history(20));
// FileCheckpointer and InMemoryCheckpointer: agents::LocalCheckpointerOptions().with_history(20)
  return checkpointer;
}

template <typename Store>
int tour(const std::shared_ptr<Store>& checkpointer, agents::Agent& agent, const std::string& thread) {
for (const agents::VersionInfo& v : checkpointer->list_versions(thread, {.before = 0, .limit = 10})) {
  // v.version, v.updated_at, v.message_count, v.state_bytes,
  // v.replaced_by and v.replaced_at (the save that replaced it), v.forked_from
  std::cout << v.version << " " << v.updated_at << " " << v.message_count << " messages\n";
}
std::optional<agents::LoadedState> past = checkpointer->load_version(thread, 2);
checkpointer->fork(thread, 2, thread + "-retry");  // a new thread whose version 1 is version 2

// An agent goes back and goes on: the rewound state is saved as the next version, conditional
// on the current one, so history is only ever appended to.
agent.rewind(thread, 2);
agent.handle_message("Let's try that differently");
agent.save_state(thread);  // version N + 1; versions 2..N stay as they were
  // clang-format on
  if (!past || past->version != 2) return 1;
  auto branch = checkpointer->load_state(thread + "-retry");
  auto now = checkpointer->load_state(thread);
  // The branch starts from version 2; the thread went on from it as version 4 (after 1..3).
  if (!branch || branch->state != past->state || !now || now->version != 4) return 1;
  if (checkpointer->load_version(thread, 3)->state.messages.size() != 6) return 1;
  std::cout << "history tour: ok\n";
  return 0;
}

}  // namespace

int main() {
  (void)&configured_checkpointer;
  auto checkpointer =
      std::make_shared<agents::InMemoryCheckpointer>(agents::LocalCheckpointerOptions().with_history(20));
  auto agent = agents::ConfigurableAgentBuilder("You are a helpful assistant.")
                   .with_model(std::make_shared<agents::OfflineChatModel>())
                   .with_checkpointer(checkpointer)
                   .build();
  const std::string thread = "user-123";
  for (const char* text : {"Hello", "My name is Alice", "What is my name?"}) {
    agent.load_state(thread);
    agent.handle_message(text);
    agent.save_state(thread);
  }
  return tour(checkpointer, agent, thread);
}
