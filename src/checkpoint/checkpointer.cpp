#include "agents/checkpoint/checkpointer.hpp"

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <limits>
#include <optional>

#include "util/time_format.hpp"

namespace agents {

namespace {
constexpr std::size_t kMaxThreadIdBytes = 1024;
// Item keys of the DynamoDB layouts that hang off a thread's key (item_layout.hpp,
// incremental_layout.hpp): no thread id may contain them, or it could name such an item.
constexpr std::string_view kReservedInThreadIds[] = {"#chunk#", "#seg#"};

// Page tokens: "i1.<hex thread id>" (sorted by thread id) or "u1.<hex updated_at>.<hex thread
// id>" (sorted by updated_at). Hex keeps any bytes of an id intact and never contains '.'.
constexpr std::string_view kByIdToken = "i1.";
constexpr std::string_view kByTimeToken = "u1.";

struct PageKey {
  std::string updated_at;
  std::string thread_id;
};

std::string to_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xF]);
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

std::string page_token_of(const ThreadInfo& last, bool by_time) {
  if (!by_time) return std::string(kByIdToken) + to_hex(last.thread_id);
  return std::string(kByTimeToken) + to_hex(last.updated_at) + "." + to_hex(last.thread_id);
}

[[noreturn]] void throw_bad_token(std::string_view token, const std::string& why) {
  std::string shown(token.substr(0, 64));
  if (token.size() > 64) shown += "...";
  throw InvalidArgumentError("page token '" + shown + "' " + why +
                             "; pass the next_page_token of the previous page, with the same sort_by");
}

PageKey parse_page_token(std::string_view token, bool by_time) {
  const std::string_view mine = by_time ? kByTimeToken : kByIdToken;
  const std::string_view other = by_time ? kByIdToken : kByTimeToken;
  if (token.starts_with(other)) {
    throw_bad_token(token, by_time ? "is from a listing sorted by thread id, not by updated_at"
                                   : "is from a listing sorted by updated_at, not by thread id");
  }
  if (!token.starts_with(mine)) throw_bad_token(token, "is not a token that list_threads returns");
  std::string_view rest = token.substr(mine.size());
  PageKey key;
  if (by_time) {
    const std::size_t dot = rest.find('.');
    auto updated_at = dot == std::string_view::npos ? std::nullopt : from_hex(rest.substr(0, dot));
    if (!updated_at || !simdjson::validate_utf8(updated_at->data(), updated_at->size()))
      throw_bad_token(token, "is damaged (its updated_at part)");
    key.updated_at = std::move(*updated_at);
    rest.remove_prefix(dot + 1);
  }
  auto id = from_hex(rest);
  if (!id || id->empty() || id->size() > kMaxThreadIdBytes ||
      !simdjson::validate_utf8(id->data(), id->size()))
    throw_bad_token(token, "is damaged (its thread id part)");
  key.thread_id = std::move(*id);
  return key;
}
}  // namespace

void Checkpointer::validate_thread_id(std::string_view thread_id) {
  if (thread_id.empty()) throw InvalidArgumentError("thread id is empty; use 1 to 1024 bytes of UTF-8");
  if (thread_id.size() > kMaxThreadIdBytes) {
    throw InvalidArgumentError("thread id is " + std::to_string(thread_id.size()) +
                               " bytes; the limit is 1024 bytes of UTF-8");
  }
  if (!simdjson::validate_utf8(thread_id.data(), thread_id.size())) {
    throw InvalidArgumentError("thread id is not valid UTF-8");
  }
  for (std::string_view reserved : kReservedInThreadIds) {
    if (thread_id.find(reserved) != std::string_view::npos) {
      throw InvalidArgumentError("thread id contains \"" + std::string(reserved) +
                                 "\", which is reserved: the items holding a large state's chunks and "
                                 "history segments are keyed \"<thread>#chunk#...\" and "
                                 "\"<thread>#seg#...\"; choose an id without it");
    }
  }
}

std::int64_t Checkpointer::save_state(std::string_view thread_id, const AgentStateSnapshot& state,
                                      SavePrecondition precondition) {
  return save(thread_id, state, std::move(precondition)).version;
}

