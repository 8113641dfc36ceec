// The segment cache's bookkeeping: least recently used out, by bytes; what does not fit is not kept.
#include "checkpoint/segment_cache.hpp"

#include <gtest/gtest.h>

namespace agents::detail {
namespace {

std::shared_ptr<DecodedSegment> segment_of(std::size_t bytes, std::size_t messages = 1) {
  auto s = std::make_shared<DecodedSegment>();
  s->messages.assign(messages, Message::user("x"));
  s->bytes = bytes;
  return s;
}

TEST(SegmentCache, KeepsWhatFitsAndEvictsTheLeastRecentlyUsed) {
  SegmentCache cache(1000);  // costs: bytes + 64 per message
  cache.put("a", segment_of(236));
  cache.put("b", segment_of(236));
  cache.put("c", segment_of(236));
  EXPECT_EQ(cache.bytes(), 900u);
  ASSERT_NE(cache.find("a"), nullptr);  // a is now the most recently used
  cache.put("d", segment_of(236));      // evicts b, the least recently used
  EXPECT_EQ(cache.find("b"), nullptr);
  EXPECT_NE(cache.find("a"), nullptr);
  EXPECT_NE(cache.find("c"), nullptr);
  EXPECT_NE(cache.find("d"), nullptr);
  EXPECT_EQ(cache.bytes(), 900u);
}

TEST(SegmentCache, ASegmentLargerThanTheCacheIsNotKeptAndEvictsNothing) {
  SegmentCache cache(1000);
  cache.put("a", segment_of(100));
  cache.put("huge", segment_of(2000));
  EXPECT_EQ(cache.find("huge"), nullptr);
  EXPECT_NE(cache.find("a"), nullptr);
  EXPECT_EQ(cache.bytes(), 164u);
}

TEST(SegmentCache, AKeyIsStoredOnceAndItsFirstValueKept) {
  SegmentCache cache(1000);
  auto first = segment_of(100);
  cache.put("a", first);
  cache.put("a", segment_of(200));
  EXPECT_EQ(cache.find("a"), first);
  EXPECT_EQ(cache.bytes(), 164u);
}

}  // namespace
}  // namespace agents::detail
