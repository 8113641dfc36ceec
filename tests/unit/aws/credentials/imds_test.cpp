// EC2 instance metadata credentials against a stand-in: IMDSv2, the IMDSv1 fallback and its
// limits, the switches, static stability.
#include <gtest/gtest.h>

#include "agents/aws/credentials.hpp"
#include "test_helpers.hpp"

namespace agents::aws {
namespace {

using namespace agents::aws::testing;
using namespace std::chrono_literals;

class ImdsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    imds.start();
    env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url() + "/");
  }
  StatusOr<Credentials> get(Clock::time_point now = Clock::from_time_t(1767225600)) {
    CredentialsChainOptions options{.http = http::make_curl_http_client(), .env = env};
    auto result = make_instance_metadata_credentials_provider(options)->get(now);
    if (!result.ok()) expect_no_secret(result.status().message());
    return result;
  }

  ImdsStandIn imds;
  FakeEnv env;
};

TEST_F(ImdsTest, Imdsv2TokenThenRoleThenCredentials) {
  auto c = get();
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->access_key_id, "ASIAIMDS");
  EXPECT_EQ(c->secret_access_key, kSecret);
  EXPECT_EQ(c->session_token, kToken);
  EXPECT_EQ(c->expiration, Clock::from_time_t(1893456000));
  EXPECT_EQ(c->source, "EC2 instance metadata (role app-role)");
  EXPECT_EQ(imds.token_requests, 1);
  EXPECT_EQ(imds.ttl_header, "21600");
  EXPECT_EQ(imds.v1_requests, 0);
}

TEST_F(ImdsTest, FallsBackToImdsv1WhenTheTokenCallIsRefused) {
  for (int status : {403, 404, 405}) {
    imds.token_status = status;
    imds.v1_requests = 0;
    auto c = get();
    ASSERT_TRUE(c.ok()) << status << ": " << c.status().message();
    EXPECT_EQ(imds.v1_requests, 2) << status;
  }
}

TEST_F(ImdsTest, NoFallbackWhenImdsv1IsDisabledOrTheTokenCallAnswers400) {
  imds.token_status = 403;
  env.set("AWS_EC2_METADATA_V1_DISABLED", "true");
  auto v1_disabled = get();
  EXPECT_EQ(v1_disabled.status().code(), ErrorCode::kCredentialsUnavailable);
  EXPECT_NE(v1_disabled.status().message().find("AWS_EC2_METADATA_V1_DISABLED"), std::string::npos);

  env.set("AWS_EC2_METADATA_V1_DISABLED", "");
  imds.token_status = 400;
  auto bad_request = get();
  EXPECT_EQ(bad_request.status().code(), ErrorCode::kCredentialsUnavailable);
  EXPECT_NE(bad_request.status().message().find("rejected (HTTP 400)"), std::string::npos);
  EXPECT_EQ(imds.v1_requests, 0);
}

TEST_F(ImdsTest, DisabledByTheVariable) {
  env.set("AWS_EC2_METADATA_DISABLED", "TRUE");
  auto c = get();
  EXPECT_EQ(c.status().message(), "instance metadata: disabled by AWS_EC2_METADATA_DISABLED");
  EXPECT_EQ(imds.token_requests, 0);
}

TEST_F(ImdsTest, NoRoleAndBadDocumentsAreUnavailable) {
  imds.role = "";
  EXPECT_EQ(get().status().message(), "instance metadata: no IAM role is attached to this instance");
  imds.role = "app-role";
  imds.credentials_json = R"({"Code":"AssumeRoleUnauthorizedAccess","Message":"denied"})";
  auto refused = get();
  EXPECT_EQ(refused.status().code(), ErrorCode::kCredentialsUnavailable);
  EXPECT_NE(refused.status().message().find("AssumeRoleUnauthorizedAccess"), std::string::npos);
  imds.credentials_json = std::string("<html>") + kSecret;
  EXPECT_EQ(get().status().code(), ErrorCode::kCredentialsUnavailable);
}

TEST_F(ImdsTest, UnreachableIsUnavailableAndQuick) {
  env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1");
  auto c = get();
  EXPECT_EQ(c.status().code(), ErrorCode::kCredentialsUnavailable);
  EXPECT_NE(c.status().message().find("not reachable at http://127.0.0.1:1"), std::string::npos);
}

TEST_F(ImdsTest, CredentialsInsideTheRefreshWindowAreExtended) {
  auto now = Clock::from_time_t(1893456000) - 5min;  // five minutes before they expire
  auto c = get(now);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->expiration);
  EXPECT_GE(*c->expiration, now + 15min + 2min);
  EXPECT_LE(*c->expiration, now + 15min + 10min);

  auto after_expiry = Clock::from_time_t(1893456000) + 1h;  // an outage served stale ones
  auto stale = get(after_expiry);
  ASSERT_TRUE(stale.ok());
  EXPECT_GT(*stale->expiration, after_expiry + 15min);
}

}  // namespace
}  // namespace agents::aws
