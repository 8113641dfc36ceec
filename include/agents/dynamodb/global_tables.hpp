// Global tables (docs/global-tables.md): the two consistency modes, the rules AWS sets for a
// strongly consistent (MRSC) one (checked here before any request is made), and the options of
// Region failover (agents/dynamodb/region_failover.hpp).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/core/status.hpp"
#include "agents/export.hpp"

namespace agents::dynamodb {

/// A global table's consistency mode, as DescribeTable's MultiRegionConsistency says it.
enum class TableConsistency {
  kSingleRegion,  ///< no replicas: every guarantee holds, in one Region
  kEventual,      ///< MREC: asynchronous replication, last writer wins across Regions
  kStrong,        ///< MRSC: conditional writes and consistent reads see every Region's writes
};

/// "single-region", "eventual" or "strong".
AGENTS_API std::string_view consistency_name(TableConsistency mode) noexcept;

/// The MRSC Region set `region` belongs to ("US", "EU", "AP"); empty for a Region in none.
AGENTS_API std::string_view strong_consistency_region_set(std::string_view region) noexcept;

/// The Regions a global table is to span, from the home Region (where the table is created) and
/// the user's list; the home Region may be listed too and is never a replica of itself.
struct GlobalTablePlan {
  std::string home;
  std::vector<std::string> replicas;  ///< Regions that get a replica, home excluded, in given order
  std::string witness;                ///< MRSC only; empty: none
  TableConsistency consistency = TableConsistency::kEventual;
};

/// Builds and checks the plan. For kStrong: exactly three Regions counting home, replicas and
/// witness (three replicas, or two plus a witness), all in one Region set, the witness distinct
/// from them. A witness without kStrong is refused too. InvalidArgument naming the problem.
AGENTS_API StatusOr<GlobalTablePlan> plan_global_table(std::string home,
                                                       const std::vector<std::string>& regions,
                                                       std::string witness, TableConsistency consistency);

/// A move of the calls from one Region to another.
struct RegionSwitch {
  std::string from;
  std::string to;
  std::string reason;  ///< the failure that moved them, or "home answered a probe"
  bool to_home = false;
};

struct RegionFailoverOptions {
  /// The table's Regions, home first, then in the order to fail over to. At least two.
  std::vector<std::string> regions;
  /// An endpoint per Region instead of the standard one (VPC endpoints, tests).
  std::map<std::string, std::string> endpoints;
  /// The table's mode, when known; empty: asked of DynamoDB (DescribeTable, once per table,
  /// the first time a write has to move).
  std::optional<TableConsistency> consistency;
  /// Eventually consistent (MREC) tables: writes move too, accepting that a write made in
  /// another Region can be overwritten by one not yet replicated (last writer wins). Off: a write
  /// that cannot reach home fails with RegionUnavailableError.
  bool allow_eventual_writes = false;
  /// How often, once away from home, home is probed (DescribeTable) to move back.
  std::chrono::milliseconds probe_interval{std::chrono::seconds(5)};
  /// Told about every move (from the calling thread, or the prober's).
  std::function<void(const RegionSwitch&)> on_switch;
};

}  // namespace agents::dynamodb
