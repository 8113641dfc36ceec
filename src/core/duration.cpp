#include "agents/core/duration.hpp"

namespace agents {

std::optional<std::chrono::seconds> parse_duration(std::string_view text) noexcept {
  constexpr long long kMax = 100000000000LL;  // far beyond any TTL; keeps n * 86400 in range
  long long n = 0;
  std::size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9' && n < kMax) n = n * 10 + (text[i++] - '0');
  std::string_view unit = text.substr(i);
  long long factor = unit.empty() || unit == "s" ? 1
                     : unit == "m"               ? 60
                     : unit == "h"               ? 3600
                     : unit == "d"               ? 86400
                                                 : 0;
  if (i == 0 || factor == 0 || n <= 0 || n >= kMax) return std::nullopt;
  return std::chrono::seconds(n * factor);
}

}  // namespace agents
