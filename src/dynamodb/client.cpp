#include "agents/dynamodb/client.hpp"

#include <zlib.h>

#include <charconv>
#include <future>
#include <thread>

#include "agents/aws/region.hpp"
#include "agents/aws/sigv4.hpp"
#include "agents/http/http_client.hpp"
#include "aws/ca_bundle.hpp"
#include "dynamodb/client_defaults.hpp"
#include "dynamodb/errors.hpp"
#include "dynamodb/json_codec.hpp"
#include "util/redact.hpp"

namespace agents::dynamodb {

namespace {

using detail::thread_parser;

// The final response of a call (success or the last error) with how its attempts went.
struct CallOutcome {
  Status status;
  http::Response response;
  aws::RetryStats stats;
};

// ConsumedCapacity of a response; 0 when the body is JSON but not an object (a damaged or foreign
// answer must come back as data, not as simdjson_error thrown by an implicit get_object()).
double capacity_of(simdjson::dom::element doc) {
  simdjson::dom::object object;
  return doc.get_object().get(object) ? 0 : detail::parse_consumed_capacity(object);
}

Status protocol_error(std::string_view operation, std::string_view what) {
  return Status(ErrorCode::kServiceError,
                "DynamoDB " + std::string(operation) + ": unexpected response: " + std::string(what));
}

class DynamoDbClientImpl final : public DynamoDbClient {
 public:
  DynamoDbClientImpl(ClientOptions options, std::string region, aws::ResolvedEndpoint endpoint)
      : options_(std::move(options)),
        region_(std::move(region)),
        endpoint_(std::move(endpoint.url)),
        url_(endpoint_ + "/"),
        signer_(endpoint.signing_region, "dynamodb"),
        quota_(options_.retry.quota_capacity) {}

  StatusOr<GetItemResult> get_item(const GetItemRequest& r) override {
    CallOutcome out = execute("GetItem", r.table, detail::encode_get_item(r, observed()));
    if (!out.status.ok()) return out.status;
    simdjson::dom::element doc;
    if (thread_parser().parse(out.response.body).get(doc)) return protocol_error("GetItem", "invalid JSON");
    GetItemResult result;
    simdjson::dom::element item;
    if (!doc["Item"].get(item)) {
      Item parsed;
      std::string error;
      if (!detail::parse_item(item, parsed, error)) return protocol_error("GetItem", error);
      result.item = std::move(parsed);
    }
    result.consumed_capacity = capacity_of(doc);
    return result;
  }

  StatusOr<WriteResult> put_item(const PutItemRequest& r) override {
    return write("PutItem", r.table, detail::encode_put_item(r, observed()), "Attributes",
                 r.conditions.retry_when_outcome_unknown);
  }

  StatusOr<WriteResult> delete_item(const DeleteItemRequest& r) override {
    return write("DeleteItem", r.table, detail::encode_delete_item(r, observed()), "Attributes",
                 r.conditions.retry_when_outcome_unknown);
  }

  StatusOr<WriteResult> update_item(const UpdateItemRequest& r) override {
    return write("UpdateItem", r.table, detail::encode_update_item(r, observed()), "Attributes",
                 r.conditions.retry_when_outcome_unknown);
  }

  StatusOr<TransactWriteResult> transact_write_items(const TransactWriteRequest& r) override {
    std::string table = r.items.empty() ? "" : r.items.front().table;
    CallOutcome out = execute("TransactWriteItems", table, detail::encode_transact_write(r, observed()));
    TransactWriteResult result;
    simdjson::dom::element doc;
    bool parsed = !thread_parser().parse(out.response.body).get(doc);
    if (out.status.ok()) {
      if (parsed) result.consumed_capacity = capacity_of(doc);
      return result;
    }
    if (out.status.details().service_code != "TransactionCanceledException" || !parsed) return out.status;
    simdjson::dom::array reasons;
    bool only_conditions = true, any_condition = false;
    if (!doc["CancellationReasons"].get_array().get(reasons)) {
      for (auto reason : reasons) {
        std::string_view code;
        if (reason["Code"].get_string().get(code)) code = "None";
        result.cancellation_reasons.emplace_back(code);
        if (code == "ConditionalCheckFailed")
          any_condition = true;
        else if (code != "None")
          only_conditions = false;
      }
    }
    if (any_condition && only_conditions) {
      result.condition_failed = true;
      return result;
    }
    std::string listed;
    for (const auto& c : result.cancellation_reasons) listed += (listed.empty() ? "" : ", ") + c;
    return Status(out.status.code(), out.status.message() + " [cancellation reasons: " + listed + "]",
                  out.status.details());
  }

