// The save protocol (docs/concurrency.md): plans each attempt of a save in the layout the
// checkpointer writes, writes its chunks or segments and then its head conditionally on the
// generation it replaces, and settles a lost answer by reading the head back (landed, conflict,
// retry under a fresh save id, or OutcomeUnknownError). Also removes what a replaced head named.
#pragma once

#include <string>

#include "agents/checkpoint/checkpointer.hpp"
#include "checkpoint/dynamodb_context.hpp"

namespace agents::detail {

/// One save_state of DynamoDbCheckpointer.
SavedState save_thread(const DynamoDbContext& db, const std::string& thread_id,
                       const AgentStateSnapshot& state, SavePrecondition precondition);

/// Removes the items of a replaced head (`old_hint`) that the new head (`new_hint`, "" for none)
/// does not use. Best effort: what is left is removed by the cleanup or expires with its TTL.
void delete_replaced(const DynamoDbContext& db, const std::string& thread_id, const std::string& old_hint,
                     const std::string& new_hint);

}  // namespace agents::detail
