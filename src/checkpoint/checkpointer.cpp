#include "agents/checkpoint/checkpointer.hpp"

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <ctime>

namespace agents {

namespace {
constexpr std::size_t kMaxThreadIdBytes = 1024;
}

void Checkpointer::validate_thread_id(std::string_view thread_id) {
  if (thread_id.empty()) throw InvalidArgumentError("thread id is empty; use 1 to 1024 bytes of UTF-8");
  if (thread_id.size() > kMaxThreadIdBytes) {
    throw InvalidArgumentError("thread id is " + std::to_string(thread_id.size()) +
                               " bytes; the limit is 1024 bytes of UTF-8");
  }
  if (!simdjson::validate_utf8(thread_id.data(), thread_id.size())) {
    throw InvalidArgumentError("thread id is not valid UTF-8");
  }
}

std::int64_t Checkpointer::save_state(std::string_view thread_id, const AgentStateSnapshot& state,
                                      SavePrecondition precondition) {
  return save(thread_id, state, std::move(precondition)).version;
}

SavedState Checkpointer::save(std::string_view thread_id, const AgentStateSnapshot& state,
                              SavePrecondition precondition) {
  validate_thread_id(thread_id);
  return do_save(std::string(thread_id), state, std::move(precondition));
}

std::optional<LoadedState> Checkpointer::load_state(std::string_view thread_id) {
  validate_thread_id(thread_id);
  return do_load(std::string(thread_id));
}

bool Checkpointer::delete_thread(std::string_view thread_id) {
  validate_thread_id(thread_id);
  return do_delete(std::string(thread_id));
}

ThreadPage Checkpointer::list_threads(const ListThreadsOptions& options) {
  std::vector<ThreadInfo> all = do_list();
  if (options.sort_by == ListThreadsOptions::SortBy::kUpdatedAt) {
    std::sort(all.begin(), all.end(), [](const ThreadInfo& a, const ThreadInfo& b) {
      return a.updated_at != b.updated_at ? a.updated_at < b.updated_at : a.thread_id < b.thread_id;
    });
  } else {
    std::sort(all.begin(), all.end(),
              [](const ThreadInfo& a, const ThreadInfo& b) { return a.thread_id < b.thread_id; });
  }
  std::size_t start = 0;
  if (!options.page_token.empty()) {
    try {
      start = std::stoul(options.page_token);
    } catch (const std::exception&) {
      throw InvalidArgumentError("page token '" + options.page_token + "' is not one this listing returned");
    }
  }
  ThreadPage page;
  std::size_t end = options.page_size == 0 ? all.size() : std::min(all.size(), start + options.page_size);
  for (std::size_t i = start; i < end; ++i) page.threads.push_back(std::move(all[i]));
  if (end < all.size()) page.next_page_token = std::to_string(end);
  return page;
}

std::string rfc3339_now() { return rfc3339_utc(std::chrono::system_clock::now()); }

std::string rfc3339_utc(std::chrono::system_clock::time_point now) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
  return buf;
}

}  // namespace agents
