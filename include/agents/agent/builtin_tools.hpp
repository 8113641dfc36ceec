// The built-in tools of the original crate, over the state's todos and virtual files.
// ConfigurableAgentBuilder adds all of them unless told otherwise.
#pragma once

#include <vector>

#include "agents/agent/tool.hpp"
#include "agents/export.hpp"

namespace agents {

/// write_todos {"todos":[{"content","status"}]}: replaces the whole todo list.
AGENTS_API Tool write_todos_tool();
/// read_todos {}: the todo list as JSON, {"todos":[{"content":"...","status":"pending"}]}.
AGENTS_API Tool read_todos_tool();
/// write_file {"path","content"}: creates or overwrites a virtual file.
AGENTS_API Tool write_file_tool();
/// read_file {"path","offset"?,"limit"?}: the file's text (lines [offset, offset+limit), 0-based).
AGENTS_API Tool read_file_tool();
/// edit_file {"path","old_string","new_string","replace_all"?}: exact-text replacement; fails
/// when old_string is absent, or appears more than once without replace_all.
AGENTS_API Tool edit_file_tool();
/// ls {}: the virtual files' paths, one per line, sorted.
AGENTS_API Tool ls_tool();

/// All six, in the order above.
AGENTS_API std::vector<Tool> builtin_tools();

}  // namespace agents
