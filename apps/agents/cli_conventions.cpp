#include "cli_conventions.hpp"

#include <iostream>
#include <string_view>

namespace agents::cli {

namespace {

std::string global_options_text(const CLI::App& app) {
  std::string text = "Global options (before or after the subcommand, as with the AWS CLI):\n";
  for (const CLI::Option* option : app.get_options()) {
    std::string names = option->get_name(false, true);
    if (names == "--help,-h" || names == "-h,--help" || names.find("--version") != std::string::npos)
      continue;
    std::string line = "  " + names;
    if (option->get_type_size() != 0) line += " " + option->get_type_name();
    line.resize(line.size() < 34 ? 34 : line.size(), ' ');
    if (line.size() > 34) line += "\n" + std::string(34, ' ');
    text += line + option->get_description();
    if (!option->get_default_str().empty()) text += " (default: " + option->get_default_str() + ")";
    text += "\n";
  }
  return text;
}

void adopt(CLI::App& command, const std::string& footer) {
  command.fallthrough();  // an option the command does not know goes up to its parent, so to `app`
  command.footer(footer);
  for (CLI::App* sub : command.get_subcommands([](CLI::App*) { return true; })) adopt(*sub, footer);
}

}  // namespace

void accept_global_options_everywhere(CLI::App& app) {
  const std::string footer = global_options_text(app);
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) adopt(*sub, footer);
}

int run_help(const CLI::App& app, const std::vector<std::string>& topic) {
  const CLI::App* command = &app;
  std::string path = app.get_name();
  for (const std::string& name : topic) {
    const CLI::App* found = nullptr;
    for (const CLI::App* sub : command->get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->get_name() == name) found = sub;
    }
    if (found == nullptr || name == "help") {
      std::cerr << "agents: usage error: no command '" << name << "' (see agents help)\n";
      return 2;
    }
    command = found;
    path += " " + found->get_name();
  }
  std::cout << command->get_formatter()->make_help(command, path, CLI::AppFormatMode::Normal);
  return 0;
}

bool json_requested(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--json") return true;
  }
  return false;
}

}  // namespace agents::cli
