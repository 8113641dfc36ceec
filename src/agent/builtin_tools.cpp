#include "agents/agent/builtin_tools.hpp"

#include <sstream>

#include "agents/core/error.hpp"

namespace agents {

namespace {

Json object_schema(Json properties, std::vector<std::string> required) {
  return Json{{"type", "object"}, {"properties", std::move(properties)}, {"required", std::move(required)}};
}

std::string path_argument(const Json& args) {
  std::string path = args.at("path").get<std::string>();
  if (path.empty()) throw InvalidArgumentError("the path is empty");
  return path;
}

const std::string& existing_file(const AgentStateSnapshot& state, const std::string& path) {
  auto it = state.files.find(path);
  if (it == state.files.end()) {
    throw NotFoundError(
        "file \"" + path + "\" does not exist" +
        (state.files.empty() ? std::string(" (there are no files)") : "; use ls to list the files"));
  }
  return it->second;
}

TodoStatus parse_status(const std::string& s) {
  if (s == "pending") return TodoStatus::kPending;
  if (s == "in_progress") return TodoStatus::kInProgress;
  if (s == "completed") return TodoStatus::kCompleted;
  throw InvalidArgumentError("todo status \"" + s + "\" is not one of pending, in_progress, completed");
}

}  // namespace

Tool write_todos_tool() {
  Json item = {{"type", "object"},
               {"properties",
                {{"content", {{"type", "string"}, {"description", "what to do"}}},
                 {"status", {{"type", "string"}, {"enum", {"pending", "in_progress", "completed"}}}}}},
               {"required", {"content", "status"}}};
  return Tool(
      "write_todos",
      "Replace the whole todo list with the given items. Use it to plan multi-step work and to mark "
      "progress; include every item you want to keep.",
      object_schema({{"todos", {{"type", "array"}, {"items", item}}}}, {"todos"}),
      [](const Json& args, ToolContext& ctx) {
        std::vector<TodoItem> todos;
        for (const auto& t : args.at("todos")) {
          if (!t.is_object() || !t.contains("content") || !t["content"].is_string()) {
            throw InvalidArgumentError("each todo needs a string \"content\"");
          }
          todos.push_back({t["content"].get<std::string>(), parse_status(t.value("status", "pending"))});
        }
        ctx.state.todos = std::move(todos);
        return "Updated the todo list (" + std::to_string(ctx.state.todos.size()) + " items).";
      });
}

Tool read_todos_tool() {
  return Tool("read_todos", "Read the current todo list, as JSON.", object_schema(Json::object(), {}),
              [](const Json&, ToolContext& ctx) {
                Json list = Json::array();
                for (const auto& t : ctx.state.todos) {
                  list.push_back({{"content", t.content}, {"status", todo_status_name(t.status)}});
                }
                return Json{{"todos", std::move(list)}}.dump(-1, ' ', false, Json::error_handler_t::replace);
              });
}

Tool write_file_tool() {
  return Tool(
      "write_file", "Create or overwrite a file in the agent's virtual file system.",
      object_schema({{"path", {{"type", "string"}}}, {"content", {{"type", "string"}}}}, {"path", "content"}),
      [](const Json& args, ToolContext& ctx) {
        std::string path = path_argument(args);
        std::string content = args.at("content").get<std::string>();
        auto bytes = content.size();
        ctx.state.files[path] = std::move(content);
        return "Wrote " + std::to_string(bytes) + " bytes to " + path + ".";
      });
}

Tool read_file_tool() {
  return Tool(
      "read_file",
      "Read a file of the agent's virtual file system. Optional offset (first line, 0-based) and limit "
      "(number of lines) read part of it.",
      object_schema({{"path", {{"type", "string"}}},
                     {"offset", {{"type", "integer"}, {"minimum", 0}}},
                     {"limit", {{"type", "integer"}, {"minimum", 1}}}},
                    {"path"}),
      [](const Json& args, ToolContext& ctx) {
        const std::string& content = existing_file(ctx.state, path_argument(args));
        if (!args.contains("offset") && !args.contains("limit")) return content;
        auto offset = args.value("offset", 0LL);
        auto limit = args.value("limit", static_cast<long long>(content.size()) + 1);
        std::istringstream in(content);
        std::string line;
        std::string out;
        for (long long n = 0; std::getline(in, line); ++n) {
          if (n < offset) continue;
          if (n >= offset + limit) break;
          out += line + "\n";
        }
        return out;
      });
}

Tool edit_file_tool() {
  return Tool(
      "edit_file",
      "Replace exact text in a file of the agent's virtual file system. old_string must appear exactly once "
      "unless replace_all is true.",
      object_schema({{"path", {{"type", "string"}}},
                     {"old_string", {{"type", "string"}}},
                     {"new_string", {{"type", "string"}}},
                     {"replace_all", {{"type", "boolean"}}}},
                    {"path", "old_string", "new_string"}),
      [](const Json& args, ToolContext& ctx) {
        std::string path = path_argument(args);
        std::string content = existing_file(ctx.state, path);
        const auto old_s = args.at("old_string").get<std::string>();
        const auto new_s = args.at("new_string").get<std::string>();
        const bool all = args.value("replace_all", false);
        if (old_s.empty()) throw InvalidArgumentError("old_string is empty");
        std::size_t count = 0;
        for (auto pos = content.find(old_s); pos != std::string::npos; pos = content.find(old_s, pos + 1))
          ++count;
        if (count == 0) throw NotFoundError("old_string was not found in " + path);
        if (count > 1 && !all) {
          throw InvalidArgumentError("old_string appears " + std::to_string(count) + " times in " + path +
                                     "; give more context or set replace_all");
        }
        for (auto pos = content.find(old_s); pos != std::string::npos;
             pos = content.find(old_s, pos + new_s.size())) {
          content.replace(pos, old_s.size(), new_s);
          if (!all) break;
        }
        ctx.state.files[path] = std::move(content);
        return "Replaced " + std::to_string(all ? count : 1) + " occurrence(s) in " + path + ".";
      });
}

Tool ls_tool() {
  return Tool("ls", "List the paths of the agent's virtual files, one per line.",
              object_schema(Json::object(), {}), [](const Json&, ToolContext& ctx) {
                if (ctx.state.files.empty()) return std::string("(no files)");
                std::string out;
                for (const auto& [path, content] : ctx.state.files) out += (out.empty() ? "" : "\n") + path;
                return out;
              });
}

std::vector<Tool> builtin_tools() {
  return {write_todos_tool(), read_todos_tool(), write_file_tool(),
          read_file_tool(),   edit_file_tool(),  ls_tool()};
}

}  // namespace agents
