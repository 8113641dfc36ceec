// Hostile stored data beyond tests/integration/dynamodb_checkpointer_test.cpp's 22 corrupt items:
// invalid UTF-8 inside compressed state bytes, chunk counts that lie with real chunks present, deep
// nesting in messages, numbers out of range, and a head naming a billion chunks. Each load gives
// CorruptStateError naming the attribute, nothing crashes, nothing stored is overwritten, and the
// other operations (saves, list, delete) fail typed or proceed, never throw anything untyped.
#include <gtest/gtest.h>
#include <zstd.h>

#include <atomic>
#include <chrono>
#include <functional>

#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "reliability/reliability_states.hpp"
#include "support/dynamodb_fixture.hpp"

namespace agents {
namespace {

using agents::testing::LocalServer;
using dynamodb::Item;
using V = dynamodb::AttributeValue;

std::string zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3));
  return out;
}

std::string nested(std::size_t depth, const std::string& leaf = "1") {
  return std::string(depth, '[') + leaf + std::string(depth, ']');
}

class HostileItems : public agents::testing::LocalTableTest {
 protected:
  HostileItems() : LocalTableTest("hostile") {}

  void SetUp() override {
    LocalTableTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    cp_ = local_checkpointer();
    cp_->with_observer([this](const dynamodb::CallEvent& e) {
      if (e.operation == "DeleteItem") ++deletes_;
    });
  }

  Item raw(const std::string& thread_id) {
    auto got = client_->get_item(
        {.table = table_, .key = {{"thread_id", V::S(thread_id)}}, .consistent_read = true});
    EXPECT_TRUE(got.ok()) << got.status().message();
    return got.ok() ? got->item.value_or(Item{}) : Item{};
  }
  void put_raw(Item item) {
    auto r = client_->put_item({.table = table_, .item = std::move(item)});
    ASSERT_TRUE(r.ok()) << r.status().message();
  }
  Item head(const std::string& thread_id, Item extra) {
    Item item{
        {"thread_id", V::S(thread_id)}, {"updated_at", V::S("2024-01-01T00:00:00Z")}, {"version", V::N(5)}};
    for (auto& [k, v] : extra) item.insert_or_assign(k, v);
    return item;
  }
  // A real chunked save; returns its head.
  Item chunked_save(const std::string& thread_id) {
    cp_->save_state(thread_id, agents::testing::versioned_state(thread_id, 1, 1'100'000));
    Item h = raw(thread_id);
    EXPECT_GE(std::stoi(h.at("chunk_count").scalar()), 2);
    return h;
  }

  // The load fails with CorruptStateError naming `attribute`, and the stored item is unchanged.
  void expect_corrupt(const std::string& thread_id, const std::string& attribute, bool expired = false) {
    Item before = raw(thread_id);
    try {
      cp_->load_state(thread_id);
      ADD_FAILURE() << thread_id << ": loaded a hostile item";
    } catch (const CorruptStateError& e) {
      EXPECT_EQ(e.thread_id(), thread_id);
      EXPECT_EQ(e.attribute(), attribute) << e.what();
      EXPECT_NE(std::string(e.what()).find("'" + attribute + "'"), std::string::npos) << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << thread_id << ": not a CorruptStateError: " << e.what();
    }
    EXPECT_EQ(raw(thread_id), before) << "the load changed the stored item";
    // A save that expects no thread there must not overwrite it either (it fails as a conflict,
    // or as corrupt when the conflict's report cannot read the stored version). A TTL in the past
    // is the exception: an expired thread counts as absent.
    if (expired) return;
    try {
      cp_->save_state(thread_id, {}, SavePrecondition::must_not_exist());
      ADD_FAILURE() << thread_id << ": a save that must create the thread overwrote it";
    } catch (const ConflictError&) {
    } catch (const CorruptStateError&) {
    }
    EXPECT_EQ(raw(thread_id), before);
  }

  // Whatever the operation does with a hostile item, it fails typed or succeeds.
  template <typename F>
  void typed_or_ok(const std::string& what, F&& f) {
    try {
      f();
    } catch (const Error&) {
    } catch (const std::exception& e) {
      ADD_FAILURE() << what << ": untyped exception " << typeid(e).name() << ": " << e.what();
    }
  }

  std::shared_ptr<DynamoDbCheckpointer> cp_;
  std::atomic<int> deletes_{0};
};

TEST_P(HostileItems, InvalidUtf8InsideCompressedStateBytes) {
  const std::string bad = "{\"todos\":[],\"files\":{\"f\":\"\xC3\x28\xFF\xFE\"},\"scratchpad\":{}}";
  put_raw(head("utf8-compressed", {{"state_zstd", V::B(zstd(bad))}}));
  expect_corrupt("utf8-compressed", "state_zstd");
  // A lone surrogate escape is valid JSON syntax but no UTF-8 text: it must not load either.
  put_raw(head("surrogate", {{"state_zstd", V::B(zstd(R"({"files":{"f":"\ud800"}})"))}}));
  expect_corrupt("surrogate", "state_zstd");
}

TEST_P(HostileItems, InvalidUtf8InsideChunkData) {
  std::string bad = "{\"files\":{\"f\":\"" + std::string(1000, 'a') + "\xED\xA0\x80\"}}";  // CESU surrogate
  std::string z = zstd(bad);
  put_raw({{"thread_id", V::S("utf8-chunks#chunk#abcdabcdabcdabcd#0")},
           {"chunk_of", V::S("utf8-chunks")},
           {"save_id", V::S("abcdabcdabcdabcd")},
           {"chunk_index", V::N(0)},
           {"data", V::B(z)}});
  put_raw(head("utf8-chunks", {{"chunk_count", V::N(1)},
                               {"state_bytes", V::N(static_cast<long long>(z.size()))},
                               {"save_id", V::S("abcdabcdabcdabcd")}}));
  expect_corrupt("utf8-chunks", "data");
}

