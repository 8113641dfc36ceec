// Where agent state lives between turns. One state per thread id; saves are versioned so that
// two writers of one thread never lose each other's update (docs/concurrency.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/checkpoint/state.hpp"
#include "agents/core/clock.hpp"
#include "agents/export.hpp"

namespace agents {

/// A loaded state and the version it was saved as (items without a version load as 0).
struct LoadedState {
  AgentStateSnapshot state;
  std::int64_t version = 0;
  std::string updated_at;  ///< RFC 3339 UTC, as stored
  /// Opaque to callers: which stored save this is (a version number restarts when a thread is
  /// deleted and saved again; this does not) and which extra items it occupies, so that the save
  /// replacing it replaces exactly it and can remove them. Carried over by
  /// SavePrecondition::after_load.
  std::string storage_hint;
};

/// What a save stored: the new version and the hint a later save of it needs.
struct SavedState {
  std::int64_t version = 0;
  std::string storage_hint;  ///< as LoadedState::storage_hint
};

/// What a save expects to find, so that it never overwrites a save it has not seen.
struct SavePrecondition {
  enum class Kind {
    kNone,          ///< overwrite whatever is stored (the Rust crate's behaviour)
    kMustNotExist,  ///< the thread must be absent (or expired)
    kVersion,       ///< the stored version must be `version` (and, with a load's hint, be
                    ///< that very save: not one of a thread deleted and saved again since)
  };
  Kind kind = Kind::kNone;
  std::int64_t version = 0;
  std::string replaces_hint;  ///< LoadedState::storage_hint of the version being replaced

  static SavePrecondition none() { return {}; }
  static SavePrecondition must_not_exist() { return {Kind::kMustNotExist, 0, {}}; }
  static SavePrecondition version_is(std::int64_t v, std::string hint = {}) {
    return {Kind::kVersion, v, std::move(hint)};
  }
  /// The precondition for saving after a load that returned `loaded`.
  static SavePrecondition after_load(const std::optional<LoadedState>& loaded) {
    return loaded ? version_is(loaded->version, loaded->storage_hint) : must_not_exist();
  }
  /// The precondition for saving again after this writer's own save.
  static SavePrecondition after_save(const SavedState& saved) {
    return version_is(saved.version, saved.storage_hint);
  }
};

struct ThreadInfo {
  std::string thread_id;
  std::string updated_at;
  std::int64_t version = 0;
};

struct ListThreadsOptions {
  enum class SortBy { kThreadId, kUpdatedAt };
  SortBy sort_by = SortBy::kThreadId;
  std::size_t page_size = 0;  ///< 0: everything (after page_token) in one page
  /// Empty for the first page; then the previous page's next_page_token, with the same sort_by.
  /// Opaque: it names the sort key of the last thread returned (not a position), so the next
  /// page starts right after that thread wherever it now stands.
  std::string page_token;
};

struct ThreadPage {
  std::vector<ThreadInfo> threads;
  std::string next_page_token;  ///< empty on the last page
};

/// Which past versions of a thread a checkpointer keeps readable (docs/history.md). Off by
/// default: a save replaces the stored state and nothing of it stays.
struct HistoryOptions {
  /// Besides the current version, keep this many versions before it (0: none).
  std::size_t keep_last = 0;
  bool enabled() const { return keep_last > 0; }
};

/// Where a thread made by Checkpointer::fork came from.
struct ForkOrigin {
  std::string thread_id;
  std::int64_t version = 0;
  friend bool operator==(const ForkOrigin&, const ForkOrigin&) = default;
};

/// One readable version of a thread, as list_versions shows it.
struct VersionInfo {
  std::int64_t version = 0;
  std::string updated_at;  ///< when it was saved (RFC 3339 UTC)
  std::size_t message_count = 0;
  std::size_t state_bytes = 0;  ///< its state's JSON, uncompressed
  /// The version that replaced it (version + 1) and when; 0 and "" for the current version.
  std::int64_t replaced_by = 0;
  std::string replaced_at;
  /// Set on the first version of a thread made by fork().
  std::optional<ForkOrigin> forked_from;
};

struct ListVersionsOptions {
  /// Only versions older than this one (for the next page: the last version listed); 0: all.
  std::int64_t before = 0;
  std::size_t limit = 0;  ///< 0: every readable version
};

/// The storage interface. Public methods validate their arguments (thread ids of 1 to 1024
/// bytes of valid UTF-8, not containing the reserved "#chunk#" or "#seg#") before any I/O and
/// then call the protected hooks.
/// Thread safety: implementations are safe to share between threads.
/// Errors: the typed exceptions of agents/core/error.hpp (ConflictError, CorruptStateError, ...).
class AGENTS_API Checkpointer {
 public:
  virtual ~Checkpointer() = default;

