// The provider chain and the SDKs' default chain.
#include "agents/aws/credentials.hpp"
#include "aws/credentials/common.hpp"

namespace agents::aws {

namespace {

class ChainProvider final : public CredentialsProvider {
 public:
  explicit ChainProvider(std::vector<std::shared_ptr<CredentialsProvider>> providers)
      : providers_(std::move(providers)) {}

  StatusOr<Credentials> get(Clock::time_point now) override {
    std::string reasons;
    for (const auto& provider : providers_) {
      auto credentials = provider->get(now);
      if (credentials.ok()) return credentials;
      // A source that is configured but broken ends the search: using the next identity instead
      // would hide the mistake and act with permissions the user did not choose.
      if (credentials.status().code() != ErrorCode::kCredentialsUnavailable) return credentials.status();
      reasons += (reasons.empty() ? "" : "; ") + credentials.status().message();
    }
    return detail::unavailable("no AWS credentials found. Tried " +
                               (reasons.empty() ? "no sources" : reasons) +
                               ". Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (see `aws "
                               "configure`), or run with an IAM role");
  }

  std::string name() const override { return "chain"; }

  void invalidate() override {
    for (const auto& provider : providers_) provider->invalidate();
  }

 private:
  std::vector<std::shared_ptr<CredentialsProvider>> providers_;
};

}  // namespace

std::shared_ptr<CredentialsProvider> make_credentials_chain(
    std::vector<std::shared_ptr<CredentialsProvider>> providers) {
  return std::make_shared<ChainProvider>(std::move(providers));
}

std::shared_ptr<CredentialsProvider> make_default_credentials_chain(CredentialsChainOptions options) {
  options.env = detail::or_process_environment(std::move(options.env));
  options.http = detail::http_or_default(std::move(options.http));
  std::vector<std::shared_ptr<CredentialsProvider>> providers;
  // A profile chosen in code beats the environment, as in botocore and the AWS CLI.
  if (options.profile.empty()) {
    providers.push_back(make_environment_credentials_provider(options.env));
    providers.push_back(make_web_identity_credentials_provider(options));
  }
  providers.push_back(make_profile_credentials_provider(options));
  providers.push_back(make_container_credentials_provider(options));
  providers.push_back(make_instance_metadata_credentials_provider(options));
  return make_caching_credentials_provider(make_credentials_chain(std::move(providers)));
}

}  // namespace agents::aws
