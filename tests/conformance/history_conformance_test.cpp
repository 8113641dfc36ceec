// Checkpoint history (docs/history.md), one suite for every Checkpointer that keeps it: in-memory,
// file directory, DynamoDB in the plain and the incremental layout on DynamoDB Local and on
// dynalite. Each keeps the current version and the three before it.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <thread>

#include "agents/checkpoint/checkpointer.hpp"
#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "agents/core/error.hpp"
#include "support/dynamodb_fixture.hpp"
#include "support/sample_states.hpp"
#include "support/store_backends.hpp"

namespace agents {
namespace {

constexpr std::size_t kKeepLast = 3;

using Backend = agents::testing::StoreBackend;

std::string temp_dir() { return agents::testing::new_temp_dir("agents-history"); }

std::shared_ptr<Checkpointer> dynamodb_backend(const agents::testing::LocalServer& server,
                                               const std::string& table, bool incremental) {
  auto options = DynamoDbCheckpointerOptions()
                     .with_endpoint(agents::testing::endpoint_or_skip(server))
                     .with_region("us-east-1")
                     .with_credentials(agents::testing::local_credentials())
                     .with_incremental(incremental)
                     .with_history(kKeepLast);
  return std::make_shared<DynamoDbCheckpointer>(table, std::move(options));
}

std::string new_dynamodb_table(const agents::testing::LocalServer& server) {
  return agents::testing::new_local_table(server, "history");
}

std::vector<Backend> backends() {
  using agents::testing::kDynalite;
  using agents::testing::kDynamoDbLocal;
  static std::shared_ptr<InMemoryCheckpointer> memory;
  return {
      {"InMemory", [](const std::string&) { return memory; },
       [] {
         memory = std::make_shared<InMemoryCheckpointer>(LocalCheckpointerOptions().with_history(kKeepLast));
         return std::string("memory");
       }},
      {"File",
       [](const std::string& dir) {
         return std::make_shared<FileCheckpointer>(dir, LocalCheckpointerOptions().with_history(kKeepLast));
       },
       temp_dir},
      {"DynamoDbLocal", [](const std::string& t) { return dynamodb_backend(kDynamoDbLocal, t, false); },
       [] { return new_dynamodb_table(kDynamoDbLocal); }},
      {"Dynalite", [](const std::string& t) { return dynamodb_backend(kDynalite, t, false); },
       [] { return new_dynamodb_table(kDynalite); }},
      {"DynamoDbLocalIncremental",
       [](const std::string& t) { return dynamodb_backend(kDynamoDbLocal, t, true); },
       [] { return new_dynamodb_table(kDynamoDbLocal); }},
      {"DynaliteIncremental", [](const std::string& t) { return dynamodb_backend(kDynalite, t, true); },
       [] { return new_dynamodb_table(kDynalite); }},
  };
}

class HistoryConformance : public agents::testing::StoreSuite {
 protected:
  // Saves turns 1..n of a conversation as versions 1..n (after-load preconditions), returning
  // the state of each version (index = version).
  std::vector<AgentStateSnapshot> save_turns(const std::string& thread, int n) {
    std::vector<AgentStateSnapshot> states(1);
    SavePrecondition precondition = SavePrecondition::must_not_exist();
    for (int turn = 1; turn <= n; ++turn) {
      AgentStateSnapshot s = agents::testing::conversation(static_cast<std::size_t>(turn), 300);
      s.scratchpad["turn"] = turn;
      SavedState saved = cp_->save(thread, s, precondition);
      EXPECT_EQ(saved.version, turn);
      precondition = SavePrecondition::after_save(saved);
      states.push_back(std::move(s));
    }
    return states;
  }
};

TEST_P(HistoryConformance, ListsTheCurrentAndTheKeptVersionsNewestFirst) {
  auto states = save_turns("t", 6);
  auto versions = another_instance()->list_versions("t");
  ASSERT_EQ(versions.size(), kKeepLast + 1);
  for (std::size_t i = 0; i < versions.size(); ++i) {
    const VersionInfo& v = versions[i];
    const auto expected = static_cast<std::int64_t>(6 - i);
    EXPECT_EQ(v.version, expected);
    EXPECT_EQ(v.message_count, states[static_cast<std::size_t>(expected)].messages.size());
    const double json =
        static_cast<double>(encode_state_json(states[static_cast<std::size_t>(expected)]).size());
    EXPECT_NEAR(static_cast<double>(v.state_bytes), json, json * 0.01) << "version " << expected;
    EXPECT_EQ(v.updated_at.size(), 24u);
    EXPECT_FALSE(v.forked_from.has_value());
    if (i == 0) {
      EXPECT_EQ(v.replaced_by, 0);
      EXPECT_EQ(v.replaced_at, "");
    } else {
      EXPECT_EQ(v.replaced_by, expected + 1);
      EXPECT_EQ(v.replaced_at, versions[i - 1].updated_at);
      EXPECT_LE(v.updated_at, v.replaced_at);
    }
  }
}

TEST_P(HistoryConformance, LoadsEveryKeptVersionExactlyAndNothingElse) {
  auto states = save_turns("t", 6);
  auto reader = another_instance();
  for (std::int64_t v = 3; v <= 6; ++v) {
    auto loaded = reader->load_version("t", v);
    ASSERT_TRUE(loaded.has_value()) << "version " << v;
    EXPECT_EQ(loaded->version, v);
    EXPECT_EQ(loaded->state, states[static_cast<std::size_t>(v)]) << "version " << v;
  }
  EXPECT_FALSE(reader->load_version("t", 2).has_value()) << "beyond keep_last";
  EXPECT_FALSE(reader->load_version("t", 7).has_value()) << "not saved yet";
  EXPECT_FALSE(reader->load_version("never-saved", 1).has_value());
  EXPECT_THROW(reader->load_version("t", 0), InvalidArgumentError);
  EXPECT_THROW(reader->load_version("", 1), InvalidArgumentError);
  EXPECT_EQ(reader->load_version("t", 6)->state, reader->load_state("t")->state);
}

TEST_P(HistoryConformance, PagesWithBeforeAndLimit) {
  save_turns("t", 6);
  auto page = cp_->list_versions("t", {.before = 0, .limit = 2});
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].version, 6);
  EXPECT_EQ(page[1].version, 5);
  page = cp_->list_versions("t", {.before = page.back().version, .limit = 2});
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].version, 4);
  EXPECT_EQ(page[1].version, 3);
  EXPECT_EQ(page[0].replaced_by, 5);
  EXPECT_TRUE(cp_->list_versions("t", {.before = 3, .limit = 2}).empty());
  EXPECT_TRUE(cp_->list_versions("never-saved").empty());
  EXPECT_THROW(cp_->list_versions("t", {.before = -1}), InvalidArgumentError);
}

