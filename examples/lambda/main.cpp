// `bootstrap`: the seed's chat handler in the Lambda custom runtime (provided.al2023).
// The setup runs once per container (the cold start); the handler once per event.
#include <agents/agents.hpp>

#include "handler.hpp"

int main() {
  return agents::lambda::run_lambda_with_setup([]() -> agents::lambda::Handler {
    return agents_lambda_example::make_chat_handler_from_environment();
  });
}
