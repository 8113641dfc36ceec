#include "aws/credentials/process.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "aws/credentials/common.hpp"

namespace agents::aws::detail {

namespace {

class ProcessProvider final : public CredentialsProvider {
 public:
  explicit ProcessProvider(std::string command) : command_(std::move(command)) {}
  StatusOr<Credentials> get(Clock::time_point /*now*/) override {
    return run_credential_process(command_, "credential_process", "credential_process");
  }
  std::string name() const override { return "credential_process"; }

 private:
  std::string command_;
};

}  // namespace

StatusOr<Credentials> run_credential_process(const std::string& command, const std::string& label,
                                             std::string source) {
  if (trim(command).empty()) return misconfigured(label + ": credential_process is empty");
  FILE* pipe = popen(command.c_str(), "r");  // /bin/sh -c command
  if (pipe == nullptr) return misconfigured(label + ": could not start credential_process");
  std::string output;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  int status = pclose(pipe);
  if (status == -1) return misconfigured(label + ": could not wait for credential_process");
  if (WIFSIGNALED(status)) {
    return misconfigured(label + ": credential_process was killed by signal " +
                         std::to_string(WTERMSIG(status)));
  }
  if (WEXITSTATUS(status) != 0) {
    return misconfigured(label + ": credential_process exited with status " +
                         std::to_string(WEXITSTATUS(status)) +
                         (WEXITSTATUS(status) == 127 ? " (command not found)" : ""));
  }

  nlohmann::json doc = nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return misconfigured(label + ": credential_process did not print a JSON object");
  auto version = doc.find("Version");
  if (version == doc.end() || !version->is_number_integer() || version->get<int>() != 1) {
    return misconfigured(label + ": credential_process output must have \"Version\": 1");
  }
  return credentials_from_json(output, "SessionToken", label + ": credential_process output",
                               std::move(source));
}

}  // namespace agents::aws::detail

namespace agents::aws {

std::shared_ptr<CredentialsProvider> make_process_credentials_provider(std::string command) {
  return std::make_shared<detail::ProcessProvider>(std::move(command));
}

}  // namespace agents::aws
