// Saves and loads from 4 threads through a fault-injecting proxy in front of DynamoDB Local:
// every save the library acknowledged is what a later consistent load returns (unless a later save
// replaced it), every failure is a typed error, and no load returns a state that was not saved
// whole. Bounded by default (10,000 operations); AGENTS_FAULT_OPS and AGENTS_FAULT_SEED change it
// (scripts/reliability-long runs 100,000).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "agents/dynamodb/client.hpp"
#include "agents/http/http_client.hpp"
#include "reliability/appender.hpp"
#include "reliability/fault_proxy.hpp"
#include "reliability/reliability_states.hpp"
#include "support/dynamodb_fixture.hpp"

namespace agents {
namespace {

using namespace std::chrono_literals;
using agents::testing::Fault;
using agents::testing::FaultMix;
using agents::testing::FaultProxy;

constexpr const char* kFakeSecret = "FAKE-secret-7Qz/DO+NOT+LEAK/faultmix0123456789";
constexpr const char* kFakeToken = "FAKE-session-token-DO-NOT-LEAK-faultmix-9876543210";

long env_long(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::stol(v) : fallback;
}

// What one thread id has seen: the newest save known to be stored (acknowledged, or observed by a
// load), and the failed saves whose outcome is unknown (they may have landed).
struct ThreadRecord {
  std::string id;
  std::size_t bytes = 0;
  std::size_t message_bytes = 0;  ///< > 0: incremental saves, one message per seq (history checked)
  std::int64_t next_seq = 0;
  std::int64_t floor = -1;  ///< newest seq known stored; -1: nothing stored yet
  bool floor_acknowledged = false;
  std::set<std::int64_t> maybes;      ///< failed saves (not conflicts), all newer than floor
  std::set<std::int64_t> conflicted;  ///< saves reported as conflicts: must never appear
  bool have_load = false;
  std::optional<LoadedState> loaded;
  bool ack_unconfirmed = false;
};

struct Totals {
  std::mutex mu;
  std::uint64_t loads = 0, loads_ok = 0, saves = 0, acknowledged = 0, confirmed_by_load = 0,
                replaced_by_later_ack = 0, replaced_by_maybe = 0, maybes_landed = 0, conflicts = 0;
  std::map<std::string, std::uint64_t> errors;  ///< by error code name
  std::vector<std::string> violations;
  std::vector<std::string> leaked;