  StatusOr<BatchGetResult> batch_get_item(const BatchGetRequest& r) override {
    BatchGetResult result;
    std::vector<Item> pending;
    const BatchGetRequest* source = &r;
    BatchGetRequest retry_request;
    for (int round = 0; round < 10; ++round) {
      for (std::size_t first = 0; first < source->keys.size(); first += 100) {
        std::size_t count = std::min<std::size_t>(100, source->keys.size() - first);
        CallOutcome out = execute("BatchGetItem", r.table, detail::encode_batch_get(*source, first, count));
        if (!out.status.ok()) return out.status;
        simdjson::dom::element doc;
        if (thread_parser().parse(out.response.body).get(doc))
          return protocol_error("BatchGetItem", "invalid JSON");
        result.consumed_capacity += capacity_of(doc);
        simdjson::dom::array items;
        if (!doc["Responses"][r.table].get_array().get(items)) {
          for (auto e : items) {
            Item item;
            std::string error;
            if (!detail::parse_item(e, item, error)) return protocol_error("BatchGetItem", error);
            result.items.push_back(std::move(item));
          }
        }
        simdjson::dom::array unprocessed;
        if (!doc["UnprocessedKeys"][r.table]["Keys"].get_array().get(unprocessed)) {
          for (auto e : unprocessed) {
            Item key;
            std::string error;
            if (detail::parse_item(e, key, error)) pending.push_back(std::move(key));
          }
        }
      }
      if (pending.empty()) return result;
      // Unprocessed keys come back under load: resubmit only those, after a backoff.
      retry_request = r;
      retry_request.keys = std::move(pending);
      pending.clear();
      source = &retry_request;
      sleep(aws::backoff_delay(options_.retry, round + 1, true));
    }
    return Status(ErrorCode::kThrottled,
                  "DynamoDB BatchGetItem on table '" + r.table + "': keys still unprocessed after 10 rounds");
  }

  StatusOr<QueryResult> query(const QueryRequest& r) override { return page("Query", r, false); }
  StatusOr<QueryResult> scan(const QueryRequest& r) override { return page("Scan", r, true); }

  StatusOr<std::vector<Item>> scan_all(const QueryRequest& r) override {
    auto scan_segment = [this](QueryRequest request) -> StatusOr<std::vector<Item>> {
      std::vector<Item> items;
      while (true) {
        auto p = scan(request);
        if (!p.ok()) return p.status();
        for (auto& item : p->items) items.push_back(std::move(item));
        if (!p->last_evaluated_key) return items;
        request.exclusive_start_key = std::move(p->last_evaluated_key);
      }
    };
    if (r.total_segments <= 1) return scan_segment(r);
    std::vector<std::future<StatusOr<std::vector<Item>>>> segments;
    for (int s = 0; s < r.total_segments; ++s) {
      QueryRequest request = r;
      request.segment = s;
      segments.push_back(std::async(std::launch::async, scan_segment, std::move(request)));
    }
    std::vector<Item> all;
    Status first_error;
    for (auto& f : segments) {
      auto part = f.get();
      if (!part.ok()) {
        if (first_error.ok()) first_error = part.status();
        continue;
      }
      for (auto& item : *part) all.push_back(std::move(item));
    }
    if (!first_error.ok()) return first_error;
    return all;
  }

  StatusOr<TableDescription> create_table(const CreateTableRequest& r) override {
    return table_call("CreateTable", r.table, detail::encode_create_table(r), "TableDescription");
  }

  StatusOr<TableDescription> describe_table(const std::string& table) override {
    return table_call("DescribeTable", table, table_name_body(table), "Table");
  }

  StatusOr<std::vector<std::string>> list_tables() override {
    std::vector<std::string> names;
    std::string start;
    while (true) {
      std::string body = start.empty() ? "{}" : "{\"ExclusiveStartTableName\":" + json_string(start) + "}";
      CallOutcome out = execute("ListTables", "", std::move(body));
      if (!out.status.ok()) return out.status;
      simdjson::dom::element doc;
      if (thread_parser().parse(out.response.body).get(doc))
        return protocol_error("ListTables", "invalid JSON");
      simdjson::dom::array tables;
      if (!doc["TableNames"].get_array().get(tables)) {
        for (auto t : tables) {
          std::string_view s;
          if (!t.get_string().get(s)) names.emplace_back(s);
        }
      }
      std::string_view last;
      if (doc["LastEvaluatedTableName"].get_string().get(last)) return names;
      start = std::string(last);
    }
  }

