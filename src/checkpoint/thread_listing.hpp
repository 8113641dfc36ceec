// Listing: every live thread of the table (heads only, not chunks, segments or expired heads).
#pragma once

#include <vector>

#include "agents/checkpoint/checkpointer.hpp"
#include "checkpoint/dynamodb_context.hpp"

namespace agents::detail {

/// One list_threads of DynamoDbCheckpointer, in the order the scan returns them.
std::vector<ThreadInfo> list_threads(const DynamoDbContext& db);

}  // namespace agents::detail
