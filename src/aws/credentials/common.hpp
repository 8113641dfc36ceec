// Small helpers shared by the credential providers and the region resolver: environment access,
// text, files, ISO-8601 times and the JSON credential documents of credential_process, the
// container endpoint and instance metadata.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agents/aws/credentials.hpp"
#include "agents/aws/region.hpp"
#include "agents/core/status.hpp"

namespace agents::http {
class HttpClient;
}

namespace agents::aws::detail {

/// `env` itself, or the process environment when it is empty.
EnvironmentLookup or_process_environment(EnvironmentLookup env);
/// The variable's value; "" when unset or empty.
std::string env_get(const EnvironmentLookup& env, std::string_view name);
/// True when the variable is "true" in any case (the SDKs' boolean settings).
bool env_true(const EnvironmentLookup& env, std::string_view name);
/// `configured`, else $HOME from `env`, else the passwd entry of the user; "" when none.
std::string home_directory(const std::string& configured, const EnvironmentLookup& env);
/// The given client, or a libcurl one.
std::shared_ptr<http::HttpClient> http_or_default(std::shared_ptr<http::HttpClient> http);

std::string trim(std::string_view text);
std::string to_lower(std::string_view text);
std::string trim_trailing_slashes(std::string_view url);

/// The whole file; nullopt when it does not exist or cannot be read (errno says which).
std::optional<std::string> read_file(const std::string& path);

/// "2026-01-02T03:04:05Z", with optional fraction and a Z or +hh:mm / -hhmm offset.
std::optional<Clock::time_point> parse_iso8601(std::string_view text);
/// "2026-01-02T03:04:05Z"
std::string format_iso8601(Clock::time_point time);

/// The error of a source that has no credentials: the chain goes on to the next source.
Status unavailable(std::string message);
/// The error of a source that is configured but wrong: the chain stops here.
Status misconfigured(std::string message);

/// Reads {AccessKeyId, SecretAccessKey, <token_key>, Expiration} from JSON text. Error messages
/// start with `label` and never quote the document (it holds the secret).
StatusOr<Credentials> credentials_from_json(std::string_view body, std::string_view token_key,
                                            const std::string& label, std::string source);

}  // namespace agents::aws::detail
