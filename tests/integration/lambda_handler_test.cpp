// The Lambda example end to end: the Runtime API loop (against a loopback stand-in) driving the
// chat handler on DynamoDB Local. Several invocations, a cold start resuming another instance's
// thread, two instances racing on one thread, malformed events, handler errors, the deadline,
// the real `bootstrap` process, and the warm invocation's overhead.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <thread>

#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "handler.hpp"
#include "support/dynamodb_fixture.hpp"
#include "unit/lambda/runtime_api_stand_in.hpp"
#include "unit/lambda/sample_events.hpp"
#include "unit/lambda/test_models.hpp"

extern char** environ;

namespace agents_lambda_example {
namespace {

using agents::Json;
using agents::dynamodb::AttributeValue;
using agents::lambda::Invocation;
using agents::lambda::InvocationResponse;
using agents::testing::chat_body;
using agents::testing::epoch_ms_in;
using agents::testing::http_v2_event;
using agents::testing::rest_v1_event;
using agents::testing::RuntimeApiStandIn;
using agents::testing::RuntimePost;
using namespace std::chrono_literals;

struct HttpReply {
  int status = 0;
  Json body;
};

HttpReply http_reply(const RuntimePost& post) {
  EXPECT_EQ(post.kind, "response") << post.body;
  if (post.kind != "response") return {};
  Json proxy = Json::parse(post.body);
  return {proxy["statusCode"].get<int>(), Json::parse(proxy["body"].get<std::string>())};
}

/// One "Lambda instance": its own Runtime API and a runtime loop on its own thread.
struct Instance {
  RuntimeApiStandIn api;
  std::thread loop;
  std::atomic<int> exit_code{-1};
  int next_id = 0;

  explicit Instance(agents::lambda::Handler handler) {
    agents::lambda::RuntimeOptions options;
    options.runtime_api = api.address();
    options.log = [](std::string_view) {};  // the handler's own lines still go to stderr
    loop = std::thread([this, options, handler = std::move(handler)] {
      exit_code = agents::lambda::LambdaRuntime(options).run(handler);
    });
  }
  ~Instance() {
    api.close();
    if (loop.joinable()) loop.join();
  }
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  /// Queues an event and returns its request id.
  std::string push(const Json& event, std::optional<std::int64_t> deadline_ms = std::nullopt) {
    std::string id = "req-" + std::to_string(++next_id);
    api.push({.request_id = id,
              .payload = event.dump(),
              .deadline_ms = deadline_ms,
              .trace_id = "Root=1-67891233-abcdef012345678912345678;Sampled=1",
              .invocation_id = id + "-inv"});
    return id;
  }
  HttpReply call(const Json& event) { return http_reply(api.wait_for(push(event))); }
};

class LambdaHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AGENTS_REQUIRE_LOCAL_SERVER(agents::testing::kDynamoDbLocal, endpoint);
    // Several runtime loops share this process (one per container in Lambda): create the trace
    // variable up front so that their setenv calls replace it rather than grow the environment.
    ::setenv("_X_AMZN_TRACE_ID", "Root=1-00000000-000000000000000000000000", 1);
    endpoint_ = endpoint;
    client_ = agents::testing::make_local_client(endpoint_);
    table_ = agents::testing::unique_table_name("lambda");
    agents::testing::create_table_and_wait(*client_, {.table = table_, .partition_key = {"thread_id", "S"}});
  }

  /// A fresh checkpointer, as a new container would create at its cold start.
  std::shared_ptr<agents::DynamoDbCheckpointer> checkpointer(const std::string& table = "") {
    auto cp = std::make_shared<agents::DynamoDbCheckpointer>(table.empty() ? table_ : table);
    cp->with_endpoint(endpoint_)
        .with_region("us-east-1")
        .with_credentials(agents::testing::local_credentials());
    return cp;
  }

