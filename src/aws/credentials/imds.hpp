// EC2 instance metadata service client (IMDSv2 with the IMDSv1 fallback), shared by the
// instance metadata credentials provider and region resolution.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agents/aws/region.hpp"
#include "agents/core/status.hpp"

namespace agents::http {
class HttpClient;
}

namespace agents::aws::detail {

/// One client per lookup: it fetches a session token on its first get() and reuses it.
/// Errors are kCredentialsUnavailable (nothing is configured, so nothing is "broken"), with
/// messages that name the endpoint and what failed.
class ImdsClient {
 public:
  /// Reads AWS_EC2_METADATA_DISABLED, AWS_EC2_METADATA_V1_DISABLED,
  /// AWS_EC2_METADATA_SERVICE_ENDPOINT(_MODE) and AWS_METADATA_SERVICE_TIMEOUT from `env`.
  ImdsClient(std::shared_ptr<http::HttpClient> http, const EnvironmentLookup& env,
             std::chrono::milliseconds timeout);

  bool disabled() const { return disabled_; }
  const std::string& endpoint() const { return endpoint_; }

  /// The body of GET <endpoint><path>, e.g. "/latest/meta-data/placement/region".
  StatusOr<std::string> get(std::string_view path);

 private:
  /// The IMDSv2 token, or "" to go on without one (IMDSv1).
  StatusOr<std::string> token();

  std::shared_ptr<http::HttpClient> http_;
  std::string endpoint_;
  std::chrono::milliseconds timeout_;
  bool disabled_ = false;
  bool v1_disabled_ = false;
  std::optional<std::string> token_;
};

}  // namespace agents::aws::detail
