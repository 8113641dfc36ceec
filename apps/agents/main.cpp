// The `agents` command line (docs/getting-started.md; exit codes in docs/errors.md).
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "agents/aws/credentials.hpp"
#include "agents/version.hpp"
#include "cli_context.hpp"
#include "cli_conventions.hpp"

int main(int argc, char** argv) {
  using namespace agents::cli;
  CLI::App app{"agents: agent state in Amazon DynamoDB (agents-sdk for C++)", "agents"};
  app.set_version_flag("--version", std::string("agents ") + agents::kSdkVersion);
  app.require_subcommand(1);

  GlobalOptions g;
  // The library's environment reader: unset and empty mean the same thing everywhere.
  g.table = agents::aws::process_environment()("AGENTS_TABLE").value_or(g.table);
  app.add_option("--table", g.table, "DynamoDB table (env AGENTS_TABLE)")->capture_default_str();
  app.add_option("--region", g.region, "AWS region (default: AWS_REGION, profile, instance metadata)");
  app.add_option("--endpoint,--endpoint-url", g.endpoint,
                 "DynamoDB endpoint URL, e.g. http://localhost:8000");
  app.add_option("--profile", g.profile, "profile in ~/.aws/config and ~/.aws/credentials");
  app.add_option("--ttl", g.ttl, "threads expire this long after their last save, e.g. 30d, 12h");
  app.add_flag("--incremental", g.incremental,
               "saves store the message history as append-only segments (docs/item-layout.md)");
  app.add_option("--history", g.history,
                 "saves keep this many past versions readable (`state history`, docs/history.md); "
                 "every writer of a thread should pass it")
      ->check(CLI::Range(std::size_t{0}, std::size_t{100}));
  app.add_option("--store", g.store, "dynamodb, or file:DIR for a local directory")->capture_default_str();
  app.add_flag("--json", g.json, "machine-readable output");
  app.add_flag("--verbose", g.verbose, "print each storage call (latency, capacity, retries) on stderr");
  app.add_option("--connect-timeout,--cli-connect-timeout", g.connect_timeout,
                 "seconds to wait for a connection, per attempt; 0: no limit")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option(
      "--ca-bundle", g.ca_bundle,
      "PEM bundle of the CAs to trust (default: AWS_CA_BUNDLE, the profile's ca_bundle, the system's)");
  app.add_flag("--no-verify-ssl", g.no_verify_ssl,
               "do not check the TLS certificate of a local endpoint (localhost only; prints a warning)");
  app.add_option("--read-timeout,--cli-read-timeout", g.read_timeout,
                 "seconds an attempt may wait without receiving data; 0: no limit")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);

  auto* table =
      app.add_subcommand("table", "create, describe or measure the checkpoint table")->require_subcommand(1);
  TableCreateOptions create_options;
  auto* table_create =
      table->add_subcommand("create", "create the table with TTL and wait until it is ACTIVE");
  table_create->add_option("--global-regions", create_options.global_regions,
                           "add replicas (global tables), e.g. us-east-1,eu-west-1");
  table_create
      ->add_option("--consistency", create_options.consistency,
                   "global table mode: eventual (MREC) or strong (MRSC: exactly three Regions of one Region "
                   "set, counting --region and --witness; no TTL, use `table sweep`)")
      ->capture_default_str();
  table_create->add_option("--witness", create_options.witness,
                           "with --consistency strong: a witness Region instead of a third replica");
  auto* table_describe = table->add_subcommand(
      "describe", "show the table, its key, billing, TTL and global table mode, replicas and witness");
  SweepCommandOptions sweep_options;
  auto* table_sweep = table->add_subcommand(
      "sweep", "delete expired items (for tables without TTL, such as strongly consistent global tables)");
  table_sweep->add_option("--segments", sweep_options.segments, "parallel Scan segments (1-64)")
      ->capture_default_str();
  table_sweep
      ->add_option("--max-capacity", sweep_options.max_capacity,
                   "read + write capacity units per second at most; 0: no limit")
      ->capture_default_str();
  table_sweep->add_option("--grace", sweep_options.grace,
                          "leave items expired less than this long ago (e.g. 10m); default 0");
  MetricsOptions metrics_options;
  auto* table_metrics = table->add_subcommand(
      "metrics", "consumed capacity, throttling, replication latency and on-demand cost from CloudWatch");
  table_metrics->add_option("--since", metrics_options.since, "how far back: 24h, 7d, 90m")
      ->capture_default_str();
  table_metrics->add_option("--period", metrics_options.period, "one chart column per period: 5m, 1h, 1d")
      ->capture_default_str();
  table_metrics->add_option(
      "--cloudwatch-endpoint", metrics_options.cloudwatch_endpoint,
      "CloudWatch endpoint URL (default: AWS_ENDPOINT_URL_CLOUDWATCH, AWS_ENDPOINT_URL, "
      "https://monitoring.<region>.amazonaws.com)");

  auto* state =
      app.add_subcommand("state", "save, load, delete or list stored states")->require_subcommand(1);
  std::string thread_id;
  auto* state_save = state->add_subcommand(
      "save", "save the state JSON read from stdin (a state, or what `state load --json` prints)");
  state_save->add_option("thread", thread_id, "thread id")->required();
  SaveMode save_mode;
  std::int64_t if_version = 0;
  auto* if_version_option = state_save->add_option(
      "--if-version", if_version,
      "replace the thread only if it is at this version (`state load --json` shows it)");
  state_save->add_flag("--force", save_mode.force, "overwrite whatever is stored (default: create only)")
      ->excludes(if_version_option);
  auto* state_load = state->add_subcommand("load", "print a thread's state");
  state_load->add_option("thread", thread_id, "thread id")->required();
  std::int64_t version = 0;
  auto* load_version_option =
      state_load->add_option("--version", version, "a past version (`state history` lists them)")
          ->check(CLI::PositiveNumber);
  auto* state_history = state->add_subcommand("history", "list a thread's kept versions, newest first");
  state_history->add_option("thread", thread_id, "thread id")->required();
  std::int64_t before = 0;
  std::size_t limit = 0;
  state_history->add_option("--before", before, "only versions older than this one")
      ->check(CLI::PositiveNumber);
  state_history->add_option("--limit", limit, "at most this many");
  auto* state_fork = state->add_subcommand("fork", "start a new thread from a version of a thread");
  state_fork->add_option("thread", thread_id, "thread id")->required();
  std::string new_thread;
  state_fork->add_option("new_thread", new_thread, "the new thread's id (must not exist)")->required();
  state_fork->add_option("--version", version, "the version to start from")
      ->required()
      ->check(CLI::PositiveNumber);
  auto* state_delete = state->add_subcommand("delete", "delete a thread and all its items");
  state_delete->add_option("thread", thread_id, "thread id")->required();
  auto* state_list = state->add_subcommand("list", "list threads");
  std::size_t page_size = 100;
  std::string sort = "id";
  bool show_updated = false;
  state_list->add_option("--page-size", page_size, "threads fetched per page")->capture_default_str();
  state_list->add_option("--sort", sort, "id or updated")->capture_default_str();
  state_list->add_flag("--updated", show_updated, "also print updated time and version");
  std::string since;
  auto* state_export = state->add_subcommand("export", "print every thread as JSON lines (whole states)");
  state_export->add_option("--since", since,
                           "only threads saved since then: 24h, 7d or 2026-11-30T12:00:00Z");
  bool import_force = false;
  auto* state_import =
      state->add_subcommand("import", "save the threads of `state export` lines read from stdin");
  state_import->add_flag("--force", import_force, "overwrite threads the table holds a newer save of");

  auto* chat = app.add_subcommand("chat", "talk to an agent on a thread (a REPL without --message)");
  std::string message, model;
  chat->add_option("thread", thread_id, "thread id")->required();
  auto* message_option = chat->add_option("--message,-m", message, "one message; the reply is printed");
  chat->add_option("--model", model, "model name (with OPENAI_API_KEY; default gpt-4o-mini)");

  auto* doctor =
      app.add_subcommand("doctor", "check credentials, region, endpoint, table, TTL and permissions");

  std::vector<std::string> help_topic;
  auto* help =
      app.add_subcommand("help", "show the help of agents or of a command, e.g. `agents help state save`");
  help->add_option("command", help_topic, "the command, e.g. state save");
  accept_global_options_everywhere(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report_usage_error(e.what(), json_requested(argc, argv));
  }

  try {
    Context ctx(g);
    if (table_create->parsed()) return run_table_create(ctx, create_options);
    if (table_describe->parsed()) return run_table_describe(ctx);
    if (table_sweep->parsed()) return run_table_sweep(ctx, sweep_options);
    if (table_metrics->parsed()) return run_table_metrics(ctx, metrics_options);
    if (state_save->parsed()) {
      if (if_version_option->count() > 0) save_mode.if_version = if_version;
      return run_state_save(ctx, thread_id, save_mode);
    }
    if (state_load->parsed()) {
      return run_state_load(
          ctx, thread_id,
          load_version_option->count() > 0 ? std::optional<std::int64_t>(version) : std::nullopt);
    }
    if (state_history->parsed()) return run_state_history(ctx, thread_id, before, limit);
    if (state_fork->parsed()) return run_state_fork(ctx, thread_id, version, new_thread);
    if (state_delete->parsed()) return run_state_delete(ctx, thread_id);
    if (state_list->parsed()) return run_state_list(ctx, page_size, sort, show_updated);
    if (state_export->parsed()) return run_state_export(ctx, since);
    if (state_import->parsed()) return run_state_import(ctx, import_force);
    if (chat->parsed()) {
      std::optional<std::string> one;
      if (message_option->count() > 0) one = message;
      return run_chat(ctx, thread_id, one, model);
    }
    if (doctor->parsed()) return run_doctor(ctx);
    if (help->parsed()) return run_help(app, help_topic);
  } catch (const std::exception& e) {
    return report_error(e, g.json);
  }
  return kUsage;
}
