#include "aws/credentials/imds.hpp"

#include <cstdlib>

#include "agents/http/http_client.hpp"
#include "aws/credentials/common.hpp"

namespace agents::aws::detail {

namespace {

constexpr const char* kTokenTtlSeconds = "21600";  // six hours, the SDKs' default

std::string default_endpoint(const EnvironmentLookup& env) {
  std::string configured = env_get(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
  if (!configured.empty()) return trim_trailing_slashes(configured);
  if (to_lower(env_get(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")) == "ipv6")
    return "http://[fd00:ec2::254]";
  return "http://169.254.169.254";
}

}  // namespace

ImdsClient::ImdsClient(std::shared_ptr<http::HttpClient> http, const EnvironmentLookup& env,
                       std::chrono::milliseconds timeout)
    : http_(std::move(http)),
      endpoint_(default_endpoint(env)),
      timeout_(timeout),
      disabled_(env_true(env, "AWS_EC2_METADATA_DISABLED")),
      v1_disabled_(env_true(env, "AWS_EC2_METADATA_V1_DISABLED")) {
  std::string seconds = env_get(env, "AWS_METADATA_SERVICE_TIMEOUT");
  if (double value = std::strtod(seconds.c_str(), nullptr); value > 0) {
    timeout_ = std::chrono::milliseconds(static_cast<long long>(value * 1000));
  }
}

StatusOr<std::string> ImdsClient::token() {
  if (token_) return *token_;
  http::Request request{.method = "PUT",
                        .url = endpoint_ + "/latest/api/token",
                        .headers = {{"x-aws-ec2-metadata-token-ttl-seconds", kTokenTtlSeconds}}};
  request.timeout = timeout_;
  auto response = http_->send(request);
  std::string why;
  if (!response.ok()) {
    // Refused: nothing listens, so IMDSv1 would not answer either. A timeout may be the hop
    // limit of 1 dropping the PUT's answer inside a container: IMDSv1 may still work.
    if (response.status().code() != ErrorCode::kTimeout) {
      return unavailable("not reachable at " + endpoint_ + " (" + response.status().message() + ")");
    }
    why = "timed out";
  } else if (response->status == 200) {
    token_ = trim(response->body);
    return *token_;
  } else if (response->status == 400) {
    return unavailable("the IMDSv2 token request to " + endpoint_ + " was rejected (HTTP 400)");
  } else {
    why = "HTTP " + std::to_string(response->status);
  }
  if (v1_disabled_) {
    return unavailable("the IMDSv2 token request to " + endpoint_ + " failed (" + why +
                       ") and AWS_EC2_METADATA_V1_DISABLED forbids IMDSv1");
  }
  token_ = "";
  return *token_;
}

StatusOr<std::string> ImdsClient::get(std::string_view path) {
  if (disabled_) return unavailable("disabled by AWS_EC2_METADATA_DISABLED");
  auto session = token();
  if (!session.ok()) return session.status();
  http::Request request{.method = "GET", .url = endpoint_ + std::string(path)};
  request.timeout = timeout_;
  if (!session->empty()) request.headers.push_back({"x-aws-ec2-metadata-token", *session});
  auto response = http_->send(request);
  if (!response.ok()) {
    return unavailable("not reachable at " + endpoint_ + " (" + response.status().message() + ")");
  }
  if (response->status != 200) {
    return Status(ErrorCode::kCredentialsUnavailable,
                  "GET " + std::string(path) + " answered HTTP " + std::to_string(response->status),
                  ErrorDetails{.http_status = response->status});
  }
  return response->body;
}

}  // namespace agents::aws::detail
