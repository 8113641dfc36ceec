#include "agents/core/duration.hpp"

#include <gtest/gtest.h>

namespace agents {
namespace {

using namespace std::chrono_literals;

TEST(ParseDuration, AcceptsPositiveWholeNumbersWithUnits) {
  EXPECT_EQ(parse_duration("30d"), std::chrono::seconds(30 * 86400));
  EXPECT_EQ(parse_duration("12h"), std::chrono::seconds(12 * 3600));
  EXPECT_EQ(parse_duration("90m"), std::chrono::seconds(90 * 60));
  EXPECT_EQ(parse_duration("45s"), 45s);
  EXPECT_EQ(parse_duration("3600"), 3600s);
}

TEST(ParseDuration, RejectsEverythingElse) {
  for (const char* bad : {"", "d", "0", "0d", "-5m", "5w", "1.5h", "12 h", "soon", "99999999999999999999d"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace agents
