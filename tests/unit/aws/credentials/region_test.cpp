// resolve_region: explicit > AWS_REGION > AWS_DEFAULT_REGION > profile region > instance metadata.
#include "agents/aws/region.hpp"

#include <gtest/gtest.h>

#include "test_helpers.hpp"

namespace agents::aws {
namespace {

using namespace agents::aws::testing;

class RegionTest : public ::testing::Test {
 protected:
  StatusOr<std::string> resolve(const std::string& explicit_region = "", bool with_http = false) {
    RegionOptions options{.explicit_region = explicit_region, .profile = profile, .env = env};
    options.home_directory = dir.path();
    if (with_http) options.http = http::make_curl_http_client();
    return resolve_region(options);
  }

  TempDir dir;
  FakeEnv env;
  std::string profile;
};

TEST_F(RegionTest, OrderOfPrecedence) {
  dir.write(".aws/config", "[default]\nregion = ap-southeast-2\n[profile dev]\nregion = eu-west-3\n");
  env.set("AWS_REGION", "us-west-2").set("AWS_DEFAULT_REGION", "us-east-2");
  EXPECT_EQ(*resolve("ca-central-1"), "ca-central-1");
  EXPECT_EQ(*resolve(), "us-west-2");
  env.set("AWS_REGION", "");
  EXPECT_EQ(*resolve(), "us-east-2");
  env.set("AWS_DEFAULT_REGION", "");
  EXPECT_EQ(*resolve(), "ap-southeast-2");
  env.set("AWS_PROFILE", "dev");
  EXPECT_EQ(*resolve(), "eu-west-3");
  profile = "default";  // the option beats AWS_PROFILE
  EXPECT_EQ(*resolve(), "ap-southeast-2");
}

TEST_F(RegionTest, RegionInTheCredentialsFileDoesNotCount) {
  dir.write(".aws/credentials", "[default]\nregion = us-west-1\n");
  EXPECT_FALSE(resolve().ok());
}

TEST_F(RegionTest, InstanceMetadataOnlyWithAnHttpClientAndNotWhenDisabled) {
  ImdsStandIn imds;
  imds.start();
  env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url());
  EXPECT_FALSE(resolve().ok());
  EXPECT_EQ(imds.token_requests, 0);
  auto region = resolve("", /*with_http=*/true);
  ASSERT_TRUE(region.ok()) << region.status().message();
  EXPECT_EQ(*region, "eu-central-1");
  EXPECT_EQ(imds.token_requests, 1);

  env.set("AWS_EC2_METADATA_DISABLED", "true");
  auto disabled = resolve("", true);
  ASSERT_FALSE(disabled.ok());
  EXPECT_NE(disabled.status().message().find("instance metadata: disabled by AWS_EC2_METADATA_DISABLED"),
            std::string::npos);
}

TEST_F(RegionTest, ErrorNamesEveryPlaceLookedAt) {
  auto r = resolve();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "no AWS region configured. Looked at with_region/--region: not set; AWS_REGION: not set; "
            "AWS_DEFAULT_REGION: not set; no profile default in " +
                dir.path() +
                "/.aws/config; instance metadata: not asked. Set AWS_REGION, or `region` in the profile (aws "
                "configure set region us-west-2), or pass a region (with_region / --region)");
  dir.write(".aws/config", "[default]\noutput = json\n");
  EXPECT_NE(
      resolve().status().message().find("profile default in " + dir.path() + "/.aws/config has no region"),
      std::string::npos);
}

}  // namespace
}  // namespace agents::aws
