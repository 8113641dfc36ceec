// Region and endpoint resolution (docs/credentials-and-regions.md):
//   region:   explicit > AWS_REGION > AWS_DEFAULT_REGION > profile `region` > EC2 instance metadata
//   endpoint: explicit > AWS_ENDPOINT_URL_DYNAMODB > AWS_ENDPOINT_URL > the region's public endpoint
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agents/core/status.hpp"
#include "agents/export.hpp"

namespace agents::http {
class HttpClient;
}

namespace agents::aws {

/// Reads an environment variable; injectable so tests never touch the process environment.
using EnvironmentLookup = std::function<std::optional<std::string>(std::string_view name)>;
/// The process environment (getenv); empty values count as unset.
AGENTS_API EnvironmentLookup process_environment();

struct RegionOptions {
  std::string explicit_region;             ///< with_region / --region
  std::string profile;                     ///< overrides AWS_PROFILE for the profile lookup
  EnvironmentLookup env;                   ///< default: process_environment()
  std::shared_ptr<http::HttpClient> http;  ///< for instance metadata; none: IMDS is not asked
  std::string home_directory;              ///< where ~/.aws lives; empty: $HOME, else the passwd entry
  std::chrono::milliseconds imds_timeout{1000};
};

/// kInvalidArgument naming every place looked at when no region is configured anywhere.
AGENTS_API StatusOr<std::string> resolve_region(const RegionOptions& options);

struct EndpointOptions {
  std::string explicit_endpoint;  ///< with_endpoint / --endpoint
  bool use_fips = false;          ///< also AWS_USE_FIPS_ENDPOINT=true
  bool use_dualstack = false;     ///< also AWS_USE_DUALSTACK_ENDPOINT=true
  EnvironmentLookup env;          ///< default: process_environment()
};

struct ResolvedEndpoint {
  std::string url;             ///< e.g. https://dynamodb.us-west-2.amazonaws.com or http://127.0.0.1:8000
  std::string signing_region;  ///< the region in the credential scope
};

/// DynamoDB's endpoint rules per partition (aws, aws-cn, aws-us-gov, ...), FIPS and dual-stack;
/// region "local" is http://localhost:8000. A custom endpoint with FIPS/dual-stack is an error.
AGENTS_API StatusOr<ResolvedEndpoint> resolve_dynamodb_endpoint(std::string_view region,
                                                                const EndpointOptions& options);

}  // namespace agents::aws
