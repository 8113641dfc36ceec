// `agents table metrics [--since 24h] [--period 1h]`: the table's consumed capacity, throttling
// and replication latency from CloudWatch, with their on-demand cost (docs/metrics.md).
#include <chrono>
#include <iostream>

#include "cli_context.hpp"
#include "cloudwatch_client.hpp"
#include "metrics_report.hpp"

namespace agents::cli {

namespace {

// At most this many periods: one sparkline column each, and far below GetMetricData's limits.
constexpr std::int64_t kMaxPeriods = 1440;

metrics::Window window_for(const MetricsOptions& options) {
  const auto since = parse_duration(options.since, "--since").count();
  const auto period = parse_duration(options.period, "--period").count();
  // CloudWatch keeps DynamoDB's metrics at one-minute resolution: a period is whole minutes.
  if (period < 60 || period % 60 != 0) {
    throw UsageError("--period '" + options.period +
                     "' is not a whole number of minutes; CloudWatch aggregates DynamoDB metrics per minute "
                     "(use e.g. 5m, 1h, 1d)");
  }
  if (since < period)
    throw UsageError("--since '" + options.since + "' is shorter than --period '" + options.period + "'");
  const std::int64_t periods = (since + period - 1) / period;
  if (periods > kMaxPeriods) {
    throw UsageError("--since " + options.since + " in --period " + options.period + " periods is " +
                     std::to_string(periods) + " periods; at most " + std::to_string(kMaxPeriods) +
                     " (use a longer --period)");
  }
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  // Whole periods ending with the one under way, so each column is one aligned period.
  const std::int64_t end = (now / period + 1) * period;
  return {.start = end - periods * period,
          .period = static_cast<int>(period),
          .periods = static_cast<int>(periods)};
}

// The table's billing mode and replicas, read-only; a table that does not exist is an error.
metrics::TableInfo describe(Context& ctx) {
  auto client = ctx.client();
  metrics::TableInfo info{.table = ctx.options().table, .region = client->region()};
  auto d = client->describe_table(info.table);
  if (!d.ok()) {
    if (d.status().code() == ErrorCode::kNotFound) d.status().throw_if_error();
    std::cerr << "agents: note: could not describe table " << info.table << " (" << d.status().message()
              << "); billing mode and replicas unknown, ReplicationLatency not asked for\n";
    return info;
  }
  info.billing_mode = d->billing_mode.empty() ? "PROVISIONED" : d->billing_mode;
  for (const auto& region : d->replica_regions) {
    if (region != info.region) info.replicas.push_back(region);
  }
  return info;
}

}  // namespace

int run_table_metrics(Context& ctx, const MetricsOptions& options) {
  const metrics::Window window = window_for(options);
  metrics::TableInfo table = describe(ctx);

  cloudwatch::ClientOptions cw;
  cw.region = table.region;
  cw.endpoint = options.cloudwatch_endpoint;
  cw.profile = ctx.options().profile;
  const std::string endpoint = cloudwatch::resolve_endpoint(cw);
  if (is_loopback_url(ctx.options().endpoint) && !is_loopback_url(endpoint)) {
    // A local DynamoDB publishes no metrics: AWS's CloudWatch would answer about another table.
    throw UsageError("the DynamoDB endpoint " + ctx.options().endpoint +
                     " is local and publishes no CloudWatch metrics; name a CloudWatch endpoint with "
                     "--cloudwatch-endpoint or AWS_ENDPOINT_URL_CLOUDWATCH (asking " +
                     endpoint + " would describe a table of the same name in AWS)");
  }
  cw.transport = ctx.transport_options(endpoint);
  cw.retry = ctx.retry_options();
  cloudwatch::Client client(cw);

  cloudwatch::GetMetricDataRequest request{.queries = metrics::queries_for(table),
                                           .start_time = window.start,
                                           .end_time = window.end(),
                                           .period_seconds = window.period};
  auto series = client.get_metric_data(request);
  if (!series.ok()) series.status().throw_if_error();
  metrics::Report report = metrics::build_report(table, window, client.endpoint(), *series);
  ctx.print(report.json, report.text);
  return kOk;
}

}  // namespace agents::cli
