// The chain: order, stopping on a broken source, the listing of what each source said, and the
// default chain end to end against stand-ins (temp profile files, container endpoint, IMDS).
#include <gtest/gtest.h>

#include "agents/aws/credentials.hpp"
#include "test_helpers.hpp"

namespace agents::aws {
namespace {

using namespace agents::aws::testing;

/// Answers with a fixed result and counts its calls.
class FixedProvider final : public CredentialsProvider {
 public:
  FixedProvider(std::string name, StatusOr<Credentials> result)
      : name_(std::move(name)), result_(std::move(result)) {}
  StatusOr<Credentials> get(Clock::time_point /*now*/) override {
    ++calls;
    return result_;
  }
  std::string name() const override { return name_; }
  int calls = 0;

 private:
  std::string name_;
  StatusOr<Credentials> result_;
};

std::shared_ptr<FixedProvider> fixed(const std::string& name, StatusOr<Credentials> result) {
  return std::make_shared<FixedProvider>(name, std::move(result));
}

TEST(CredentialsChain, FirstSuccessWins) {
  auto a = fixed("a", Status(ErrorCode::kCredentialsUnavailable, "a: nothing"));
  auto b = fixed("b", Credentials{.access_key_id = "B", .secret_access_key = kSecret});
  auto c = fixed("c", Credentials{.access_key_id = "C", .secret_access_key = kSecret});
  auto result = make_credentials_chain({a, b, c})->get(Clock::now());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->access_key_id, "B");
  EXPECT_EQ(c->calls, 0);
}

TEST(CredentialsChain, ABrokenSourceStopsTheChain) {
  auto a = fixed("a", Status(ErrorCode::kInvalidArgument, "a: malformed"));
  auto b = fixed("b", Credentials{.access_key_id = "B", .secret_access_key = kSecret});
  auto result = make_credentials_chain({a, b})->get(Clock::now());
  EXPECT_EQ(result.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(), "a: malformed");
  EXPECT_EQ(b->calls, 0);
}

TEST(CredentialsChain, NothingFoundListsEverySource) {
  auto result = make_credentials_chain({fixed("a", Status(ErrorCode::kCredentialsUnavailable, "a: not set")),
                                        fixed("b", Status(ErrorCode::kCredentialsUnavailable, "b: no file"))})
                    ->get(Clock::now());
  EXPECT_EQ(result.status().code(), ErrorCode::kCredentialsUnavailable);
  EXPECT_TRUE(
      result.status().message().starts_with("no AWS credentials found. Tried a: not set; b: no file."))
      << result.status().message();
}

/// The default chain with every source pointed at a stand-in or a temp dir.
class DefaultChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    container.server().Get("/creds", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(R"({"AccessKeyId":"ASIACONTAINER","SecretAccessKey":")") + kSecret +
                          R"(","Token":")" + kToken + R"(","Expiration":"2030-01-01T00:00:00Z"})",
                      "application/json");
    });
    container.start();
    imds.start();
    env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url());
  }
  StatusOr<Credentials> get(const std::string& profile = "") {
    CredentialsChainOptions options{.http = http::make_curl_http_client(), .profile = profile, .env = env};
    options.home_directory = dir.path();
    options.container_host = container.url("");
    options.sts_endpoint = sts.url();
    auto result = make_default_credentials_chain(options)->get(Clock::now());
    if (!result.ok()) expect_no_secret(result.status().message());
    return result;
  }
  void set_environment_keys() {
    env.set("AWS_ACCESS_KEY_ID", "AKIDENV").set("AWS_SECRET_ACCESS_KEY", kSecret);
  }
  void write_profile() {
    dir.write(".aws/credentials",
              std::string("[default]\naws_access_key_id = AKIDPROFILE\n"
                          "aws_secret_access_key = ") +
                  kSecret + "\n[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = " + kSecret +
                  "\n");
  }
  void set_container() { env.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/creds"); }

  TempDir dir;
  FakeEnv env;
  agents::testing::LoopbackServer container;
  ImdsStandIn imds;
  StsStandIn sts;
};

TEST_F(DefaultChainTest, EnvironmentBeatsProfileBeatsContainerBeatsImds) {
  set_environment_keys();
  write_profile();
  set_container();
  EXPECT_EQ(get()->access_key_id, "AKIDENV");
  env.set("AWS_ACCESS_KEY_ID", "").set("AWS_SECRET_ACCESS_KEY", "");
  EXPECT_EQ(get()->access_key_id, "AKIDPROFILE");
  dir.write(".aws/credentials", "");
  EXPECT_EQ(get()->access_key_id, "ASIACONTAINER");
  env.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "");
  EXPECT_EQ(get()->access_key_id, "ASIAIMDS");
  EXPECT_EQ(imds.token_requests, 1);  // IMDS asked only when all else failed
}

