// The state loader: reads a thread's head with a consistent GetItem, then what it names (chunks
// or history segments, in one BatchGetItem), and assembles the state with the same functions the
// unit tests and the chunk_set fuzzer call (assemble_chunks, assemble_history). A head that moved
// on while its items were read is read again.
#pragma once

#include <optional>
#include <string>

#include "agents/checkpoint/checkpointer.hpp"
#include "checkpoint/dynamodb_context.hpp"

namespace agents::detail {

/// One load_state of DynamoDbCheckpointer: nothing when the thread is absent or expired.
std::optional<LoadedState> load_thread(const DynamoDbContext& db, const std::string& thread_id);

/// One load_version: the current version as load_thread, a kept one from its version item;
/// nothing when the thread or that version is not kept (docs/history.md).
std::optional<LoadedState> load_thread_version(const DynamoDbContext& db, const std::string& thread_id,
                                               std::int64_t version);

}  // namespace agents::detail
