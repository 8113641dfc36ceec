// What every `agents` command shares: the global options, the store they select, output in
// text or JSON, and the mapping of errors to exit codes (docs/getting-started.md; exit codes in
// docs/errors.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "agents/checkpoint/checkpointer.hpp"
#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "agents/dynamodb/client.hpp"

namespace agents::cli {

enum ExitCode : int { kOk = 0, kError = 1, kUsage = 2, kThreadNotFound = 3, kConflict = 4 };

struct GlobalOptions {
  std::string table = "agent-checkpoints";
  std::string region;
  std::string endpoint;
  std::string profile;
  std::string ttl;           ///< "30d", "12h", ...
  bool incremental = false;  ///< saves store the history as segments (docs/item-layout.md)
  std::size_t history = 0;   ///< saves keep this many past versions readable (docs/history.md)
  std::string store = "dynamodb";
  bool json = false;
  bool verbose = false;
  /// Seconds, as the AWS CLI's --cli-connect-timeout / --cli-read-timeout; 0: no limit. Short by
  /// default: an interactive command should fail fast and say why, not wait 60 s per attempt.
  double connect_timeout = 2;
  double read_timeout = 5;
  std::string ca_bundle;       ///< --ca-bundle; else AWS_CA_BUNDLE, else the profile's ca_bundle
  bool no_verify_ssl = false;  ///< local endpoints only, with a warning
};

/// A usage error (exit code 2) found after parsing, e.g. a bad --ttl.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// "30d", "12h", "90m" or "45s": a unit is required (UsageError, naming `option`, for a bare number).
std::chrono::seconds parse_duration(const std::string& text, const std::string& option = "--ttl");

/// Whether `url` names this machine (localhost, 127.x, [::1]), where no one else is on the path.
bool is_loopback_url(const std::string& url);

class Context {
 public:
  explicit Context(GlobalOptions options) : options_(std::move(options)) {}
  const GlobalOptions& options() const { return options_; }
  bool uses_dynamodb() const { return options_.store == "dynamodb"; }

  /// The store chosen by --store (DynamoDB or a file directory), created once.
  std::shared_ptr<Checkpointer> checkpointer();
  /// The DynamoDB client (throws UsageError for --store file:...).
  std::shared_ptr<dynamodb::DynamoDbClient> client();

  /// The transport the global options ask for (timeouts, CA bundle, --no-verify-ssl) for a client
  /// of `endpoint` (empty: the AWS endpoint); UsageError for --no-verify-ssl on a remote one.
  http::CurlHttpClientOptions transport_options(const std::string& endpoint) const;
  /// The retry policy, saying on a terminal (or with --verbose) what is being retried.
  RetryOptions retry_options() const;

  /// Prints a JSON document with --json, else the text.
  void print(const nlohmann::json& json, const std::string& text) const;

 private:
  dynamodb::ClientOptions client_options() const;

  GlobalOptions options_;
  std::shared_ptr<Checkpointer> checkpointer_;
  std::shared_ptr<dynamodb::DynamoDbClient> client_;
};

/// One line on stderr for an error (with `json`, a JSON document: code, message, exit code and
/// where the error came from), and its exit code.
int report_error(const std::exception& error, bool json = false);
/// A usage error found by the parser, reported as report_error does.
int report_usage_error(const std::string& message, bool json);

/// `table create`: the options of the command itself (docs/global-tables.md).
struct TableCreateOptions {
  std::string global_regions;            ///< "us-east-2,us-west-2"; the home Region may be listed too
  std::string consistency = "eventual";  ///< eventual (MREC) or strong (MRSC)
  std::string witness;                   ///< strong only: the witness Region
};
int run_table_create(Context& ctx, const TableCreateOptions& options);
int run_table_describe(Context& ctx);
/// `table sweep`: the options of the command itself.
struct SweepCommandOptions {
  int segments = 4;
  double max_capacity = 0;  ///< capacity units per second; 0: no limit
  std::string grace;        ///< "10m", ...; empty: 0
};
int run_table_sweep(Context& ctx, const SweepCommandOptions& options);
/// `table metrics`: the options of the command itself.
struct MetricsOptions {
  std::string since = "24h";
  std::string period = "1h";
  std::string cloudwatch_endpoint;  ///< empty: AWS_ENDPOINT_URL_CLOUDWATCH, ..., monitoring.<region>
};
int run_table_metrics(Context& ctx, const MetricsOptions& options);
/// How `state save` treats a stored thread: create-only unless one of these says otherwise.
struct SaveMode {
  std::optional<std::int64_t> if_version;  ///< replace exactly this stored version
  bool force = false;                      ///< overwrite whatever is stored
};
int run_state_save(Context& ctx, const std::string& thread_id, const SaveMode& mode);
/// `version`: a past version (`state load --version V`).
int run_state_load(Context& ctx, const std::string& thread_id, std::optional<std::int64_t> version = {});
int run_state_history(Context& ctx, const std::string& thread_id, std::int64_t before, std::size_t limit);
int run_state_fork(Context& ctx, const std::string& thread_id, std::int64_t version,
                   const std::string& new_thread);
int run_state_delete(Context& ctx, const std::string& thread_id);
int run_state_list(Context& ctx, std::size_t page_size, const std::string& sort, bool show_updated);
int run_state_export(Context& ctx, const std::string& since);
int run_state_import(Context& ctx, bool force);
int run_chat(Context& ctx, const std::string& thread_id, const std::optional<std::string>& message,
             const std::string& model);
int run_doctor(Context& ctx);

}  // namespace agents::cli
