// JsonValue (include/agents/core/json_value.hpp): a scratchpad value held as the text it was
// stored as until it is read, or as a Json tree.
#include "agents/core/json_value.hpp"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <thread>
#include <vector>

namespace agents {
namespace {

TEST(JsonValue, TakesWhatJsonTakes) {
  JsonValue null_value;
  EXPECT_TRUE(null_value.json().is_null());
  JsonValue number = 3;
  EXPECT_EQ(number.get<int>(), 3);
  JsonValue text = "a";
  EXPECT_EQ(text.get<std::string>(), "a");
  JsonValue object = {{"a", 1}, {"b", {true, nullptr}}};
  EXPECT_EQ(object.at("a"), 1);
  EXPECT_EQ(object.json()["b"][0], true);
  JsonValue tree = Json{{"k", "v"}};
  EXPECT_EQ(tree.at("k"), "v");
  EXPECT_EQ(tree.stored_text(), nullptr);  // never loaded: held as a tree
  std::map<std::string, JsonValue> scratchpad = {{"n", 1}, {"doc", Json{{"x", 2}}}};
  scratchpad["m"] = 2.5;
  EXPECT_EQ(scratchpad.at("n"), 1);
  EXPECT_EQ(scratchpad.at("m"), 2.5);
  EXPECT_EQ(scratchpad.at("doc").at("x"), 2);
  const Json& as_json = scratchpad.at("doc");  // wherever a const Json& is wanted
  EXPECT_EQ(as_json.dump(), R"({"x":2})");
}

TEST(JsonValue, AStoredTextIsKeptWhileReadAndDroppedWhenChanged) {
  JsonValue value = detail::adopt_json_text(R"({"b":[1,2.0,1e300],"a":"x","a":"last"})");
  ASSERT_NE(value.stored_text(), nullptr);
  // Read as nlohmann reads it: sorted keys, a repeated key keeps its last value.
  EXPECT_EQ(value.json().dump(), R"({"a":"last","b":[1,2.0,1e+300]})");
  EXPECT_EQ(value.at("a"), "last");
  ASSERT_NE(value.stored_text(), nullptr);  // reading keeps the text
  EXPECT_EQ(value.dump(), R"({"b":[1,2.0,1e300],"a":"x","a":"last"})");
  value.mutable_json()["c"] = 3;  // a change: the text no longer says what the value is
  EXPECT_EQ(value.stored_text(), nullptr);
  EXPECT_EQ(value.dump(), R"({"a":"last","b":[1,2.0,1e+300],"c":3})");
}

TEST(JsonValue, ComparesValuesNotTexts) {
  JsonValue stored = detail::adopt_json_text(R"({"b":2,"a":1})");
  JsonValue same_text = detail::adopt_json_text(R"({"b":2,"a":1})");
  JsonValue other_order = detail::adopt_json_text(R"({"a":1,"b":2})");
  JsonValue tree = Json{{"a", 1}, {"b", 2}};
  EXPECT_EQ(stored, same_text);
  EXPECT_EQ(stored, other_order);
  EXPECT_EQ(stored, tree);
  EXPECT_EQ(stored, (Json{{"a", 1}, {"b", 2}}));
  EXPECT_NE(stored, detail::adopt_json_text(R"({"a":1,"b":3})"));
  EXPECT_NE(stored, JsonValue(Json{{"a", 1}}));
  EXPECT_EQ(detail::adopt_json_text("3"), 3);
  EXPECT_EQ(detail::adopt_json_text(R"("s")"), "s");
  EXPECT_NE(detail::adopt_json_text("3"), "3");
}

TEST(JsonValue, CopiesAreIndependentAndMovesLeaveNull) {
  JsonValue original = detail::adopt_json_text(R"({"a":[1]})");
  JsonValue copy = original;
  ASSERT_NE(copy.stored_text(), nullptr);
  EXPECT_EQ(*copy.stored_text(), *original.stored_text());
  copy.mutable_json()["a"].push_back(2);
  EXPECT_EQ(original.dump(), R"({"a":[1]})");
  EXPECT_EQ(copy.dump(), R"({"a":[1,2]})");
  JsonValue tree = Json::array({1, 2});
  JsonValue tree_copy = tree;
  tree_copy.mutable_json().push_back(3);
  EXPECT_EQ(tree.json().size(), 2u);
  copy = tree;  // copy assignment replaces the text too
  EXPECT_EQ(copy.stored_text(), nullptr);
  EXPECT_EQ(copy, Json::array({1, 2}));
  JsonValue moved = std::move(original);
  EXPECT_EQ(moved.dump(), R"({"a":[1]})");
  EXPECT_TRUE(original.json().is_null());  // NOLINT(bugprone-use-after-move): defined as null
  moved = std::move(tree_copy);
  EXPECT_EQ(moved, Json::array({1, 2, 3}));
}

TEST(JsonValue, ManyThreadsReadOneStoredValue) {
  std::string text = "[";
  for (int i = 0; i < 2000; ++i) text += (i ? "," : "") + std::to_string(i);
  text += "]";
  const JsonValue value = detail::adopt_json_text(text);
  std::vector<const Json*> seen(8, nullptr);
  std::vector<std::thread> readers;
  for (std::size_t t = 0; t < seen.size(); ++t) {
    readers.emplace_back([&, t] { seen[t] = &value.json(); });
  }
  for (auto& r : readers) r.join();
  for (const Json* j : seen) {
    EXPECT_EQ(j, seen.front());  // one tree kept, whichever reader parsed first
    EXPECT_EQ(j->size(), 2000u);
  }
  EXPECT_EQ(value.json().back(), 1999);
}

TEST(JsonValue, PrintsCompactJson) {
  std::ostringstream out;
  out << detail::adopt_json_text(R"({"z":1,"a":2})") << ' ' << JsonValue(Json{{"z", 1}, {"a", 2}});
  EXPECT_EQ(out.str(), R"({"z":1,"a":2} {"a":2,"z":1})");
}

}  // namespace
}  // namespace agents
