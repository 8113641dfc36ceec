// Listing: every live thread of the table (heads only, not chunks, segments or expired heads).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agents/checkpoint/checkpointer.hpp"
#include "checkpoint/dynamodb_context.hpp"

namespace agents::detail {

/// One list_threads of DynamoDbCheckpointer, in the order the scan returns them.
std::vector<ThreadInfo> list_threads(const DynamoDbContext& db);

/// One list_versions of a thread whose head keeps versions (docs/history.md): the head, then
/// the listing attributes of the kept versions asked for, in one BatchGetItem. Empty when the
/// thread does not exist; nullopt when its head keeps no versions (history off when it was saved).
std::optional<std::vector<VersionInfo>> list_thread_versions(const DynamoDbContext& db,
                                                             const std::string& thread_id,
                                                             const ListVersionsOptions& options);

/// The head's `forked_from` (a fork's first version), read on its own.
std::optional<ForkOrigin> fork_origin_of_head(const DynamoDbContext& db, const std::string& thread_id);

}  // namespace agents::detail
