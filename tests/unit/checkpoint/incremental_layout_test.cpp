// The incremental layout's planning and assembly as pure functions, over an in-memory map of
// items that stands for a table: what each save writes, what a load reads back, how segments
// merge, and how expiry and damaged items are handled. The same layout runs against the real
// local servers in the checkpointer, conformance and reliability suites.
#include "checkpoint/incremental_layout.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "agents/core/error.hpp"
#include "checkpoint/item_layout.hpp"
#include "checkpoint/message_json.hpp"
#include "checkpoint/segment_cache.hpp"
#include "support/sample_states.hpp"

namespace agents::detail {
namespace {

using dynamodb::Item;
using V = dynamodb::AttributeValue;

constexpr std::size_t kNoLimit = 64 * 1024 * 1024;

// What the checkpointer does for one save attempt: encode (and check) the state, then plan.
std::optional<IncrementalSave> plan_save(const std::string& thread, const AgentStateSnapshot& state,
                                         const std::optional<HistoryBase>& previous, std::int64_t version,
                                         const SaveTimes& times, std::size_t max_state_bytes) {
  return plan_incremental_save(thread, EncodedHistory(thread, state, max_state_bytes), previous, version,
                               times);
}

// A table of items keyed by thread_id, and the save/load steps the checkpointer performs on it.
class Store {
 public:
  explicit Store(std::string thread) : thread_(std::move(thread)) {}

  struct Written {
    std::size_t segments = 0;
    std::size_t bytes = 0;     ///< item bytes of the segments and the head
    std::size_t messages = 0;  ///< in the segments written
  };

  Written save(const AgentStateSnapshot& state, SaveTimes times = {"2026-01-01T00:00:00.000Z", {}, {}}) {
    std::optional<HistoryBase> previous;
    if (head_) previous = base_from_head(thread_, *head_);
    auto plan = plan_save(thread_, state, previous, ++version_, times, kNoLimit);
    EXPECT_TRUE(plan.has_value());
    if (!plan) return {};
    Written w{plan->segments.size(), dynamodb::item_size(plan->head)};
    for (auto& s : plan->segments) {
      w.bytes += dynamodb::item_size(s);
      w.messages += std::stoul(s.at("message_count").scalar());
      items_[s.at("thread_id").scalar()] = s;
    }
    head_ = plan->head;
    // The checkpointer deletes what the replaced head named and the new one does not.
    if (previous) {
      for (const auto& s : previous->segments) {
        bool kept = false;
        for (const auto& n : plan->base.segments) kept = kept || n.id == s.id;
        if (!kept) items_.erase(segment_key(thread_, s.id));
      }
    }
    return w;
  }

  AgentStateSnapshot load(std::int64_t now = 0) {
    auto base = base_from_head(thread_, *head_);
    std::vector<Item> segments;
    for (const auto& s : base->segments) {
      auto it = items_.find(segment_key(thread_, s.id));
      if (it != items_.end()) segments.push_back(it->second);
    }
    auto state = assemble_history(thread_, *head_, *base, segments, now, kNoLimit);
    EXPECT_TRUE(state.has_value());
    return state ? *state : AgentStateSnapshot{};
  }

  HistoryBase base() const { return *base_from_head(thread_, *head_); }
  std::size_t item_count() const { return items_.size(); }
  std::map<std::string, Item>& items() { return items_; }
  Item& head() { return *head_; }

