// The offline model's rule set. Everything it knows comes from the messages it is given: facts
// from earlier user messages, todos and files from the results of tools it called this turn.
#include "agents/model/offline_chat_model.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <set>
#include <sstream>

namespace agents {

namespace {

constexpr std::string_view kHelpText =
    "I am the offline model: a small fixed rule set for demos and tests, not a language model. I "
    "understand:\n"
    "- \"my name is ...\", \"my <thing> is ...\", \"remember that ...\" (recalled later from this "
    "conversation)\n"
    "- \"what is my name?\", \"what is my <thing>?\", \"what do you remember?\"\n"
    "- \"add a todo: ...\", \"complete todo 2\", \"what are my todos?\"\n"
    "- \"write file notes.md: ...\", \"read file notes.md\", \"list files\"\n"
    "- \"call <tool> {json arguments}\" to call any tool the agent offers";

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s, std::string_view chars = " \t\r\n") {
  auto b = s.find_first_not_of(chars);
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(chars);
  return std::string(s.substr(b, e - b + 1));
}

// A value the user stated, without the sentence's closing punctuation.
std::string value_of(std::string_view s) { return trim(s, " \t\r\n.!?,;\"'"); }

// "I have a dog" -> "you have a dog": enough pronoun swapping for recalled facts.
std::string second_person(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string word;
  std::string out;
  while (in >> word) {
    std::string l = lower(word);
    std::string repl = word;
    if (l == "i") repl = "you";
    if (l == "my") repl = "your";
    if (l == "me") repl = "you";
    if (l == "am") repl = "are";
    if (l == "i'm") repl = "you're";
    if (l == "mine") repl = "yours";
    if (!out.empty()) out += ' ';
    out += repl;
  }
  return out;
}

// Text after the first of `prefixes` that `l` (lowercased `text`) starts with.
std::optional<std::string> after_prefix(const std::string& text, const std::string& l,
                                        std::initializer_list<std::string_view> prefixes) {
  for (auto p : prefixes) {
    if (l.starts_with(p)) return trim(std::string_view(text).substr(p.size()));
  }
  return std::nullopt;
}

struct Fact {
  std::string key;   // "name", "favourite colour", or "" for a free-form "remember that"
  std::string text;  // second person, e.g. "your name is Alice"
  std::string value;
};

// A statement of a fact in one user message, if it is one.
std::optional<Fact> fact_in(const std::string& text) {
  std::string t = trim(text);
  std::string l = lower(t);
  if (auto rest =
          after_prefix(t, l, {"remember that ", "please remember that ", "remember: ", "remember "})) {
    std::string v = value_of(*rest);
    if (v.empty()) return std::nullopt;
    Fact f{"", second_person(v), v};
    // "remember that my dog is Rex" is also a keyed fact.
    std::string lv = lower(v);
    if (lv.starts_with("my ")) {
      auto is = lv.find(" is ");
      if (is != std::string::npos) f.key = trim(lv.substr(3, is - 3)), f.value = value_of(v.substr(is + 4));
    }
    return f;
  }
  if (auto pos = l.find("my name is "); pos != std::string::npos && l.find('?') == std::string::npos) {
    // "Hi, my name is Alice." anywhere in the message; the name ends at the sentence's end.
    std::string rest = t.substr(pos + 11);
    std::string v = value_of(rest.substr(0, rest.find_first_of(".,!;")));
    if (!v.empty()) return Fact{"name", "your name is " + v, v};
  }
  if (l.starts_with("my ")) {
    auto is = l.find(" is ");
    if (is == std::string::npos || l.find('?') != std::string::npos) return std::nullopt;
    std::string key = trim(l.substr(3, is - 3));
    std::string v = value_of(t.substr(is + 4));
    if (key.empty() || v.empty() || key.size() > 40) return std::nullopt;
    return Fact{key, "your " + key + " is " + v, v};
  }
  if (l.starts_with("i'm ") || l.starts_with("i am ")) {
    // "I am Alice" only when it looks like a name (one or two capitalised words).
    std::string v = value_of(t.substr(l.starts_with("i'm ") ? 4 : 5));
    if (!v.empty() && std::isupper(static_cast<unsigned char>(v[0])) &&
        std::count(v.begin(), v.end(), ' ') <= 1) {
      return Fact{"name", "your name is " + v, v};
    }
  }
  return std::nullopt;
}

// Facts from every user message before the last one, oldest first; later statements of the
// same key replace earlier ones.
std::vector<Fact> facts_before(const std::vector<Message>& messages, std::size_t end) {
  std::vector<Fact> facts;
  for (std::size_t i = 0; i < end; ++i) {
    if (messages[i].role != "user") continue;
    auto f = fact_in(messages[i].content);
    if (!f) continue;
    if (!f->key.empty()) {
      std::erase_if(facts, [&](const Fact& old) { return old.key == f->key; });
    }
    facts.push_back(std::move(*f));
  }
  return facts;
}

enum class Intent {
  kNone,
  kHelp,
  kGreeting,
  kStateFact,
  kAskFact,
  kAskAll,
  kAddTodo,
  kCompleteTodo,
  kListTodos,
  kWriteFile,
  kReadFile,
  kListFiles,
  kCallTool,
};

struct Parsed {
  Intent intent = Intent::kNone;
  std::string a;  // todo text, path, tool name, fact key
  std::string b;  // file content, tool arguments
};

Parsed parse(const std::string& text) {
  std::string t = trim(text);
  std::string l = lower(t);
  Parsed p;
  if (l == "help" || l == "help?" || l.starts_with("what can you do")) return {Intent::kHelp, {}, {}};
  if (auto rest = after_prefix(
          t, l, {"add a todo:", "add todo:", "add a todo", "add todo", "todo:", "remind me to "})) {
    return {Intent::kAddTodo, value_of(*rest), {}};
  }
  if (auto rest =
          after_prefix(t, l, {"complete todo:", "complete todo", "mark todo", "done:", "finish todo"})) {
    std::string v = value_of(*rest);
    for (std::string_view suffix :
         {" as done", " done", " as completed", " completed", " as complete", " complete"}) {
      if (lower(v).ends_with(suffix)) v = value_of(v.substr(0, v.size() - suffix.size()));
    }
    return {Intent::kCompleteTodo, v, {}};
  }
  if (l.find("todo") != std::string::npos &&
      (l.starts_with("what") || l.starts_with("list") || l.starts_with("show") || l.starts_with("my todo") ||
       l.starts_with("read") || l.starts_with("which"))) {
    return {Intent::kListTodos, {}, {}};
  }
  if (auto rest = after_prefix(t, l, {"write file ", "write to file ", "save file ", "create file "})) {
    auto colon = rest->find(':');
    if (colon != std::string::npos)
      return {Intent::kWriteFile, value_of(rest->substr(0, colon)), trim(rest->substr(colon + 1))};
  }
  if (auto rest = after_prefix(t, l, {"read file ", "show file ", "open file ", "cat "})) {
    return {Intent::kReadFile, value_of(*rest), {}};
  }
  if (l == "ls" || l.starts_with("list files") || l.starts_with("list my files") ||
      l.starts_with("what files") || l.starts_with("show files")) {
    return {Intent::kListFiles, {}, {}};
  }
  if (auto rest = after_prefix(t, l, {"call ", "use tool ", "run tool "})) {
    auto space = rest->find_first_of(" \t{");
    std::string name = trim(rest->substr(0, space));
    std::string args = space == std::string::npos ? "{}" : trim(rest->substr(space));
    if (args.empty()) args = "{}";
    return {Intent::kCallTool, name, args};
  }
  if (l.starts_with("what do you remember") || l.starts_with("what did i tell you") ||
      l.starts_with("what do you know about me")) {
    return {Intent::kAskAll, {}, {}};
  }
  if (l.starts_with("who am i")) return {Intent::kAskFact, "name", {}};
  if (auto rest = after_prefix(
          t, l, {"what is my ", "what's my ", "whats my ", "do you remember my ", "tell me my "})) {
    return {Intent::kAskFact, lower(value_of(*rest)), {}};
  }
  if (fact_in(t)) return {Intent::kStateFact, {}, {}};
  for (std::string_view g : {"hello", "hi", "hey", "good morning", "good evening"}) {
    if (l == g ||
        (l.starts_with(g) && l.size() > g.size() && !std::isalpha(static_cast<unsigned char>(l[g.size()])))) {
      return {Intent::kGreeting, {}, {}};
    }
  }
  return p;
}

// A tool this turn already ran, with what it answered.
struct ToolRun {
  std::string name;
  std::string arguments;
  std::string result;
};

std::string fnv_hex(const std::vector<Message>& messages) {
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
  };
  for (const auto& m : messages) {
    mix(m.role);
    mix(m.content);
    mix(m.tool_call_id);
    for (const auto& c : m.tool_calls) mix(c.id);
  }
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 10; ++i) out += kHex[(h >> (i * 4)) & 0xf];
  return out;
}

