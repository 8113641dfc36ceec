// Region failover (docs/global-tables.md#region-failover) without AWS: three DynamoDB Local
// processes on their own ports stand for the Regions of a global table. They share one database
// file (-sharedDb -dbPath), which makes them what a strongly consistent (MRSC) table promises: a
// write acknowledged by one is seen by a consistent read or a condition in every other. The home
// one is killed in the middle of a save, later restarted; the test checks that the conversation
// goes on in another Region, that both moves are reported, and that no acknowledged save is lost.
// For an eventually consistent table, the same outage lets loads move and refuses saves.
#include "agents/dynamodb/region_failover.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "agents/dynamodb/client.hpp"
#include "support/dynamodb_fixture.hpp"
#include "support/hook_transport.hpp"
#include "support/sample_states.hpp"
#include "support/store_backends.hpp"

extern char** environ;

namespace agents {
namespace {

using namespace std::chrono_literals;
using agents::testing::HookTransport;
namespace fs = std::filesystem;

const std::vector<std::string> kRegions{"us-east-1", "us-east-2", "us-west-2"};

// A transport that waits: a DynamoDB Local just started answers its first writes slowly (JIT,
// SQLite), and under the sanitizers on two shared cores slower than the default 10 s, which a
// conditional create reports as an answer that may have been lost. The test is about failover,
// not about slow servers.
std::shared_ptr<http::HttpClient> patient_http() {
  http::CurlHttpClientOptions options;
  options.request_timeout = std::chrono::milliseconds(120'000);
  return http::make_curl_http_client(options);
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// One DynamoDB Local process on its own port over the shared database directory.
class LocalRegion {
 public:
  LocalRegion(std::string region, fs::path db_dir) : region_(std::move(region)), db_dir_(std::move(db_dir)) {}
  ~LocalRegion() { kill(); }

  void start() {
    if (port_ == 0) port_ = free_port();
    const std::string jar_dir = AGENTS_DYNAMODB_LOCAL_DIR;
    std::vector<std::string> args{"java",
                                  "-Djava.library.path=" + jar_dir + "/DynamoDBLocal_lib",
                                  "-jar",
                                  jar_dir + "/DynamoDBLocal.jar",
                                  "-sharedDb",
                                  "-dbPath",
                                  db_dir_.string(),
                                  "-port",
                                  std::to_string(port_)};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&files, 2, "/dev/null", O_WRONLY, 0);
    const int spawned = posix_spawnp(&pid_, "java", &files, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&files);
    if (spawned != 0) throw std::runtime_error("could not start java for " + region_);
    auto client = agents::testing::make_local_client(endpoint(), {.http = patient_http()});
    for (int i = 0; i < 1200; ++i) {  // two minutes: three JVMs starting on a loaded CI machine
      if (client->list_tables().ok()) return;
      std::this_thread::sleep_for(100ms);
    }
    throw std::runtime_error("DynamoDB Local for " + region_ + " did not answer on port " +
                             std::to_string(port_));
  }

  // SIGKILL: the Region is gone at once, mid-request if there is one.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& region() const { return region_; }

 private:
  std::string region_;
  fs::path db_dir_;
  int port_ = 0;
  pid_t pid_ = 0;
};

bool dynamodb_local_available() {
  return fs::exists(fs::path(AGENTS_DYNAMODB_LOCAL_DIR) / "DynamoDBLocal.jar") &&
         std::system("java -version >/dev/null 2>&1") == 0;
}

class RegionFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!dynamodb_local_available()) {
      if (std::getenv("AGENTS_REQUIRE_SERVERS") != nullptr) FAIL() << "java or DynamoDB Local is missing";
      GTEST_SKIP() << "java or DynamoDB Local (scripts/setup) is missing";
    }
    // One test's three JVMs at a time, whatever ctest -j says: six starting together on two
    // shared cores (under the sanitizers) is slow enough to time calls out.
    lock_fd_ = ::open((fs::temp_directory_path() / "agents-region-failover-test.lock").c_str(),
                      O_CREAT | O_RDWR | O_CLOEXEC, 0666);
    if (lock_fd_ >= 0) ::flock(lock_fd_, LOCK_EX);
    db_dir_ = agents::testing::new_temp_dir("regions");
    for (const auto& r : kRegions) regions_.push_back(std::make_unique<LocalRegion>(r, db_dir_));
    // Started one after the other: each opens the shared database file.
    for (auto& r : regions_) r->start();
    table_ = agents::testing::unique_table_name("failover");
    auto home = agents::testing::make_local_client(regions_[0]->endpoint(), {.http = patient_http()});
    agents::testing::create_table_and_wait(*home, {.table = table_, .partition_key = {"thread_id", "S"}});
    // A write and a read through every Region first, so that no measured call meets a cold server.
    // Three processes over one SQLite file: while another one still opens it (or a second test's
    // JVMs start beside this one) a write can meet the file locked and DynamoDB Local answers 500
    // InternalFailure. Only this warm-up waits that out (up to a minute); the test's own calls do not.
    for (auto& r : regions_) {
      auto client = agents::testing::make_local_client(r->endpoint(), {.http = patient_http()});
      dynamodb::Item key{{"thread_id", dynamodb::AttributeValue::S("warm-up")}};
      Status last;
      for (auto deadline = std::chrono::steady_clock::now() + 60s;
           std::chrono::steady_clock::now() < deadline;) {
        auto put = client->put_item({.table = table_, .item = key});
        auto got = put.ok() ? client->get_item({.table = table_, .key = key, .consistent_read = true})
                            : StatusOr<dynamodb::GetItemResult>(put.status());
        last = got.status();
        if (last.ok()) break;
        std::this_thread::sleep_for(500ms);
      }
      ASSERT_TRUE(last.ok()) << r->region() << ": " << last.message();
    }
  }
  void TearDown() override {
    regions_.clear();
    std::error_code ignored;
    fs::remove_all(db_dir_, ignored);
    if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
  }

