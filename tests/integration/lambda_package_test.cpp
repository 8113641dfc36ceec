// The deployment package (lambda_zip) run as Lambda runs it, without the build machine's
// libraries: the zip is unpacked into /var/task of an otherwise empty root directory that holds
// only a statically linked shell (busybox-static as /bin/sh), and `/var/task/bootstrap` is
// executed chrooted there against the Runtime API stand-in and DynamoDB Local on 127.0.0.1
// (loopback is shared: same network namespace). Skips, saying why, where chroot is not
// permitted (not root, no CAP_SYS_CHROOT).
//
// Environment (all optional):
//   AGENTS_LAMBDA_TEST_ZIP       the package (default: this build's agents-lambda.zip)
//   AGENTS_LAMBDA_TEST_EMULATOR  e.g. /usr/bin/qemu-aarch64-static for an arm64 package: copied into
//                                the root and put in front of the bundled loader in bootstrap's exec
//   AGENTS_CONSUMER_LAMBDA_ZIP   tests/package's notes_handler.zip (ConsumerPackage; skipped unset)
//   AGENTS_BUSYBOX               the static shell (default /bin/busybox)
//   AGENTS_LAMBDA_BENCH_RUNS     cold starts measured by ColdStartAndFootprint (default 3)
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "support/dynamodb_fixture.hpp"
#include "unit/lambda/runtime_api_stand_in.hpp"
#include "unit/lambda/sample_events.hpp"

