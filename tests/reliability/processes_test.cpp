// Many processes at once (on one thread, also through the fault proxy while a cleanup runs), and
// processes killed mid-save (SIGKILL), against DynamoDB Local and the file checkpointer. The processes are
// reliability_worker (tests/reliability/reliability_worker.cpp).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "reliability/appender.hpp"
#include "reliability/fault_proxy.hpp"
#include "reliability/reliability_states.hpp"
#include "support/dynamodb_fixture.hpp"

extern char** environ;

namespace agents {
namespace {

using namespace std::chrono_literals;

long env_long(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::stol(v) : fallback;
}

// A child process with its stdout on a pipe.
struct Child {
  pid_t pid = -1;
  int out_fd = -1;
  std::string buffered;

  static Child spawn(std::vector<std::string> args) {
    args.insert(args.begin(), AGENTS_RELIABILITY_WORKER);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    Child c;
    int rc = posix_spawn(&c.pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (rc != 0) throw std::runtime_error("posix_spawn failed for " + args[0]);
    c.out_fd = fds[0];
    return c;
  }

  // Reads what is available until `deadline`; returns complete lines.
  std::vector<std::string> read_lines_until(std::chrono::steady_clock::time_point deadline) {
    std::vector<std::string> lines;
    for (;;) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{out_fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[4096];
      ssize_t n = ::read(out_fd, buf, sizeof buf);
      if (n <= 0) break;
      buffered.append(buf, static_cast<std::size_t>(n));
    }
    std::size_t nl;
    while ((nl = buffered.find('\n')) != std::string::npos) {
      lines.push_back(buffered.substr(0, nl));
      buffered.erase(0, nl + 1);
    }
    return lines;
  }

  // After the child died: everything it wrote before, up to end of file.
  std::vector<std::string> drain() {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(out_fd, buf, sizeof buf)) > 0) buffered.append(buf, static_cast<std::size_t>(n));
    std::vector<std::string> lines;
    std::size_t nl;
    while ((nl = buffered.find('\n')) != std::string::npos) {
      lines.push_back(buffered.substr(0, nl));
      buffered.erase(0, nl + 1);
    }
    return lines;
  }

  int wait() {
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (out_fd >= 0) ::close(out_fd);
    out_fd = -1;
    return status;
  }
};

class Processes : public ::testing::Test {
 protected:
  void SetUp() override {
    AGENTS_REQUIRE_LOCAL_SERVER(agents::testing::kDynamoDbLocal, endpoint);
    endpoint_ = endpoint;
    admin_ = agents::testing::make_local_client(endpoint_);
    table_ = agents::testing::unique_table_name("processes");
    agents::testing::create_table_and_wait(*admin_, {.table = table_, .partition_key = {"thread_id", "S"}});
  }

  std::shared_ptr<DynamoDbCheckpointer> checkpointer() {
    auto cp = std::make_shared<DynamoDbCheckpointer>(table_);
    cp->with_endpoint(endpoint_)
        .with_region("us-east-1")
        .with_credentials(agents::testing::local_credentials());
    return cp;
  }