TEST_P(HostileItems, ChunkCountLyingUpwardWithRealChunks) {
  Item h = chunked_save("lying-up");
  h["chunk_count"] = V::N(std::stoll(h.at("chunk_count").scalar()) + 1);
  put_raw(h);
  expect_corrupt("lying-up", "chunk_count");
}

TEST_P(HostileItems, ChunkCountLyingDownwardWithRealChunks) {
  Item h = chunked_save("lying-down");
  h["chunk_count"] = V::N(std::stoll(h.at("chunk_count").scalar()) - 1);
  put_raw(h);  // state_bytes now exceeds what the fewer chunks can hold
  expect_corrupt("lying-down", "state_bytes");
  // ... and with state_bytes lowered to match: a truncated zstd frame.
  std::int64_t count = std::stoll(h.at("chunk_count").scalar());
  h["state_bytes"] = V::N(count * 396 * 1024);
  put_raw(h);
  expect_corrupt("lying-down", "data");
}

TEST_P(HostileItems, StateBytesLyingWithRealChunks) {
  Item h = chunked_save("bytes-lie");
  h["state_bytes"] = V::N(std::stoll(h.at("state_bytes").scalar()) - 1);
  put_raw(h);
  expect_corrupt("bytes-lie", "state_bytes");
}

TEST_P(HostileItems, DeepNestingInMessages) {
  const std::vector<std::pair<std::string, std::string>> states = {
      {"messages-array", "{\"messages\":" + nested(100'000) + "}"},
      {"messages-content", "{\"messages\":[{\"role\":\"user\",\"content\":" + nested(5'000) + "}]}"},
      {"messages-tool-args",
       "{\"messages\":[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c\",\"type\":"
       "\"function\","
       "\"function\":{\"name\":\"f\",\"arguments\":" +
           nested(50'000) + "}}]}]}"},
      {"interrupt-args", "{\"pending_interrupts\":[{\"tool_name\":\"t\",\"tool_args\":{\"a\":" + nested(900) +
                             "},\"created_at\":\"x\",\"call_id\":\"c\"}]}"},
      {"scratchpad-objects", "{\"scratchpad\":{\"x\":" + std::string(200'000, '{') + "}}"},
  };
  for (const auto& [name, json] : states) {
    SCOPED_TRACE(name);
    if (json.size() < 300'000) {
      put_raw(head("plain-" + name, {{"state", V::S(json)}}));
      expect_corrupt("plain-" + name, "state");
    }
    put_raw(head("zstd-" + name, {{"state_zstd", V::B(zstd(json))}}));
    expect_corrupt("zstd-" + name, "state_zstd");
  }
}

TEST_P(HostileItems, NumbersOutOfRangeFailTypedEverywhere) {
  const std::string good = encode_state_json(agents::testing::versioned_state("n", 1, 10));
  put_raw(head("huge-version", {{"state", V::S(good)}, {"version", V::N("123456789012345678901234567890")}}));
  expect_corrupt("huge-version", "version");
  put_raw(head("huge-ttl", {{"state", V::S(good)}, {"ttl", V::N("99999999999999999999999")}}));
  expect_corrupt("huge-ttl", "ttl");
  put_raw(head("negative-ttl", {{"state", V::S(good)}, {"ttl", V::N("-99999999999999999999999")}}));
  expect_corrupt("negative-ttl", "ttl", /*expired=*/true);
  put_raw(
      head("fraction-count",
           {{"chunk_count", V::N("1.5")}, {"state_bytes", V::N(10)}, {"save_id", V::S("0123456789abcdef")}}));
  expect_corrupt("fraction-count", "chunk_count");
  // Saves without a load read the stored version first; list and delete read heads too.
  for (const char* id : {"huge-version", "huge-ttl", "negative-ttl", "fraction-count"}) {
    SCOPED_TRACE(id);
    typed_or_ok("blind save", [&] { cp_->save_state(id, {}); });
  }
  typed_or_ok("list", [&] { cp_->list_threads(); });
  put_raw(
      head("huge-version-2", {{"state", V::S(good)}, {"version", V::N("123456789012345678901234567890")}}));
  typed_or_ok("list", [&] { cp_->list_threads(); });
  typed_or_ok("delete", [&] { cp_->delete_thread("huge-version-2"); });
}

TEST_P(HostileItems, DeletingAHeadThatNamesABillionChunksStaysBounded) {
  put_raw(head("billion", {{"chunk_count", V::N(1'000'000'000)},
                           {"state_bytes", V::N(10)},
                           {"save_id", V::S("0123456789abcdef")}}));
  expect_corrupt("billion", "chunk_count");
  deletes_ = 0;
  const auto started = std::chrono::steady_clock::now();
  typed_or_ok("delete", [&] { cp_->delete_thread("billion"); });
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
  EXPECT_LE(deletes_.load(), 101) << "delete_thread trusted a hostile chunk_count";
  put_raw(head("count-overflow", {{"chunk_count", V::N("99999999999999999999999")},
                                  {"state_bytes", V::N(10)},
                                  {"save_id", V::S("0123456789abcdef")}}));
  typed_or_ok("delete", [&] { cp_->delete_thread("count-overflow"); });
  typed_or_ok("orphans", [&] { cp_->remove_orphaned_chunks_and_segments("count-overflow"); });
}

INSTANTIATE_TEST_SUITE_P(Servers, HostileItems,
                         ::testing::Values(agents::testing::kDynamoDbLocal, agents::testing::kDynalite),
                         agents::testing::server_test_name);

}  // namespace
}  // namespace agents