struct TodoEntry {
  std::string content;
  std::string status;
};

std::optional<std::vector<TodoEntry>> parse_todos(const std::string& result) {
  Json doc = Json::parse(result, nullptr, false);
  if (doc.is_discarded()) return std::nullopt;
  const Json* list = &doc;
  if (doc.is_object() && doc.contains("todos")) list = &doc["todos"];
  if (!list->is_array()) return std::nullopt;
  std::vector<TodoEntry> out;
  for (const auto& t : *list) {
    if (!t.is_object() || !t.contains("content") || !t["content"].is_string()) return std::nullopt;
    out.push_back({t["content"].get<std::string>(), t.value("status", "pending")});
  }
  return out;
}

Json todos_json(const std::vector<TodoEntry>& todos) {
  Json list = Json::array();
  for (const auto& t : todos) list.push_back({{"content", t.content}, {"status", t.status}});
  return Json{{"todos", std::move(list)}};
}

std::string format_todos(const std::vector<TodoEntry>& todos) {
  if (todos.empty()) return "You have no todos yet. Say \"add a todo: ...\" to add one.";
  std::string out = "You have " + std::to_string(todos.size()) + (todos.size() == 1 ? " todo:" : " todos:");
  for (std::size_t i = 0; i < todos.size(); ++i) {
    out += "\n" + std::to_string(i + 1) + ". [" + todos[i].status + "] " + todos[i].content;
  }
  return out;
}

