// The Runtime API loop against a loopback stand-in: events and their headers, /response and
// /error bodies and headers, the invocation id echo, HTTP 410, init errors, a failing API.
#include "agents/lambda/runtime.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "unit/lambda/runtime_api_stand_in.hpp"

namespace agents::lambda {
namespace {

using agents::testing::epoch_ms_in;
using agents::testing::RuntimeApiStandIn;
using agents::testing::RuntimeEvent;
using Json = nlohmann::json;
using namespace std::chrono_literals;

struct Seen {
  Invocation invocation;
  std::string trace_env;  ///< _X_AMZN_TRACE_ID while the handler ran
};

class LambdaRuntimeTest : public ::testing::Test {
 protected:
  RuntimeOptions options(std::size_t max_invocations = 0) {
    RuntimeOptions o;
    o.runtime_api = api_.address();
    o.max_invocations = max_invocations;
    o.next_retry_delay = 1ms;
    o.log = [this](std::string_view line) {
      std::lock_guard lock(mu_);
      log_.emplace_back(line);
    };
    return o;
  }

  Handler recording(Handler inner) {
    return [this, inner = std::move(inner)](const Invocation& in) {
      const char* trace = std::getenv("_X_AMZN_TRACE_ID");
      {
        std::lock_guard lock(mu_);
        seen_.push_back({in, trace != nullptr ? trace : ""});
      }
      return inner(in);
    };
  }

  std::string joined_log() {
    std::lock_guard lock(mu_);
    std::string all;
    for (const auto& l : log_) all += l + "\n";
    return all;
  }

  RuntimeApiStandIn api_;
  std::mutex mu_;
  std::vector<Seen> seen_;
  std::vector<std::string> log_;
};

Handler echo() {
  return [](const Invocation& in) { return InvocationResponse::success("echo:" + in.payload, "text/plain"); };
}

TEST_F(LambdaRuntimeTest, HandlesQueuedEventsWithTheirHeaders) {
  std::int64_t deadline = epoch_ms_in(5s);
  api_.push({.request_id = "req-1",
             .payload = R"({"n":1})",
             .deadline_ms = deadline,
             .trace_id = "Root=1-5e1b4151-5ac6c58f5b5dbd6a2c1f3c4d;Parent=53995c3f42cd8ad8;Sampled=1",
             .invocation_id = "inv-aaa"});
  api_.push({.request_id = "req-2", .payload = R"({"n":2})"});
  api_.push({.request_id = "req-3", .payload = "", .trace_id = "Root=1-2-3"});

  LambdaRuntime runtime(options(3));
  EXPECT_EQ(runtime.run(recording(echo())), 0);

  ASSERT_EQ(seen_.size(), 3u);
  const Invocation& first = seen_[0].invocation;
  EXPECT_EQ(first.request_id, "req-1");
  EXPECT_EQ(first.payload, R"({"n":1})");
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(first.deadline.time_since_epoch()).count(),
            deadline);
  EXPECT_GT(first.remaining_time(), 3s);
  EXPECT_LE(first.remaining_time(), 5s);
  EXPECT_EQ(first.invoked_function_arn, "arn:aws:lambda:us-east-1:123456789012:function:agents-chat");
  EXPECT_EQ(first.invocation_id, "inv-aaa");
  EXPECT_EQ(seen_[0].trace_env, first.trace_id);
  EXPECT_EQ(seen_[1].trace_env, "") << "a stale trace id must not leak into the next invocation";
  EXPECT_EQ(seen_[2].trace_env, "Root=1-2-3");

