// The stores a parameterized suite runs against (the conformance suites): each makes a fresh,
// empty store and, for the same store value, another instance over it (as a second process would).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "agents/checkpoint/checkpointer.hpp"
#include "support/dynamodb_fixture.hpp"

namespace agents::testing {

struct StoreBackend {
  std::string name;  ///< DynamoDB backends start with "DynamoDbLocal" or "Dynalite"
  std::function<std::shared_ptr<Checkpointer>(const std::string& store)> make;
  std::function<std::string()> new_store;
};
// Stable ctest names: the backend's name, not the parameter's bytes (which hold pointers).
inline void PrintTo(const StoreBackend& backend, std::ostream* os) { *os << backend.name; }

/// The local server a backend needs; nullptr for the in-memory and file stores.
inline const LocalServer* server_of(const StoreBackend& backend) {
  if (backend.name.starts_with("Dynalite")) return &kDynalite;
  if (backend.name.starts_with("DynamoDbLocal")) return &kDynamoDbLocal;
  return nullptr;
}

/// A fresh directory under the system's temporary directory.
inline std::string new_temp_dir(const std::string& prefix) {
  auto dir = std::filesystem::temp_directory_path() / unique_table_name(prefix);
  std::filesystem::create_directories(dir);
  return dir.string();
}

/// A fresh table on `server` ("" when the server is not running: the suite skips).
inline std::string new_local_table(const LocalServer& server, const std::string& prefix) {
  std::string endpoint = endpoint_or_skip(server);
  if (endpoint.empty()) return "";
  std::string table = unique_table_name(prefix);
  auto client = make_local_client(endpoint);
  create_table_and_wait(*client, {.table = table, .partition_key = {"thread_id", "S"}});
  return table;
}

/// A suite over every backend: a fresh store per test (skipped when its server is not running).
class StoreSuite : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    if (const auto* server = server_of(GetParam())) {
      AGENTS_REQUIRE_LOCAL_SERVER(*server, endpoint);
    }
    store_ = GetParam().new_store();
    cp_ = GetParam().make(store_);
  }
  /// Another checkpointer over the same store.
  std::shared_ptr<Checkpointer> another_instance() { return GetParam().make(store_); }

  std::string store_;
  std::shared_ptr<Checkpointer> cp_;
};

}  // namespace agents::testing
