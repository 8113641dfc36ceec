// Web identity (EKS IRSA): token file read on every call, unsigned AssumeRoleWithWebIdentity,
// STS endpoint selection, STS errors.
#include <gtest/gtest.h>

#include "agents/aws/credentials.hpp"
#include "aws/credentials/sts.hpp"
#include "test_helpers.hpp"

namespace agents::aws {
namespace {

using namespace agents::aws::testing;

class WebIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_file = dir.write("token", kWebToken);
    env.set("AWS_WEB_IDENTITY_TOKEN_FILE", token_file)
        .set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/pod")
        .set("AWS_ROLE_SESSION_NAME", "pod-session")
        .set("AWS_ENDPOINT_URL_STS", sts.url() + "/");
  }
  StatusOr<Credentials> get() {
    CredentialsChainOptions options{
        .http = http::make_curl_http_client(), .env = env, .home_directory = dir.path()};
    auto result = make_web_identity_credentials_provider(options)->get(Clock::now());
    if (!result.ok()) expect_no_secret(result.status().message());
    return result;
  }

  TempDir dir;
  FakeEnv env;
  StsStandIn sts;
  std::string token_file;
};

TEST_F(WebIdentityTest, ExchangesTheTokenUnsignedAndParsesTheXml) {
  sts.answer(200, sts_credentials_xml("AssumeRoleWithWebIdentity", "ASIAPOD", "2030-01-01T00:00:00.000Z"));
  auto c = get();
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->access_key_id, "ASIAPOD");
  EXPECT_EQ(c->secret_access_key, kSecret);
  EXPECT_EQ(c->session_token, kToken);
  EXPECT_EQ(c->expiration, Clock::from_time_t(1893456000));
  EXPECT_EQ(c->source, "web identity arn:aws:iam::123456789012:role/pod (web identity)");
  EXPECT_EQ(sts.last_authorization(), "");
  EXPECT_EQ(sts.last_body(),
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%"
            "3Arole%2Fpod"
            "&RoleSessionName=pod-session&WebIdentityToken=" +
                std::string(kWebToken));  // letters, digits and dots need no encoding
}

TEST_F(WebIdentityTest, ReadsTheTokenFileAgainOnEveryCall) {
  sts.answer(200, sts_credentials_xml("AssumeRoleWithWebIdentity", "ASIAPOD"));
  ASSERT_TRUE(get().ok());
  dir.write("token", "rotated-token\n");
  ASSERT_TRUE(get().ok());
  EXPECT_TRUE(sts.last_body().ends_with("&WebIdentityToken=rotated-token")) << sts.last_body();
}

TEST_F(WebIdentityTest, NotConfiguredIsUnavailableAndHalfConfiguredIsAnError) {
  env.set("AWS_WEB_IDENTITY_TOKEN_FILE", "");
  auto none = get();
  EXPECT_EQ(none.status().code(), ErrorCode::kCredentialsUnavailable);
  EXPECT_EQ(none.status().message(), "web identity: AWS_WEB_IDENTITY_TOKEN_FILE not set");

  env.set("AWS_WEB_IDENTITY_TOKEN_FILE", token_file).set("AWS_ROLE_ARN", "");
  EXPECT_EQ(get().status().code(), ErrorCode::kInvalidArgument);

  env.set("AWS_ROLE_ARN", "arn:aws:iam::1:role/r")
      .set("AWS_WEB_IDENTITY_TOKEN_FILE", dir.path() + "/missing");
  auto unreadable = get();
  EXPECT_EQ(unreadable.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(unreadable.status().message().find("cannot read the web identity token file"), std::string::npos);
  EXPECT_EQ(sts.calls(), 0);
}

TEST_F(WebIdentityTest, StsErrorsBecomeClearErrors) {
  sts.answer(400, sts_error_xml("InvalidIdentityToken", "Incorrect token audience"));
  auto c = get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(c.status().message(),
            "web identity: STS AssumeRoleWithWebIdentity for arn:aws:iam::123456789012:role/pod failed: "
            "InvalidIdentityToken: Incorrect token audience (HTTP 400, request id req-err-1)");

  sts.answer(400, sts_error_xml("Throttling", "Rate exceeded"));
  auto throttled = get();
  EXPECT_EQ(throttled.status().code(), ErrorCode::kThrottled);
  EXPECT_TRUE(throttled.status().details().transient);

  sts.answer(503, "<html>unavailable</html>");
  auto unavailable = get();
  EXPECT_EQ(unavailable.status().code(), ErrorCode::kServiceError);
  EXPECT_TRUE(unavailable.status().details().transient);

  sts.answer(200, "<AssumeRoleWithWebIdentityResponse></AssumeRoleWithWebIdentityResponse>");
  EXPECT_EQ(get().status().code(), ErrorCode::kServiceError);
}

TEST_F(WebIdentityTest, TheTokenQuotedBackByStsIsRedacted) {
  sts.answer(400, sts_error_xml("InvalidIdentityToken", std::string("bad token ") + kWebToken));
  auto c = get();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("bad token <redacted>"), std::string::npos) << c.status().message();
}

TEST(StsEndpoint, OptionThenVariablesThenTheRegionalEndpointOfThePartition) {
  CredentialsChainOptions options{.region = "us-west-2", .env = FakeEnv{}};
  EXPECT_EQ(detail::sts_endpoint(options).url, "https://sts.us-west-2.amazonaws.com");
  options.region = "cn-north-1";
  EXPECT_EQ(detail::sts_endpoint(options).url, "https://sts.cn-north-1.amazonaws.com.cn");
  options.env = FakeEnv{{"AWS_ENDPOINT_URL", "http://localhost:4566/"}};
  EXPECT_EQ(detail::sts_endpoint(options).url, "http://localhost:4566");
  options.env =
      FakeEnv{{"AWS_ENDPOINT_URL", "http://localhost:4566"}, {"AWS_ENDPOINT_URL_STS", "http://sts:1"}};
  EXPECT_EQ(detail::sts_endpoint(options).url, "http://sts:1");
  options.sts_endpoint = "http://explicit:2";
  EXPECT_EQ(detail::sts_endpoint(options).url, "http://explicit:2");

  CredentialsChainOptions no_region{.env = FakeEnv{{"AWS_DEFAULT_REGION", "eu-north-1"}}};
  EXPECT_EQ(detail::sts_endpoint(no_region).region, "eu-north-1");
  CredentialsChainOptions nothing{.env = FakeEnv{}};
  EXPECT_EQ(detail::sts_endpoint(nothing).region, "us-east-1");
}

}  // namespace
}  // namespace agents::aws
