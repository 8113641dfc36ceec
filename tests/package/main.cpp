// A consumer program, built against the library the way each consumer test gets it (an installed
// package, pkg-config, add_subdirectory, FetchContent; static or shared): it calls the
// checkpointers and the agent runtime, and catches typed errors thrown inside the library (across
// the .so boundary in a shared build: their typeinfo must be exported). Prints the version.
#include <agents/agents.hpp>
#include <chrono>
#include <iostream>
#include <memory>

namespace {

int failures = 0;

void expect(bool ok, const char* what) {
  if (!ok) {
    std::cerr << "FAILED: " << what << "\n";
    ++failures;
  }
}

}  // namespace

int main() {
  // The agent builder, the offline model and the in-memory checkpointer.
  auto memory = std::make_shared<agents::InMemoryCheckpointer>();
  auto agent = agents::ConfigurableAgentBuilder("You are terse.")
                   .with_model(std::make_shared<agents::OfflineChatModel>())
                   .with_checkpointer(memory)
                   .build();
  expect(!agent.load_state("t1"), "a new thread loads nothing");
  expect(!agent.handle_message("Remember that I like tea").text.empty(), "the offline model answers");
  expect(agent.save_state("t1") == 1, "the first save is version 1");

  // A save over a version it has not seen: ConflictError, caught by its own type.
  try {
    memory->save_state("t1", agents::AgentStateSnapshot{}, agents::SavePrecondition::must_not_exist());
    expect(false, "a conflicting save throws");
  } catch (const agents::ConflictError& e) {
    expect(e.code() == agents::ErrorCode::kConflict && e.actual_version() == 1,
           "ConflictError carries the versions");
  }
  // An invalid thread id: InvalidArgumentError, caught through the base class.
  try {
    memory->load_state("");
    expect(false, "an empty thread id throws");
  } catch (const agents::Error& e) {
    expect(dynamic_cast<const agents::InvalidArgumentError*>(&e) != nullptr,
           "the base catches the typed error");
  }

  // The DynamoDB checkpointer against a port where nothing listens: a typed ConnectionError.
  auto dynamodb = std::make_shared<agents::DynamoDbCheckpointer>("consumer-test");
  dynamodb->with_region("us-east-1")
      .with_endpoint("http://127.0.0.1:9")
      .with_credentials(agents::aws::make_static_credentials_provider(
          {.access_key_id = "AKIDEXAMPLE", .secret_access_key = "secret"}))
      .with_retry({.max_attempts = 1})
      .with_ttl(std::chrono::hours(24));
  try {
    dynamodb->load_state("t1");
    expect(false, "no DynamoDB on port 9");
  } catch (const agents::ConnectionError& e) {
    expect(e.code() == agents::ErrorCode::kConnectionFailed, "ConnectionError has its code");
  }

  std::cout << "agents_sdk consumer OK: version " << agents::kSdkVersion << ", "
            << agents::error_code_name(agents::ErrorCode::kConflict) << "\n";
  return failures == 0 ? 0 : 1;
}
