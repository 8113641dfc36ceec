// Whether an existing table is one `agents` may use, and the commands that fix it when it is
// not. A checkpoint table is keyed on `thread_id` (S) alone; any other table belongs to someone
// else, and no `agents` command may change it (docs/table-setup.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli_context.hpp"

namespace agents::cli {

/// "strong (MRSC)", "eventual (MREC)", "single Region".
std::string_view consistency_label(dynamodb::TableConsistency mode);
/// What holds for saves and loads across Regions in `mode` (docs/global-tables.md), one sentence.
std::string_view consistency_guarantee(dynamodb::TableConsistency mode);

/// "id (S, HASH)", "thread_id (S, HASH), sk (S, RANGE)".
std::string describe_key_schema(const dynamodb::TableDescription& table);
/// The table's key is thread_id (S, HASH) alone.
bool has_checkpoint_key(const dynamodb::TableDescription& table);

/// `agents` with the global options the user gave on this command line (endpoint, region,
/// profile), so that a printed fix runs against the same server: e.g.
/// "agents --endpoint-url http://localhost:8000 --table T table create".
std::string agents_command(const GlobalOptions& options, const std::string& table, const std::string& args);
/// The same for the AWS CLI: "aws dynamodb OPERATION --endpoint-url ... --table-name T ARGS".
std::string aws_command(const GlobalOptions& options, const std::string& operation, const std::string& table,
                        const std::string& args);
/// What to run instead of using a table that belongs to something else.
std::string use_own_table_fix(const GlobalOptions& options, const std::string& table);

/// "table T is keyed on id (S, HASH), not thread_id (S, HASH) alone: ...; nothing was changed;
/// fix: ...". One line.
std::string foreign_key_message(const GlobalOptions& options, const dynamodb::TableDescription& table);

/// Describes the table and throws InvalidArgumentError (exit 1) when its key is not a checkpoint
/// table's. A caller without dynamodb:DescribeTable is not stopped: the check is skipped.
void require_checkpoint_table(Context& ctx);

/// Runs `body`; a ValidationException from it (what DynamoDB answers when a key does not match
/// the table's key schema) is explained as a foreign table when the table's key is wrong.
/// Costs nothing on the common path: the table is described only after such a failure.
template <typename Body>
auto explaining_foreign_table(Context& ctx, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Error& e) {
    if (e.service_code() != "ValidationException") throw;
    require_checkpoint_table(ctx);
    throw;
  }
}

}  // namespace agents::cli
