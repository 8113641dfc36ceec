// The refreshing cache in front of a provider: single-flight refresh, advisory and mandatory
// windows (botocore RefreshableCredentials).
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>

#include "agents/aws/credentials.hpp"

namespace agents::aws {

namespace {

class CachingProvider final : public CredentialsProvider {
 public:
  CachingProvider(std::shared_ptr<CredentialsProvider> inner, CredentialsCacheOptions options)
      : inner_(std::move(inner)), options_(options) {}

  StatusOr<Credentials> get(Clock::time_point now) override {
    std::unique_lock lock(mu_);
    if (cached_ && !cached_->expiration) return *cached_;  // long-term keys: cached for good
    if (cached_) {
      auto left = *cached_->expiration - now;
      if (left > options_.advisory_refresh) return *cached_;
      // Advisory window: one caller refreshes, the others keep using what they have.
      if (left > options_.mandatory_refresh && refreshing_) return *cached_;
    }
    if (refreshing_) {
      // Mandatory window, expired or empty: wait for the refresh under way.
      std::uint64_t generation = generation_;
      refreshed_.wait(lock, [&] { return generation_ != generation; });
      if (cached_ && (last_error_.ok() || still_valid(now))) return *cached_;
      if (!last_error_.ok()) return last_error_;
      return Status(ErrorCode::kCredentialsUnavailable,
                    inner_->name() + ": credentials invalidated during refresh");
    }
    return refresh(lock, now);
  }

  std::string name() const override { return inner_->name(); }

  void invalidate() override {
    {
      std::lock_guard lock(mu_);
      cached_.reset();
    }
    inner_->invalidate();
  }

 private:
  StatusOr<Credentials> refresh(std::unique_lock<std::mutex>& lock, Clock::time_point now) {
    refreshing_ = true;
    lock.unlock();
    StatusOr<Credentials> result = Status(ErrorCode::kCredentialsUnavailable, "refresh did not run");
    try {
      result = inner_->get(now);
    } catch (const std::exception& e) {
      result = Status(ErrorCode::kCredentialsUnavailable, inner_->name() + ": " + e.what());
    }
    lock.lock();
    refreshing_ = false;
    ++generation_;
    last_error_ = result.ok() ? Status() : result.status();
    if (result.ok()) cached_ = *result;
    refreshed_.notify_all();
    if (result.ok()) return result;
    // A failed refresh keeps credentials that still work (the advisory window, or the mandatory
    // one before they actually expire) rather than failing calls that would succeed.
    if (still_valid(now)) return *cached_;
    return result;
  }

  bool still_valid(Clock::time_point now) const {
    return cached_ && (!cached_->expiration || now < *cached_->expiration);
  }

  std::shared_ptr<CredentialsProvider> inner_;
  CredentialsCacheOptions options_;
  std::mutex mu_;
  std::condition_variable refreshed_;
  std::optional<Credentials> cached_;
  bool refreshing_ = false;
  std::uint64_t generation_ = 0;  ///< completed refreshes, for waiters
  Status last_error_;
};

}  // namespace

std::shared_ptr<CredentialsProvider> make_caching_credentials_provider(
    std::shared_ptr<CredentialsProvider> inner, CredentialsCacheOptions options) {
  return std::make_shared<CachingProvider>(std::move(inner), options);
}

}  // namespace agents::aws
