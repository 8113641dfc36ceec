// A small, fast DynamoDB client over the JSON 1.0 protocol: SigV4-signed, retried in the SDKs'
// standard mode, every response's x-amz-crc32 verified. Thread-safe: share one per process.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agents/aws/credentials.hpp"
#include "agents/aws/retry.hpp"
#include "agents/core/clock.hpp"
#include "agents/core/status.hpp"
#include "agents/dynamodb/attribute_value.hpp"
#include "agents/dynamodb/global_tables.hpp"
#include "agents/export.hpp"
#include "agents/http/http_client.hpp"

namespace agents::dynamodb {

/// Placeholders of an expression: "#n" -> attribute name, ":v" -> value.
struct ExpressionAttributes {
  std::map<std::string, std::string> names;
  AttributeMap values;
};

struct GetItemRequest {
  std::string table;
  Item key;
  bool consistent_read = false;
  std::string projection;  ///< ProjectionExpression; empty: all attributes
  std::map<std::string, std::string> names;
  /// ReturnConsumedCapacity=TOTAL even without an observer (the result's `consumed_capacity`).
  /// With an observer the client always asks, so the observer and --verbose show it.
  bool return_consumed_capacity = false;
};
struct GetItemResult {
  std::optional<Item> item;
  double consumed_capacity = 0;  ///< capacity units, when asked for
};

/// PutItem, DeleteItem and UpdateItem share their optional parts.
struct WriteConditions {
  std::string condition;  ///< ConditionExpression; empty: unconditional
  ExpressionAttributes attributes;
  /// ReturnValuesOnConditionCheckFailure=ALL_OLD: the stored item comes back with a failed condition.
  bool return_item_on_condition_failure = false;
  /// ReturnConsumedCapacity=TOTAL even without an observer (the result's `consumed_capacity`).
  /// With an observer the client always asks, so the observer and --verbose show it.
  bool return_consumed_capacity = false;
  /// false: an attempt that may have been applied (its answer was lost) is not sent again; the
  /// call fails with `details().outcome_unknown` and the caller decides (a resent conditional
  /// create can re-apply after someone deleted what the first attempt wrote).
  bool retry_when_outcome_unknown = true;
};

struct PutItemRequest {
  std::string table;
  Item item;
  WriteConditions conditions;
};
struct DeleteItemRequest {
  std::string table;
  Item key;
  WriteConditions conditions;
  bool return_old_item = false;  ///< ReturnValues=ALL_OLD
};
struct UpdateItemRequest {
  std::string table;
  Item key;
  std::string update_expression;
  WriteConditions conditions;
  std::string return_values;  ///< e.g. "ALL_NEW"; empty: NONE
};

/// A failed condition is an answer, not a fault: it comes back as data so callers decide.
struct WriteResult {
  bool condition_failed = false;
  /// The condition failed after a retried attempt whose outcome was unknown: the stored item
  /// may be this call's own write (compare before reporting a conflict).
  bool in_doubt = false;
  std::optional<Item> item;  ///< the stored item on a failed condition (when asked), or ReturnValues
  double consumed_capacity = 0;
};

struct TransactWriteItem {
  enum class Kind { kPut, kUpdate, kDelete, kConditionCheck };
  Kind kind = Kind::kPut;
  std::string table;
  Item item;  ///< kPut: the item; otherwise the key
  std::string update_expression;
  std::string condition;
  ExpressionAttributes attributes;
};
struct TransactWriteRequest {
  std::vector<TransactWriteItem> items;
  std::string client_request_token;  ///< makes retries idempotent for 10 minutes
  /// ReturnConsumedCapacity=TOTAL even without an observer (the result's `consumed_capacity`).
  /// With an observer the client always asks, so the observer and --verbose show it.
  bool return_consumed_capacity = false;
};
struct TransactWriteResult {
  bool condition_failed = false;
  /// On cancellation: one code per item in request order ("None", "ConditionalCheckFailed", ...).
  std::vector<std::string> cancellation_reasons;
  double consumed_capacity = 0;
};

struct BatchGetRequest {
  std::string table;
  std::vector<Item> keys;  ///< any number: sent 100 at a time, unprocessed keys resubmitted
  bool consistent_read = false;
  std::string projection;
  std::map<std::string, std::string> names;
};
struct BatchGetResult {
  std::vector<Item> items;  ///< in no particular order
  double consumed_capacity = 0;
};

/// Query and Scan; one page per call (pass `last_evaluated_key` back as `exclusive_start_key`).
struct QueryRequest {
  std::string table;
  std::string index;
  std::string key_condition;  ///< Query only
  std::string filter;
  std::string projection;
  ExpressionAttributes attributes;
  bool consistent_read = false;
  int limit = 0;
  bool scan_forward = true;  ///< Query only
  std::optional<Item> exclusive_start_key;
  int segment = 0;         ///< Scan only: parallel scan segment
  int total_segments = 0;  ///< Scan only: 0 = not segmented
  /// ReturnConsumedCapacity=TOTAL even without an observer (the result's `consumed_capacity`).
  /// With an observer the client always asks, so the observer and --verbose show it.
  bool return_consumed_capacity = false;
};
struct QueryResult {
  std::vector<Item> items;
  std::optional<Item> last_evaluated_key;
  double consumed_capacity = 0;
};

struct KeyAttribute {
  std::string name;
  std::string type = "S";  ///< S, N or B
};
struct CreateTableRequest {
  std::string table;
  KeyAttribute partition_key;
  std::optional<KeyAttribute> sort_key;
  /// PAY_PER_REQUEST (on demand) unless capacities are given.
  int read_capacity = 0;
  int write_capacity = 0;
};
struct TableDescription {
  std::string name;
  std::string status;  ///< CREATING, ACTIVE, ...
  std::string arn;
  std::string billing_mode;                                          ///< PAY_PER_REQUEST or PROVISIONED
  std::vector<std::pair<std::string, std::string>> key_schema;       ///< (name, HASH|RANGE)
  std::vector<std::pair<std::string, std::string>> attribute_types;  ///< (name, S|N|B)
  long long item_count = 0;
  std::vector<std::string> replica_regions;
  /// A global table's Regions and their state (ReplicaStatus / WitnessStatus: CREATING, ACTIVE...).
  struct RegionStatus {
    std::string region;
    std::string status;
  };
  std::vector<RegionStatus> replicas;
  std::vector<RegionStatus> witnesses;  ///< MRSC only: at most one
  /// "EVENTUAL", "STRONG", or empty when the answer has none (a table without replicas).
  std::string multi_region_consistency;