  void error(const std::string& code, const std::string& what) {
    std::lock_guard lock(mu);
    ++errors[code];
    if (what.find(kFakeSecret) != std::string::npos || what.find(kFakeToken) != std::string::npos)
      leaked.push_back(what);
  }
  void violation(std::string what) {
    std::lock_guard lock(mu);
    if (violations.size() < 20) violations.push_back(std::move(what));
  }
};

// Checks a load against the record; updates it. Returns a problem or "".
std::string observe(ThreadRecord& rec, const std::optional<LoadedState>& loaded, Totals& totals) {
  if (!loaded) {
    if (rec.floor >= 0) return "load found nothing, but save " + std::to_string(rec.floor) + " was stored";
    return "";
  }
  auto check = rec.message_bytes > 0
                   ? agents::testing::check_history_state(rec.id, loaded->state, rec.message_bytes)
                   : agents::testing::check_state(rec.id, loaded->state);
  if (!check.problem.empty()) return "a load returned a state that was never saved whole: " + check.problem;
  const std::int64_t seq = check.seq;
  if (seq == rec.floor) {
    std::lock_guard lock(totals.mu);
    if (rec.ack_unconfirmed) ++totals.confirmed_by_load;
    rec.ack_unconfirmed = false;
    return "";
  }
  if (rec.maybes.count(seq)) {
    std::lock_guard lock(totals.mu);
    ++totals.maybes_landed;
    if (rec.ack_unconfirmed) ++totals.replaced_by_maybe;
    rec.ack_unconfirmed = false;
    rec.floor = seq;
    rec.floor_acknowledged = false;
    rec.maybes.erase(rec.maybes.begin(), rec.maybes.upper_bound(seq));
    return "";
  }
  if (rec.conflicted.count(seq))
    return "save " + std::to_string(seq) + " was reported as a conflict, yet it is stored";
  return "load returned save " + std::to_string(seq) + "; expected " + std::to_string(rec.floor) +
         (rec.maybes.empty() ? "" : " or a newer failed save");
}

std::shared_ptr<DynamoDbCheckpointer> checkpointer_for(const std::string& table,
                                                       const std::string& endpoint) {
  auto cp = std::make_shared<DynamoDbCheckpointer>(table);
  cp->with_endpoint(endpoint)
      .with_region("us-east-1")
      .with_credentials(aws::make_static_credentials_provider({.access_key_id = "AKIDFAULTMIX",
                                                               .secret_access_key = kFakeSecret,
                                                               .session_token = kFakeToken,
                                                               .source = "test"}));
  return cp;
}

// Random loads and saves (conditional and blind) from 4 threads through a proxy that injects a
// seeded mix of faults; every acknowledged save must be found by a later load or replaced by a
// later save, and no load may return a state that was not saved whole. With `message_bytes`,
// saves are incremental and each appends one message: the history is checked too.
void run_fault_mix(long default_ops, std::size_t message_bytes) {
  AGENTS_REQUIRE_LOCAL_SERVER(agents::testing::kDynamoDbLocal, endpoint);
  auto admin = agents::testing::make_local_client(endpoint);
  const std::string table = agents::testing::unique_table_name("faults");
  agents::testing::create_table_and_wait(*admin, {.table = table, .partition_key = {"thread_id", "S"}});

  const long total_ops = env_long("AGENTS_FAULT_OPS", default_ops);
  const bool incremental = message_bytes > 0;
  const auto seed = static_cast<std::uint64_t>(env_long("AGENTS_FAULT_SEED", 20240601));
  constexpr int kWorkers = 4;
  FaultMix mix;
  mix.seed = seed;
  mix.fault_rate = 0.2;
  mix.stall = 450ms;
  mix.max_requests = static_cast<std::uint64_t>(total_ops) * 20;
  mix.max_duration = std::chrono::seconds(60 + total_ops / 20);
  FaultProxy proxy(endpoint, mix);

  std::atomic<std::uint64_t> calls{0}, retries{0};
  auto cp = checkpointer_for(table, proxy.url());
  cp->with_incremental(incremental);
  // Stalls are just past this timeout; retries sleep for no time (the backoff is not under test).
  cp->with_http_client(http::make_curl_http_client({.connect_timeout = 1000ms, .request_timeout = 400ms}))
      .with_retry(
          {.max_attempts = 3, .quota_capacity = 1'000'000, .sleeper = [](std::chrono::milliseconds) {}})
      .with_observer([&](const dynamodb::CallEvent& e) {
        ++calls;
        retries += static_cast<std::uint64_t>(std::max(0, e.attempts - 1));
      });

  Totals totals;
  std::vector<std::vector<ThreadRecord>> records(kWorkers);
  for (int w = 0; w < kWorkers; ++w) {
    for (int k = 0; k < 3; ++k) {
      records[w].push_back({.id = "w" + std::to_string(w) + "-small-" + std::to_string(k),
                            .bytes = 300,
                            .message_bytes = message_bytes});
    }
    // Incompressible enough to need two chunk items: chunked saves under faults (incremental
    // saves fall back to them: the rest of the state does not fit a head).
    records[w].push_back(
        {.id = "w" + std::to_string(w) + "-chunked", .bytes = 900'000, .message_bytes = message_bytes});
  }

  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      std::mt19937_64 rng(seed * 31 + static_cast<std::uint64_t>(w));
      std::uniform_real_distribution<double> unit(0, 1);
      auto& mine = records[static_cast<std::size_t>(w)];
      for (long op = 0; op < total_ops / kWorkers && !proxy.exhausted(); ++op) {
        ThreadRecord& rec = unit(rng) < 0.04 ? mine[3] : mine[rng() % 3];
        const bool save = rec.have_load ? unit(rng) < 0.8 : unit(rng) < 0.15;  // else: blind save
        if (!save) {
          {
            std::lock_guard lock(totals.mu);
            ++totals.loads;
          }
          try {
            auto loaded = cp->load_state(rec.id);
            {
              std::lock_guard lock(totals.mu);
              ++totals.loads_ok;
            }
            if (auto problem = observe(rec, loaded, totals); !problem.empty())
              totals.violation(rec.id + ": " + problem);
            rec.have_load = true;
            rec.loaded = std::move(loaded);
          } catch (const Error& e) {
            totals.error(std::string(error_code_name(e.code())), e.what());
          } catch (const std::exception& e) {
            totals.violation(rec.id + ": untyped exception from load: " + e.what());
          }
          continue;
        }
        const std::int64_t seq = ++rec.next_seq;
        auto state = incremental ? agents::testing::history_state(rec.id, seq, rec.bytes, rec.message_bytes)
                                 : agents::testing::versioned_state(rec.id, seq, rec.bytes);
        SavePrecondition precondition =
            rec.have_load ? SavePrecondition::after_load(rec.loaded) : SavePrecondition::none();
        {
          std::lock_guard lock(totals.mu);
          ++totals.saves;
        }
        try {
          cp->save_state(rec.id, state, precondition);
          std::lock_guard lock(totals.mu);
          ++totals.acknowledged;
          if (rec.ack_unconfirmed) ++totals.replaced_by_later_ack;
          rec.floor = seq;
          rec.floor_acknowledged = true;
          rec.maybes.clear();
          rec.ack_unconfirmed = true;
        } catch (const ConflictError& e) {
          // A conflict promises that nothing stored changed: this save must never show up.
          {
            std::lock_guard lock(totals.mu);
            ++totals.conflicts;
          }
          totals.error("conflict", e.what());
          rec.conflicted.insert(seq);
        } catch (const Error& e) {
          totals.error(std::string(error_code_name(e.code())), e.what());
          rec.maybes.insert(seq);  // the outcome is unknown: it may have landed
        } catch (const std::exception& e) {
          totals.violation(rec.id + ": untyped exception from save: " + e.what());
          rec.maybes.insert(seq);
        }
        rec.have_load = false;
        rec.loaded.reset();
      }
    });
  }
  for (auto& t : workers) t.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  proxy.stop();
  ASSERT_FALSE(proxy.exhausted()) << "the proxy hit its request/time bound before the run finished";

