#include "aws/credentials/common.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "agents/http/http_client.hpp"
#include "util/time_format.hpp"

namespace agents::aws::detail {

EnvironmentLookup or_process_environment(EnvironmentLookup env) {
  return env ? std::move(env) : process_environment();
}

std::string env_get(const EnvironmentLookup& env, std::string_view name) {
  if (!env) return process_environment()(name).value_or("");
  return env(name).value_or("");
}

bool env_true(const EnvironmentLookup& env, std::string_view name) {
  return to_lower(trim(env_get(env, name))) == "true";
}

std::string home_directory(const std::string& configured, const EnvironmentLookup& env) {
  if (!configured.empty()) return configured;
  std::string home = env_get(env, "HOME");
  if (!home.empty()) return home;
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (getpwuid_r(getuid(), &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr &&
      found->pw_dir != nullptr) {
    return found->pw_dir;
  }
  return "";
}

std::shared_ptr<http::HttpClient> http_or_default(std::shared_ptr<http::HttpClient> http) {
  return http ? std::move(http) : http::make_curl_http_client();
}

std::string trim(std::string_view text) {
  auto is_space = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return std::string(text);
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string trim_trailing_slashes(std::string_view url) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return std::string(url);
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return out.str();
}

std::optional<Clock::time_point> parse_iso8601(std::string_view text) {
  auto parsed = util::parse_utc_timestamp(text);
  if (!parsed) return std::nullopt;
  return std::chrono::time_point_cast<std::chrono::seconds>(*parsed);  // credentials expire on seconds
}

std::string format_iso8601(Clock::time_point time) { return util::iso8601_seconds(time); }

Status unavailable(std::string message) {
  return Status(ErrorCode::kCredentialsUnavailable, std::move(message));
}

Status misconfigured(std::string message) { return Status(ErrorCode::kInvalidArgument, std::move(message)); }

StatusOr<Credentials> credentials_from_json(std::string_view body, std::string_view token_key,
                                            const std::string& label, std::string source) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return misconfigured(label + ": not a JSON object");
  auto text = [&](std::string_view key) -> std::string {
    auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  Credentials credentials;
  credentials.access_key_id = text("AccessKeyId");
  credentials.secret_access_key = text("SecretAccessKey");
  credentials.session_token = text(token_key);
  credentials.source = std::move(source);
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return misconfigured(label + ": AccessKeyId or SecretAccessKey missing");
  }
  std::string expiration = text("Expiration");
  if (!expiration.empty()) {
    credentials.expiration = parse_iso8601(expiration);
    if (!credentials.expiration) {
      return misconfigured(label + ": Expiration \"" + expiration + "\" is not an ISO-8601 time");
    }
  }
  return credentials;
}

}  // namespace agents::aws::detail
