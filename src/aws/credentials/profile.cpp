// Credentials of a shared config/credentials profile: role_arn (assume role from a source profile,
// a credential_source or a web identity token file), static keys, or credential_process.
#include <algorithm>
#include <vector>

#include "agents/aws/credentials.hpp"
#include "agents/http/http_client.hpp"
#include "aws/credentials/common.hpp"
#include "aws/credentials/process.hpp"
#include "aws/credentials/profile_file.hpp"
#include "aws/credentials/sts.hpp"
#include "aws/credentials/web_identity.hpp"

namespace agents::aws::detail {

namespace {

bool has_static_keys(const ProfileSection& section) {
  return !profile_value(section, "aws_access_key_id").empty();
}

std::string join_path(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : " -> ") + name;
  return out;
}

class ProfileProvider final : public CredentialsProvider {
 public:
  explicit ProfileProvider(CredentialsChainOptions options) : options_(std::move(options)) {
    options_.env = or_process_environment(std::move(options_.env));
    options_.http = http_or_default(std::move(options_.http));
  }

  StatusOr<Credentials> get(Clock::time_point now) override {
    auto files = load_profile_files(options_.env, home_directory(options_.home_directory, options_.env));
    if (!files.ok()) return misconfigured("profile: " + files.status().message());
    ProfileSelection selection = select_profile(options_.profile, options_.env);
    if (!files->profile(selection.name)) {
      std::string message = "profile " + selection.name + ": no such profile in " + files->where();
      // A profile the user named must not be silently replaced by some other identity.
      if (selection.chosen) return misconfigured(message + " (named by " + selection.origin + ")");
      return unavailable(message);
    }
    std::vector<std::string> path;
    return resolve(*files, selection.name, *files->profile(selection.name), now, path);
  }
  std::string name() const override { return "profile"; }

 private:
  // `path` lists the profiles on the way here (source_profile links), for cycle detection.
  StatusOr<Credentials> resolve(const ProfileFiles& files, const std::string& name,
                                const ProfileSection& section, Clock::time_point now,
                                std::vector<std::string>& path) {
    const std::string label = "profile " + name;
    path.push_back(name);

    if (!profile_value(section, "role_arn").empty()) return assume_role(files, section, name, now, path);
    if (!profile_value(section, "web_identity_token_file").empty()) {
      return misconfigured(label + ": web_identity_token_file needs role_arn");
    }
    if (has_static_keys(section)) return static_keys(section, label);
    if (std::string command = profile_value(section, "credential_process"); !command.empty()) {
      return run_credential_process(command, label, "credential_process (" + label + ")");
    }
    if (!profile_value(section, "sso_session").empty() || !profile_value(section, "sso_start_url").empty()) {
      return Status(ErrorCode::kUnsupported,
                    label +
                        ": IAM Identity Center (SSO) profiles are not supported; add credential_process = "
                        "aws configure export-credentials --profile " +
                        name + " --format process");
    }
    return unavailable(label +
                       ": no credentials in the profile (aws_access_key_id, credential_process or "
                       "role_arn) in " +
                       files.where());
  }

  static StatusOr<Credentials> static_keys(const ProfileSection& section, const std::string& label) {
    Credentials credentials;
    credentials.access_key_id = profile_value(section, "aws_access_key_id");
    credentials.secret_access_key = profile_value(section, "aws_secret_access_key");
    credentials.session_token = profile_value(section, "aws_session_token");
    credentials.source = label;
    if (credentials.secret_access_key.empty()) {
      return misconfigured(label + ": aws_access_key_id is set but aws_secret_access_key is not");
    }
    return credentials;
  }

  StatusOr<Credentials> assume_role(const ProfileFiles& files, const ProfileSection& section,
                                    const std::string& name, Clock::time_point now,
                                    std::vector<std::string>& path) {
    const std::string label = "profile " + name;
    AssumeRoleParams params;
    params.role_arn = profile_value(section, "role_arn");
    params.session_name = profile_value(section, "role_session_name");
    if (params.session_name.empty()) params.session_name = default_session_name(now);
    params.external_id = profile_value(section, "external_id");
    if (std::string duration = profile_value(section, "duration_seconds"); !duration.empty()) {
      char* end = nullptr;
      long seconds = std::strtol(duration.c_str(), &end, 10);
      if (*end != '\0' || seconds < 900 || seconds > 43200) {
        return misconfigured(label + ": duration_seconds must be a number from 900 to 43200");
      }
      params.duration_seconds = static_cast<int>(seconds);
    }
    if (!profile_value(section, "mfa_serial").empty()) {
      return Status(ErrorCode::kUnsupported,
                    label +
                        ": mfa_serial needs an MFA code typed in, which this SDK cannot prompt for; use "
                        "credential_process with a tool that does");
    }
    std::string source_profile = profile_value(section, "source_profile");
    std::string credential_source = profile_value(section, "credential_source");
    std::string token_file = profile_value(section, "web_identity_token_file");
    int sources = !source_profile.empty() + !credential_source.empty() + !token_file.empty();
    if (sources != 1) {
      return misconfigured(label +
                           ": role_arn needs exactly one of source_profile, credential_source or "
                           "web_identity_token_file");
    }
    if (!token_file.empty()) {
      return web_identity_credentials(*options_.http, sts_endpoint(options_), token_file, params, label);
    }

    StatusOr<Credentials> source = source_profile.empty()
                                       ? from_credential_source(credential_source, label, now)
                                       : from_source_profile(files, source_profile, now, path);
    if (!source.ok()) {
      if (source.status().code() != ErrorCode::kCredentialsUnavailable) return source.status();
      return misconfigured(label +
                           ": the source credentials for role_arn are missing: " + source.status().message());
    }
    return sts_assume_role(*options_.http, sts_endpoint(options_), params, *source, now, label);
  }

  StatusOr<Credentials> from_source_profile(const ProfileFiles& files, const std::string& source_profile,
                                            Clock::time_point now, std::vector<std::string>& path) {
    auto section = files.profile(source_profile);
    if (!section) {
      return misconfigured("profile " + path.back() + ": source_profile " + source_profile +
                           " not found in " + files.where());
    }
    // As the SDKs do, role chaining stops at a source profile with static keys, even when it has a
    // role_arn of its own (which is how a profile names itself as its source).
    if (has_static_keys(*section)) return static_keys(*section, "profile " + source_profile);
    if (std::find(path.begin(), path.end(), source_profile) != path.end()) {
      path.push_back(source_profile);
      return misconfigured("profile " + path.front() + ": source_profile cycle " + join_path(path));
    }
    return resolve(files, source_profile, *section, now, path);
  }

  StatusOr<Credentials> from_credential_source(const std::string& source, const std::string& label,
                                               Clock::time_point now) {
    std::shared_ptr<CredentialsProvider> provider;
    if (source == "Environment") {
      provider = make_environment_credentials_provider(options_.env);
    } else if (source == "Ec2InstanceMetadata") {
      provider = make_instance_metadata_credentials_provider(options_);
    } else if (source == "EcsContainer") {
      provider = make_container_credentials_provider(options_);
    } else {
      return misconfigured(label +
                           ": credential_source must be Environment, Ec2InstanceMetadata or "
                           "EcsContainer");
    }
    return provider->get(now);
  }

  CredentialsChainOptions options_;
};

}  // namespace

}  // namespace agents::aws::detail

namespace agents::aws {

std::shared_ptr<CredentialsProvider> make_profile_credentials_provider(CredentialsChainOptions options) {
  return std::make_shared<detail::ProfileProvider>(std::move(options));
}

}  // namespace agents::aws
