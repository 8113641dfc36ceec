// The save protocol (docs/concurrency.md): plans each attempt of a save in the layout the
// checkpointer writes, writes its chunks or segments and then its head conditionally on the
// generation it replaces, and settles a lost answer by reading the head back (landed, conflict,
// retry under a fresh save id, or OutcomeUnknownError). Also removes what a replaced head named.
#pragma once

#include <string>
#include <vector>

#include "agents/checkpoint/checkpointer.hpp"
#include "checkpoint/dynamodb_context.hpp"

namespace agents::detail {

/// One save_state of DynamoDbCheckpointer; `origin`: the thread is a fork (a create) of that version.
SavedState save_thread(const DynamoDbContext& db, const std::string& thread_id,
                       const AgentStateSnapshot& state, SavePrecondition precondition,
                       const ForkOrigin* origin = nullptr);

/// Removes the items of a replaced head (`old_hint`) that the new head (`new_hint`, "" for none)
/// does not use. Best effort: what is left is removed by the cleanup or expires with its TTL.
/// Deletes chunks, segments or version items by key, a few at a time; never a head. Best effort.
void delete_extra_items(const DynamoDbContext& db, const std::vector<std::string>& keys);

void delete_replaced(const DynamoDbContext& db, const std::string& thread_id, const std::string& old_hint,
                     const std::string& new_hint);

}  // namespace agents::detail
