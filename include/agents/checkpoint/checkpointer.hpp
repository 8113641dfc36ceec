// Where agent state lives between turns. One state per thread id; saves are versioned so that
// two writers of one thread never lose each other's update (SPEC section 4).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/checkpoint/state.hpp"

namespace agents {

/// A loaded state and the version it was saved as (items without a version load as 0).
struct LoadedState {
  AgentStateSnapshot state;
  std::int64_t version = 0;
  std::string updated_at;  ///< RFC 3339 UTC, as stored
  /// Opaque to callers: which extra items this version occupies, so that the save replacing it
  /// can remove them. Carried over by SavePrecondition::after_load.
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
    kVersion,       ///< the stored version must be `version`
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
  std::size_t page_size = 0;  ///< 0: everything in one page
  std::string page_token;     ///< from the previous page's next_page_token
};

struct ThreadPage {
  std::vector<ThreadInfo> threads;
  std::string next_page_token;  ///< empty on the last page
};

/// The storage interface. Public methods validate their arguments (thread ids of 1 to 1024
/// bytes of valid UTF-8) before any I/O and then call the protected hooks.
/// Thread safety: implementations are safe to share between threads.
/// Errors: the typed exceptions of agents/core/error.hpp (ConflictError, CorruptStateError, ...).
class Checkpointer {
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
  ThreadPage list_threads(const ListThreadsOptions& options = {});

  /// Throws InvalidArgumentError unless `thread_id` is 1 to 1024 bytes of valid UTF-8.
  static void validate_thread_id(std::string_view thread_id);

 protected:
  virtual SavedState do_save(const std::string& thread_id, const AgentStateSnapshot& state,
                             SavePrecondition precondition) = 0;
  virtual std::optional<LoadedState> do_load(const std::string& thread_id) = 0;
  virtual bool do_delete(const std::string& thread_id) = 0;
  /// All threads, in any order; the base class sorts and pages.
  virtual std::vector<ThreadInfo> do_list() = 0;
};

/// Keeps states in process memory: tests, demos, single-process agents.
class InMemoryCheckpointer final : public Checkpointer {
 public:
  InMemoryCheckpointer();
  ~InMemoryCheckpointer() override;

 protected:
  SavedState do_save(const std::string& thread_id, const AgentStateSnapshot& state,
                     SavePrecondition precondition) override;
  std::optional<LoadedState> do_load(const std::string& thread_id) override;
  bool do_delete(const std::string& thread_id) override;
  std::vector<ThreadInfo> do_list() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// One JSON file per thread in a directory: the embedded default for people without AWS.
/// Writes are atomic (temp file + fsync + rename) and serialised across processes by a lock
/// file, so two processes never lose an update. Thread ids of any bytes map to safe names.
class FileCheckpointer final : public Checkpointer {
 public:
  explicit FileCheckpointer(std::string directory);
  ~FileCheckpointer() override;
  const std::string& directory() const { return directory_; }

 protected:
  SavedState do_save(const std::string& thread_id, const AgentStateSnapshot& state,
                     SavePrecondition precondition) override;
  std::optional<LoadedState> do_load(const std::string& thread_id) override;
  bool do_delete(const std::string& thread_id) override;
  std::vector<ThreadInfo> do_list() override;

 private:
  std::string directory_;
};

/// RFC 3339 UTC with milliseconds and `Z`, e.g. 2024-01-01T12:00:00.123Z.
std::string rfc3339_now();
/// `time` in the same form as rfc3339_now.
std::string rfc3339_utc(std::chrono::system_clock::time_point time);

}  // namespace agents