SavedState Checkpointer::save(std::string_view thread_id, const AgentStateSnapshot& state,
                              SavePrecondition precondition) {
  validate_thread_id(thread_id);
  if (precondition.kind == SavePrecondition::Kind::kVersion &&
      (precondition.version < 0 || precondition.version == std::numeric_limits<std::int64_t>::max())) {
    throw InvalidArgumentError(
        "thread '" + std::string(thread_id) + "': cannot save after version " +
        std::to_string(precondition.version) +
        (precondition.version < 0 ? " (versions are never negative)" : " (the largest version there is)") +
        "; nothing was written");
  }
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
  const bool by_time = options.sort_by == ListThreadsOptions::SortBy::kUpdatedAt;
  // Parsed before any I/O: a bad token fails without a scan.
  std::optional<PageKey> after;
  if (!options.page_token.empty()) after = parse_page_token(options.page_token, by_time);
  std::vector<ThreadInfo> all = do_list();
  auto less = [by_time](const ThreadInfo& a, const ThreadInfo& b) {
    if (by_time && a.updated_at != b.updated_at) return a.updated_at < b.updated_at;
    return a.thread_id < b.thread_id;
  };
  std::sort(all.begin(), all.end(), less);
  // Keyset paging: the page starts after the last thread the previous page returned, wherever
  // threads created, deleted or saved since have moved it.
  auto first = all.begin();
  if (after) {
    const ThreadInfo key{after->thread_id, after->updated_at, 0};
    first = std::upper_bound(all.begin(), all.end(), key, less);
  }
  const auto left = static_cast<std::size_t>(all.end() - first);
  const std::size_t count = options.page_size == 0 ? left : std::min(left, options.page_size);
  ThreadPage page;
  page.threads.assign(std::make_move_iterator(first), std::make_move_iterator(first + count));
  if (count < left) page.next_page_token = page_token_of(page.threads.back(), by_time);
  return page;
}

namespace {
void validate_version(std::string_view thread_id, std::int64_t version, const char* what) {
  if (version < 1) {
    throw InvalidArgumentError("thread '" + std::string(thread_id) + "': " + what + " " +
                               std::to_string(version) + " does not exist; versions start at 1");
  }
}
}  // namespace

std::vector<VersionInfo> Checkpointer::list_versions(std::string_view thread_id,
                                                     const ListVersionsOptions& options) {
  validate_thread_id(thread_id);
  if (options.before < 0) {
    throw InvalidArgumentError("thread '" + std::string(thread_id) +
                               "': list_versions before a negative version; use 0 for all");
  }
  auto all = do_list_versions(std::string(thread_id), options);
  std::erase_if(all, [&](const VersionInfo& v) { return options.before > 0 && v.version >= options.before; });
  if (options.limit > 0 && all.size() > options.limit) all.resize(options.limit);
  return all;
}

std::optional<LoadedState> Checkpointer::load_version(std::string_view thread_id, std::int64_t version) {
  validate_thread_id(thread_id);
  validate_version(thread_id, version, "version");
  return do_load_version(std::string(thread_id), version);
}

SavedState Checkpointer::fork(std::string_view thread_id, std::int64_t version,
                              std::string_view new_thread_id) {
  validate_thread_id(thread_id);
  validate_thread_id(new_thread_id);
  validate_version(thread_id, version, "cannot fork version");
  auto loaded = do_load_version(std::string(thread_id), version);
  if (!loaded) {
    throw NotFoundError("thread '" + std::string(thread_id) + "': version " + std::to_string(version) +
                        " is not kept (list_versions shows the versions that are); nothing was written");
  }
  return do_create_fork(std::string(new_thread_id), loaded->state,
                        ForkOrigin{std::string(thread_id), loaded->version});
}

std::vector<VersionInfo> Checkpointer::do_list_versions(const std::string& thread_id,
                                                        const ListVersionsOptions&) {
  auto loaded = do_load(thread_id);
  if (!loaded) return {};
  return {VersionInfo{loaded->version, loaded->updated_at, loaded->state.messages.size(),
                      encode_state_json(loaded->state).size(), 0, "", std::nullopt}};
}

std::optional<LoadedState> Checkpointer::do_load_version(const std::string& thread_id, std::int64_t version) {
  auto loaded = do_load(thread_id);
  if (!loaded || loaded->version != version) return std::nullopt;
  return loaded;
}

SavedState Checkpointer::do_create_fork(const std::string& thread_id, const AgentStateSnapshot& state,
                                        const ForkOrigin&) {
  return do_save(thread_id, state, SavePrecondition::must_not_exist());
}

std::string rfc3339_now() { return rfc3339_utc(std::chrono::system_clock::now()); }

std::string rfc3339_utc(std::chrono::system_clock::time_point now) { return util::rfc3339_millis(now); }
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
  return util::parse_utc_timestamp(text);
}

}  // namespace agents