 private:
  std::string thread_;
  std::int64_t version_ = 0;
  std::optional<Item> head_;
  std::map<std::string, Item> items_;  // segment items
};

AgentStateSnapshot with_turn(AgentStateSnapshot s, std::size_t turn, std::size_t bytes = 1000) {
  auto more = testing::conversation(1, bytes, static_cast<unsigned>(turn + 1));
  for (auto& m : more.messages) s.messages.push_back(std::move(m));
  return s;
}

TEST(IncrementalLayout, AHeadWithoutMessagesKeepsTheRestOfTheStateAndNoRustStateAttribute) {
  Store store("t");
  auto state = testing::rich_state();
  store.save(state);
  EXPECT_EQ(store.load(), state);
  EXPECT_EQ(store.head().count("state"), 0u) << "the Rust crate must not read a state without its history";
  auto rest = decode_state_json(store.head().at("head_state").scalar());
  ASSERT_TRUE(rest.ok());
  EXPECT_TRUE(rest->messages.empty());
  EXPECT_EQ(rest->todos, state.todos);
  EXPECT_EQ(store.head().at("message_count").scalar(), std::to_string(state.messages.size()));
}

TEST(IncrementalLayout, AnAppendWritesOnlyTheNewMessagesInOneSegment) {
  Store store("t");
  AgentStateSnapshot state = testing::conversation(20, 1000);
  store.save(state);
  auto before = store.base();
  state = with_turn(state, 20);
  state.todos.push_back({"new todo", TodoStatus::kPending});
  auto written = store.save(state);
  EXPECT_EQ(written.segments, 1u);
  auto after = store.base();
  ASSERT_EQ(after.segments.size(), before.segments.size() + 1);
  EXPECT_TRUE(std::equal(before.segments.begin(), before.segments.end(), after.segments.begin()));
  EXPECT_EQ(after.segments.back().count, 2u);
  EXPECT_LT(written.bytes, 3000u) << "a turn of ~1 KB must not rewrite the 20 KB history";
  EXPECT_EQ(store.load(), state);
}

TEST(IncrementalLayout, ASaveWithoutNewMessagesWritesOnlyTheHead) {
  Store store("t");
  AgentStateSnapshot state = testing::conversation(5, 500);
  store.save(state);
  state.scratchpad["k"] = 1;
  EXPECT_EQ(store.save(state).segments, 0u);
  EXPECT_EQ(store.load(), state);
}

TEST(IncrementalLayout, ARewrittenHistoryGetsAFreshBaseAndTheOldSegmentsGo) {
  Store store("t");
  AgentStateSnapshot state = testing::conversation(10, 400);
  store.save(state);
  for (int t = 10; t < 14; ++t) store.save(state = with_turn(state, t, 400));
  auto old = store.base();
  state.messages[3].content = "summarised";  // an edit inside the stored history
  auto written = store.save(state);
  auto fresh = store.base();
  EXPECT_EQ(fresh.segments.size(), 1u);
  EXPECT_EQ(written.segments, 1u);
  for (const auto& s : old.segments) EXPECT_NE(s.id, fresh.segments[0].id);
  EXPECT_EQ(store.item_count(), 1u) << "the replaced segments are deleted";
  EXPECT_EQ(store.load(), state);

  state.messages.resize(4);  // truncated
  store.save(state);
  EXPECT_EQ(store.load(), state);
  EXPECT_EQ(store.base().message_count, 4u);
  state.messages.clear();
  store.save(state);
  EXPECT_EQ(store.load(), state);
  EXPECT_EQ(store.item_count(), 0u);
  EXPECT_EQ(store.head().count("segments"), 0u);
}

// 600 turns of ~1 KB: every load is exact, the number of segments stays bounded, a turn that
// merges nothing writes one small segment, and the total written is a small multiple of the
// history (where rewriting the whole state every turn writes ~300 times the history).
TEST(IncrementalLayout, SegmentsMergeLikeACounterAndStayFew) {
  Store store("t");
  AgentStateSnapshot state;
  std::size_t total_written = 0, max_segments = 0, merges = 0;
  for (std::size_t turn = 0; turn < 600; ++turn) {
    state = with_turn(state, turn);
    auto written = store.save(state);
    total_written += written.bytes;
    max_segments = std::max(max_segments, store.base().segments.size());
    ASSERT_EQ(store.item_count(), store.base().segments.size()) << "turn " << turn << ": stale segments";
    if (written.messages > 2) ++merges;
    ASSERT_EQ(written.segments, 1u) << "turn " << turn;  // the new turn, or the merge that absorbs it
    if (turn % 97 == 0) {
      ASSERT_EQ(store.load(), state) << "turn " << turn;
    }
  }
  EXPECT_EQ(store.load(), state);
  const std::size_t history = encode_state_json(state).size();
  EXPECT_LE(max_segments, 15u + 3u + 3u + 2u) << "at most 15 level-0 segments and 3 of each level above";
  EXPECT_LT(total_written, 5 * history) << "written " << total_written << " for a history of " << history;
  EXPECT_EQ(merges, 600u / 16) << "one merge every 16 turns (some also merge the levels above)";
  std::vector<int> levels;
  for (const auto& s : store.base().segments) levels.push_back(s.level);
  // 600 = 2 x 256 + 64 + 16 + 8: two level-3 segments, one level-2, one level-1, eight new turns.
  EXPECT_EQ(levels, (std::vector<int>{3, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0}));
  // Merged segments are compressed; a turn's own stays readable text.
  for (const auto& s : store.base().segments) {
    const Item& item = store.items().at(segment_key("t", s.id));
    EXPECT_EQ(item.count(s.level > 0 ? "messages_zstd" : "messages"), 1u) << s.id;
  }
  Item& merged = store.items().at(segment_key("t", store.base().segments.front().id));
  std::string damaged = merged.at("messages_zstd").scalar();
  damaged[damaged.size() / 2] ^= 0x5a;
  merged["messages_zstd"] = V::B(damaged);
  try {
    store.load();
    ADD_FAILURE() << "expected CorruptStateError";
  } catch (const CorruptStateError& e) {
    EXPECT_EQ(e.attribute(), "messages_zstd") << e.what();
  }
}

// Turns of ~4 KB: four level-2 segments (256 turns) overflow one item, so that merge is packed
// into sealed segments that are never merged again, each more than half full.
TEST(IncrementalLayout, AMergeBeyondOneItemIsPackedIntoSealedSegments) {
  Store store("t");
  AgentStateSnapshot state;
  for (std::size_t turn = 0; turn < 272; ++turn) {
    state = with_turn(state, turn, 4000);
    store.save(state);
  }
  EXPECT_EQ(store.load(), state);
  // JSON bytes of each sealed segment (they are stored compressed).
  std::size_t sealed_bytes = 0, sealed = 0, first = 0;
  for (const auto& [key, item] : store.items()) EXPECT_LE(dynamodb::item_size(item), kMaxItemBytes) << key;
  for (const auto& s : store.base().segments) {
    if (s.level == kSealedLevel) {
      ++sealed;
      for (std::size_t i = first; i < first + s.count; ++i)
        sealed_bytes += encode_message_json(state.messages[i]).size() + 1;
    }
    first += s.count;
  }
  EXPECT_GE(sealed, 3u);
  EXPECT_GT(sealed_bytes / sealed, kSegmentBytes / 2);
  EXPECT_EQ(store.base().segments.back().level, 1)
      << "turns 256-271 merged into level 1 above the sealed ones";
}

TEST(IncrementalLayout, SegmentsOutliveTheirHeadAndAreRewrittenBeforeTheyWouldNot) {
  Store store("t");
  const std::int64_t ttl = 1000;
  auto times_at = [&](std::int64_t now) {
    return SaveTimes{"2026-01-01T00:00:00.000Z", now + ttl, now + 2 * ttl};
  };
  AgentStateSnapshot state = testing::conversation(3, 300);
  store.save(state, times_at(10'000));
  auto first = store.base().segments.at(0);
  EXPECT_EQ(first.ttl_epoch, 12'000);
  state = with_turn(state, 3, 300);
  store.save(state, times_at(10'900));  // the first segment (12000) outlives the head (11900)
  EXPECT_EQ(store.base().segments.at(0), first);
  state = with_turn(state, 4, 300);
  store.save(state, times_at(11'100));  // it would not (12100): the history is rewritten
  auto base = store.base();
  ASSERT_EQ(base.segments.size(), 1u);
  EXPECT_NE(base.segments[0].id, first.id);
  EXPECT_EQ(base.segments[0].ttl_epoch, 13'100);
  EXPECT_EQ(store.load(11'100), state);
  for (const auto& [key, item] : store.items())
    EXPECT_GE(std::stoll(item.at("ttl").scalar()), std::stoll(store.head().at("ttl").scalar())) << key;

  // Without a TTL the thread never expires, so neither may its segments.
  state = with_turn(state, 5, 300);
  store.save(state);
  for (const auto& s : store.base().segments) EXPECT_FALSE(s.ttl_epoch.has_value());
  for (const auto& [key, item] : store.items()) EXPECT_EQ(item.count("ttl"), 0u) << key;
  EXPECT_EQ(store.load(), state);
}

TEST(IncrementalLayout, ASegmentExpiredUnderALiveHeadIsCorruptAndAMissingOneIsReported) {
  Store store("t");
  AgentStateSnapshot state = testing::conversation(3, 300);
  store.save(state, {"2026-01-01T00:00:00.000Z", 2000, 3000});
  auto base = store.base();
  std::vector<Item> segments;
  for (auto& [key, item] : store.items()) segments.push_back(item);
  try {
    assemble_history("t", store.head(), base, segments, 3001, kNoLimit);
    FAIL() << "expected CorruptStateError";
  } catch (const CorruptStateError& e) {
    EXPECT_EQ(e.attribute(), "ttl");
    EXPECT_NE(std::string(e.what()).find("expired"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(assemble_history("t", store.head(), base, {}, 0, kNoLimit).has_value());
}

TEST(IncrementalLayout, DamagedHeadsAndSegmentsNameTheAttribute) {
  Store store("t");
  store.save(testing::conversation(3, 300));
  auto expect_corrupt = [](const std::string& attribute, auto&& call) {
    try {
      call();
      ADD_FAILURE() << "expected CorruptStateError for " << attribute;
    } catch (const CorruptStateError& e) {
      EXPECT_EQ(e.attribute(), attribute) << e.what();
    }
  };
  Item head = store.head();
  head["message_count"] = V::N(99);
  expect_corrupt("message_count", [&] { base_from_head("t", head); });
  head = store.head();
  head["segments"] = V::S("x");
  expect_corrupt("segments", [&] { base_from_head("t", head); });
  head = store.head();
  head["segments"] = V::L({V::M({{"id", V::S("../x")}, {"n", V::N(6)}, {"lvl", V::N(0)}})});
  expect_corrupt("segments", [&] { base_from_head("t", head); });
  head = store.head();
  head.erase("history_digest");
  expect_corrupt("history_digest", [&] { base_from_head("t", head); });
  // Found by the fuzzer: a digest or save id with the hint's separator must not pass as valid.
  head = store.head();
  head["history_digest"] = V::S(std::string(24, '0') + std::string(25, '|') + std::string(15, '0'));
  expect_corrupt("history_digest", [&] { base_from_head("t", head); });
  head = store.head();
  head["save_id"] = V::S("0123|456");
  expect_corrupt("save_id", [&] { base_from_head("t", head); });

  auto base = store.base();
  Item segment = store.items().begin()->second;
  auto assemble = [&](Item s) {
    return assemble_history("t", store.head(), base, {std::move(s)}, 0, kNoLimit);
  };
  Item other = segment;
  other["chunk_of"] = V::S("another-thread");
  expect_corrupt("chunk_of", [&] { assemble(other); });
  Item broken = segment;
  broken["messages"] = V::S("[{\"role\":1}]");
  expect_corrupt("messages", [&] { assemble(broken); });
  Item short_one = segment;
  short_one["messages"] = V::S("[]");
  expect_corrupt("messages", [&] { assemble(short_one); });
  head = store.head();
  head["head_state"] = V::S("{");
  expect_corrupt("head_state", [&] { assemble_history("t", head, base, {segment}, 0, kNoLimit); });
  EXPECT_FALSE(base_from_head("t", {{"state", V::S("{}")}}).has_value()) << "a plain head has no history";
}

// The checkpointer's load reads segment items back from the server: one without its key (a
// damaged item or answer) is damage like any other, named, never an untyped lookup failure.
TEST(IncrementalLayout, ASegmentItemWithoutItsKeyIsCorruptStateNamingTheKey) {
  Store store("t");
  store.save(testing::conversation(3, 300));
  auto base = store.base();
  Item keyless = store.items().begin()->second;
  keyless.erase("thread_id");
  Item numbered = store.items().begin()->second;
  numbered["thread_id"] = V::N(7);
  for (const Item& segment : {keyless, numbered}) {
    try {
      assemble_history("t", store.head(), base, {segment}, 0, kNoLimit);
      ADD_FAILURE() << "expected CorruptStateError";
    } catch (const CorruptStateError& e) {
      EXPECT_EQ(e.attribute(), "thread_id") << e.what();
    }
  }
}

// What a warm checkpointer does: segments it holds decoded stand in for items it does not read,
// and the ones it decodes go to its cache.
TEST(IncrementalLayout, HeldSegmentsStandInForItemsAndDecodedOnesGoToTheCache) {
  Store store("t");
  AgentStateSnapshot state = testing::conversation(40, 200);
  store.save(state);
  auto base = store.base();
  std::vector<Item> segments;
  for (auto& [key, item] : store.items()) segments.push_back(item);
  SegmentCache cache(64 * 1024 * 1024);
  auto first = assemble_history("t", store.head(), base, segments, 0, kNoLimit, {}, &cache);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, state);
  HeldSegments held;
  for (const auto& s : base.segments) {
    held.push_back(cache.find(segment_key("t", s.id)));
    ASSERT_NE(held.back(), nullptr) << s.id;
  }
  auto second = assemble_history("t", store.head(), base, {}, 0, kNoLimit, held);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(*second, state);
  held.back() = nullptr;  // not held and not read: missing
  EXPECT_FALSE(assemble_history("t", store.head(), base, {}, 0, kNoLimit, held).has_value());
}

TEST(IncrementalLayout, HintsCarryTheBaseAndJunkHintsCarryNothing) {
  Store store("t");
  store.save(testing::conversation(40, 200));
  HistoryBase base = store.base();
  base.segments.front().ttl_epoch = 1234;
  ASSERT_TRUE(is_history_hint(history_hint(base)));
  EXPECT_EQ(base_from_hint(history_hint(base)), base);
  for (std::string junk : {"", "abc:3", "history1|", "history1|s|2|d|x,1,0,", "history1|s|9|d|ab-0,1,0,",
                           "history1|s|1|d|ab-0,1,0,z", "history1|s|1|d|a;b,1,0,"}) {
    EXPECT_FALSE(base_from_hint(junk).has_value()) << junk;
  }
}

TEST(IncrementalLayout, FallsBackToThePlainLayoutOnlyForWhatASegmentCannotHold) {
  AgentStateSnapshot state = testing::conversation(2, 100);
  SaveTimes times{"2026-01-01T00:00:00.000Z", {}, {}};
  EXPECT_TRUE(plan_save("t", state, std::nullopt, 1, times, kNoLimit).has_value());
  state.messages.push_back(Message::tool("call_1", std::string(kSegmentBytes, 'x')));
  EXPECT_FALSE(plan_save("t", state, std::nullopt, 1, times, kNoLimit).has_value());
  state.messages.pop_back();
  state.files["big"] = std::string(kMaxItemBytes, 'x');
  EXPECT_FALSE(plan_save("t", state, std::nullopt, 1, times, kNoLimit).has_value());

  // A history beyond one segment is split into several that each fit.
  AgentStateSnapshot long_one = testing::conversation(400, 2000);
  auto plan = plan_save("t", long_one, std::nullopt, 1, times, kNoLimit);
  ASSERT_TRUE(plan.has_value());
  EXPECT_GE(plan->segments.size(), 3u);
  for (const auto& s : plan->segments) EXPECT_LE(dynamodb::item_size(s), kMaxItemBytes);
}

TEST(IncrementalLayout, TheSameChecksAsThePlainLayoutBeforeAnyWrite) {
  AgentStateSnapshot state = testing::conversation(10, 1000);
  SaveTimes times{"2026-01-01T00:00:00.000Z", {}, {}};
  std::size_t plain = encode_state_json(state).size();
  try {
    plan_save("t", state, std::nullopt, 1, times, plain - 1);
    FAIL() << "expected StateTooLargeError";
  } catch (const StateTooLargeError& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(plain) + " bytes"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(plan_save("t", state, std::nullopt, 1, times, plain).has_value());
  state.messages[4].content = "bad \xff utf-8";
  EXPECT_THROW(plan_save("t", state, std::nullopt, 1, times, kNoLimit), InvalidArgumentError);
}

}  // namespace
}  // namespace agents::detail

namespace agents::detail {
namespace {

// The memo of the last save (HistoryMemo) changes how much is encoded and hashed, never what is
// written: every plan made with it equals the plan made without it, for appends, edits,
// truncations and a memo of another history.
TEST(HistoryMemoTest, PlansWithAMemoEqualPlansWithout) {
  const std::string thread = "t";
  const SaveTimes times{"2026-12-01T00:00:00.000Z", std::nullopt, std::nullopt, 0};
  const AgentStateSnapshot stored = agents::testing::conversation(30, 400);
  EncodedHistory first(thread, stored, kNoLimit);
  auto planned = plan_incremental_save(thread, first, std::nullopt, 1, times);
  ASSERT_TRUE(planned && planned->sha);
  const HistoryBase base = planned->base;
  auto memo_of_stored = [&] {
    EncodedHistory encoded(thread, stored, kNoLimit);
    return encoded.take_memo(stored, *planned->sha, base.digest);
  };

  AgentStateSnapshot appended = stored;
  for (auto& m : agents::testing::conversation(2, 300, 9).messages) appended.messages.push_back(m);
  AgentStateSnapshot edited = appended;
  edited.messages[5].content += " (edited)";
  AgentStateSnapshot truncated = stored;
  truncated.messages.resize(10);
  const AgentStateSnapshot other = agents::testing::conversation(12, 200, 4);
  for (const AgentStateSnapshot* state :
       std::vector<const AgentStateSnapshot*>{&appended, &edited, &truncated, &other, &stored}) {
    auto with = plan_incremental_save(thread, EncodedHistory(thread, *state, kNoLimit, memo_of_stored()),
                                      base, 2, times);
    auto without = plan_incremental_save(thread, EncodedHistory(thread, *state, kNoLimit), base, 2, times);
    ASSERT_TRUE(with && without);
    EXPECT_EQ(with->base.digest, without->base.digest);
    EXPECT_EQ(with->base.message_count, without->base.message_count);
    ASSERT_EQ(with->base.segments.size(), without->base.segments.size());
    for (std::size_t i = 0; i < with->base.segments.size(); ++i) {
      EXPECT_EQ(with->base.segments[i].count, without->base.segments[i].count);
      EXPECT_EQ(with->base.segments[i].level, without->base.segments[i].level);
    }
    ASSERT_EQ(with->segments.size(), without->segments.size());
    for (std::size_t i = 0; i < with->segments.size(); ++i) {
      Item a = with->segments[i];
      Item b = without->segments[i];
      for (const char* random : {"thread_id", "save_id"}) {  // from the save id, fresh per plan
        a.erase(random);
        b.erase(random);
      }
      EXPECT_EQ(a, b);
    }
    EXPECT_EQ(with->head.at("head_state"), without->head.at("head_state"));
    EXPECT_EQ(with->sha->hex_so_far(), with->base.digest);
  }
  // An append reuses the memo: the segment it writes holds just the new messages.
  auto append = plan_incremental_save(thread, EncodedHistory(thread, appended, kNoLimit, memo_of_stored()),
                                      base, 2, times);
  ASSERT_EQ(append->segments.size(), 1u);
  EXPECT_EQ(append->segments[0].at("message_count").scalar(), "4");
}

TEST(HistoryMemoTest, TheEncodingOfAStateIsTheSameWithAndWithoutAMemo) {
  const std::string thread = "t";
  const AgentStateSnapshot stored = agents::testing::conversation(8, 300);
  auto memo = EncodedHistory(thread, stored, kNoLimit).take_memo(stored, util::Sha256Stream(), "x");
  AgentStateSnapshot next = stored;
  next.messages.push_back(Message::user("one more"));
  EncodedHistory reused(thread, next, kNoLimit, std::move(memo));
  EncodedHistory fresh(thread, next, kNoLimit);
  ASSERT_EQ(reused.size(), fresh.size());
  for (std::size_t i = 0; i < fresh.size(); ++i) EXPECT_EQ(reused.message(i), fresh.message(i));
  EXPECT_EQ(reused.array(0, fresh.size()), fresh.array(0, fresh.size()));
  EXPECT_EQ(reused.json_bytes(), fresh.json_bytes());
  EXPECT_EQ(fresh.json_bytes(), encode_state_json(next).size());
  EXPECT_EQ(reused.memo_count(), stored.messages.size());
  // Too large a state is refused with a memo as without one.
  auto again = EncodedHistory(thread, stored, kNoLimit).take_memo(stored, util::Sha256Stream(), "x");
  EXPECT_THROW(EncodedHistory(thread, next, 100, std::move(again)), StateTooLargeError);
}

}  // namespace
}  // namespace agents::detail