  // A checkpointer over the three local Regions, home first, as a user configures failover.
  std::shared_ptr<DynamoDbCheckpointer> checkpointer(dynamodb::TableConsistency mode,
                                                     bool allow_eventual_writes,
                                                     std::shared_ptr<http::HttpClient> http) {
    dynamodb::RegionFailoverOptions failover;
    failover.regions = kRegions;
    for (auto& r : regions_) failover.endpoints[r->region()] = r->endpoint();
    failover.consistency = mode;  // DynamoDB Local has no global tables to ask
    failover.allow_eventual_writes = allow_eventual_writes;
    failover.probe_interval = 200ms;
    failover.on_switch = [this](const dynamodb::RegionSwitch& s) {
      std::lock_guard lock(mu_);
      switches_.push_back(s);
    };
    auto cp = std::make_shared<DynamoDbCheckpointer>(table_);
    cp->with_failover(std::move(failover))
        .with_credentials(agents::testing::local_credentials())
        .with_http_client(std::move(http))
        .with_incremental(true)
        .with_observer([this](const dynamodb::CallEvent& e) {
          std::lock_guard lock(mu_);
          call_regions_.push_back(e.region);
        });
    return cp;
  }

  std::vector<dynamodb::RegionSwitch> switches() {
    std::lock_guard lock(mu_);
    return switches_;
  }
  std::vector<std::string> take_call_regions() {
    std::lock_guard lock(mu_);
    return std::exchange(call_regions_, {});
  }

  // A checkpointer of one Region alone: what any reader there sees.
  std::shared_ptr<DynamoDbCheckpointer> reader_in(std::size_t region) {
    auto cp = std::make_shared<DynamoDbCheckpointer>(table_);
    cp->with_endpoint(regions_[region]->endpoint())
        .with_region(kRegions[region])
        .with_credentials(agents::testing::local_credentials());
    return cp;
  }

  fs::path db_dir_;
  int lock_fd_ = -1;
  std::vector<std::unique_ptr<LocalRegion>> regions_;
  std::string table_;
  std::mutex mu_;
  std::vector<dynamodb::RegionSwitch> switches_;
  std::vector<std::string> call_regions_;
};

