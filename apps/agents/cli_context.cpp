#include "cli_context.hpp"

#include <iomanip>
#include <iostream>
#include <sstream>

#include "agents/core/duration.hpp"

namespace agents::cli {

std::chrono::seconds parse_duration(const std::string& text) {
  // A bare number has no unit the reader can see: "--ttl 30" meant days, and expired in 30 s.
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    throw UsageError("--ttl '" + text + "' has no unit; write it with one: 30d, 12h, 90m or 3600s");
  }
  auto parsed = agents::parse_duration(text);
  if (!parsed) throw UsageError("--ttl '" + text + "' is not a duration; use e.g. 30d, 12h, 90m or 3600s");
  return *parsed;
}

dynamodb::ClientOptions Context::client_options() const {
  dynamodb::ClientOptions o;
  o.region = options_.region;
  o.endpoint = options_.endpoint;
  o.profile = options_.profile;
  if (options_.verbose) {
    // One line per storage call on stderr: what it did, how long, what it cost.
    o.observer = [](const dynamodb::CallEvent& e) {
      std::ostringstream line;
      line << "dynamodb: " << e.operation;
      if (!e.table.empty()) line << " table=" << e.table;
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
    checkpointer_ = std::make_shared<FileCheckpointer>(options_.store.substr(5));
  } else if (uses_dynamodb()) {
    auto cp = std::make_shared<DynamoDbCheckpointer>(options_.table);
    cp->with_client(client());
    if (!options_.ttl.empty()) cp->with_ttl(parse_duration(options_.ttl));
    cp->with_incremental(options_.incremental);
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

int report_error(const std::exception& error) {
  std::string message = error.what();
  for (char& c : message) {
    if (c == '\n') c = ' ';
  }
  std::cerr << "agents: error: " << message << "\n";
  if (dynamic_cast<const UsageError*>(&error) != nullptr) return kUsage;
  if (const auto* e = dynamic_cast<const Error*>(&error)) {
    if (e->code() == ErrorCode::kConflict) return kConflict;
    if (e->code() == ErrorCode::kInvalidArgument) return kError;
  }
  return kError;
}

}  // namespace agents::cli