  /// Stores `state`; returns the new version. Throws ConflictError (nothing changed) when the
  /// precondition does not hold.
  std::int64_t save_state(std::string_view thread_id, const AgentStateSnapshot& state,
                          SavePrecondition precondition = SavePrecondition::none());
  /// save_state, also returning what a later save needs (SavePrecondition::after_save).
  SavedState save(std::string_view thread_id, const AgentStateSnapshot& state,
                  SavePrecondition precondition = SavePrecondition::none());
  /// The stored state, or nothing when the thread does not exist (or expired).
  std::optional<LoadedState> load_state(std::string_view thread_id);
  /// Removes every item of the thread; false when there was nothing to remove.
  bool delete_thread(std::string_view thread_id);
  /// One page of the threads, sorted by thread id (bytewise) or by (updated_at, thread id).
  /// Each page is read afresh, so threads may change between pages. What a listing guarantees:
  ///  - sorted by thread id: a thread that exists throughout the listing is listed exactly once;
  ///    one created or deleted during it may or may not be listed;
  ///  - sorted by updated_at: a thread that exists throughout and is not saved during the
  ///    listing is listed exactly once; one saved during it moves to its new updated_at, so it
  ///    may be listed twice (before and after the save) or, when the new updated_at sorts
  ///    before the page token (writers' clocks that disagree), not at all;
  ///  - the version and updated_at shown are those read for the page that lists the thread.
  /// Throws InvalidArgumentError for a page token that no listing with this sort_by returns.
  ThreadPage list_threads(const ListThreadsOptions& options = {});

  /// The readable versions of a thread, newest first: the current one, then those the history
  /// options keep (docs/history.md). Empty when the thread does not exist.
  std::vector<VersionInfo> list_versions(std::string_view thread_id, const ListVersionsOptions& options = {});
  /// One version of a thread: the current one (as load_state) or a kept past one; nothing when
  /// the thread or that version is not (or no longer) kept. Throws InvalidArgumentError for a
  /// version below 1. A save after loading a past version conflicts (it is not the stored one):
  /// to go on from it, save it as the next version (Agent::rewind does).
  std::optional<LoadedState> load_version(std::string_view thread_id, std::int64_t version);
  /// Creates `new_thread_id` holding version `version` of `thread_id`, as its version 1 with a
  /// record of where it came from (VersionInfo::forked_from). NotFoundError when that version is
  /// not kept; ConflictError (nothing written) when `new_thread_id` exists.
  SavedState fork(std::string_view thread_id, std::int64_t version, std::string_view new_thread_id);

  /// Throws InvalidArgumentError unless `thread_id` is 1 to 1024 bytes of valid UTF-8 without
  /// "#chunk#" or "#seg#": the keys of the items holding a large state's chunks and history
  /// segments are "<thread>#chunk#..." and "<thread>#seg#...", and no thread id may name one.
  static void validate_thread_id(std::string_view thread_id);