bool failed(const std::string& result) {
  return result.starts_with("Error") || result.starts_with("error") || result.starts_with("Rejected");
}

class Turn {
 public:
  explicit Turn(const ChatRequest& request) : request_(request) {
    const auto& ms = request.messages;
    for (const auto& t : request.tools) offered_.insert(t.name);
    user_index_ = ms.size();
    for (std::size_t i = ms.size(); i-- > 0;) {
      if (ms[i].role == "user") {
        user_index_ = i;
        break;
      }
    }
    if (user_index_ < ms.size()) user_text_ = ms[user_index_].content;
    // Tool results after the user's message, matched to the calls by id.
    for (std::size_t i = user_index_ + 1; i < ms.size(); ++i) {
      if (ms[i].role != "tool") continue;
      for (std::size_t j = i; j-- > user_index_;) {
        for (const auto& c : ms[j].tool_calls) {
          if (c.id == ms[i].tool_call_id) runs_.push_back({c.name, c.arguments, ms[i].content});
        }
      }
    }
    id_prefix_ = "call_offline_" + fnv_hex(ms) + "_";
  }

  ChatResponse answer() {
    if (user_index_ >= request_.messages.size())
      return say("(offline model) There is no user message to answer.");
    Parsed p = parse(user_text_);
    switch (p.intent) {
      case Intent::kHelp:
        return say(std::string(kHelpText));
      case Intent::kGreeting:
        return greeting();
      case Intent::kStateFact:
        return acknowledge();
      case Intent::kAskFact:
        return recall(p.a);
      case Intent::kAskAll:
        return recall_all();
      case Intent::kAddTodo:
      case Intent::kCompleteTodo:
        return change_todos(p);
      case Intent::kListTodos: {
        const ToolRun* read = ran("read_todos");
        if (!read) return call("read_todos", Json::object());
        if (failed(read->result)) return say("(offline model) read_todos failed: " + read->result);
        auto todos = parse_todos(read->result);
        if (!todos) return say("(offline model) I could not read the todo list: " + read->result);
        return say(format_todos(*todos));
      }
      case Intent::kWriteFile: {
        const ToolRun* w = ran("write_file");
        if (!w) return call("write_file", {{"path", p.a}, {"content", p.b}});
        if (failed(w->result)) return say("(offline model) write_file failed: " + w->result);
        return say("Saved " + p.a + " (" + std::to_string(p.b.size()) + " bytes).");
      }
      case Intent::kReadFile: {
        const ToolRun* r = ran("read_file");
        if (!r) return call("read_file", {{"path", p.a}});
        if (failed(r->result)) return say("(offline model) read_file failed: " + r->result);
        return say("Contents of " + p.a + ":\n" + r->result);
      }
      case Intent::kListFiles: {
        const ToolRun* r = ran("ls");
        if (!r) return call("ls", Json::object());
        if (failed(r->result)) return say("(offline model) ls failed: " + r->result);
        return say(r->result == "(no files)" ? std::string("There are no files yet.")
                                             : "Files:\n" + r->result);
      }
      case Intent::kCallTool: {
        const ToolRun* r = ran(p.a);
        if (r) return say("(offline model) " + p.a + " returned: " + r->result);
        Json args = Json::parse(p.b, nullptr, false);
        if (args.is_discarded() || !args.is_object()) {
          return say("(offline model) The arguments for " + p.a + " must be a JSON object, e.g. call " + p.a +
                     " {\"key\": \"value\"}.");
        }
        return call(p.a, args);
      }
      case Intent::kNone:
        break;
    }
    return say("(offline model) I heard: \"" + trim(user_text_) +
               "\". I follow a small rule set, not a language model; say \"help\" to see what I can do.");
  }

