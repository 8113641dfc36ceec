#include "agents/core/retry.hpp"

#include <algorithm>
#include <random>
#include <thread>

namespace agents {

void sleep_with(const Sleeper& sleeper, std::chrono::milliseconds delay) {
  if (sleeper) {
    sleeper(delay);
  } else if (delay.count() > 0) {
    std::this_thread::sleep_for(delay);
  }
}

bool RetryQuota::try_acquire(int cost) {
  std::lock_guard lock(mu_);
  if (available_ < cost) return false;
  available_ -= cost;
  return true;
}

void RetryQuota::on_success(int last_retry_cost) {
  std::lock_guard lock(mu_);
  available_ = std::min(capacity_, available_ + (last_retry_cost > 0 ? last_retry_cost : 1));
}

int RetryQuota::available() const {
  std::lock_guard lock(mu_);
  return available_;
}

namespace {

double default_jitter() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace

std::chrono::milliseconds backoff_delay(const RetryOptions& options, int retry, bool throttling) {
  auto base = throttling ? options.throttling_base : options.transient_base;
  double exp = static_cast<double>(base.count()) * static_cast<double>(1LL << std::min(retry - 1, 30));
  double capped = std::min(exp, static_cast<double>(options.max_backoff.count()));
  double r = options.jitter ? options.jitter() : default_jitter();
  return std::chrono::milliseconds(static_cast<long long>(r * capped));
}

Status run_with_retries(const RetryOptions& options, RetryQuota& quota, RetryStats& stats,
                        const std::function<Status(int attempt)>& attempt) {
  int last_retry_cost = 0;
  for (int n = 1;; ++n) {
    stats.attempts = n;
    Status status = attempt(n);
    if (status.ok()) {
      quota.on_success(last_retry_cost);
      return status;
    }
    const auto& d = status.details();
    if (d.throttling) ++stats.throttled;
    if (d.outcome_unknown) stats.outcome_unknown_attempt = true;
    std::string why;
    if (!d.transient) return status;  // permanent: the caller sees it as is
    int cost = d.throttling ? options.throttling_cost : options.transient_cost;
    if (n >= options.max_attempts) {
      why = "gave up after " + std::to_string(n) + " attempts (max attempts reached)";
    } else if (!quota.try_acquire(cost)) {
      why = "gave up after " + std::to_string(n) + " attempts (retry quota exhausted)";
    }
    if (!why.empty()) {
      ErrorCode code = d.throttling ? ErrorCode::kThrottled : status.code();
      return Status(code, status.message() + "; " + why, d);
    }
    last_retry_cost = cost;
    const auto delay = std::max(backoff_delay(options, n, d.throttling), d.retry_after);
    stats.slept += delay;
    if (options.on_retry) options.on_retry(status, n + 1, options.max_attempts, delay);
    sleep_with(options.sleeper, delay);
  }
}

}  // namespace agents
