// Free-form JSON inside a state: scratchpad values kept as the text they were stored as until read
// (JsonValue, ADR 0008; src/checkpoint/json_spans.cpp), tool arguments decoded into
// nlohmann::json (src/checkpoint/json_value.cpp); both written back byte for byte.
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

TEST(FreeFormJson, ReadKeysComeBackSortedAndARepeatedKeyKeepsItsLastValue) {
  auto decoded = decode_state_json(
      R"({"scratchpad":{"x":{"b":[1,{"z":true,"a":null}],"a":"first","c":2.5,"a":"last"}}})");
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  const Json& x = decoded->scratchpad.at("x");
  EXPECT_EQ(x.at("a"), "last");
  EXPECT_EQ(x.size(), 3u);
  EXPECT_EQ(x.dump(), R"({"a":"last","b":[1,{"a":null,"z":true}],"c":2.5})");
}

// A loaded value that is not changed is saved as it was stored (ADR 0008): the same bytes, so a
// state written by another writer keeps its form, and no tree is built to write it.
TEST(FreeFormJson, AnUnchangedValueIsWrittenBackAsStored) {
  const std::string stored = R"({"todos":[],"files":{},"scratchpad":{"n":[1e300,2.0,-0.5E-3],)"
                             R"("x":{"b":[1,{"z":true,"a":null}],"a":"first","c":2.5,"a":"last"}}})";
  auto decoded = decode_state_json(stored);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(encode_state_json(*decoded), stored);
  ASSERT_NE(decoded->scratchpad.at("n").stored_text(), nullptr);
  EXPECT_EQ(*decoded->scratchpad.at("n").stored_text(), "[1e300,2.0,-0.5E-3]");
  // Changed, it is written from its tree: sorted keys, numbers as nlohmann prints them.
  decoded->scratchpad.at("x").mutable_json()["d"] = 4;
  EXPECT_EQ(encode_state_json(*decoded), R"({"todos":[],"files":{},"scratchpad":{"n":[1e300,2.0,-0.5E-3],)"
                                         R"("x":{"a":"last","b":[1,{"a":null,"z":true}],"c":2.5,"d":4}}})");
}

TEST(FreeFormJson, PrettyPrintedValuesAreStoredCompactAndStringsKeepTheirSpaces) {
  auto decoded = decode_state_json(
      "{ \"scratchpad\" : {\n  \"x\" : { \"a\" : [ 1 , \"b c\" ] ,\n \"d\":\t{} } ,\n  \"y\" : \" s \"\n "
      "}\n}");
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ASSERT_NE(decoded->scratchpad.at("x").stored_text(), nullptr);
  EXPECT_EQ(*decoded->scratchpad.at("x").stored_text(), R"({"a":[1,"b c"],"d":{}})");
  EXPECT_EQ(*decoded->scratchpad.at("y").stored_text(), R"(" s ")");
  EXPECT_EQ(decoded->scratchpad.at("x").at("a").at(1), "b c");
}

// Values are found in the text in step with the parse: strings holding quotes, backslashes and
// brackets, members in any order, the messages before the scratchpad, an escaped key, and a
// scratchpad given twice (its members merge, as they always did).
TEST(FreeFormJson, EveryValueIsFoundInTheTextWhateverItHolds) {
  // s holds  a\"}]{[,  (a backslash, a quote, brackets, a comma); t holds one backslash.
  const std::string tricky = R"({"s":"a\\\"}]{[,","t":"\\","u":["]",{"v":"}"}],"w":"\u0041"})";
  auto decoded = decode_state_json(R"({"messages":[{"role":"user","content":"{\"scratchpad\":1}"}],)"
                                   R"("scr\u0061tchpad":{"x":)" +
                                   tricky +
                                   R"(,"y":[1],"z":-12.5e+2,"t":true,"n":null},"todos":[],)"
                                   R"("scratchpad":{"more":"yes","y":[2]}})");
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  const auto& pad = decoded->scratchpad;
  ASSERT_EQ(pad.size(), 6u);
  EXPECT_EQ(*pad.at("x").stored_text(), tricky);
  EXPECT_EQ(pad.at("x").at("s"), "a\\\"}]{[,");
  EXPECT_EQ(pad.at("x").at("t"), "\\");
  EXPECT_EQ(pad.at("x").at("w"), "A");
  EXPECT_EQ(*pad.at("y").stored_text(), "[2]");  // the second scratchpad's
  EXPECT_EQ(*pad.at("z").stored_text(), "-12.5e+2");
  EXPECT_EQ(pad.at("t"), true);
  EXPECT_TRUE(pad.at("n").json().is_null());
  EXPECT_EQ(pad.at("more"), "yes");
  EXPECT_EQ(decoded->messages.at(0).content, "{\"scratchpad\":1}");
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
  auto nested = [](int depth) { return std::string(depth, '[') + "1" + std::string(depth, ']'); };
  for (int depth : {129, 200}) {
    auto decoded = decode_state_json(R"({"scratchpad":{"ok":1,"deep":)" + nested(depth) + "}}");
    ASSERT_FALSE(decoded.ok()) << depth;
    EXPECT_EQ(decoded.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(decoded.status().message(), "state: scratchpad['deep']: JSON nested too deeply");
  }
  auto at_the_limit = decode_state_json(R"({"scratchpad":{"deep":)" + nested(128) + "}}");
  ASSERT_TRUE(at_the_limit.ok()) << at_the_limit.status().message();
  EXPECT_EQ(at_the_limit->scratchpad.at("deep").dump(), nested(128));
}

}  // namespace
}  // namespace agents
