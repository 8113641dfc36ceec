// One suite, every Checkpointer: in-memory, file directory, DynamoDB on DynamoDB Local and on
// dynalite. The same behaviour is required of each.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <thread>

#include "agents/checkpoint/checkpointer.hpp"
#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "support/dynamodb_fixture.hpp"
#include "support/sample_states.hpp"
#include "support/store_backends.hpp"

namespace agents {
namespace {

using Backend = agents::testing::StoreBackend;

// Every backend reads its time through this, so a test can fix the clock of all of them; empty:
// the system clock.
WallClock conformance_clock;
WallClock forwarding_clock() {
  return [] { return now_from(conformance_clock); };
}

std::string temp_dir() { return agents::testing::new_temp_dir("agents-file-store"); }

std::shared_ptr<Checkpointer> dynamodb_backend(const agents::testing::LocalServer& server,
                                               const std::string& table, bool incremental = false,
                                               std::size_t segment_cache_bytes = 0) {
  std::string endpoint = agents::testing::endpoint_or_skip(server);
  auto cp = std::make_shared<DynamoDbCheckpointer>(table);
  cp->with_endpoint(endpoint).with_region("us-east-1").with_credentials(agents::testing::local_credentials());
  cp->with_incremental(incremental)
      .with_segment_cache_bytes(segment_cache_bytes)
      .with_clock(forwarding_clock());
  return cp;
}

std::string new_dynamodb_table(const agents::testing::LocalServer& server) {
  return agents::testing::new_local_table(server, "conformance");
}

std::vector<Backend> backends() {
  using agents::testing::kDynalite;
  using agents::testing::kDynamoDbLocal;
  static std::shared_ptr<InMemoryCheckpointer> memory;
  return {
      {"InMemory", [](const std::string&) { return memory; },
       [] {
         memory = std::make_shared<InMemoryCheckpointer>(
             LocalCheckpointerOptions().with_clock(forwarding_clock()));
         return std::string("memory");
       }},
      {"File",
       [](const std::string& dir) {
         return std::make_shared<FileCheckpointer>(dir,
                                                   LocalCheckpointerOptions().with_clock(forwarding_clock()));
       },
       temp_dir},
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

class CheckpointerConformance : public agents::testing::StoreSuite {
 protected:
  void TearDown() override { conformance_clock = nullptr; }
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

TEST_P(CheckpointerConformance, UpdatedAtIsTheTimeOfTheCheckpointersClock) {
  conformance_clock = [] {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(1'893'456'000'123));
  };
  cp_->save_state("clocked", agents::testing::rich_state());
  auto loaded = another_instance()->load_state("clocked");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->updated_at, "2030-01-01T00:00:00.123Z");
  auto listed = cp_->list_threads();
  ASSERT_EQ(listed.threads.size(), 1u);
  EXPECT_EQ(listed.threads[0].updated_at, "2030-01-01T00:00:00.123Z");
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

// Walks every page of a listing, calling `between` after each page but the last.
std::vector<ThreadInfo> list_all(Checkpointer& cp, ListThreadsOptions options,
                                 const std::function<void(int page)>& between = {}) {
  std::vector<ThreadInfo> seen;
  for (int page = 0;; ++page) {
    auto got = cp.list_threads(options);
    seen.insert(seen.end(), got.threads.begin(), got.threads.end());
    if (got.next_page_token.empty()) return seen;
    if (between) between(page);
    options.page_token = got.next_page_token;
  }
}

std::size_t times_listed(const std::vector<ThreadInfo>& seen, const std::string& id) {
  return static_cast<std::size_t>(
      std::count_if(seen.begin(), seen.end(), [&](const ThreadInfo& t) { return t.thread_id == id; }));
}

// Issue 15 defect 5: with an offset token, a delete before the cursor skipped a thread and a
// create before it repeated one.
TEST_P(CheckpointerConformance, ListingByIdListsEveryThreadThatExistsThroughoutExactlyOnce) {
  std::vector<std::string> kept;
  for (int i = 0; i < 9; ++i) kept.push_back("m" + std::to_string(i));
  for (const auto& id : kept) cp_->save_state(id, {});
  for (const char* id : {"a-doomed-0", "a-doomed-1", "a-doomed-2", "z-doomed-0", "z-doomed-1", "z-doomed-2"})
    cp_->save_state(id, {});
  auto other = another_instance();
  auto seen = list_all(*cp_, {.page_size = 3}, [&](int page) {
    // Deletes and creates on both sides of the cursor, and saves that change what is listed.
    other->delete_thread("a-doomed-" + std::to_string(page));
    other->delete_thread("z-doomed-" + std::to_string(page));
    other->save_state("a-new-" + std::to_string(page), {});
    other->save_state("z-new-" + std::to_string(page), {});
    other->save_state(kept[static_cast<std::size_t>(page) % kept.size()], {});
  });
  for (const auto& id : kept) EXPECT_EQ(times_listed(seen, id), 1u) << id;
  for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_LT(seen[i - 1].thread_id, seen[i].thread_id);
}

TEST_P(CheckpointerConformance, ListingByUpdatedAtListsEveryThreadNotSavedDuringItExactlyOnce) {
  std::vector<std::string> kept;
  for (int i = 0; i < 9; ++i) {
    kept.push_back("m" + std::to_string(i));
    cp_->save_state(kept.back(), {});
    if (i % 3 == 0) cp_->save_state("doomed-" + std::to_string(i / 3), {});
  }
  cp_->save_state("moving", {});
  auto other = another_instance();
  const ListThreadsOptions options{.sort_by = ListThreadsOptions::SortBy::kUpdatedAt, .page_size = 2};
  auto seen = list_all(*cp_, options, [&](int page) {
    other->delete_thread("doomed-" + std::to_string(page));
    other->save_state("new-" + std::to_string(page), {});
    other->save_state("moving", {});  // moves to the end: listed again, or first listed now
  });
  for (const auto& id : kept) EXPECT_EQ(times_listed(seen, id), 1u) << id;
  // One clock here: a save never moves a thread before the cursor.
  EXPECT_GE(times_listed(seen, "moving"), 1u);
}

TEST_P(CheckpointerConformance, PageTokensKeepAnyThreadIdIntact) {
  std::vector<std::string> ids = {"a.b", "a", "u1.00", "i1.", "日本語 🙂", "%2F", std::string(1024, 'z'),
                                  "a b"};
  for (const auto& id : ids) cp_->save_state(id, {});
  std::sort(ids.begin(), ids.end());
  for (auto sort_by : {ListThreadsOptions::SortBy::kThreadId, ListThreadsOptions::SortBy::kUpdatedAt}) {
    auto seen = list_all(*cp_, {.sort_by = sort_by, .page_size = 1});
    std::vector<std::string> got;
    for (const auto& t : seen) got.push_back(t.thread_id);
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, ids);
  }
}

TEST_P(CheckpointerConformance, RejectsPageTokensNoListingReturns) {
  for (const char* id : {"a", "b", "c"}) cp_->save_state(id, {});
  const auto by_time = ListThreadsOptions::SortBy::kUpdatedAt;
  const std::string by_id_token = cp_->list_threads({.page_size = 1}).next_page_token;
  const std::string by_time_token = cp_->list_threads({.sort_by = by_time, .page_size = 1}).next_page_token;
  ASSERT_FALSE(by_id_token.empty());
  ASSERT_FALSE(by_time_token.empty());
  auto expect_rejected = [&](ListThreadsOptions options, const std::string& why) {
    const std::string token = options.page_token;
    try {
      cp_->list_threads(options);
      ADD_FAILURE() << "token '" << token << "' was accepted";
    } catch (const InvalidArgumentError& e) {
      EXPECT_NE(std::string(e.what()).find("page token"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
  };
  for (const char* bad : {"-1", "abc", "2", "i1.", "i1.zz", "i1.616", "u1.61", "u1.xx.61", "i1.ff"}) {
    expect_rejected({.page_size = 1, .page_token = bad}, "");
    expect_rejected({.sort_by = by_time, .page_size = 1, .page_token = bad}, "");
  }
  expect_rejected({.page_size = 1, .page_token = by_time_token}, "sorted by updated_at");
  expect_rejected({.sort_by = by_time, .page_size = 1, .page_token = by_id_token}, "sorted by thread id");
  // page_size 0 still means everything: everything after the token, and no further token.
  auto rest = cp_->list_threads({.page_token = by_id_token});
  ASSERT_EQ(rest.threads.size(), 2u);
  EXPECT_EQ(rest.threads[0].thread_id, "b");
  EXPECT_EQ(rest.threads[1].thread_id, "c");
  EXPECT_TRUE(rest.next_page_token.empty());
  // A token still works after the thread it names is deleted.
  cp_->delete_thread("a");
  EXPECT_EQ(cp_->list_threads({.page_token = by_id_token}).threads.size(), 2u);
}

// Issue 15 defect 7: an id equal to another thread's chunk or segment key addressed that item.
TEST_P(CheckpointerConformance, ThreadIdsContainingReservedKeyTextAreRejected) {
  for (std::string id : {"t#chunk#0123456789abcdef#0", "t#seg#0123456789abcdef-0", "#chunk#", "a#seg#"}) {
    const std::string reserved = id.find("#chunk#") != std::string::npos ? "#chunk#" : "#seg#";
    try {
      cp_->save_state(id, {});
      ADD_FAILURE() << id << " was saved";
    } catch (const InvalidArgumentError& e) {
      EXPECT_NE(std::string(e.what()).find(reserved), std::string::npos) << e.what();
    }
    EXPECT_THROW(cp_->save_state(id, {}, SavePrecondition::must_not_exist()), InvalidArgumentError);
    EXPECT_THROW(cp_->load_state(id), InvalidArgumentError);
    EXPECT_THROW(cp_->delete_thread(id), InvalidArgumentError);
  }
  EXPECT_TRUE(cp_->list_threads().threads.empty());
  for (const char* fine : {"t#chunk", "t#chunks#1", "#seg", "seg#", "t#segment#1"}) {
    EXPECT_EQ(cp_->save_state(fine, {}), 1) << fine;
  }
}

// The same on the items a real chunked or incremental save writes: no public call reaches them.
TEST_P(CheckpointerConformance, NoThreadIdAddressesAnotherThreadsChunksOrSegments) {
  auto* dynamo = dynamic_cast<DynamoDbCheckpointer*>(cp_.get());
  const bool incremental = GetParam().name.find("Incremental") != std::string::npos;
  AgentStateSnapshot state;
  if (incremental) {
    state = agents::testing::conversation(20, 30000);  // history segments
  } else {
    state.files["big"] = agents::testing::incompressible_text(600 * 1024);  // chunks
  }
  cp_->save_state("T", state);
  auto internal_keys = [&] {
    std::set<std::string> keys;
    if (!dynamo) return keys;
    auto items = dynamo->client()->scan_all({.table = store_,
                                             .filter = "chunk_of = :t",
                                             .projection = "thread_id",
                                             .attributes = {{}, {{":t", dynamodb::AttributeValue::S("T")}}}});
    EXPECT_TRUE(items.ok()) << items.status().message();
    if (items.ok()) {
      for (const auto& item : *items) keys.insert(item.at("thread_id").scalar());
    }
    return keys;
  };
  std::set<std::string> keys = internal_keys();
  if (dynamo) {
    ASSERT_FALSE(keys.empty());
    for (const auto& key : keys)
      EXPECT_NE(key.find(incremental ? "T#seg#" : "T#chunk#"), std::string::npos) << key;
  } else {
    keys = {"T#chunk#0123456789abcdef#0", "T#seg#0123456789abcdef-0"};  // what they would be
  }
  for (const auto& key : keys) {
    EXPECT_THROW(cp_->save_state(key, {}), InvalidArgumentError) << key;
    EXPECT_THROW(another_instance()->save_state(key, {}), InvalidArgumentError) << key;
    EXPECT_THROW(cp_->delete_thread(key), InvalidArgumentError) << key;
    EXPECT_THROW(cp_->load_state(key), InvalidArgumentError) << key;
    if (dynamo) {
      EXPECT_THROW(dynamo->remove_orphaned_chunks_and_segments(key), InvalidArgumentError) << key;
    }
  }
  if (dynamo) {
    EXPECT_EQ(internal_keys(), keys);
  }
  auto loaded = another_instance()->load_state("T");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->state, state);
  EXPECT_EQ(loaded->version, 1);
}

// Issue 15 defect 1: a version number restarts when a thread is deleted and saved again, so a
// save after a load must replace that very save, not whatever now has the same version.
TEST_P(CheckpointerConformance, ASaveAfterALoadNeverReplacesAThreadDeletedAndSavedAgain) {
  AgentStateSnapshot first, second, stale;
  first.scratchpad["conversation"] = "first";
  second.scratchpad["conversation"] = "second";
  stale.scratchpad["conversation"] = "stale";
  cp_->save_state("reset", first);
  auto w = cp_->load_state("reset");
  ASSERT_TRUE(w);
  ASSERT_EQ(w->version, 1);
  auto other = another_instance();
  EXPECT_TRUE(other->delete_thread("reset"));  // "reset conversation"
  EXPECT_EQ(other->save_state("reset", second, SavePrecondition::must_not_exist()), 1);
  try {
    cp_->save_state("reset", stale, SavePrecondition::after_load(w));
    FAIL() << "a save after a load replaced a thread deleted and saved again";
  } catch (const ConflictError& e) {
    EXPECT_EQ(e.thread_id(), "reset");
    EXPECT_EQ(e.expected_version(), 1);
  }
  auto stored = another_instance()->load_state("reset");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->state, second);
  EXPECT_EQ(stored->version, 1);

  // The same through after_save: W's own save, then a delete and a new thread at version 1.
  cp_->delete_thread("reset");
  SavedState mine = cp_->save("reset", first, SavePrecondition::must_not_exist());
  other->delete_thread("reset");
  other->save_state("reset", second);
  EXPECT_THROW(cp_->save_state("reset", stale, SavePrecondition::after_save(mine)), ConflictError);
  EXPECT_EQ(cp_->load_state("reset")->state, second);

  // A precondition that names only a version (no load behind it) checks only the version.
  EXPECT_EQ(cp_->save_state("reset", stale, SavePrecondition::version_is(1)), 2);
  EXPECT_EQ(cp_->load_state("reset")->state, stale);
}

// The hint names a save and the version stored with it; a precondition that pairs it with
// another version must hold for both (the save-id condition alone would accept the hint's save
// at any version), and one whose version matches is the ordinary save after a load.
TEST_P(CheckpointerConformance, APreconditionWhoseVersionDiffersFromItsHintConflicts) {
  AgentStateSnapshot first, stale;
  first.scratchpad["v"] = "first";
  stale.scratchpad["v"] = "stale";
  cp_->save_state("paired", first);
  auto loaded = cp_->load_state("paired");
  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->version, 1);
  for (std::int64_t wrong : {0, 2, 5}) {
    SCOPED_TRACE(wrong);
    try {
      cp_->save_state("paired", stale, SavePrecondition::version_is(wrong, loaded->storage_hint));
      FAIL() << "version " << wrong << " with the hint of version 1 saved";
    } catch (const ConflictError& e) {
      EXPECT_EQ(e.expected_version(), wrong);
      EXPECT_EQ(e.actual_version(), 1);
    }
  }
  auto stored = another_instance()->load_state("paired");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->state, first);
  EXPECT_EQ(stored->version, 1);
  EXPECT_EQ(cp_->save_state("paired", stale, SavePrecondition::version_is(1, loaded->storage_hint)), 2);
  EXPECT_EQ(another_instance()->load_state("paired")->state, stale);
}

// Files written before save ids (no "save_id") still load and save; a save after loading one
// requires the stored file to still have no save id.
TEST(FileCheckpointerGenerations, FilesWithoutASaveIdLoadAndReplaceOnlyThemselves) {
  const std::string dir = temp_dir();
  auto write_legacy = [&](const std::string& scratch) {
    std::ofstream(std::filesystem::path(dir) / "legacy.thread.json")
        << R"({"thread_id":"legacy","version":1,"updated_at":"2024-01-01T00:00:00.000Z",)"
        << R"("state":{"todos":[],"files":{},"scratchpad":{"v":")" << scratch << R"("}}})";
  };
  FileCheckpointer cp(dir), other(dir);
  write_legacy("old");
  auto loaded = cp.load_state("legacy");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->version, 1);
  EXPECT_EQ(loaded->state.scratchpad.at("v"), "old");
  AgentStateSnapshot next;
  next.scratchpad["v"] = "next";
  EXPECT_EQ(cp.save_state("legacy", next, SavePrecondition::after_load(loaded)), 2);
  EXPECT_EQ(other.load_state("legacy")->state, next);