  std::unique_ptr<Instance> instance(std::shared_ptr<agents::ChatModel> model = nullptr,
                                     std::shared_ptr<agents::Checkpointer> cp = nullptr) {
    if (!model) model = std::make_shared<agents::OfflineChatModel>();
    if (!cp) cp = checkpointer();
    return std::make_unique<Instance>(ChatHandler(std::move(cp), std::move(model)));
  }

  agents::dynamodb::Item stored(const std::string& thread_id) {
    auto got = client_->get_item(
        {.table = table_, .key = {{"thread_id", AttributeValue::S(thread_id)}}, .consistent_read = true});
    EXPECT_TRUE(got.ok()) << got.status().message();
    return got.ok() ? got->item.value_or(agents::dynamodb::Item{}) : agents::dynamodb::Item{};
  }
  std::int64_t stored_version(const std::string& thread_id) {
    auto item = stored(thread_id);
    auto it = item.find("version");
    return it == item.end() ? 0 : std::stoll(it->second.scalar());
  }
  std::map<std::string, std::string> lambda_environment(const RuntimeApiStandIn& api) const;

  std::string stored_messages(const std::string& thread_id) {
    auto loaded = checkpointer()->load_state(thread_id);
    std::string all;
    if (loaded) {
      for (const auto& m : loaded->state.messages) all += m.role + ": " + m.content + "\n";
    }
    return all;
  }

  std::string endpoint_;
  std::shared_ptr<agents::dynamodb::DynamoDbClient> client_;
  std::string table_;
};

TEST_F(LambdaHandlerTest, SeveralInvocationsThroughTheRuntimeLoop) {
  auto lambda = instance();
  std::vector<std::string> ids;
  for (int turn = 0; turn < 3; ++turn) {
    for (std::string user : {"alice", "bob"}) {
      std::string body = chat_body(user, "Remember that " + user + " said " + std::to_string(turn));
      ids.push_back(lambda->push(turn % 2 == 0 ? http_v2_event(body) : rest_v1_event(body)));
    }
  }
  for (std::size_t i = 0; i < ids.size(); ++i) {
    RuntimePost post = lambda->api.wait_for(ids[i]);
    EXPECT_EQ(post.header("lambda-runtime-invocation-id"), ids[i] + "-inv");
    HttpReply reply = http_reply(post);
    EXPECT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.body["version"], static_cast<int>(i / 2 + 1));
    EXPECT_EQ(reply.body["resumed"], i >= 2);
  }
  EXPECT_EQ(stored_version("alice"), 3);
  EXPECT_EQ(stored_version("bob"), 3);
  std::string alice = stored_messages("alice");
  EXPECT_NE(alice.find("alice said 2"), std::string::npos) << alice;
  EXPECT_EQ(alice.find("bob"), std::string::npos) << alice;
}

TEST_F(LambdaHandlerTest, ColdStartResumesAThreadAnotherInstanceSaved) {
  {
    auto first = instance();
    auto reply = first->call(http_v2_event(chat_body("user-123", "Remember that I like tea")));
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.body["resumed"], false);
  }                          // that container is gone
  auto second = instance();  // a new container: new checkpointer, new connections
  auto reply = second->call(rest_v1_event(chat_body("user-123", "What do you remember?")));
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body["resumed"], true);
  EXPECT_EQ(reply.body["version"], 2);
  EXPECT_NE(reply.body["response"].get<std::string>().find("tea"), std::string::npos) << reply.body;
}