  // 8 processes, each `count` load -> increment -> conditional save, retrying on conflict.
  void run_incrementers(const std::string& store, Checkpointer& reader, const std::string& thread,
                        bool incremental = false) {
    constexpr int kProcesses = 8;
    // Bounded here (8 x 100 = 800); scripts/reliability-long runs the 8 x 200 = 1,600.
    const int count = static_cast<int>(env_long("AGENTS_INCREMENTS_PER_PROCESS", 100));
    const auto started = std::chrono::steady_clock::now();
    std::vector<Child> children;
    for (int p = 0; p < kProcesses; ++p) {
      children.push_back(Child::spawn({"increment", "--store", store, "--endpoint", endpoint_, "--table",
                                       table_, "--thread", thread, "--count", std::to_string(count), "--id",
                                       std::to_string(p), "--incremental", incremental ? "1" : "0"}));
    }
    for (auto& c : children) {
      auto lines = c.read_lines_until(std::chrono::steady_clock::now() + 240s);
      int status = c.wait();
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "worker failed, status " << status;
      for (const auto& l : lines) std::cout << "[writers " << store.substr(0, 4) << "] " << l << "\n";
    }
    auto loaded = reader.load_state(thread);
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded->state.scratchpad.at("counter").get<int>(), kProcesses * count);
    std::set<std::string> seen;
    for (const auto& t : loaded->state.todos) seen.insert(t.content);
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(kProcesses * count))
        << "an increment was lost or doubled";
    EXPECT_EQ(loaded->state.todos.size(), static_cast<std::size_t>(kProcesses * count));
    std::set<std::string> said;
    for (const auto& m : loaded->state.messages) said.insert(m.content);
    EXPECT_EQ(said, seen) << "the history holds each increment's message once, like the todos";
    EXPECT_EQ(loaded->state.messages.size(), static_cast<std::size_t>(kProcesses * count));
    EXPECT_EQ(loaded->version, kProcesses * count);
    std::cout << "[writers " << store.substr(0, 4) << "] final counter "
              << loaded->state.scratchpad.at("counter") << " (expected " << kProcesses * count << ") in "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() << " s\n";
  }

  // The keys of the chunk or segment items the thread's head names.
  std::set<std::string> live_extra_items(const std::string& thread) {
    return agents::testing::named_extra_items(*admin_, table_, thread);
  }

  // A child saving in a loop is killed with SIGKILL at random moments, `kills` times. After each
  // kill the thread loads whole, as the last acknowledged save or the one in flight; the items the
  // killed save left behind are found and removed by remove_orphaned_chunks_and_segments.
  void run_crash_test(int kills, const std::vector<std::string>& saver_args, bool history,
                      std::size_t message_bytes);

  std::string endpoint_;
  std::shared_ptr<dynamodb::DynamoDbClient> admin_;
  std::string table_;
};

TEST_F(Processes, EightWritersNeverLoseAnIncrementOnDynamoDbLocal) {
  auto cp = checkpointer();
  run_incrementers("dynamodb", *cp, "counter-thread");
}

TEST_F(Processes, EightWritersNeverLoseAnIncrementWithIncrementalSaves) {
  auto cp = checkpointer();
  run_incrementers("dynamodb", *cp, "counter-thread", true);
  // Nothing but the head's segments is left (losers delete theirs, merges delete what they replace).
  auto items = admin_->scan_all({.table = table_, .filter = "attribute_exists(chunk_of)"});
  ASSERT_TRUE(items.ok());
  EXPECT_EQ(items->size(), live_extra_items("counter-thread").size());
}

