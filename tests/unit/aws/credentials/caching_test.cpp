// The refreshing cache, driven by a fake clock ("now" is a parameter) and a counting provider.
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <thread>
#include <vector>

#include "agents/aws/credentials.hpp"
#include "test_helpers.hpp"

namespace agents::aws {
namespace {

using namespace agents::aws::testing;
using namespace std::chrono_literals;

const Clock::time_point kStart = Clock::from_time_t(1767225600);

/// Answers with credentials "AKID<n>" expiring `lifetime` after the `now` it is given; can fail
/// or block until released, and counts its calls.
class CountingProvider final : public CredentialsProvider {
 public:
  explicit CountingProvider(std::optional<std::chrono::seconds> lifetime = 1h) : lifetime_(lifetime) {}

  StatusOr<Credentials> get(Clock::time_point now) override {
    int n = ++calls;
    {
      std::unique_lock lock(mu_);
      entered_ = true;
      entered_cv_.notify_all();
      release_cv_.wait(lock, [&] { return !blocked_; });
    }
    if (fail) return Status(ErrorCode::kAccessDenied, "sts: denied");
    Credentials c{
        .access_key_id = "AKID" + std::to_string(n), .secret_access_key = kSecret, .source = "fake"};
    if (lifetime_) c.expiration = now + *lifetime_;
    return c;
  }
  std::string name() const override { return "counting"; }

  void block() {
    std::lock_guard lock(mu_);
    blocked_ = true;
    entered_ = false;
  }
  void wait_until_entered() {
    std::unique_lock lock(mu_);
    entered_cv_.wait(lock, [&] { return entered_; });
  }
  void release() {
    std::lock_guard lock(mu_);
    blocked_ = false;
    release_cv_.notify_all();
  }

  std::atomic<int> calls{0};
  std::atomic<bool> fail{false};

 private:
  std::optional<std::chrono::seconds> lifetime_;
  std::mutex mu_;
  std::condition_variable entered_cv_, release_cv_;
  bool blocked_ = false;
  bool entered_ = false;
};

TEST(CachingProvider, ServesFreshCredentialsFromTheCache) {
  auto inner = std::make_shared<CountingProvider>();
  auto cache = make_caching_credentials_provider(inner);
  EXPECT_EQ(cache->get(kStart)->access_key_id, "AKID1");
  EXPECT_EQ(cache->get(kStart + 44min)->access_key_id, "AKID1");  // 16 min left: fresh
  EXPECT_EQ(inner->calls, 1);
  EXPECT_EQ(cache->name(), "counting");
}

TEST(CachingProvider, CredentialsWithoutExpirationAreCachedForever) {
  auto inner = std::make_shared<CountingProvider>(std::nullopt);
  auto cache = make_caching_credentials_provider(inner);
  ASSERT_TRUE(cache->get(kStart).ok());
  ASSERT_TRUE(cache->get(kStart + 24h * 365 * 10).ok());
  EXPECT_EQ(inner->calls, 1);
}

TEST(CachingProvider, AdvisoryWindowRefreshesOnceWhileOthersKeepTheOldCredentials) {
  auto inner = std::make_shared<CountingProvider>();
  auto cache = make_caching_credentials_provider(inner);
  ASSERT_TRUE(cache->get(kStart).ok());
  auto advisory = kStart + 48min;  // 12 min left: between the 15 min and 10 min windows

  inner->block();
  auto refresher = std::async(std::launch::async, [&] { return cache->get(advisory); });
  inner->wait_until_entered();
  for (int i = 0; i < 3; ++i) {
    auto other = cache->get(advisory);  // does not block behind the refresh
    ASSERT_TRUE(other.ok());
    EXPECT_EQ(other->access_key_id, "AKID1");
  }
  inner->release();
  EXPECT_EQ(refresher.get()->access_key_id, "AKID2");
  EXPECT_EQ(cache->get(advisory)->access_key_id, "AKID2");
  EXPECT_EQ(inner->calls, 2);
}

TEST(CachingProvider, FailedAdvisoryRefreshKeepsTheOldCredentials) {
  auto inner = std::make_shared<CountingProvider>();
  auto cache = make_caching_credentials_provider(inner);
  ASSERT_TRUE(cache->get(kStart).ok());
  inner->fail = true;
  auto c = cache->get(kStart + 48min);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKID1");
  // Mandatory window: a refresh is tried every time, but working credentials are still used.
  EXPECT_EQ(cache->get(kStart + 55min)->access_key_id, "AKID1");
  EXPECT_EQ(inner->calls, 3);
  // Expired: the refresh error is returned.
  auto expired = cache->get(kStart + 61min);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.status().code(), ErrorCode::kAccessDenied);
  inner->fail = false;
  EXPECT_EQ(cache->get(kStart + 62min)->access_key_id, "AKID5");
}

TEST(CachingProvider, EightThreadsOnAnExpiredCacheCauseOneRefresh) {
  auto inner = std::make_shared<CountingProvider>();
  auto cache = make_caching_credentials_provider(inner);
  ASSERT_TRUE(cache->get(kStart).ok());
  auto expired = kStart + 2h;

  inner->block();
  std::vector<std::future<StatusOr<Credentials>>> callers;
  callers.push_back(std::async(std::launch::async, [&] { return cache->get(expired); }));
  inner->wait_until_entered();  // the first caller is refreshing; the others must wait for it
  for (int i = 0; i < 7; ++i)
    callers.push_back(std::async(std::launch::async, [&] { return cache->get(expired); }));
  std::this_thread::sleep_for(50ms);  // let them reach the wait (a slow machine only weakens the test)
  inner->release();
  for (auto& caller : callers) {
    auto c = caller.get();
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->access_key_id, "AKID2");
  }
  EXPECT_EQ(inner->calls, 2);  // the first fill, then exactly one refresh
}

TEST(CachingProvider, WaitersOfAFailedRefreshGetItsErrorWithoutRetrying) {
  auto inner = std::make_shared<CountingProvider>();
  auto cache = make_caching_credentials_provider(inner);
  inner->fail = true;
  inner->block();
  auto first = std::async(std::launch::async, [&] { return cache->get(kStart); });
  inner->wait_until_entered();
  auto second = std::async(std::launch::async, [&] { return cache->get(kStart); });
  std::this_thread::sleep_for(50ms);
  inner->release();
  EXPECT_EQ(first.get().status().code(), ErrorCode::kAccessDenied);
  auto waited = second.get();
  EXPECT_FALSE(waited.ok());
  EXPECT_LE(inner->calls, 2);  // 1 when the second caller waited, 2 if it came after
}

TEST(CachingProvider, InvalidateForcesARefresh) {
  auto inner = std::make_shared<CountingProvider>();
  auto cache = make_caching_credentials_provider(inner);
  ASSERT_TRUE(cache->get(kStart).ok());
  cache->invalidate();
  EXPECT_EQ(cache->get(kStart)->access_key_id, "AKID2");
}

TEST(CachingProvider, WindowsAreConfigurable) {
  auto inner = std::make_shared<CountingProvider>(10min);
  auto cache =
      make_caching_credentials_provider(inner, {.advisory_refresh = 2min, .mandatory_refresh = 1min});
  ASSERT_TRUE(cache->get(kStart).ok());
  EXPECT_EQ(cache->get(kStart + 7min)->access_key_id, "AKID1");
  EXPECT_EQ(cache->get(kStart + 9min)->access_key_id, "AKID2");
}

}  // namespace
}  // namespace agents::aws
