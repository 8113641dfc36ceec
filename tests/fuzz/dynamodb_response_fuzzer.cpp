// The DynamoDB client's response handling: the real client, over a transport that answers with
// the fuzz input. Byte 0 picks the operation, byte 1 the HTTP status, the rest is the body. Never
// crashes; the client returns errors as values, and the checkpointer throws only agents::Error.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "agents/dynamodb/client.hpp"
#include "agents/http/http_client.hpp"

namespace {

using namespace agents;

// Answers the first request with the fuzz body and later ones (pagination, re-reads) with "{}".
class FuzzTransport final : public http::HttpClient {
 public:
  void reset(int status, std::string body) {
    std::lock_guard lock(mu_);
    status_ = status;
    body_ = std::move(body);
    served_ = 0;
  }
  StatusOr<http::Response> send(const http::Request&) override {
    std::lock_guard lock(mu_);
    http::Response r;
    r.status = served_++ == 0 ? status_ : 200;
    r.body = served_ == 1 ? body_ : "{}";
    r.headers = {{"x-amzn-RequestId", "FUZZ"}};
    return r;
  }

 private:
  std::mutex mu_;
  int status_ = 200;
  std::string body_;
  int served_ = 0;
};

struct Fixture {
  std::shared_ptr<FuzzTransport> transport = std::make_shared<FuzzTransport>();
  std::shared_ptr<dynamodb::DynamoDbClient> client;
  Fixture() {
    dynamodb::ClientOptions options;
    options.region = "us-east-1";
    options.endpoint = "http://127.0.0.1:1";
    options.http = transport;
    options.verify_crc32 = false;
    options.credentials = aws::make_static_credentials_provider({"AKIDFUZZ", "fuzz-secret", "", {}, "fuzz"});
    options.retry.max_attempts = 1;
    options.retry.sleeper = [](std::chrono::milliseconds) {};
    client = *dynamodb::DynamoDbClient::create(options);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture f;
  if (size < 2) return 0;
  static constexpr int kStatuses[] = {200, 400, 500, 200};
  const int op = data[0] % 11;
  f.transport->reset(kStatuses[data[1] % 4], std::string(reinterpret_cast<const char*>(data) + 2, size - 2));
  using dynamodb::AttributeValue;
  const dynamodb::Item key{{"thread_id", AttributeValue::S("t")}};
  switch (op) {
    case 0:
      (void)f.client->get_item({.table = "threads", .key = key, .consistent_read = true});
      break;
    case 1:
      (void)f.client->put_item({.table = "threads",
                                .item = key,
                                .conditions = {.condition = "attribute_not_exists(thread_id)",
                                               .return_item_on_condition_failure = true}});
      break;
    case 2:
      (void)f.client->delete_item({.table = "threads", .key = key, .return_old_item = true});
      break;
    case 3:
      (void)f.client->batch_get_item({.table = "threads", .keys = {key, key}});
      break;
    case 4:
      (void)f.client->scan_all({.table = "threads"});
      break;
    case 5:
      (void)f.client->query({.table = "threads", .key_condition = "thread_id = :t"});
      break;
    case 6:
      (void)f.client->describe_table("threads");
      break;
    case 7:
      (void)f.client->describe_time_to_live("threads");
      break;
    case 8:
      (void)f.client->transact_write_items({.items = {{.table = "threads", .item = key}}});
      break;
    case 9:
      (void)f.client->list_tables();
      break;
    case 10: {
      // The checkpointer on top: a load of whatever came back.
      DynamoDbCheckpointer cp("threads");
      cp.with_client(f.client);
      try {
        (void)cp.load_state("t");
      } catch (const agents::Error&) {
      }
      break;
    }
  }
  return 0;
}
