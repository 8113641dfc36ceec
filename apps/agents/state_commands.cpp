// `agents state save|load|delete|list`.
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli_context.hpp"

namespace agents::cli {

namespace {

nlohmann::json state_as_json(const AgentStateSnapshot& state) {
  return nlohmann::json::parse(encode_state_json(state));
}

int thread_not_found(const std::string& thread_id) {
  std::cerr << "agents: thread '" << thread_id << "' not found\n";
  return kThreadNotFound;
}

}  // namespace

int run_state_save(Context& ctx, const std::string& thread_id) {
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  // Validate first: a bad document changes nothing.
  auto state = decode_state_json(input);
  if (!state.ok()) {
    throw InvalidArgumentError("stdin is not a valid state document (" + state.status().message() +
                               "); nothing was saved");
  }
  Checkpointer::validate_thread_id(thread_id);
  std::int64_t version = ctx.checkpointer()->save_state(thread_id, *state);
  ctx.print({{"thread_id", thread_id}, {"version", version}},
            "saved thread " + thread_id + " (version " + std::to_string(version) + ")");
  return kOk;
}

int run_state_load(Context& ctx, const std::string& thread_id) {
  auto loaded = ctx.checkpointer()->load_state(thread_id);
  if (!loaded) return thread_not_found(thread_id);
  if (ctx.options().json) {
    ctx.print({{"thread_id", thread_id},
               {"version", loaded->version},
               {"updated_at", loaded->updated_at},
               {"state", state_as_json(loaded->state)}},
              "");
  } else {
    std::cout << state_as_json(loaded->state).dump(2) << "\n";
  }
  return kOk;
}

int run_state_delete(Context& ctx, const std::string& thread_id) {
  if (!ctx.checkpointer()->delete_thread(thread_id)) return thread_not_found(thread_id);
  ctx.print({{"thread_id", thread_id}, {"deleted", true}}, "deleted thread " + thread_id);
  return kOk;
}

int run_state_list(Context& ctx, std::size_t page_size, const std::string& sort, bool show_updated) {
  ListThreadsOptions options;
  if (sort == "updated") {
    options.sort_by = ListThreadsOptions::SortBy::kUpdatedAt;
  } else if (sort != "id") {
    throw UsageError("--sort must be id or updated");
  }
  options.page_size = page_size;
  nlohmann::json all = nlohmann::json::array();
  auto cp = ctx.checkpointer();
  do {
    ThreadPage page = cp->list_threads(options);
    for (const auto& t : page.threads) {
      if (ctx.options().json) {
        all.push_back({{"thread_id", t.thread_id}, {"updated_at", t.updated_at}, {"version", t.version}});
      } else if (show_updated) {
        std::cout << t.thread_id << "\t" << t.updated_at << "\tversion " << t.version << "\n";
      } else {
        std::cout << t.thread_id << "\n";
      }
    }
    options.page_token = page.next_page_token;
  } while (!options.page_token.empty());
  if (ctx.options().json) ctx.print(all, "");
  return kOk;
}

}  // namespace agents::cli
