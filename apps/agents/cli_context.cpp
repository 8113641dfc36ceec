#include "cli_context.hpp"

#include <unistd.h>

#include <iomanip>
#include <iostream>
#include <sstream>

#include "agents/aws/credentials.hpp"
#include "agents/core/duration.hpp"

namespace agents::cli {

namespace {

std::chrono::milliseconds seconds_to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0 + 0.5));
}

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text;
}

}  // namespace

bool is_loopback_url(const std::string& url) {
  auto start = url.find("://");
  if (start == std::string::npos) return false;
  std::string host = url.substr(start + 3);
  host = host.substr(0, host.find('/'));
  if (host.starts_with("[")) return host.starts_with("[::1]");
  host = host.substr(0, host.find(':'));
  return host == "localhost" || host.starts_with("127.");
}

std::chrono::seconds parse_duration(const std::string& text, const std::string& option) {
  // A bare number has no unit the reader can see: "--ttl 30" meant days, and expired in 30 s.
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    throw UsageError(option + " '" + text + "' has no unit; write it with one: 30d, 12h, 90m or 3600s");
  }
  auto parsed = agents::parse_duration(text);
  if (!parsed)
    throw UsageError(option + " '" + text + "' is not a duration; use e.g. 30d, 12h, 90m or 3600s");
  return *parsed;
}

http::CurlHttpClientOptions Context::transport_options(const std::string& endpoint) const {
  http::CurlHttpClientOptions t;
  t.connect_timeout = seconds_to_ms(options_.connect_timeout);
  t.read_timeout = seconds_to_ms(options_.read_timeout);
  t.request_timeout = std::chrono::milliseconds(0);  // the read timeout bounds a silent server
  // As the AWS CLI and SDKs: --ca-bundle, else AWS_CA_BUNDLE, else the profile's ca_bundle.
  t.ca_file = options_.ca_bundle.empty() ? aws::resolve_ca_bundle(options_.profile) : options_.ca_bundle;
  if (options_.no_verify_ssl) {
    // As the AWS CLI's --no-verify-ssl, but only where no one else can be on the path.
    if (!is_loopback_url(endpoint)) {
      throw UsageError("--no-verify-ssl is for local endpoints only (localhost, 127.0.0.1, ::1), not '" +
                       (endpoint.empty() ? std::string("the AWS endpoint") : endpoint) +
                       "'; name the CA bundle with --ca-bundle or AWS_CA_BUNDLE instead");
    }
    std::cerr << "agents: warning: --no-verify-ssl: the TLS certificate of " << endpoint
              << " is not checked\n";
    t.verify_tls = false;
  }
  return t;
}

RetryOptions Context::retry_options() const {
  RetryOptions r;
  if (options_.verbose || ::isatty(STDERR_FILENO) != 0) {
    // Say what is being retried, so a slow command is never silent on a terminal.
    r.on_retry = [](const Status& error, int next, int max, std::chrono::milliseconds delay) {
      std::ostringstream line;
      line << "agents: " << one_line(error.message()) << "; retrying in " << std::fixed
           << std::setprecision(1) << delay.count() / 1000.0 << " s (attempt " << next << " of " << max
           << ")";
      std::cerr << line.str() << "\n";
    };
  }
  return r;
}

dynamodb::ClientOptions Context::client_options() const {
  dynamodb::ClientOptions o;
  o.region = options_.region;
  o.endpoint = options_.endpoint;
  o.profile = options_.profile;
  o.transport = transport_options(options_.endpoint);
  o.retry = retry_options();
  if (options_.verbose) {
    // One line per storage call on stderr: what it did, how long, what it cost.
    o.observer = [](const dynamodb::CallEvent& e) {
      std::ostringstream line;
      line << "dynamodb: " << e.operation;
      if (!e.table.empty()) line << " table=" << e.table;
      if (!e.region.empty()) line << " region=" << e.region;
      line << " " << std::fixed << std::setprecision(1) << e.latency.count() / 1000.0 << " ms"
           << " sent=" << e.bytes_sent << "B received=" << e.bytes_received << "B";
      if (e.consumed_capacity > 0) line << " capacity=" << std::setprecision(2) << e.consumed_capacity;
      line << " attempts=" << e.attempts << " " << (e.outcome == ErrorCode::kOk ? "ok" : e.service_code);
      std::cerr << line.str() << "\n";
    };
  }
  return o;
}

std::shared_ptr<dynamodb::DynamoDbClient> Context::client() {
  if (!uses_dynamodb()) throw UsageError("this command needs --store dynamodb");
  if (!client_) {
    auto created = dynamodb::DynamoDbClient::create(client_options());
    if (!created.ok()) created.status().throw_if_error();
    client_ = *created;
  }
  return client_;
}

std::shared_ptr<Checkpointer> Context::checkpointer() {
  if (checkpointer_) return checkpointer_;
  if (options_.store.starts_with("file:")) {
    checkpointer_ = std::make_shared<FileCheckpointer>(
        options_.store.substr(5), LocalCheckpointerOptions().with_history(options_.history));
  } else if (uses_dynamodb()) {
    auto cp = std::make_shared<DynamoDbCheckpointer>(options_.table);
    cp->with_client(client());
    if (!options_.ttl.empty()) cp->with_ttl(parse_duration(options_.ttl));
    cp->with_incremental(options_.incremental);
    cp->with_history(options_.history);
    checkpointer_ = cp;
  } else {
    throw UsageError("--store '" + options_.store + "' is not dynamodb or file:DIR");
  }
  return checkpointer_;
}

void Context::print(const nlohmann::json& json, const std::string& text) const {
  if (options_.json) {
    std::cout << json.dump() << "\n";
  } else if (!text.empty()) {
    std::cout << text << (text.back() == '\n' ? "" : "\n");
  }
}

int report_error(const std::exception& error, bool json) {
  const auto* e = dynamic_cast<const Error*>(&error);
  const bool usage = dynamic_cast<const UsageError*>(&error) != nullptr;
  int exit_code = kError;
  if (usage) exit_code = kUsage;
  if (e != nullptr && e->code() == ErrorCode::kConflict) exit_code = kConflict;
  if (!json) {
    std::cerr << "agents: error: " << one_line(error.what()) << "\n";
    return exit_code;
  }
  nlohmann::json out{{"code", usage          ? "usage"
                              : e != nullptr ? std::string(error_code_name(e->code()))
                                             : "error"},
                     {"message", error.what()},
                     {"exit_code", exit_code}};
  if (e != nullptr) {
    const ErrorDetails& d = e->details();
    if (!d.service_code.empty()) out["service_code"] = d.service_code;
    if (d.http_status != 0) out["http_status"] = d.http_status;
    if (!d.request_id.empty()) out["request_id"] = d.request_id;
    if (d.outcome_unknown) out["outcome_unknown"] = true;
  }
  std::cerr << nlohmann::json{{"error", out}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
            << "\n";
  return exit_code;
}

int report_usage_error(const std::string& message, bool json) {
  if (!json) {
    std::cerr << "agents: usage error: " << one_line(message) << " (see agents --help)\n";
    return kUsage;
  }
  return report_error(UsageError(message + " (see agents --help)"), true);
}

}  // namespace agents::cli
