// Credentials::describe and the static provider.
#include "agents/aws/credentials.hpp"

#include "aws/credentials/common.hpp"

namespace agents::aws {

std::string Credentials::describe() const {
  std::string out = access_key_id.empty() ? "(no access key)" : access_key_id;
  out.append(" from ").append(source.empty() ? "an unnamed source" : source);
  if (expiration) out.append(" (expires ").append(detail::format_iso8601(*expiration)).append(")");
  return out;
}

namespace {

class StaticProvider final : public CredentialsProvider {
 public:
  explicit StaticProvider(Credentials credentials) : credentials_(std::move(credentials)) {
    if (credentials_.source.empty()) credentials_.source = "static credentials";
  }
  StatusOr<Credentials> get(Clock::time_point /*now*/) override {
    if (credentials_.access_key_id.empty() || credentials_.secret_access_key.empty()) {
      return detail::unavailable("static credentials: access key id or secret access key is empty");
    }
    return credentials_;
  }
  std::string name() const override { return "static"; }

 private:
  Credentials credentials_;
};

}  // namespace

std::shared_ptr<CredentialsProvider> make_static_credentials_provider(Credentials credentials) {
  return std::make_shared<StaticProvider>(std::move(credentials));
}

}  // namespace agents::aws
