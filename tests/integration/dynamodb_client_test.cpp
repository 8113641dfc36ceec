// The DynamoDB client against the real local servers: every operation each server supports,
// and a clear typed error for what it does not.
#include <gtest/gtest.h>

#include <algorithm>

#include "support/dynamodb_fixture.hpp"

namespace agents::dynamodb {
namespace {

using agents::testing::LocalServer;
using V = AttributeValue;

class DynamoDbClientTest : public ::testing::TestWithParam<LocalServer> {
 protected:
  void SetUp() override {
    AGENTS_REQUIRE_LOCAL_SERVER(GetParam(), endpoint);
    is_dynalite_ = GetParam().name == "Dynalite";
    client_ = agents::testing::make_local_client(endpoint, {.observer = [this](const CallEvent& e) {
                                                   std::lock_guard lock(mu_);
                                                   events_.push_back(e);
                                                 }});
    table_ = agents::testing::unique_table_name("client");
    agents::testing::create_table_and_wait(
        *client_, {.table = table_, .partition_key = {"pk", "S"}, .sort_key = KeyAttribute{"sk", "N"}});
  }

  Item key(const std::string& pk, long long sk) { return {{"pk", V::S(pk)}, {"sk", V::N(sk)}}; }

  bool is_dynalite_ = false;
  std::shared_ptr<DynamoDbClient> client_;
  std::string table_;
  std::mutex mu_;
  std::vector<CallEvent> events_;
};

TEST_P(DynamoDbClientTest, PutThenConsistentGetReturnsEveryAttributeType) {
  Item item = key("types", 1);
  item["s"] = V::S("héllo \"quoted\" \n 日本 🎉");
  item["n"] = V::N("12345678901234567890.123456789");  // beyond double precision: kept as text
  item["b"] = V::B(std::string("\0\x01\xff binary", 10));
  item["t"] = V::Bool(true);
  item["z"] = V::Null();
  item["m"] = V::M({{"inner", V::L({V::S("a"), V::N(2), V::M({{"deep", V::Bool(false)}})})}});
  item["ss"] = V::SS({"x", "y"});
  item["ns"] = V::NS({"1", "2.5"});
  item["bs"] = V::BS({std::string("\x00\x01", 2), "zz"});
  auto put = client_->put_item({.table = table_, .item = item});
  ASSERT_TRUE(put.ok()) << put.status().message();
  EXPECT_FALSE(put->condition_failed);

  auto got = client_->get_item({.table = table_, .key = key("types", 1), .consistent_read = true});
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_TRUE(got->item.has_value());
  Item stored = *got->item;
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  for (const char* set_name : {"ss", "ns", "bs"}) {  // sets have no order
    EXPECT_EQ(sorted(stored[set_name].set()), sorted(item[set_name].set())) << set_name;
    stored.erase(set_name);
    item.erase(set_name);
  }
  EXPECT_EQ(stored, item);
}

TEST_P(DynamoDbClientTest, GetOfAbsentItemHasNoItemAndProjectionLimitsAttributes) {
  auto missing = client_->get_item({.table = table_, .key = key("absent", 1), .consistent_read = true});
  ASSERT_TRUE(missing.ok()) << missing.status().message();
  EXPECT_FALSE(missing->item.has_value());

  Item item = key("p", 1);
  item["keep"] = V::S("k");
  item["drop"] = V::S("d");
  ASSERT_TRUE(client_->put_item({.table = table_, .item = item}).ok());
  auto got = client_->get_item({.table = table_,
                                .key = key("p", 1),
                                .consistent_read = true,
                                .projection = "#k",
                                .names = {{"#k", "keep"}}});
  ASSERT_TRUE(got.ok() && got->item);
  EXPECT_EQ(got->item->size(), 1u);
  EXPECT_EQ(got->item->at("keep").scalar(), "k");
}

TEST_P(DynamoDbClientTest, ConditionalPutFailsAsDataNotAsFault) {
  WriteConditions only_if_absent{.condition = "attribute_not_exists(pk)",
                                 .return_item_on_condition_failure = true};
  Item item = key("cond", 1);
  item["v"] = V::N(1);
  auto first = client_->put_item({.table = table_, .item = item, .conditions = only_if_absent});
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_FALSE(first->condition_failed);

  item["v"] = V::N(2);
  auto second = client_->put_item({.table = table_, .item = item, .conditions = only_if_absent});
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_TRUE(second->condition_failed);
  EXPECT_FALSE(second->in_doubt);
  if (is_dynalite_) {
    EXPECT_FALSE(second->item.has_value());  // dynalite 4.0.0 does not return the stored item
  } else {
    ASSERT_TRUE(second->item.has_value());
    EXPECT_EQ(second->item->at("v").scalar(), "1");
  }
  auto stored = client_->get_item({.table = table_, .key = key("cond", 1), .consistent_read = true});
  EXPECT_EQ(stored->item->at("v").scalar(), "1");  // the failed write changed nothing
}

TEST_P(DynamoDbClientTest, UpdateItemAddsAndReturnsNewValues) {
  for (int i = 1; i <= 3; ++i) {
    auto r = client_->update_item({.table = table_,
                                   .key = key("counter", 1),
                                   .update_expression = "ADD #c :one",
                                   .conditions = {.attributes = {{{"#c", "count"}}, {{":one", V::N(1)}}}},
                                   .return_values = "ALL_NEW"});
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_TRUE(r->item.has_value());
    EXPECT_EQ(r->item->at("count").scalar(), std::to_string(i));
  }
}

TEST_P(DynamoDbClientTest, DeleteWithConditionAndOldItem) {
  Item item = key("del", 1);
  item["v"] = V::N(7);
  ASSERT_TRUE(client_->put_item({.table = table_, .item = item}).ok());
  auto refused =
      client_->delete_item({.table = table_,
                            .key = key("del", 1),
                            .conditions = {.condition = "v = :x", .attributes = {{}, {{":x", V::N(8)}}}}});
  ASSERT_TRUE(refused.ok());
  EXPECT_TRUE(refused->condition_failed);
  auto deleted = client_->delete_item({.table = table_, .key = key("del", 1), .return_old_item = true});
  ASSERT_TRUE(deleted.ok()) << deleted.status().message();
  ASSERT_TRUE(deleted->item.has_value());
  EXPECT_EQ(deleted->item->at("v").scalar(), "7");
  EXPECT_FALSE(client_->get_item({.table = table_, .key = key("del", 1), .consistent_read = true})->item);
}

TEST_P(DynamoDbClientTest, QueryPagesThroughOnePartitionInOrder) {
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(client_->put_item({.table = table_, .item = key("q", i)}).ok());
  ASSERT_TRUE(client_->put_item({.table = table_, .item = key("other", 1)}).ok());
  QueryRequest request{.table = table_,
                       .key_condition = "pk = :p",
                       .attributes = {{}, {{":p", V::S("q")}}},
                       .consistent_read = true,
                       .limit = 3,
                       .scan_forward = false};
  std::vector<std::string> seen;
  int pages = 0;
  while (true) {
    auto page = client_->query(request);
    ASSERT_TRUE(page.ok()) << page.status().message();
    ++pages;
    for (const auto& item : page->items) seen.push_back(item.at("sk").scalar());
    if (!page->last_evaluated_key) break;
    request.exclusive_start_key = page->last_evaluated_key;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"6", "5", "4", "3", "2", "1", "0"}));
  EXPECT_GE(pages, 3);
}

