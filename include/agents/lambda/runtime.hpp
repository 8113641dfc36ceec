// A Lambda custom runtime: the Runtime API loop (2018-06-01) behind a plain handler function.
//
//   int main() {
//     return agents::lambda::run_lambda([](const agents::lambda::Invocation& in) {
//       return agents::lambda::InvocationResponse::success("{\"ok\":true}");
//     });
//   }
//
// Built as an executable named `bootstrap` and deployed on `provided.al2023` (docs/lambda.md).
// The loop long-polls `/runtime/invocation/next`, exports the X-Ray trace header as
// `_X_AMZN_TRACE_ID`, calls the handler and posts its result to `/response` or `/error`, echoing
// `Lambda-Runtime-Invocation-Id`. A handler that throws is reported through `/error` and the loop
// goes on; a failing setup is reported through `/runtime/init/error`.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "agents/core/retry.hpp"  // Sleeper
#include "agents/core/status.hpp"
#include "agents/export.hpp"

namespace agents::http {
class HttpClient;
}

namespace agents::lambda {

/// One event, as `/next` handed it out.
struct AGENTS_API Invocation {
  std::string request_id;  ///< Lambda-Runtime-Aws-Request-Id
  /// Lambda-Runtime-Deadline-Ms; time_point::max() when the header was absent or unreadable.
  std::chrono::system_clock::time_point deadline = std::chrono::system_clock::time_point::max();
  std::string invoked_function_arn;  ///< Lambda-Runtime-Invoked-Function-Arn
  std::string trace_id;              ///< Lambda-Runtime-Trace-Id (X-Ray), e.g. "Root=1-...;Sampled=1"
  std::string client_context;        ///< Lambda-Runtime-Client-Context (mobile SDK invocations)
  std::string cognito_identity;      ///< Lambda-Runtime-Cognito-Identity (mobile SDK invocations)
  std::string tenant_id;             ///< Lambda-Runtime-Aws-Tenant-Id (tenant-isolated functions)
  /// Lambda-Runtime-Invocation-Id: never reused across retries; echoed on /response and /error.
  std::string invocation_id;
  std::string payload;  ///< the event, as received (JSON for API Gateway)

  /// Time left before Lambda stops the invocation; zero or negative once the deadline passed.
  std::chrono::milliseconds remaining_time(
      std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;
};

/// What the handler returns: a payload for `/response`, or a function error for `/error`.
struct AGENTS_API InvocationResponse {
  std::string payload;
  std::string content_type = "application/json";
  bool is_failure = false;
  std::string error_type;  ///< errorType of a failure (also sent as Lambda-Runtime-Function-Error-Type)

  static InvocationResponse success(std::string payload, std::string content_type = "application/json");
  /// A function error: posted to `/error` as {"errorMessage","errorType","stackTrace":[]}.
  static InvocationResponse failure(std::string_view error_message, std::string_view error_type);
};

using Handler = std::function<InvocationResponse(const Invocation&)>;

/// The Lambda error document: {"errorMessage":...,"errorType":...,"stackTrace":[]}.
AGENTS_API std::string error_document(std::string_view error_message, std::string_view error_type);

/// Plain options; durations carry their units.
struct RuntimeOptions {
  /// host:port of the Runtime API; empty reads AWS_LAMBDA_RUNTIME_API.
  std::string runtime_api;
  /// The transport; nullptr means a libcurl client (keep-alive, 1 s connect timeout). `/next` is
  /// always sent without a timeout: the sandbox may be frozen for any time between events.
  std::shared_ptr<http::HttpClient> http;
  /// Failed `/next` attempts in a row (transport faults, unexpected statuses) before run() gives up.
  int max_next_attempts = 3;
  /// Pause between two failed `/next` attempts.
  std::chrono::milliseconds next_retry_delay{100};
  /// Waits between failed `/next` attempts (unset: this thread sleeps).
  Sleeper sleeper;
  /// Stop after this many invocations (tests, benchmarks); 0 runs until the Runtime API says stop.
  std::size_t max_invocations = 0;
  /// Where the loop logs (one line each: stale responses, retries, fatal errors); empty: stderr.
  std::function<void(std::string_view)> log;
};

/// The loop, and its single steps for callers that want their own. Not thread-safe: one loop
/// per process (Lambda hands one event at a time to a sandbox). run() sets or removes
/// `_X_AMZN_TRACE_ID` in the process environment before each event, on the loop's thread.
/// Performance: one keep-alive connection to the Runtime API, reused by every call.
class AGENTS_API LambdaRuntime {
 public:
  /// InvalidArgumentError when neither `options.runtime_api` nor AWS_LAMBDA_RUNTIME_API is set.
  explicit LambdaRuntime(RuntimeOptions options = {});
  ~LambdaRuntime();
  LambdaRuntime(const LambdaRuntime&) = delete;
  LambdaRuntime& operator=(const LambdaRuntime&) = delete;

  /// Waits for the next event (no timeout). An error when the call failed, the status was not 200
  /// (details().http_status says which) or the request id header was missing.
  StatusOr<Invocation> next();
  /// Posts the handler's result to `/response` or `/error`. OK for 202; a 410 (the invocation
  /// timed out and the response is stale) is returned as kNotFound with http_status 410.
  Status post(const Invocation& invocation, const InvocationResponse& response);
  /// Reports a failed initialisation to `/runtime/init/error`.
  Status post_init_error(std::string_view error_message, std::string_view error_type);

  /// Handles events until the Runtime API fails or says stop (or max_invocations is reached).
  /// Returns the process exit code: 0 after max_invocations, 1 when the Runtime API failed.
  /// A handler exception becomes a function error on `/error`; the loop goes on.
  int run(const Handler& handler);

  const std::string& endpoint() const noexcept { return base_url_; }

 private:
  void log(std::string_view line) const;

  RuntimeOptions options_;
  std::string base_url_;  ///< http://host:port/2018-06-01
  std::shared_ptr<http::HttpClient> http_;
};

/// Runs `handler` in the Runtime API loop; returns the exit code for main().
AGENTS_API int run_lambda(Handler handler, RuntimeOptions options = {});

/// Calls `setup` once (create clients, read configuration: the container's cold start) and
/// runs the handler it returns. When setup throws, the error goes to `/runtime/init/error` and 1
/// is returned, so Lambda reports an init failure instead of a timeout.
AGENTS_API int run_lambda_with_setup(const std::function<Handler()>& setup, RuntimeOptions options = {});

}  // namespace agents::lambda
