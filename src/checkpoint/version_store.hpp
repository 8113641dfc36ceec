// Kept versions of a thread (docs/history.md), the DynamoDB part: reading version items, and
// removing the versions a save or a delete lets go of together with what only they name.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "agents/dynamodb/attribute_value.hpp"
#include "checkpoint/dynamodb_context.hpp"
#include "checkpoint/version_history.hpp"

namespace agents::detail {

/// The version items of `versions` that exist, by entry id, read with one consistent
/// BatchGetItem (a few for more than 100); `listing_only`: just what read_version_listing reads.
std::map<std::string, dynamodb::Item> read_version_items(const DynamoDbContext& db,
                                                         const std::string& thread_id,
                                                         const std::vector<KeptVersion>& versions,
                                                         bool listing_only = false);

/// Removes the versions a save let go of (`pruned[i]`, whose newer neighbour is
/// `successors[i]`): each one's version item and what it names that its neighbour does not.
/// Best effort: what is left is unreferenced (the cleanup and TTL remove it).
void prune_versions(const DynamoDbContext& db, const std::string& thread_id,
                    const std::vector<KeptVersion>& pruned, const std::vector<KeptVersion>& successors);

/// Removes every version a head's `versions` (`kept_versions`) names, the head's own copy
/// included, and what they name except `still_named` (what a new head names); the head's own
/// items are the caller's (delete_replaced). For a delete, and a save with history turned off.
void drop_history(const DynamoDbContext& db, const std::string& thread_id, const std::string& kept_versions,
                  const std::vector<std::string>& still_named = {});

/// The keys of what the kept versions of a head name (their version items and the chunks and
/// segments those name): what the cleanup must leave. Unreadable ones name nothing.
std::vector<std::string> items_of_kept_versions(const DynamoDbContext& db, const std::string& thread_id,
                                                const std::string& kept_versions);

}  // namespace agents::detail
