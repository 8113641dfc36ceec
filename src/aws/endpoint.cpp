// resolve_dynamodb_endpoint: DynamoDB's endpoint rules (botocore endpoint-rule-set-1.json).
#include "agents/aws/region.hpp"
#include "aws/credentials/common.hpp"
#include "aws/partition.hpp"

namespace agents::aws {

namespace {

Status invalid(std::string message) { return Status(ErrorCode::kInvalidArgument, std::move(message)); }

// Checks the shape scheme://host[...] and drops trailing slashes; any port and path are kept.
StatusOr<std::string> custom_endpoint(const std::string& value, const std::string& origin) {
  std::string url = detail::trim_trailing_slashes(detail::trim(value));
  auto scheme_end = url.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : detail::to_lower(url.substr(0, scheme_end));
  if ((scheme != "http" && scheme != "https") || url.size() == scheme_end + 3) {
    return invalid("endpoint \"" + url + "\" (from " + origin +
                   ") is not an http:// or https:// URL, e.g. http://localhost:8000");
  }
  return url;
}

}  // namespace

StatusOr<ResolvedEndpoint> resolve_dynamodb_endpoint(std::string_view region_view,
                                                     const EndpointOptions& options) {
  std::string region(region_view);
  bool fips = options.use_fips || detail::env_true(options.env, "AWS_USE_FIPS_ENDPOINT");
  bool dualstack = options.use_dualstack || detail::env_true(options.env, "AWS_USE_DUALSTACK_ENDPOINT");

  std::string endpoint = options.explicit_endpoint, origin = "with_endpoint";
  for (const char* variable : {"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"}) {
    if (!endpoint.empty()) break;
    endpoint = detail::env_get(options.env, variable);
    origin = variable;
  }
  if (!endpoint.empty()) {
    if (fips) return invalid("a custom endpoint (" + origin + ") cannot be combined with FIPS");
    if (dualstack) return invalid("a custom endpoint (" + origin + ") cannot be combined with dual-stack");
    auto url = custom_endpoint(endpoint, origin);
    if (!url.ok()) return url.status();
    return ResolvedEndpoint{*url, region.empty() ? "us-east-1" : region};
  }

  if (region.empty())
    return invalid("no region to build the DynamoDB endpoint from; set a region or an endpoint");
  if (region == "local") {
    if (fips || dualstack) return invalid("region \"local\" cannot be combined with FIPS or dual-stack");
    return ResolvedEndpoint{"http://localhost:8000", "us-east-1"};
  }
  // Deprecated pseudo-regions of endpoints.json: "us-east-1-fips", "fips-us-east-1".
  if (region.ends_with("-fips")) {
    region.resize(region.size() - 5);
    fips = true;
  } else if (region.starts_with("fips-")) {
    region.erase(0, 5);
    fips = true;
  }
  if (!detail::is_valid_host_label(region)) {
    return invalid("region \"" + std::string(region_view) + "\" is not a valid region name, e.g. us-west-2");
  }

  const detail::Partition& partition = detail::partition_of(region);
  std::string host;
  if (fips && dualstack) {
    host = "dynamodb-fips." + region + "." + std::string(partition.dualstack_suffix);
  } else if (fips) {
    // GovCloud's standard endpoint is already FIPS 140-validated.
    host = partition.name == "aws-us-gov"
               ? "dynamodb." + region + ".amazonaws.com"
               : "dynamodb-fips." + region + "." + std::string(partition.dns_suffix);
  } else if (dualstack) {
    host = "dynamodb." + region + "." + std::string(partition.dualstack_suffix);
  } else {
    host = "dynamodb." + region + "." + std::string(partition.dns_suffix);
  }
  return ResolvedEndpoint{"https://" + host, region};
}

}  // namespace agents::aws
