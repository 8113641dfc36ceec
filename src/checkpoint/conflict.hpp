#pragma once

#include <string>

#include "agents/checkpoint/checkpointer.hpp"

namespace agents::detail {

/// Does `stored_version` (-1: absent) satisfy `precondition`?
inline bool precondition_holds(const SavePrecondition& precondition, std::int64_t stored_version) {
  switch (precondition.kind) {
    case SavePrecondition::Kind::kNone:
      return true;
    case SavePrecondition::Kind::kMustNotExist:
      return stored_version < 0;
    case SavePrecondition::Kind::kVersion:
      return stored_version == precondition.version;
  }
  return false;
}

/// The one wording of a conflict, for every backend. `actual` is -1 when absent or unknown.
[[noreturn]] inline void throw_conflict(const std::string& thread_id, const SavePrecondition& precondition,
                                        std::int64_t actual) {
  std::string expected = precondition.kind == SavePrecondition::Kind::kMustNotExist
                             ? "no saved state"
                             : "version " + std::to_string(precondition.version);
  std::string found = actual < 0 ? "no saved state" : "version " + std::to_string(actual);
  throw ConflictError(
      "thread '" + thread_id + "' was changed by another writer: expected " + expected + ", found " + found +
          "; nothing was saved. Load the thread again, reapply the change, and save.",
      thread_id, precondition.kind == SavePrecondition::Kind::kVersion ? precondition.version : 0, actual);
}

}  // namespace agents::detail