TEST_F(LambdaHandlerTest, TwoInstancesRacingOnOneThreadGiveOne409AndLoseNothing) {
  // Seed the thread so that both instances load version 1 and save conditionally on it.
  EXPECT_EQ(instance()->call(http_v2_event(chat_body("shared", "hello"))).status, 200);

  auto rendezvous = std::make_shared<agents::testing::Rendezvous>(2);
  auto a = instance(std::make_shared<agents::testing::RendezvousModel>(rendezvous));
  auto b = instance(std::make_shared<agents::testing::RendezvousModel>(rendezvous));
  std::string id_a = a->push(http_v2_event(chat_body("shared", "Remember that A was here")));
  std::string id_b = b->push(http_v2_event(chat_body("shared", "Remember that B was here")));
  HttpReply ra = http_reply(a->api.wait_for(id_a));
  HttpReply rb = http_reply(b->api.wait_for(id_b));

  std::multiset<int> statuses{ra.status, rb.status};
  ASSERT_EQ(statuses, (std::multiset<int>{200, 409})) << ra.body << rb.body;
  bool a_lost = ra.status == 409;
  const HttpReply& lost = a_lost ? ra : rb;
  EXPECT_EQ(lost.body["error"], "conflict");
  EXPECT_NE(lost.body["message"].get<std::string>().find("shared"), std::string::npos) << lost.body;
  EXPECT_EQ(stored_version("shared"), 2) << "exactly one of the racing saves landed";
  std::string after_race = stored_messages("shared");
  EXPECT_NE(after_race.find(a_lost ? "B was here" : "A was here"), std::string::npos) << after_race;
  EXPECT_EQ(after_race.find(a_lost ? "A was here" : "B was here"), std::string::npos) << after_race;

  // The client retries the 409 (same instance, warm): both turns are in the thread.
  Instance& loser = a_lost ? *a : *b;
  auto retried = loser.call(
      http_v2_event(chat_body("shared", a_lost ? "Remember that A was here" : "Remember that B was here")));
  EXPECT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(retried.body["version"], 3);
  std::string all = stored_messages("shared");
  EXPECT_NE(all.find("A was here"), std::string::npos) << all;
  EXPECT_NE(all.find("B was here"), std::string::npos) << all;
  EXPECT_NE(all.find("hello"), std::string::npos) << all;
}

TEST_F(LambdaHandlerTest, MalformedEventsAndBodies) {
  auto lambda = instance();
  std::string direct = lambda->push(Json{{"thread_id", "t"}, {"message", "direct invoke"}});
  RuntimePost error = lambda->api.wait_for(direct);
  EXPECT_EQ(error.kind, "error");
  EXPECT_EQ(error.header("lambda-runtime-function-error-type"), "InvalidEvent");
  EXPECT_EQ(error.header("lambda-runtime-invocation-id"), direct + "-inv");
  Json doc = Json::parse(error.body);
  EXPECT_EQ(doc["errorType"], "InvalidEvent");
  EXPECT_NE(doc["errorMessage"].get<std::string>().find("requestContext"), std::string::npos);

  std::string garbage = "req-garbage";
  lambda->api.push({.request_id = garbage, .payload = "\x01not json"});
  EXPECT_EQ(lambda->api.wait_for(garbage).kind, "error");

  auto bad_json = lambda->call(http_v2_event("{\"thread_id\": \"t\", \"message\": "));
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(bad_json.body["error"], "bad_request");
  // {"thread_id":"\xc3\x28","message":"hi"}: invalid UTF-8, which only a base64 body can carry.
  auto bad_utf8 = lambda->call(http_v2_event("eyJ0aHJlYWRfaWQiOiLDKCIsIm1lc3NhZ2UiOiJoaSJ9", true));
  EXPECT_EQ(bad_utf8.status, 400);
  auto long_id = lambda->call(http_v2_event(chat_body(std::string(1025, 'x'), "hi")));
  EXPECT_EQ(long_id.status, 400);
  EXPECT_NE(long_id.body["message"].get<std::string>().find("1024"), std::string::npos);

  auto good = lambda->call(http_v2_event(chat_body("t", "still alive?")));  // the loop went on
  EXPECT_EQ(good.status, 200);
  EXPECT_EQ(stored_version("t"), 1);
}

