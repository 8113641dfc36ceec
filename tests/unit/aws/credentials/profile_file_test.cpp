// Parsing the shared config and credentials files, and choosing the profile.
#include "aws/credentials/profile_file.hpp"

#include <gtest/gtest.h>

#include "test_helpers.hpp"

namespace agents::aws::detail {
namespace {

using namespace agents::aws::testing;

TEST(ProfileFile, ParsesConfigSectionsCommentsAndSkipsSubSections) {
  auto parsed = parse_profile_file(
      "# comment\n"
      "; another\n"
      "[default]\n"
      "region = us-west-2\n"
      "\n"
      "[profile  dev ]   # trailing comment\n"
      "Region=eu-west-1\n"
      "s3 =\n"
      "  max_concurrent_requests = 20\n"
      "  addressing_style = path\n"
      "output = json\r\n"
      "[sso-session corp]\n"
      "sso_region = us-east-1\n"
      "[services x]\n"
      "dynamodb =\n"
      "  endpoint_url = http://localhost:8000\n"
      "[notprofile]\n"
      "region = nowhere-1\n",
      ProfileFileKind::kConfig, "config");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ(parsed->at("default").at("region"), "us-west-2");
  const auto& dev = parsed->at("dev");
  EXPECT_EQ(dev.at("region"), "eu-west-1");  // keys are case-insensitive
  EXPECT_EQ(dev.at("s3"), "");
  EXPECT_EQ(dev.count("max_concurrent_requests"), 0u);
  EXPECT_EQ(dev.at("output"), "json");
}

TEST(ProfileFile, CredentialsFileSectionsAreBareNames) {
  auto parsed = parse_profile_file("[default]\naws_access_key_id=A\n[profile x]\nk=v\n[dev]\nk = v = w\n",
                                   ProfileFileKind::kCredentials, "credentials");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->at("default").at("aws_access_key_id"), "A");
  EXPECT_EQ(parsed->at("profile x").at("k"), "v");
  EXPECT_EQ(parsed->at("dev").at("k"), "v = w");
}

TEST(ProfileFile, MalformedLinesNameFileAndLineButNotTheText) {
  std::string secret_line = std::string("aws_secret_access_key ") + kSecret;  // '=' forgotten
  auto parsed = parse_profile_file("[default]\naws_access_key_id = A\n" + secret_line + "\n",
                                   ProfileFileKind::kCredentials, "/home/u/.aws/credentials");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().message(), "/home/u/.aws/credentials line 3: expected 'key = value'");
  expect_no_secret(parsed.status().message());

  EXPECT_FALSE(parse_profile_file("[default\n", ProfileFileKind::kConfig, "c").ok());
  EXPECT_FALSE(parse_profile_file("region = x\n", ProfileFileKind::kConfig, "c").ok());
  EXPECT_FALSE(parse_profile_file("[default]\n= x\n", ProfileFileKind::kConfig, "c").ok());
}

TEST(ProfileFile, CredentialsFileWinsOverConfigAndMissingFilesAreEmpty) {
  TempDir dir;
  dir.write(".aws/config", "[profile dev]\nregion = eu-west-1\naws_access_key_id = FROMCONFIG\n");
  dir.write(".aws/credentials", "[dev]\naws_access_key_id = FROMCREDENTIALS\n");
  auto files = load_profile_files(FakeEnv{}, dir.path());
  ASSERT_TRUE(files.ok()) << files.status().message();
  auto dev = files->profile("dev");
  ASSERT_TRUE(dev);
  EXPECT_EQ(dev->at("aws_access_key_id"), "FROMCREDENTIALS");
  EXPECT_EQ(dev->at("region"), "eu-west-1");
  EXPECT_FALSE(files->profile("default"));
  EXPECT_EQ(files->config_path, dir.path() + "/.aws/config");

  auto none = load_profile_files(FakeEnv{}, dir.path() + "/nothing-here");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->config.empty() && none->credentials.empty());
}

TEST(ProfileFile, FileLocationsComeFromTheEnvironmentWithTildeExpanded) {
  TempDir dir;
  dir.write("elsewhere/conf", "[default]\nregion = ap-south-1\n");
  FakeEnv env{{"AWS_CONFIG_FILE", "~/elsewhere/conf"},
              {"AWS_SHARED_CREDENTIALS_FILE", dir.path() + "/creds"}};
  auto files = load_profile_files(env, dir.path());
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->config_path, dir.path() + "/elsewhere/conf");
  EXPECT_EQ(files->credentials_path, dir.path() + "/creds");
  EXPECT_EQ(files->profile("default")->at("region"), "ap-south-1");
}

TEST(ProfileSelection, OptionThenAwsProfileThenAwsDefaultProfileThenDefault) {
  FakeEnv env{{"AWS_PROFILE", "p1"}, {"AWS_DEFAULT_PROFILE", "p2"}};
  EXPECT_EQ(select_profile("opt", env).name, "opt");
  EXPECT_EQ(select_profile("", env).name, "p1");
  EXPECT_EQ(select_profile("", env).origin, "AWS_PROFILE");
  env.set("AWS_PROFILE", "");
  EXPECT_EQ(select_profile("", env).name, "p2");
  env.set("AWS_DEFAULT_PROFILE", "");
  auto fallback = select_profile("", env);
  EXPECT_EQ(fallback.name, "default");
  EXPECT_FALSE(fallback.chosen);
}

}  // namespace
}  // namespace agents::aws::detail
