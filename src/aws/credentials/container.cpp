// ECS task roles and EKS Pod Identity: credentials from a local HTTP endpoint.
#include <thread>

#include "agents/aws/credentials.hpp"
#include "agents/http/http_client.hpp"
#include "aws/credentials/common.hpp"

namespace agents::aws::detail {

namespace {

constexpr const char* kRelativeUri = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
constexpr const char* kFullUri = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
constexpr const char* kTokenFile = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";
constexpr const char* kToken = "AWS_CONTAINER_AUTHORIZATION_TOKEN";

bool is_loopback_ipv4(std::string_view host) {
  if (!host.starts_with("127.")) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

// Plain http is allowed only to hosts that cannot be on someone else's network (botocore's list).
bool is_allowed_full_uri(const std::string& uri) {
  std::string lower = to_lower(uri);
  if (lower.starts_with("https://")) return lower.size() > 8;
  if (!lower.starts_with("http://")) return false;
  std::string_view authority = std::string_view(lower).substr(7);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  std::string_view host = authority;
  if (host.starts_with("[")) {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  return host == "localhost" || host == "[::1]" || is_loopback_ipv4(host) || host == "169.254.170.2" ||
         host == "169.254.170.23" || host == "[fd00:ec2::23]";
}

class ContainerProvider final : public CredentialsProvider {
 public:
  explicit ContainerProvider(CredentialsChainOptions options) : options_(std::move(options)) {
    options_.env = or_process_environment(std::move(options_.env));
    options_.http = http_or_default(std::move(options_.http));
  }

  StatusOr<Credentials> get(Clock::time_point /*now*/) override {
    std::string url;
    if (std::string relative = env_get(options_.env, kRelativeUri); !relative.empty()) {
      url =
          trim_trailing_slashes(options_.container_host) + (relative.starts_with("/") ? "" : "/") + relative;
    } else if (std::string full = env_get(options_.env, kFullUri); !full.empty()) {
      if (!is_allowed_full_uri(full)) {
        return misconfigured(
            std::string("container: ") + kFullUri +
            " must be https or point at a loopback address, 169.254.170.2, 169.254.170.23 or "
            "[fd00:ec2::23]; got " +
            full);
      }
      url = full;
    } else {
      return unavailable(std::string("container: neither ") + kRelativeUri + " nor " + kFullUri + " set");
    }

    http::Request request{.method = "GET", .url = url, .headers = {{"Accept", "application/json"}}};
    request.timeout = options_.container_timeout;
    auto token = authorization_token();
    if (!token.ok()) return token.status();
    if (!token->empty()) request.headers.push_back({"Authorization", *token});

    Status last;
    for (int attempt = 1; attempt <= std::max(1, options_.container_attempts); ++attempt) {
      if (attempt > 1) sleep_with(options_.sleeper, options_.container_retry_delay);
      auto response = options_.http->send(request);
      if (!response.ok()) {
        last = Status(response.status().code(), "container: " + response.status().message(),
                      response.status().details());
        continue;
      }
      if (response->status == 200) {
        return credentials_from_json(response->body, "Token", "container: the answer of " + url,
                                     "container endpoint");
      }
      ErrorDetails details;
      details.http_status = response->status;
      details.transient = response->status >= 500 || response->status == 429;
      last = Status(response->status == 401 || response->status == 403 ? ErrorCode::kAccessDenied
                                                                       : ErrorCode::kServiceError,
                    "container: " + url + " answered HTTP " + std::to_string(response->status), details);
      if (!details.transient) break;
    }
    return last;
  }
  std::string name() const override { return "container"; }

 private:
  // The token file wins and is read on every call (EKS rotates it).
  StatusOr<std::string> authorization_token() const {
    std::string token, origin;
    if (std::string file = env_get(options_.env, kTokenFile); !file.empty()) {
      auto contents = read_file(file);
      if (!contents) return misconfigured(std::string("container: cannot read ") + kTokenFile + " " + file);
      token = std::move(*contents);
      origin = kTokenFile;
    } else {
      token = env_get(options_.env, kToken);
      origin = kToken;
    }
    if (token.find_first_of("\r\n") != std::string::npos) {
      return misconfigured("container: the authorization token from " + origin +
                           " contains a line break, which is not allowed in a header");
    }
    return token;
  }

  CredentialsChainOptions options_;
};

}  // namespace

}  // namespace agents::aws::detail

namespace agents::aws {

std::shared_ptr<CredentialsProvider> make_container_credentials_provider(CredentialsChainOptions options) {
  return std::make_shared<detail::ContainerProvider>(std::move(options));
}

}  // namespace agents::aws