TEST_F(LambdaHandlerTest, HandlerErrorsAre500AndTheFunctionKeepsRunning) {
  // A store that fails (the table does not exist): a JSON 500 without the details, not a crash.
  auto missing = instance(nullptr, checkpointer("no-such-table-" + table_));
  auto failed = missing->call(http_v2_event(chat_body("t", "hi")));
  EXPECT_EQ(failed.status, 500) << failed.body;
  EXPECT_FALSE(failed.body["error"].get<std::string>().empty());
  EXPECT_EQ(failed.body["message"].get<std::string>().find("no-such-table"), std::string::npos)
      << failed.body;
  EXPECT_EQ(missing->call(http_v2_event(chat_body("t", "again"))).status, 500);
  EXPECT_EQ(missing->exit_code, -1) << "the loop is still running";

  // A model that fails once: the turn is not saved; the next invocation works.
  auto flaky = instance(std::make_shared<agents::testing::FailingModel>([](int call) {
    if (call == 1) throw agents::ModelError("upstream 500", "server_error", 500, "m-1");
  }));
  auto first = flaky->call(http_v2_event(chat_body("flaky", "hello")));
  EXPECT_EQ(first.status, 500);
  EXPECT_EQ(first.body["error"], "model_error");
  EXPECT_EQ(stored_version("flaky"), 0) << "nothing saved for the failed turn";
  auto second = flaky->call(http_v2_event(chat_body("flaky", "hello")));
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body["version"], 1);
}

TEST_F(LambdaHandlerTest, TheDeadline) {
  auto lambda = instance();
  auto past = http_reply(
      lambda->api.wait_for(lambda->push(http_v2_event(chat_body("deadline", "hi")), epoch_ms_in(-2s))));
  EXPECT_EQ(past.status, 503);
  EXPECT_EQ(past.body["error"], "deadline");
  auto near = http_reply(
      lambda->api.wait_for(lambda->push(http_v2_event(chat_body("deadline", "hi")), epoch_ms_in(300ms))));
  EXPECT_EQ(near.status, 503);
  EXPECT_TRUE(stored("deadline").empty()) << "nothing loaded or saved";
  auto in_time = http_reply(
      lambda->api.wait_for(lambda->push(http_v2_event(chat_body("deadline", "hi")), epoch_ms_in(10s))));
  EXPECT_EQ(in_time.status, 200);
  EXPECT_EQ(stored_version("deadline"), 1);
}

// --- the real bootstrap process --------------------------------------------------------------