  // Afterwards, straight to the server: each thread holds its newest acknowledged save, or a newer
  // save whose outcome was unknown.
  auto direct = checkpointer_for(table, endpoint);
  // Every writer has finished: the cleanup may take what is younger than its grace period.
  auto sweeper = checkpointer_for(table, endpoint);
  sweeper->with_clock(
      [] { return std::chrono::system_clock::now() + 2 * DynamoDbCheckpointer::kDefaultCleanupGrace; });
  std::uint64_t final_acknowledged = 0, final_maybe = 0, orphans_removed = 0;
  for (auto& mine : records) {
    for (auto& rec : mine) {
      std::optional<LoadedState> loaded;
      ASSERT_NO_THROW(loaded = direct->load_state(rec.id)) << rec.id;
      const std::int64_t before = rec.floor;
      const bool acked = rec.floor_acknowledged;
      if (auto problem = observe(rec, loaded, totals); !problem.empty())
        totals.violation(rec.id + " (final): " + problem);
      if (loaded && rec.floor == before && acked)
        ++final_acknowledged;
      else if (loaded && rec.floor != before)
        ++final_maybe;
      if (rec.bytes > 400'000 || incremental)
        orphans_removed += sweeper->remove_orphaned_chunks_and_segments(rec.id);
    }
  }
  // After the clean-up only the live save's chunks, or the segments the head names, remain.
  auto chunks = admin->scan_all({.table = table, .filter = "attribute_exists(chunk_of)"});
  ASSERT_TRUE(chunks.ok());
  for (const auto& chunk : *chunks) {
    auto head = admin->get_item(
        {.table = table, .key = {{"thread_id", chunk.at("chunk_of")}}, .consistent_read = true});
    ASSERT_TRUE(head.ok() && head->item);
    bool named = head->item->at("save_id").scalar() == chunk.at("save_id").scalar();
    if (auto segments = head->item->find("segments"); segments != head->item->end()) {
      for (const auto& s : segments->second.list())
        named = named || chunk.at("thread_id").scalar() ==
                             chunk.at("chunk_of").scalar() + "#seg#" + s.map().at("id").scalar();
    }
    EXPECT_TRUE(named) << "an item no save references: " << chunk.at("thread_id").scalar();
  }

  const char* tag = incremental ? "[fault-mix, incremental] " : "[fault-mix] ";
  std::cout << tag << "seed " << seed << ", " << totals.loads + totals.saves << " operations ("
            << totals.loads << " loads, " << totals.saves << " saves) from " << kWorkers << " threads in "
            << seconds << " s\n";
  std::cout << tag << "proxy: " << proxy.requests() << " requests, " << proxy.faults() << " faults:";
  for (const auto& [kind, n] : proxy.counts())
    if (kind != "pass") std::cout << " " << kind << "=" << n;
  std::cout << "\n"
            << tag << "client: " << calls.load() << " DynamoDB calls, " << retries.load() << " retries\n";
  std::cout << tag << "errors surfaced (all typed):";
  for (const auto& [code, n] : totals.errors) std::cout << " " << code << "=" << n;
  std::cout << "\n"
            << tag << "saves acknowledged " << totals.acknowledged
            << ": confirmed by a later load (the final one included) " << totals.confirmed_by_load
            << ", replaced by a later acknowledged save " << totals.replaced_by_later_ack
            << ", replaced by a failed save that had landed " << totals.replaced_by_maybe
            << ", still current at the end " << final_acknowledged << "; failed saves found landed "
            << totals.maybes_landed << "; threads ending on such a save " << final_maybe << "; conflicts "
            << totals.conflicts << "; orphaned chunks removed " << orphans_removed << "; violations "
            << totals.violations.size() << "\n";

  for (const auto& v : totals.violations) ADD_FAILURE() << v;
  for (const auto& l : totals.leaked) ADD_FAILURE() << "an error message holds a secret: " << l;
  EXPECT_EQ(totals.acknowledged,
            totals.confirmed_by_load + totals.replaced_by_later_ack + totals.replaced_by_maybe)
      << "every acknowledged save is found by a later load or replaced by a later save";
  EXPECT_GE(totals.loads + totals.saves, static_cast<std::uint64_t>(total_ops) - kWorkers);
  for (int f = 1; f < agents::testing::kFaultKinds; ++f) {
    EXPECT_GT(proxy.count(static_cast<Fault>(f)), 0u)
        << "no " << fault_name(static_cast<Fault>(f)) << " injected";
  }
  EXPECT_GT(totals.acknowledged, totals.saves / 2);
}

TEST(FaultInjection, AcknowledgedSavesSurviveASeededFaultMix) { run_fault_mix(10'000, 0); }

TEST(FaultInjection, AcknowledgedIncrementalSavesSurviveASeededFaultMix) { run_fault_mix(3'000, 200); }

// Several writers, each with its own checkpointer (as separate processes have), append to ONE
// thread through the fault proxy while a cleaner runs remove_orphaned_chunks_and_segments again
// and again (default grace) through it too. Afterwards, straight to the server: every append a
// writer saw stored is in the history exactly once and in order, the thread loads whole, and a
// cleanup whose clock is past the grace leaves no item the head does not name.
void run_shared_thread(bool incremental) {
  AGENTS_REQUIRE_LOCAL_SERVER(agents::testing::kDynamoDbLocal, endpoint);
  auto admin = agents::testing::make_local_client(endpoint);
  const std::string table = agents::testing::unique_table_name("shared");
  agents::testing::create_table_and_wait(*admin, {.table = table, .partition_key = {"thread_id", "S"}});
  const std::string thread = "shared-thread";
  constexpr int kWriters = 4;
  // Bounded (~25 s, at most 60): chunked saves upload ~600 KB per attempt, incremental ones a
  // message. AGENTS_SHARED_APPENDS changes it.
  const int appends = static_cast<int>(env_long("AGENTS_SHARED_APPENDS", incremental ? 80 : 20));

  FaultMix mix;
  mix.seed = static_cast<std::uint64_t>(env_long("AGENTS_FAULT_SEED", 20240601)) + (incremental ? 1 : 0);
  mix.fault_rate = 0.1;
  mix.stall = 450ms;
  mix.max_requests = 200'000;
  mix.max_duration = 120s;
  FaultProxy proxy(endpoint, mix);
  auto make = [&] {
    auto cp = checkpointer_for(table, proxy.url());
    cp->with_incremental(incremental);
    cp->with_http_client(http::make_curl_http_client({.connect_timeout = 1000ms, .request_timeout = 400ms}))
        .with_retry(
            {.max_attempts = 3, .quota_capacity = 1'000'000, .sleeper = [](std::chrono::milliseconds) {}});
    return cp;
  };

  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + 60s;
  std::vector<agents::testing::AppendReport> reports(kWriters);
  std::vector<std::thread> writers;
  std::set<std::string> writer_names;
  for (int w = 0; w < kWriters; ++w) {
    writer_names.insert("w" + std::to_string(w));
    writers.emplace_back([&, w] {
      auto cp = make();
      reports[static_cast<std::size_t>(w)] =
          agents::testing::append_messages(*cp, {.thread = thread,
                                                 .writer = "w" + std::to_string(w),
                                                 .count = appends,
                                                 .payload_bytes = incremental ? 0u : 600'000u,
                                                 .message_bytes = incremental ? 2000u : 64u,
                                                 .deadline = deadline});
    });
  }
  std::atomic<bool> writing{true};
  std::atomic<long> cleanups{0}, cleanup_errors{0};
  std::atomic<std::size_t> removed_during{0};
  std::thread cleaner([&] {
    auto cp = make();
    while (writing) {
      try {
        removed_during += cp->remove_orphaned_chunks_and_segments(thread);
        ++cleanups;
      } catch (const Error&) {
        ++cleanup_errors;  // a fault; the next round goes on
      }
      std::this_thread::sleep_for(10ms);
    }
  });
  for (auto& t : writers) t.join();
  writing = false;
  cleaner.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  proxy.stop();

  std::set<std::string> stored;
  long acknowledged = 0, found = 0, conflicts = 0, failed_saves = 0, failed_loads = 0;
  std::map<std::string, long> errors;
  for (const auto& r : reports) {
    EXPECT_TRUE(r.finished) << "a writer did not store all its appends in time";
    for (const auto& v : r.violations) ADD_FAILURE() << v;
    stored.insert(r.acknowledged.begin(), r.acknowledged.end());
    stored.insert(r.found.begin(), r.found.end());
    acknowledged += static_cast<long>(r.acknowledged.size());
    found += static_cast<long>(r.found.size());
    conflicts += r.conflicts;
    failed_saves += r.failed_saves;
    failed_loads += r.failed_loads;
    for (const auto& [code, n] : r.errors) errors[code] += n;
  }
  auto final_check = agents::testing::check_shared_thread(endpoint, table, thread, stored, writer_names,
                                                          agents::testing::local_credentials());
  for (const auto& p : final_check.problems) ADD_FAILURE() << p;
  EXPECT_EQ(final_check.messages, static_cast<std::size_t>(kWriters * appends));

  const char* tag = incremental ? "[shared thread, incremental] " : "[shared thread, chunked] ";
  std::cout << tag << kWriters << " writers x " << appends << " appends in " << seconds << " s: acknowledged "
            << acknowledged << ", found stored after a failed save " << found << "; conflicts " << conflicts
            << ", failed saves " << failed_saves << ", failed loads " << failed_loads << " (";
  for (const auto& [code, n] : errors) std::cout << " " << code << "=" << n;
  std::cout << " )\n"
            << tag << "proxy: " << proxy.requests() << " requests, " << proxy.faults()
            << " faults; cleaner: " << cleanups.load() << " rounds, " << cleanup_errors.load() << " failed, "
            << removed_during.load() << " items removed during the run, " << final_check.removed_at_the_end
            << " by the cleanup past its grace, " << final_check.items_left << " named items left; problems "
            << final_check.problems.size() << "\n";
  EXPECT_FALSE(proxy.exhausted());
  EXPECT_GT(proxy.faults(), 0u);
  EXPECT_GT(cleanups.load(), 0);
}

TEST(FaultInjection, WritersSharingOneChunkedThreadUnderFaultsAndCleanupLoseNoAppend) {
  run_shared_thread(false);
}

TEST(FaultInjection, WritersSharingOneIncrementalThreadUnderFaultsAndCleanupLoseNoAppend) {
  run_shared_thread(true);
}

}  // namespace
}  // namespace agents
