// Credentials of the EC2 instance profile, from instance metadata.
#include <nlohmann/json.hpp>
#include <random>

#include "agents/aws/credentials.hpp"
#include "aws/credentials/common.hpp"
#include "aws/credentials/imds.hpp"

namespace agents::aws::detail {

namespace {

constexpr std::string_view kCredentialsPath = "/latest/meta-data/iam/security-credentials/";

std::chrono::seconds jitter() {
  thread_local std::mt19937 engine{std::random_device{}()};
  return std::chrono::seconds(std::uniform_int_distribution<int>(120, 600)(engine));
}

class InstanceMetadataProvider final : public CredentialsProvider {
 public:
  explicit InstanceMetadataProvider(CredentialsChainOptions options) : options_(std::move(options)) {
    options_.env = or_process_environment(std::move(options_.env));
    options_.http = http_or_default(std::move(options_.http));
  }

  StatusOr<Credentials> get(Clock::time_point now) override {
    ImdsClient imds(options_.http, options_.env, options_.imds_timeout);
    auto role_list = imds.get(kCredentialsPath);
    if (!role_list.ok()) {
      if (role_list.status().details().http_status == 404) {
        return unavailable("instance metadata: no IAM role is attached to this instance");
      }
      return unavailable("instance metadata: " + role_list.status().message());
    }
    std::string role = trim(std::string_view(*role_list).substr(0, role_list->find('\n')));
    if (role.empty()) return unavailable("instance metadata: no IAM role is attached to this instance");

    auto body = imds.get(std::string(kCredentialsPath) + role);
    if (!body.ok()) return unavailable("instance metadata: role " + role + ": " + body.status().message());
    std::string label = "instance metadata: credentials of role " + role;
    auto doc = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_object() && doc.contains("Code") && doc["Code"] != "Success") {
      return unavailable(label + ": Code is " + doc["Code"].dump() + ", not \"Success\"");
    }
    auto credentials =
        credentials_from_json(*body, "Token", label, "EC2 instance metadata (role " + role + ")");
    if (!credentials.ok()) return unavailable(credentials.status().message());

    // Static stability (botocore): credentials that are already due for refresh, even expired
    // ones served during an outage, are used for a few more minutes rather than failing.
    if (credentials->expiration && *credentials->expiration - now < options_.imds_refresh_window) {
      credentials->expiration = now + options_.imds_refresh_window + jitter();
    }
    return credentials;
  }
  std::string name() const override { return "instance metadata"; }

 private:
  CredentialsChainOptions options_;
};

}  // namespace

}  // namespace agents::aws::detail

namespace agents::aws {

std::shared_ptr<CredentialsProvider> make_instance_metadata_credentials_provider(
    CredentialsChainOptions options) {
  return std::make_shared<detail::InstanceMetadataProvider>(std::move(options));
}

}  // namespace agents::aws
