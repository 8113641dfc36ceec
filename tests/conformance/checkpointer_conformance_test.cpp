// One suite, every Checkpointer: in-memory, file directory, DynamoDB on DynamoDB Local and on
// dynalite. The same behaviour is required of each.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <thread>

#include "agents/checkpoint/checkpointer.hpp"
#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "support/dynamodb_fixture.hpp"
#include "support/sample_states.hpp"

namespace agents {
namespace {

struct Backend {
  std::string name;
  // Makes a checkpointer over a fresh, empty store; a second call with the same `store` value
  // returns another instance over the same store (a second process would do the same).
  std::function<std::shared_ptr<Checkpointer>(const std::string& store)> make;
  std::function<std::string()> new_store;
};

std::string temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / agents::testing::unique_table_name("agents-file-store");
  std::filesystem::create_directories(dir);
  return dir.string();
}

std::shared_ptr<Checkpointer> dynamodb_backend(const agents::testing::LocalServer& server,
                                               const std::string& table, bool incremental = false,
                                               std::size_t segment_cache_bytes = 0) {
  std::string endpoint = agents::testing::endpoint_or_skip(server);
  auto cp = std::make_shared<DynamoDbCheckpointer>(table);
  cp->with_endpoint(endpoint).with_region("us-east-1").with_credentials(agents::testing::local_credentials());
  cp->with_incremental(incremental).with_segment_cache_bytes(segment_cache_bytes);
  return cp;
}

std::string new_dynamodb_table(const agents::testing::LocalServer& server) {
  std::string endpoint = agents::testing::endpoint_or_skip(server);
  if (endpoint.empty()) return "";
  std::string table = agents::testing::unique_table_name("conformance");
  auto client = agents::testing::make_local_client(endpoint);
  agents::testing::create_table_and_wait(*client, {.table = table, .partition_key = {"thread_id", "S"}});
  return table;
}

std::vector<Backend> backends() {
  using agents::testing::kDynalite;
  using agents::testing::kDynamoDbLocal;
  static std::shared_ptr<InMemoryCheckpointer> memory;
  return {
      {"InMemory", [](const std::string&) { return memory; },
       [] {
         memory = std::make_shared<InMemoryCheckpointer>();
         return std::string("memory");
       }},
      {"File", [](const std::string& dir) { return std::make_shared<FileCheckpointer>(dir); }, temp_dir},
      {"DynamoDbLocal", [](const std::string& t) { return dynamodb_backend(kDynamoDbLocal, t); },
       [] { return new_dynamodb_table(kDynamoDbLocal); }},
      {"Dynalite", [](const std::string& t) { return dynamodb_backend(kDynalite, t); },
       [] { return new_dynamodb_table(kDynalite); }},
      // Incremental saves (history in segment items) must behave exactly the same.
      {"DynamoDbLocalIncremental",
       [](const std::string& t) { return dynamodb_backend(kDynamoDbLocal, t, true); },
       [] { return new_dynamodb_table(kDynamoDbLocal); }},
      {"DynaliteIncremental", [](const std::string& t) { return dynamodb_backend(kDynalite, t, true); },
       [] { return new_dynamodb_table(kDynalite); }},
      // ... and with each instance keeping the segments it saw (another_instance() starts cold).
      {"DynamoDbLocalIncrementalCached",
       [](const std::string& t) { return dynamodb_backend(kDynamoDbLocal, t, true, 16 << 20); },
       [] { return new_dynamodb_table(kDynamoDbLocal); }},
  };
}

class CheckpointerConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    const auto& name = GetParam().name;
    if (name.starts_with("DynamoDbLocal") || name.starts_with("Dynalite")) {
      const auto& server =
          name.starts_with("Dynalite") ? agents::testing::kDynalite : agents::testing::kDynamoDbLocal;
      AGENTS_REQUIRE_LOCAL_SERVER(server, endpoint);
    }
    store_ = GetParam().new_store();
    cp_ = GetParam().make(store_);
  }
  std::shared_ptr<Checkpointer> another_instance() { return GetParam().make(store_); }

  std::string store_;
  std::shared_ptr<Checkpointer> cp_;
};

TEST_P(CheckpointerConformance, UnknownThreadLoadsAsNothing) {
  EXPECT_FALSE(cp_->load_state("never-saved").has_value());
  EXPECT_FALSE(cp_->delete_thread("never-saved"));
}