TEST_F(RegionFailoverTest, AStrongTableKeepsTheConversationGoingWhenHomeDiesMidSaveAndComesBack) {
  auto hooks = std::make_shared<HookTransport>(patient_http());
  auto cp = checkpointer(dynamodb::TableConsistency::kStrong, false, hooks);
  AgentStateSnapshot state;
  std::vector<AgentStateSnapshot> acknowledged;
  auto turn = [&](std::size_t t) {
    auto loaded = cp->load_state("chat");
    if (t > 1) {
      ASSERT_TRUE(loaded.has_value()) << "turn " << t;
      ASSERT_EQ(loaded->state, acknowledged.back()) << "turn " << t;
    }
    state = agents::testing::with_turn(loaded ? loaded->state : AgentStateSnapshot{}, t, 400);
    cp->save_state("chat", state);
    acknowledged.push_back(state);
  };
  for (std::size_t t = 1; t <= 4; ++t) turn(t);
  const auto at_home = take_call_regions();
  ASSERT_FALSE(at_home.empty());
  for (const auto& r : at_home) EXPECT_EQ(r, "us-east-1");

  // Turn 5: home dies after the save wrote its history segment, before the head.
  hooks->on("PutItem").where(agents::testing::is_head_put).before_send([&] { regions_[0]->kill(); });
  for (std::size_t t = 5; t <= 8; ++t) turn(t);
  auto moved = switches();
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].from, "us-east-1");
  EXPECT_EQ(moved[0].to, "us-east-2");
  EXPECT_FALSE(moved[0].to_home);
  const auto away = take_call_regions();
  EXPECT_TRUE(std::count(away.begin(), away.end(), "us-east-2") > 0);

  // Home comes back: the prober notices and the calls return.
  regions_[0]->start();
  for (int i = 0; i < 1200 && switches().size() < 2; ++i) std::this_thread::sleep_for(50ms);
  moved = switches();
  ASSERT_EQ(moved.size(), 2u) << "no return home reported";
  EXPECT_EQ(moved[1].from, "us-east-2");
  EXPECT_EQ(moved[1].to, "us-east-1");
  EXPECT_TRUE(moved[1].to_home);
  take_call_regions();
  for (std::size_t t = 9; t <= 10; ++t) turn(t);
  for (const auto& r : take_call_regions()) EXPECT_EQ(r, "us-east-1");

  // Nothing acknowledged is lost: every Region reads the last save, with every turn in it.
  for (std::size_t region = 0; region < regions_.size(); ++region) {
    auto loaded = reader_in(region)->load_state("chat");
    ASSERT_TRUE(loaded.has_value());
    EXPECT_EQ(loaded->state, acknowledged.back());
    EXPECT_EQ(loaded->version, static_cast<std::int64_t>(acknowledged.size()));
  }
  EXPECT_EQ(acknowledged.back().messages.size(), 20u);
}

TEST_F(RegionFailoverTest, AnEventualTableMovesLoadsButRefusesSavesUnlessAllowed) {
  auto cp = checkpointer(dynamodb::TableConsistency::kEventual, false, patient_http());
  AgentStateSnapshot first = agents::testing::with_turn({}, 1);
  cp->save_state("chat", first);
  regions_[0]->kill();

  auto loaded = cp->load_state("chat");  // moves to us-east-2
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->state, first);
  ASSERT_EQ(switches().size(), 1u);
  EXPECT_EQ(switches()[0].to, "us-east-2");

  AgentStateSnapshot second = agents::testing::with_turn(first, 2);
  try {
    cp->save_state("chat", second);
    FAIL() << "a save of an eventually consistent table moved to another Region";
  } catch (const RegionUnavailableError& e) {
    EXPECT_NE(std::string(e.what()).find("us-east-1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("last writer wins"), std::string::npos) << e.what();
  }
  auto unchanged = reader_in(1)->load_state("chat");
  ASSERT_TRUE(unchanged.has_value());
  EXPECT_EQ(unchanged->state, first);  // nothing was written elsewhere

  // Opting in: the save goes to us-east-2.
  auto opted_in = checkpointer(dynamodb::TableConsistency::kEventual, true, patient_http());
  opted_in->load_state("chat");
  opted_in->save_state("chat", second);
  auto now = reader_in(2)->load_state("chat");
  ASSERT_TRUE(now.has_value());
  EXPECT_EQ(now->state, second);
}

TEST(RegionFailoverOptions, ThoseThatCannotWorkAreRefused) {
  dynamodb::ClientOptions options;
  options.credentials = agents::testing::local_credentials();
  EXPECT_FALSE(dynamodb::make_region_failover_client(options, {.regions = {"us-east-1"}}).ok());
  EXPECT_FALSE(dynamodb::make_region_failover_client(options, {.regions = {"us-east-1", "us-east-1"}}).ok());
  EXPECT_FALSE(dynamodb::make_region_failover_client(
                   options, {.regions = {"us-east-1", "us-east-2"}, .probe_interval = 0ms})
                   .ok());
}

}  // namespace
}  // namespace agents
