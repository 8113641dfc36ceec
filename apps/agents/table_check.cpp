#include "table_check.hpp"

namespace agents::cli {

std::string_view consistency_label(dynamodb::TableConsistency mode) {
  switch (mode) {
    case dynamodb::TableConsistency::kStrong:
      return "strong (MRSC global table)";
    case dynamodb::TableConsistency::kEventual:
      return "eventual (MREC global table)";
    case dynamodb::TableConsistency::kSingleRegion:
      break;
  }
  return "single Region (no replicas)";
}

std::string_view consistency_guarantee(dynamodb::TableConsistency mode) {
  switch (mode) {
    case dynamodb::TableConsistency::kStrong:
      return "conditional saves and consistent loads see every Region's writes: any Region may save any "
             "thread (a checkpointer with_regions moves saves too when home fails)";
    case dynamodb::TableConsistency::kEventual:
      return "conditional saves and consistent loads are consistent within one Region only; across Regions "
             "the last writer wins, so pin each thread's writers to one Region (with_regions moves only "
             "loads)";
    case dynamodb::TableConsistency::kSingleRegion:
      break;
  }
  return "conditional saves and consistent loads: no lost update, every load sees the last save";
}

namespace {

// Single-quotes a value for a POSIX shell unless it is plainly safe, so a printed fix pastes as is.
std::string shell_word(const std::string& value) {
  bool plain = !value.empty();
  for (char c : value) {
    bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                std::string_view("_-.,:/@%+=").find(c) != std::string_view::npos;
    plain = plain && safe;
  }
  if (plain) return value;
  std::string quoted = "'";
  for (char c : value) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string attribute_type(const dynamodb::TableDescription& table, const std::string& name) {
  for (const auto& [attribute, type] : table.attribute_types) {
    if (attribute == name) return type;
  }
  return "?";
}

// The options that choose where a command goes; credentials and the table come from elsewhere.
std::string connection_options(const GlobalOptions& options) {
  std::string out;
  if (!options.endpoint.empty()) out += " --endpoint-url " + shell_word(options.endpoint);
  if (!options.region.empty()) out += " --region " + shell_word(options.region);
  if (!options.profile.empty()) out += " --profile " + shell_word(options.profile);
  return out;
}

}  // namespace

std::string describe_key_schema(const dynamodb::TableDescription& table) {
  std::string text;
  for (const auto& [name, key_type] : table.key_schema) {
    text += (text.empty() ? "" : ", ") + name + " (" + attribute_type(table, name) + ", " + key_type + ")";
  }
  return text.empty() ? "no key" : text;
}

bool has_checkpoint_key(const dynamodb::TableDescription& table) {
  return table.key_schema.size() == 1 && table.key_schema[0].first == "thread_id" &&
         table.key_schema[0].second == "HASH" && attribute_type(table, "thread_id") == "S";
}

std::string agents_command(const GlobalOptions& options, const std::string& table, const std::string& args) {
  return "agents" + connection_options(options) + " --table " + shell_word(table) + " " + args;
}

std::string aws_command(const GlobalOptions& options, const std::string& operation, const std::string& table,
                        const std::string& args) {
  return "aws dynamodb " + operation + connection_options(options) + " --table-name " + shell_word(table) +
         (args.empty() ? "" : " " + args);
}

std::string use_own_table_fix(const GlobalOptions& options, const std::string& table) {
  const std::string own = table + "-agents";
  return "use a table of your own: " + agents_command(options, own, "table create") + ", then pass --table " +
         shell_word(own) + " (or set AGENTS_TABLE)";
}

std::string foreign_key_message(const GlobalOptions& options, const dynamodb::TableDescription& table) {
  return "table " + table.name + " is keyed on " + describe_key_schema(table) +
         ", not on thread_id (S, HASH) alone: it is not an agents checkpoint table, and agents does not "
         "change it; nothing was changed. Fix: " +
         use_own_table_fix(options, table.name);
}

void require_checkpoint_table(Context& ctx) {
  if (!ctx.uses_dynamodb()) return;
  auto described = ctx.client()->describe_table(ctx.options().table);
  if (!described.ok()) {
    // Without DescribeTable (a least-privilege policy) the check cannot run; the call proceeds.
    if (described.status().code() == ErrorCode::kAccessDenied) return;
    described.status().throw_if_error();
  }
  if (!has_checkpoint_key(*described)) {
    throw InvalidArgumentError(foreign_key_message(ctx.options(), *described));
  }
}

}  // namespace agents::cli
