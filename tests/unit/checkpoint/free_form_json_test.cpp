// Free-form JSON inside a state (scratchpad values, tool arguments): decoded from the stored text
// into nlohmann::json and written back byte for byte (src/checkpoint/json_value.cpp).
#include <gtest/gtest.h>

#include <string>

#include "../../support/sample_states.hpp"
#include "agents/checkpoint/state.hpp"

namespace agents {
namespace {

TEST(FreeFormJson, ADocumentRoundTripsByteForByte) {
  const AgentStateSnapshot document = testing::free_form_document(64 * 1024);
  const std::string text = encode_state_json(document);
  auto decoded = decode_state_json(text);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, document);
  EXPECT_EQ(encode_state_json(*decoded), text);
}

TEST(FreeFormJson, KeysComeBackSortedAndARepeatedKeyKeepsItsLastValue) {
  auto decoded = decode_state_json(
      R"({"scratchpad":{"x":{"b":[1,{"z":true,"a":null}],"a":"first","c":2.5,"a":"last"}}})");
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  const Json& x = decoded->scratchpad.at("x");
  EXPECT_EQ(x.at("a"), "last");
  EXPECT_EQ(x.size(), 3u);
  EXPECT_EQ(x.dump(), R"({"a":"last","b":[1,{"a":null,"z":true}],"c":2.5})");
  EXPECT_EQ(encode_state_json(*decoded),
            R"({"todos":[],"files":{},"scratchpad":{"x":{"a":"last","b":[1,{"a":null,"z":true}],"c":2.5}}})");
}

TEST(FreeFormJson, NumbersKeepTheirKindAndStringsTheirBytes) {
  auto decoded = decode_state_json(
      R"({"scratchpad":{"n":[-3,18446744073709551615,0.1,1e300,2.0],"s":"é \"q\" \\ \u0001 日本"}})");
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  const Json& n = decoded->scratchpad.at("n");
  EXPECT_TRUE(n[0].is_number_integer());
  EXPECT_TRUE(n[1].is_number_unsigned());
  EXPECT_EQ(n[1].get<std::uint64_t>(), 18446744073709551615u);
  EXPECT_DOUBLE_EQ(n[2].get<double>(), 0.1);
  EXPECT_EQ(decoded->scratchpad.at("s").get<std::string>(), "é \"q\" \\ \x01 日本");
  auto again = decode_state_json(encode_state_json(*decoded));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *decoded);
}

TEST(FreeFormJson, NestingDeeperThanTheLimitIsATypedErrorNamingTheValue) {
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "[";
  for (int i = 0; i < 200; ++i) deep += "]";
  auto decoded = decode_state_json(R"({"scratchpad":{"deep":)" + deep + "}}");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(decoded.status().message().find("scratchpad['deep']"), std::string::npos)
      << decoded.status().message();
}

}  // namespace
}  // namespace agents
