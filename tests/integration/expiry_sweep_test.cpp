// The expiry sweeper (DynamoDbCheckpointer::sweep_expired, `agents table sweep`), on both real
// local servers: it deletes every expired item (heads, chunks, segments, version items) and
// nothing else, while other writers save, and keeps a thread saved again between its Scan and
// its delete. Time is moved on by giving the sweeper and the reader a clock three hours ahead, so
// that threads saved with a one-hour TTL are expired for them and one-day threads are not.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "agents/dynamodb/client.hpp"
#include "support/dynamodb_fixture.hpp"
#include "support/hook_transport.hpp"
#include "support/sample_states.hpp"

namespace agents {
namespace {

using namespace std::chrono_literals;
using agents::testing::HookTransport;
using dynamodb::Item;

// Where the sweeper's and reader's clocks are: past a one-hour thread's head and chunks, and past
// its segments and version items (twice the TTL), well short of a one-day thread's.
constexpr auto kAhead = 3h;

WallClock ahead_clock() {
  return [] { return std::chrono::system_clock::now() + kAhead; };
}

std::int64_t ttl_of(const Item& item) {
  auto it = item.find("ttl");
  return it == item.end() ? -1 : std::stoll(it->second.scalar());
}

class ExpirySweepTest : public agents::testing::LocalTableTest {
 protected:
  ExpirySweepTest() : LocalTableTest("sweep") {}

  // A checkpointer of this table with `configure` applied.
  template <typename Configure>
  std::shared_ptr<DynamoDbCheckpointer> cp(Configure configure) const {
    auto c = local_checkpointer();
    configure(*c);
    return c;
  }

  // Every item of the table: key -> ttl (-1: none).
  std::map<std::string, std::int64_t> items() const {
    auto all = client_->scan_all({.table = table_,
                                  .projection = "thread_id, #t",
                                  .attributes = {{{"#t", "ttl"}}, {}},
                                  .consistent_read = true});
    if (!all.ok()) throw std::runtime_error(all.status().message());
    std::map<std::string, std::int64_t> out;
    for (const auto& item : *all) out[item.at("thread_id").scalar()] = ttl_of(item);
    return out;
  }

