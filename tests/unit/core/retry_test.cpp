#include "agents/core/retry.hpp"

#include <gtest/gtest.h>

#include <type_traits>
#include <vector>

#include "agents/aws/retry.hpp"

namespace agents {
namespace {

using namespace std::chrono_literals;

Status transient(bool throttling = false) {
  ErrorDetails d;
  d.transient = true;
  d.throttling = throttling;
  return Status(ErrorCode::kServiceError, "boom", d);
}

TEST(Backoff, IsFullJitterOverACappedExponential) {
  RetryOptions o{.jitter = [] { return 0.5; }};
  EXPECT_EQ(backoff_delay(o, 1, true), 500ms);
  EXPECT_EQ(backoff_delay(o, 3, true), 2000ms);
  EXPECT_EQ(backoff_delay(o, 10, true), 10000ms);  // capped at 20 s before the jitter
  EXPECT_EQ(backoff_delay(o, 2, false), 25ms);
  o.jitter = [] { return 0.0; };
  EXPECT_EQ(backoff_delay(o, 5, true), 0ms);
}

TEST(RetryQuota, RefundsOnSuccessUpToCapacity) {
  RetryQuota q(20);
  EXPECT_TRUE(q.try_acquire(14));
  EXPECT_FALSE(q.try_acquire(14));
  EXPECT_EQ(q.available(), 6);
  q.on_success(14);
  EXPECT_EQ(q.available(), 20);
  q.on_success(0);
  EXPECT_EQ(q.available(), 20);  // never above capacity
}

TEST(RunWithRetries, StopsAtPermanentErrorsAndCountsAttempts) {
  RetryOptions o{.sleeper = [](auto) {}, .jitter = [] { return 0.0; }};
  RetryQuota q(500);
  RetryStats stats;
  int calls = 0;
  Status s = run_with_retries(o, q, stats, [&](int) {
    ++calls;
    return calls < 3 ? transient() : Status(ErrorCode::kInvalidArgument, "bad");
  });
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "bad");  // permanent errors come back untouched
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(stats.attempts, 3);
  EXPECT_EQ(q.available(), 500 - 28);
}

TEST(RunWithRetries, ThrottlingBecomesThrottledWhenAttemptsRunOut) {
  std::vector<std::chrono::milliseconds> slept;
  RetryOptions o{
      .max_attempts = 3, .sleeper = [&](auto d) { slept.push_back(d); }, .jitter = [] { return 1.0; }};
  RetryQuota q(500);
  RetryStats stats;
  Status s = run_with_retries(o, q, stats, [&](int) { return transient(true); });
  EXPECT_EQ(s.code(), ErrorCode::kThrottled);
  EXPECT_EQ(stats.throttled, 3);
  EXPECT_EQ(slept, (std::vector<std::chrono::milliseconds>{1000ms, 2000ms}));
  EXPECT_EQ(q.available(), 490);
}

// A server's Retry-After is a minimum: the loop waits the longer of it and its own backoff,
// through the injected sleeper.
TEST(RunWithRetries, WaitsAtLeastWhatTheServerAsked) {
  std::vector<std::chrono::milliseconds> waits;
  RetryOptions o{.sleeper = [&](std::chrono::milliseconds d) { waits.push_back(d); },
                 .jitter = [] { return 0.5; }};
  RetryQuota q(500);
  RetryStats stats;
  int calls = 0;
  Status s = run_with_retries(o, q, stats, [&](int) {
    ++calls;
    if (calls == 3) return Status();
    Status failed = transient(/*throttling=*/true);
    if (calls == 1) failed.details().retry_after = 3s;    // longer than the 500 ms backoff
    if (calls == 2) failed.details().retry_after = 10ms;  // shorter than the 1 s backoff
    return failed;
  });
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(waits, (std::vector<std::chrono::milliseconds>{3000ms, 1000ms}));
  EXPECT_EQ(stats.slept, 4000ms);
}

// The AWS names are the same types, with the standard mode's numbers.
TEST(AwsRetryNames, AreTheCorePolicyWithStandardModeDefaults) {
  static_assert(std::is_same_v<aws::RetryOptions, RetryOptions>);
  const RetryOptions standard = aws::standard_retry_mode();
  EXPECT_EQ(standard.max_attempts, 4);
  EXPECT_EQ(standard.throttling_base, 1000ms);
  EXPECT_EQ(standard.transient_base, 25ms);
  EXPECT_EQ(standard.max_backoff, 20000ms);
  EXPECT_EQ(standard.quota_capacity, 500);
}

}  // namespace
}  // namespace agents
