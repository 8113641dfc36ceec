// The format of kept versions (docs/history.md): the head's `versions` list, which versions a
// save keeps, leaves to TTL or prunes, and the version item that keeps a head.
#include "checkpoint/version_history.hpp"

#include <gtest/gtest.h>

#include "agents/core/error.hpp"
#include "checkpoint/generation.hpp"
#include "checkpoint/stored_attributes.hpp"

namespace agents::detail {
namespace {

using V = dynamodb::AttributeValue;

std::vector<KeptVersion> ids(std::initializer_list<const char*> list) {
  std::vector<KeptVersion> out;
  for (const char* id : list) out.push_back({id, std::nullopt});
  return out;
}
std::vector<std::string> names(const std::vector<KeptVersion>& list) {
  std::vector<std::string> out;
  for (const auto& v : list) out.push_back(v.id);
  return out;
}

TEST(KeptVersions, FormatAndParseRoundTripAndDamageKeepsNothing) {
  std::vector<KeptVersion> list = {
      {"00000000000000aa", 1700000000, false}, {"00000000000000bb", std::nullopt, true}, {"cc", 5, true}};
  const std::string text = format_kept_versions(list);
  EXPECT_EQ(text, "00000000000000aa:1700000000 00000000000000bb= cc:5=");
  EXPECT_EQ(parse_kept_versions(text), list);
  EXPECT_EQ(parse_kept_versions(""), std::vector<KeptVersion>{});
  for (const char* bad : {"XYZ", "00aa:", "00aa:12x", "00aa  00bb", "00aa ", "0123456789abcdef0", "=",
                          "00aa:=", "00aa==", "00aa=:5"}) {
    EXPECT_FALSE(parse_kept_versions(bad).has_value()) << bad;
  }
}

TEST(KeptVersions, VersionKeysLiveUnderTheReservedChunkInfixAndUseTheRecordedId) {
  EXPECT_EQ(version_key("t", "0123456789abcdef0123456789abcdef"), "t#chunk#v0123456789abcdef");
  EXPECT_EQ(kept_id_of("0123456789abcdef0123456789abcdef"), "0123456789abcdef");
  EXPECT_THROW(Checkpointer::validate_thread_id(version_key("t", "00aa")), InvalidArgumentError);
}

TEST(KeptVersions, OwnPlusKeepLastStayAndTheRestIsPrunedWithItsNewerNeighbour) {
  auto after = versions_after_save({"n", std::nullopt}, ids({"a", "b", "c", "d"}), 2, std::nullopt);
  EXPECT_EQ(names(after.kept), (std::vector<std::string>{"n", "a", "b"}));
  EXPECT_EQ(names(after.pruned), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(names(after.pruned_successors), (std::vector<std::string>{"b", "c"}));
  EXPECT_TRUE(after.keeps_replaced);
  // The first save with history, or one replacing a head without it.
  after = versions_after_save({"n", std::nullopt}, {}, 2, std::nullopt);
  EXPECT_EQ(names(after.kept), (std::vector<std::string>{"n"}));
  EXPECT_FALSE(after.keeps_replaced);
}

TEST(KeptVersions, AVersionThatWouldExpireUnderTheNewHeadEndsTheKeptOnesAndIsLeftToTtl) {
  // Head expires at 1000. b expires at 900: it and everything older stop being kept; b and d
  // expire on their own, c (no earlier expiry than the head) is pruned now.
  std::vector<KeptVersion> replaced = {{"a", 1500}, {"b", 900}, {"c", 1200}, {"d", 800}};
  auto after = versions_after_save({"n", 2000}, replaced, 10, 1000);
  EXPECT_EQ(names(after.kept), (std::vector<std::string>{"n", "a"}));
  EXPECT_EQ(names(after.pruned), (std::vector<std::string>{"c"}));
  EXPECT_EQ(names(after.pruned_successors), (std::vector<std::string>{"b"}));
  // Kept versions without an expiry, once the thread has one, would outlive it: pruned now.
  after = versions_after_save({"n", 2000}, ids({"a", "b"}), 10, 1000);
  EXPECT_EQ(names(after.kept), (std::vector<std::string>{"n"}));
  EXPECT_EQ(names(after.pruned), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(after.keeps_replaced);
  // Versions with an expiry under a head without one (TTL turned off) expire on their own.
  after = versions_after_save({"n", std::nullopt}, {{"a", 900}}, 10, std::nullopt);
  EXPECT_EQ(names(after.kept), (std::vector<std::string>{"n"}));
  EXPECT_TRUE(after.pruned.empty());
}

TEST(KeptVersions, AVersionItemKeepsTheHeadWholeAndListsWithoutIt) {
  dynamodb::Item head = {{attr::kThreadId, V::S("t")},
                         {attr::kState, V::S(R"({"messages":[]})")},
                         {attr::kUpdatedAt, V::S("2026-12-01T00:00:00.000Z")},
                         {attr::kVersion, V::N(7)},
                         {attr::kSaveId, V::S("0123456789abcdef0123456789abcdef")},
                         {attr::kVersions, V::S("0123456789abcdef")},
                         {attr::kForkedFrom, V::M({{"thread_id", V::S("o")}, {"version", V::N(3)}})}};
  auto item = make_version_item("t", head, {1700000000, 1700007200, 4, 15});
  EXPECT_EQ(item.at(attr::kThreadId).scalar(), "t#chunk#v0123456789abcdef");
  EXPECT_EQ(item.at(attr::kChunkOf).scalar(), "t");
  EXPECT_EQ(item.at(attr::kTtl).scalar(), "1700007200");
  auto back = head_of_version_item("t", item);
  dynamodb::Item expected = head;
  expected.erase(attr::kVersions);
  EXPECT_EQ(back, expected);
  auto listing = read_version_listing("t", item);
  EXPECT_EQ(listing.version, 7);
  EXPECT_EQ(listing.message_count, 4u);
  EXPECT_EQ(listing.state_bytes, 15u);
  EXPECT_EQ(listing.forked_from, (ForkOrigin{"o", 3}));
  item[attr::kHeadZstd] = V::B("not zstd");
  EXPECT_THROW(head_of_version_item("t", item), CorruptStateError);
  item.erase(attr::kHeadZstd);
  EXPECT_THROW(head_of_version_item("t", item), CorruptStateError);
}

}  // namespace
}  // namespace agents::detail
