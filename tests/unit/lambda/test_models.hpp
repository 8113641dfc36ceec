// Chat models for the Lambda handler tests: all wrap the offline model.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>

#include "agents/model/offline_chat_model.hpp"

namespace agents::testing {

/// Lets `parties` callers meet: each waits (at most `timeout`) until all have arrived.
class Rendezvous {
 public:
  explicit Rendezvous(int parties) : remaining_(parties) {}
  void arrive_and_wait(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    if (--remaining_ <= 0) {
      cv_.notify_all();
      return;
    }
    cv_.wait_for(lock, timeout, [this] { return remaining_ <= 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int remaining_;
};

/// The offline model, whose first call waits at a rendezvous: two handler instances that both
/// reach the model have both loaded the thread, so their saves race on one version.
class RendezvousModel final : public ChatModel {
 public:
  explicit RendezvousModel(std::shared_ptr<Rendezvous> rendezvous) : rendezvous_(std::move(rendezvous)) {}
  ChatResponse complete(const ChatRequest& request) override {
    if (!waited_.exchange(true)) rendezvous_->arrive_and_wait();
    return offline_.complete(request);
  }
  std::string name() const override { return "rendezvous+offline"; }

 private:
  std::shared_ptr<Rendezvous> rendezvous_;
  std::atomic<bool> waited_{false};
  OfflineChatModel offline_;
};

/// Throws what `fail` throws while it returns true (called with the 1-based call number).
class FailingModel final : public ChatModel {
 public:
  explicit FailingModel(std::function<void(int call)> fail) : fail_(std::move(fail)) {}
  ChatResponse complete(const ChatRequest& request) override {
    fail_(++calls_);
    return offline_.complete(request);
  }
  std::string name() const override { return "failing+offline"; }

 private:
  std::function<void(int)> fail_;
  std::atomic<int> calls_{0};
  OfflineChatModel offline_;
};

/// The offline model, adding up the time spent in it.
class TimedModel final : public ChatModel {
 public:
  ChatResponse complete(const ChatRequest& request) override {
    auto started = std::chrono::steady_clock::now();
    ChatResponse r = offline_.complete(request);
    spent_us_ +=
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started)
            .count();
    return r;
  }
  std::string name() const override { return "timed+offline"; }
  std::int64_t spent_us() const { return spent_us_.load(); }

 private:
  std::atomic<std::int64_t> spent_us_{0};
  OfflineChatModel offline_;
};

}  // namespace agents::testing
