// What `agents table metrics` asks CloudWatch for and how it shows the answer: sums per metric,
// one sparkline column per period, and the cost at documented on-demand prices (docs/metrics.md).
// Pure functions: no I/O, so the numbers depend only on the datapoints.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cloudwatch_client.hpp"

namespace agents::cli::metrics {

/// On-demand throughput prices of one Region and table class, with where they come from.
struct OnDemandPrices {
  std::string region;
  std::string table_class;
  double usd_per_million_read_units = 0;
  double usd_per_million_write_units = 0;
  std::string in_force_since;  ///< ISO date
  std::string source;          ///< the pricing page
};
/// us-east-1, standard table class, since 1 November 2024 (docs/metrics.md says how to check them).
const OnDemandPrices& on_demand_prices();

struct TableInfo {
  std::string table;
  std::string region;
  std::string billing_mode;           ///< PAY_PER_REQUEST, PROVISIONED, or "" when unknown
  std::vector<std::string> replicas;  ///< other Regions of a global table
};

struct Window {
  std::int64_t start = 0;  ///< epoch seconds, a multiple of the period
  int period = 3600;
  int periods = 24;
  std::int64_t end() const { return start + static_cast<std::int64_t>(period) * periods; }
};

/// Consumed read and write units and throttle events (Sum), and per replica the average and
/// maximum ReplicationLatency.
std::vector<cloudwatch::MetricQuery> queries_for(const TableInfo& table);

struct Report {
  nlohmann::json json;
  std::string text;
  std::size_t datapoints = 0;
};
Report build_report(const TableInfo& table, const Window& window, const std::string& endpoint,
                    const std::vector<cloudwatch::MetricSeries>& series);

}  // namespace agents::cli::metrics
