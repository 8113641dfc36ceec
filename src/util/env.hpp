// The process environment, read one way everywhere: unset and empty mean the same thing.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>

namespace agents::util {

/// The variable's value, or nullopt when it is unset or empty.
inline std::optional<std::string> env_get(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

/// The variable's value, or `fallback` when it is unset or empty.
inline std::string env_or(const std::string& name, std::string fallback) {
  auto v = env_get(name);
  return v ? std::move(*v) : std::move(fallback);
}

}  // namespace agents::util