  /// The mode, from the fields above.
  AGENTS_API TableConsistency consistency() const;
};

/// UpdateTable that makes a table global (version 2019.11.21): replicas, and for MRSC the mode
/// and a witness. Every name is sent as given; check them with plan_global_table first.
struct AddReplicasRequest {
  std::string table;
  std::vector<std::string> regions;
  std::string witness;  ///< MRSC only; empty: none
  /// "STRONG" or "EVENTUAL"; empty: not sent (DynamoDB's default, EVENTUAL).
  std::string multi_region_consistency;
};
struct TimeToLiveDescription {
  std::string status;  ///< ENABLED, DISABLED, ENABLING, DISABLING
  std::string attribute;
};

/// One event per DynamoDB call (after retries), for metrics; never holds a secret.
struct CallEvent {
  std::string operation;  ///< "GetItem", ...
  std::string table;
  std::string region;  ///< the Region whose endpoint answered (or failed)
  std::chrono::microseconds latency{0};
  std::size_t bytes_sent = 0;
  std::size_t bytes_received = 0;
  double consumed_capacity = 0;
  int attempts = 0;
  ErrorCode outcome = ErrorCode::kOk;
  std::string service_code;  ///< AWS error code when the call failed
};

struct ClientOptions {
  std::string region;    ///< empty: resolved (AWS_REGION, profile, ...)
  std::string endpoint;  ///< empty: resolved (AWS_ENDPOINT_URL_DYNAMODB, ..., public endpoint)
  std::string profile;
  std::shared_ptr<aws::CredentialsProvider> credentials;  ///< empty: the default chain
  std::shared_ptr<http::HttpClient> http;                 ///< empty: a libcurl client made with `transport`
  /// Timeouts, CA bundle and TLS verification of the libcurl client made when `http` is empty.
  http::CurlHttpClientOptions transport;
  aws::RetryOptions retry;
  bool verify_crc32 = true;
  std::function<void(const CallEvent&)> observer;
  /// The time requests are signed with and credentials checked for expiry against; empty: the
  /// system clock. (A clock far from AWS's is refused with InvalidSignatureException.)
  WallClock clock;