TEST_P(DynamoDbClientTest, ParallelScanFindsEveryItem) {
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(client_->put_item({.table = table_, .item = key("scan-" + std::to_string(i), i)}).ok());
  }
  auto all = client_->scan_all({.table = table_, .limit = 7, .total_segments = 4});
  ASSERT_TRUE(all.ok()) << all.status().message();
  EXPECT_EQ(all->size(), 40u);
  auto one_segment = client_->scan_all({.table = table_, .limit = 9});
  ASSERT_TRUE(one_segment.ok());
  EXPECT_EQ(one_segment->size(), 40u);
}

TEST_P(DynamoDbClientTest, BatchGetReadsMoreThanOneHundredKeys) {
  std::vector<Item> keys;
  for (int i = 0; i < 150; ++i) {
    ASSERT_TRUE(client_->put_item({.table = table_, .item = key("batch", i)}).ok());
    keys.push_back(key("batch", i));
  }
  keys.push_back(key("batch-absent", 1));
  auto got = client_->batch_get_item({.table = table_, .keys = keys, .consistent_read = true});
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->items.size(), 150u);
}

TEST_P(DynamoDbClientTest, TransactWriteItemsOrAClearUnsupportedError) {
  TransactWriteRequest tx{
      .items = {{.kind = TransactWriteItem::Kind::kPut, .table = table_, .item = key("tx", 1)},
                {.kind = TransactWriteItem::Kind::kPut,
                 .table = table_,
                 .item = key("tx", 2),
                 .condition = "attribute_not_exists(pk)"}},
      .client_request_token = "token-" + table_};
  auto r = client_->transact_write_items(tx);
  if (is_dynalite_) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kUnsupported);
    EXPECT_NE(r.status().message().find("TransactWriteItems"), std::string::npos) << r.status().message();
    return;
  }
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->condition_failed);
  // Same items, new token: the second put's condition now fails and nothing is written.
  tx.client_request_token = "token2-" + table_;
  tx.items[0].item["extra"] = V::S("not written");
  auto failed = client_->transact_write_items(tx);
  ASSERT_TRUE(failed.ok()) << failed.status().message();
  EXPECT_TRUE(failed->condition_failed);
  EXPECT_EQ(failed->cancellation_reasons, (std::vector<std::string>{"None", "ConditionalCheckFailed"}));
  auto first = client_->get_item({.table = table_, .key = key("tx", 1), .consistent_read = true});
  EXPECT_EQ(first->item->count("extra"), 0u);
}

