// Which CA bundle the AWS CLI and SDKs would trust for a profile: AWS_CA_BUNDLE, else the
// profile's `ca_bundle` (corporate TLS-inspecting proxies, local HTTPS endpoints).
#pragma once

#include <string>

#include "agents/aws/credentials.hpp"

namespace agents::aws::detail {

/// AWS_CA_BUNDLE > `ca_bundle` of the selected profile in the config file; "" when neither
/// (public as agents::aws::resolve_ca_bundle).
using agents::aws::resolve_ca_bundle;

}  // namespace agents::aws::detail
