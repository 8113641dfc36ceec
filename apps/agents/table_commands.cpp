// `agents table create|describe`: the table of docs/table-setup.md, with TTL on `ttl`.
#include <unistd.h>

#include <iostream>
#include <sstream>
#include <thread>

#include "cli_context.hpp"
#include "table_check.hpp"

namespace agents::cli {

namespace {

// Progress on a terminal rewrites one line; elsewhere (CI logs, pipes) each step is a line.
class Progress {
 public:
  Progress() : tty_(::isatty(STDERR_FILENO) != 0) {}
  void step(const std::string& what) {
    if (tty_) {
      std::cerr << "\r\033[K" << what << std::flush;
    } else if (what != last_) {
      std::cerr << what << "\n";
    }
    last_ = what;
  }
  void done(const std::string& what) {
    if (tty_) std::cerr << "\r\033[K";
    std::cerr << what << "\n";
  }

 private:
  bool tty_;
  std::string last_;
};

template <typename Poll>
bool wait_until(Progress& progress, const std::string& label, Poll poll) {
  static const char* kSpinner = "|/-\\";
  for (int i = 0; i < 600; ++i) {  // up to 5 minutes
    std::string status;
    if (poll(status)) return true;
    progress.step(label + " " + status + " " + kSpinner[i % 4]);
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

// The last steps of `table create` on a table that is ours: replicas, then the summary.
int finish_table_create(Context& ctx, const std::shared_ptr<dynamodb::DynamoDbClient>& client,
                        const std::string& global_regions, Progress& progress, nlohmann::json& out) {
  const std::string& table = ctx.options().table;
  if (!global_regions.empty()) {
    std::vector<std::string> regions;
    std::stringstream ss(global_regions);
    for (std::string r; std::getline(ss, r, ',');) {
      if (!r.empty()) regions.push_back(r);
    }
    Status added = client->add_replicas(table, regions);
    if (!added.ok()) {
      // Through Status, so the exception is the code's typed one (ServiceError, AccessDeniedError...).
      Status(added.code(),
             "could not add replicas " + global_regions +
                 " (global tables version 2019.11.21 need the real service; local endpoints such as "
                 "DynamoDB Local do not replicate): " +
                 added.message(),
             added.details())
          .throw_if_error();
    }
    progress.done("replicas requested in " + global_regions + " (they become ACTIVE in the background)");
    out["replicas"] = regions;
  }
  ctx.print(out, "");
  return kOk;
}

}  // namespace

int run_table_create(Context& ctx, const std::string& global_regions) {
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
    return finish_table_create(ctx, client, global_regions, progress, out);
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

  return finish_table_create(ctx, client, global_regions, progress, out);
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
  nlohmann::json out{{"table", d->name},   {"status", d->status},
                     {"arn", d->arn},      {"billing_mode", d->billing_mode},
                     {"key_schema", keys}, {"item_count", d->item_count},
                     {"ttl", ttl_status},  {"replicas", d->replica_regions}};
  std::ostringstream text;
  text << "table:        " << d->name << "\nstatus:       " << d->status << "\nkey:          " << key_text
       << "\nbilling:      " << d->billing_mode << "\nitems:        " << d->item_count << " (approximate)"
       << "\nttl:          " << ttl_status << "\narn:          " << d->arn;
  if (!d->replica_regions.empty()) {
    text << "\nreplicas:    ";
    for (const auto& r : d->replica_regions) text << " " << r;
  }
  ctx.print(out, text.str());
  return kOk;
}

}  // namespace agents::cli
