#include "http/ca_file.hpp"

#include <curl/curl.h>
#include <unistd.h>

#include <cstdlib>

namespace agents::http::detail {

std::string choose_ca_file(const std::string& configured, const CaFileLookup& lookup) {
  if (!configured.empty()) return configured;
  for (const char* variable : {"CURL_CA_BUNDLE", "SSL_CERT_FILE"}) {
    const char* value = lookup.getenv(variable);
    if (value != nullptr && *value != '\0') return value;
  }
  if (lookup.builtin != nullptr && *lookup.builtin != '\0' && lookup.exists(lookup.builtin))
    return lookup.builtin;
  for (const char* candidate : kWellKnownCaFiles) {
    if (lookup.exists(candidate)) return candidate;
  }
  return "";
}

std::string ca_file_for(const std::string& configured) {
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  return choose_ca_file(
      configured, {.getenv = [](const char* name) -> const char* { return std::getenv(name); },
                   .builtin = info != nullptr ? info->cainfo : nullptr,
                   .exists = [](const std::string& path) { return ::access(path.c_str(), R_OK) == 0; }});
}

}  // namespace agents::http::detail
