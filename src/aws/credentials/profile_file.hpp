// The shared config and credentials files (~/.aws/config, ~/.aws/credentials): INI parsing and
// profile selection, used by the profile credentials provider and by region resolution.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "agents/aws/region.hpp"
#include "agents/core/status.hpp"

namespace agents::aws::detail {

/// Keys (lowercased) to values of one profile.
using ProfileSection = std::map<std::string, std::string>;
/// Profile name to its keys.
using ProfileMap = std::map<std::string, ProfileSection>;

enum class ProfileFileKind { kConfig, kCredentials };

/// Parses one file. Config files name profiles `[profile NAME]` or `[default]` (other sections such
/// as `[sso-session x]` are skipped); credentials files name them `[NAME]`. Comment lines start
/// with # or ;. Indented lines after a property (sub-sections such as `s3 =`, or continuations)
/// are skipped. Repeated sections merge, the later value winning. kInvalidArgument names the file
/// and line of a line that is none of these, never its text (it may hold a secret).
StatusOr<ProfileMap> parse_profile_file(std::string_view text, ProfileFileKind kind, const std::string& path);

struct ProfileFiles {
  std::string config_path;
  std::string credentials_path;
  ProfileMap config;
  ProfileMap credentials;

  /// The profile's keys from both files, the credentials file winning; nullopt when in neither.
  std::optional<ProfileSection> profile(const std::string& name) const;
  /// "<credentials path> or <config path>", for messages.
  std::string where() const;
};

/// AWS_CONFIG_FILE (default ~/.aws/config) and AWS_SHARED_CREDENTIALS_FILE (default
/// ~/.aws/credentials); a missing file counts as empty.
StatusOr<ProfileFiles> load_profile_files(const EnvironmentLookup& env, const std::string& home);

struct ProfileSelection {
  std::string name;
  std::string origin;   ///< "the profile option", "AWS_PROFILE", "AWS_DEFAULT_PROFILE" or "default"
  bool chosen = false;  ///< named by the user (not the fallback "default")
};

/// `configured` > AWS_PROFILE > AWS_DEFAULT_PROFILE > "default".
ProfileSelection select_profile(const std::string& configured, const EnvironmentLookup& env);

/// The value of `key` in `section`, "" when absent.
std::string profile_value(const ProfileSection& section, const std::string& key);

}  // namespace agents::aws::detail