TEST_F(DefaultChainTest, WebIdentityComesRightAfterTheEnvironment) {
  write_profile();
  env.set("AWS_WEB_IDENTITY_TOKEN_FILE", dir.write("token", kWebToken))
      .set("AWS_ROLE_ARN", "arn:aws:iam::1:role/w");
  sts.answer(200, sts_credentials_xml("AssumeRoleWithWebIdentity", "ASIAWEB"));
  EXPECT_EQ(get()->access_key_id, "ASIAWEB");
  set_environment_keys();
  EXPECT_EQ(get()->access_key_id, "AKIDENV");
}

TEST_F(DefaultChainTest, AProfileChosenInCodeBeatsTheEnvironment) {
  set_environment_keys();
  write_profile();
  EXPECT_EQ(get("other")->access_key_id, "AKIDOTHER");
  env.set("AWS_PROFILE", "other");  // the variable does not disable the environment keys
  EXPECT_EQ(get()->access_key_id, "AKIDENV");
}

TEST_F(DefaultChainTest, ABrokenProfileStopsTheChainBeforeImds) {
  dir.write(".aws/credentials", "[default]\naws_access_key_id = AKID\n");
  auto c = get();
  EXPECT_EQ(c.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(imds.token_requests, 0);
}

TEST_F(DefaultChainTest, NothingFoundSaysWhatEachSourceSaid) {
  env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1");
  auto c = get();
  ASSERT_EQ(c.status().code(), ErrorCode::kCredentialsUnavailable);
  const std::string& m = c.status().message();
  std::string files = dir.path() + "/.aws/credentials or " + dir.path() + "/.aws/config";
  for (const std::string& part :
       {std::string("no AWS credentials found. Tried environment: AWS_ACCESS_KEY_ID not set; "),
        std::string("web identity: AWS_WEB_IDENTITY_TOKEN_FILE not set; "),
        "profile default: no such profile in " + files + "; ",
        std::string("container: neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI set; "),
        std::string("instance metadata: not reachable at http://127.0.0.1:1")}) {
    EXPECT_NE(m.find(part), std::string::npos) << "missing \"" << part << "\" in: " << m;
  }
}

// Every kind of failure, each set up with the fake secrets within reach of the message.
TEST_F(DefaultChainTest, NoErrorMessageContainsASecret) {
  std::vector<std::string> messages;
  auto collect = [&](const std::string& what) {
    auto c = get();
    ASSERT_FALSE(c.ok()) << what;
    messages.push_back(c.status().message());
  };
  env.set("AWS_SECRET_ACCESS_KEY", kSecret).set("AWS_SESSION_TOKEN", kToken);
  env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1");
  collect("nothing configured");
  dir.write(".aws/credentials", std::string("[default]\naws_secret_access_key ") + kSecret + "\n");
  collect("malformed file");
  dir.write(".aws/credentials", std::string("[default]\naws_secret_access_key = ") + kSecret + "\n");
  collect("secret without key id");
  dir.write(".aws/credentials", std::string("[default]\naws_access_key_id = A\naws_secret_access_key = ") +
                                    kSecret + "\naws_session_token = " + kToken + "\n");
  dir.write(".aws/config", "[default]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = default\n");
  sts.answer(403,
             sts_error_xml("SignatureDoesNotMatch", std::string("secret ") + kSecret + " token " + kToken));
  collect("sts denial quoting the secret");
  dir.write(".aws/config", std::string("[default]\ncredential_process = echo ") + kSecret + "\n");
  dir.write(".aws/credentials", "");
  collect("credential_process printing junk");
  dir.write(".aws/config", "");
  env.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/missing");
  env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", kContainerToken);
  collect("container 404");
  env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", std::string(kContainerToken) + "\n");
  collect("container token with newline");
  env.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "");
  env.set("AWS_WEB_IDENTITY_TOKEN_FILE", dir.write("token", kWebToken))
      .set("AWS_ROLE_ARN", "arn:aws:iam::1:role/w");
  sts.answer(400, sts_error_xml("InvalidIdentityToken", std::string("token ") + kWebToken));
  collect("web identity refused");
  ASSERT_EQ(messages.size(), 8u);
  for (const auto& message : messages) {
    expect_no_secret(message);
    EXPECT_FALSE(message.empty());
  }
}

}  // namespace
}  // namespace agents::aws