  StatusOr<TimeToLiveDescription> update_time_to_live(const std::string& table, const std::string& attribute,
                                                      bool enabled) override {
    std::string body = "{\"TableName\":" + json_string(table) +
                       ",\"TimeToLiveSpecification\":{\"Enabled\":" + (enabled ? "true" : "false") +
                       ",\"AttributeName\":" + json_string(attribute) + "}}";
    CallOutcome out = execute("UpdateTimeToLive", table, std::move(body));
    if (!out.status.ok()) return out.status;
    return TimeToLiveDescription{enabled ? "ENABLING" : "DISABLING", attribute};
  }

  StatusOr<TimeToLiveDescription> describe_time_to_live(const std::string& table) override {
    CallOutcome out = execute("DescribeTimeToLive", table, table_name_body(table));
    if (!out.status.ok()) return out.status;
    simdjson::dom::element doc;
    if (thread_parser().parse(out.response.body).get(doc))
      return protocol_error("DescribeTimeToLive", "invalid JSON");
    TimeToLiveDescription d;
    std::string_view s;
    if (!doc["TimeToLiveDescription"]["TimeToLiveStatus"].get_string().get(s)) d.status = std::string(s);
    if (!doc["TimeToLiveDescription"]["AttributeName"].get_string().get(s)) d.attribute = std::string(s);
    return d;
  }

  Status add_replicas(const AddReplicasRequest& r) override {
    return execute("UpdateTable", r.table, detail::encode_add_replicas(r)).status;
  }

  StatusOr<std::string> call(const std::string& operation, std::string body,
                             const std::string& table) override {
    CallOutcome out = execute(operation, table, std::move(body));
    if (!out.status.ok()) return out.status;
    return std::move(out.response.body);
  }

  const std::string& region() const override { return region_; }
  const std::string& endpoint() const override { return endpoint_; }

  StatusOr<std::string> describe_credentials() override {
    auto creds = options_.credentials->get(now_from(options_.clock));
    if (!creds.ok()) return creds.status();
    return creds->describe();
  }

 private:
  static std::string json_string(std::string_view s) {
    rapidjson::StringBuffer buffer;
    detail::JsonWriter w(buffer);
    detail::write_string(w, s);
    return std::string(buffer.GetString(), buffer.GetSize());
  }
  static std::string table_name_body(const std::string& table) {
    return "{\"TableName\":" + json_string(table) + "}";
  }

  void sleep(std::chrono::milliseconds d) const { sleep_with(options_.retry.sleeper, d); }

  StatusOr<WriteResult> write(const char* operation, const std::string& table, std::string body,
                              const char* returned_attributes, bool retry_when_outcome_unknown) {
    CallOutcome out = execute(operation, table, std::move(body), retry_when_outcome_unknown);
    WriteResult result;
    simdjson::dom::element doc;
    bool parsed = !out.response.body.empty() && !thread_parser().parse(out.response.body).get(doc);
    if (!out.status.ok()) {
      if (out.status.details().service_code != "ConditionalCheckFailedException") {
        // An earlier attempt may have been applied even when the last one surely was not.
        if (out.stats.outcome_unknown_attempt) out.status.details().outcome_unknown = true;
        return out.status;
      }
      result.condition_failed = true;
      result.in_doubt = out.stats.outcome_unknown_attempt;
      returned_attributes = "Item";  // ALL_OLD on a failed condition comes back as "Item"
    }
    if (parsed) {
      simdjson::dom::element attributes;
      if (!doc[returned_attributes].get(attributes)) {
        Item item;
        std::string error;
        if (!detail::parse_item(attributes, item, error)) return protocol_error(operation, error);
        result.item = std::move(item);
      }
      if (doc.is_object()) result.consumed_capacity = capacity_of(doc);
    }
    return result;
  }

