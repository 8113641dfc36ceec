// AssumeRoleWithWebIdentity from a token file (EKS IRSA), shared by the environment-configured
// provider and profiles with web_identity_token_file.
#pragma once

#include <string>

#include "agents/aws/credentials.hpp"
#include "aws/credentials/sts.hpp"

namespace agents::aws::detail {

/// Reads `token_file` (every call: the kubelet rotates it) and exchanges it at STS.
StatusOr<Credentials> web_identity_credentials(http::HttpClient& http, const StsEndpoint& endpoint,
                                               const std::string& token_file, const AssumeRoleParams& params,
                                               const std::string& label);

}  // namespace agents::aws::detail
