// Save ids are what the in-doubt check trusts ("the stored head holds my save id, so my save
// landed"): two saves must never draw the same one, not even in processes forked from one parent
// or started with the same seed. And every reader must accept both the new 32-character ids and
// the 16-character ones earlier versions stored.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <unordered_set>

#include "agents/core/error.hpp"
#include "checkpoint/generation.hpp"
#include "checkpoint/incremental_layout.hpp"
#include "checkpoint/item_layout.hpp"
#include "support/sample_states.hpp"

namespace agents::detail {
namespace {

using dynamodb::Item;
using V = dynamodb::AttributeValue;

bool is_lower_hex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(SaveId, Is32LowercaseHexCharacters) {
  for (int i = 0; i < 1000; ++i) {
    std::string id = new_save_id();
    ASSERT_EQ(id.size(), 32u) << id;
    ASSERT_TRUE(is_lower_hex(id)) << id;
    ASSERT_TRUE(is_save_id(id)) << id;
  }
}

TEST(SaveId, HundredThousandIdsAreDistinct) {
  std::unordered_set<std::string> ids;
  for (int i = 0; i < 100000; ++i) ids.insert(new_save_id());
  EXPECT_EQ(ids.size(), 100000u);
}

// A per-thread generator seeded once is copied by fork(): parent and child would then draw the
// same next id (and workers forked from a pre-warmed parent the same sequence).
TEST(SaveId, ParentAndChildOfAForkDrawDifferentIds) {
  std::string before = new_save_id();  // the parent has drawn before forking
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string id = new_save_id();
    ssize_t n = ::write(fds[1], id.data(), id.size());
    ::_exit(n == static_cast<ssize_t>(id.size()) ? 0 : 1);
  }
  ::close(fds[1]);
  std::string parent_id = new_save_id();
  std::string child_id(64, '\0');
  ssize_t got = 0;
  while (got < static_cast<ssize_t>(child_id.size())) {
    ssize_t n = ::read(fds[0], child_id.data() + got, child_id.size() - static_cast<std::size_t>(got));
    if (n <= 0) break;
    got += n;
  }
  ::close(fds[0]);
  child_id.resize(static_cast<std::size_t>(got));
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_NE(child_id, parent_id);
  EXPECT_NE(child_id, before);
  EXPECT_NE(parent_id, before);
  EXPECT_EQ(child_id.size(), 32u) << child_id;
}

// An incremental head as a save writes it, then with its save id and segment ids replaced by
// `save_id` (segment ids "<save_id>-<i>"), as a head of another version would hold them.
Item head_with_save_id(const std::string& save_id) {
  EncodedHistory history("t", testing::conversation(20, 100), 64 * 1024 * 1024);
  auto plan = plan_incremental_save("t", history, std::nullopt, 1, {"2026-01-01T00:00:00.000Z", {}, {}});
  EXPECT_TRUE(plan.has_value());
  if (!plan) return {};
  Item head = plan->head;
  head["save_id"] = V::S(save_id);
  dynamodb::AttributeList segments;
  for (const auto& entry : head.at("segments").list()) {
    auto m = entry.map();
    m["id"] = V::S(save_id + "-" + std::to_string(123456 + segments.size()));  // a long index too
    segments.push_back(V::M(std::move(m)));
  }
  head["segments"] = V::L(std::move(segments));
  return head;
}

TEST(SaveId, OldShortIdsNewIdsAndLongestIdsAllLoad) {
  for (const std::string& save_id : {std::string("0123456789abcdef"),  // 16: before 128-bit ids
                                     new_save_id(), std::string(64, 'f')}) {
    SCOPED_TRACE(save_id);
    Item head = head_with_save_id(save_id);
    auto base = base_from_head("t", head);
    ASSERT_TRUE(base.has_value());
    EXPECT_EQ(base->save_id, save_id);
    ASSERT_FALSE(base->segments.empty());
    EXPECT_EQ(base->segments[0].id, save_id + "-123456");
    // The history hint (and the storage hint around it) carries the ids back unchanged.
    auto from_hint = base_from_hint(history_hint(*base));
    ASSERT_TRUE(from_hint.has_value());
    EXPECT_EQ(*from_hint, *base);
    Generation g{save_id, new_save_id() + " 0123456789abcdef " + save_id};
    StorageHint parsed = parse_storage_hint(make_storage_hint(g, 12, history_hint(*base)));
    ASSERT_TRUE(parsed.generation.has_value());
    EXPECT_EQ(*parsed.generation, g);
    EXPECT_EQ(parsed.version, 12);
    EXPECT_EQ(base_from_hint(parsed.layout), base);
    // A chunk hint names the chunk keys of that save id.
    auto keys = chunk_keys_of_hint("t", chunk_hint(save_id, "2"));
    EXPECT_EQ(keys, (std::vector<std::string>{"t#chunk#" + save_id + "#0", "t#chunk#" + save_id + "#1"}));
  }
  // Beyond what is_save_id allows: damage, not an id.
  EXPECT_THROW(base_from_head("t", head_with_save_id(std::string(65, 'f'))), CorruptStateError);
}

// A head records each ancestor by its first kAncestorIdChars digits; the in-doubt check must
// still find a full save id among them, and nothing else.
TEST(Lineage, AncestorsAreRecordedAsPrefixesAndStillIdentifyTheirSave) {
  const std::string a = new_save_id(), b = new_save_id(), c = new_save_id();
  Generation first{a, ""};
  Generation second{b, ancestors_after(first)};
  Generation third{c, ancestors_after(second)};
  ASSERT_EQ(third.ancestors, b.substr(0, kAncestorIdChars) + " " + a.substr(0, kAncestorIdChars));
  EXPECT_TRUE(is_ancestor_list(third.ancestors));
  EXPECT_TRUE(descends_from(third, c));
  EXPECT_TRUE(descends_from(third, b));
  EXPECT_TRUE(descends_from(third, a));
  EXPECT_FALSE(descends_from(third, new_save_id()));
  EXPECT_FALSE(descends_from(third, ""));
  // An id that differs within the recorded digits, or is only a part of them, is not that save.
  std::string near = a;
  near[kAncestorIdChars - 1] = near[kAncestorIdChars - 1] == '0' ? '1' : '0';
  EXPECT_FALSE(descends_from(third, near));
  EXPECT_FALSE(descends_from(third, a.substr(0, kAncestorIdChars - 1)));
  // The 16-digit ids of earlier versions are recorded whole and match exactly.
  const std::string old16 = "0123456789abcdef";
  Generation after_old{c, ancestors_after(Generation{old16, ""})};
  EXPECT_EQ(after_old.ancestors, old16);
  EXPECT_TRUE(descends_from(after_old, old16));
  EXPECT_FALSE(descends_from(after_old, old16.substr(0, 8)));
  // A damaged, shorter entry matches only itself.
  Generation damaged{c, "abc"};
  EXPECT_TRUE(descends_from(damaged, "abc"));
  EXPECT_FALSE(descends_from(damaged, "abcdef0123456789abcdef0123456789"));
}

TEST(Lineage, AHeadKeepsAtMostKAncestorsKept) {
  Generation g{new_save_id(), ""};
  std::vector<std::string> ids{g.save_id};
  for (std::size_t i = 0; i < kAncestorsKept + 3; ++i) {
    g = Generation{new_save_id(), ancestors_after(g)};
    ids.push_back(g.save_id);
  }
  EXPECT_EQ(split_fields(g.ancestors, ' ').size(), kAncestorsKept);
  // The newest kAncestorsKept + 1 saves (itself and its ancestors) are traced; older ones are not.
  for (std::size_t back = 0; back < ids.size(); ++back) {
    const std::string& id = ids[ids.size() - 1 - back];
    EXPECT_EQ(descends_from(g, id), back <= kAncestorsKept) << back;
  }
}

TEST(Lineage, OnlyWellFormedAncestorListsAreTrusted) {
  const std::string id = new_save_id();
  EXPECT_TRUE(is_ancestor_list(""));
  EXPECT_TRUE(is_ancestor_list(id));
  EXPECT_TRUE(is_ancestor_list(id + " " + id + " " + id + " " + id));
  EXPECT_FALSE(is_ancestor_list(id + " " + id + " " + id + " " + id + " " + id)) << "more than kept";
  EXPECT_FALSE(is_ancestor_list(id + "  " + id));
  EXPECT_FALSE(is_ancestor_list(" " + id));
  EXPECT_FALSE(is_ancestor_list(id + " "));
  EXPECT_FALSE(is_ancestor_list("ABCDEF"));
  EXPECT_FALSE(is_ancestor_list(std::string(65, 'a')));
  // A hint of an earlier version (ancestors separated by commas) still carries its generation.
  StorageHint parsed = parse_storage_hint("g/" + id + "/" + id + "," + id + "/");
  ASSERT_TRUE(parsed.generation.has_value());
  EXPECT_EQ(parsed.generation->ancestors, id + " " + id);
  // A damaged list makes the whole hint untrusted.
  EXPECT_FALSE(parse_storage_hint("g/" + id + "/" + id + " XYZ/").generation.has_value());
}

// The hint carries the version stored with its save id, so a save that names the same version
// can be conditional on the save id alone; hints made before it was carried have none.
TEST(Lineage, HintsCarryTheVersionOfTheirSave) {
  const std::string id = new_save_id();
  StorageHint parsed = parse_storage_hint(make_storage_hint({id, ""}, 9223372036854775807, "abc:2"));
  ASSERT_TRUE(parsed.generation.has_value());
  EXPECT_EQ(parsed.generation->save_id, id);
  EXPECT_EQ(parsed.version, 9223372036854775807);
  EXPECT_EQ(parsed.layout, "abc:2");
  // A Rust-crate head (no save id) at version 0.
  parsed = parse_storage_hint(make_storage_hint({}, 0, ""));
  ASSERT_TRUE(parsed.generation.has_value());
  EXPECT_EQ(parsed.generation->save_id, "");
  EXPECT_EQ(parsed.version, 0);
  // A hint from before the version was carried: the generation without a version.
  parsed = parse_storage_hint("g/" + id + "//");
  ASSERT_TRUE(parsed.generation.has_value());
  EXPECT_EQ(parsed.generation->save_id, id);
  EXPECT_FALSE(parsed.version.has_value());
  // Text that is not a generation hint is a layout hint of an earlier version, kept whole.
  for (const std::string& layout :
       {std::string("gx/") + id + "//", id + ":3", std::string("g-1/") + id + "//"}) {
    parsed = parse_storage_hint(layout);
    EXPECT_FALSE(parsed.generation.has_value()) << layout;
    EXPECT_FALSE(parsed.version.has_value()) << layout;
    EXPECT_EQ(parsed.layout, layout);
  }
}

}  // namespace
}  // namespace agents::detail
