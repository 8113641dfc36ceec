// `agents doctor`: checks, in order, what the common path needs, and says how to fix each
// failure. Changes no data: the permission probes use keys that do not exist and conditions
// that cannot hold.
#include <iostream>
#include <random>

#include "cli_context.hpp"
#include "table_check.hpp"

namespace agents::cli {

namespace {

struct Check {
  std::string name;
  std::string status;  // ok, warn, FAIL
  std::string detail;
  std::string fix;
};

std::string probe_key() {
  std::mt19937_64 rng{std::random_device{}()};
  return "agents-doctor-probe-" + std::to_string(rng());
}

bool is_transport(const Status& s) {
  return s.code() == ErrorCode::kConnectionFailed || s.code() == ErrorCode::kTimeout;
}

// The endpoint passes only on an answer in the DynamoDB protocol: a success, or a DynamoDB error
// (the client tells those from another web server's page). No call (no credentials to sign it)
// or a transport fault is no proof the endpoint works.
bool dynamodb_answered(const Status& s) {
  return s.ok() || (s.details().http_status > 0 && s.details().service_code != "NotDynamoDbEndpoint");
}

Check permission_check(const std::string& action, const Status& status, bool acceptable) {
  if (acceptable) return {"permission " + action, "ok", "allowed", ""};
  if (status.code() == ErrorCode::kAccessDenied) {
    return {"permission " + action, "FAIL", status.message(),
            "grant dynamodb:" + action + " on the table (see docs/iam-policy.md)"};
  }
  return {"permission " + action, "FAIL", status.message(), "see the message"};
}

// Permission probes on a key that does not exist, with conditions that cannot hold.
void probe_permissions(dynamodb::DynamoDbClient& client, const std::string& table,
                       std::vector<Check>& checks) {
  std::string key = probe_key();
  dynamodb::Item item{{"thread_id", dynamodb::AttributeValue::S(key)}};
  auto get = client.get_item({.table = table, .key = item, .consistent_read = true});
  checks.push_back(permission_check("GetItem", get.status(), get.ok()));
  dynamodb::WriteConditions never{.condition = "attribute_exists(thread_id)"};
  auto put = client.put_item({.table = table, .item = item, .conditions = never});
  checks.push_back(permission_check("PutItem", put.status(), put.ok() && put->condition_failed));
  auto del = client.delete_item({.table = table, .key = item, .conditions = never});
  checks.push_back(permission_check("DeleteItem", del.status(), del.ok() && del->condition_failed));
}

}  // namespace

int run_doctor(Context& ctx) {
  std::vector<Check> checks;
  auto client = ctx.client();
  const std::string& table = ctx.options().table;

  auto creds = client->describe_credentials();
  if (creds.ok()) {
    checks.push_back({"credentials", "ok", *creds, ""});
  } else {
    checks.push_back(
        {"credentials", "FAIL", creds.status().message(),
         "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with an IAM role"});
  }
  checks.push_back({"region", "ok", client->region(), ""});

  auto described = client->describe_table(table);
  bool strong = false;   // MRSC: no TTL to check; the sweeper replaces it
  bool foreign = false;  // keyed otherwise: another application's table, never to be changed
  if (!dynamodb_answered(described.status())) {
    const Status& s = described.status();
    std::string fix = "see the message";
    std::string detail = client->endpoint() + ": " + s.message();
    if (is_transport(s)) {
      fix = "check --endpoint-url / AWS_ENDPOINT_URL_DYNAMODB and that the server is running";
    } else if (s.details().service_code == "NotDynamoDbEndpoint") {
      fix = "point --endpoint-url / AWS_ENDPOINT_URL_DYNAMODB at a DynamoDB endpoint";
    } else if (s.code() == ErrorCode::kCredentialsUnavailable) {
      detail = client->endpoint() + ": not checked: no DynamoDB call can be signed without credentials";
      fix = "fix the credentials (above), then run doctor again";
    }
    checks.push_back({"endpoint", "FAIL", detail, fix});
  } else {
    checks.push_back(
        {"endpoint", "ok", client->endpoint() + " speaks DynamoDB (DescribeTable answered)", ""});
    if (described.ok()) {
      foreign = !has_checkpoint_key(*described);
      if (foreign) {
        checks.push_back({"table", "FAIL",
                          table + " is keyed on " + describe_key_schema(*described) +
                              ", not thread_id (S, HASH) alone: not an agents checkpoint table",
                          use_own_table_fix(ctx.options(), table)});
      } else {
        checks.push_back({"table", "ok", table + " is " + described->status + ", key thread_id (S)", ""});
      }
      if (described->billing_mode == "PAY_PER_REQUEST") {
        checks.push_back({"billing", "ok", "on demand (PAY_PER_REQUEST)", ""});
      } else {
        checks.push_back({"billing", "warn", described->billing_mode,
                          "provisioned tables throttle bursts; on-demand suits agents (see docs/costs.md)"});
      }
      // Which guarantee holds across Regions (docs/global-tables.md), with the Regions' state.
      std::string regions;
      bool all_active = true;
      for (const auto& r : described->replicas) {
        regions += (regions.empty() ? "" : ", ") + r.region + " " + r.status;
        all_active = all_active && r.status == "ACTIVE";
      }
      for (const auto& w : described->witnesses) {
        regions += (regions.empty() ? "" : ", ") + w.region + " " + w.status + " (witness)";
        all_active = all_active && w.status == "ACTIVE";
      }
      const auto mode = described->consistency();
      checks.push_back({"consistency", all_active ? "ok" : "warn",
                        std::string(consistency_label(mode)) + (regions.empty() ? "" : ": " + regions) +
                            ". " + std::string(consistency_guarantee(mode)),
                        all_active ? "" : "wait until every Region is ACTIVE (`agents table describe`)"});
      strong = mode == dynamodb::TableConsistency::kStrong;
    } else if (described.status().code() == ErrorCode::kNotFound) {
      checks.push_back({"table", "FAIL", "table " + table + " does not exist in " + client->region(),
                        agents_command(ctx.options(), table, "table create")});
    } else if (described.status().code() == ErrorCode::kAccessDenied) {
      checks.push_back(
          {"table", "warn", "cannot describe the table (no dynamodb:DescribeTable); not checked", ""});
    } else {
      checks.push_back({"table", "FAIL", described.status().message(), "see the message"});
    }

    auto ttl = client->describe_time_to_live(table);
    if (strong) {
      checks.push_back({"ttl", "ok",
                        "not supported on strongly consistent global tables: expired threads are hidden on "
                        "load; delete them with `agents table sweep` (docs/ttl.md)",
                        ""});
    } else if (ttl.ok() && ttl->status == "ENABLED" && ttl->attribute == "ttl") {
      checks.push_back({"ttl", "ok", "ENABLED on attribute ttl", ""});
    } else if (ttl.ok()) {
      // TTL on another attribute is the table owner's: agents never moves it.
      const bool other = !ttl->attribute.empty() && ttl->attribute != "ttl" && ttl->status != "DISABLED";
      checks.push_back({"ttl", "FAIL", ttl->status + (ttl->attribute.empty() ? "" : " on " + ttl->attribute),
                        other || foreign ? use_own_table_fix(ctx.options(), table)
                                         : agents_command(ctx.options(), table, "table create") +
                                               " (enables TTL on ttl)"});
    } else {
      checks.push_back({"ttl", "warn", "not checked: " + ttl.status().message(), ""});
    }

    if (foreign) {
      // The probes' key would not fit this table's: DynamoDB would answer ValidationException.
      checks.push_back(
          {"permissions", "warn", "not checked: the table is not an agents checkpoint table", ""});
    } else {
      probe_permissions(*client, table, checks);
    }
  }

  bool failed = false;
  nlohmann::json out = nlohmann::json::array();
  std::string text;
  for (const auto& c : checks) {
    failed = failed || c.status == "FAIL";
    out.push_back({{"check", c.name}, {"status", c.status}, {"detail", c.detail}, {"fix", c.fix}});
    text +=
        c.status + std::string(6 - std::min<std::size_t>(5, c.status.size()), ' ') + c.name + ": " + c.detail;
    if (!c.fix.empty()) text += "\n      fix: " + c.fix;
    text += "\n";
  }
  ctx.print(out, text);
  return failed ? kError : kOk;
}

}  // namespace agents::cli
