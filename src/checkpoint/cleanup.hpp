// Cleanup: deleting a thread (its head, then what that head named) and removing the chunks and
// segments of a thread that no head names (left by a crash mid-save or a delete cut short).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "checkpoint/dynamodb_context.hpp"

namespace agents::detail {

/// One delete_thread of DynamoDbCheckpointer: whether a thread was there to delete.
bool remove_thread(const DynamoDbContext& db, const std::string& thread_id);

/// DynamoDbCheckpointer::remove_orphaned_chunks_and_segments once its arguments are checked.
std::size_t remove_orphans(const DynamoDbContext& db, const std::string& thread_id,
                           std::chrono::seconds grace);

}  // namespace agents::detail
