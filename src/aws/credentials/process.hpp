// credential_process: an external command that prints credentials as JSON.
#pragma once

#include <string>

#include "agents/aws/credentials.hpp"

namespace agents::aws::detail {

/// Runs `command` with /bin/sh -c; stdout must be {"Version": 1, "AccessKeyId", "SecretAccessKey",
/// "SessionToken"?, "Expiration"? (ISO-8601; absent: never expires)}. stderr passes through to ours
/// (not merged as aws-sdk-cpp does: a warning there would break the JSON). Messages start with
/// `label` and quote neither the command (it may carry a secret) nor its output.
StatusOr<Credentials> run_credential_process(const std::string& command, const std::string& label,
                                             std::string source);

}  // namespace agents::aws::detail