  auto posts = api_.posts();
  ASSERT_EQ(posts.size(), 3u);
  for (std::size_t i = 0; i < posts.size(); ++i) {
    EXPECT_EQ(posts[i].kind, "response");
    EXPECT_EQ(posts[i].request_id, "req-" + std::to_string(i + 1));
    EXPECT_EQ(posts[i].header("content-type"), "text/plain");
    EXPECT_EQ(posts[i].header("expect"), "");
  }
  EXPECT_EQ(posts[0].body, R"(echo:{"n":1})");
  EXPECT_EQ(posts[0].header("lambda-runtime-invocation-id"), "inv-aaa");
  EXPECT_EQ(posts[1].header("lambda-runtime-invocation-id"), "") << "sent only when Lambda sent one";
  EXPECT_EQ(posts[2].body, "echo:");
  EXPECT_EQ(api_.next_calls(), 3);
}

TEST_F(LambdaRuntimeTest, ReturnedFailureGoesToErrorInTheLambdaShape) {
  api_.push({.request_id = "req-f", .payload = "{}", .invocation_id = "inv-f"});
  LambdaRuntime runtime(options(1));
  runtime.run(
      [](const Invocation&) { return InvocationResponse::failure("the \"event\" was odd", "InvalidEvent"); });

  auto post = api_.wait_for("req-f");
  EXPECT_EQ(post.kind, "error");
  EXPECT_EQ(post.header("content-type"), "application/json");
  EXPECT_EQ(post.header("lambda-runtime-function-error-type"), "InvalidEvent");
  EXPECT_EQ(post.header("lambda-runtime-invocation-id"), "inv-f");
  EXPECT_EQ(Json::parse(post.body), Json({{"errorMessage", "the \"event\" was odd"},
                                          {"errorType", "InvalidEvent"},
                                          {"stackTrace", Json::array()}}));
}

TEST_F(LambdaRuntimeTest, ThrowingHandlerIsReportedAndTheLoopGoesOn) {
  api_.push({.request_id = "req-throw", .payload = "std"});
  api_.push({.request_id = "req-agents", .payload = "agents"});
  api_.push({.request_id = "req-other", .payload = "int"});
  api_.push({.request_id = "req-ok", .payload = "fine"});
  LambdaRuntime runtime(options(4));
  int rc = runtime.run([](const Invocation& in) -> InvocationResponse {
    if (in.payload == "std") throw std::runtime_error("disk on fire");
    if (in.payload == "agents") throw ConflictError("thread t changed", "t", 1, 2);
    if (in.payload == "int") throw 42;
    return InvocationResponse::success("ok");
  });
  EXPECT_EQ(rc, 0);

  auto std_error = api_.wait_for("req-throw");
  EXPECT_EQ(std_error.kind, "error");
  Json doc = Json::parse(std_error.body);
  EXPECT_EQ(doc["errorMessage"], "disk on fire");
  EXPECT_EQ(doc["errorType"], "std::runtime_error");
  EXPECT_EQ(doc["stackTrace"], Json::array());
  EXPECT_EQ(std_error.header("lambda-runtime-function-error-type"), "std::runtime_error");

  auto agents_error = api_.wait_for("req-agents");
  EXPECT_EQ(Json::parse(agents_error.body)["errorType"], "agents::ConflictError");
  auto other = api_.wait_for("req-other");
  EXPECT_EQ(Json::parse(other.body)["errorType"], "Runtime.UnknownReason");

  auto ok = api_.wait_for("req-ok");
  EXPECT_EQ(ok.kind, "response");
  EXPECT_EQ(ok.body, "ok");
  EXPECT_NE(joined_log().find("handler threw std::runtime_error: disk on fire"), std::string::npos);
}

TEST_F(LambdaRuntimeTest, StaleResponse410IsLoggedAndTheLoopContinues) {
  api_.push({.request_id = "req-late", .payload = "1", .invocation_id = "inv-old", .post_status = 410});
  api_.push({.request_id = "req-next", .payload = "2", .invocation_id = "inv-new"});
  LambdaRuntime runtime(options(2));
  EXPECT_EQ(runtime.run(echo()), 0);

  auto posts = api_.posts();
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].header("lambda-runtime-invocation-id"), "inv-old");
  EXPECT_EQ(posts[1].request_id, "req-next");
  EXPECT_EQ(posts[1].header("lambda-runtime-invocation-id"), "inv-new");
  EXPECT_NE(joined_log().find("req-late: response discarded as stale (HTTP 410)"), std::string::npos)
      << joined_log();
}

