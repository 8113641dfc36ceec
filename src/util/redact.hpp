// Defence in depth for error messages: servers sometimes quote what we sent (a canonical request,
// an API key in a URL), so every secret is cut out before a message leaves the library. One
// marker everywhere, "<redacted>", as docs/credentials-and-regions.md documents.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace agents::util {

inline constexpr std::string_view kRedactedMark = "<redacted>";

/// `text` with every occurrence of `secret` (when non-empty) replaced by kRedactedMark.
inline std::string redact(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  // Search on after the mark, so a secret that occurs inside the mark cannot loop.
  for (std::size_t at = text.find(secret); at != std::string::npos;
       at = text.find(secret, at + kRedactedMark.size())) {
    text.replace(at, secret.size(), kRedactedMark);
  }
  return text;
}

/// `text` with every non-empty secret of `secrets` redacted.
inline std::string redact(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) text = redact(std::move(text), std::string_view(secret));
  return text;
}

}  // namespace agents::util
