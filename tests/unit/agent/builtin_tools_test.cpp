// The built-in tools over the state's todos and virtual files, and Tool's argument checks.
#include "agents/agent/builtin_tools.hpp"

#include <gtest/gtest.h>

#include "agents/core/error.hpp"

namespace agents {
namespace {

class BuiltinToolsTest : public ::testing::Test {
 protected:
  std::string run(const Tool& tool, const Json& args) {
    EXPECT_EQ(tool.check_arguments(args), "") << tool.name() << " " << args.dump();
    ToolContext ctx{state_, call_id_, thread_};
    return tool.invoke(args, ctx);
  }
  AgentStateSnapshot state_;
  std::string call_id_ = "call_1";
  std::string thread_ = "t";
};

TEST_F(BuiltinToolsTest, WriteTodosReplacesAndReadTodosReturnsJson) {
  state_.todos = {{"old", TodoStatus::kPending}};
  EXPECT_EQ(run(write_todos_tool(), Json::parse(R"({"todos":[{"content":"a","status":"in_progress"},
                                                             {"content":"b","status":"completed"}]})")),
            "Updated the todo list (2 items).");
  EXPECT_EQ(state_.todos,
            (std::vector<TodoItem>{{"a", TodoStatus::kInProgress}, {"b", TodoStatus::kCompleted}}));
  EXPECT_EQ(run(read_todos_tool(), Json::object()),
            R"({"todos":[{"content":"a","status":"in_progress"},{"content":"b","status":"completed"}]})");
  EXPECT_THROW(run(write_todos_tool(), Json::parse(R"({"todos":[{"content":"a","status":"later"}]})")),
               InvalidArgumentError);
  EXPECT_EQ(state_.todos.size(), 2u);  // unchanged after a bad call
}

TEST_F(BuiltinToolsTest, FilesWriteReadEditLs) {
  EXPECT_EQ(run(ls_tool(), Json::object()), "(no files)");
  EXPECT_EQ(run(write_file_tool(), {{"path", "b.md"}, {"content", "one\ntwo\nthree\ntwo\n"}}),
            "Wrote 18 bytes to b.md.");
  run(write_file_tool(), {{"path", "a.txt"}, {"content", "x"}});
  EXPECT_EQ(run(ls_tool(), Json::object()), "a.txt\nb.md");
  EXPECT_EQ(run(read_file_tool(), {{"path", "b.md"}}), "one\ntwo\nthree\ntwo\n");
  EXPECT_EQ(run(read_file_tool(), {{"path", "b.md"}, {"offset", 1}, {"limit", 2}}), "two\nthree\n");
  EXPECT_THROW(run(read_file_tool(), {{"path", "nope"}}), NotFoundError);
  EXPECT_THROW(run(edit_file_tool(), {{"path", "b.md"}, {"old_string", "two"}, {"new_string", "2"}}),
               InvalidArgumentError);  // twice, no replace_all
  EXPECT_EQ(run(edit_file_tool(), {{"path", "b.md"}, {"old_string", "three"}, {"new_string", "3"}}),
            "Replaced 1 occurrence(s) in b.md.");
  EXPECT_EQ(run(edit_file_tool(),
                {{"path", "b.md"}, {"old_string", "two"}, {"new_string", "two-two"}, {"replace_all", true}}),
            "Replaced 2 occurrence(s) in b.md.");
  EXPECT_EQ(state_.files.at("b.md"), "one\ntwo-two\n3\ntwo-two\n");
  EXPECT_THROW(run(edit_file_tool(), {{"path", "b.md"}, {"old_string", "zzz"}, {"new_string", "y"}}),
               NotFoundError);
  EXPECT_THROW(run(write_file_tool(), {{"path", ""}, {"content", "x"}}), InvalidArgumentError);
}

TEST(ToolTest, ChecksArgumentsAgainstTheSchemasTopLevel) {
  Tool t("t", "d",
         Json::parse(R"({"type":"object","properties":{"n":{"type":"integer"},"s":{"type":["string","null"]},
                         "mode":{"type":"string","enum":["a","b"]}},"required":["n"]})"),
         [](const Json&) { return std::string(); });
  EXPECT_EQ(t.check_arguments(Json::parse(R"({"n":1,"s":null,"mode":"a","extra":true})")), "");
  EXPECT_EQ(t.check_arguments(Json::array()), "the arguments must be a JSON object, got an array");
  EXPECT_EQ(t.check_arguments(Json::object()), "missing required argument \"n\"");
  EXPECT_EQ(t.check_arguments(Json::parse(R"({"n":"1"})")), "argument \"n\" must be integer, got a string");
  EXPECT_EQ(t.check_arguments(Json::parse(R"({"n":1,"s":2})")),
            "argument \"s\" must be string or null, got a number");
  EXPECT_EQ(t.check_arguments(Json::parse(R"({"n":1,"mode":"c"})")),
            R"(argument "mode" must be one of ["a","b"], got "c")");
}

TEST(ToolTest, ValidatesNameSchemaAndCallable) {
  auto ok = [](const Json&) { return std::string(); };
  EXPECT_THROW(Tool("bad name", "d", Json::object(), ok), InvalidArgumentError);
  EXPECT_THROW(Tool(std::string(65, 'a'), "d", Json::object(), ok), InvalidArgumentError);
  EXPECT_THROW(Tool("t", "d", Json::array(), ok), InvalidArgumentError);
  EXPECT_THROW(Tool("t", "d", Json::object(), Tool::Handler()), InvalidArgumentError);
  Tool t("t", "d", nullptr, ok);
  EXPECT_EQ(t.parameters()["type"], "object");
  EXPECT_FALSE(t.needs_approval());
  t.requires_approval();
  EXPECT_TRUE(t.needs_approval());
  EXPECT_FALSE(t.policy_note());
}

}  // namespace
}  // namespace agents
