#include "util/time_format.hpp"

#include <cctype>
#include <cstdint>
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

// Reads `count` digits at `pos`; -1 when they are not all digits.
int digits(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) return -1;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

std::optional<SystemTime> parse_utc_timestamp(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  // YYYY-MM-DDTHH:MM:SS
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' || text[13] != ':' || text[16] != ':')
    return std::nullopt;
  if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') return std::nullopt;
  std::tm tm{};
  tm.tm_year = digits(text, 0, 4) - 1900;
  tm.tm_mon = digits(text, 5, 2) - 1;
  tm.tm_mday = digits(text, 8, 2);
  tm.tm_hour = digits(text, 11, 2);
  tm.tm_min = digits(text, 14, 2);
  tm.tm_sec = digits(text, 17, 2);
  if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
      tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  std::int64_t micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t first = pos;
    for (std::int64_t scale = 100000;
         pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])); ++pos, scale /= 10) {
      micros += (text[pos] - '0') * scale;  // digits past the microsecond add 0
    }
    if (pos == first) return std::nullopt;
  }
  long offset_seconds = 0;
  std::string_view zone = text.substr(pos);
  if (zone != "Z" && zone != "z") {
    if (zone.empty() || (zone[0] != '+' && zone[0] != '-')) return std::nullopt;
    int hours = digits(zone, 1, 2);
    std::size_t minute_pos = zone.size() > 3 && zone[3] == ':' ? 4 : 3;
    int minutes = digits(zone, minute_pos, 2);
    if (hours < 0 || minutes < 0 || zone.size() != minute_pos + 2) return std::nullopt;
    offset_seconds = (zone[0] == '+' ? 1 : -1) * (hours * 3600L + minutes * 60L);
  }
  const std::time_t utc = timegm(&tm);
  return std::chrono::system_clock::from_time_t(utc - offset_seconds) + std::chrono::microseconds(micros);
}

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
