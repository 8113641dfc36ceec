// The AWS CLI's conventions the `agents` command follows: global options before or after the
// subcommand, each subcommand's --help listing them, and `agents help [COMMAND...]`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace agents::cli {

/// Lets every subcommand take the global options (those of `app`) after its own name, and adds
/// them to each subcommand's --help. Call once every option and subcommand exists.
void accept_global_options_everywhere(CLI::App& app);

/// `agents help [COMMAND...]`: prints the help of `app` or of the named subcommand; exit code.
int run_help(const CLI::App& app, const std::vector<std::string>& topic);

/// Whether --json appears among the arguments (known before parsing, for parse errors).
bool json_requested(int argc, char** argv);

}  // namespace agents::cli
