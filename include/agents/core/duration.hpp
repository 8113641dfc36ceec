// Durations as people write them in flags and environment variables.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "agents/export.hpp"

namespace agents {

/// "30d", "12h", "90m", "45s" or plain seconds ("3600"): a positive whole number and an optional
/// unit. Nothing for anything else (empty, negative, unknown unit, absurdly large).
AGENTS_API std::optional<std::chrono::seconds> parse_duration(std::string_view text) noexcept;

}  // namespace agents