TEST_P(HistoryConformance, ForkStartsANewThreadFromAPastVersionAndRecordsWhere) {
  auto states = save_turns("t", 5);
  auto before = cp_->list_versions("t");
  SavedState forked = cp_->fork("t", 3, "t-branch");
  EXPECT_EQ(forked.version, 1);
  auto reader = another_instance();
  auto loaded = reader->load_state("t-branch");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->state, states[3]);
  auto versions = reader->list_versions("t-branch");
  ASSERT_EQ(versions.size(), 1u);
  ASSERT_TRUE(versions[0].forked_from.has_value());
  EXPECT_EQ(*versions[0].forked_from, (ForkOrigin{"t", 3}));
  // The branch goes on as a thread of its own; the original is untouched.
  AgentStateSnapshot next = states[3];
  next.messages.push_back(Message::user("a different second question"));
  EXPECT_EQ(reader->save_state("t-branch", next, SavePrecondition::after_load(loaded)), 2);
  EXPECT_EQ(reader->load_version("t-branch", 1)->state, states[3]);
  auto after = reader->list_versions("t");
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].version, before[i].version);
    EXPECT_EQ(after[i].updated_at, before[i].updated_at);
  }
  EXPECT_EQ(reader->load_state("t")->state, states[5]);
  // Never over an existing thread, never from a version that is not kept.
  EXPECT_THROW(cp_->fork("t", 4, "t-branch"), ConflictError);
  EXPECT_EQ(reader->load_state("t-branch")->version, 2);
  EXPECT_THROW(cp_->fork("t", 1, "t-other"), NotFoundError);
  EXPECT_THROW(cp_->fork("never-saved", 1, "t-other"), NotFoundError);
  EXPECT_FALSE(reader->load_state("t-other").has_value());
}

