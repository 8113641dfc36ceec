// The profile provider: static keys, credential_process, role_arn with source_profile /
// credential_source / web_identity_token_file (against an STS stand-in), and its errors.
#include <gtest/gtest.h>

#include "agents/aws/credentials.hpp"
#include "test_helpers.hpp"

namespace agents::aws {
namespace {

using namespace agents::aws::testing;

class ProfileProviderTest : public ::testing::Test {
 protected:
  StatusOr<Credentials> get(const std::string& profile = "") {
    CredentialsChainOptions options;
    options.http = http::make_curl_http_client();
    options.env = env;
    options.home_directory = dir.path();
    options.profile = profile;
    options.sts_endpoint = sts.url();
    auto result = make_profile_credentials_provider(options)->get(Clock::now());
    if (!result.ok()) expect_no_secret(result.status().message());
    return result;
  }

  TempDir dir;
  FakeEnv env;
  StsStandIn sts;
};

TEST_F(ProfileProviderTest, StaticKeysOfTheDefaultProfile) {
  dir.write(".aws/credentials",
            std::string("[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = ") + kSecret +
                "\naws_session_token = " + kToken + "\n");
  auto c = get();
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->access_key_id, "AKIDDEFAULT");
  EXPECT_EQ(c->secret_access_key, kSecret);
  EXPECT_EQ(c->session_token, kToken);
  EXPECT_EQ(c->source, "profile default");
  EXPECT_FALSE(c->expiration);
}

TEST_F(ProfileProviderTest, AwsProfileSelectsAndConfigFileKeysWork) {
  dir.write(
      ".aws/config",
      std::string("[profile dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = ") + kSecret + "\n");
  env.set("AWS_PROFILE", "dev");
  auto c = get();
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->access_key_id, "AKIDDEV");
}