TEST_P(CheckpointerConformance, SaveThenLoadReturnsTheSameStateAndVersion) {
  auto state = agents::testing::rich_state();
  EXPECT_EQ(cp_->save_state("user-123", state), 1);
  auto loaded = another_instance()->load_state("user-123");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->state, state);
  EXPECT_EQ(loaded->version, 1);
  EXPECT_EQ(loaded->updated_at.size(), 24u) << loaded->updated_at;  // 2024-01-01T12:00:00.123Z
  EXPECT_EQ(loaded->updated_at.back(), 'Z');
}

TEST_P(CheckpointerConformance, EverySaveIncrementsTheVersion) {
  AgentStateSnapshot s;
  for (int i = 1; i <= 3; ++i) {
    s.scratchpad["i"] = i;
    EXPECT_EQ(cp_->save_state("t", s), i);
  }
  EXPECT_EQ(cp_->load_state("t")->version, 3);
  EXPECT_EQ(cp_->load_state("t")->state.scratchpad.at("i"), 3);
}

TEST_P(CheckpointerConformance, ASaveAfterALoadNeverOverwritesAnotherWritersSave) {
  AgentStateSnapshot base;
  base.scratchpad["owner"] = "nobody";
  cp_->save_state("shared", base);
  auto a = cp_->load_state("shared");
  auto other = another_instance();
  auto b = other->load_state("shared");
  ASSERT_TRUE(a && b);

  a->state.scratchpad["owner"] = "a";
  EXPECT_EQ(cp_->save_state("shared", a->state, SavePrecondition::after_load(a)), 2);
  b->state.scratchpad["owner"] = "b";
  try {
    other->save_state("shared", b->state, SavePrecondition::after_load(b));
    FAIL() << "expected a conflict";
  } catch (const ConflictError& e) {
    EXPECT_EQ(e.thread_id(), "shared");
    EXPECT_EQ(e.expected_version(), 1);
    EXPECT_EQ(e.actual_version(), 2);
    EXPECT_NE(std::string(e.what()).find("shared"), std::string::npos);
    EXPECT_EQ(e.code(), ErrorCode::kConflict);
  }
  auto stored = cp_->load_state("shared");
  EXPECT_EQ(stored->state.scratchpad.at("owner"), "a");
  EXPECT_EQ(stored->version, 2);
}

TEST_P(CheckpointerConformance, CreatingANewThreadTwiceConflicts) {
  std::optional<LoadedState> nothing;
  EXPECT_EQ(cp_->save_state("new", {}, SavePrecondition::after_load(nothing)), 1);
  EXPECT_THROW(another_instance()->save_state("new", {}, SavePrecondition::after_load(nothing)),
               ConflictError);
}

TEST_P(CheckpointerConformance, ABlindSaveOverwritesAndKeepsCounting) {
  AgentStateSnapshot one, two;
  one.files["a"] = "1";
  two.files["a"] = "2";
  cp_->save_state("blind", one);
  EXPECT_EQ(another_instance()->save_state("blind", two), 2);
  EXPECT_EQ(cp_->load_state("blind")->state.files.at("a"), "2");
}

TEST_P(CheckpointerConformance, DeleteRemovesTheThread) {
  cp_->save_state("gone", agents::testing::rich_state());
  EXPECT_TRUE(cp_->delete_thread("gone"));
  EXPECT_FALSE(cp_->load_state("gone").has_value());
  EXPECT_FALSE(cp_->delete_thread("gone"));
  EXPECT_TRUE(cp_->list_threads().threads.empty());
}

