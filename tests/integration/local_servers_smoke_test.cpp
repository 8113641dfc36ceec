// A raw ListTables request reaches each real local server through the library's transport.
#include <gtest/gtest.h>

#include "agents/http/http_client.hpp"
#include "support/local_servers.hpp"

namespace agents {
namespace {

using agents::testing::LocalServer;

class LocalServerSmokeTest : public ::testing::TestWithParam<LocalServer> {};

TEST_P(LocalServerSmokeTest, ListTablesAnswers) {
  AGENTS_REQUIRE_LOCAL_SERVER(GetParam(), endpoint);
  auto client = http::make_curl_http_client();
  http::Request request{
      .method = "POST",
      .url = endpoint + "/",
      .headers = {{"Content-Type", "application/x-amz-json-1.0"},
                  {"X-Amz-Target", "DynamoDB_20120810.ListTables"},
                  {"X-Amz-Date", "20240101T000000Z"},
                  // Local servers check the header's shape, not the signature.
                  {"Authorization",
                   "AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20240101/us-east-1/dynamodb/aws4_request, "
                   "SignedHeaders=host;x-amz-date;x-amz-target, Signature=00"}},
      .body = "{}"};
  auto response = client->send(request);
  ASSERT_TRUE(response.ok()) << response.status().message();
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_NE(response->body.find("\"TableNames\""), std::string::npos) << response->body;
}

INSTANTIATE_TEST_SUITE_P(Servers, LocalServerSmokeTest,
                         ::testing::Values(agents::testing::kDynamoDbLocal, agents::testing::kDynalite),
                         agents::testing::server_test_name);

}  // namespace
}  // namespace agents
