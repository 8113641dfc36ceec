// The expiry sweeper (docs/ttl.md#sweeping-expired-items): deletes what DynamoDB's TTL would, for
// tables where TTL is off or unavailable (multi-Region strong consistency tables have none).
#pragma once

#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "checkpoint/dynamodb_context.hpp"

namespace agents::detail {

/// A parallel Scan for items whose `ttl` is past, each deleted on the condition that it still is.
SweepReport sweep_expired(const DynamoDbContext& db, const SweepOptions& options);

}  // namespace agents::detail