TEST_P(DynamoDbClientTest, TimeToLiveOrAClearUnsupportedError) {
  auto updated = client_->update_time_to_live(table_, "ttl", true);
  if (is_dynalite_) {
    ASSERT_FALSE(updated.ok());
    EXPECT_EQ(updated.status().code(), ErrorCode::kUnsupported);
    return;
  }
  ASSERT_TRUE(updated.ok()) << updated.status().message();
  auto described = client_->describe_time_to_live(table_);
  ASSERT_TRUE(described.ok()) << described.status().message();
  EXPECT_EQ(described->status, "ENABLED");
  EXPECT_EQ(described->attribute, "ttl");
}

TEST_P(DynamoDbClientTest, DescribeAndListTables) {
  auto d = client_->describe_table(table_);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->name, table_);
  EXPECT_EQ(d->billing_mode, "PAY_PER_REQUEST");
  EXPECT_EQ(d->key_schema,
            (std::vector<std::pair<std::string, std::string>>{{"pk", "HASH"}, {"sk", "RANGE"}}));
  auto tables = client_->list_tables();
  ASSERT_TRUE(tables.ok()) << tables.status().message();
  EXPECT_NE(std::find(tables->begin(), tables->end(), table_), tables->end());
}

TEST_P(DynamoDbClientTest, MissingTableIsNotFoundWithAHint) {
  auto r = client_->get_item({.table = "no-such-table-here", .key = key("a", 1)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(r.status().details().service_code, "ResourceNotFoundException");
  EXPECT_EQ(r.status().details().http_status, 400);
  EXPECT_FALSE(r.status().details().request_id.empty());
  EXPECT_NE(r.status().message().find("agents table create"), std::string::npos);
}

TEST_P(DynamoDbClientTest, ConsumedCapacityAndObserverEvents) {
  Item item = key("cap", 1);
  item["payload"] = V::S(std::string(3000, 'x'));
  auto put =
      client_->put_item({.table = table_, .item = item, .conditions = {.return_consumed_capacity = true}});
  ASSERT_TRUE(put.ok());
  EXPECT_GE(put->consumed_capacity, 3.0);  // 3 KB item: 3 write units
  auto got = client_->get_item(
      {.table = table_, .key = key("cap", 1), .consistent_read = true, .return_consumed_capacity = true});
  ASSERT_TRUE(got.ok());
  EXPECT_GE(got->consumed_capacity, 1.0);
  std::lock_guard lock(mu_);
  ASSERT_GE(events_.size(), 2u);
  const CallEvent& last = events_.back();
  EXPECT_EQ(last.operation, "GetItem");
  EXPECT_EQ(last.table, table_);
  EXPECT_EQ(last.attempts, 1);
  EXPECT_GT(last.bytes_received, 3000u);
  EXPECT_GE(last.consumed_capacity, 1.0);
}

// item_size() must count exactly what the servers count: a layout that plans an item at the
// 409,600-byte limit relies on it. Numbers are the subtle part (base-100 digit pairs aligned on
// the decimal point, one more byte when negative), so each is tried at the limit and one past it.
TEST_P(DynamoDbClientTest, ItemSizeOfNumbersMatchesTheServersLimitExactly) {
  constexpr std::size_t kLimit = 400 * 1024;
  for (const char* number :
       {"110", "190", "12340", "100", "1.5", "0.001", "-5", "-0.05", "-110", "1E+5", "12E+3",
        "123456789012345678901234567890123456", "-12345678901234567890123456789012345678", "0"}) {
    SCOPED_TRACE(number);
    Item item = key("size", 1);
    item["n"] = V::N(number);
    item["pad"] = V::S("");
    item["pad"] = V::S(std::string(kLimit - item_size(item), 'x'));
    ASSERT_EQ(item_size(item), kLimit);
    auto at_limit = client_->put_item({.table = table_, .item = item});
    EXPECT_TRUE(at_limit.ok()) << at_limit.status().message();

    item["pad"] = V::S(item["pad"].scalar() + "x");
    auto past_limit = client_->put_item({.table = table_, .item = item});
    ASSERT_FALSE(past_limit.ok()) << "an item of " << item_size(item) << " bytes was accepted";
    EXPECT_EQ(past_limit.status().details().service_code, "ValidationException");
    EXPECT_NE(past_limit.status().message().find("size"), std::string::npos) << past_limit.status().message();
  }
}

INSTANTIATE_TEST_SUITE_P(Servers, DynamoDbClientTest,
                         ::testing::Values(agents::testing::kDynamoDbLocal, agents::testing::kDynalite),
                         agents::testing::server_test_name);

}  // namespace
}  // namespace agents::dynamodb
