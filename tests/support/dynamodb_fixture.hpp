// A DynamoDB client pointed at one of the real local servers, with a fresh table per test.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>

#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "agents/dynamodb/client.hpp"
#include "support/local_servers.hpp"

namespace agents::testing {

inline std::shared_ptr<aws::CredentialsProvider> local_credentials() {
  return aws::make_static_credentials_provider(
      {.access_key_id = "AKIDLOCALTEST", .secret_access_key = "local-secret-key", .source = "test"});
}

inline std::string unique_table_name(const std::string& prefix) {
  static std::mt19937_64 rng{std::random_device{}()};
  return prefix + "-" + std::to_string(rng() % 1000000000);
}

inline std::shared_ptr<dynamodb::DynamoDbClient> make_local_client(const std::string& endpoint,
                                                                   dynamodb::ClientOptions options = {}) {
  options.region = "us-east-1";
  options.endpoint = endpoint;
  if (!options.credentials) options.credentials = local_credentials();
  auto client = dynamodb::DynamoDbClient::create(std::move(options));
  if (!client.ok()) throw std::runtime_error(client.status().message());
  return *client;
}

/// Creates the table and waits until it is ACTIVE (dynalite reports CREATING for a moment).
inline void create_table_and_wait(dynamodb::DynamoDbClient& client,
                                  const dynamodb::CreateTableRequest& request) {
  auto created = client.create_table(request);
  if (!created.ok()) throw std::runtime_error(created.status().message());
  for (int i = 0; i < 200; ++i) {
    auto d = client.describe_table(request.table);
    if (d.ok() && d->status == "ACTIVE") return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("table " + request.table + " did not become ACTIVE");
}

inline std::int64_t now_epoch() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// A fresh checkpoint table (docs/table-setup.md) on the test's local server, the test parameter.
/// A derived SetUp calls this one first and returns at once when the test was skipped.
class LocalTableTest : public ::testing::TestWithParam<LocalServer> {
 protected:
  explicit LocalTableTest(std::string table_prefix) : table_prefix_(std::move(table_prefix)) {}

  void SetUp() override {
    AGENTS_REQUIRE_LOCAL_SERVER(GetParam(), endpoint);
    endpoint_ = endpoint;
    client_ = make_local_client(endpoint);
    table_ = unique_table_name(table_prefix_);
    create_table_and_wait(*client_, {.table = table_, .partition_key = {"thread_id", "S"}});
  }

  /// A checkpointer on the table, as a user configures one for a local server.
  std::shared_ptr<DynamoDbCheckpointer> local_checkpointer() const {
    auto cp = std::make_shared<DynamoDbCheckpointer>(table_);
    cp->with_endpoint(endpoint_).with_region("us-east-1").with_credentials(local_credentials());
    return cp;
  }

  std::string endpoint_;
  std::shared_ptr<dynamodb::DynamoDbClient> client_;
  std::string table_;

 private:
  std::string table_prefix_;
};

}  // namespace agents::testing
