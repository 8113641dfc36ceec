// The private utility layer (src/util): the one copy of each shared helper.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <string>
#include <vector>

#include "util/base64.hpp"
#include "util/env.hpp"
#include "util/redact.hpp"
#include "util/sha256.hpp"
#include "util/time_format.hpp"

namespace agents::util {
namespace {

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Sha256, StreamReportsEveryPrefixAndGoesOn) {
  Sha256Stream s;
  EXPECT_EQ(s.hex_so_far(), sha256_hex(""));
  s.update("a");
  EXPECT_EQ(s.hex_so_far(), sha256_hex("a"));
  s.update("bc");
  EXPECT_EQ(s.hex_so_far(), sha256_hex("abc"));
  EXPECT_EQ(s.hex_so_far(), sha256_hex("abc"));  // reporting does not consume
}

TEST(Base64, RoundTripsAndRejectsUnpadded) {
  for (const std::string& s :
       std::vector<std::string>{"", "f", "fo", "foo", "foobar", std::string("\0\xff", 2)}) {
    std::string decoded;
    ASSERT_TRUE(base64_decode(base64_encode(s), decoded));
    EXPECT_EQ(decoded, s);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  std::string out;
  EXPECT_FALSE(base64_decode("abc", out));
  EXPECT_FALSE(base64_decode("ab!=", out));
}

TEST(Redact, ReplacesEverySecretOccurrence) {
  EXPECT_EQ(redact("a s b s", std::vector<std::string>{"s", ""}), "a <redacted> b <redacted>");
  EXPECT_EQ(redact("e", std::string_view("e")), "<redacted>");  // the mark itself contains "e": no loop
  EXPECT_EQ(redact("key=sk-1 again sk-1", std::string("sk-1")), "key=<redacted> again <redacted>");
  EXPECT_EQ(redact("nothing to hide", std::string()), "nothing to hide");
}

TEST(TimeFormat, TheThreeFormsOfOneInstant) {
  using namespace std::chrono;
  const SystemTime t = sys_days{year{2024} / 1 / 2} + hours{3} + minutes{4} + seconds{5} + milliseconds{67};
  EXPECT_EQ(iso8601_seconds(t), "2024-01-02T03:04:05Z");
  EXPECT_EQ(rfc3339_millis(t), "2024-01-02T03:04:05.067Z");
  EXPECT_EQ(amz_date(t), "20240102T030405Z");
}

// One parser reads back what the library writes (updated_at, credential expirations) and what
// the CLI is given (--since): zones and fractions kept, zone-less times refused.
TEST(TimeFormat, ParsesWhatItWritesAndRfc3339WithZones) {
  using namespace std::chrono;
  const SystemTime t = sys_days{year{2024} / 1 / 2} + hours{3} + minutes{4} + seconds{5} + milliseconds{67};
  EXPECT_EQ(parse_utc_timestamp(rfc3339_millis(t)), t);
  EXPECT_EQ(parse_utc_timestamp(iso8601_seconds(t)), time_point_cast<seconds>(t));
  EXPECT_EQ(parse_utc_timestamp("2024-01-02T04:04:05.067+01:00"), t);
  EXPECT_EQ(parse_utc_timestamp("2024-01-02 02:34:05.067-0030"), t);
  EXPECT_EQ(parse_utc_timestamp("2024-01-02t03:04:05.067000999z"), t);  // past the microsecond: dropped
  EXPECT_EQ(parse_utc_timestamp("2024-01-02T03:04:05.000001Z"), t - milliseconds{67} + microseconds{1});
  EXPECT_FALSE(parse_utc_timestamp("2024-01-02T03:04:05"));  // no zone
  EXPECT_FALSE(parse_utc_timestamp("2024-01-02T03:04:05.Z"));
  EXPECT_FALSE(parse_utc_timestamp("2024-13-02T03:04:05Z"));
  EXPECT_FALSE(parse_utc_timestamp("2024-01-02"));
}

TEST(Env, UnsetAndEmptyMeanTheSame) {
  ::setenv("AGENTS_UTIL_TEST_VAR", "", 1);
  EXPECT_FALSE(env_get("AGENTS_UTIL_TEST_VAR"));
  EXPECT_EQ(env_or("AGENTS_UTIL_TEST_VAR", "fallback"), "fallback");
  ::setenv("AGENTS_UTIL_TEST_VAR", "value", 1);
  EXPECT_EQ(env_or("AGENTS_UTIL_TEST_VAR", "fallback"), "value");
  ::unsetenv("AGENTS_UTIL_TEST_VAR");
  EXPECT_EQ(env_or("AGENTS_UTIL_TEST_VAR", "fallback"), "fallback");
}

}  // namespace
}  // namespace agents::util
