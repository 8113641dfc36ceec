// A stand-in for the Lambda Runtime API (2018-06-01) on 127.0.0.1: `/next` long-polls a queue of
// events and hands each out with the headers Lambda sends; `/response`, `/error` and
// `/init/error` are recorded with their headers. close() makes `/next` answer 500, the Runtime
// API's "unrecoverable, exit" signal, so a runtime loop under test ends by itself.
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "support/loopback_server.hpp"

namespace agents::testing {

struct RuntimeEvent {
  std::string request_id;  ///< empty: the Lambda-Runtime-Aws-Request-Id header is left out
  std::string payload;
  /// Lambda-Runtime-Deadline-Ms; nullopt: 30 s after the event is handed out.
  std::optional<std::int64_t> deadline_ms;
  std::string function_arn = "arn:aws:lambda:us-east-1:123456789012:function:agents-chat";
  std::string trace_id;       ///< empty: no Lambda-Runtime-Trace-Id
  std::string invocation_id;  ///< empty: no Lambda-Runtime-Invocation-Id
  int post_status = 202;      ///< what /response or /error of this request id answers (e.g. 410)
};

struct RuntimePost {
  std::string kind;  ///< "response", "error" or "init_error"
  std::string request_id;
  std::string body;
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::chrono::steady_clock::time_point received_at;

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

inline std::int64_t epoch_ms_in(std::chrono::milliseconds from_now) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             (std::chrono::system_clock::now() + from_now).time_since_epoch())
      .count();
}

class RuntimeApiStandIn {
 public:
  RuntimeApiStandIn() {
    auto& s = server_.server();
    s.set_tcp_nodelay(true);  // as Lambda's: no 40 ms Nagle/delayed-ACK stall between header and body
    s.Get("/2018-06-01/runtime/invocation/next", [this](const httplib::Request&, httplib::Response& res) {
      std::unique_lock lock(mu_);
      ++next_calls_;
      cv_.wait(lock, [this] { return closed_ || !queue_.empty(); });
      if (queue_.empty()) {
        res.status = 500;
        res.set_content(R"({"errorMessage":"stand-in closed","errorType":"Runtime.Closed"})",
                        "application/json");
        return;
      }
      RuntimeEvent e = std::move(queue_.front());
      queue_.pop_front();
      if (!e.request_id.empty()) {
        res.set_header("Lambda-Runtime-Aws-Request-Id", e.request_id);
        post_status_[e.request_id] = e.post_status;
        handed_out_[e.request_id] = std::chrono::steady_clock::now();
      }
      res.set_header("Lambda-Runtime-Deadline-Ms",
                     std::to_string(e.deadline_ms.value_or(epoch_ms_in(std::chrono::seconds(30)))));
      res.set_header("Lambda-Runtime-Invoked-Function-Arn", e.function_arn);
      if (!e.trace_id.empty()) res.set_header("Lambda-Runtime-Trace-Id", e.trace_id);
      if (!e.invocation_id.empty()) res.set_header("Lambda-Runtime-Invocation-Id", e.invocation_id);
      res.status = 200;
      res.set_content(e.payload, "application/json");
    });
    s.Post(R"(/2018-06-01/runtime/invocation/([^/]+)/(response|error))",
           [this](const httplib::Request& req, httplib::Response& res) {
             int status = record(req.matches[2].str(), req.matches[1].str(), req);
             res.status = status;
             if (status == 410) {
               res.set_content(R"({"errorMessage":"Invoke Id expired","errorType":"InvalidRequestID"})",
                               "application/json");
             } else {
               res.set_content(R"({"status":"OK"})", "application/json");
             }
           });
    s.Post("/2018-06-01/runtime/init/error", [this](const httplib::Request& req, httplib::Response& res) {
      res.status = record("init_error", "", req);
      res.set_content(R"({"status":"OK"})", "application/json");
    });
    server_.start();
  }

  ~RuntimeApiStandIn() {
    close();
    server_.stop();
  }
  RuntimeApiStandIn(const RuntimeApiStandIn&) = delete;
  RuntimeApiStandIn& operator=(const RuntimeApiStandIn&) = delete;

  /// host:port, the value of AWS_LAMBDA_RUNTIME_API.
  std::string address() const { return "127.0.0.1:" + std::to_string(server_.port()); }

  void push(RuntimeEvent event) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(event));
    }
    cv_.notify_all();
  }

  /// From now on an empty queue makes `/next` answer 500 (events already queued are still served).
  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

  /// Waits until `count` posts have arrived (or the timeout passed); returns all of them.
  std::vector<RuntimePost> wait_for_posts(std::size_t count,
                                          std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    std::unique_lock lock(mu_);
    posts_cv_.wait_for(lock, timeout, [&] { return posts_.size() >= count; });
    return posts_;
  }

  /// The post for `request_id`; fails the test when none arrives in time.
  RuntimePost wait_for(const std::string& request_id,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    std::unique_lock lock(mu_);
    const RuntimePost* found = nullptr;
    posts_cv_.wait_for(lock, timeout, [&] {
      for (const auto& p : posts_) {
        if (p.request_id == request_id) found = &p;
      }
      return found != nullptr;
    });
    if (found == nullptr) {
      ADD_FAILURE() << "no /response or /error for " << request_id;
      return {};
    }
    return *found;
  }

  std::vector<RuntimePost> posts() const {
    std::lock_guard lock(mu_);
    return posts_;
  }
  int next_calls() const {
    std::lock_guard lock(mu_);
    return next_calls_;
  }
  /// When `/next` handed out `request_id` (steady clock).
  std::chrono::steady_clock::time_point handed_out_at(const std::string& request_id) const {
    std::lock_guard lock(mu_);
    auto it = handed_out_.find(request_id);
    return it == handed_out_.end() ? std::chrono::steady_clock::time_point{} : it->second;
  }

 private:
  int record(const std::string& kind, const std::string& request_id, const httplib::Request& req) {
    RuntimePost post;
    post.kind = kind;
    post.request_id = request_id;
    post.body = req.body;
    post.received_at = std::chrono::steady_clock::now();
    for (const auto& [name, value] : req.headers) {
      std::string lower = name;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      post.headers[lower] = value;
    }
    int status = 202;
    {
      std::lock_guard lock(mu_);
      auto it = post_status_.find(request_id);
      if (it != post_status_.end()) status = it->second;
      posts_.push_back(std::move(post));
    }
    posts_cv_.notify_all();
    return status;
  }

  LoopbackServer server_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable posts_cv_;
  std::deque<RuntimeEvent> queue_;
  std::vector<RuntimePost> posts_;
  std::map<std::string, int> post_status_;
  std::map<std::string, std::chrono::steady_clock::time_point> handed_out_;
  int next_calls_ = 0;
  bool closed_ = false;
};

}  // namespace agents::testing