 protected:
  virtual SavedState do_save(const std::string& thread_id, const AgentStateSnapshot& state,
                             SavePrecondition precondition) = 0;
  virtual std::optional<LoadedState> do_load(const std::string& thread_id) = 0;
  virtual bool do_delete(const std::string& thread_id) = 0;
  /// All threads, in any order; the base class sorts and pages.
  virtual std::vector<ThreadInfo> do_list() = 0;
  // History. The defaults suit a store that keeps only the current version: it is the one
  // version listed and loaded, and a fork is a create that records nothing.
  /// Every readable version, newest first (the base class applies `before` and `limit`, which
  /// implementations may use to read less).
  virtual std::vector<VersionInfo> do_list_versions(const std::string& thread_id,
                                                    const ListVersionsOptions& options);
  virtual std::optional<LoadedState> do_load_version(const std::string& thread_id, std::int64_t version);
  /// Creates the thread (conditional on its absence) holding `state`, recording `origin`.
  virtual SavedState do_create_fork(const std::string& thread_id, const AgentStateSnapshot& state,
                                    const ForkOrigin& origin);
};

/// Options of the checkpointers that keep states on this machine (InMemoryCheckpointer,
/// FileCheckpointer).
struct LocalCheckpointerOptions {
  /// The clock behind `updated_at`; empty: the system clock.
  WallClock clock;
  HistoryOptions history;

  LocalCheckpointerOptions& with_history(std::size_t keep_last) {
    history.keep_last = keep_last;
    return *this;
  }
  LocalCheckpointerOptions& with_clock(WallClock value) {
    clock = std::move(value);
    return *this;
  }
};

/// Keeps states in process memory: tests, demos, single-process agents.
class AGENTS_API InMemoryCheckpointer final : public Checkpointer {
 public:
  InMemoryCheckpointer();
  explicit InMemoryCheckpointer(LocalCheckpointerOptions options);
  ~InMemoryCheckpointer() override;

 protected:
  SavedState do_save(const std::string& thread_id, const AgentStateSnapshot& state,
                     SavePrecondition precondition) override;
  std::optional<LoadedState> do_load(const std::string& thread_id) override;
  bool do_delete(const std::string& thread_id) override;
  std::vector<ThreadInfo> do_list() override;
  std::vector<VersionInfo> do_list_versions(const std::string& thread_id,
                                            const ListVersionsOptions& options) override;
  std::optional<LoadedState> do_load_version(const std::string& thread_id, std::int64_t version) override;
  SavedState do_create_fork(const std::string& thread_id, const AgentStateSnapshot& state,
                            const ForkOrigin& origin) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// One JSON file per thread in a directory: the embedded default for people without AWS.
/// Writes are atomic (temp file + fsync + rename) and serialised across processes by a lock
/// file, so two processes never lose an update. Thread ids of any bytes map to safe names.
/// A file that cannot be created, read, written, locked or renamed throws StorageError (a
/// ServiceError) naming the path and the operating system's error.
class AGENTS_API FileCheckpointer final : public Checkpointer {
 public:
  explicit FileCheckpointer(std::string directory, LocalCheckpointerOptions options = {});
  ~FileCheckpointer() override;
  const std::string& directory() const { return directory_; }

 protected:
  SavedState do_save(const std::string& thread_id, const AgentStateSnapshot& state,
                     SavePrecondition precondition) override;
  std::optional<LoadedState> do_load(const std::string& thread_id) override;
  bool do_delete(const std::string& thread_id) override;
  std::vector<ThreadInfo> do_list() override;
  std::vector<VersionInfo> do_list_versions(const std::string& thread_id,
                                            const ListVersionsOptions& options) override;
  std::optional<LoadedState> do_load_version(const std::string& thread_id, std::int64_t version) override;
  SavedState do_create_fork(const std::string& thread_id, const AgentStateSnapshot& state,
                            const ForkOrigin& origin) override;

 private:
  SavedState store(const std::string& thread_id, const AgentStateSnapshot& state,
                   const SavePrecondition& precondition, const ForkOrigin* origin);

  std::string directory_;
  LocalCheckpointerOptions options_;
};

/// RFC 3339 UTC with milliseconds and `Z`, e.g. 2024-01-01T12:00:00.123Z.
AGENTS_API std::string rfc3339_now();
/// `time` in the same form as rfc3339_now.
AGENTS_API std::string rfc3339_utc(std::chrono::system_clock::time_point time);
/// Reads what rfc3339_utc writes, and any RFC 3339 date-time with a zone ("Z", "+01:00");
/// nullopt for anything else (a time without a zone is ambiguous). Microsecond precision.
AGENTS_API std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

}  // namespace agents
