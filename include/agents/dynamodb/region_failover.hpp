// A DynamoDB client over one table's Regions (docs/global-tables.md#region-failover): calls go to
// the home Region; when it fails the way an unreachable Region does, they move to the next Region
// and come back once a probe of home succeeds. Saves move only where that is safe: in a strongly
// consistent (MRSC) table, or when the caller accepts last-writer-wins in an eventual one.
#pragma once

#include <memory>

#include "agents/dynamodb/client.hpp"
#include "agents/dynamodb/global_tables.hpp"
#include "agents/export.hpp"

namespace agents::dynamodb {

/// The client of every Region, from `options` (credentials, transport, retry, observer shared;
/// region and endpoint per Region). InvalidArgument for fewer than two Regions or a repeated one.
AGENTS_API StatusOr<std::shared_ptr<DynamoDbClient>> make_region_failover_client(
    ClientOptions options, RegionFailoverOptions failover);

}  // namespace agents::dynamodb
