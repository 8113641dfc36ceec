// `agents chat THREAD [--message TEXT]`: one turn, or a REPL, resuming the thread.
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "agents/agent/agent.hpp"
#include "agents/aws/credentials.hpp"
#include "agents/model/offline_chat_model.hpp"
#include "agents/model/openai_chat_model.hpp"
#include "cli_context.hpp"
#include "table_check.hpp"

namespace agents::cli {

namespace {

// OPENAI_API_KEY (or OPENAI_BASE_URL, for servers that need no key) selects the real model;
// otherwise the offline model answers, so the CLI works with no network.
std::shared_ptr<ChatModel> choose_model(const std::string& model_name, std::string& description) {
  const auto env = aws::process_environment();  // the library's reader: empty counts as unset
  if (env("OPENAI_API_KEY") || env("OPENAI_BASE_URL")) {
    OpenAiConfig config = OpenAiConfig::from_environment(model_name.empty() ? "gpt-4o-mini" : model_name);
    if (!model_name.empty()) config.model = model_name;
    description = config.model + " at " +
                  (config.chat_completions_url.empty() ? config.base_url : config.chat_completions_url);
    return std::make_shared<OpenAiChatModel>(std::move(config));
  }
  description = "the offline model (set OPENAI_API_KEY for a real one)";
  return std::make_shared<OfflineChatModel>();
}

void print_turn(Context& ctx, const std::string& thread_id, const TurnResult& turn, std::int64_t version) {
  nlohmann::json pending = nlohmann::json::array();
  for (const auto& p : turn.pending) pending.push_back({{"call_id", p.call_id}, {"tool_name", p.tool_name}});
  ctx.print({{"thread_id", thread_id},
             {"reply", turn.text},
             {"awaiting_approval", turn.awaiting_approval},
             {"pending", pending},
             {"version", version}},
            turn.text);
}

// An outage worth waiting out (after the client's own retries): the REPL keeps the turn.
bool is_transient(const Error& e) {
  return e.transient() || e.code() == ErrorCode::kTimeout || e.code() == ErrorCode::kConnectionFailed ||
         e.code() == ErrorCode::kThrottled;
}

// A turn typed in the REPL that has not been answered and saved yet.
enum class Unfinished { kNone, kAnswer, kSave };

}  // namespace

int run_chat(Context& ctx, const std::string& thread_id, const std::optional<std::string>& message,
             const std::string& model_name) {
  std::string description;
  auto model = choose_model(model_name, description);
  Agent agent = ConfigurableAgentBuilder("You are a helpful assistant. Keep answers short.")
                    .with_model(model)
                    .with_checkpointer(ctx.checkpointer())
                    .build();
  bool resumed = explaining_foreign_table(ctx, [&] { return agent.load_state(thread_id); });
  if (message) {
    TurnResult turn = agent.handle_message(*message);
    std::int64_t version = agent.save_state(thread_id);
    print_turn(ctx, thread_id, turn, version);
    return kOk;
  }

  const bool tty = ::isatty(STDIN_FILENO) != 0;
  std::cerr << (resumed ? "resuming thread " : "new thread ") << thread_id << " with " << description
            << "; /exit or Ctrl-D ends\n";
  std::string line;
  // After a transient failure the typed message stays in the agent (unanswered) or the answered
  // turn stays unsaved; Enter (or /retry) goes on from there, /discard drops it.
  Unfinished unfinished = Unfinished::kNone;
  TurnResult turn;
  while (true) {
    if (tty) std::cout << (unfinished == Unfinished::kNone ? "you> " : "retry> ") << std::flush;
    if (!std::getline(std::cin, line)) break;
    if (line == "/exit" || line == "/quit") break;
    if (unfinished != Unfinished::kNone) {
      if (line == "/discard") {
        agent.load_state(thread_id);  // back to what is stored
        unfinished = Unfinished::kNone;
        std::cerr << "agents: the unsaved turn was dropped\n";
        continue;
      }
      if (!line.empty() && line != "/retry") {
        std::cerr << "agents: a turn is not finished: press Enter (or /retry) to retry it, /discard to drop "
                     "it, /exit to end\n";
        continue;
      }
    } else if (line.empty()) {
      continue;
    }
    try {
      if (unfinished == Unfinished::kAnswer) turn = agent.retry_turn();
      if (unfinished == Unfinished::kNone) {
        unfinished = Unfinished::kAnswer;  // handle_message keeps the message even when it throws
        turn = agent.handle_message(line);
      }
      unfinished = Unfinished::kSave;
      std::int64_t version = agent.save_state(thread_id);  // every turn survives a crash
      unfinished = Unfinished::kNone;
      if (tty && !ctx.options().json) std::cout << "agent> ";
      print_turn(ctx, thread_id, turn, version);
    } catch (const Error& e) {
      if (!is_transient(e)) throw;
      report_error(e, ctx.options().json);
      std::cerr << "agents: your message is kept ("
                << (unfinished == Unfinished::kAnswer ? "not answered" : "answered, not saved")
                << "): press Enter (or /retry) to retry it, /discard to drop it, /exit to end\n";
    }
  }
  if (unfinished != Unfinished::kNone) {
    std::cerr << "agents: the last turn was not saved\n";
    return kError;
  }
  return kOk;
}

}  // namespace agents::cli
