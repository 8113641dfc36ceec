// AWS credentials and the providers that find them (SPEC section 3): a provider interface that
// takes "now", a cache that refreshes before expiry, and the SDKs' default chain.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agents/core/status.hpp"

namespace agents::http {
class HttpClient;
}

namespace agents::aws {

using Clock = std::chrono::system_clock;

/// Never printed whole: `describe()` shows the key id and the source only.
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;           ///< empty for long-term keys
  std::optional<Clock::time_point> expiration;  ///< none: does not expire
  std::string source;                  ///< which provider found them, e.g. "environment"

  /// "AKID... from environment (expires 2026-...)": safe for logs, never the secret or token.
  std::string describe() const;
};

/// Finds credentials. `now` is passed in so that expiry logic is testable without sleeping.
/// Thread safety: implementations may be called from several threads at once.
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  /// kCredentialsUnavailable when this source has none (the chain then tries the next one).
  virtual StatusOr<Credentials> get(Clock::time_point now) = 0;
  virtual std::string name() const = 0;
};

/// Fixed keys, e.g. from configuration or tests.
std::shared_ptr<CredentialsProvider> make_static_credentials_provider(Credentials credentials);

/// Where the chain's sources look: the process environment and home directory by default,
/// overridable so tests and embedders can point them elsewhere.
struct CredentialsChainOptions {
  std::shared_ptr<http::HttpClient> http;  ///< for STS, container and instance metadata calls
  std::string profile;                      ///< overrides AWS_PROFILE
  std::string region;                       ///< STS region for web identity / assume role
};

/// The standard chain, in the SDKs' order: environment, web identity token file, shared
/// config/credentials profile (static keys, credential_process, role_arn + source_profile),
/// ECS/EKS container endpoint, EC2 instance metadata (IMDSv2). Wrapped in a refreshing cache.
std::shared_ptr<CredentialsProvider> make_default_credentials_chain(CredentialsChainOptions options = {});

/// Caches another provider's credentials, refreshing them before they expire: a background-free
/// single-flight refresh when less than `advisory` remains (others keep the old credentials),
/// blocking when less than `mandatory` remains or they expired.
struct CredentialsCacheOptions {
  std::chrono::seconds advisory_refresh{15 * 60};
  std::chrono::seconds mandatory_refresh{10 * 60};
};
std::shared_ptr<CredentialsProvider> make_caching_credentials_provider(std::shared_ptr<CredentialsProvider> inner,
                                                                        CredentialsCacheOptions options = {});

/// Tries each provider in order; the error lists what each said.
std::shared_ptr<CredentialsProvider> make_credentials_chain(
    std::vector<std::shared_ptr<CredentialsProvider>> providers);

}  // namespace agents::aws
