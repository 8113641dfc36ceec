#include "aws/credentials/web_identity.hpp"

#include "agents/http/http_client.hpp"
#include "aws/credentials/common.hpp"

namespace agents::aws::detail {

StatusOr<Credentials> web_identity_credentials(http::HttpClient& http, const StsEndpoint& endpoint,
                                               const std::string& token_file, const AssumeRoleParams& params,
                                               const std::string& label) {
  auto token = read_file(token_file);
  if (!token) return misconfigured(label + ": cannot read the web identity token file " + token_file);
  std::string trimmed = trim(*token);
  if (trimmed.empty())
    return misconfigured(label + ": the web identity token file " + token_file + " is empty");
  return sts_assume_role_with_web_identity(http, endpoint, params, trimmed, label);
}

namespace {

class WebIdentityProvider final : public CredentialsProvider {
 public:
  explicit WebIdentityProvider(CredentialsChainOptions options) : options_(std::move(options)) {
    options_.env = or_process_environment(std::move(options_.env));
    options_.http = http_or_default(std::move(options_.http));
  }

  StatusOr<Credentials> get(Clock::time_point now) override {
    std::string token_file = env_get(options_.env, "AWS_WEB_IDENTITY_TOKEN_FILE");
    if (token_file.empty()) return unavailable("web identity: AWS_WEB_IDENTITY_TOKEN_FILE not set");
    AssumeRoleParams params;
    params.role_arn = env_get(options_.env, "AWS_ROLE_ARN");
    if (params.role_arn.empty()) {
      return misconfigured("web identity: AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
    }
    params.session_name = env_get(options_.env, "AWS_ROLE_SESSION_NAME");
    if (params.session_name.empty()) params.session_name = default_session_name(now);
    return web_identity_credentials(*options_.http, sts_endpoint(options_), token_file, params,
                                    "web identity");
  }
  std::string name() const override { return "web identity"; }

 private:
  CredentialsChainOptions options_;
};

}  // namespace

}  // namespace agents::aws::detail

namespace agents::aws {

std::shared_ptr<CredentialsProvider> make_web_identity_credentials_provider(CredentialsChainOptions options) {
  return std::make_shared<detail::WebIdentityProvider>(std::move(options));
}

}  // namespace agents::aws
