// Save-id preconditions for the stores that check a save under a lock (InMemoryCheckpointer,
// FileCheckpointer): every stored save gets a fresh save id, hints carry it, and a save after a
// load replaces only that very save, not one of a thread deleted and saved again since (whose
// version number restarted and may be the same).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "agents/checkpoint/checkpointer.hpp"
#include "checkpoint/conflict.hpp"
#include "checkpoint/generation.hpp"

namespace agents::detail {

/// The storage hint of a stored save (`save_id` "" for a file written before save ids).
inline std::string local_storage_hint(const std::string& save_id, std::int64_t version) {
  return make_storage_hint({save_id, {}}, version, "");
}

/// Checks `precondition` against what is stored (`stored_version` -1: absent) and throws
/// ConflictError when it does not hold. A hint that carries a generation must name the stored
/// save id; a plain version_is(v) checks the version only.
inline void check_local_precondition(const std::string& thread_id, const SavePrecondition& precondition,
                                     std::int64_t stored_version, std::string_view stored_save_id) {
  if (stored_version == std::numeric_limits<std::int64_t>::max()) {
    throw CorruptStateError("thread '" + thread_id + "': stored version is " +
                                std::to_string(stored_version) +
                                ", the largest version there is: no save can follow it (nothing was saved)",
                            thread_id, "version");
  }
  if (!precondition_holds(precondition, stored_version))
    throw_conflict(thread_id, precondition, stored_version);
  if (precondition.kind != SavePrecondition::Kind::kVersion) return;
  const StorageHint hint = parse_storage_hint(precondition.replaces_hint);
  if (!hint.generation || hint.generation->save_id == stored_save_id) return;
  throw ConflictError("thread '" + thread_id +
                          "' was deleted and saved again since it was loaded: expected " + "version " +
                          std::to_string(precondition.version) + " of the loaded save, found version " +
                          std::to_string(stored_version) +
                          " of another save; nothing was saved. Load the thread again, reapply the change, "
                          "and save.",
                      thread_id, precondition.version, stored_version);
}

}  // namespace agents::detail
