// An HTTP transport for interleaving tests: wraps the real libcurl client and, for chosen
// DynamoDB requests, runs code before the request is sent, runs code after the server applied it
// (before the answer returns to the caller), or loses the answer of a request (applied or not),
// as a reset connection would. Callbacks may run whole checkpointer operations of other writers
// (through their own transports); the wrapped caller simply waits, as if the network were slow.
//
//   auto hooks = std::make_shared<HookTransport>();
//   hooks->on("PutItem").where(is_head_put).after_applied([&] { other.save(...); }).drop_answer();
//   writer.with_http_client(hooks);
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "agents/http/http_client.hpp"

namespace agents::testing {

/// A write of a chunk or segment item (they carry `chunk_of`), as opposed to a head write.
inline bool is_extra_item_put(const std::string& body) {
  return body.find("\"chunk_of\":{") != std::string::npos;
}
/// A head PutItem: its item has no `chunk_of` attribute (a condition may still name it).
inline bool is_head_put(const std::string& body) { return !is_extra_item_put(body); }

/// The answer a lost response gives: the request may or may not have been applied. Transient,
/// so the DynamoDB client retries it (the retry reaches the server).
inline Status lost_answer(bool transient = true) {
  return Status(ErrorCode::kConnectionFailed, "hook transport: connection reset before the answer arrived",
                ErrorDetails{.transient = transient, .outcome_unknown = true});
}

class HookTransport final : public http::HttpClient {
 public:
  using Callback = std::function<void()>;

  /// One rule: the `nth` request (1-based) of `operation` whose body satisfies the predicate.
  /// A rule fires once.
  class Rule {
   public:
    Rule& where(std::function<bool(const std::string& body)> predicate) {
      predicate_ = std::move(predicate);
      return *this;
    }
    Rule& nth(int n) {
      nth_ = n;
      return *this;
    }
    /// Runs before the request is sent.
    Rule& before_send(Callback callback) {
      before_ = std::move(callback);
      return *this;
    }
    /// Runs after the server answered (applied the request), before the answer is returned.
    Rule& after_applied(Callback callback) {
      after_ = std::move(callback);
      return *this;
    }
    /// The request is sent and applied, but its answer is lost (lost_answer()).
    Rule& drop_answer() {
      drop_answer_ = true;
      return *this;
    }
    /// The request is never sent; the caller gets `status` (lost_answer() by default).
    Rule& drop_without_sending(Status status = lost_answer()) {
      skip_send_ = true;
      skip_status_ = std::move(status);
      return *this;
    }
    /// The request is held back, as a slow network or a server queue would: the caller gets
    /// lost_answer() (and its client retries); HookTransport::deliver_held() sends it later.
    Rule& hold() {
      hold_ = true;
      return *this;
    }
    bool fired() const {
      std::lock_guard lock(*mu_);
      return fired_;
    }

   private:
    friend class HookTransport;
    explicit Rule(std::string target, std::mutex* mu) : target_(std::move(target)), mu_(mu) {}
    std::string target_;  ///< X-Amz-Target
    std::function<bool(const std::string&)> predicate_;
    int nth_ = 1;
    Callback before_;
    Callback after_;
    bool drop_answer_ = false;
    bool skip_send_ = false;
    bool hold_ = false;
    Status skip_status_;
    int seen_ = 0;
    bool fired_ = false;
    std::mutex* mu_;
  };

  explicit HookTransport(std::shared_ptr<http::HttpClient> inner = http::make_curl_http_client())
      : inner_(std::move(inner)) {}

  /// A new rule for a DynamoDB operation ("PutItem", "Scan", ...). Add rules before the writer
  /// that uses this transport starts an operation.
  Rule& on(std::string_view operation) {
    std::lock_guard lock(mu_);
    rules_.push_back(std::unique_ptr<Rule>(new Rule("DynamoDB_20120810." + std::string(operation), &mu_)));
    return *rules_.back();
  }

  /// How many requests of `operation` went through (attempts, including dropped ones).
  int count(std::string_view operation) const {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& t : targets_) n += t == "DynamoDB_20120810." + std::string(operation) ? 1 : 0;
    return n;
  }

  /// Sends the held requests now (a late duplicate reaching the server); their answers.
  std::vector<StatusOr<http::Response>> deliver_held() {
    std::vector<http::Request> held;
    {
      std::lock_guard lock(mu_);
      held.swap(held_);
    }
    std::vector<StatusOr<http::Response>> answers;
    for (const auto& request : held) answers.push_back(inner_->send(request));
    return answers;
  }

  StatusOr<http::Response> send(const http::Request& request) override {
    const std::string* target = http::find_header(request.headers, "X-Amz-Target");
    Rule* rule = nullptr;
    {
      std::lock_guard lock(mu_);
      if (target != nullptr) {
        targets_.push_back(*target);
        for (auto& r : rules_) {
          if (r->fired_ || r->target_ != *target) continue;
          if (r->predicate_ && !r->predicate_(request.body)) continue;
          if (++r->seen_ == r->nth_) {
            r->fired_ = true;
            rule = r.get();
            break;
          }
        }
      }
    }
    if (rule == nullptr) return inner_->send(request);
    // Callbacks run without the lock: they may use other transports, or this one again.
    if (rule->before_) rule->before_();
    if (rule->skip_send_) return rule->skip_status_;
    if (rule->hold_) {
      std::lock_guard lock(mu_);
      held_.push_back(request);
      return lost_answer();
    }
    auto response = inner_->send(request);
    if (rule->after_) rule->after_();
    if (rule->drop_answer_ && response.ok()) return lost_answer();
    return response;
  }

 private:
  std::shared_ptr<http::HttpClient> inner_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Rule>> rules_;
  std::vector<std::string> targets_;
  std::vector<http::Request> held_;
};

}  // namespace agents::testing
