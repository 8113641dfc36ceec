// UTC timestamps as text, one implementation for the three forms the library writes: ISO 8601
// seconds (credential expirations), RFC 3339 milliseconds (stored updated_at, approvals) and the
// SigV4 basic form (X-Amz-Date). Never local time.
#pragma once

#include <chrono>
#include <string>

namespace agents::util {

using SystemTime = std::chrono::system_clock::time_point;

/// "2024-01-01T12:00:00Z"
std::string iso8601_seconds(SystemTime time);
/// "2024-01-01T12:00:00.123Z"
std::string rfc3339_millis(SystemTime time);
/// "20240101T120000Z"
std::string amz_date(SystemTime time);

}  // namespace agents::util
