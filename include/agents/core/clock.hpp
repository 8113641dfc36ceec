// The wall clock the library reads (signing time, credential expiry, `updated_at`, TTL and
// expiry, tool-call records): an option of every object that reads it, so that tests and
// simulations can move time on without waiting.
#pragma once

#include <chrono>
#include <functional>

namespace agents {

/// Returns the current time; an empty one means std::chrono::system_clock.
using WallClock = std::function<std::chrono::system_clock::time_point()>;

/// What `clock` says the time is (the system clock when it is empty).
inline std::chrono::system_clock::time_point now_from(const WallClock& clock) {
  return clock ? clock() : std::chrono::system_clock::now();
}

}  // namespace agents