struct Child {
  pid_t pid = -1;
  /// Waits for the exit status; kills the child (ours) if it has not exited in time.
  int wait(std::chrono::milliseconds timeout = 20s) {
    auto until = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < until) {
      if (::waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      std::this_thread::sleep_for(20ms);
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    ADD_FAILURE() << "bootstrap did not exit in time";
    return -1;
  }
};

Child spawn_bootstrap(const std::map<std::string, std::string>& env) {
  std::vector<std::string> entries;
  for (const auto& [k, v] : env) entries.push_back(k + "=" + v);
  // PATH etc. from ours; never OPENAI_* or AWS_* (the environment above is the whole story).
  for (char** e = environ; *e != nullptr; ++e) {
    std::string s = *e;
    if (s.rfind("PATH=", 0) == 0 || s.rfind("HOME=", 0) == 0 || s.rfind("ASAN_OPTIONS=", 0) == 0)
      entries.push_back(s);
  }
  std::vector<char*> envp;
  for (auto& s : entries) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string path = AGENTS_LAMBDA_BOOTSTRAP;
  char* argv[] = {path.data(), nullptr};
  Child child;
  int rc = ::posix_spawn(&child.pid, path.c_str(), nullptr, nullptr, argv, envp.data());
  EXPECT_EQ(rc, 0) << "could not start " << path;
  return child;
}

// What Lambda sets for the bootstrap process, pointed at the test's table and Runtime API.
std::map<std::string, std::string> LambdaHandlerTest::lambda_environment(const RuntimeApiStandIn& api) const {
  return {{"AWS_LAMBDA_RUNTIME_API", api.address()}, {"AGENTS_TABLE", table_},
          {"AWS_ENDPOINT_URL_DYNAMODB", endpoint_},  {"AWS_REGION", "us-east-1"},
          {"AWS_ACCESS_KEY_ID", "AKIDLAMBDATEST"},   {"AWS_SECRET_ACCESS_KEY", "lambda-test-secret"},
          {"AWS_EC2_METADATA_DISABLED", "true"},     {"AWS_LAMBDA_FUNCTION_NAME", "agents-chat"}};
}

TEST_F(LambdaHandlerTest, BootstrapProcessServesEventsFromTheEnvironment) {
  RuntimeApiStandIn api;
  auto env = lambda_environment(api);
  env["AGENTS_TTL"] = "1d";
  env["AWS_SESSION_TOKEN"] = "lambda-test-token";
  Child child = spawn_bootstrap(env);
  api.push(
      {.request_id = "b-1", .payload = rest_v1_event(chat_body("proc", "Remember that I like tea")).dump()});
  api.push(
      {.request_id = "b-2", .payload = http_v2_event(chat_body("proc", "What do you remember?")).dump()});
  api.push({.request_id = "b-3", .payload = "{}"});
  auto first = http_reply(api.wait_for("b-1"));
  auto second = http_reply(api.wait_for("b-2"));
  EXPECT_EQ(api.wait_for("b-3").kind, "error");
  api.close();  // /next answers 500: the process exits
  EXPECT_EQ(child.wait(), 1);

  EXPECT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(second.status, 200) << second.body;
  EXPECT_NE(second.body["response"].get<std::string>().find("tea"), std::string::npos) << second.body;
  auto item = stored("proc");
  ASSERT_TRUE(item.count("ttl")) << "AGENTS_TTL was applied";
  std::int64_t ttl = std::stoll(item.at("ttl").scalar());
  std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  EXPECT_NEAR(static_cast<double>(ttl - now), 86400.0, 120.0);
}

TEST_F(LambdaHandlerTest, BootstrapWithIncrementalSavesStoresTheHistoryAsSegments) {
  RuntimeApiStandIn api;
  auto env = lambda_environment(api);
  env["AGENTS_INCREMENTAL"] = "1";
  Child child = spawn_bootstrap(env);
  api.push(
      {.request_id = "i-1", .payload = rest_v1_event(chat_body("inc", "Remember that I like tea")).dump()});
  api.push({.request_id = "i-2", .payload = http_v2_event(chat_body("inc", "What do you remember?")).dump()});
  auto first = http_reply(api.wait_for("i-1"));
  auto second = http_reply(api.wait_for("i-2"));
  api.close();
  EXPECT_EQ(child.wait(), 1);
  EXPECT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(second.status, 200) << second.body;
  EXPECT_NE(second.body["response"].get<std::string>().find("tea"), std::string::npos) << second.body;
  auto item = stored("inc");
  EXPECT_EQ(item.count("state"), 0u);
  EXPECT_EQ(item.count("head_state"), 1u) << "AGENTS_INCREMENTAL was applied";
  EXPECT_EQ(item.count("segments"), 1u);
}

TEST_F(LambdaHandlerTest, BootstrapReportsABadConfigurationAsAnInitError) {
  RuntimeApiStandIn api;
  Child child = spawn_bootstrap({{"AWS_LAMBDA_RUNTIME_API", api.address()},
                                 {"AGENTS_TTL", "soon"},
                                 {"AWS_REGION", "us-east-1"},
                                 {"AWS_EC2_METADATA_DISABLED", "true"}});
  auto posts = api.wait_for_posts(1);
  EXPECT_EQ(child.wait(), 1);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].kind, "init_error");
  EXPECT_EQ(posts[0].header("lambda-runtime-function-error-type"), "agents::InvalidArgumentError");
  EXPECT_NE(Json::parse(posts[0].body)["errorMessage"].get<std::string>().find("AGENTS_TTL"),
            std::string::npos);
  EXPECT_EQ(api.next_calls(), 0);
}

// --- cost of a warm invocation ---------------------------------------------------------------

