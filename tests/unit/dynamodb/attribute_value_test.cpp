#include "agents/dynamodb/attribute_value.hpp"

#include <gtest/gtest.h>

#include "dynamodb/json_codec.hpp"
#include "util/base64.hpp"

namespace agents::dynamodb {
namespace {

using V = AttributeValue;

TEST(ItemSize, CountsNamesAndValuesAsDynamoDbDoes) {
  // The developer guide's example: {"shirt-color":"R","shirt-size":"M"} is 23 bytes.
  EXPECT_EQ(item_size({{"shirt-color", V::S("R")}, {"shirt-size", V::S("M")}}), 23u);
  EXPECT_EQ(item_size({{"s", V::S("日本")}}), 1u + 6u);  // UTF-8 bytes, not characters
  EXPECT_EQ(attribute_size(V::Bool(true)), 1u);
  EXPECT_EQ(attribute_size(V::Null()), 1u);
  EXPECT_EQ(attribute_size(V::B(std::string(10, '\0'))), 10u);  // raw bytes, not base64
  EXPECT_EQ(attribute_size(V::N("12345")), 4u);                 // 1|23|45: 3 pairs + 1
  EXPECT_EQ(attribute_size(V::L({V::S("ab"), V::S("c")})), 3u + (1 + 2) + (1 + 1));
  EXPECT_EQ(attribute_size(V::M({{"k", V::S("v")}})), 3u + 1 + 1 + 1);
}

// Sizes measured on DynamoDB Local and dynalite (the largest string that still fits beside the
// number in a 409,600-byte item); both servers agree on every one of these.
TEST(ItemSize, CountsNumbersAsBase100PairsAlignedOnTheDecimalPoint) {
  const std::vector<std::pair<std::string, std::size_t>> sizes = {
      {"0", 1},
      {"-0", 1},
      {"0.00", 1},
      {"1", 2},
      {"5", 2},
      {"-5", 3},  // a negative number has a terminator byte
      {"-1", 3},
      {"9", 2},
      {"10", 2},
      {"11", 2},
      {"99", 2},
      {"100", 2},  // 1|00: trailing zero pairs are not stored
      {"101", 3},
      {"110", 3},  // 1|10
      {"190", 3},
      {"199", 3},
      {"-110", 4},
      {"123", 3},
      {"125", 3},
      {"1234", 3},   // 12|34
      {"12340", 4},  // 1|23|40
      {"000123", 3},
      {"1.5", 3},  // 1.|50
      {"1.25", 3},
      {"12.5", 3},
      {"0.1", 2},
      {"0.01", 2},
      {"0.001", 2},  // .00|10
      {"0.125", 3},
      {"-0.05", 3},
      {"-0.5", 3},
      {"123.4500", 4},
      {"1E+5", 2},
      {"1e5", 2},
      {"1E+6", 2},
      {"12E+3", 3},  // 1|20|00
      {"1E-5", 2},
      {"1E-6", 2},
      {"1E+125", 2},
      {"1E-129", 2},
      {"123456789012345678901234567890123456", 19},
      {"12345678901234567890123456789012345678", 20},
      {"-12345678901234567890123456789012345678", 21},
      {"99999999999999999999999999999999999999", 20},
      {"9.9999999999999999999999999999999999999E+125", 20},
      {"+5", 2},  // DynamoDB Local accepts a '+' (dynalite rejects it)
  };
  for (const auto& [number, size] : sizes) EXPECT_EQ(attribute_size(V::N(number)), size) << number;
  EXPECT_EQ(attribute_size(V::NS({"110", "-5", "0"})), 3u + 3u + 1u);
  EXPECT_EQ(attribute_size(V::M({{"n", V::N("12340")}})), 3u + 1 + 1 + 4);
}

TEST(AttributeValue, CopiesAreDeepAndCompareByValue) {
  V a = V::M({{"l", V::L({V::N(1), V::S("x")})}});
  V b = a;
  EXPECT_EQ(a, b);
  b = V::M({{"l", V::L({V::N(2)})}});
  EXPECT_NE(a, b);
  EXPECT_EQ(a.map().at("l").list().size(), 2u);
}

TEST(Base64, RoundTripsAllPaddings) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    std::string decoded;
    ASSERT_TRUE(util::base64_decode(util::base64_encode(s), decoded));
    EXPECT_EQ(decoded, s);
  }
  std::string out;
  EXPECT_FALSE(util::base64_decode("abc", out));
}

// The item of a PutItem body, read back as a GetItem answer's item would be.
Item item_of(const std::string& body) {
  simdjson::dom::element doc;
  EXPECT_FALSE(detail::thread_parser().parse(body).get(doc));
  Item parsed;
  std::string error;
  EXPECT_TRUE(detail::parse_item(doc["Item"].value(), parsed, error)) << error;
  return parsed;
}

TEST(JsonCodec, WritesCompactRequestsAndParsesItemsBack) {
  Item item{{"thread_id", V::S("t\"1\n")}, {"n", V::N("1.5")}, {"b", V::B("hi")}, {"ok", V::Bool(false)}};
  std::string body =
      detail::encode_put_item({.table = "tbl",
                               .item = item,
                               .conditions = {.condition = "#v = :v",
                                              .attributes = {{{"#v", "version"}}, {{":v", V::N(3)}}},
                                              .return_consumed_capacity = true}});
  EXPECT_EQ(
      body,
      R"({"TableName":"tbl","Item":{"b":{"B":"aGk="},"n":{"N":"1.5"},"ok":{"BOOL":false},"thread_id":{"S":"t\"1\n"}},)"
      R"("ConditionExpression":"#v = :v","ExpressionAttributeNames":{"#v":"version"},)"
      R"("ExpressionAttributeValues":{":v":{"N":"3"}},"ReturnConsumedCapacity":"TOTAL"})");
  EXPECT_EQ(item_of(body), item);
}

// A stored state is parsed again by the checkpointer; long strings come back with the parser's
// padding spare so that parse reads them in place (docs/benchmarks.md).
TEST(JsonCodec, LongStringsComeBackWithRoomForTheParsersPadding) {
  const std::string state = R"({"messages":[{"role":"user","content":")" + std::string(8000, 'x') + R"("}]})";
  Item item{{"state", V::S(state)}, {"id", V::S("short")}};
  const Item parsed = item_of(detail::encode_put_item({.table = "tbl", .item = item}));
  ASSERT_EQ(parsed, item);
  const std::string& text = parsed.at("state").scalar();
  EXPECT_GE(text.capacity(), text.size() + simdjson::SIMDJSON_PADDING);
}

TEST(JsonCodec, RejectsMalformedAttributeValuesWithAReason) {
  for (const char* bad : {R"({"a":{"S":1}})", R"({"a":{"X":"1"}})", R"({"a":{"S":"x","N":"1"}})",
                          R"({"a":{"B":"***"}})", R"({"a":{"SS":[1]}})", R"({"a":"plain"})"}) {
    simdjson::dom::element doc;
    ASSERT_FALSE(detail::thread_parser().parse(std::string(bad)).get(doc));
    Item parsed;
    std::string error;
    EXPECT_FALSE(detail::parse_item(doc, parsed, error)) << bad;
    EXPECT_NE(error.find("attribute 'a'"), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace agents::dynamodb
