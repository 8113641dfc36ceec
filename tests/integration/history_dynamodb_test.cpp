// Kept versions in DynamoDB (docs/history.md) on both real local servers: what a version keeps
// alive and for how long, in every layout. The behaviour every store shares is in
// tests/conformance/history_conformance_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "agents/dynamodb/client.hpp"
#include "support/dynamodb_fixture.hpp"
#include "support/sample_states.hpp"

namespace agents {
namespace {

using dynamodb::Item;
using V = dynamodb::AttributeValue;
using std::chrono::hours;
using std::chrono::minutes;

using agents::testing::with_turn;

class HistoryDynamoDbTest : public agents::testing::LocalTableTest {
 protected:
  HistoryDynamoDbTest() : LocalTableTest("history") {}

  std::shared_ptr<DynamoDbCheckpointer> checkpointer(bool incremental, std::size_t keep_last) {
    auto cp = local_checkpointer();
    cp->with_incremental(incremental).with_history(keep_last).with_clock([this] {
      return std::chrono::system_clock::now() + offset_.load();
    });
    return cp;
  }

  // One turn as an agent takes it: load, append, save conditionally on the load.
  AgentStateSnapshot take_turn(Checkpointer& cp, const std::string& thread, std::size_t turn) {
    auto loaded = cp.load_state(thread);
    auto state = with_turn(loaded ? loaded->state : AgentStateSnapshot{}, turn);
    cp.save_state(thread, state, SavePrecondition::after_load(loaded));
    return state;
  }

  std::vector<Item> items_of(const std::string& thread) {
    auto all = client_->scan_all({.table = table_,
                                  .filter = "chunk_of = :t",
                                  .attributes = {{}, {{":t", V::S(thread)}}},
                                  .consistent_read = true});
    EXPECT_TRUE(all.ok()) << all.status().message();
    return all.ok() ? *all : std::vector<Item>{};
  }

  std::size_t version_items_of(const std::string& thread) {
    std::size_t n = 0;
    for (const auto& item : items_of(thread))
      n += item.at("thread_id").scalar().starts_with(thread + "#chunk#v");
    return n;
  }

  // Unreferenced items a cleanup finds when everything counts as old (its clock two hours on):
  // 0 when every item of the thread is named by the head or by a kept version.
  std::size_t unreferenced_items(const std::string& thread) {
    auto cleaner = local_checkpointer();
    cleaner->with_clock([] { return std::chrono::system_clock::now() + hours(2); });
    return cleaner->remove_orphaned_chunks_and_segments(thread);
  }

  std::vector<std::int64_t> listed(Checkpointer& cp, const std::string& thread) {
    std::vector<std::int64_t> out;
    for (const auto& v : cp.list_versions(thread)) out.push_back(v.version);
    return out;
  }