 private:
  ChatResponse greeting() {
    auto facts = facts_before(request_.messages, user_index_);
    for (const auto& f : facts) {
      if (f.key == "name") {
        return say("Hello again, " + f.value +
                   "! (offline model: I recalled your name from this conversation.)");
      }
    }
    return say(
        "Hello! I am the offline model, a small rule set rather than an LLM. Tell me \"my name is ...\", "
        "\"add a todo: ...\", or say \"help\".");
  }

  ChatResponse acknowledge() {
    auto f = fact_in(user_text_);
    if (f->key == "name") {
      return say(
          "Nice to meet you, " + f->value +
          ". (offline model: I will recall this from the conversation history, so it survives a resume.)");
    }
    return say("Noted: " + f->text + ". (offline model: recalled later from the conversation history.)");
  }

  ChatResponse recall(const std::string& key) {
    auto facts = facts_before(request_.messages, user_index_);
    for (auto it = facts.rbegin(); it != facts.rend(); ++it) {
      if (!it->key.empty() && it->key == key)
        return say("You told me earlier that " + it->text + ". (offline model)");
    }
    for (auto it = facts.rbegin(); it != facts.rend(); ++it) {  // free-form facts mentioning the key
      if (lower(it->text).find(key) != std::string::npos) {
        return say("You told me earlier that " + it->text + ". (offline model)");
      }
    }
    return say("(offline model) You have not told me your " + key + " in this conversation.");
  }

  ChatResponse recall_all() {
    auto facts = facts_before(request_.messages, user_index_);
    if (facts.empty())
      return say("(offline model) You have not told me anything to remember in this conversation.");
    std::string out = "You told me earlier that:";
    for (const auto& f : facts) out += "\n- " + f.text;
    return say(out + "\n(offline model: recalled from the conversation history)");
  }

