// `agents state save|load|delete|list`.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli_context.hpp"
#include "state_document.hpp"
#include "table_check.hpp"

namespace agents::cli {

namespace {

int thread_not_found(const std::string& thread_id) {
  std::cerr << "agents: thread '" << thread_id << "' not found\n";
  return kThreadNotFound;
}

SavePrecondition precondition_for(const SaveMode& mode) {
  if (mode.force) return SavePrecondition::none();
  if (mode.if_version) return SavePrecondition::version_is(*mode.if_version);
  return SavePrecondition::must_not_exist();
}

// A refused save says what is stored and the two ways on: replace that version, or overwrite.
[[noreturn]] void explain_conflict(const ConflictError& e, const std::string& thread_id,
                                   const SaveMode& mode) {
  const std::int64_t stored = e.actual_version();
  const std::string found = stored >= 0 ? "version " + std::to_string(stored) : "another version";
  std::string what = mode.if_version ? "thread " + thread_id + " is at " + found + ", not version " +
                                           std::to_string(*mode.if_version)
                                     : "thread " + thread_id + " already exists (" + found + ")";
  std::string replace = stored > 0 ? "--if-version " + std::to_string(stored) : "--if-version N";
  throw ConflictError(what + "; nothing was saved. To replace it, save with " + replace +
                          " (the version `agents --json state load " + thread_id +
                          "` prints), or with --force to overwrite whatever is stored",
                      thread_id, e.expected_version(), stored);
}

}  // namespace

int run_state_save(Context& ctx, const std::string& thread_id, const SaveMode& mode) {
  if (mode.force && mode.if_version) throw UsageError("--force and --if-version exclude each other");
  if (mode.if_version && *mode.if_version < 0) throw UsageError("--if-version must be 0 or more");
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  // Validate first: a bad document changes nothing.
  StateDocument doc;
  try {
    doc = parse_state_document(input);
  } catch (const InvalidArgumentError& e) {
    throw InvalidArgumentError("stdin is not a valid state document (" + std::string(e.what()) +
                               "); nothing was saved");
  }
  Checkpointer::validate_thread_id(thread_id);
  std::int64_t version = 0;
  try {
    version = explaining_foreign_table(
        ctx, [&] { return ctx.checkpointer()->save_state(thread_id, doc.state, precondition_for(mode)); });
  } catch (const ConflictError& e) {
    explain_conflict(e, thread_id, mode);
  }
  ctx.print({{"thread_id", thread_id}, {"version", version}},
            "saved thread " + thread_id + " (version " + std::to_string(version) + ")");
  return kOk;
}

int run_state_load(Context& ctx, const std::string& thread_id, std::optional<std::int64_t> version) {
  auto loaded = explaining_foreign_table(ctx, [&] {
    return version ? ctx.checkpointer()->load_version(thread_id, *version)
                   : ctx.checkpointer()->load_state(thread_id);
  });
  if (!loaded && version) {
    std::cerr << "agents: thread '" << thread_id << "' has no version " << *version
              << " (`agents state history " << thread_id << "` lists the versions kept)\n";
    return kThreadNotFound;
  }
  if (!loaded) return thread_not_found(thread_id);
  auto envelope = state_envelope(thread_id, *loaded);
  if (ctx.options().json) {
    std::cout << envelope.dump() << "\n";
  } else {
    std::cout << envelope["state"].dump(2) << "\n";
    // The version a later `state save --if-version` needs; on a terminal only, so pipes get the state alone.
    if (::isatty(STDERR_FILENO) != 0) {
      std::cerr << "thread " << thread_id << ": version " << loaded->version << ", updated "
                << loaded->updated_at << "\n";
    }
  }
  return kOk;
}

int run_state_history(Context& ctx, const std::string& thread_id, std::int64_t before, std::size_t limit) {
  auto versions = explaining_foreign_table(
      ctx, [&] { return ctx.checkpointer()->list_versions(thread_id, {.before = before, .limit = limit}); });
  if (versions.empty() && before == 0) return thread_not_found(thread_id);
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  std::ostringstream text;
  text << "VERSION  UPDATED_AT                MESSAGES  BYTES     REPLACED_AT\n";
  for (const auto& v : versions) {
    nlohmann::ordered_json row{{"version", v.version},
                               {"updated_at", v.updated_at},
                               {"message_count", v.message_count},
                               {"state_bytes", v.state_bytes}};
    if (v.replaced_by > 0) {
      row["replaced_by"] = v.replaced_by;
      row["replaced_at"] = v.replaced_at;
    }
    if (v.forked_from)
      row["forked_from"] = {{"thread_id", v.forked_from->thread_id}, {"version", v.forked_from->version}};
    all.push_back(std::move(row));
    char line[160];
    std::snprintf(line, sizeof line, "%-8lld %-25s %-9zu %-9zu %s", static_cast<long long>(v.version),
                  v.updated_at.c_str(), v.message_count, v.state_bytes,
                  v.replaced_by > 0 ? v.replaced_at.c_str() : "(current)");
    text << line;
    if (v.forked_from)
      text << "  forked from " << v.forked_from->thread_id << " version " << v.forked_from->version;
    text << "\n";
  }
  if (ctx.options().json) {
    std::cout << nlohmann::ordered_json{{"thread_id", thread_id}, {"versions", all}}.dump() << "\n";
  } else {
    std::cout << text.str();
  }
  return kOk;
}

int run_state_fork(Context& ctx, const std::string& thread_id, std::int64_t version,
                   const std::string& new_thread) {
  SavedState saved;
  try {
    saved = explaining_foreign_table(
        ctx, [&] { return ctx.checkpointer()->fork(thread_id, version, new_thread); });
  } catch (const NotFoundError& e) {
    // The version (or thread) is not kept: exit 3 like a missing thread. A missing table is
    // the service's answer (it names its code) and stays an error.
    if (!e.details().service_code.empty()) throw;
    std::cerr << "agents: " << e.what() << "\n";
    return kThreadNotFound;
  }
  ctx.print({{"thread_id", new_thread},
             {"version", saved.version},
             {"forked_from", {{"thread_id", thread_id}, {"version", version}}}},
            "forked version " + std::to_string(version) + " of " + thread_id + " as " + new_thread);
  return kOk;
}

int run_state_delete(Context& ctx, const std::string& thread_id) {
  if (!explaining_foreign_table(ctx, [&] { return ctx.checkpointer()->delete_thread(thread_id); })) {
    return thread_not_found(thread_id);
  }
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
  // A scan of another application's table finds no threads and would print nothing: say why.
  require_checkpoint_table(ctx);
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