  write_legacy("old");
  loaded = cp.load_state("legacy");
  other.delete_thread("legacy");
  AgentStateSnapshot fresh;
  fresh.scratchpad["v"] = "fresh";
  EXPECT_EQ(other.save_state("legacy", fresh, SavePrecondition::must_not_exist()), 1);
  EXPECT_THROW(cp.save_state("legacy", next, SavePrecondition::after_load(loaded)), ConflictError);
  EXPECT_EQ(other.load_state("legacy")->state, fresh);

  std::ofstream(std::filesystem::path(dir) / "legacy.thread.json")
      << R"({"thread_id":"legacy","version":1,"save_id":7,"updated_at":"x","state":{}})";
  EXPECT_THROW(cp.load_state("legacy"), CorruptStateError);
  std::filesystem::remove_all(dir);
}

TEST_P(CheckpointerConformance, VersionsThatCannotBeFollowedAreRefusedBeforeAnyWrite) {
  cp_->save_state("v", agents::testing::rich_state());
  for (std::int64_t bad : {std::numeric_limits<std::int64_t>::max(), std::int64_t{-1}}) {
    try {
      cp_->save_state("v", {}, SavePrecondition::version_is(bad));
      ADD_FAILURE() << "version " << bad << " was accepted";
    } catch (const InvalidArgumentError& e) {
      EXPECT_NE(std::string(e.what()).find(std::to_string(bad)), std::string::npos) << e.what();
    }
  }
  auto stored = cp_->load_state("v");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->version, 1);
  EXPECT_EQ(stored->state, agents::testing::rich_state());
}

INSTANTIATE_TEST_SUITE_P(Backends, CheckpointerConformance, ::testing::ValuesIn(backends()),
                         [](const ::testing::TestParamInfo<Backend>& p) { return p.param.name; });

}  // namespace
}  // namespace agents