  // Saves `turns` turns one save at a time (incremental threads get a segment per save).
  AgentStateSnapshot converse(DynamoDbCheckpointer& c, const std::string& thread, AgentStateSnapshot state,
                              int turns) {
    for (int t = 0; t < turns; ++t) {
      state = agents::testing::with_turn(state, static_cast<std::size_t>(t) + 1);
      c.save_state(thread, state);
    }
    return state;
  }
};

TEST_P(ExpirySweepTest, DeletesEveryExpiredItemAndNothingElseWhileSavesRun) {
  auto short_plain = cp([](auto& c) { c.with_ttl(1h); });
  auto short_incremental = cp([](auto& c) { c.with_ttl(1h).with_incremental(true); });
  auto short_history = cp([](auto& c) { c.with_ttl(1h).with_history(3); });
  auto long_plain = cp([](auto& c) { c.with_ttl(24h); });
  auto long_incremental = cp([](auto& c) { c.with_ttl(24h).with_incremental(true); });
  auto long_history = cp([](auto& c) { c.with_ttl(24h).with_history(3); });
  auto no_ttl = cp([](auto&) {});

  AgentStateSnapshot chunked = agents::testing::rich_state();
  chunked.messages.push_back(Message::user(agents::testing::incompressible_text(700'000)));
  std::map<std::string, AgentStateSnapshot> live;  // what must load afterwards
  std::set<std::string> expired;                   // what must not
  for (const std::string prefix : {"short", "long"}) {
    const bool is_long = prefix == "long";
    auto& plain = is_long ? long_plain : short_plain;
    auto& incremental = is_long ? long_incremental : short_incremental;
    auto& history = is_long ? long_history : short_history;
    std::map<std::string, AgentStateSnapshot> saved;
    plain->save_state(prefix + "-plain", agents::testing::rich_state());
    saved[prefix + "-plain"] = agents::testing::rich_state();
    plain->save_state(prefix + "-chunked", chunked);
    saved[prefix + "-chunked"] = chunked;
    saved[prefix + "-incremental"] = converse(*incremental, prefix + "-incremental", {}, 3);
    saved[prefix + "-history"] = converse(*history, prefix + "-history", {}, 3);
    for (auto& [thread, state] : saved) {
      if (is_long) {
        live[thread] = state;
      } else {
        expired.insert(thread);
      }
    }
  }
  live["no-ttl"] = converse(*no_ttl, "no-ttl", {}, 2);
  // Short-lived first, then continued by a long-lived writer: live, whatever its segments were.
  auto mixed = converse(*short_incremental, "mixed", {}, 3);
  long_incremental->load_state("mixed");
  live["mixed"] = converse(*long_incremental, "mixed", mixed, 1);
  // Expired when the sweep scans, saved again before its delete.
  short_plain->save_state("renewed", agents::testing::rich_state());
  AgentStateSnapshot renewed_state = agents::testing::with_turn(agents::testing::rich_state(), 9);

  const auto before = items();
  const std::int64_t ahead_now = agents::testing::now_epoch() + std::chrono::seconds(kAhead).count();

  auto hooks = std::make_shared<HookTransport>();
  auto renewer = cp([](auto& c) { c.with_ttl(24h); });
  hooks->on("DeleteItem")
      .where([](const std::string& body) {
        return body.find(R"("Key":{"thread_id":{"S":"renewed"}})") != std::string::npos;
      })
      .before_send([&] { renewer->save_state("renewed", renewed_state); });
  auto sweeper = cp([&](auto& c) { c.with_clock(ahead_clock()).with_http_client(hooks); });

  // A writer of another live thread saving all through the sweep.
  auto busy_writer = cp([](auto& c) { c.with_ttl(24h).with_incremental(true).with_history(2); });
  std::atomic<bool> sweeping{true};
  std::atomic<int> busy_saves{0};
  AgentStateSnapshot busy_state;
  std::string busy_error;
  std::thread busy([&] {
    try {
      for (std::size_t turn = 1; sweeping.load() || busy_saves.load() < 2; ++turn) {
        busy_state = agents::testing::with_turn(busy_state, turn, 300);
        busy_writer->save_state("busy", busy_state);
        ++busy_saves;
      }
    } catch (const std::exception& e) {
      busy_error = e.what();
    }
  });
  SweepReport report;
  try {
    report = sweeper->sweep_expired({.parallel_segments = 3});
  } catch (...) {
    sweeping = false;
    busy.join();
    throw;
  }
  sweeping = false;
  busy.join();
  ASSERT_EQ(busy_error, "");
  EXPECT_GE(busy_saves.load(), 2);
  EXPECT_TRUE(hooks->count("DeleteItem") > 0);

  // What the sweep's clock called expired: every such item went, except the renewed head.
  std::size_t expired_before = 0;
  for (const auto& [key, ttl] : before) expired_before += ttl >= 0 && ttl < report.cutoff_epoch ? 1 : 0;
  EXPECT_GE(report.cutoff_epoch, ahead_now - 5);
  EXPECT_GT(expired_before, 12u);  // every short thread's head, chunks, segments and versions
  EXPECT_EQ(report.deleted, expired_before - 1);
  EXPECT_EQ(report.renewed, 1u);
  EXPECT_EQ(report.expired_found, expired_before);

  const auto after = items();
  for (const auto& [key, ttl] : after)
    EXPECT_FALSE(ttl >= 0 && ttl < report.cutoff_epoch) << key << " is still there, expired at " << ttl;
  for (const auto& [key, ttl] : before) {
    const bool was_expired = ttl >= 0 && ttl < report.cutoff_epoch;
    if (was_expired || key.rfind("busy", 0) == 0) continue;  // the busy writer replaces its own
    EXPECT_TRUE(after.count(key)) << key << " (ttl " << ttl << ") was not expired and is gone";
  }
  EXPECT_TRUE(after.count("renewed"));

  // And every thread reads as it should at the sweep's time.
  auto reader = cp([](auto& c) { c.with_clock(ahead_clock()); });
  for (const auto& [thread, state] : live) {
    auto loaded = reader->load_state(thread);
    ASSERT_TRUE(loaded.has_value()) << thread;
    EXPECT_EQ(loaded->state, state) << thread;
  }
  for (const auto& thread : expired) EXPECT_FALSE(reader->load_state(thread).has_value()) << thread;
  auto renewed = reader->load_state("renewed");
  ASSERT_TRUE(renewed.has_value());
  EXPECT_EQ(renewed->state, renewed_state);
  auto busy_loaded = reader->load_state("busy");
  ASSERT_TRUE(busy_loaded.has_value());
  EXPECT_EQ(busy_loaded->state, busy_state);
  auto reader_history = cp([](auto& c) { c.with_clock(ahead_clock()).with_history(3); });
  auto versions = reader_history->list_versions("long-history");
  ASSERT_EQ(versions.size(), 3u);
  for (const auto& v : versions)
    EXPECT_TRUE(reader_history->load_version("long-history", v.version).has_value());

  // A second sweep finds nothing left to do.
  auto again = cp([](auto& c) { c.with_clock(ahead_clock()); })->sweep_expired({.parallel_segments = 1});
  EXPECT_EQ(again.deleted, 0u);
  EXPECT_EQ(again.expired_found, 0u);
}

TEST_P(ExpirySweepTest, PacesToItsCapacityBudgetAndReportsProgress) {
  auto short_plain = cp([](auto& c) { c.with_ttl(1h); });
  for (int i = 0; i < 30; ++i) short_plain->save_state("t" + std::to_string(i), AgentStateSnapshot{});

  std::mutex mu;
  std::chrono::milliseconds slept{0};
  std::vector<SweepProgress> progress;
  SweepOptions options{.parallel_segments = 2, .max_capacity_units_per_second = 10};
  options.sleeper = [&](std::chrono::milliseconds d) {
    {
      std::lock_guard lock(mu);
      slept += d;
    }
    std::this_thread::sleep_for(d);
  };
  options.on_progress = [&](const SweepProgress& p) {
    std::lock_guard lock(mu);
    progress.push_back(p);
  };
  auto sweeper = cp([](auto& c) { c.with_clock(ahead_clock()); });
  const SweepReport report = sweeper->sweep_expired(options);
  EXPECT_EQ(report.deleted, 30u);
  // At least 30 deletes and 2 Scans at 10 units/s with one second of burst: about 2 s of waiting.
  EXPECT_GE(report.paced_for, 1500ms);
  EXPECT_EQ(report.paced_for, slept);
  // The units the server reported (the sweeper asks for them even with no observer set): each of
  // the 30 deletes costs at least one write unit.
  EXPECT_GE(report.consumed_capacity, 30.0);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back().segments_done, 2);
  EXPECT_EQ(progress.back().segments, 2);
  EXPECT_EQ(progress.back().report.deleted, 30u);
  for (std::size_t i = 1; i < progress.size(); ++i)
    EXPECT_GE(progress[i].report.deleted, progress[i - 1].report.deleted);

  // Without a budget nothing waits.
  for (int i = 0; i < 5; ++i) short_plain->save_state("u" + std::to_string(i), AgentStateSnapshot{});
  const SweepReport unpaced = sweeper->sweep_expired({});
  EXPECT_EQ(unpaced.deleted, 5u);
  EXPECT_EQ(unpaced.paced_for, 0ms);
}

TEST_P(ExpirySweepTest, GraceKeepsRecentlyExpiredItemsAndBadOptionsAreRefused) {
  auto short_plain = cp([](auto& c) { c.with_ttl(1h); });
  short_plain->save_state("t", AgentStateSnapshot{});
  // Expired two hours ago for a clock three hours ahead: a three-hour grace keeps it.
  auto sweeper = cp([](auto& c) { c.with_clock(ahead_clock()); });
  EXPECT_EQ(sweeper->sweep_expired({.grace = 3h}).deleted, 0u);
  EXPECT_TRUE(items().count("t"));
  EXPECT_THROW(sweeper->sweep_expired({.parallel_segments = 0}), InvalidArgumentError);
  EXPECT_THROW(sweeper->sweep_expired({.max_capacity_units_per_second = -1}), InvalidArgumentError);
  EXPECT_THROW(sweeper->sweep_expired({.grace = -1s}), InvalidArgumentError);
  EXPECT_EQ(sweeper->sweep_expired({.grace = 30min}).deleted, 1u);
  EXPECT_FALSE(items().count("t"));
}

INSTANTIATE_TEST_SUITE_P(Servers, ExpirySweepTest,
                         ::testing::Values(agents::testing::kDynamoDbLocal, agents::testing::kDynalite),
                         agents::testing::server_test_name);

}  // namespace
}  // namespace agents
