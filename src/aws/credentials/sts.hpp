// AWS STS calls of the credential providers (Query protocol, XML answers): AssumeRole, signed
// with the source credentials, and AssumeRoleWithWebIdentity, unsigned.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/aws/credentials.hpp"
#include "agents/core/status.hpp"

namespace agents::http {
class HttpClient;
}

namespace agents::aws::detail {

struct StsEndpoint {
  std::string url;     ///< e.g. https://sts.us-west-2.amazonaws.com (no trailing slash)
  std::string region;  ///< signing region
};

/// options.sts_endpoint > AWS_ENDPOINT_URL_STS > AWS_ENDPOINT_URL > the regional endpoint of
/// options.region > AWS_REGION > AWS_DEFAULT_REGION > profile region > us-east-1.
StsEndpoint sts_endpoint(const CredentialsChainOptions& options);

struct AssumeRoleParams {
  std::string role_arn;
  std::string session_name;
  std::string external_id;              ///< AssumeRole only; empty: not sent
  std::optional<int> duration_seconds;  ///< empty: the role's default (one hour)
};

/// "agents-sdk-cpp-<unix seconds>", for profiles and variables that name no session.
std::string default_session_name(Clock::time_point now);

/// Error messages start with `label`.
StatusOr<Credentials> sts_assume_role(http::HttpClient& http, const StsEndpoint& endpoint,
                                      const AssumeRoleParams& params, const Credentials& source,
                                      Clock::time_point now, const std::string& label);
StatusOr<Credentials> sts_assume_role_with_web_identity(http::HttpClient& http, const StsEndpoint& endpoint,
                                                        const AssumeRoleParams& params,
                                                        const std::string& token, const std::string& label);

/// The content of the first <tag>...</tag> in `xml` as written; nullopt when absent. Enough for
/// STS answers; not a general XML parser.
std::optional<std::string_view> xml_raw_element(std::string_view xml, std::string_view tag);
/// The same with entities decoded: for leaf elements.
std::optional<std::string> xml_element(std::string_view xml, std::string_view tag);

}  // namespace agents::aws::detail