namespace {

namespace fs = std::filesystem;
using agents::Json;
using agents::testing::chat_body;
using agents::testing::http_v2_event;
using agents::testing::rest_v1_event;
using agents::testing::RuntimeApiStandIn;
using agents::testing::RuntimePost;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A child process: its exit status and its own peak RSS (wait4's rusage).
struct Child {
  pid_t pid = -1;
  Clock::time_point started;
  long max_rss_kib = 0;
  int wait(std::chrono::milliseconds timeout = 60s) {
    auto until = Clock::now() + timeout;
    int status = 0;
    rusage usage{};
    while (Clock::now() < until) {
      if (::wait4(pid, &status, WNOHANG, &usage) == pid) {
        max_rss_kib = usage.ru_maxrss;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(10ms);
    }
    ::kill(pid, SIGKILL);
    ::wait4(pid, &status, 0, &usage);
    ADD_FAILURE() << "the package's process did not exit in time";
    return -1;
  }
};

/// An otherwise empty root: /bin/sh (static busybox), the unpacked zip in /var/task and, for a
/// foreign architecture, the static emulator in /bin.
class EmptyRoot {
 public:
  EmptyRoot(const std::string& zip, const std::string& emulator) {
    char tmpl[] = "/tmp/agents-lambda-root-XXXXXX";
    const char* made = ::mkdtemp(tmpl);
    if (made == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = made;
    fs::create_directories(dir_ / "bin");
    fs::create_directories(dir_ / "var/task");
    fs::copy_file(env_or("AGENTS_BUSYBOX", "/bin/busybox"), dir_ / "bin/sh");
    std::string unzip = "unzip -q '" + zip + "' -d '" + (dir_ / "var/task").string() + "'";
    if (std::system(unzip.c_str()) != 0) throw std::runtime_error("could not run: " + unzip);
    if (!emulator.empty()) {
      std::string name = fs::path(emulator).filename();
      fs::copy_file(emulator, dir_ / "bin" / name);
      // Lambda execs bootstrap as it is; without binfmt_misc an arm64 loader needs the emulator
      // in front of it, which is the only change made to the script.
      fs::path bootstrap = dir_ / "var/task/bootstrap";
      std::string script = read_file(bootstrap);
      auto at = script.find("exec \"$root/lib/");
      if (at == std::string::npos) throw std::runtime_error("bootstrap has no exec of a bundled loader");
      script.insert(at + 5, "/bin/" + name + " ");
      std::ofstream(bootstrap, std::ios::binary | std::ios::trunc) << script;
    }
  }
  ~EmptyRoot() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  EmptyRoot(const EmptyRoot&) = delete;
  EmptyRoot& operator=(const EmptyRoot&) = delete;

  const fs::path& dir() const { return dir_; }

  /// Every file in the root, relative to it.
  std::vector<std::string> files() const {
    std::vector<std::string> all;
    for (const auto& e : fs::recursive_directory_iterator(dir_))
      if (!e.is_directory()) all.push_back(fs::relative(e.path(), dir_).string());
    std::sort(all.begin(), all.end());
    return all;
  }

  /// 0 when this process may chroot here; otherwise the errno (EPERM without CAP_SYS_CHROOT).
  int chroot_errno() const {
    pid_t pid = ::fork();
    if (pid == 0) _exit(::chroot(dir_.c_str()) == 0 ? 0 : errno);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  /// Runs `command` (a path inside the root) chrooted, with exactly `env` as its environment;
  /// with `chrooted` false, `command` is a path of this machine, run on its libraries.
  Child spawn(const std::string& command, const std::map<std::string, std::string>& env,
              bool chrooted = true) const {
    std::vector<std::string> entries;
    for (const auto& [k, v] : env) entries.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : entries) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::string path = command;
    char* argv[] = {path.data(), nullptr};
    std::string root = dir_.string();
    Child child;
    child.started = Clock::now();
    child.pid = ::fork();
    if (child.pid == 0) {  // only async-signal-safe calls from here on
      if (chrooted && (::chroot(root.c_str()) != 0 || ::chdir("/") != 0)) _exit(126);
      ::execve(path.c_str(), argv, envp.data());
      _exit(127);
    }
    EXPECT_GT(child.pid, 0) << "fork failed";
    return child;
  }

 private:
  fs::path dir_;
};

class LambdaPackageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AGENTS_REQUIRE_LOCAL_SERVER(agents::testing::kDynamoDbLocal, endpoint);
    endpoint_ = endpoint;
    client_ = agents::testing::make_local_client(endpoint_);
    table_ = agents::testing::unique_table_name("lambda-pkg");
    agents::testing::create_table_and_wait(*client_, {.table = table_, .partition_key = {"thread_id", "S"}});
  }

  /// The root for `zip`, or nullptr after GTEST_SKIP when chroot is not permitted here.
  std::unique_ptr<EmptyRoot> root_for(const std::string& zip) {
    auto root = std::make_unique<EmptyRoot>(zip, env_or("AGENTS_LAMBDA_TEST_EMULATOR", ""));
    if (int err = root->chroot_errno(); err != 0) {
      skip("chroot into an empty root is not permitted here (" + std::string(std::strerror(err)) +
           "): run as root (scripts/test does in CI) to prove the package runs there");
      return nullptr;
    }
    return root;
  }
  // chroot needs CAP_SYS_CHROOT: without it the proof cannot run, so the test skips, saying so.
  void skip(const std::string& why) { GTEST_SKIP() << why; }

  /// What Lambda sets for bootstrap (LAMBDA_TASK_ROOT among them), pointed at the stand-in and
  /// DynamoDB Local. No PATH, no HOME: nothing from the build machine.
  std::map<std::string, std::string> lambda_env(const RuntimeApiStandIn& api) const {
    return {{"AWS_LAMBDA_RUNTIME_API", api.address()},
            {"LAMBDA_TASK_ROOT", "/var/task"},
            {"AGENTS_TABLE", table_},
            {"AWS_ENDPOINT_URL_DYNAMODB", endpoint_},
            {"AWS_REGION", "us-east-1"},
            {"AWS_ACCESS_KEY_ID", "AKIDLAMBDATEST"},
            {"AWS_SECRET_ACCESS_KEY", "lambda-test-secret"},
            {"AWS_SESSION_TOKEN", "lambda-test-token"},
            {"AWS_EC2_METADATA_DISABLED", "true"},
            {"AWS_LAMBDA_FUNCTION_NAME", "agents-chat"}};
  }

  static Json reply_body(const RuntimePost& post) {
    EXPECT_EQ(post.kind, "response") << post.body;
    if (post.kind != "response") return Json::object();
    Json proxy = Json::parse(post.body);
    EXPECT_EQ(proxy["statusCode"].get<int>(), 200) << post.body;
    return Json::parse(proxy["body"].get<std::string>());
  }

  std::string endpoint_;
  std::shared_ptr<agents::dynamodb::DynamoDbClient> client_;
  std::string table_;
};

const std::string kZip = env_or("AGENTS_LAMBDA_TEST_ZIP", AGENTS_LAMBDA_ZIP);

TEST_F(LambdaPackageTest, ServesTwoThreadsAndResumesOneInAnEmptyRoot) {
  auto root = root_for(kZip);
  if (!root) return;
  // Nothing but the shell, the package and (arm64) the emulator.
  for (const auto& f : root->files()) {
    EXPECT_TRUE(f.rfind("var/task/", 0) == 0 || f.rfind("bin/", 0) == 0) << f << " is not the package's";
  }
  RuntimeApiStandIn api;
  api.push({.request_id = "e-1",
            .payload = rest_v1_event(chat_body("tea-lover", "Remember that I like tea")).dump()});
  api.push({.request_id = "e-2", .payload = http_v2_event(chat_body("other", "Hello there")).dump()});
  api.push({.request_id = "e-3",
            .payload = http_v2_event(chat_body("tea-lover", "What do you remember?")).dump()});
  Child child = root->spawn("/var/task/bootstrap", lambda_env(api));
  Json first = reply_body(api.wait_for("e-1", 60s));
  Json other = reply_body(api.wait_for("e-2", 60s));
  Json resumed = reply_body(api.wait_for("e-3", 60s));
  api.close();  // /next answers 500: the runtime exits with 1
  EXPECT_EQ(child.wait(), 1);

  EXPECT_EQ(first["resumed"], false) << first;
  EXPECT_EQ(first["version"], 1) << first;
  EXPECT_EQ(other["resumed"], false) << other;
  EXPECT_EQ(other["thread_id"], "other") << other;
  EXPECT_EQ(resumed["resumed"], true) << resumed;
  EXPECT_EQ(resumed["version"], 2) << resumed;
  EXPECT_NE(resumed["response"].get<std::string>().find("tea"), std::string::npos) << resumed;
}

TEST_F(LambdaPackageTest, BootstrapFindsItsFilesWithoutLambdaTaskRoot) {
  auto root = root_for(kZip);
  if (!root) return;
  RuntimeApiStandIn api;
  auto env = lambda_env(api);
  env.erase("LAMBDA_TASK_ROOT");  // the script's own directory is the root then
  api.push({.request_id = "r-1", .payload = rest_v1_event(chat_body("no-root", "hi")).dump()});
  Child child = root->spawn("/var/task/bootstrap", env);
  Json body = reply_body(api.wait_for("r-1", 60s));
  api.close();
  EXPECT_EQ(child.wait(), 1);
  EXPECT_EQ(body["version"], 1) << body;
}

TEST_F(LambdaPackageTest, ConsumerPackage) {
  std::string zip = env_or("AGENTS_CONSUMER_LAMBDA_ZIP", "");
  if (zip.empty())
    GTEST_SKIP() << "AGENTS_CONSUMER_LAMBDA_ZIP not set (scripts/test sets it to tests/package's zip)";
  auto root = root_for(zip);
  if (!root) return;
  RuntimeApiStandIn api;
  auto env = lambda_env(api);
  env["NOTES_TABLE"] = table_;
  api.push({.request_id = "n-1", .payload = R"({"thread_id":"a","note":"first"})"});
  api.push({.request_id = "n-2", .payload = R"({"thread_id":"b","note":"other"})"});
  api.push({.request_id = "n-3", .payload = R"({"thread_id":"a","note":"second"})"});
  Child child = root->spawn("/var/task/bootstrap", env);
  auto body = [&](const std::string& id) {
    auto post = api.wait_for(id, 60s);
    EXPECT_EQ(post.kind, "response") << post.body;
    return post.kind == "response" ? Json::parse(post.body) : Json::object();
  };
  Json a1 = body("n-1"), b1 = body("n-2"), a2 = body("n-3");
  api.close();
  EXPECT_EQ(child.wait(), 1);
  EXPECT_EQ(a1["notes"], Json::array({"first"})) << a1;
  EXPECT_EQ(b1["notes"], Json::array({"other"})) << b1;
  EXPECT_EQ(a2["notes"], Json::array({"first", "second"})) << a2;
  EXPECT_EQ(a2["version"], 2) << a2;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}
double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Cold start and footprint of the package in the empty root: process start -> first
// GET /runtime/invocation/next, -> first /response; warm end-to-end invocations (event handed
// out -> /response, DynamoDB Local included); the process's peak RSS. Printed as one line that
// docs/lambda.md quotes; asserts only that every invocation was answered.
// With AGENTS_LAMBDA_BENCH_HOST_EXE=<the bootstrap executable> it measures that executable on
// the build machine's libraries instead (no chroot): the baseline the bundled loader is compared to.
TEST_F(LambdaPackageTest, ColdStartAndFootprint) {
  auto root = root_for(kZip);
  if (!root) return;
  const std::string host_exe = env_or("AGENTS_LAMBDA_BENCH_HOST_EXE", "");
  const int runs = std::max(1, std::atoi(env_or("AGENTS_LAMBDA_BENCH_RUNS", "3").c_str()));
  const int warm = 20;
  std::vector<double> to_next, to_response, warm_ms, rss_mib;
  for (int run = 0; run < runs; ++run) {
    RuntimeApiStandIn api;
    std::string thread = "bench-" + std::to_string(run);
    api.push({.request_id = "c-0", .payload = http_v2_event(chat_body(thread, "cold")).dump()});
    Child child = host_exe.empty() ? root->spawn("/var/task/bootstrap", lambda_env(api))
                                   : root->spawn(host_exe, lambda_env(api), false);
    auto cold = api.wait_for("c-0", 60s);
    ASSERT_EQ(cold.kind, "response") << cold.body;
    to_next.push_back(ms(api.handed_out_at("c-0") - child.started));
    to_response.push_back(ms(cold.received_at - child.started));
    for (int i = 1; i <= warm; ++i) {
      std::string id = "c-" + std::to_string(i);
      api.push({.request_id = id, .payload = http_v2_event(chat_body(thread, "warm " + id)).dump()});
      auto post = api.wait_for(id, 60s);
      ASSERT_EQ(post.kind, "response") << post.body;
      warm_ms.push_back(ms(post.received_at - api.handed_out_at(id)));
    }
    api.close();
    EXPECT_EQ(child.wait(), 1);
    rss_mib.push_back(static_cast<double>(child.max_rss_kib) / 1024.0);
  }
  std::uintmax_t unzipped = 0;
  for (const auto& f : root->files())
    if (f.rfind("var/task/", 0) == 0) unzipped += fs::file_size(root->dir() / f);
  char sizes[128];
  if (host_exe.empty()) {
    std::snprintf(sizes, sizeof sizes, "zip %.1f MB, unzipped %.1f MB",
                  static_cast<double>(fs::file_size(kZip)) / 1e6, static_cast<double>(unzipped) / 1e6);
  } else {
    std::snprintf(sizes, sizeof sizes, "executable %.1f MB (unstripped)",
                  static_cast<double>(fs::file_size(host_exe)) / 1e6);
  }
  std::printf(
      "lambda package %s: %s; cold start (median of %d): first /next %.1f ms, first response %.1f ms; "
      "warm invocation (median of %zu, end to end with DynamoDB Local) %.2f ms; peak RSS %.1f MiB\n",
      host_exe.empty() ? kZip.c_str() : "(none: the executable on this machine's libraries)", sizes, runs,
      median(to_next), median(to_response), warm_ms.size(), median(warm_ms), median(rss_mib));
}

}  // namespace
