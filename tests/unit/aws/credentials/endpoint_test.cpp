// resolve_dynamodb_endpoint: partitions, FIPS, dual-stack, "local" and custom endpoints.
#include <gtest/gtest.h>

#include "agents/aws/region.hpp"
#include "test_helpers.hpp"

namespace agents::aws {
namespace {

using namespace agents::aws::testing;

std::string url_of(std::string_view region, EndpointOptions options = {}) {
  if (!options.env) options.env = FakeEnv{};
  auto r = resolve_dynamodb_endpoint(region, options);
  return r.ok() ? r->url : "error: " + r.status().message();
}

TEST(DynamoDbEndpoint, EachPartitionUsesItsDnsSuffix) {
  EXPECT_EQ(url_of("us-west-2"), "https://dynamodb.us-west-2.amazonaws.com");
  EXPECT_EQ(url_of("il-central-1"), "https://dynamodb.il-central-1.amazonaws.com");
  EXPECT_EQ(url_of("cn-north-1"), "https://dynamodb.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(url_of("us-gov-west-1"), "https://dynamodb.us-gov-west-1.amazonaws.com");
  EXPECT_EQ(url_of("us-iso-east-1"), "https://dynamodb.us-iso-east-1.c2s.ic.gov");
  EXPECT_EQ(url_of("us-isob-east-1"), "https://dynamodb.us-isob-east-1.sc2s.sgov.gov");
  EXPECT_EQ(url_of("eu-isoe-west-1"), "https://dynamodb.eu-isoe-west-1.cloud.adc-e.uk");
  EXPECT_EQ(url_of("us-isof-south-1"), "https://dynamodb.us-isof-south-1.csp.hci.ic.gov");
  EXPECT_EQ(url_of("eusc-de-east-1"), "https://dynamodb.eusc-de-east-1.amazonaws.eu");
  EXPECT_EQ(url_of("xx-future-9"), "https://dynamodb.xx-future-9.amazonaws.com");  // unknown shape: aws
}

TEST(DynamoDbEndpoint, FipsAndDualStack) {
  EndpointOptions fips{.use_fips = true}, dual{.use_dualstack = true},
      both{.use_fips = true, .use_dualstack = true};
  EXPECT_EQ(url_of("us-east-1", fips), "https://dynamodb-fips.us-east-1.amazonaws.com");
  EXPECT_EQ(url_of("us-gov-west-1", fips), "https://dynamodb.us-gov-west-1.amazonaws.com");
  EXPECT_EQ(url_of("cn-north-1", fips), "https://dynamodb-fips.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(url_of("us-east-1", dual), "https://dynamodb.us-east-1.api.aws");
  EXPECT_EQ(url_of("cn-north-1", dual), "https://dynamodb.cn-north-1.api.amazonwebservices.com.cn");
  EXPECT_EQ(url_of("us-east-1", both), "https://dynamodb-fips.us-east-1.api.aws");
  EXPECT_EQ(url_of("us-gov-east-1", both), "https://dynamodb-fips.us-gov-east-1.api.aws");
  EXPECT_EQ(url_of("us-east-1", {.env = FakeEnv{{"AWS_USE_FIPS_ENDPOINT", "true"}}}),
            "https://dynamodb-fips.us-east-1.amazonaws.com");
  EXPECT_EQ(url_of("us-east-1", {.env = FakeEnv{{"AWS_USE_DUALSTACK_ENDPOINT", "True"}}}),
            "https://dynamodb.us-east-1.api.aws");
  auto pseudo = resolve_dynamodb_endpoint("us-east-1-fips", {.env = FakeEnv{}});
  ASSERT_TRUE(pseudo.ok());
  EXPECT_EQ(pseudo->url, "https://dynamodb-fips.us-east-1.amazonaws.com");
  EXPECT_EQ(pseudo->signing_region, "us-east-1");
}

TEST(DynamoDbEndpoint, LocalSignsAsUsEast1) {
  auto local = resolve_dynamodb_endpoint("local", {.env = FakeEnv{}});
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->url, "http://localhost:8000");
  EXPECT_EQ(local->signing_region, "us-east-1");
  EXPECT_TRUE(url_of("local", {.use_fips = true}).starts_with("error: "));
}

TEST(DynamoDbEndpoint, CustomEndpointsAreUsedVerbatimAndSignWithTheGivenRegion) {
  auto custom = resolve_dynamodb_endpoint("eu-west-1",
                                          {.explicit_endpoint = "http://127.0.0.1:4566/", .env = FakeEnv{}});
  ASSERT_TRUE(custom.ok());
  EXPECT_EQ(custom->url, "http://127.0.0.1:4566");
  EXPECT_EQ(custom->signing_region, "eu-west-1");
  auto no_region = resolve_dynamodb_endpoint(
      "", {.explicit_endpoint = "https://ddb.internal:8443/base//", .env = FakeEnv{}});
  ASSERT_TRUE(no_region.ok());
  EXPECT_EQ(no_region->url, "https://ddb.internal:8443/base");
  EXPECT_EQ(no_region->signing_region, "us-east-1");
  EXPECT_TRUE(url_of("us-east-1", {.explicit_endpoint = "localhost:8000"}).starts_with("error: "));
  EXPECT_TRUE(
      url_of("us-east-1", {.explicit_endpoint = "http://x", .use_fips = true}).starts_with("error: "));
  EXPECT_TRUE(
      url_of("us-east-1", {.explicit_endpoint = "http://x", .use_dualstack = true}).starts_with("error: "));
}

TEST(DynamoDbEndpoint, ServiceVariableBeatsTheGlobalOneAndTheOptionBeatsBoth) {
  FakeEnv env{{"AWS_ENDPOINT_URL", "http://global:1"}, {"AWS_ENDPOINT_URL_DYNAMODB", "http://ddb:2"}};
  EXPECT_EQ(url_of("us-east-1", {.env = env}), "http://ddb:2");
  EXPECT_EQ(url_of("us-east-1", {.explicit_endpoint = "http://mine:3", .env = env}), "http://mine:3");
  env.set("AWS_ENDPOINT_URL_DYNAMODB", "");
  EXPECT_EQ(url_of("us-east-1", {.env = env}), "http://global:1");
}

TEST(DynamoDbEndpoint, RejectsRegionsThatAreNotHostLabels) {
  EXPECT_TRUE(url_of("").starts_with("error: "));
  EXPECT_TRUE(url_of("us-east-1/evil").starts_with("error: "));
  EXPECT_TRUE(url_of("-bad").starts_with("error: "));
}

}  // namespace
}  // namespace agents::aws
