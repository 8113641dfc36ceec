// A Lambda handler written against the installed package, as a user would: a direct-invocation
// event {"thread_id","note"} appends the note to the thread in DynamoDB and answers
// {"thread_id","notes":[...],"version"}. Packaged by agents_lambda_package(notes_handler).
#include <agents/agents.hpp>
#include <cstdlib>
#include <memory>
#include <string>

int main() {
  return agents::lambda::run_lambda_with_setup([]() -> agents::lambda::Handler {
    const char* table = std::getenv("NOTES_TABLE");
    auto store = std::make_shared<agents::DynamoDbCheckpointer>(table != nullptr ? table : "notes");
    store->client();  // region, endpoint and credentials from Lambda's environment, at cold start
    return [store](const agents::lambda::Invocation& invocation) {
      auto event = agents::Json::parse(invocation.payload);
      const std::string thread_id = event.at("thread_id").get<std::string>();
      auto loaded = store->load_state(thread_id);
      agents::AgentStateSnapshot state = loaded ? loaded->state : agents::AgentStateSnapshot{};
      state.messages.push_back(agents::Message::user(event.at("note").get<std::string>()));
      auto version = store->save_state(thread_id, state, agents::SavePrecondition::after_load(loaded));
      agents::Json notes = agents::Json::array();
      for (const auto& m : state.messages) notes.push_back(m.content);
      return agents::lambda::InvocationResponse::success(
          agents::Json{{"thread_id", thread_id}, {"notes", notes}, {"version", version}}.dump());
    };
  });
}