  StatusOr<QueryResult> page(const char* operation, const QueryRequest& r, bool is_scan) {
    CallOutcome out = execute(operation, r.table, detail::encode_query(r, is_scan, observed()));
    if (!out.status.ok()) return out.status;
    simdjson::dom::element doc;
    if (thread_parser().parse(out.response.body).get(doc)) return protocol_error(operation, "invalid JSON");
    QueryResult result;
    simdjson::dom::array items;
    std::string error;
    if (!doc["Items"].get_array().get(items)) {
      for (auto e : items) {
        Item item;
        if (!detail::parse_item(e, item, error)) return protocol_error(operation, error);
        result.items.push_back(std::move(item));
      }
    }
    simdjson::dom::element last;
    if (!doc["LastEvaluatedKey"].get(last)) {
      Item key;
      if (!detail::parse_item(last, key, error)) return protocol_error(operation, error);
      result.last_evaluated_key = std::move(key);
    }
    result.consumed_capacity = capacity_of(doc);
    return result;
  }

  StatusOr<TableDescription> table_call(const char* operation, const std::string& table, std::string body,
                                        const char* field) {
    CallOutcome out = execute(operation, table, std::move(body));
    if (!out.status.ok()) return out.status;
    simdjson::dom::element doc;
    if (thread_parser().parse(out.response.body).get(doc)) return protocol_error(operation, "invalid JSON");
    TableDescription d;
    simdjson::dom::element e;
    if (doc[field].get(e) || !detail::parse_table_description(e, d))
      return protocol_error(operation, "no table");
    return d;
  }

  // One logical call: sign, send, verify the checksum, classify, retry; then tell the observer.
  CallOutcome execute(std::string_view operation, std::string_view table, std::string body,
                      bool retry_when_outcome_unknown = true) {
    const auto started = std::chrono::steady_clock::now();
    const std::size_t body_size = body.size();
    const std::string payload_hash = aws::sigv4::sha256_hex(body);  // once, not per attempt
    http::Request request{.method = "POST",
                          .url = url_,
                          .headers = {{"Content-Type", "application/x-amz-json-1.0"},
                                      {"X-Amz-Target", "DynamoDB_20120810." + std::string(operation)},
                                      {"Accept-Encoding", "identity"}},
                          .body = std::move(body)};
    request.transport_may_resend = retry_when_outcome_unknown;
    const std::size_t base_headers = request.headers.size();
    CallOutcome out;
    std::size_t received = 0;
    const aws::RetryOptions* retry = &options_.retry;
    aws::RetryOptions named;  // the retry hook told which call it is retrying
    if (options_.retry.on_retry) {
      named = options_.retry;
      named.on_retry = [&](const Status& error, int next, int max, std::chrono::milliseconds delay) {
        if (error.message().starts_with("DynamoDB ")) return options_.retry.on_retry(error, next, max, delay);
        options_.retry.on_retry(
            Status(error.code(), "DynamoDB " + std::string(operation) + ": " + error.message(),
                   error.details()),
            next, max, delay);
      };
      retry = &named;
    }
    out.status = aws::run_with_retries(*retry, quota_, out.stats, [&](int) -> Status {
      Status status = attempt(operation, table, request, base_headers, payload_hash, out, received);
      if (!retry_when_outcome_unknown && status.details().outcome_unknown) status.details().transient = false;
      return status;
    });
    report(operation, table, started, body_size, received, out);
    return out;
  }

  Status attempt(std::string_view operation, std::string_view table, http::Request& request,
                 std::size_t base_headers, const std::string& payload_hash, CallOutcome& out,
                 std::size_t& received) {
    const auto now = now_from(options_.clock);  // one instant for the expiry check and the signature
    auto credentials = options_.credentials->get(now);
    if (!credentials.ok()) return credentials.status();
    request.headers.resize(base_headers);
    signer_.sign(request, *credentials, now, payload_hash);
    auto response = options_.http->send(request);
    if (!response.ok()) return response.status();
    received += response->body.size();
    if (Status crc = verify_checksum(operation, *response); !crc.ok()) return crc;
    out.response = std::move(*response);
    if (auto foreign = detail::foreign_answer(operation, endpoint_, out.response)) return *foreign;
    if (out.response.status == 200) return Status();
    Status error = detail::classify_error_response(operation, table, out.response);
    // A service may quote the request back (InvalidSignatureException quotes the canonical
    // request, x-amz-security-token included): no secret may reach an error message.
    return Status(error.code(),
                  util::redact(error.message(), {credentials->secret_access_key, credentials->session_token}),
                  error.details());
  }

