// AWS's names for the library's retry policy (agents/core/retry.hpp), whose defaults are the AWS
// SDKs' standard retry mode. Kept so that code written against `agents::aws::RetryOptions`
// compiles unchanged.
#pragma once

#include "agents/core/retry.hpp"

namespace agents::aws {

using agents::backoff_delay;
using agents::RetryOptions;
using agents::RetryQuota;
using agents::RetryStats;
using agents::run_with_retries;

/// The AWS SDKs' standard retry mode for DynamoDB: 4 attempts, 25 ms transient and 1 s
/// throttling backoff bases, 20 s cap, a 500-token quota (docs/errors.md, "Retries").
inline RetryOptions standard_retry_mode() { return RetryOptions{}; }

}  // namespace agents::aws