  std::atomic<std::chrono::seconds> offset_{std::chrono::seconds(0)};
};

TEST_P(HistoryDynamoDbTest, PrunesAndMergesLeaveNoItemThatNothingNamesInEitherLayout) {
  for (bool incremental : {false, true}) {
    SCOPED_TRACE(incremental ? "incremental" : "plain");
    const std::string thread = incremental ? "inc" : "plain";
    auto cp = checkpointer(incremental, 2);
    std::vector<AgentStateSnapshot> states;
    // 40 turns: two level-0 merges in the incremental layout, each replacing 16 segments that
    // kept versions still name.
    for (std::size_t turn = 0; turn < 40; ++turn) {
      states.push_back(take_turn(*cp, thread, turn));
      if (turn == 16 || turn == 33) {
        EXPECT_EQ(unreferenced_items(thread), 0u) << "after turn " << turn;
        for (std::int64_t v = static_cast<std::int64_t>(turn) - 1; v <= static_cast<std::int64_t>(turn) + 1;
             ++v)
          EXPECT_EQ(cp->load_version(thread, v)->state, states[static_cast<std::size_t>(v - 1)]) << v;
      }
    }
    EXPECT_EQ(listed(*cp, thread), (std::vector<std::int64_t>{40, 39, 38}));
    EXPECT_EQ(version_items_of(thread), 3u);
    EXPECT_EQ(unreferenced_items(thread), 0u);
    for (std::int64_t v = 38; v <= 40; ++v)
      EXPECT_EQ(cp->load_version(thread, v)->state, states[static_cast<std::size_t>(v - 1)]) << v;
    EXPECT_TRUE(cp->delete_thread(thread));
    EXPECT_TRUE(items_of(thread).empty()) << "delete_thread leaves " << items_of(thread).size() << " items";
  }
}

TEST_P(HistoryDynamoDbTest, ChunkedStatesKeepTheirChunksWhileAVersionNamesThem) {
  auto cp = checkpointer(false, 1);
  std::vector<AgentStateSnapshot> states;
  for (int v = 1; v <= 3; ++v) {
    AgentStateSnapshot s;
    s.files["big.bin"] = agents::testing::incompressible_text(600 * 1024, static_cast<unsigned>(v));
    cp->save_state("big", s);
    states.push_back(std::move(s));
  }
  EXPECT_EQ(listed(*cp, "big"), (std::vector<std::int64_t>{3, 2}));
  EXPECT_EQ(cp->load_version("big", 2)->state, states[1]);
  EXPECT_EQ(cp->load_version("big", 3)->state, states[2]);
  EXPECT_FALSE(cp->load_version("big", 1).has_value());
  // Two chunks for each of versions 2 and 3, and their two version items.
  EXPECT_EQ(items_of("big").size(), 6u);
  EXPECT_EQ(unreferenced_items("big"), 0u);
  EXPECT_EQ(cp->load_version("big", 2)->state, states[1]);
  EXPECT_TRUE(cp->delete_thread("big"));
  EXPECT_TRUE(items_of("big").empty());
}

// A head near the item limit (plain or compressed) has a copy that may not fit one: such a state
// is stored chunked instead. Every size around the layouts' boundaries saves and loads back.
TEST_P(HistoryDynamoDbTest, StatesNearTheItemLimitKeepTheirVersionsInEveryLayout) {
  auto cp = checkpointer(false, 1);
  for (std::size_t kb : {300, 385, 395, 399, 430, 470, 490, 500, 520}) {
    SCOPED_TRACE(std::to_string(kb) + " KB");
    const std::string thread = "near-" + std::to_string(kb);
    std::vector<AgentStateSnapshot> states;
    for (unsigned v = 1; v <= 2; ++v) {
      AgentStateSnapshot s;
      s.files["blob"] = agents::testing::incompressible_text(kb * 1024, v + static_cast<unsigned>(kb));
      ASSERT_NO_THROW(cp->save_state(thread, s));
      states.push_back(std::move(s));
    }
    EXPECT_EQ(cp->load_version(thread, 1)->state, states[0]);
    EXPECT_EQ(cp->load_version(thread, 2)->state, states[1]);
  }
}

// An incremental head just under the item limit leaves no room for its `versions`: such a state
// is stored in another layout rather than refused (it saves without history, so it saves with it).
TEST_P(HistoryDynamoDbTest, AnIncrementalHeadAtTheItemLimitStillSavesWithHistory) {
  auto cp = checkpointer(true, 1);
  const std::string text = agents::testing::incompressible_text(400 * 1024, 3);
  for (std::size_t cut = 0; cut < 600; cut += 24) {
    const std::string thread = "edge-" + std::to_string(cut);
    AgentStateSnapshot s = with_turn({}, 1);
    s.scratchpad["notes"] = text.substr(0, 400 * 1024 - 300 - cut);
    ASSERT_NO_THROW(cp->save_state(thread, s)) << "cut " << cut;
    auto first = s;
    s = with_turn(s, 2);
    ASSERT_NO_THROW(cp->save_state(thread, s)) << "cut " << cut;
    EXPECT_EQ(cp->load_version(thread, 1)->state, first) << "cut " << cut;
    EXPECT_EQ(cp->load_state(thread)->state, s) << "cut " << cut;
  }
}

TEST_P(HistoryDynamoDbTest, WithATtlAVersionIsKeptOnlyWhileEverythingItNeedsOutlivesTheHead) {
  for (bool incremental : {false, true}) {
    SCOPED_TRACE(incremental ? "incremental" : "plain");
    const std::string thread = incremental ? "inc" : "plain";
    offset_ = std::chrono::seconds(0);
    auto cp = checkpointer(incremental, 5);
    cp->with_ttl(hours(1));
    for (std::size_t turn = 0; turn < 3; ++turn) take_turn(*cp, thread, turn);
    offset_ = minutes(30);
    take_turn(*cp, thread, 3);
    EXPECT_EQ(listed(*cp, thread), (std::vector<std::int64_t>{4, 3, 2, 1}));
    // Versions 1 to 3 (and the segments they wrote) expire two hours after T0, before the head
    // written at T0 + 70 min (T0 + 130 min): they drop out. In the incremental layout version
    // 4 names those segments too, so it drops with them; in the plain layout it stays.
    offset_ = minutes(70);
    auto last = take_turn(*cp, thread, 4);
    EXPECT_EQ(listed(*cp, thread),
              incremental ? (std::vector<std::int64_t>{5}) : (std::vector<std::int64_t>{5, 4}));
    EXPECT_FALSE(cp->load_version(thread, 3).has_value());
    // Just before the head expires, every listed version still loads (none names an expired item).
    offset_ = minutes(70 + 59);
    for (std::int64_t v : listed(*cp, thread)) EXPECT_TRUE(cp->load_version(thread, v).has_value()) << v;
    EXPECT_EQ(cp->load_state(thread)->state, last);
    // ... and once it has expired, the thread and every version are gone together.
    offset_ = minutes(70 + 61);
    EXPECT_TRUE(cp->list_versions(thread).empty());
    EXPECT_FALSE(cp->load_version(thread, 5).has_value());
  }
}

TEST_P(HistoryDynamoDbTest, TurningHistoryOffDropsTheKeptVersionsButNotWhatTheHeadStillNames) {
  auto with_history = checkpointer(true, 3);
  AgentStateSnapshot state;
  for (std::size_t turn = 0; turn < 5; ++turn) state = take_turn(*with_history, "t", turn);
  EXPECT_EQ(version_items_of("t"), 4u);
  auto without = local_checkpointer();
  without->with_incremental(true);
  state = take_turn(*without, "t", 5);
  EXPECT_EQ(version_items_of("t"), 0u);
  EXPECT_EQ(listed(*without, "t"), (std::vector<std::int64_t>{6}));
  EXPECT_EQ(without->load_state("t")->state, state);
  EXPECT_EQ(unreferenced_items("t"), 0u);
  // Turned on again, history starts with the next save (nothing older has a copy).
  state = take_turn(*with_history, "t", 6);
  take_turn(*with_history, "t", 7);
  EXPECT_EQ(listed(*with_history, "t"), (std::vector<std::int64_t>{8, 7}));
  EXPECT_EQ(with_history->load_version("t", 7)->state, state);
  EXPECT_EQ(unreferenced_items("t"), 0u);
}

TEST_P(HistoryDynamoDbTest, KeepLastIsBoundedAndChecked) {
  EXPECT_THROW(checkpointer(false, DynamoDbCheckpointerOptions::kMaxKeepLast + 1), InvalidArgumentError);
  EXPECT_THROW(DynamoDbCheckpointer("t-table", DynamoDbCheckpointerOptions().with_history(1000)),
               InvalidArgumentError);
  auto cp = checkpointer(false, DynamoDbCheckpointerOptions::kMaxKeepLast);
  AgentStateSnapshot s;
  for (int i = 0; i < 3; ++i) cp->save_state("t", s);
  EXPECT_EQ(listed(*cp, "t").size(), 3u);
}

INSTANTIATE_TEST_SUITE_P(Servers, HistoryDynamoDbTest,
                         ::testing::Values(agents::testing::kDynamoDbLocal, agents::testing::kDynalite),
                         agents::testing::server_test_name);

}  // namespace
}  // namespace agents
