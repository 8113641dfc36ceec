// DynamoDbCheckpointer::with_incremental on both real local servers: what a turn writes, switching
// layouts, cleanup of replaced and orphaned segments, expiry, and damaged chains. The conformance
// and reliability suites run their tests in this mode too.
#include <gtest/gtest.h>
#include <strings.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <set>

#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "agents/dynamodb/client.hpp"
#include "agents/http/http_client.hpp"
#include "support/dynamodb_fixture.hpp"
#include "support/sample_states.hpp"

namespace agents {
namespace {

using agents::testing::LocalServer;
using agents::testing::now_epoch;
using dynamodb::Item;
using V = dynamodb::AttributeValue;

using agents::testing::with_turn;

class IncrementalCheckpointerTest : public agents::testing::LocalTableTest {
 protected:
  IncrementalCheckpointerTest() : LocalTableTest("incremental") {}

  void SetUp() override {
    LocalTableTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    cp_ = make_checkpointer(true);
  }

  std::shared_ptr<DynamoDbCheckpointer> make_checkpointer(bool incremental) {
    auto cp = local_checkpointer();
    cp->with_incremental(incremental);
    cp->with_observer([this](const dynamodb::CallEvent& e) {
      std::lock_guard lock(mu_);
      calls_.push_back(e);
    });
    return cp;
  }

  std::vector<dynamodb::CallEvent> take_calls() {
    std::lock_guard lock(mu_);
    return std::exchange(calls_, {});
  }

  static std::vector<std::string> operations(const std::vector<dynamodb::CallEvent>& calls) {
    std::vector<std::string> out;
    for (const auto& c : calls) out.push_back(c.operation);
    return out;
  }

  static std::size_t bytes_sent(const std::vector<dynamodb::CallEvent>& calls) {
    std::size_t n = 0;
    for (const auto& c : calls) n += c.bytes_sent;
    return n;
  }

  Item raw_item(const std::string& key) {
    auto got =
        client_->get_item({.table = table_, .key = {{"thread_id", V::S(key)}}, .consistent_read = true});
    EXPECT_TRUE(got.ok()) << got.status().message();
    return got->item.value_or(Item{});
  }

  std::vector<Item> segment_items() {
    auto all = client_->scan_all({.table = table_, .filter = "attribute_exists(chunk_of)"});
    EXPECT_TRUE(all.ok());
    return *all;
  }

  // One turn as an agent takes it: load, append, save conditionally on the load.
  AgentStateSnapshot take_turn(Checkpointer& cp, const std::string& thread, std::size_t turn) {
    auto loaded = cp.load_state(thread);
    auto state = with_turn(loaded ? loaded->state : AgentStateSnapshot{}, turn);
    cp.save_state(thread, state, SavePrecondition::after_load(loaded));
    return state;
  }

