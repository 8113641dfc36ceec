// The quick start: an agent whose conversation lives in DynamoDB.
// Usage: quickstart [endpoint-url]   (e.g. http://localhost:8000 for DynamoDB Local)
#include <agents/agents.hpp>
#include <chrono>
#include <iostream>
#include <memory>

int main(int argc, char** argv) {
  auto checkpointer = std::make_shared<agents::DynamoDbCheckpointer>("agent-checkpoints");
  checkpointer->with_region("us-east-1").with_ttl(std::chrono::days(30));
  if (argc > 1) checkpointer->with_endpoint(argv[1]);

  // The offline model needs no network; swap in OpenAiChatModel for a real one:
  //   std::make_shared<agents::OpenAiChatModel>(agents::OpenAiConfig(api_key, "gpt-4o-mini"))
  auto model = std::make_shared<agents::OfflineChatModel>();
  auto agent = agents::ConfigurableAgentBuilder("You are a helpful assistant.")
                   .with_model(model)
                   .with_checkpointer(checkpointer)
                   .build();

  try {
    bool resumed = agent.load_state("user-123");  // false when the thread does not exist
    std::string reply = agent.handle_message(resumed ? "What do you remember?" : "Remember that I like tea");
    agent.save_state("user-123");  // conditional on what was loaded
    std::cout << reply << "\n";
  } catch (const agents::ConflictError& e) {
    std::cerr << "another writer got there first: " << e.what() << "\n";
    return 4;
  } catch (const agents::Error& e) {
    std::cerr << agents::error_code_name(e.code()) << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}