  // Sugar, so that options read as the checkpointer's do: ClientOptions().with_region("eu-west-1").
  ClientOptions& with_region(std::string value) {
    region = std::move(value);
    return *this;
  }
  ClientOptions& with_endpoint(std::string value) {
    endpoint = std::move(value);
    return *this;
  }
  ClientOptions& with_profile(std::string value) {
    profile = std::move(value);
    return *this;
  }
  ClientOptions& with_credentials(std::shared_ptr<aws::CredentialsProvider> value) {
    credentials = std::move(value);
    return *this;
  }
  ClientOptions& with_http_client(std::shared_ptr<http::HttpClient> value) {
    http = std::move(value);
    return *this;
  }
  ClientOptions& with_retry(aws::RetryOptions value) {
    retry = std::move(value);
    return *this;
  }
  ClientOptions& with_observer(std::function<void(const CallEvent&)> value) {
    observer = std::move(value);
    return *this;
  }
  ClientOptions& with_clock(WallClock value) {
    clock = std::move(value);
    return *this;
  }
};

class AGENTS_API DynamoDbClient {
 public:
  /// Resolves region, endpoint and credentials provider; makes no network call.
  static StatusOr<std::shared_ptr<DynamoDbClient>> create(ClientOptions options);
  virtual ~DynamoDbClient() = default;

  virtual StatusOr<GetItemResult> get_item(const GetItemRequest& request) = 0;
  virtual StatusOr<WriteResult> put_item(const PutItemRequest& request) = 0;
  virtual StatusOr<WriteResult> delete_item(const DeleteItemRequest& request) = 0;
  virtual StatusOr<WriteResult> update_item(const UpdateItemRequest& request) = 0;
  virtual StatusOr<TransactWriteResult> transact_write_items(const TransactWriteRequest& request) = 0;
  virtual StatusOr<BatchGetResult> batch_get_item(const BatchGetRequest& request) = 0;
  virtual StatusOr<QueryResult> query(const QueryRequest& request) = 0;
  virtual StatusOr<QueryResult> scan(const QueryRequest& request) = 0;
  /// Every page of a (segmented, in parallel when total_segments > 1) scan.
  virtual StatusOr<std::vector<Item>> scan_all(const QueryRequest& request) = 0;
  virtual StatusOr<TableDescription> create_table(const CreateTableRequest& request) = 0;
  virtual StatusOr<TableDescription> describe_table(const std::string& table) = 0;
  virtual StatusOr<std::vector<std::string>> list_tables() = 0;
  virtual StatusOr<TimeToLiveDescription> update_time_to_live(const std::string& table,
                                                              const std::string& attribute, bool enabled) = 0;
  virtual StatusOr<TimeToLiveDescription> describe_time_to_live(const std::string& table) = 0;
  /// Adds replicas (global tables version 2019.11.21), and a witness, through UpdateTable.
  virtual Status add_replicas(const AddReplicasRequest& request) = 0;

  /// Any operation with a JSON body; returns the response JSON. For what the typed calls lack.
  virtual StatusOr<std::string> call(const std::string& operation, std::string body,
                                     const std::string& table) = 0;

  virtual const std::string& region() const = 0;
  virtual const std::string& endpoint() const = 0;
  /// Which credentials source answered (for `doctor`); never the keys themselves.
  virtual StatusOr<std::string> describe_credentials() = 0;
};

}  // namespace agents::dynamodb
