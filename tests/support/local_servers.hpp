// The real DynamoDB-compatible servers the integration tests run against, started by
// scripts/local-dynamodb (which exports their endpoints). Tests are parameterised over both.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <ostream>
#include <string>

namespace agents::testing {

struct LocalServer {
  std::string name;  ///< "DynamoDbLocal" or "Dynalite" (test-name friendly)
  std::string env_var;
};

inline const LocalServer kDynamoDbLocal{"DynamoDbLocal", "AGENTS_TEST_DDBLOCAL_ENDPOINT"};
inline const LocalServer kDynalite{"Dynalite", "AGENTS_TEST_DYNALITE_ENDPOINT"};

// GoogleTest prints a parameter without PrintTo as its bytes, which puts pointers into ctest's
// test names (a different name every build).
inline void PrintTo(const LocalServer& server, std::ostream* os) { *os << server.name; }

inline std::string server_test_name(const ::testing::TestParamInfo<LocalServer>& info) {
  return info.param.name;
}

/// The endpoint, or "" after marking the test failed (under scripts/test) or skipped (by hand).
inline std::string endpoint_or_skip(const LocalServer& server) {
  const char* value = std::getenv(server.env_var.c_str());
  if (value != nullptr && *value != '\0') return value;
  return "";
}

}  // namespace agents::testing

/// Use at the start of a test body: skips (or fails under scripts/test) when the server is not up.
#define AGENTS_REQUIRE_LOCAL_SERVER(server, endpoint_var)                                              \
  std::string endpoint_var = ::agents::testing::endpoint_or_skip(server);                              \
  if (endpoint_var.empty()) {                                                                          \
    if (std::getenv("AGENTS_REQUIRE_SERVERS") != nullptr) FAIL() << (server).env_var << " is not set"; \
    GTEST_SKIP() << (server).env_var << " not set; start servers with scripts/local-dynamodb start";   \
  }
