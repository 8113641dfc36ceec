// `agents table sweep`: deletes expired items where DynamoDB's TTL does not (docs/ttl.md), e.g. on
// multi-Region strongly consistent tables, which have no TTL.
#include <cstdio>

#include "cli_context.hpp"
#include "progress_line.hpp"

namespace agents::cli {

int run_table_sweep(Context& ctx, const SweepCommandOptions& command) {
  auto checkpointer = std::dynamic_pointer_cast<DynamoDbCheckpointer>(ctx.checkpointer());
  if (!checkpointer)
    throw UsageError("table sweep works on a DynamoDB table, not on --store " + ctx.options().store);
  if (command.segments < 1 || command.segments > 64)
    throw UsageError("--segments " + std::to_string(command.segments) + ": use 1 to 64");
  if (command.max_capacity < 0) throw UsageError("--max-capacity must not be negative");
  SweepOptions options;
  options.parallel_segments = command.segments;
  options.max_capacity_units_per_second = command.max_capacity;
  if (!command.grace.empty()) options.grace = parse_duration(command.grace, "--grace");
  Progress progress;
  options.on_progress = [&](const SweepProgress& p) {
    char capacity[32];
    std::snprintf(capacity, sizeof capacity, "%.1f", p.report.consumed_capacity);
    progress.step("sweeping " + ctx.options().table + ": " + std::to_string(p.segments_done) + "/" +
                  std::to_string(p.segments) + " segments scanned, " +
                  std::to_string(p.report.expired_found) + " expired found, " +
                  std::to_string(p.report.deleted) + " deleted, " + std::to_string(p.report.renewed) +
                  " renewed, " + capacity + " capacity units");
  };
  const SweepReport r = checkpointer->sweep_expired(options);
  char capacity[32];
  std::snprintf(capacity, sizeof capacity, "%.1f", r.consumed_capacity);
  const std::string text =
      "swept " + ctx.options().table + ": " + std::to_string(r.deleted) + " expired items deleted, " +
      std::to_string(r.renewed) + " saved again meanwhile and kept; " + capacity + " capacity units in " +
      std::to_string(r.duration.count()) + " ms" +
      (r.paced_for.count() > 0 ? " (" + std::to_string(r.paced_for.count()) + " ms paced by --max-capacity)"
                               : "");
  progress.clear();
  ctx.print({{"table", ctx.options().table},
             {"deleted", r.deleted},
             {"expired_found", r.expired_found},
             {"renewed", r.renewed},
             {"consumed_capacity", r.consumed_capacity},
             {"cutoff_epoch", r.cutoff_epoch},
             {"paced_ms", r.paced_for.count()},
             {"duration_ms", r.duration.count()}},
            text);
  return kOk;
}

}  // namespace agents::cli
