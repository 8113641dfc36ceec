// Credentials::describe, the static and environment providers, and the small shared helpers.
#include "agents/aws/credentials.hpp"

#include <gtest/gtest.h>

#include "aws/credentials/common.hpp"
#include "aws/credentials/sts.hpp"
#include "test_helpers.hpp"

namespace agents::aws {
namespace {

using namespace agents::aws::testing;
using namespace std::chrono_literals;

Credentials sample() {
  return {.access_key_id = "AKIDEXAMPLE",
          .secret_access_key = kSecret,
          .session_token = kToken,
          .expiration = Clock::from_time_t(1767225600),  // 2026-01-01T00:00:00Z
          .source = "environment"};
}

TEST(Credentials, DescribeShowsKeyIdSourceAndExpiryButNoSecret) {
  Credentials c = sample();
  EXPECT_EQ(c.describe(), "AKIDEXAMPLE from environment (expires 2026-01-01T00:00:00Z)");
  expect_no_secret(c.describe());
  c.expiration.reset();
  EXPECT_EQ(c.describe(), "AKIDEXAMPLE from environment");
}

TEST(StaticProvider, ReturnsItsKeysAndRefusesEmptyOnes) {
  auto provider = make_static_credentials_provider(sample());
  auto c = provider->get(Clock::now());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->secret_access_key, kSecret);
  auto empty = make_static_credentials_provider({})->get(Clock::now());
  EXPECT_EQ(empty.status().code(), ErrorCode::kCredentialsUnavailable);
}

TEST(EnvironmentProvider, ReadsTheThreeVariables) {
  FakeEnv env{
      {"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", kSecret}, {"AWS_SESSION_TOKEN", kToken}};
  auto c = make_environment_credentials_provider(env)->get(Clock::now());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->access_key_id, "AKIDENV");
  EXPECT_EQ(c->secret_access_key, kSecret);
  EXPECT_EQ(c->session_token, kToken);
  EXPECT_FALSE(c->expiration);
  EXPECT_EQ(c->source, "environment");
}

TEST(EnvironmentProvider, UnsetIsUnavailableAndHalfSetIsAnError) {
  auto none = make_environment_credentials_provider(FakeEnv{})->get(Clock::now());
  EXPECT_EQ(none.status().code(), ErrorCode::kCredentialsUnavailable);
  EXPECT_EQ(none.status().message(), "environment: AWS_ACCESS_KEY_ID not set");

  auto half =
      make_environment_credentials_provider(FakeEnv{{"AWS_ACCESS_KEY_ID", "AKID"}})->get(Clock::now());
  EXPECT_EQ(half.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(half.status().message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos);

  // The secret alone is not a half-set pair worth stopping for; it is still reported unavailable.
  auto secret_only =
      make_environment_credentials_provider(FakeEnv{{"AWS_SECRET_ACCESS_KEY", kSecret}})->get(Clock::now());
  EXPECT_EQ(secret_only.status().code(), ErrorCode::kCredentialsUnavailable);
  expect_no_secret(secret_only.status().message());
}

TEST(Iso8601, ParsesZuluFractionsAndOffsets) {
  auto base = Clock::from_time_t(1767225600);  // 2026-01-01T00:00:00Z
  EXPECT_EQ(detail::parse_iso8601("2026-01-01T00:00:00Z"), base);
  EXPECT_EQ(detail::parse_iso8601("2026-01-01T00:00:00.123Z"), base);
  EXPECT_EQ(detail::parse_iso8601("2026-01-01T01:00:00+01:00"), base);
  EXPECT_EQ(detail::parse_iso8601("2025-12-31T23:30:00-0030"), base);
  EXPECT_FALSE(detail::parse_iso8601("2026-01-01T00:00:00"));  // no zone: ambiguous
  EXPECT_FALSE(detail::parse_iso8601("2026-13-01T00:00:00Z"));
  EXPECT_FALSE(detail::parse_iso8601("tomorrow"));
  EXPECT_EQ(detail::format_iso8601(base), "2026-01-01T00:00:00Z");
}

TEST(XmlElement, FindsTagsDecodesEntitiesOnceAndSkipsLongerNames) {
  std::string xml =
      "<A><CredentialsX>no</CredentialsX><Credentials attr=\"1\"><Key>a&amp;lt;b</Key><Empty/>"
      "</Credentials></A>";
  auto block = detail::xml_raw_element(xml, "Credentials");
  ASSERT_TRUE(block);
  EXPECT_EQ(*block, "<Key>a&amp;lt;b</Key><Empty/>");
  EXPECT_EQ(detail::xml_element(*block, "Key"), "a&lt;b");
  EXPECT_EQ(detail::xml_element(xml, "Empty"), "");
  EXPECT_FALSE(detail::xml_element(xml, "Missing"));
}

}  // namespace
}  // namespace agents::aws