std::int64_t percentile(std::vector<std::int64_t> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

TEST_F(LambdaHandlerTest, WarmInvocationOverhead) {
  // Overhead = (time from /next handing the event out to /response arriving) minus the time
  // inside DynamoDB calls (as the client's observer reports them) minus the time in the model.
  auto started_setup = std::chrono::steady_clock::now();
  std::atomic<std::int64_t> dynamodb_us{0};
  auto cp = checkpointer();
  cp->with_observer([&](const agents::dynamodb::CallEvent& e) { dynamodb_us += e.latency.count(); });
  auto model = std::make_shared<agents::testing::TimedModel>();
  ChatHandler chat(cp, model);
  auto setup_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started_setup)
          .count();

  std::mutex mu;
  struct Inside {
    std::int64_t handler_us, dynamodb_us, model_us;
  };
  std::map<std::string, Inside> inside;
  Instance lambda([&](const Invocation& in) {
    std::int64_t d0 = dynamodb_us, m0 = model->spent_us();
    auto t0 = std::chrono::steady_clock::now();
    InvocationResponse r = chat(in);
    auto handler_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
    std::lock_guard lock(mu);
    inside[in.request_id] = {handler_us, dynamodb_us - d0, model->spent_us() - m0};
    return r;
  });

  constexpr int kThreads = 20, kTurns = 11;  // the first round (cold connections, new threads) is not counted
  std::vector<std::int64_t> overhead, total, dynamo, in_model, in_handler, in_runtime;
  std::int64_t first_total = 0;
  for (int turn = 0; turn < kTurns; ++turn) {
    for (int t = 0; t < kThreads; ++t) {
      std::string id = lambda.push(http_v2_event(
          chat_body("warm-" + std::to_string(t), "Remember that turn " + std::to_string(turn))));
      RuntimePost post = lambda.api.wait_for(id);
      ASSERT_EQ(http_reply(post).status, 200);
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(post.received_at -
                                                                      lambda.api.handed_out_at(id))
                    .count();
      if (turn == 0 && t == 0) first_total = us;
      if (turn == 0) continue;
      std::lock_guard lock(mu);
      const Inside& i = inside.at(id);
      total.push_back(us);
      dynamo.push_back(i.dynamodb_us);
      in_model.push_back(i.model_us);
      in_handler.push_back(i.handler_us - i.dynamodb_us - i.model_us);
      in_runtime.push_back(us - i.handler_us);
      overhead.push_back(us - i.dynamodb_us - i.model_us);
    }
  }
  std::printf(
      "lambda warm invocation (n=%zu, DynamoDB Local): total median %lld us; in DynamoDB calls median %lld "
      "us; "
      "in the model median %lld us; runtime + handler overhead median %lld us, p90 %lld us, p99 %lld us\n"
      "  of which the runtime loop (Runtime API round trips) median %lld us, the handler's own work median "
      "%lld us\n"
      "lambda cold: handler setup %lld us, first invocation total %lld us\n",
      overhead.size(), static_cast<long long>(percentile(total, 0.5)),
      static_cast<long long>(percentile(dynamo, 0.5)), static_cast<long long>(percentile(in_model, 0.5)),
      static_cast<long long>(percentile(overhead, 0.5)), static_cast<long long>(percentile(overhead, 0.9)),
      static_cast<long long>(percentile(overhead, 0.99)), static_cast<long long>(percentile(in_runtime, 0.5)),
      static_cast<long long>(percentile(in_handler, 0.5)), static_cast<long long>(setup_us),
      static_cast<long long>(first_total));
  EXPECT_EQ(overhead.size(), static_cast<std::size_t>(kThreads * (kTurns - 1)));
  // A loose bound (debug and sanitizer builds included): the loop must not add a round trip's
  // worth of waiting (e.g. Expect: 100-continue or Nagle on the Runtime API connection).
  EXPECT_LT(percentile(overhead, 0.5), 30000);
}

}  // namespace
}  // namespace agents_lambda_example
