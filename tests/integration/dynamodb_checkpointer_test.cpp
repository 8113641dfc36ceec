// DynamoDbCheckpointer on both real local servers: the stored bytes (Rust-crate compatible),
// TTL, states beyond 400 KB, corrupt items, and the calls each operation makes.
#include "agents/checkpoint/dynamodb_checkpointer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "support/dynamodb_fixture.hpp"
#include "support/sample_states.hpp"

namespace agents {
namespace {

using agents::testing::LocalServer;
using agents::testing::now_epoch;
using dynamodb::AttributeValue;
using dynamodb::Item;
using V = AttributeValue;

std::string read_testdata(const std::string& name) {
  std::ifstream in(std::filesystem::path(AGENTS_TESTDATA_DIR) / "rust-items" / name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string strip_trailing_newline(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

class DynamoDbCheckpointerTest : public agents::testing::LocalTableTest {
 protected:
  DynamoDbCheckpointerTest() : LocalTableTest("checkpoints") {}

  void SetUp() override {
    LocalTableTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    cp_ = make_checkpointer();
  }

  std::shared_ptr<DynamoDbCheckpointer> make_checkpointer() {
    auto cp = local_checkpointer();
    cp->with_observer([this](const dynamodb::CallEvent& e) {
      std::lock_guard lock(mu_);
      calls_.push_back(e.operation);
    });
    return cp;
  }

  Item raw_item(const std::string& thread_id) {
    auto got = client_->get_item(
        {.table = table_, .key = {{"thread_id", V::S(thread_id)}}, .consistent_read = true});
    EXPECT_TRUE(got.ok()) << got.status().message();
    return got->item.value_or(Item{});
  }

  void put_raw(Item item) {
    auto r = client_->put_item({.table = table_, .item = std::move(item)});
    ASSERT_TRUE(r.ok()) << r.status().message();
  }

  std::size_t item_count() {
    auto all = client_->scan_all({.table = table_});
    EXPECT_TRUE(all.ok());
    return all->size();
  }

  std::vector<std::string> take_calls() {
    std::lock_guard lock(mu_);
    return std::exchange(calls_, {});
  }

  std::shared_ptr<DynamoDbCheckpointer> cp_;
  std::mutex mu_;
  std::vector<std::string> calls_;
};

TEST_P(DynamoDbCheckpointerTest, QuickStartSaveLoadDeleteWithTtl) {
  cp_->with_ttl(std::chrono::days(30));
  auto state = agents::testing::rich_state();
  cp_->save_state("user-123", state);
  Item item = raw_item("user-123");
  EXPECT_EQ(item.at("thread_id").scalar(), "user-123");
  EXPECT_EQ(item.at("state").scalar(), encode_state_json(state));
  EXPECT_EQ(item.at("version").scalar(), "1");
  const std::string& updated_at = item.at("updated_at").scalar();
  EXPECT_EQ(updated_at.size(), 24u);
  EXPECT_EQ(updated_at.back(), 'Z');
  std::int64_t ttl = std::stoll(item.at("ttl").scalar());
  EXPECT_NEAR(static_cast<double>(ttl), static_cast<double>(now_epoch() + 30 * 24 * 3600), 60.0);

  auto loaded = cp_->load_state("user-123");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->state, state);
  EXPECT_TRUE(cp_->delete_thread("user-123"));
  EXPECT_EQ(item_count(), 0u);
}

// One configuration idiom (docs/adr/0007-configuration.md): options at construction do what the
// quick start's with_* do, and a with_* after the first use is an error instead of being ignored.
TEST_P(DynamoDbCheckpointerTest, OptionsAtConstructionAndLateChangesRefused) {
  DynamoDbCheckpointer cp(table_, DynamoDbCheckpointerOptions()
                                      .with_endpoint(endpoint_)
                                      .with_region("us-east-1")
                                      .with_credentials(agents::testing::local_credentials())
                                      .with_ttl(std::chrono::hours(2))
                                      .with_strict_concurrency(true));
  EXPECT_EQ(cp.options().ttl, std::chrono::seconds(7200));
  cp.with_compression(Compression::kAuto);  // before the first use: still a setting
  cp.save_state("configured", {});
  EXPECT_NEAR(static_cast<double>(std::stoll(raw_item("configured").at("ttl").scalar())),
              static_cast<double>(now_epoch() + 7200), 60.0);
  EXPECT_THROW(cp.save_state("configured", {}), ConflictError);  // strict: no blind overwrite

  try {
    cp.with_ttl(std::chrono::hours(1));
    FAIL() << "a with_* after the first use must throw";
  } catch (const InvalidArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("with_ttl: called after the checkpointer's first use"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(cp.with_region("eu-west-1"), InvalidArgumentError);
  EXPECT_EQ(cp.options().ttl, std::chrono::seconds(7200));  // unchanged
  EXPECT_EQ(cp.options().region, "us-east-1");
  EXPECT_TRUE(cp.load_state("configured").has_value());

  EXPECT_THROW(DynamoDbCheckpointer(table_, DynamoDbCheckpointerOptions().with_ttl(std::chrono::seconds(0))),
               InvalidArgumentError);
}

TEST_P(DynamoDbCheckpointerTest, NoTtlAttributeUnlessConfigured) {
  cp_->save_state("t", {});
  EXPECT_EQ(raw_item("t").count("ttl"), 0u);
}

TEST_P(DynamoDbCheckpointerTest, WritesTheRustCratesBytesForAStateWithoutMessages) {
  auto populated = decode_state_json(strip_trailing_newline(read_testdata("populated.state.json")));
  ASSERT_TRUE(populated.ok()) << populated.status().message();
  cp_->save_state("support-7f3a", *populated);
  EXPECT_EQ(raw_item("support-7f3a").at("state").scalar(),
            strip_trailing_newline(read_testdata("populated.state.json")));
  cp_->save_state("empty", {});
  EXPECT_EQ(raw_item("empty").at("state").scalar(),
            strip_trailing_newline(read_testdata("empty.state.json")));
}

TEST_P(DynamoDbCheckpointerTest, LoadsItemsWrittenByTheRustCrateAndSavesOverThem) {
  for (const char* file : {"populated-no-ttl.item.json", "empty-with-ttl.item.json"}) {
    std::string body = "{\"TableName\":\"" + table_ + "\",\"Item\":" + read_testdata(file) + "}";
    auto put = client_->call("PutItem", body, table_);
    ASSERT_TRUE(put.ok()) << put.status().message();
  }
  auto loaded = cp_->load_state("support-7f3a");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->version, 0);  // the crate writes no version
  EXPECT_EQ(loaded->updated_at, "2026-01-10T12:34:56+00:00");
  ASSERT_EQ(loaded->state.pending_interrupts.size(), 1u);
  EXPECT_EQ(loaded->state.pending_interrupts[0].tool_name, "send_email");
  EXPECT_EQ(loaded->state.pending_interrupts[0].policy_note, "Outbound email requires approval");
  EXPECT_EQ(loaded->state.todos.size(), 3u);
  EXPECT_EQ(loaded->state.scratchpad.at("user").at("name"), "Alice");

  loaded->state.todos[1].status = TodoStatus::kCompleted;
  EXPECT_EQ(cp_->save_state("support-7f3a", loaded->state, SavePrecondition::after_load(loaded)), 1);
  auto again = cp_->load_state("support-7f3a");
  EXPECT_EQ(again->state, loaded->state);
  EXPECT_EQ(again->version, 1);

  // empty-with-ttl's ttl (2026-01-17) is in the past today: expired items are absent.
  if (now_epoch() > 1768653296) {
    EXPECT_FALSE(cp_->load_state("user-123").has_value());
  }
}

TEST_P(DynamoDbCheckpointerTest, AnExpiredItemIsAbsentAndCanBeCreatedAgain) {
  AgentStateSnapshot old;
  old.files["old"] = "x";
  put_raw({{"thread_id", V::S("expired")},
           {"state", V::S(encode_state_json(old))},
           {"updated_at", V::S("2024-01-01T00:00:00.000Z")},
           {"ttl", V::N(now_epoch() - 10)},
           {"version", V::N(5)}});
  EXPECT_FALSE(cp_->load_state("expired").has_value());
  EXPECT_TRUE(cp_->list_threads().threads.empty());
  auto loaded = cp_->load_state("expired");
  EXPECT_EQ(cp_->save_state("expired", {}, SavePrecondition::after_load(loaded)), 1);
  EXPECT_TRUE(cp_->load_state("expired")->state.files.empty());
}

TEST_P(DynamoDbCheckpointerTest, APlainStateCostsOneGetItemPerLoadAndOnePutItemPerSave) {
  auto loaded = cp_->load_state("calls");
  EXPECT_EQ(take_calls(), std::vector<std::string>{"GetItem"});
  cp_->save_state("calls", agents::testing::rich_state(), SavePrecondition::after_load(loaded));
  EXPECT_EQ(take_calls(), std::vector<std::string>{"PutItem"});
  loaded = cp_->load_state("calls");
  take_calls();
  cp_->save_state("calls", loaded->state, SavePrecondition::after_load(loaded));
  EXPECT_EQ(take_calls(), std::vector<std::string>{"PutItem"});
}

// docs/costs.md: the observer (and `agents --verbose`) reports what each call consumed, as the
// server counted it: with an observer every request asks for ReturnConsumedCapacity=TOTAL.
TEST_P(DynamoDbCheckpointerTest, TheObserverSeesTheCapacityTheServerReturnsForEveryCall) {
  std::vector<std::pair<std::string, double>> events;
  auto cp = local_checkpointer();
  cp->with_observer([&](const dynamodb::CallEvent& e) {
    std::lock_guard lock(mu_);
    events.emplace_back(e.operation, e.consumed_capacity);
  });
  AgentStateSnapshot small;
  small.files["a.md"] = "# A";  // well under 1 KB: one write unit, one strongly consistent read unit
  cp->save_state("cap", small, SavePrecondition::must_not_exist());
  auto loaded = cp->load_state("cap");
  ASSERT_TRUE(loaded);
  cp->delete_thread("cap");
  std::vector<std::pair<std::string, double>> plain;
  {
    std::lock_guard lock(mu_);
    plain = std::exchange(events, {});
  }
  ASSERT_GE(plain.size(), 3u);
  EXPECT_EQ(plain.front(), std::make_pair(std::string("PutItem"), 1.0));
  EXPECT_EQ(plain[1], std::make_pair(std::string("GetItem"), 1.0));
  for (const auto& [operation, units] : plain) EXPECT_GE(units, 1.0) << operation;
  EXPECT_EQ(plain.back().first, "DeleteItem");

  AgentStateSnapshot big;  // chunked: PutItem per chunk, BatchGetItem to read them back
  big.files["blob"] = agents::testing::incompressible_text(900 * 1024, 7);
  cp->save_state("cap-big", big);
  ASSERT_EQ(cp->load_state("cap-big")->state, big);
  cp->list_threads();
  std::lock_guard lock(mu_);
  std::map<std::string, double> total;
  for (const auto& [operation, units] : events) {
    // A parallel scan's empty segment may cost nothing (dynalite says 0); every other call costs.
    if (operation != "Scan") {
      EXPECT_GT(units, 0.0) << operation;
    }
    total[operation] += units;
  }
  EXPECT_GE(total["PutItem"], 900.0 * 3 / 4);  // about one write unit per KB of chunks
  EXPECT_GT(total["BatchGetItem"] + total["GetItem"], 0.0);
  EXPECT_GT(total["Scan"], 0.0);
}

TEST_P(DynamoDbCheckpointerTest, StatesBeyond400KbAreCompressedIntoOneItem) {
  auto state = agents::testing::conversation(500, 900);  // ~ 450 KB of text
  ASSERT_GT(encode_state_json(state).size(), 410u * 1024);
  cp_->save_state("big", state);
  Item item = raw_item("big");
  EXPECT_EQ(item.count("state"), 0u);
  ASSERT_EQ(item.count("state_zstd"), 1u);
  EXPECT_LT(item.at("state_zstd").scalar().size(), 400u * 1024);
  EXPECT_EQ(item_count(), 1u);
  EXPECT_EQ(cp_->load_state("big")->state, state);
}

TEST_P(DynamoDbCheckpointerTest, IncompressibleStatesAreSplitIntoChunksAndRoundTrip) {
  for (std::size_t megabytes : {2u, 10u}) {
    SCOPED_TRACE(megabytes);
    AgentStateSnapshot state;
    state.files["blob.txt"] = agents::testing::incompressible_text(megabytes * 1024 * 1024, megabytes);
    std::string thread = "chunked-" + std::to_string(megabytes);
    cp_->save_state(thread, state);
    Item head = raw_item(thread);
    ASSERT_EQ(head.count("chunk_count"), 1u);
    std::size_t chunks = std::stoul(head.at("chunk_count").scalar());
    EXPECT_GE(chunks * 396 * 1024, megabytes * 1024 * 1024 * 8 / 10);
    auto loaded = make_checkpointer()->load_state(thread);
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded->state, state);
    auto listed = cp_->list_threads();
    for (const auto& t : listed.threads)
      EXPECT_EQ(t.thread_id.find("#chunk#"), std::string::npos) << t.thread_id;
  }
  EXPECT_EQ(cp_->list_threads().threads.size(), 2u);
}

TEST_P(DynamoDbCheckpointerTest, ReplacingAChunkedStateRemovesItsChunksAndDeleteRemovesAll) {
  AgentStateSnapshot big;
  big.files["blob"] = agents::testing::incompressible_text(1200 * 1024);
  cp_->save_state("t", big);
  std::size_t with_chunks = item_count();
  EXPECT_GE(with_chunks, 4u);  // head + 3 chunks
  auto loaded = cp_->load_state("t");
  loaded->state.files["blob"] = "small now";
  cp_->save_state("t", loaded->state, SavePrecondition::after_load(loaded));
  EXPECT_EQ(item_count(), 1u);  // the old chunks are gone
  EXPECT_EQ(cp_->load_state("t")->state.files.at("blob"), "small now");

  cp_->save_state("t", big);  // blind save over a plain item, then delete
  EXPECT_EQ(item_count(), with_chunks);
  EXPECT_TRUE(cp_->delete_thread("t"));
  EXPECT_EQ(item_count(), 0u);
}

TEST_P(DynamoDbCheckpointerTest, ConsecutiveSavesOfOneWriterRemoveTheChunksTheyReplace) {
  AgentStateSnapshot big;
  big.files["blob"] = agents::testing::incompressible_text(900 * 1024, 3);
  SavedState first = cp_->save("writer", big, SavePrecondition::must_not_exist());
  std::size_t items_after_first = item_count();
  big.files["blob"] = agents::testing::incompressible_text(900 * 1024, 4);
  SavedState second = cp_->save("writer", big, SavePrecondition::after_save(first));
  EXPECT_EQ(second.version, 2);
  EXPECT_EQ(item_count(), items_after_first);  // the first save's chunks are gone
  SavedState third = cp_->save("writer", {}, SavePrecondition::after_save(second));
  EXPECT_EQ(third.version, 3);
  EXPECT_EQ(item_count(), 1u);  // a plain head names no chunks
}

TEST_P(DynamoDbCheckpointerTest, ALosingChunkedSaveLeavesNothingBehind) {
  AgentStateSnapshot big;
  big.files["blob"] = agents::testing::incompressible_text(900 * 1024);
  cp_->save_state("race", {});
  auto a = cp_->load_state("race");
  auto b = cp_->load_state("race");
  cp_->save_state("race", a->state, SavePrecondition::after_load(a));
  EXPECT_THROW(cp_->save_state("race", big, SavePrecondition::after_load(b)), ConflictError);
  EXPECT_EQ(item_count(), 1u);
  EXPECT_TRUE(cp_->load_state("race")->state.files.empty());
}

TEST_P(DynamoDbCheckpointerTest, OrphanedChunksOfACrashedSaveAreRemoved) {
  cp_->save_state("crashy", {});
  // What a save killed after writing its chunks but before its head leaves behind.
  for (int i = 0; i < 2; ++i) {
    put_raw({{"thread_id", V::S("crashy#chunk#deadbeefdeadbeef#" + std::to_string(i))},
             {"chunk_of", V::S("crashy")},
             {"save_id", V::S("deadbeefdeadbeef")},
             {"chunk_index", V::N(i)},
             {"data", V::B("partial")}});
  }
  EXPECT_EQ(cp_->list_threads().threads.size(), 1u);
  EXPECT_EQ(cp_->remove_orphaned_chunks_and_segments("crashy"), 2u);
  EXPECT_EQ(item_count(), 1u);
  EXPECT_TRUE(cp_->load_state("crashy").has_value());
}

TEST_P(DynamoDbCheckpointerTest, StatesBeyondTheMaximumFailBeforeAnyWrite) {
  cp_->with_max_state_bytes(1024 * 1024);
  AgentStateSnapshot state;
  state.files["huge"] = std::string(2 * 1024 * 1024, 'x');
  try {
    cp_->save_state("huge", state);
    FAIL();
  } catch (const StateTooLargeError& e) {
    EXPECT_EQ(e.limit(), 1024u * 1024);
    EXPECT_GT(e.size(), 2u * 1024 * 1024);
    EXPECT_NE(std::string(e.what()).find("huge"), std::string::npos);
  }
  EXPECT_EQ(item_count(), 0u);
  EXPECT_TRUE(take_calls().empty());  // not a single request
}

TEST_P(DynamoDbCheckpointerTest, InvalidUtf8InAStateIsRejectedBeforeAnyWrite) {
  AgentStateSnapshot state;
  state.files["bin"] = std::string("\xff\xfe\x00", 3);
  EXPECT_THROW(cp_->save_state("bad", state), InvalidArgumentError);
  EXPECT_EQ(item_count(), 0u);
}

TEST_P(DynamoDbCheckpointerTest, ForcedCompressionCutsWriteUnitsForALongConversation) {
  auto state = agents::testing::conversation(100, 1000);
  double plain_units = 0, compressed_units = 0;
  auto measure = [&](Compression c, const std::string& thread) {
    double units = 0;
    auto cp = std::make_shared<DynamoDbCheckpointer>(table_);
    cp->with_endpoint(endpoint_)
        .with_region("us-east-1")
        .with_credentials(agents::testing::local_credentials());
    cp->with_compression(c);
    cp->save_state(thread, state);
    auto r = client_->put_item(
        {.table = table_, .item = raw_item(thread), .conditions = {.return_consumed_capacity = true}});
    units = r->consumed_capacity;  // what writing this item costs
    EXPECT_EQ(cp->load_state(thread)->state, state);
    return units;
  };
  plain_units = measure(Compression::kAuto, "plain");
  compressed_units = measure(Compression::kAlways, "compressed");
  EXPECT_EQ(raw_item("compressed").count("state_zstd"), 1u);
  EXPECT_GE(plain_units / compressed_units, 3.0) << plain_units << " vs " << compressed_units;
}

struct CorruptCase {
  const char* name;
  std::function<Item()> item;
  const char* attribute;
};

TEST_P(DynamoDbCheckpointerTest, CorruptItemsGiveCorruptStateErrorNamingTheAttribute) {
  const std::string good = encode_state_json(agents::testing::rich_state());
  auto base = [&](Item extra) {
    Item item{
        {"thread_id", V::S("corrupt")}, {"updated_at", V::S("2024-01-01T00:00:00Z")}, {"version", V::N(3)}};
    for (auto& [k, v] : extra) item.insert_or_assign(k, v);
    return item;
  };
  std::string nested(300, '[');
  std::string valid_zstd;
  {
    auto cp = make_checkpointer();
    cp->with_compression(Compression::kAlways);
    cp->save_state("zstd-source", agents::testing::rich_state());
    valid_zstd = raw_item("zstd-source").at("state_zstd").scalar();
  }
  std::vector<CorruptCase> cases = {
      {"state missing", [&] { return base({}); }, "state"},
      {"state is a number",
       [&] {
         return base({{"state", V::N(1)}});
       },
       "state"},
      {"state is a map",
       [&] {
         return base({{"state", V::M({})}});
       },
       "state"},
      {"state not JSON",
       [&] {
         return base({{"state", V::S("not json")}});
       },
       "state"},
      {"state truncated",
       [&] {
         return base({{"state", V::S(good.substr(0, good.size() / 2))}});
       },
       "state"},
      {"state is an array",
       [&] {
         return base({{"state", V::S("[1,2]")}});
       },
       "state"},
      {"todos not an array",
       [&] {
         return base({{"state", V::S(R"({"todos":{},"files":{},"scratchpad":{}})")}});
       },
       "state"},
      {"todo status unknown",
       [&] {
         return base(
             {{"state", V::S(R"({"todos":[{"content":"a","status":"done"}],"files":{},"scratchpad":{}})")}});
       },
       "state"},
      {"file not a string",
       [&] {
         return base({{"state", V::S(R"({"todos":[],"files":{"a":1},"scratchpad":{}})")}});
       },
       "state"},
      {"message without role",
       [&] {
         return base({{"state", V::S(R"({"messages":[{"content":"x"}]})")}});
       },
       "state"},
      {"huge nesting",
       [&] {
         return base({{"state", V::S(R"({"scratchpad":{"x":)" + nested + "}}")}});
       },
       "state"},
      {"version not a number",
       [&] {
         return base({{"state", V::S(good)}, {"version", V::S("3")}});
       },
       "version"},
      {"version not whole",
       [&] {
         return base({{"state", V::S(good)}, {"version", V::N("1.5")}});
       },
       "version"},
      {"ttl not a number",
       [&] {
         return base({{"state", V::S(good)}, {"ttl", V::S("tomorrow")}});
       },
       "ttl"},
      {"updated_at not a string",
       [&] {
         return base({{"state", V::S(good)}, {"updated_at", V::N(1)}});
       },
       "updated_at"},
      {"compressed not binary",
       [&] {
         return base({{"state_zstd", V::S("abc")}});
       },
       "state_zstd"},
      {"compressed garbage",
       [&] {
         return base({{"state_zstd", V::B("definitely not zstd")}});
       },
       "state_zstd"},
      {"compressed truncated",
       [&] {
         return base({{"state_zstd", V::B(valid_zstd.substr(0, valid_zstd.size() - 7))}});
       },
       "state_zstd"},
      {"chunk count lying",
       [&] {
         return base(
             {{"chunk_count", V::N(3)}, {"state_bytes", V::N(10)}, {"save_id", V::S("0123456789abcdef")}});
       },
       "chunk_count"},
      {"chunk count absurd",
       [&] {
         return base({{"chunk_count", V::N(100000)}});
       },
       "chunk_count"},
      {"chunk count without size",
       [&] {
         return base({{"chunk_count", V::N(2)}});
       },
       "state_bytes"},
      {"chunk from another save",
       [&] {
         put_raw({{"thread_id", V::S("corrupt#chunk#aaaaaaaaaaaaaaaa#0")},
                  {"chunk_of", V::S("corrupt")},
                  {"save_id", V::S("bbbbbbbbbbbbbbbb")},
                  {"chunk_index", V::N(0)},
                  {"data", V::B(valid_zstd)}});
         return base({{"chunk_count", V::N(1)},
                      {"state_bytes", V::N(static_cast<long long>(valid_zstd.size()))},
                      {"save_id", V::S("aaaaaaaaaaaaaaaa")}});
       },
       "save_id"},
  };
  ASSERT_GE(cases.size(), 20u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Item item = c.item();
    put_raw(item);
    try {
      cp_->load_state("corrupt");
      ADD_FAILURE() << "loaded a corrupt item";
    } catch (const CorruptStateError& e) {
      EXPECT_EQ(e.thread_id(), "corrupt");
      EXPECT_EQ(e.attribute(), c.attribute) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.attribute), std::string::npos) << e.what();
    }
    EXPECT_EQ(raw_item("corrupt"), item);  // nothing was overwritten
  }
}

INSTANTIATE_TEST_SUITE_P(Servers, DynamoDbCheckpointerTest,
                         ::testing::Values(agents::testing::kDynamoDbLocal, agents::testing::kDynalite),
                         agents::testing::server_test_name);

}  // namespace
}  // namespace agents