  std::shared_ptr<DynamoDbCheckpointer> cp_;
  std::mutex mu_;
  std::vector<dynamodb::CallEvent> calls_;
};

TEST_P(IncrementalCheckpointerTest, ATurnWritesItsMessagesAndTheHeadWhateverTheLength) {
  AgentStateSnapshot state;
  std::size_t early = 0, late = 0;
  for (std::size_t turn = 0; turn < 40; ++turn) {
    auto loaded = cp_->load_state("t");
    EXPECT_EQ(loaded ? loaded->state : AgentStateSnapshot{}, state) << "turn " << turn;
    state = with_turn(state, turn);
    take_calls();
    cp_->save_state("t", state, SavePrecondition::after_load(loaded));
    auto calls = take_calls();
    if (turn == 15 || turn == 31) {  // the turns that merge 16 segments into one
      // The new turn goes straight into the merged segment: one segment, the head, and the 15
      // segments it replaces deleted.
      EXPECT_EQ(operations(calls).size(), 2u + 15u);
      continue;
    }
    EXPECT_EQ(operations(calls), (std::vector<std::string>{"PutItem", "PutItem"})) << "turn " << turn;
    if (turn == 5) early = bytes_sent(calls);
    if (turn == 38) late = bytes_sent(calls);
  }
  EXPECT_LT(late, early * 3 / 2) << "turn 38 sent " << late << " bytes, turn 5 sent " << early;
  take_calls();
  auto loaded = cp_->load_state("t");
  EXPECT_EQ(loaded->state, state);
  EXPECT_EQ(operations(take_calls()), (std::vector<std::string>{"GetItem", "BatchGetItem"}));
  EXPECT_EQ(loaded->version, 40);
  EXPECT_EQ(segment_items().size(), 2u + 8u) << "two merged segments of 16 turns and 8 new ones";
}

TEST_P(IncrementalCheckpointerTest, ThreadsSwitchBetweenPlainAndIncrementalBothWays) {
  auto plain = make_checkpointer(false);
  auto state = agents::testing::rich_state();
  plain->save_state("t", state);
  EXPECT_EQ(raw_item("t").count("state"), 1u);

  state = with_turn(state, 1);
  auto loaded = cp_->load_state("t");
  cp_->save_state("t", state, SavePrecondition::after_load(loaded));
  Item head = raw_item("t");
  EXPECT_EQ(head.count("state"), 0u) << "the Rust crate reads `state`: it must not find one without history";
  EXPECT_EQ(head.count("head_state"), 1u);
  EXPECT_EQ(segment_items().size(), 1u);
  EXPECT_EQ(plain->load_state("t")->state, state) << "every checkpointer reads every layout";

  state = with_turn(state, 2);
  loaded = plain->load_state("t");
  plain->save_state("t", state, SavePrecondition::after_load(loaded));
  EXPECT_EQ(raw_item("t").count("state"), 1u) << "the next plain save writes a plain item";
  EXPECT_TRUE(segment_items().empty()) << "and removes the segments";
  EXPECT_EQ(cp_->load_state("t")->state, state);
  EXPECT_EQ(cp_->load_state("t")->version, 3);
}

TEST_P(IncrementalCheckpointerTest, AStateTooLargeForAnIncrementalHeadIsSavedInThePlainLayouts) {
  AgentStateSnapshot state = agents::testing::conversation(3, 500);
  state.files["big.bin"] = agents::testing::incompressible_text(900'000);
  auto saved = cp_->save("t", state);
  EXPECT_EQ(raw_item("t").count("chunk_count"), 1u) << "files beyond one item: chunked";
  EXPECT_EQ(cp_->load_state("t")->state, state);
  state.files.erase("big.bin");
  state = with_turn(state, 3);
  cp_->save_state("t", state, SavePrecondition::after_save(saved));
  EXPECT_EQ(raw_item("t").count("head_state"), 1u);
  auto items = segment_items();
  ASSERT_EQ(items.size(), 1u) << "the chunks went, one segment holds the history";
  EXPECT_EQ(items[0].count("messages"), 1u);
  EXPECT_EQ(cp_->load_state("t")->state, state);
}

// A history of ~3 MB saved at once (a thread switched to this mode late) is packed into sealed,
// compressed segments that each fit an item, and loads back exactly; the next turn appends.
TEST_P(IncrementalCheckpointerTest, ALongHistoryIsPackedIntoSegmentsThatEachFitAnItem) {
  AgentStateSnapshot state = agents::testing::conversation(1500, 2000);
  auto saved = cp_->save("t", state);
  auto items = segment_items();
  EXPECT_GE(items.size(), 10u);
  for (const auto& item : items) {
    EXPECT_LE(dynamodb::item_size(item), 400u * 1024u);
    EXPECT_EQ(item.count("messages_zstd"), 1u);
  }
  EXPECT_EQ(cp_->load_state("t")->state, state);
  state = with_turn(state, 1500);
  take_calls();
  cp_->save_state("t", state, SavePrecondition::after_save(saved));
  EXPECT_EQ(operations(take_calls()), (std::vector<std::string>{"PutItem", "PutItem"}));
  EXPECT_EQ(segment_items().size(), items.size() + 1);
  EXPECT_EQ(make_checkpointer(true)->load_state("t")->state, state);
}

TEST_P(IncrementalCheckpointerTest, BadStatesFailBeforeAnyRequest) {
  cp_->with_max_state_bytes(64 * 1024);
  take_calls();
  EXPECT_THROW(cp_->save_state("t", agents::testing::conversation(100, 1000)), StateTooLargeError);
  AgentStateSnapshot bad = agents::testing::conversation(3, 100);
  bad.messages[1].content = "not \xff UTF-8";
  EXPECT_THROW(cp_->save_state("t", bad), InvalidArgumentError);
  EXPECT_TRUE(take_calls().empty()) << "not a single request, not even the blind save's read";
  EXPECT_TRUE(segment_items().empty());
}

TEST_P(IncrementalCheckpointerTest, DeleteRemovesEverySegmentAndListShowsTheThreadOnce) {
  for (std::size_t turn = 0; turn < 5; ++turn) take_turn(*cp_, "t", turn);
  take_turn(*cp_, "other", 0);
  auto page = cp_->list_threads();
  ASSERT_EQ(page.threads.size(), 2u);
  EXPECT_EQ(page.threads[0].thread_id, "other");
  EXPECT_EQ(page.threads[1].thread_id, "t");
  EXPECT_EQ(page.threads[1].version, 5);
  EXPECT_EQ(segment_items().size(), 6u);
  EXPECT_TRUE(cp_->delete_thread("t"));
  EXPECT_FALSE(cp_->load_state("t"));
  auto left = segment_items();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].at("chunk_of").scalar(), "other");
}

TEST_P(IncrementalCheckpointerTest, ALosingSaveLeavesNothingBehindAndTheWinnerIsWhole) {
  auto winner_state = take_turn(*cp_, "t", 0);
  auto a = cp_->load_state("t");
  auto b = make_checkpointer(true)->load_state("t");
  winner_state = with_turn(a->state, 1);
  cp_->save_state("t", winner_state, SavePrecondition::after_load(a));
  EXPECT_THROW(cp_->save_state("t", with_turn(b->state, 2), SavePrecondition::after_load(b)), ConflictError);
  EXPECT_EQ(segment_items().size(), 2u) << "the loser's segment is deleted";
  EXPECT_EQ(cp_->load_state("t")->state, winner_state);
  // A hint from another thread fails as a conflict, not as a broken chain.
  take_turn(*cp_, "u", 0);
  auto u = cp_->load_state("u");
  auto t = cp_->load_state("t");
  EXPECT_THROW(
      cp_->save_state("u", with_turn(u->state, 1), SavePrecondition::version_is(u->version, t->storage_hint)),
      ConflictError);
  EXPECT_EQ(cp_->load_state("u")->state, u->state);
}

TEST_P(IncrementalCheckpointerTest, ABlindSaveAppendsToo) {
  AgentStateSnapshot state;
  for (std::size_t turn = 0; turn < 3; ++turn) {
    state = with_turn(state, turn);
    take_calls();
    cp_->save_state("t", state);
    if (turn > 0) {
      EXPECT_EQ(operations(take_calls()), (std::vector<std::string>{"GetItem", "PutItem", "PutItem"}));
    }
  }
  EXPECT_EQ(segment_items().size(), 3u);
  EXPECT_EQ(cp_->load_state("t")->state, state);
}

TEST_P(IncrementalCheckpointerTest, AVersionPreconditionWithoutTheHintStillAppendsAndCleansUp) {
  AgentStateSnapshot state;
  for (std::size_t turn = 0; turn < 17; ++turn) {
    state = with_turn(state, turn);
    take_calls();
    cp_->save_state("t", state,
                    turn == 0 ? SavePrecondition::must_not_exist() : SavePrecondition::version_is(turn));
    if (turn == 1) {
      EXPECT_EQ(operations(take_calls()), (std::vector<std::string>{"GetItem", "PutItem", "PutItem"}));
    }
  }
  EXPECT_EQ(segment_items().size(), 2u) << "turns 0-15 merged, turn 16: nothing left behind";
  EXPECT_EQ(cp_->load_state("t")->state, state);
}

// with_segment_cache_bytes: segments never change, so a load reads only those it has not seen.
TEST_P(IncrementalCheckpointerTest, ACachingCheckpointerReadsOnlyTheSegmentsItHasNotSeen) {
  auto cached = make_checkpointer(true);
  cached->with_segment_cache_bytes(16 << 20);
  AgentStateSnapshot state;
  for (std::size_t turn = 0; turn < 20; ++turn) state = take_turn(*cached, "t", turn);
  take_calls();
  EXPECT_EQ(cached->load_state("t")->state, state);
  EXPECT_EQ(operations(take_calls()), (std::vector<std::string>{"GetItem"}))
      << "every segment was its own save's";

  state = take_turn(*cp_, "t", 20);  // another worker, without the cache, appends
  take_calls();
  EXPECT_EQ(cached->load_state("t")->state, state);
  EXPECT_EQ(operations(take_calls()), (std::vector<std::string>{"GetItem", "BatchGetItem"}));
  EXPECT_EQ(cached->load_state("t")->state, state);
  EXPECT_EQ(operations(take_calls()), (std::vector<std::string>{"GetItem"}));

  auto cold = make_checkpointer(true);  // a new worker: reads everything once
  cold->with_segment_cache_bytes(16 << 20);
  EXPECT_EQ(cold->load_state("t")->state, state);
  EXPECT_EQ(cold->load_state("t")->state, state);
  EXPECT_EQ(operations(take_calls()), (std::vector<std::string>{"GetItem", "BatchGetItem", "GetItem"}));

  // An edited history is a fresh base: the cache cannot serve it, and nothing stale is served.
  state.messages[0].content = "edited";
  auto loaded = cached->load_state("t");
  cached->save_state("t", state, SavePrecondition::after_load(loaded));
  EXPECT_EQ(cold->load_state("t")->state, state);
  EXPECT_EQ(cached->load_state("t")->state, state);
}

TEST_P(IncrementalCheckpointerTest, OrphanedSegmentsAreRemovedAndLiveOnesKept) {
  AgentStateSnapshot state;
  for (std::size_t turn = 0; turn < 4; ++turn) state = take_turn(*cp_, "t", turn);
  // What a save killed between its segment write and its head write leaves.
  Item orphan{{"thread_id", V::S("t#seg#00000000deadbeef-0")},
              {"chunk_of", V::S("t")},
              {"save_id", V::S("00000000deadbeef")},
              {"messages", V::S("[]")}};
  ASSERT_TRUE(client_->put_item({.table = table_, .item = orphan}).ok());
  EXPECT_EQ(cp_->remove_orphaned_chunks_and_segments("t"), 1u);
  EXPECT_EQ(segment_items().size(), 4u);
  EXPECT_EQ(cp_->load_state("t")->state, state);
}

TEST_P(IncrementalCheckpointerTest, EveryItemOfTheThreadOutlivesItsHead) {
  cp_->with_ttl(std::chrono::hours(1));
  for (std::size_t turn = 0; turn < 3; ++turn) take_turn(*cp_, "t", turn);
  const std::int64_t head_ttl = std::stoll(raw_item("t").at("ttl").scalar());
  EXPECT_NEAR(static_cast<double>(head_ttl), static_cast<double>(now_epoch() + 3600), 60);
  for (const auto& segment : segment_items()) {
    const std::int64_t ttl = std::stoll(segment.at("ttl").scalar());
    EXPECT_GE(ttl, head_ttl);
    EXPECT_NEAR(static_cast<double>(ttl), static_cast<double>(now_epoch() + 7200), 60);
  }
}

TEST_P(IncrementalCheckpointerTest, ABrokenChainIsCorruptStateNamingTheAttribute) {
  for (std::size_t turn = 0; turn < 3; ++turn) take_turn(*cp_, "t", turn);
  auto segments = segment_items();
  ASSERT_EQ(segments.size(), 3u);
  // A segment past its expiry under a live head (impossible under normal saves).
  Item expired = segments[1];
  expired["ttl"] = V::N(now_epoch() - 10);
  ASSERT_TRUE(client_->put_item({.table = table_, .item = expired}).ok());
  try {
    cp_->load_state("t");
    FAIL() << "expected CorruptStateError";
  } catch (const CorruptStateError& e) {
    EXPECT_EQ(e.attribute(), "ttl") << e.what();
  }
  // A missing segment.
  ASSERT_TRUE(client_->delete_item({.table = table_, .key = {{"thread_id", expired.at("thread_id")}}}).ok());
  try {
    cp_->load_state("t");
    FAIL() << "expected CorruptStateError";
  } catch (const CorruptStateError& e) {
    EXPECT_EQ(e.attribute(), "segments") << e.what();
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
}

// Renames the key attribute of every item in the answers to one operation (and drops their
// checksum): items come back without their key, as a damaged item or answer would bring them.
class KeylessAnswers final : public http::HttpClient {
 public:
  explicit KeylessAnswers(std::string operation) : target_("DynamoDB_20120810." + std::move(operation)) {}

  StatusOr<http::Response> send(const http::Request& request) override {
    auto response = inner_->send(request);
    const std::string* target = http::find_header(request.headers, "X-Amz-Target");
    if (!response.ok() || target == nullptr || *target != target_) return response;
    std::string& body = response->body;
    for (auto at = body.find("\"thread_id\""); at != std::string::npos; at = body.find("\"thread_id\"", at))
      body.replace(at, 11, "\"thread_ix\"");
    std::erase_if(response->headers, [](const http::Header& h) {
      return h.name.size() == 11 && strncasecmp(h.name.c_str(), "x-amz-crc32", 11) == 0;
    });
    return response;
  }

 private:
  std::string target_;
  std::shared_ptr<http::HttpClient> inner_ = http::make_curl_http_client();
};

// The load assembles the history with assemble_history, so server data without its key is
// CorruptStateError naming it, not an untyped lookup failure; the stored thread is untouched.
TEST_P(IncrementalCheckpointerTest, ASegmentReadBackWithoutItsKeyIsCorruptStateNamingTheKey) {
  AgentStateSnapshot state;
  for (std::size_t turn = 0; turn < 2; ++turn) state = take_turn(*cp_, "t", turn);
  auto reader = local_checkpointer();
  reader->with_http_client(std::make_shared<KeylessAnswers>("BatchGetItem"));
  try {
    reader->load_state("t");
    FAIL() << "expected CorruptStateError";
  } catch (const CorruptStateError& e) {
    EXPECT_EQ(e.thread_id(), "t");
    EXPECT_EQ(e.attribute(), "thread_id") << e.what();
  }
  auto loaded = cp_->load_state("t");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->state, state);
}

// Scan answers without their keys: the listing and the cleanup pass over such items (nothing to
// list or delete by) instead of throwing anything untyped.
TEST_P(IncrementalCheckpointerTest, ListingAndCleanupPassOverItemsReadBackWithoutTheirKey) {
  take_turn(*cp_, "t", 0);
  auto reader = local_checkpointer();
  reader->with_http_client(std::make_shared<KeylessAnswers>("Scan"));
  EXPECT_TRUE(reader->list_threads().threads.empty());
  EXPECT_EQ(reader->remove_orphaned_chunks_and_segments("t", std::chrono::hours(2)), 0u);
  EXPECT_EQ(cp_->list_threads().threads.size(), 1u);
  EXPECT_TRUE(cp_->load_state("t").has_value());
}

// Replaces `from` by `to` in every string of a value (keys, ids, hints inside nested maps).
V with_replaced(const V& value, const std::string& from, const std::string& to) {
  switch (value.type()) {
    case V::Type::kS: {
      std::string s = value.scalar();
      for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
      return V::S(std::move(s));
    }
    case V::Type::kM: {
      dynamodb::AttributeMap m;
      for (const auto& [name, v] : value.map()) m.emplace(name, with_replaced(v, from, to));
      return V::M(std::move(m));
    }
    case V::Type::kL: {
      dynamodb::AttributeList l;
      for (const auto& v : value.list()) l.push_back(with_replaced(v, from, to));
      return V::L(std::move(l));
    }
    default:
      return value;
  }
}

// Save ids were 16 hex characters before they became 128-bit (32): a thread stored by an earlier
// version must still load and take new turns.
TEST_P(IncrementalCheckpointerTest, AThreadStoredWithTheShortSaveIdsOfEarlierVersionsLoadsAndGoesOn) {
  AgentStateSnapshot state;
  for (std::size_t turn = 0; turn < 3; ++turn) state = take_turn(*cp_, "t", turn);
  auto all = client_->scan_all({.table = table_});
  ASSERT_TRUE(all.ok()) << all.status().message();
  std::set<std::string> ids;
  for (const auto& item : *all) ids.insert(item.at("save_id").scalar());
  ASSERT_EQ(ids.size(), 3u);  // one per turn: the head's and the two older segments'
  for (const auto& item : *all) {
    Item old_style;
    for (const auto& [name, value] : item) {
      V v = value;
      for (const auto& id : ids) {
        ASSERT_EQ(id.size(), 32u);
        v = with_replaced(v, id, id.substr(0, 16));
      }
      old_style.emplace(name, std::move(v));
    }
    ASSERT_TRUE(client_->delete_item({.table = table_, .key = {{"thread_id", item.at("thread_id")}}}).ok());
    ASSERT_TRUE(client_->put_item({.table = table_, .item = old_style}).ok());
  }
  Item head = raw_item("t");
  ASSERT_EQ(head.at("save_id").scalar().size(), 16u);
  ASSERT_EQ(head.at("ancestors").scalar().size(), 2 * 16u + 1);
  for (const auto& entry : head.at("segments").list()) EXPECT_EQ(entry.map().at("id").scalar().size(), 18u);

  auto cold = make_checkpointer(true);
  EXPECT_EQ(cold->load_state("t")->state, state);
  state = take_turn(*cold, "t", 3);
  EXPECT_EQ(cp_->load_state("t")->state, state);
  head = raw_item("t");
  EXPECT_EQ(head.at("save_id").scalar().size(), 32u);
  EXPECT_EQ(head.at("ancestors").scalar().size(), 3 * 16u + 2);
  EXPECT_EQ(segment_items().size(), 4u);  // the three old-style segments and the new one
}

// The planner fills a head up to the item limit, counted by item_size(). When item_size()
// counted a number one byte short (110 messages: message_count and the segment's n are 110,
// stored as "1|10", 3 bytes), a head planned at exactly 409,600 bytes was rejected with
// ValidationException and the save failed instead of falling back. Every size around the limit
// must save and load, and the largest incremental head must be exactly at the limit.
TEST_P(IncrementalCheckpointerTest, HeadsPlannedUpToTheItemLimitAreAcceptedByTheServer) {
  // A fixed clock: written_at and updated_at have the same size in every save.
  cp_->with_clock([] { return std::chrono::system_clock::time_point(std::chrono::seconds(1'764'500'001)); });
  AgentStateSnapshot base;
  for (int i = 0; i < 110; ++i) base.messages.push_back(Message::user("message " + std::to_string(i)));
  int saves = 0;
  auto save_padded = [&](std::size_t pad) {
    AgentStateSnapshot state = base;
    state.files["pad"] = std::string(pad, 'x');  // in head_state, beside the messages
    // A new thread each time (a save over a thread adds `ancestors`), all ids of one length.
    char thread[32];
    std::snprintf(thread, sizeof thread, "pad-%06zu-%03d", pad, saves++);
    cp_->save_state(thread, state);
    EXPECT_EQ(cp_->load_state(thread)->state, state) << pad;
    Item head = raw_item(thread);
    return std::make_pair(head.count("head_state") > 0, dynamodb::item_size(head));
  };
  // The largest padding that still saves incrementally (the others fall back to one item).
  std::size_t lo = 300'000, hi = 420'000;
  ASSERT_TRUE(save_padded(lo).first);
  ASSERT_FALSE(save_padded(hi).first);
  while (hi - lo > 1) {
    std::size_t mid = (lo + hi) / 2;
    (save_padded(mid).first ? lo : hi) = mid;
  }
  EXPECT_EQ(save_padded(lo).second, 400u * 1024);
  for (std::size_t pad = lo - 2; pad <= lo + 2; ++pad) EXPECT_EQ(save_padded(pad).first, pad <= lo) << pad;
}

INSTANTIATE_TEST_SUITE_P(Servers, IncrementalCheckpointerTest,
                         ::testing::Values(agents::testing::kDynamoDbLocal, agents::testing::kDynalite),
                         agents::testing::server_test_name);

}  // namespace
}  // namespace agents
