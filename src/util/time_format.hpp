// UTC timestamps as text, one implementation for the three forms the library writes: ISO 8601
// seconds (credential expirations), RFC 3339 milliseconds (stored updated_at, approvals) and the
// SigV4 basic form (X-Amz-Date), and one parser for what it reads back. Never local time.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace agents::util {

using SystemTime = std::chrono::system_clock::time_point;

/// "2024-01-01T12:00:00Z"
std::string iso8601_seconds(SystemTime time);
/// "2024-01-01T12:00:00.123Z"
std::string rfc3339_millis(SystemTime time);
/// "20240101T120000Z"
std::string amz_date(SystemTime time);

/// ISO 8601 / RFC 3339 date-time with a zone: "2024-01-01T12:00:00Z", "...T12:00:00.123456Z",
/// "...T13:00:00+01:00" or "+0100" ('T', 't' or a space between date and time); the fraction is
/// kept to the microsecond. nullopt for anything else, a time without a zone included (it would
/// be ambiguous).
std::optional<SystemTime> parse_utc_timestamp(std::string_view text);

}  // namespace agents::util