TEST_P(HistoryConformance, ASaveAfterLoadingAPastVersionConflicts) {
  auto states = save_turns("t", 4);
  auto past = cp_->load_version("t", 2);
  ASSERT_TRUE(past.has_value());
  EXPECT_THROW(cp_->save_state("t", states[1], SavePrecondition::after_load(past)), ConflictError);
  EXPECT_EQ(cp_->load_state("t")->state, states[4]);
  // Going on from it is a save of it as the next version: history is appended, not rewritten.
  auto current = cp_->load_state("t");
  EXPECT_EQ(cp_->save_state("t", past->state, SavePrecondition::after_load(current)), 5);
  EXPECT_EQ(cp_->load_version("t", 5)->state, states[2]);
  EXPECT_EQ(cp_->load_version("t", 4)->state, states[4]);
  EXPECT_EQ(cp_->load_version("t", 2)->state, states[2]);
}

TEST_P(HistoryConformance, DeleteRemovesEveryVersionAndANewThreadStartsWithoutThem) {
  save_turns("t", 5);
  EXPECT_TRUE(cp_->delete_thread("t"));
  EXPECT_TRUE(cp_->list_versions("t").empty());
  for (std::int64_t v = 1; v <= 5; ++v) EXPECT_FALSE(cp_->load_version("t", v).has_value()) << v;
  AgentStateSnapshot fresh;
  fresh.scratchpad["fresh"] = true;
  EXPECT_EQ(cp_->save_state("t", fresh), 1);
  auto versions = cp_->list_versions("t");
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(versions[0].version, 1);
  EXPECT_EQ(cp_->load_version("t", 1)->state, fresh);
  EXPECT_FALSE(cp_->load_version("t", 2).has_value());
}

// Every kept version is whole: the state one save wrote, never a mix of two writers' saves.
TEST_P(HistoryConformance, ConcurrentWritersLeaveAHistoryOfWholeSaves) {
  AgentStateSnapshot zero;
  zero.scratchpad["n"] = 0;
  cp_->save_state("counter", zero);
  constexpr int kWriters = 3, kIncrements = 4;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([this, w] {
      auto cp = another_instance();
      for (int i = 0; i < kIncrements; ++i) {
        for (;;) {
          auto loaded = cp->load_state("counter");
          AgentStateSnapshot next = loaded->state;
          next.scratchpad["n"] = next.scratchpad.at("n").get<int>() + 1;
          next.scratchpad["writer"] = w;
          next.messages.push_back(
              Message::user("writer " + std::to_string(w) + " step " + std::to_string(i)));
          try {
            cp->save_state("counter", next, SavePrecondition::after_load(loaded));
            break;
          } catch (const ConflictError&) {
          }
        }
      }
    });
  }
  for (auto& t : writers) t.join();
  const std::int64_t last = 1 + kWriters * kIncrements;
  auto versions = cp_->list_versions("counter");
  ASSERT_EQ(versions.size(), kKeepLast + 1);
  for (const auto& v : versions) {
    auto loaded = cp_->load_version("counter", v.version);
    ASSERT_TRUE(loaded.has_value()) << v.version;
    // Version k holds the k-1st increment, with one message per increment.
    EXPECT_EQ(loaded->state.scratchpad.at("n").get<int>(), v.version - 1);
    EXPECT_EQ(loaded->state.messages.size(), static_cast<std::size_t>(v.version - 1));
    EXPECT_EQ(v.message_count, loaded->state.messages.size());
  }
  EXPECT_EQ(versions.front().version, last);
}

INSTANTIATE_TEST_SUITE_P(Backends, HistoryConformance, ::testing::ValuesIn(backends()),
                         [](const ::testing::TestParamInfo<Backend>& p) { return p.param.name; });

// Without history, a store lists and loads only its current version.
TEST(HistoryOff, OnlyTheCurrentVersionIsReadable) {
  InMemoryCheckpointer cp;
  AgentStateSnapshot s;
  for (int i = 1; i <= 3; ++i) {
    s.messages.push_back(Message::user("m" + std::to_string(i)));
    cp.save_state("t", s);
  }
  auto versions = cp.list_versions("t");
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(versions[0].version, 3);
  EXPECT_EQ(versions[0].message_count, 3u);
  EXPECT_TRUE(cp.load_version("t", 3).has_value());
  EXPECT_FALSE(cp.load_version("t", 2).has_value());
  EXPECT_THROW(cp.fork("t", 2, "u"), NotFoundError);
  EXPECT_EQ(cp.fork("t", 3, "u").version, 1);
}

}  // namespace
}  // namespace agents
