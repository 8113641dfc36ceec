// The shared config/credentials file parser (INI) on arbitrary text, as both kinds of file. It
// never crashes, and an error names the file and line, never the line's text (it may be a secret).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "aws/credentials/profile_file.hpp"

namespace {

constexpr std::string_view kPath = "/home/u/.aws/file";

// A token of 16+ characters without spaces from the input must not reappear in an error (unless
// it is part of the file's path, which errors name on purpose).
void check_no_quote(std::string_view input, const std::string& message) {
  std::size_t start = 0;
  while (start < input.size()) {
    std::size_t end = input.find_first_of(" \t\r\n=[]", start);
    if (end == std::string_view::npos) end = input.size();
    std::string_view token = input.substr(start, end - start);
    if (token.size() >= 16 && kPath.find(token) == std::string_view::npos &&
        message.find(token) != std::string::npos) {
      __builtin_trap();
    }
    start = end + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  using agents::aws::detail::ProfileFileKind;
  for (auto kind : {ProfileFileKind::kConfig, ProfileFileKind::kCredentials}) {
    auto parsed = agents::aws::detail::parse_profile_file(input, kind, std::string(kPath));
    if (!parsed.ok()) {
      check_no_quote(input, parsed.status().message());
      continue;
    }
    for (const auto& [name, section] : *parsed) {
      for (const auto& [key, value] : section) {
        (void)agents::aws::detail::profile_value(section, key);
        (void)value;
      }
      (void)name;
    }
  }
  return 0;
}