TEST_F(LambdaRuntimeTest, PostReturns410AsAValue) {
  api_.push({.request_id = "req-late", .payload = "1", .post_status = 410});
  LambdaRuntime runtime(options());
  auto in = runtime.next();
  ASSERT_TRUE(in.ok()) << in.status().message();
  Status s = runtime.post(*in, InvocationResponse::success("late"));
  EXPECT_EQ(s.code(), ErrorCode::kNotFound);
  EXPECT_EQ(s.details().http_status, 410);
}

TEST_F(LambdaRuntimeTest, RuntimeApiFailureOnPostEndsTheLoop) {
  api_.push({.request_id = "req-broken", .payload = "1", .post_status = 500});
  api_.push({.request_id = "req-never", .payload = "2"});
  LambdaRuntime runtime(options(2));
  EXPECT_EQ(runtime.run(echo()), 1);
  EXPECT_EQ(api_.posts().size(), 1u);
  EXPECT_NE(joined_log().find("exiting"), std::string::npos);
}

TEST_F(LambdaRuntimeTest, RejectedPostIsLoggedAndTheLoopContinues) {
  api_.push({.request_id = "req-big", .payload = "1", .post_status = 413});
  api_.push({.request_id = "req-small", .payload = "2"});
  LambdaRuntime runtime(options(2));
  EXPECT_EQ(runtime.run(echo()), 0);
  EXPECT_EQ(api_.posts().size(), 2u);
  EXPECT_NE(joined_log().find("HTTP 413"), std::string::npos);
}

TEST_F(LambdaRuntimeTest, NextAnswering500EndsTheLoop) {
  api_.push({.request_id = "req-1", .payload = "1"});
  api_.close();  // after req-1, /next answers 500
  LambdaRuntime runtime(options());
  EXPECT_EQ(runtime.run(echo()), 1);
  EXPECT_EQ(api_.posts().size(), 1u);
  EXPECT_NE(joined_log().find("unrecoverable"), std::string::npos);
}

TEST_F(LambdaRuntimeTest, LongPollWaitsForTheNextEvent) {
  LambdaRuntime runtime(options(1));
  std::thread late([this] {
    std::this_thread::sleep_for(300ms);
    api_.push({.request_id = "req-late", .payload = "slow"});
  });
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(runtime.run(echo()), 0);
  late.join();
  EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms);
  EXPECT_EQ(api_.wait_for("req-late").body, "echo:slow");
}

TEST_F(LambdaRuntimeTest, EventWithoutRequestIdIsRetriedThenGivenUp) {
  api_.push({.request_id = "", .payload = "1"});
  api_.push({.request_id = "", .payload = "2"});
  auto o = options();
  o.max_next_attempts = 2;
  LambdaRuntime runtime(o);
  int calls = 0;
  EXPECT_EQ(runtime.run([&](const Invocation&) {
    ++calls;
    return InvocationResponse::success("");
  }),
            1);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(api_.next_calls(), 2);
  EXPECT_NE(joined_log().find("Lambda-Runtime-Aws-Request-Id"), std::string::npos);
}

TEST_F(LambdaRuntimeTest, AFailedPollIsRetried) {
  api_.push({.request_id = "", .payload = "broken"});
  api_.push({.request_id = "req-ok", .payload = "fine"});
  LambdaRuntime runtime(options(1));
  EXPECT_EQ(runtime.run(echo()), 0);
  EXPECT_EQ(api_.wait_for("req-ok").body, "echo:fine");
  EXPECT_NE(joined_log().find("retrying"), std::string::npos);
}

TEST_F(LambdaRuntimeTest, UnreachableRuntimeApiGivesUp) {
  RuntimeOptions o = options();
  o.runtime_api = "127.0.0.1:1";  // nothing listens on port 1
  o.max_next_attempts = 3;
  o.next_retry_delay = 5s;  // waited through the sleeper below, never slept
  std::vector<std::chrono::milliseconds> waits;
  o.sleeper = [&](std::chrono::milliseconds d) { waits.push_back(d); };
  LambdaRuntime runtime(o);
  EXPECT_EQ(runtime.run(echo()), 1);
  EXPECT_EQ(waits, (std::vector<std::chrono::milliseconds>{5000ms, 5000ms}));
  EXPECT_NE(joined_log().find("giving up after 3 attempts"), std::string::npos) << joined_log();
}

