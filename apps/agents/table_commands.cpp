// `agents table create|describe`: the table of docs/table-setup.md, with TTL on `ttl`, made global
// in either consistency mode (docs/global-tables.md).
#include <algorithm>
#include <cctype>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli_context.hpp"
#include "progress_line.hpp"
#include "table_check.hpp"

namespace agents::cli {

namespace {

// Polls every 500 ms, up to `limit`.
template <typename Poll>
bool wait_until(Progress& progress, const std::string& label, Poll poll,
                std::chrono::minutes limit = std::chrono::minutes(5)) {
  const long long polls = limit.count() * 120;
  for (long long i = 0; i < polls; ++i) {
    std::string status;
    if (poll(status)) return true;
    progress.step(label + " " + status, true);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return false;
}

// What is wrong with an existing table for `agents` (empty: nothing). Read-only: `table create`
// changes nothing on a table that does not fit, since it may belong to another application.
std::vector<std::string> existing_table_problems(const GlobalOptions& options,
                                                 const dynamodb::TableDescription& table,
                                                 const StatusOr<dynamodb::TimeToLiveDescription>& ttl) {
  // Another application's table: its billing and TTL are its owner's business, not ours to list.
  if (!has_checkpoint_key(table)) return {foreign_key_message(options, table)};
  std::vector<std::string> problems;
  if (table.billing_mode != "PAY_PER_REQUEST") {
    problems.push_back("table " + table.name + " uses " +
                       (table.billing_mode.empty() ? "PROVISIONED" : table.billing_mode) +
                       " billing, not on-demand (PAY_PER_REQUEST): provisioned capacity throttles agents' "
                       "bursts; nothing was "
                       "changed. Fix: " +
                       aws_command(options, "update-table", table.name, "--billing-mode PAY_PER_REQUEST") +
                       ", or " + use_own_table_fix(options, table.name));
  }
  const bool ttl_active = ttl.ok() && (ttl->status == "ENABLED" || ttl->status == "ENABLING");
  if (ttl_active && ttl->attribute != "ttl") {
    problems.push_back(
        "table " + table.name + " already has TTL " + ttl->status + " on attribute '" + ttl->attribute +
        "'; a table has one TTL attribute and agents needs it on 'ttl', so enabling it would "
        "stop what '" +
        ttl->attribute + "' expires; nothing was changed. Fix: " + use_own_table_fix(options, table.name));
  }
  return problems;
}

// Waits (read-only) until the table is ACTIVE and returns its description.
dynamodb::TableDescription wait_for_active(dynamodb::DynamoDbClient& client, Progress& progress,
                                           const std::string& table) {
  dynamodb::TableDescription last;
  bool active =
      wait_until(progress, "waiting for table " + table + " to become ACTIVE:", [&](std::string& status) {
        auto d = client.describe_table(table);
        if (!d.ok()) d.status().throw_if_error();
        last = *d;
        status = d->status;
        return d->status == "ACTIVE";
      });
  if (!active) throw TimeoutError("table " + table + " did not become ACTIVE within 5 minutes");
  return last;
}

// The Regions and mode asked for, checked before any request (empty when no --global-regions).
std::optional<dynamodb::GlobalTablePlan> global_plan(Context& ctx, const TableCreateOptions& options) {
  std::string mode = options.consistency;
  std::transform(mode.begin(), mode.end(), mode.begin(), [](unsigned char c) { return std::tolower(c); });
  if (mode != "eventual" && mode != "strong")
    throw UsageError("--consistency '" + options.consistency + "': use eventual (MREC) or strong (MRSC)");
  const auto consistency =
      mode == "strong" ? dynamodb::TableConsistency::kStrong : dynamodb::TableConsistency::kEventual;
  std::vector<std::string> regions;
  std::stringstream ss(options.global_regions);
  for (std::string r; std::getline(ss, r, ',');) {
    r.erase(std::remove_if(r.begin(), r.end(), [](unsigned char c) { return std::isspace(c); }), r.end());
    if (!r.empty()) regions.push_back(r);
  }
  if (regions.empty()) {
    if (consistency == dynamodb::TableConsistency::kStrong)
      throw UsageError("--consistency strong makes a global table: name its Regions with --global-regions");
    if (!options.witness.empty())
      throw UsageError("--witness needs --consistency strong and --global-regions");
    return std::nullopt;
  }
  auto plan = dynamodb::plan_global_table(ctx.client()->region(), regions, options.witness, consistency);
  if (!plan.ok()) throw UsageError(plan.status().message());
  return *plan;
}

// "us-east-2 ACTIVE, us-west-2 CREATING (witness)".
std::string region_states(const dynamodb::TableDescription& d) {
  std::string out;
  for (const auto& r : d.replicas) out += (out.empty() ? "" : ", ") + r.region + " " + r.status;
  for (const auto& w : d.witnesses)
    out += (out.empty() ? "" : ", ") + w.region + " " + w.status + " (witness)";
  return out;
}

// Every Region of the plan is listed, and every listed replica and witness is ACTIVE.
bool all_regions_active(const dynamodb::TableDescription& d, const dynamodb::GlobalTablePlan& plan) {
  auto listed_active = [](const std::vector<dynamodb::TableDescription::RegionStatus>& list,
                          const std::string& region) {
    return std::any_of(list.begin(), list.end(),
                       [&](const auto& r) { return r.region == region && r.status == "ACTIVE"; });
  };
  for (const auto& r : plan.replicas)
    if (!listed_active(d.replicas, r)) return false;
  if (!plan.witness.empty() && !listed_active(d.witnesses, plan.witness)) return false;
  auto active = [](const auto& r) { return r.status == "ACTIVE"; };
  return d.status == "ACTIVE" && std::all_of(d.replicas.begin(), d.replicas.end(), active) &&
         std::all_of(d.witnesses.begin(), d.witnesses.end(), active);
}

// The last steps of `table create` on a table that is ours: replicas (and the mode and witness),
// waiting until every Region is ACTIVE, then the summary.
int finish_table_create(Context& ctx, const std::shared_ptr<dynamodb::DynamoDbClient>& client,
                        const std::optional<dynamodb::GlobalTablePlan>& plan, Progress& progress,
                        nlohmann::json& out) {
  const std::string& table = ctx.options().table;
  if (!plan) {
    ctx.print(out, "");
    return kOk;
  }
  const bool strong = plan->consistency == dynamodb::TableConsistency::kStrong;
  std::string regions_text;
  for (const auto& r : plan->replicas) regions_text += (regions_text.empty() ? "" : ",") + r;
  if (strong) {
    // DynamoDB converts only an empty table to MRSC: say so before asking, not after.
    auto page = client->scan({.table = table, .projection = "thread_id", .limit = 1});
    if (!page.ok()) page.status().throw_if_error();
    if (!page->items.empty()) {
      throw InvalidArgumentError(
          "table " + table +
          " holds items; DynamoDB makes only an empty table a strongly consistent (MRSC) global table. "
          "Nothing was changed. Create a new table with --consistency strong and move the threads with "
          "`agents state export` / `agents state import` (docs/global-tables.md)");
    }
  }
  Status added = client->add_replicas({.table = table,
                                       .regions = plan->replicas,
                                       .witness = plan->witness,
                                       .multi_region_consistency = strong ? "STRONG" : ""});
  if (!added.ok()) {
    // Through Status, so the exception is the code's typed one (ServiceError, AccessDeniedError...).
    Status(added.code(),
           "could not add replicas " + regions_text +
               (plan->witness.empty() ? "" : " and witness " + plan->witness) +
               " (global tables version 2019.11.21 need the real service; local endpoints such as "
               "DynamoDB Local do not replicate): " +
               added.message(),
           added.details())
        .throw_if_error();
  }
  progress.done(std::string(strong ? "strongly consistent (MRSC)" : "eventually consistent (MREC)") +
                " replicas requested in " + regions_text +
                (plan->witness.empty() ? "" : ", witness in " + plan->witness));
  dynamodb::TableDescription last;
  const bool active = wait_until(
      progress, "waiting for every Region to become ACTIVE:",
      [&](std::string& status) {
        auto d = client->describe_table(table);
        if (!d.ok()) d.status().throw_if_error();
        last = *d;
        status = region_states(last);
        return all_regions_active(last, *plan);
      },
      std::chrono::minutes(60));
  if (!active)
    throw TimeoutError("the Regions of table " + table + " were not all ACTIVE within 60 minutes: " +
                       region_states(last) + "; `agents table describe` shows their state");
  progress.done("every Region is ACTIVE: " + region_states(last));
  out["consistency"] = strong ? "STRONG" : "EVENTUAL";
  out["replicas"] = plan->replicas;
  if (!plan->witness.empty()) out["witness"] = plan->witness;
  ctx.print(out, "");
  return kOk;
}

}  // namespace

int run_table_create(Context& ctx, const TableCreateOptions& options) {
  const auto plan = global_plan(ctx, options);  // before any request
  const bool strong = plan && plan->consistency == dynamodb::TableConsistency::kStrong;
  auto client = ctx.client();
  const std::string& table = ctx.options().table;
  Progress progress;
  auto created = client->create_table({.table = table, .partition_key = {"thread_id", "S"}});
  bool existed = false;
  if (!created.ok()) {
    if (created.status().details().service_code != "ResourceInUseException")
      created.status().throw_if_error();
    existed = true;
    progress.done("table " + table + " already exists; checking it");
  }
  auto description = wait_for_active(*client, progress, table);
  bool ttl_on_ttl = false;
  if (existed) {
    auto current_ttl = client->describe_time_to_live(table);
    ttl_on_ttl = current_ttl.ok() && current_ttl->status == "ENABLED" && current_ttl->attribute == "ttl";
    auto problems = existing_table_problems(ctx.options(), description, current_ttl);
    if (!problems.empty()) {
      std::string message;
      for (const auto& p : problems) message += (message.empty() ? "" : " Also: ") + p;
      throw InvalidArgumentError(message);
    }
  }
  progress.done("table " + table + " is ACTIVE (partition key thread_id, on-demand billing)");

  nlohmann::json out{{"table", table}, {"created", !existed}, {"status", "ACTIVE"}};
  if (ttl_on_ttl) {
    out["ttl"] = "ENABLED";  // already set: no write at all
    progress.done("TTL is ENABLED on attribute ttl");
    return finish_table_create(ctx, client, plan, progress, out);
  }
  if (strong) {
    // MRSC tables do not support TTL (docs/global-tables.md): expired threads are hidden on load
    // and `agents table sweep` deletes them.
    progress.done(
        "TTL stays off: strongly consistent global tables do not support it; expired threads are "
        "hidden on load; delete them with `agents table sweep` (docs/ttl.md)");
    out["ttl"] = "unsupported (strong consistency)";
    return finish_table_create(ctx, client, plan, progress, out);
  }
  auto ttl = client->update_time_to_live(table, "ttl", true);
  if (!ttl.ok() && ttl.status().code() == ErrorCode::kUnsupported) {
    progress.done(
        "note: this endpoint has no TTL support (UpdateTimeToLive is not implemented, e.g. dynalite); "
        "expired threads are still treated as absent on load");
    out["ttl"] = "unsupported";
  } else if (!ttl.ok() && ttl.status().message().find("already enabled") != std::string::npos) {
    out["ttl"] = "ENABLED";
  } else {
    if (!ttl.ok()) ttl.status().throw_if_error();
    bool enabled = wait_until(progress, "waiting for TTL on attribute ttl:", [&](std::string& status) {
      auto d = client->describe_time_to_live(table);
      if (!d.ok()) d.status().throw_if_error();
      status = d->status;
      return d->status == "ENABLED";
    });
    if (!enabled) throw TimeoutError("TTL on table " + table + " was not ENABLED within 5 minutes");
    progress.done("TTL is ENABLED on attribute ttl");
    out["ttl"] = "ENABLED";
  }

  return finish_table_create(ctx, client, plan, progress, out);
}

int run_table_describe(Context& ctx) {
  auto client = ctx.client();
  const std::string& table = ctx.options().table;
  auto d = client->describe_table(table);
  if (!d.ok()) d.status().throw_if_error();
  auto ttl = client->describe_time_to_live(table);
  std::string ttl_status = ttl.ok() ? ttl->status + (ttl->attribute.empty() ? "" : " on " + ttl->attribute)
                                    : "unknown (" + ttl.status().details().service_code + ")";
  nlohmann::json keys = nlohmann::json::array();
  std::string key_text;
  for (const auto& [name, type] : d->key_schema) {
    keys.push_back({{"attribute", name}, {"key_type", type}});
    key_text += (key_text.empty() ? "" : ", ") + name + " (" + type + ")";
  }
  auto regions = [](const std::vector<dynamodb::TableDescription::RegionStatus>& list) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : list) out.push_back({{"region", r.region}, {"status", r.status}});
    return out;
  };
  const auto mode = d->consistency();
  nlohmann::json out{{"table", d->name},
                     {"status", d->status},
                     {"arn", d->arn},
                     {"billing_mode", d->billing_mode},
                     {"key_schema", keys},
                     {"item_count", d->item_count},
                     {"ttl", ttl_status},
                     {"consistency", std::string(dynamodb::consistency_name(mode))},
                     {"multi_region_consistency", d->multi_region_consistency.empty()
                                                      ? nlohmann::json(nullptr)
                                                      : nlohmann::json(d->multi_region_consistency)},
                     {"replicas", regions(d->replicas)},
                     {"witnesses", regions(d->witnesses)},
                     {"guarantee", std::string(consistency_guarantee(mode))}};
  std::ostringstream text;
  text << "table:        " << d->name << "\nstatus:       " << d->status << "\nkey:          " << key_text
       << "\nbilling:      " << d->billing_mode << "\nitems:        " << d->item_count << " (approximate)"
       << "\nttl:          " << ttl_status << "\narn:          " << d->arn
       << "\nconsistency:  " << consistency_label(mode);
  for (const auto& r : d->replicas) text << "\nreplica:      " << r.region << " " << r.status;
  for (const auto& w : d->witnesses) text << "\nwitness:      " << w.region << " " << w.status;
  text << "\nguarantee:    " << consistency_guarantee(mode);
  ctx.print(out, text.str());
  return kOk;
}

}  // namespace agents::cli
