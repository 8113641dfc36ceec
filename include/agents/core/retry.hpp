// The retry policy every remote call of the library uses (DynamoDB, credential endpoints, chat
// models): exponential backoff with full jitter, a retry quota (token bucket) per client, and a
// bounded number of attempts. Only transient faults are retried (ErrorDetails::transient); a
// server's Retry-After (ErrorDetails::retry_after) is a minimum wait. The defaults are the AWS
// SDKs' standard retry mode (docs/errors.md, "Retries").
#pragma once

#include <chrono>
#include <functional>
#include <mutex>

#include "agents/core/status.hpp"
#include "agents/export.hpp"

namespace agents {

/// Waits for a delay. Every wait of the library goes through one (an option where it waits), so
/// tests and callers with their own scheduling can record or shorten waits.
using Sleeper = std::function<void(std::chrono::milliseconds)>;

/// Waits `delay` through `sleeper`, or on this thread when none is set.
AGENTS_API void sleep_with(const Sleeper& sleeper, std::chrono::milliseconds delay);

struct RetryOptions {
  int max_attempts = 4;                             ///< first attempt included; 1 disables retries
  std::chrono::milliseconds throttling_base{1000};  ///< backoff base after throttling
  std::chrono::milliseconds transient_base{25};     ///< backoff base after 5xx / transport faults
  std::chrono::milliseconds max_backoff{20000};
  int quota_capacity = 500;  ///< retry tokens per client
  int throttling_cost = 5;   ///< tokens a retry after throttling takes
  int transient_cost = 14;   ///< tokens a retry after another transient fault takes
  /// Sleeps between attempts; tests inject one that records instead of sleeping.
  Sleeper sleeper;
  /// Uniform random number in [0, 1) for the jitter; tests inject a fixed one.
  std::function<double()> jitter;
  /// Called before each retry's backoff with the error that caused it, the number of the attempt
  /// about to be made and the delay; e.g. the CLI says on a terminal what it is retrying.
  std::function<void(const Status& error, int next_attempt, int max_attempts,
                     std::chrono::milliseconds delay)>
      on_retry;
};

/// The token bucket shared by all calls of one client. Thread-safe.
class AGENTS_API RetryQuota {
 public:
  explicit RetryQuota(int capacity) : capacity_(capacity), available_(capacity) {}
  /// Takes `cost` tokens; false (and nothing taken) when there are not enough.
  bool try_acquire(int cost);
  /// After a success: refunds what the last retry took, or 1 when the call was not retried.
  void on_success(int last_retry_cost);
  int available() const;

 private:
  int capacity_;
  int available_;
  mutable std::mutex mu_;
};

/// What a call's attempts looked like, for observers and tests.
struct RetryStats {
  int attempts = 0;
  int throttled = 0;
  std::chrono::milliseconds slept{0};
  /// An attempt failed in a way that may have applied the request (reset after sending, 5xx):
  /// a later failed condition may then be this call's own earlier write.
  bool outcome_unknown_attempt = false;
};

/// Runs `attempt` until it succeeds, fails with a non-retryable error, attempts run out, or the
/// quota is exhausted. The final error's message says why retrying stopped; a throttling error
/// that outlasted the retries becomes kThrottled. Between attempts it waits the backoff, or the
/// failed attempt's `retry_after` when that is longer.
/// `attempt` returns Status (ok or not) and may stash its result by reference.
AGENTS_API Status run_with_retries(const RetryOptions& options, RetryQuota& quota, RetryStats& stats,
                                   const std::function<Status(int attempt)>& attempt);

/// The backoff before retry number `retry` (1-based), before capping: jitter * min(base*2^(retry-1), max).
AGENTS_API std::chrono::milliseconds backoff_delay(const RetryOptions& options, int retry, bool throttling);

}  // namespace agents