  // Someone reads each call's consumed capacity: ask DynamoDB for it (it is free in capacity
  // units, but it grows both bodies and costs DynamoDB Local a quarter more CPU per save).
  bool observed() const { return static_cast<bool>(options_.observer); }

  void report(std::string_view operation, std::string_view table,
              std::chrono::steady_clock::time_point started, std::size_t body_size, std::size_t received,
              const CallOutcome& out) {
    if (options_.observer) {
      CallEvent event;
      event.operation = std::string(operation);
      event.table = std::string(table);
      event.region = region_;
      event.latency =
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
      event.bytes_sent = body_size * static_cast<std::size_t>(out.stats.attempts);
      event.bytes_received = received;
      event.attempts = out.stats.attempts;
      event.outcome = out.status.code();
      event.service_code = out.status.details().service_code;
      if (out.status.ok() && out.response.body.find("\"ConsumedCapacity\"") != std::string::npos) {
        simdjson::dom::element doc;
        if (!thread_parser().parse(out.response.body).get(doc) && doc.is_object()) {
          event.consumed_capacity = capacity_of(doc);
        }
      }
      options_.observer(event);
    }
  }

  Status verify_checksum(std::string_view operation, const http::Response& response) const {
    if (!options_.verify_crc32) return Status();
    const std::string* header = response.header("x-amz-crc32");
    if (header == nullptr) return Status();  // local emulators omit it on some responses
    std::uint32_t expected = 0;
    auto [ptr, ec] = std::from_chars(header->data(), header->data() + header->size(), expected);
    std::uint32_t actual = static_cast<std::uint32_t>(crc32(
        0, reinterpret_cast<const Bytef*>(response.body.data()), static_cast<uInt>(response.body.size())));
    if (ec == std::errc() && actual == expected) return Status();
    ErrorDetails details;
    details.transient = true;
    details.outcome_unknown = true;  // an answer came back: the request was processed, maybe applied
    details.service_code = "CRC32CheckFailed";
    details.http_status = response.status;
    return Status(ErrorCode::kServiceError,
                  "DynamoDB " + std::string(operation) + ": response checksum mismatch (x-amz-crc32 " +
                      *header + ", body " + std::to_string(actual) + "); the response was damaged in transit",
                  details);
  }

  ClientOptions options_;
  std::string region_;
  std::string endpoint_;
  std::string url_;
  aws::sigv4::RequestSigner signer_;
  aws::RetryQuota quota_;
};

}  // namespace

void detail::use_default_transport(ClientOptions& options) {
  if (options.http) return;
  // As the AWS CLI and SDKs: AWS_CA_BUNDLE, else the profile's ca_bundle, unless one was given.
  if (options.transport.ca_file.empty())
    options.transport.ca_file = aws::detail::resolve_ca_bundle(options.profile);
  options.http = http::make_curl_http_client(options.transport);
}

void detail::use_default_credentials(ClientOptions& options, const std::string& region) {
  if (options.credentials) return;
  aws::CredentialsChainOptions chain;
  chain.http = options.http;
  chain.profile = options.profile;
  chain.region = region;
  options.credentials = aws::make_default_credentials_chain(std::move(chain));
}

StatusOr<std::shared_ptr<DynamoDbClient>> DynamoDbClient::create(ClientOptions options) {
  detail::use_default_transport(options);
  aws::EndpointOptions endpoint_options;
  endpoint_options.explicit_endpoint = options.endpoint;
  std::string region = options.region;
  if (region.empty()) {
    aws::RegionOptions region_options;
    region_options.profile = options.profile;
    auto resolved = aws::resolve_region(region_options);
    if (resolved.ok()) {
      region = *resolved;
    } else if (options.endpoint.empty()) {
      return resolved.status();
    } else {
      region = "us-east-1";  // a custom endpoint (DynamoDB Local, LocalStack) signs as us-east-1
    }
  }
  auto endpoint = aws::resolve_dynamodb_endpoint(region, endpoint_options);
  if (!endpoint.ok()) return endpoint.status();
  detail::use_default_credentials(options, region);
  std::shared_ptr<DynamoDbClient> client =
      std::make_shared<DynamoDbClientImpl>(std::move(options), std::move(region), std::move(*endpoint));
  return client;
}

}  // namespace agents::dynamodb