TEST_F(LambdaRuntimeTest, DeadlineInThePastLeavesNoTimeAndNoHeaderMeansNoDeadline) {
  api_.push({.request_id = "req-1", .payload = "1", .deadline_ms = -1});
  LambdaRuntime runtime(options());
  auto in = runtime.next();
  ASSERT_TRUE(in.ok());
  EXPECT_LT(in->remaining_time(), 0ms) << "-1 ms since the epoch is long past";
  Invocation none;
  EXPECT_EQ(none.remaining_time(), std::chrono::milliseconds::max());
}

TEST_F(LambdaRuntimeTest, SetupFailureIsReportedToInitError) {
  auto o = options();
  int rc = run_lambda_with_setup(
      []() -> Handler { throw InvalidArgumentError("AGENTS_TTL 'soon' is not a duration"); }, o);
  EXPECT_EQ(rc, 1);
  auto posts = api_.wait_for_posts(1);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].kind, "init_error");
  EXPECT_EQ(posts[0].header("lambda-runtime-function-error-type"), "agents::InvalidArgumentError");
  EXPECT_EQ(Json::parse(posts[0].body), Json({{"errorMessage", "AGENTS_TTL 'soon' is not a duration"},
                                              {"errorType", "agents::InvalidArgumentError"},
                                              {"stackTrace", Json::array()}}));
  EXPECT_EQ(api_.next_calls(), 0) << "no event is fetched after a failed init";
}

TEST_F(LambdaRuntimeTest, EmptyHandlerFromSetupIsAnInitError) {
  EXPECT_EQ(run_lambda_with_setup([] { return Handler{}; }, options()), 1);
  auto posts = api_.wait_for_posts(1);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].kind, "init_error");
  EXPECT_EQ(posts[0].header("lambda-runtime-function-error-type"), "std::invalid_argument");
}

TEST_F(LambdaRuntimeTest, RunLambdaRunsTheHandler) {
  api_.push({.request_id = "req-1", .payload = "x"});
  EXPECT_EQ(run_lambda(echo(), options(1)), 0);
  EXPECT_EQ(api_.wait_for("req-1").body, "echo:x");
}

TEST(LambdaRuntimeConfig, NeedsARuntimeApiAddress) {
  const char* saved = std::getenv("AWS_LAMBDA_RUNTIME_API");
  std::string restore = saved != nullptr ? saved : "";
  ::unsetenv("AWS_LAMBDA_RUNTIME_API");
  EXPECT_THROW(LambdaRuntime(RuntimeOptions{}), InvalidArgumentError);
  EXPECT_EQ(run_lambda([](const Invocation&) { return InvocationResponse::success(""); }), 1);
  ::setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001", 1);
  EXPECT_EQ(LambdaRuntime().endpoint(), "http://127.0.0.1:9001/2018-06-01");
  if (restore.empty()) {
    ::unsetenv("AWS_LAMBDA_RUNTIME_API");
  } else {
    ::setenv("AWS_LAMBDA_RUNTIME_API", restore.c_str(), 1);
  }
}

TEST(LambdaErrorDocument, EscapesAndKeepsTheShape) {
  Json doc = Json::parse(error_document("line1\nline2 \"q\" \xff", "Function.Bad"));
  EXPECT_EQ(doc["errorMessage"], "line1\nline2 \"q\" \xef\xbf\xbd");
  EXPECT_EQ(doc["errorType"], "Function.Bad");
  EXPECT_EQ(doc["stackTrace"], Json::array());
  auto failure = InvocationResponse::failure("m", "");
  EXPECT_TRUE(failure.is_failure);
  EXPECT_EQ(failure.error_type, "Unhandled");
  EXPECT_EQ(failure.content_type, "application/json");
}

}  // namespace
}  // namespace agents::lambda
