// The process environment and the environment-variable credentials provider.
#include "agents/aws/credentials.hpp"
#include "aws/credentials/common.hpp"
#include "util/env.hpp"

namespace agents::aws {

EnvironmentLookup process_environment() {
  return [](std::string_view name) { return util::env_get(std::string(name)); };
}

namespace {

class EnvironmentProvider final : public CredentialsProvider {
 public:
  explicit EnvironmentProvider(EnvironmentLookup env)
      : env_(detail::or_process_environment(std::move(env))) {}

  StatusOr<Credentials> get(Clock::time_point /*now*/) override {
    Credentials credentials;
    credentials.access_key_id = detail::env_get(env_, "AWS_ACCESS_KEY_ID");
    credentials.secret_access_key = detail::env_get(env_, "AWS_SECRET_ACCESS_KEY");
    credentials.session_token = detail::env_get(env_, "AWS_SESSION_TOKEN");
    credentials.source = "environment";
    if (credentials.access_key_id.empty())
      return detail::unavailable("environment: AWS_ACCESS_KEY_ID not set");
    if (credentials.secret_access_key.empty()) {
      // A half-set pair is a mistake to report, not a reason to use some other identity.
      return detail::misconfigured("environment: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    }
    return credentials;
  }
  std::string name() const override { return "environment"; }

 private:
  EnvironmentLookup env_;
};

}  // namespace

std::shared_ptr<CredentialsProvider> make_environment_credentials_provider(EnvironmentLookup env) {
  return std::make_shared<EnvironmentProvider>(std::move(env));
}

}  // namespace agents::aws
