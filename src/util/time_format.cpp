#include "util/time_format.hpp"

#include <cstdio>
#include <ctime>

namespace agents::util {

namespace {

// strftime of the UTC breakdown of `time` (whole seconds) with `pattern`.
std::string format_utc(SystemTime time, const char* pattern) {
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof buf, pattern, &tm);
  return std::string(buf, n);
}

}  // namespace

std::string iso8601_seconds(SystemTime time) { return format_utc(time, "%Y-%m-%dT%H:%M:%SZ"); }

std::string rfc3339_millis(SystemTime time) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count() % 1000;
  std::string out = format_utc(time, "%Y-%m-%dT%H:%M:%S");
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms));
  return out + frac;
}

std::string amz_date(SystemTime time) { return format_utc(time, "%Y%m%dT%H%M%SZ"); }

}  // namespace agents::util