TEST_F(Processes, EightWritersNeverLoseAnIncrementOnTheFileCheckpointer) {
  auto dir = std::filesystem::temp_directory_path() /
             ("agents-writers-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  FileCheckpointer files(dir.string());
  run_incrementers("file:" + dir.string(), files, "counter-thread");
  std::filesystem::remove_all(dir);
}

// Writer processes append to ONE thread through the fault proxy while a cleaner process runs
// remove_orphaned_chunks_and_segments (default grace) again and again. Afterwards, straight to
// the server: every append a writer saw stored is in the history exactly once and in order, the
// thread loads whole, and a cleanup whose clock is past the grace leaves no unnamed item.
TEST_F(Processes, WriterProcessesSharingOneThreadUnderFaultsKillsAndCleanupLoseNoAppend) {
  constexpr int kWriters = 4;
  const int appends = static_cast<int>(env_long("AGENTS_SHARED_APPENDS", 30));
  const std::string thread = "shared-thread";
  agents::testing::FaultMix mix;
  mix.seed = static_cast<std::uint64_t>(env_long("AGENTS_FAULT_SEED", 20240601));
  mix.fault_rate = 0.1;
  mix.stall = 1100ms;  // past the writers' request timeout
  mix.max_requests = 200'000;
  mix.max_duration = 120s;
  agents::testing::FaultProxy proxy(endpoint_, mix);
  const auto stop_file = std::filesystem::temp_directory_path() /
                         ("agents-cleaner-stop-" + std::to_string(::getpid()) + "-" + table_);
  std::filesystem::remove(stop_file);

  const auto started = std::chrono::steady_clock::now();
  // The layouts alternate on the thread (incremental saves of the big state fall back to chunks).
  // Even-numbered writers save incrementally, odd ones in the default layout with a fresh 600 KB
  // file (chunked); short timeouts and two attempts so that faults reach them.
  auto spawn_appender = [&](const std::string& name, int count, int n) {
    return Child::spawn({"append",
                         "--endpoint",
                         proxy.url(),
                         "--table",
                         table_,
                         "--thread",
                         thread,
                         "--writer",
                         name,
                         "--count",
                         std::to_string(count),
                         "--incremental",
                         n % 2 == 0 ? "1" : "0",
                         "--payload-bytes",
                         n % 2 == 0 ? "0" : "600000",
                         "--message-bytes",
                         "1500",
                         "--seconds",
                         "60",
                         "--max-attempts",
                         "2",
                         "--request-timeout-ms",
                         "1000"});
  };
  std::vector<Child> writers;
  std::set<std::string> writer_names;
  for (int w = 0; w < kWriters; ++w) {
    writer_names.insert("p" + std::to_string(w));
    writers.push_back(spawn_appender("p" + std::to_string(w), appends, w));
  }
  Child cleaner = Child::spawn({"cleaner", "--endpoint", proxy.url(), "--table", table_, "--thread", thread,
                                "--stop-file", stop_file.string()});
  // Meanwhile more writers join one at a time and are killed (SIGKILL) at a random moment, often in
  // the middle of a save: what each acknowledged before its death must be stored; what it had in
  // flight may or may not be; the thread must stay loadable throughout.
  const int kills = static_cast<int>(env_long("AGENTS_SHARED_KILLS", 10));
  std::set<std::string> killed_acks;
  std::vector<std::string> killed_problems;
  for (int k = 0; k < kills; ++k) writer_names.insert("k" + std::to_string(k));
  std::thread killer([&] {
    std::mt19937 rng(static_cast<unsigned>(mix.seed));
    for (int k = 0; k < kills; ++k) {
      Child victim = spawn_appender("k" + std::to_string(k), 1000, k);
      auto lines = victim.read_lines_until(std::chrono::steady_clock::now() +
                                           std::chrono::milliseconds(300 + rng() % 1200));
      ::kill(victim.pid, SIGKILL);
      for (auto& l : victim.drain()) lines.push_back(std::move(l));
      int status = victim.wait();
      if (!WIFSIGNALED(status)) killed_problems.push_back("victim k" + std::to_string(k) + " was not killed");
      for (const auto& l : lines) {
        if (l.rfind("acked ", 0) == 0 || l.rfind("found ", 0) == 0) killed_acks.insert(l.substr(6));
        if (l.rfind("violation ", 0) == 0) killed_problems.push_back(l);
      }
    }
  });
  std::set<std::string> stored;
  for (auto& c : writers) {
    auto lines = c.read_lines_until(std::chrono::steady_clock::now() + 80s);
    int status = c.wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "writer failed, status " << status;
    for (const auto& l : lines) {
      if (l.rfind("acked ", 0) == 0) stored.insert(l.substr(6));
      if (l.rfind("found ", 0) == 0) stored.insert(l.substr(6));
      if (l.rfind("violation ", 0) == 0) ADD_FAILURE() << l;
      if (l.rfind("done ", 0) == 0) std::cout << "[shared thread, processes] " << l << "\n";
    }
  }
  killer.join();
  for (const auto& p : killed_problems) ADD_FAILURE() << p;
  { std::ofstream touch(stop_file); }
  for (const auto& l : cleaner.read_lines_until(std::chrono::steady_clock::now() + 30s))
    std::cout << "[shared thread, processes] " << l << "\n";
  int status = cleaner.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "cleaner failed, status " << status;
  std::filesystem::remove(stop_file);
  proxy.stop();

  std::set<std::string> acknowledged = stored;
  acknowledged.insert(killed_acks.begin(), killed_acks.end());
  auto final_check = agents::testing::check_shared_thread(endpoint_, table_, thread, acknowledged,
                                                          writer_names, agents::testing::local_credentials());
  for (const auto& p : final_check.problems) ADD_FAILURE() << p;
  EXPECT_EQ(stored.size(), static_cast<std::size_t>(kWriters * appends));
  // The killed writers' appends in flight at their death may be stored too.
  EXPECT_GE(final_check.messages, acknowledged.size());
  EXPECT_LE(final_check.messages, acknowledged.size() + static_cast<std::size_t>(kills));
  EXPECT_FALSE(proxy.exhausted());
  EXPECT_GT(proxy.faults(), 0u);
  std::cout << "[shared thread, processes] " << kills << " more writers killed mid-run, "
            << killed_acks.size() << " of their appends acknowledged\n";
  std::cout << "[shared thread, processes] " << kWriters << " processes x " << appends << " appends in "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()
            << " s; proxy " << proxy.requests() << " requests, " << proxy.faults()
            << " faults; the cleanup past its grace removed " << final_check.removed_at_the_end << ", "
            << final_check.items_left << " named items left; problems " << final_check.problems.size()
            << "\n";
}

void Processes::run_crash_test(int kills, const std::vector<std::string>& saver_args, bool history,
                               std::size_t message_bytes) {
  const std::string thread = "crash-thread";
  auto cp = checkpointer();
  // The cleanup spares items younger than its grace period (a save may be in flight); here every
  // writer has been killed, so it runs with a clock past the grace.
  auto sweeper = checkpointer();
  sweeper->with_clock(
      [] { return std::chrono::system_clock::now() + 2 * DynamoDbCheckpointer::kDefaultCleanupGrace; });
  std::mt19937 rng(static_cast<unsigned>(env_long("AGENTS_CRASH_SEED", 4242)));
  std::int64_t stored = 0;  // the seq the thread holds (0: none yet)
  int killed_mid_save = 0, found_previous = 0, found_next = 0, found_late = 0, with_orphans = 0;
  std::size_t orphans_removed = 0, max_acks_per_run = 0;
  const auto started = std::chrono::steady_clock::now();
  for (int run = 0; run < kills; ++run) {
    std::vector<std::string> args = {"crash-saver", "--endpoint", endpoint_, "--table",
                                     table_,        "--thread",   thread};
    args.insert(args.end(), saver_args.begin(), saver_args.end());
    Child child = Child::spawn(args);
    // Wait until the child starts its first save, then let it run for a random 5-200 ms.
    std::int64_t last_acked = stored, in_flight = -1;
    // The newest save the child saw stored. The killed predecessor's last save can land after the
    // check that followed its kill: this child then loads it (and starts "saving N+1"), or its own
    // save of that number fails its condition ("conflict N").
    std::int64_t seen_stored = stored;
    auto handle = [&](const std::vector<std::string>& lines) {
      for (const auto& l : lines) {
        if (l.rfind("saving ", 0) == 0) {
          in_flight = std::stoll(l.substr(7));
          seen_stored = std::max(seen_stored, in_flight - 1);  // a save of N follows a load of N-1
        }
        if (l.rfind("acked ", 0) == 0) {
          last_acked = std::stoll(l.substr(6)), in_flight = -1;
          seen_stored = std::max(seen_stored, last_acked);
        }
        if (l.rfind("conflict ", 0) == 0) {
          seen_stored = std::max<std::int64_t>(seen_stored, std::stoll(l.substr(9)));
          in_flight = -1;
        }
        ASSERT_NE(l.rfind("corrupt", 0), 0u) << l;
      }
    };
    auto first_save_deadline = std::chrono::steady_clock::now() + 30s;
    while (in_flight < 0 && std::chrono::steady_clock::now() < first_save_deadline) {
      handle(child.read_lines_until(std::chrono::steady_clock::now() + 10ms));
    }
    ASSERT_GE(in_flight, 0) << "the child never started a save";
    handle(child.read_lines_until(std::chrono::steady_clock::now() +
                                  std::chrono::milliseconds(5 + rng() % 196)));
    ::kill(child.pid, SIGKILL);
    handle(child.drain());  // lines written before the kill (write(2), so never half a line)
    int status = child.wait();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
    max_acks_per_run = std::max<std::size_t>(max_acks_per_run, static_cast<std::size_t>(last_acked - stored));
    if (in_flight >= 0) ++killed_mid_save;

    auto loaded = cp->load_state(thread);
    ASSERT_TRUE(loaded || last_acked == 0)
        << "run " << run << ": acknowledged save " << last_acked << " lost";
    if (loaded) {
      auto check = history ? agents::testing::check_history_state(thread, loaded->state, message_bytes)
                           : agents::testing::check_state(thread, loaded->state);
      ASSERT_EQ(check.problem, "") << "run " << run << ": the state is not whole";
      // The newest save the child saw stored (its last acknowledged one, or a predecessor's that
      // landed late), or the save in flight at the kill.
      ASSERT_TRUE(check.seq == seen_stored || (in_flight >= 0 && check.seq == in_flight))
          << "run " << run << ": loaded save " << check.seq << ", last acknowledged " << last_acked
          << ", seen stored " << seen_stored << ", in flight " << in_flight;
      if (check.seq == last_acked)
        ++found_previous;
      else if (check.seq == seen_stored)
        ++found_late;
      else
        ++found_next;
      stored = check.seq;
    }
    // Orphans: the chunks of the killed save (if it never switched the head) or of the replaced
    // save (if it was killed before deleting them). After removal, only the live chunks remain.
    // A chunk write the child sent just before the kill may still reach the server after this
    // cleanup, so clean up and check again until only live chunks remain (bounded).
    bool clean = false;
    std::string leftover;
    for (int attempt = 0; attempt < 40 && !clean; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(50ms);
      std::size_t removed = sweeper->remove_orphaned_chunks_and_segments(thread);
      orphans_removed += removed;
      if (removed > 0 && attempt == 0) ++with_orphans;
      auto chunks = admin_->scan_all({.table = table_, .filter = "attribute_exists(chunk_of)"});
      ASSERT_TRUE(chunks.ok());
      auto live = live_extra_items(thread);
      std::size_t live_found = 0;
      for (const auto& c : *chunks) live_found += live.count(c.at("thread_id").scalar());
      clean = chunks->size() == live.size() && live_found == live.size();
      leftover =
          std::to_string(chunks->size()) + " chunk/segment items, " + std::to_string(live.size()) + " live";
    }
    ASSERT_TRUE(clean) << "run " << run << ": after cleanup " << leftover;
  }
  // Incremental saves are short next to the load before them, so fewer kills land inside one.
  EXPECT_GT(killed_mid_save, kills / (history ? 8 : 4)) << "kills should often land inside a save";
  EXPECT_GT(with_orphans, 0) << "no kill left orphaned chunks: the test did not exercise a crash mid-save";
  std::cout << "[crash" << (history ? ", incremental" : "") << "] " << kills << " SIGKILLs in "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() << " s ("
            << killed_mid_save << " inside a save); the next load found the last acknowledged state "
            << found_previous << " times, the in-flight one " << found_next
            << " times, a killed predecessor's late write " << found_late
            << " times, a torn or lost state 0 times; orphaned chunk/segment items removed "
            << orphans_removed << " (after " << with_orphans << " kills); at most " << max_acks_per_run
            << " saves acknowledged per run; the thread ends at save " << stored << "\n";
}

TEST_F(Processes, SigkillMidSaveLeavesTheLastOrTheNextStateWhole) {
  // ~900 KB after zstd: 3 chunk items per save.
  run_crash_test(static_cast<int>(env_long("AGENTS_CRASH_KILLS", 100)), {"--bytes", "1100000"}, false, 0);
}

// The same with incremental saves: each save appends a 3 KB message, so kills land in segment
// writes, in merges (16 segments into one, and at 256 saves into sealed segments) and in the
// deletes that follow them.
TEST_F(Processes, SigkillMidIncrementalSaveLeavesTheLastOrTheNextStateWhole) {
  constexpr std::size_t kMessageBytes = 3000;
  run_crash_test(static_cast<int>(env_long("AGENTS_CRASH_KILLS_INCREMENTAL", 60)),
                 {"--bytes", "2000", "--incremental", "1", "--message-bytes", std::to_string(kMessageBytes)},
                 true, kMessageBytes);
}

}  // namespace
}  // namespace agents