TEST_P(CheckpointerConformance, ListsThreadsSortedAndPaged) {
  for (const char* id : {"c", "a", "e", "b", "d"}) cp_->save_state(id, {});
  std::vector<std::string> seen;
  ListThreadsOptions options{.page_size = 2};
  int pages = 0;
  while (true) {
    auto page = cp_->list_threads(options);
    ++pages;
    for (const auto& t : page.threads) {
      seen.push_back(t.thread_id);
      EXPECT_EQ(t.version, 1);
      EXPECT_FALSE(t.updated_at.empty());
    }
    if (page.next_page_token.empty()) break;
    options.page_token = page.next_page_token;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(pages, 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  cp_->save_state("a", {});  // now the most recently updated
  auto by_time = cp_->list_threads({.sort_by = ListThreadsOptions::SortBy::kUpdatedAt});
  ASSERT_EQ(by_time.threads.size(), 5u);
  EXPECT_EQ(by_time.threads.back().thread_id, "a");
}

TEST_P(CheckpointerConformance, RejectsInvalidThreadIdsBeforeAnyWrite) {
  EXPECT_THROW(cp_->save_state("", {}), InvalidArgumentError);
  EXPECT_THROW(cp_->save_state(std::string(1025, 'x'), {}), InvalidArgumentError);
  EXPECT_THROW(cp_->save_state(std::string("bad\xff\xfe utf8"), {}), InvalidArgumentError);
  EXPECT_THROW(cp_->load_state(""), InvalidArgumentError);
  EXPECT_THROW(cp_->delete_thread(std::string(2000, 'y')), InvalidArgumentError);
  EXPECT_TRUE(cp_->list_threads().threads.empty());
  EXPECT_EQ(cp_->save_state(std::string(1024, 'x'), {}), 1);  // the limit itself is fine
}

TEST_P(CheckpointerConformance, ThreadIdsOfAnyTextAreKeptApart) {
  std::vector<std::string> ids = {"../../etc/passwd", "a/b", "A/B",     "日本語 🙂",
                                  "with space",       "%2F", ".hidden", "a:b"};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    AgentStateSnapshot s;
    s.scratchpad["i"] = i;
    cp_->save_state(ids[i], s);
  }
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto loaded = another_instance()->load_state(ids[i]);
    ASSERT_TRUE(loaded) << ids[i];
    EXPECT_EQ(loaded->state.scratchpad.at("i"), i) << ids[i];
  }
  EXPECT_EQ(cp_->list_threads().threads.size(), ids.size());
}

TEST_P(CheckpointerConformance, ConcurrentWritersWithRetryLoseNoIncrement) {
  cp_->save_state("counter", {});
  constexpr int kThreads = 4, kIncrements = 10;
  std::vector<std::thread> workers;
  std::atomic<int> conflicts{0};
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&] {
      auto mine = another_instance();
      for (int i = 0; i < kIncrements; ++i) {
        while (true) {
          auto loaded = mine->load_state("counter");
          int value = loaded->state.scratchpad.count("n") ? loaded->state.scratchpad.at("n").get<int>() : 0;
          loaded->state.scratchpad["n"] = value + 1;
          // Each increment is also a turn: the history grows under contention.
          loaded->state.messages.push_back(Message::user("increment " + std::to_string(value + 1)));
          try {
            mine->save_state("counter", loaded->state, SavePrecondition::after_load(loaded));
            break;
          } catch (const ConflictError&) {
            ++conflicts;
          }
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  auto final_state = cp_->load_state("counter");
  EXPECT_EQ(final_state->state.scratchpad.at("n"), kThreads * kIncrements);
  EXPECT_EQ(final_state->version, 1 + kThreads * kIncrements);
  ASSERT_EQ(final_state->state.messages.size(), static_cast<std::size_t>(kThreads * kIncrements));
  for (int i = 0; i < kThreads * kIncrements; ++i) {
    EXPECT_EQ(final_state->state.messages[i].content, "increment " + std::to_string(i + 1));
  }
}

// An agent's life: load, append a turn, save; now and then the history is edited or truncated
// (a summariser), and a second instance takes over. Every load is exactly the last save.
TEST_P(CheckpointerConformance, AGrowingConversationLoadsExactlyAfterEveryTurn) {
  AgentStateSnapshot expected;
  for (std::size_t turn = 0; turn < 24; ++turn) {
    auto cp = turn % 5 == 0 ? another_instance() : cp_;
    auto loaded = cp->load_state("chat");
    ASSERT_EQ(loaded ? loaded->state : AgentStateSnapshot{}, expected) << "turn " << turn;
    AgentStateSnapshot next = expected;
    auto more = agents::testing::conversation(1, 300, static_cast<unsigned>(turn));
    next.messages.insert(next.messages.end(), more.messages.begin(), more.messages.end());
    next.todos.push_back({"turn " + std::to_string(turn), TodoStatus::kCompleted});
    if (turn == 9) next.messages[2].content = "an edited message";
    if (turn == 17) next.messages.erase(next.messages.begin(), next.messages.begin() + 20);
    cp->save_state("chat", next, SavePrecondition::after_load(loaded));
    expected = std::move(next);
  }
  auto loaded = another_instance()->load_state("chat");
  EXPECT_EQ(loaded->state, expected);
  EXPECT_EQ(loaded->version, 24);
}

INSTANTIATE_TEST_SUITE_P(Backends, CheckpointerConformance, ::testing::ValuesIn(backends()),
                         [](const ::testing::TestParamInfo<Backend>& p) { return p.param.name; });

}  // namespace
}  // namespace agents
