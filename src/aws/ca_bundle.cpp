#include "aws/ca_bundle.hpp"

#include "aws/credentials/common.hpp"
#include "aws/credentials/profile_file.hpp"

namespace agents::aws {

std::string resolve_ca_bundle(const std::string& profile, const EnvironmentLookup& given) {
  using namespace detail;
  EnvironmentLookup env = or_process_environment(given);
  if (std::string path = env_get(env, "AWS_CA_BUNDLE"); !path.empty()) return path;
  auto files = load_profile_files(env, home_directory("", env));
  if (!files.ok()) return "";  // a broken profile file is reported by the credentials chain
  auto section = files->config.find(select_profile(profile, env).name);
  return section == files->config.end() ? "" : profile_value(section->second, "ca_bundle");
}

}  // namespace agents::aws