  ChatResponse change_todos(const Parsed& p) {
    if (p.a.empty()) return say("(offline model) Which todo? Say e.g. \"add a todo: buy milk\".");
    const ToolRun* read = ran("read_todos");
    const ToolRun* write = ran("write_todos");
    if (write) {
      if (failed(write->result)) return say("(offline model) write_todos failed: " + write->result);
      auto written = parse_todos(write->arguments);
      std::string head =
          p.intent == Intent::kAddTodo ? "Added \"" + p.a + "\". " : "Marked it as completed. ";
      return say(head + (written ? format_todos(*written) : std::string()));
    }
    if (!read) return call("read_todos", Json::object());
    if (failed(read->result)) return say("(offline model) read_todos failed: " + read->result);
    auto todos = parse_todos(read->result);
    if (!todos)
      return say("(offline model) I could not read the todo list, so I left it unchanged: " + read->result);
    if (p.intent == Intent::kAddTodo) {
      todos->push_back({p.a, "pending"});
      return call("write_todos", todos_json(*todos));
    }
    // Complete by number ("2") or by (part of the) text.
    std::size_t index = todos->size();
    if (!p.a.empty() &&
        std::all_of(p.a.begin(), p.a.end(), [](unsigned char c) { return std::isdigit(c); })) {
      std::size_t n = std::stoul(p.a);
      if (n >= 1 && n <= todos->size()) index = n - 1;
    } else {
      for (std::size_t i = 0; i < todos->size(); ++i) {
        if (lower((*todos)[i].content).find(lower(p.a)) != std::string::npos) {
          index = i;
          break;
        }
      }
    }
    if (index == todos->size()) {
      return say("(offline model) I could not find todo \"" + p.a + "\". " + format_todos(*todos));
    }
    (*todos)[index].status = "completed";
    return call("write_todos", todos_json(*todos));
  }

  const ToolRun* ran(const std::string& name) const {
    for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {
      if (it->name == name) return &*it;
    }
    return nullptr;
  }

  ChatResponse call(const std::string& tool, const Json& args) {
    if (!offered_.count(tool)) {
      return say("(offline model) I would use the " + tool +
                 " tool for that, but this agent does not offer it.");
    }
    ChatResponse r = base();
    r.message.tool_calls.push_back({id_prefix_ + std::to_string(runs_.size() + 1), tool, args.dump()});
    r.finish_reason = FinishReason::kToolCalls;
    r.finish_reason_text = "tool_calls";
    r.usage.completion_tokens = static_cast<std::int64_t>(r.message.tool_calls[0].arguments.size() / 4 + 1);
    r.usage.total_tokens = r.usage.prompt_tokens + r.usage.completion_tokens;
    return r;
  }

  ChatResponse say(std::string text) {
    ChatResponse r = base();
    if (request_.on_text_delta) {
      // Streams word by word, as a streaming server would.
      std::size_t start = 0;
      while (start < text.size()) {
        auto end = text.find(' ', start);
        end = end == std::string::npos ? text.size() : end + 1;
        request_.on_text_delta(std::string_view(text).substr(start, end - start));
        start = end;
      }
    }
    r.usage.completion_tokens = static_cast<std::int64_t>(text.size() / 4 + 1);
    r.usage.total_tokens = r.usage.prompt_tokens + r.usage.completion_tokens;
    r.message.content = std::move(text);
    r.finish_reason = FinishReason::kStop;
    r.finish_reason_text = "stop";
    return r;
  }

  ChatResponse base() const {
    ChatResponse r;
    r.message.role = "assistant";
    r.model = "offline";
    std::size_t bytes = 0;
    for (const auto& m : request_.messages) bytes += m.content.size() + 4;
    r.usage.prompt_tokens = static_cast<std::int64_t>(bytes / 4 + 1);
    return r;
  }

  const ChatRequest& request_;
  std::set<std::string> offered_;
  std::size_t user_index_ = 0;
  std::string user_text_;
  std::vector<ToolRun> runs_;
  std::string id_prefix_;
};

}  // namespace

ChatResponse OfflineChatModel::complete(const ChatRequest& request) { return Turn(request).answer(); }

}  // namespace agents
