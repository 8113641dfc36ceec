// resolve_region: explicit > AWS_REGION > AWS_DEFAULT_REGION > profile region > instance metadata.
#include "agents/aws/region.hpp"

#include "aws/credentials/common.hpp"
#include "aws/credentials/imds.hpp"
#include "aws/credentials/profile_file.hpp"

namespace agents::aws {

namespace {

// The profile's `region` from the config file, or why there is none.
StatusOr<std::string> profile_region(const RegionOptions& options, const EnvironmentLookup& env) {
  auto files = detail::load_profile_files(env, detail::home_directory(options.home_directory, env));
  if (!files.ok()) return files.status();
  detail::ProfileSelection selection = detail::select_profile(options.profile, env);
  auto section = files->config.find(selection.name);
  if (section == files->config.end()) {
    return Status(ErrorCode::kNotFound, "no profile " + selection.name + " in " + files->config_path);
  }
  std::string region = detail::profile_value(section->second, "region");
  if (region.empty()) {
    return Status(ErrorCode::kNotFound,
                  "profile " + selection.name + " in " + files->config_path + " has no region");
  }
  return region;
}

}  // namespace

StatusOr<std::string> resolve_region(const RegionOptions& options) {
  if (!options.explicit_region.empty()) return options.explicit_region;
  EnvironmentLookup env = detail::or_process_environment(options.env);
  std::string looked = "with_region/--region: not set";
  for (const char* variable : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (std::string region = detail::env_get(env, variable); !region.empty()) return region;
    looked += std::string("; ") + variable + ": not set";
  }

  auto from_profile = profile_region(options, env);
  if (from_profile.ok()) return *from_profile;
  looked += "; " + from_profile.status().message();

  if (!options.http) {
    looked += "; instance metadata: not asked";
  } else {
    detail::ImdsClient imds(options.http, env, options.imds_timeout);
    auto region = imds.get("/latest/meta-data/placement/region");
    if (region.ok() && !detail::trim(*region).empty()) return detail::trim(*region);
    looked += "; instance metadata: " + (region.ok() ? "empty answer" : region.status().message());
  }
  return Status(ErrorCode::kInvalidArgument,
                "no AWS region configured. Looked at " + looked +
                    ". Set AWS_REGION, or `region` in the profile (aws configure set region us-west-2), or "
                    "pass a region (with_region / --region)");
}

}  // namespace agents::aws
