#include "aws/credentials/profile_file.hpp"

#include <filesystem>

#include "aws/credentials/common.hpp"

namespace agents::aws::detail {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// `[profile NAME]` / `[default]` in config files, `[NAME]` in credentials files; nullopt for other
// sections, whose keys are skipped.
std::optional<std::string> profile_name(const std::string& header, ProfileFileKind kind) {
  if (kind == ProfileFileKind::kCredentials) return header;
  if (header == "default") return header;
  if (header.starts_with("profile") && header.size() > 7 && is_blank(header[7]))
    return trim(header.substr(7));
  return std::nullopt;
}

std::string expand_home(const std::string& path, const std::string& home) {
  if (path == "~") return home;
  if (path.starts_with("~/")) return home + path.substr(1);
  return path;
}

Status load_into(const std::string& path, ProfileFileKind kind, ProfileMap& out) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status();  // no file: no profiles
  auto text = read_file(path);
  if (!text) return misconfigured("cannot read " + path);
  auto parsed = parse_profile_file(*text, kind, path);
  if (!parsed.ok()) return parsed.status();
  out = std::move(*parsed);
  return Status();
}

}  // namespace

StatusOr<ProfileMap> parse_profile_file(std::string_view text, ProfileFileKind kind,
                                        const std::string& path) {
  ProfileMap profiles;
  ProfileSection* section = nullptr;  // null: outside any section, or in a skipped one
  bool in_section = false;
  bool after_property = false;  // an indented line now belongs to the previous property
  std::size_t line_number = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    auto bad_line = [&](const std::string& why) {
      return misconfigured(path + " line " + std::to_string(line_number) + ": " + why);
    };
    if (line[0] == '[') {
      std::size_t close = line.find(']');
      if (close == std::string::npos) return bad_line("section header without ']'");
      std::string rest = trim(std::string_view(line).substr(close + 1));
      if (!rest.empty() && rest[0] != '#' && rest[0] != ';') return bad_line("text after a section header");
      auto name = profile_name(trim(std::string_view(line).substr(1, close - 1)), kind);
      section = name ? &profiles[*name] : nullptr;
      in_section = true;
      after_property = false;
      continue;
    }
    if (after_property && is_blank(raw[0])) continue;  // a sub-section or continuation line
    std::size_t eq = line.find('=');
    if (eq == std::string::npos) return bad_line("expected 'key = value'");
    std::string key = to_lower(trim(std::string_view(line).substr(0, eq)));
    if (key.empty()) return bad_line("property without a name");
    if (!in_section) return bad_line("property before any [section]");
    if (section != nullptr) (*section)[key] = trim(std::string_view(line).substr(eq + 1));
    after_property = true;
  }
  return profiles;
}

std::optional<ProfileSection> ProfileFiles::profile(const std::string& name) const {
  auto in_config = config.find(name);
  auto in_credentials = credentials.find(name);
  if (in_config == config.end() && in_credentials == credentials.end()) return std::nullopt;
  ProfileSection merged;
  if (in_config != config.end()) merged = in_config->second;
  if (in_credentials != credentials.end()) {
    for (const auto& [key, value] : in_credentials->second) merged[key] = value;
  }
  return merged;
}

std::string ProfileFiles::where() const { return credentials_path + " or " + config_path; }

StatusOr<ProfileFiles> load_profile_files(const EnvironmentLookup& env, const std::string& home) {
  ProfileFiles files;
  std::string config = env_get(env, "AWS_CONFIG_FILE");
  std::string credentials = env_get(env, "AWS_SHARED_CREDENTIALS_FILE");
  files.config_path = expand_home(config.empty() ? "~/.aws/config" : config, home);
  files.credentials_path = expand_home(credentials.empty() ? "~/.aws/credentials" : credentials, home);
  if (Status s = load_into(files.config_path, ProfileFileKind::kConfig, files.config); !s.ok()) return s;
  if (Status s = load_into(files.credentials_path, ProfileFileKind::kCredentials, files.credentials);
      !s.ok()) {
    return s;
  }
  return files;
}

ProfileSelection select_profile(const std::string& configured, const EnvironmentLookup& env) {
  if (!configured.empty()) return {configured, "the profile option", true};
  for (const char* variable : {"AWS_PROFILE", "AWS_DEFAULT_PROFILE"}) {
    std::string value = env_get(env, variable);
    if (!value.empty()) return {value, variable, true};
  }
  return {"default", "default", false};
}

std::string profile_value(const ProfileSection& section, const std::string& key) {
  auto it = section.find(key);
  return it == section.end() ? std::string() : it->second;
}

}  // namespace agents::aws::detail
