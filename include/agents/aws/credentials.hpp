// AWS credentials and the providers that find them (docs/credentials-and-regions.md): a provider interface
// that takes "now", a cache that refreshes before expiry, and the SDKs' default chain.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agents/aws/region.hpp"  // EnvironmentLookup
#include "agents/core/retry.hpp"  // Sleeper
#include "agents/core/status.hpp"
#include "agents/export.hpp"

namespace agents::http {
class HttpClient;
}

namespace agents::aws {

using Clock = std::chrono::system_clock;

/// Never printed whole: `describe()` shows the key id and the source only.
struct AGENTS_API Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;                    ///< empty for long-term keys
  std::optional<Clock::time_point> expiration;  ///< none: does not expire
  std::string source;                           ///< which provider found them, e.g. "environment"

  /// "AKID... from environment (expires 2026-...)": safe for logs, never the secret or token.
  std::string describe() const;
};

/// Finds credentials. `now` is passed in so that expiry logic is testable without sleeping.
/// Thread safety: implementations may be called from several threads at once.
class AGENTS_API CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  /// kCredentialsUnavailable when this source has none (the chain then tries the next one).
  virtual StatusOr<Credentials> get(Clock::time_point now) = 0;
  virtual std::string name() const = 0;
  /// Drops cached credentials so that the next get() fetches fresh ones (e.g. after a service
  /// answered ExpiredToken). Providers without a cache ignore it.
  virtual void invalidate() {}
};

/// Fixed keys, e.g. from configuration or tests.
AGENTS_API std::shared_ptr<CredentialsProvider> make_static_credentials_provider(Credentials credentials);

/// Where the chain's sources look: the process environment and home directory by default,
/// overridable so tests and embedders can point them elsewhere.
struct CredentialsChainOptions {
  std::shared_ptr<http::HttpClient> http;  ///< for STS, container and instance metadata calls; none: libcurl
  /// Overrides AWS_PROFILE. As in botocore and the AWS CLI, a profile chosen in code also turns off
  /// the environment sources (the access key variables and the web identity variables).
  std::string profile;
  /// STS region for web identity / assume role; empty: the region chain of region.hpp, else us-east-1.
  std::string region;
  EnvironmentLookup env;       ///< default: process_environment()
  std::string home_directory;  ///< where ~/.aws lives; empty: $HOME, else the passwd entry
  /// Base URL of STS, e.g. http://127.0.0.1:8080; empty: AWS_ENDPOINT_URL_STS > AWS_ENDPOINT_URL >
  /// https://sts.<region>.<partition DNS suffix>.
  std::string sts_endpoint;
  /// Prefix of AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (the ECS agent).
  std::string container_host = "http://169.254.170.2";
  std::chrono::milliseconds container_timeout{2000};  ///< per attempt
  int container_attempts = 3;
  std::chrono::milliseconds container_retry_delay{1000};  ///< sleep between attempts
  /// Waits between attempts (unset: this thread sleeps); tests inject one that records.
  Sleeper sleeper;
  /// Per instance metadata request; AWS_METADATA_SERVICE_TIMEOUT (seconds) overrides it.
  std::chrono::milliseconds imds_timeout{1000};
  /// Instance metadata credentials that arrive with less than this left are used anyway, their local
  /// expiry pushed to now + window + 2..10 min (static stability, as botocore does).
  std::chrono::seconds imds_refresh_window{15 * 60};
};

/// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the optional AWS_SESSION_TOKEN; they never expire.
AGENTS_API std::shared_ptr<CredentialsProvider> make_environment_credentials_provider(
    EnvironmentLookup env = {});

/// AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN [+ AWS_ROLE_SESSION_NAME] -> STS
/// AssumeRoleWithWebIdentity (unsigned). The token file is read again on every call.
AGENTS_API std::shared_ptr<CredentialsProvider> make_web_identity_credentials_provider(
    CredentialsChainOptions options = {});

/// The selected profile of the shared config and credentials files: role_arn (with source_profile,
/// credential_source or web_identity_token_file), then static keys, then credential_process.
AGENTS_API std::shared_ptr<CredentialsProvider> make_profile_credentials_provider(
    CredentialsChainOptions options = {});

/// Runs `command` with /bin/sh and reads credential_process JSON (Version 1) from its stdout.
AGENTS_API std::shared_ptr<CredentialsProvider> make_process_credentials_provider(std::string command);

/// ECS / EKS Pod Identity: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI, with the
/// authorization token of AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read on every call) or _TOKEN.
AGENTS_API std::shared_ptr<CredentialsProvider> make_container_credentials_provider(
    CredentialsChainOptions options = {});

/// EC2 instance metadata: IMDSv2, falling back to IMDSv1 unless AWS_EC2_METADATA_V1_DISABLED;
/// AWS_EC2_METADATA_DISABLED=true turns it off, AWS_EC2_METADATA_SERVICE_ENDPOINT moves it.
AGENTS_API std::shared_ptr<CredentialsProvider> make_instance_metadata_credentials_provider(
    CredentialsChainOptions options = {});

/// The standard chain, in the SDKs' order: environment, web identity token file, shared
/// config/credentials profile (static keys, credential_process, role_arn + source_profile),
/// ECS/EKS container endpoint, EC2 instance metadata (IMDSv2). Wrapped in a refreshing cache.
/// See docs/credentials-and-regions.md.
AGENTS_API std::shared_ptr<CredentialsProvider> make_default_credentials_chain(
    CredentialsChainOptions options = {});

/// The CA bundle the AWS CLI and SDKs would trust for a profile: AWS_CA_BUNDLE, else the
/// profile's `ca_bundle` in the config file; "" when neither (then the system's bundle applies).
/// `profile` overrides AWS_PROFILE; `env` empty: the process environment. For a client of
/// another AWS service built on this layer, e.g. the CLI's CloudWatch calls.
AGENTS_API std::string resolve_ca_bundle(const std::string& profile, const EnvironmentLookup& env = {});

/// Caches another provider's credentials, refreshing them before they expire: a background-free
/// single-flight refresh when less than `advisory` remains (others keep the old credentials),
/// blocking when less than `mandatory` remains or they expired.
struct CredentialsCacheOptions {
  std::chrono::seconds advisory_refresh{15 * 60};
  std::chrono::seconds mandatory_refresh{10 * 60};
};
AGENTS_API std::shared_ptr<CredentialsProvider> make_caching_credentials_provider(
    std::shared_ptr<CredentialsProvider> inner, CredentialsCacheOptions options = {});

/// Tries each provider in order and returns the first credentials found. A provider that fails with
/// anything but kCredentialsUnavailable (a configured source that is broken) stops the chain with
/// its error; when none has credentials, the kCredentialsUnavailable error lists what each said.
AGENTS_API std::shared_ptr<CredentialsProvider> make_credentials_chain(
    std::vector<std::shared_ptr<CredentialsProvider>> providers);

}  // namespace agents::aws