TEST_F(ProfileProviderTest, MissingDefaultIsUnavailableButAMissingNamedProfileIsAnError) {
  auto missing_default = get();
  EXPECT_EQ(missing_default.status().code(), ErrorCode::kCredentialsUnavailable);
  EXPECT_EQ(missing_default.status().message(), "profile default: no such profile in " + dir.path() +
                                                    "/.aws/credentials or " + dir.path() + "/.aws/config");
  env.set("AWS_PROFILE", "prod");
  auto missing_named = get();
  EXPECT_EQ(missing_named.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(missing_named.status().message().find("named by AWS_PROFILE"), std::string::npos);
}

TEST_F(ProfileProviderTest, ProfileWithoutCredentialsIsUnavailable) {
  dir.write(".aws/config", "[default]\nregion = us-west-2\n");
  auto c = get();
  EXPECT_EQ(c.status().code(), ErrorCode::kCredentialsUnavailable);
  EXPECT_NE(c.status().message().find("no credentials in the profile"), std::string::npos);
}

TEST_F(ProfileProviderTest, KeyIdWithoutSecretIsAnError) {
  dir.write(".aws/credentials", "[default]\naws_access_key_id = AKID\n");
  EXPECT_EQ(get().status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(ProfileProviderTest, MalformedFileStopsWithFileAndLine) {
  dir.write(".aws/credentials", std::string("[default]\naws_secret_access_key ") + kSecret + "\n");
  auto c = get();
  EXPECT_EQ(c.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("credentials line 2"), std::string::npos);
}

TEST_F(ProfileProviderTest, CredentialProcessVersion1WithAndWithoutExpiration) {
  std::string json = std::string(R"({"Version": 1, "AccessKeyId": "AKIDPROC", "SecretAccessKey": ")") +
                     kSecret + R"(", "SessionToken": ")" + kToken +
                     R"(", "Expiration": "2030-01-01T00:00:00Z"})";
  std::string file = dir.write("creds.json", json);
  dir.write(".aws/config", "[default]\ncredential_process = cat " + file + "\n");
  auto c = get();
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->access_key_id, "AKIDPROC");
  EXPECT_EQ(c->session_token, kToken);
  ASSERT_TRUE(c->expiration);
  EXPECT_EQ(*c->expiration, Clock::from_time_t(1893456000));
  EXPECT_EQ(c->source, "credential_process (profile default)");

  dir.write("creds.json",
            std::string(R"({"Version":1,"AccessKeyId":"AKIDPROC","SecretAccessKey":")") + kSecret + R"("})");
  auto forever = get();
  ASSERT_TRUE(forever.ok()) << forever.status().message();
  EXPECT_FALSE(forever->expiration);
}

TEST_F(ProfileProviderTest, CredentialProcessFailuresNeverQuoteItsOutput) {
  std::string script = dir.write("fail.sh", std::string("printf '%s' '{\"Version\":2,\"AccessKeyId\":\"A\","
                                                        "\"SecretAccessKey\":\"") +
                                                kSecret + "\"}'; exit ${EXIT:-0}\n");
  dir.write(".aws/config", "[default]\ncredential_process = sh " + script + "\n");
  auto wrong_version = get();
  EXPECT_EQ(wrong_version.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(wrong_version.status().message().find("\"Version\": 1"), std::string::npos);

  dir.write(".aws/config", "[default]\ncredential_process = EXIT=3 sh " + script + "\n");
  auto exit_status = get();
  EXPECT_NE(exit_status.status().message().find("exited with status 3"), std::string::npos);

  dir.write(".aws/config", std::string("[default]\ncredential_process = echo not json ") + kSecret + "\n");
  auto not_json = get();
  EXPECT_NE(not_json.status().message().find("did not print a JSON object"), std::string::npos);
}

TEST_F(ProfileProviderTest, RoleArnWithSourceProfileCallsAssumeRoleSignedWithTheSourceKeys) {
  dir.write(
      ".aws/config",
      "[profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = base\n"
      "role_session_name = my-session\nexternal_id = ext-1\nduration_seconds = 1800\nregion = eu-west-1\n");
  dir.write(".aws/credentials",
            std::string("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = ") + kSecret + "\n");
  sts.answer(200, sts_credentials_xml("AssumeRole", "ASIAROLE"));
  auto c = get("app");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->access_key_id, "ASIAROLE");
  EXPECT_EQ(c->secret_access_key, kSecret);
  EXPECT_EQ(c->session_token, kToken);
  EXPECT_EQ(c->expiration, Clock::from_time_t(1893456000));
  EXPECT_EQ(c->source, "assume role arn:aws:iam::123456789012:role/app (profile app)");
  EXPECT_EQ(sts.last_body(),
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fapp"
            "&RoleSessionName=my-session&ExternalId=ext-1&DurationSeconds=1800");
  // Signed by the source keys for service sts in the profile's region.
  std::string auth = sts.last_authorization();
  EXPECT_TRUE(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDBASE/")) << auth;
  EXPECT_NE(auth.find("/eu-west-1/sts/aws4_request"), std::string::npos) << auth;
  expect_no_secret(auth);
}

TEST_F(ProfileProviderTest, ChainedRolesAndSelfReferenceAndCycles) {
  sts.answer(200, sts_credentials_xml("AssumeRole", "ASIACHAIN"));
  dir.write(".aws/config",
            "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
            "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = c\n"
            "[profile c]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = c\naws_access_key_id = AKIDC\n"
            "aws_secret_access_key = " +
                std::string(kSecret) +
                "\n"
                "[profile x]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = y\n"
                "[profile y]\nrole_arn = arn:aws:iam::1:role/y\nsource_profile = x\n");
  auto chained = get("a");
  ASSERT_TRUE(chained.ok()) << chained.status().message();
  // As in botocore, chaining stops at a source profile with static keys: c's keys assume b, whose
  // credentials assume a; c's own role_arn only counts when c itself is selected.
  EXPECT_EQ(sts.calls(), 2);
  EXPECT_EQ(sts.last_security_token(), kToken);  // a was assumed with b's temporary credentials

  auto self = get("c");
  ASSERT_TRUE(self.ok()) << self.status().message();
  EXPECT_EQ(sts.calls(), 3);
  EXPECT_TRUE(sts.last_authorization().starts_with("AWS4-HMAC-SHA256 Credential=AKIDC/"));
  EXPECT_NE(sts.last_body().find("role%2Fc"), std::string::npos);

  auto cycle = get("x");
  EXPECT_EQ(cycle.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(cycle.status().message().find("source_profile cycle x -> y -> x"), std::string::npos)
      << cycle.status().message();
}

TEST_F(ProfileProviderTest, CredentialSourceEnvironmentAndItsAbsence) {
  dir.write(".aws/config", "[default]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Environment\n");
  sts.answer(200, sts_credentials_xml("AssumeRole", "ASIAENVROLE"));
  auto missing = get();
  EXPECT_EQ(missing.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("AWS_ACCESS_KEY_ID not set"), std::string::npos);

  env.set("AWS_ACCESS_KEY_ID", "AKIDENV").set("AWS_SECRET_ACCESS_KEY", kSecret);
  auto c = get();
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->access_key_id, "ASIAENVROLE");
  EXPECT_TRUE(sts.last_authorization().starts_with("AWS4-HMAC-SHA256 Credential=AKIDENV/"));

  dir.write(".aws/config", "[default]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Somewhere\n");
  EXPECT_EQ(get().status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(ProfileProviderTest, StsDenialStopsWithTheServiceCodeAndRequestId) {
  dir.write(".aws/config", "[default]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n");
  dir.write(".aws/credentials",
            std::string("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = ") + kSecret + "\n");
  // A service that quotes the secret back must not get it into our message.
  sts.answer(403, sts_error_xml("AccessDenied", std::string("not authorized to assume; key ") + kSecret));
  auto c = get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kAccessDenied);
  EXPECT_EQ(c.status().details().service_code, "AccessDenied");
  EXPECT_EQ(c.status().details().request_id, "req-err-1");
  EXPECT_EQ(c.status().details().http_status, 403);
  EXPECT_NE(c.status().message().find("profile default: STS AssumeRole for arn:aws:iam::1:role/r failed: "
                                      "AccessDenied: not authorized to assume; key <redacted>"),
            std::string::npos)
      << c.status().message();
}

TEST_F(ProfileProviderTest, WebIdentityTokenFileInAProfile) {
  std::string token_file = dir.write("token", kWebToken);
  dir.write(".aws/config", "[default]\nrole_arn = arn:aws:iam::1:role/web\nweb_identity_token_file = " +
                               token_file + "\nrole_session_name = s1\n");
  sts.answer(200, sts_credentials_xml("AssumeRoleWithWebIdentity", "ASIAWEB"));
  auto c = get();
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->access_key_id, "ASIAWEB");
  EXPECT_EQ(sts.last_authorization(), "");  // unsigned
  EXPECT_NE(sts.last_body().find("Action=AssumeRoleWithWebIdentity"), std::string::npos);
}

TEST_F(ProfileProviderTest, SsoAndMfaProfilesSayWhatToDoInstead) {
  dir.write(".aws/config", "[default]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\n");
  auto sso = get();
  EXPECT_EQ(sso.status().code(), ErrorCode::kUnsupported);
  EXPECT_NE(sso.status().message().find("aws configure export-credentials"), std::string::npos);

  dir.write(".aws/config",
            "[default]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = default\n"
            "mfa_serial = arn:aws:iam::1:mfa/u\n");
  EXPECT_EQ(get().status().code(), ErrorCode::kUnsupported);
}

}  // namespace
}  // namespace agents::aws
