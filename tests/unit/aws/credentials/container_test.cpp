// Container credentials (ECS, EKS Pod Identity) against a stand-in endpoint.
#include <gtest/gtest.h>

#include <vector>

#include "agents/aws/credentials.hpp"
#include "test_helpers.hpp"

namespace agents::aws {
namespace {

using namespace agents::aws::testing;
using namespace std::chrono_literals;

class ContainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server.server().Get("/v2/credentials/abc", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu);
      ++calls;
      authorization = req.get_header_value("Authorization");
      accept = req.get_header_value("Accept");
      res.status = status;
      res.set_content(std::string(R"({"AccessKeyId":"ASIACONTAINER","SecretAccessKey":")") + kSecret +
                          R"(","Token":")" + kToken +
                          R"(","Expiration":"2030-01-01T00:00:00Z","RoleArn":"r"})",
                      "application/json");
    });
    server.start();
  }
  StatusOr<Credentials> get() {
    CredentialsChainOptions options{
        .http = http::make_curl_http_client(), .env = env, .home_directory = dir.path()};
    options.container_host = server.url("");
    options.container_retry_delay = 250ms;
    options.sleeper = [this](std::chrono::milliseconds d) { waits.push_back(d); };
    auto result = make_container_credentials_provider(options)->get(Clock::now());
    if (!result.ok()) expect_no_secret(result.status().message());
    return result;
  }

  agents::testing::LoopbackServer server;
  std::mutex mu;
  int status = 200;
  int calls = 0;
  std::vector<std::chrono::milliseconds> waits;  ///< through the injected sleeper, not slept
  std::string authorization, accept;
  TempDir dir;
  FakeEnv env;
};

TEST_F(ContainerTest, RelativeUriGoesToTheContainerHost) {
  env.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc");
  auto c = get();
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->access_key_id, "ASIACONTAINER");
  EXPECT_EQ(c->secret_access_key, kSecret);
  EXPECT_EQ(c->session_token, kToken);
  EXPECT_EQ(c->expiration, Clock::from_time_t(1893456000));
  EXPECT_EQ(c->source, "container endpoint");
  EXPECT_EQ(accept, "application/json");
  EXPECT_EQ(authorization, "");
}

TEST_F(ContainerTest, FullUriWithTokenFileReadOnEveryCallAndWinningOverTheVariable) {
  std::string token_file = dir.write("token", kContainerToken);
  env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url("/v2/credentials/abc"))
      .set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "from-variable")
      .set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file);
  ASSERT_TRUE(get().ok());
  EXPECT_EQ(authorization, kContainerToken);
  dir.write("token", "rotated");
  ASSERT_TRUE(get().ok());
  EXPECT_EQ(authorization, "rotated");

  env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "");
  ASSERT_TRUE(get().ok());
  EXPECT_EQ(authorization, "from-variable");
}

TEST_F(ContainerTest, TokensWithLineBreaksAreRefused) {
  env.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc");
  env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir.write("token", std::string(kContainerToken) + "\n"));
  auto c = get();
  EXPECT_EQ(c.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("line break"), std::string::npos);
  env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "")
      .set("AWS_CONTAINER_AUTHORIZATION_TOKEN", std::string(kContainerToken) + "\r\nX-Injected: 1");
  EXPECT_EQ(get().status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(calls, 0);
}

TEST_F(ContainerTest, FullUriMustBeHttpsOrALocalHost) {
  for (const char* bad : {"http://example.com/creds", "http://169.254.169.254/creds", "ftp://127.0.0.1/x",
                          "http://10.0.0.1:8080/creds"}) {
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", bad);
    auto c = get();
    EXPECT_EQ(c.status().code(), ErrorCode::kInvalidArgument) << bad;
  }
  // Allowed hosts fail later (nothing listens there), not at validation. https is allowed
  // anywhere; a refused local port keeps this quick.
  for (const char* good : {"http://127.0.0.1:1/creds", "http://localhost:1/creds", "http://[::1]:1/creds",
                           "https://127.0.0.1:1/creds"}) {
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", good);
    auto c = get();
    EXPECT_EQ(c.status().code(), ErrorCode::kConnectionFailed) << good << ": " << c.status().message();
  }
}

TEST_F(ContainerTest, NotConfiguredIsUnavailable) {
  auto c = get();
  EXPECT_EQ(c.status().code(), ErrorCode::kCredentialsUnavailable);
  EXPECT_EQ(
      c.status().message(),
      "container: neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI set");
}

TEST_F(ContainerTest, ServerErrorsAreRetriedAndClientErrorsAreNot) {
  env.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc");
  status = 500;
  auto failed = get();
  EXPECT_EQ(failed.status().code(), ErrorCode::kServiceError);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(waits, (std::vector<std::chrono::milliseconds>{250ms, 250ms}));
  status = 403;
  auto denied = get();
  EXPECT_EQ(denied.status().code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(calls, 4);
}

}  // namespace
}  // namespace agents::aws
