#include <simdjson.h>

#include <limits>

#include "agents/checkpoint/state.hpp"
#include "checkpoint/json_spans.hpp"
#include "checkpoint/json_value.hpp"
#include "checkpoint/message_json.hpp"

namespace agents {

std::string_view todo_status_name(TodoStatus status) noexcept {
  switch (status) {
    case TodoStatus::kPending:
      return "pending";
    case TodoStatus::kInProgress:
      return "in_progress";
    case TodoStatus::kCompleted:
      return "completed";
  }
  return "pending";
}

namespace {

using detail::JsonWriter;

void key(JsonWriter& w, std::string_view k) { w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }
void str(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void write_message(JsonWriter& w, const Message& m) {
  w.StartObject();
  key(w, "role");
  str(w, m.role);
  key(w, "content");
  // An assistant turn that only calls tools has no text: OpenAI's wire form is null.
  if (m.content.empty() && !m.tool_calls.empty()) {
    w.Null();
  } else {
    str(w, m.content);
  }
  if (!m.tool_calls.empty()) {
    key(w, "tool_calls");
    w.StartArray();
    for (const auto& call : m.tool_calls) {
      w.StartObject();
      key(w, "id");
      str(w, call.id);
      key(w, "type");
      str(w, "function");
      key(w, "function");
      w.StartObject();
      key(w, "name");
      str(w, call.name);
      key(w, "arguments");
      str(w, call.arguments);
      w.EndObject();
      w.EndObject();
    }
    w.EndArray();
  }
  if (!m.tool_call_id.empty()) {
    key(w, "tool_call_id");
    str(w, m.tool_call_id);
  }
  if (!m.name.empty()) {
    key(w, "name");
    str(w, m.name);
  }
  w.EndObject();
}

}  // namespace

std::string detail::encode_message_json(const Message& message) {
  rapidjson::StringBuffer buffer(nullptr, message.content.size() + 64);
  JsonWriter w(buffer);
  write_message(w, message);
  return std::string(buffer.GetString(), buffer.GetSize());
}

namespace {

std::string encode_state(const AgentStateSnapshot& state, bool with_messages) {
  std::size_t estimate = 64;
  if (with_messages) {
    for (const auto& m : state.messages) estimate += m.content.size() + 48;
  }
  for (const auto& [path, content] : state.files) estimate += path.size() + content.size() + 8;
  for (const auto& [name, value] : state.scratchpad) {
    if (const std::string* text = value.stored_text()) estimate += name.size() + text->size() + 4;
  }
  rapidjson::StringBuffer buffer(nullptr, estimate + estimate / 16);
  JsonWriter w(buffer);
  w.StartObject();
  key(w, "todos");
  w.StartArray();
  for (const auto& todo : state.todos) {
    w.StartObject();
    key(w, "content");
    str(w, todo.content);
    key(w, "status");
    str(w, todo_status_name(todo.status));
    w.EndObject();
  }
  w.EndArray();
  key(w, "files");
  w.StartObject();
  for (const auto& [path, content] : state.files) {
    key(w, path);
    str(w, content);
  }
  w.EndObject();
  key(w, "scratchpad");
  w.StartObject();
  for (const auto& [name, value] : state.scratchpad) {
    key(w, name);
    // A value loaded and not changed is written as it was stored: no tree to walk.
    if (const std::string* text = value.stored_text()) {
      w.RawValue(text->data(), text->size(), rapidjson::kObjectType);
    } else {
      detail::write_json(w, value.json());
    }
  }
  w.EndObject();
  if (with_messages && !state.messages.empty()) {
    key(w, "messages");
    w.StartArray();
    for (const auto& m : state.messages) write_message(w, m);
    w.EndArray();
  }
  if (!state.pending_interrupts.empty()) {
    key(w, "pending_interrupts");
    w.StartArray();
    for (const auto& p : state.pending_interrupts) {
      w.StartObject();
      key(w, "type");
      str(w, "human_in_loop");
      key(w, "tool_name");
      str(w, p.tool_name);
      key(w, "tool_args");
      detail::write_json(w, p.tool_args);
      if (p.policy_note) {
        key(w, "policy_note");
        str(w, *p.policy_note);
      }
      key(w, "created_at");
      str(w, p.created_at);
      key(w, "call_id");
      str(w, p.call_id);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

std::string encode_state_json(const AgentStateSnapshot& state) { return encode_state(state, true); }

std::string detail::encode_state_json_without_messages(const AgentStateSnapshot& state) {
  return encode_state(state, false);
}

namespace {

using simdjson::dom::element;

// Decoding helpers: each returns false with `error` naming the field. The name of where a field
// sits ("messages[12]") is built only when there is an error to report: a large state has
// thousands of elements and otherwise pays an allocation for each.
struct Decoder {
  std::string error;

  bool fail(std::string what) {
    error = std::move(what);
    return false;
  }

  template <typename Where>
  bool string_field(element object, const char* name, std::string& out, const Where& where, bool required) {
    element e;
    if (object[name].get(e)) return required ? fail(where() + "." + name + " is missing") : true;
    return string_value(e, name, out, where, required);
  }

  // A field's value: a string, or (when optional) null.
  template <typename Where>
  bool string_value(element e, const char* name, std::string& out, const Where& where, bool required) {
    std::string_view s;
    if (!e.get_string().get(s)) {
      out.assign(s);
      return true;
    }
    if (e.is_null() && !required) return true;
    return fail(where() + "." + name + " must be a string");
  }

  bool todos(element e, std::vector<TodoItem>& out) {
    simdjson::dom::array array;
    if (e.get_array().get(array)) return fail("todos must be an array");
    std::size_t i = 0;
    for (auto t : array) {
      auto where = [i] { return "todos[" + std::to_string(i) + "]"; };
      ++i;
      TodoItem todo;
      std::string status;
      if (!string_field(t, "content", todo.content, where, true)) return false;
      if (!string_field(t, "status", status, where, true)) return false;
      if (status == "pending")
        todo.status = TodoStatus::kPending;
      else if (status == "in_progress")
        todo.status = TodoStatus::kInProgress;
      else if (status == "completed")
        todo.status = TodoStatus::kCompleted;
      else
        return fail(where() + ".status must be pending, in_progress or completed, not '" + status + "'");
      out.push_back(std::move(todo));
    }
    return true;
  }

  bool files(element e, std::map<std::string, std::string>& out) {
    simdjson::dom::object object;
    if (e.get_object().get(object)) return fail("files must be an object of strings");
    for (auto field : object) {
      std::string_view s;
      if (field.value.get_string().get(s))
        return fail("files['" + std::string(field.key) + "'] must be a string");
      out.insert_or_assign(std::string(field.key), std::string(s));
    }
    return true;
  }

  // Each value is kept as the text it was stored as, found by walking the scratchpad's text in
  // step with its parse (docs/adr/0008-scratchpad-values-as-text.md); a caller that reads one
  // parses it then. `state_members` stands at the scratchpad's value and is moved past it.
  bool scratchpad(element e, detail::ObjectMembers& state_members, std::map<std::string, JsonValue>& out) {
    simdjson::dom::object object;
    if (e.get_object().get(object)) return fail("scratchpad must be an object");
    detail::ObjectMembers members = state_members.nested();
    for (auto field : object) {
      std::string_view text;
      bool has_space = false;
      if (!members.next_key()) return fail("scratchpad: its text does not match its parse");
      if (!members.value(text, detail::kMaxJsonDepth, has_space))
        return fail("scratchpad['" + std::string(field.key) + "']: JSON nested too deeply");
      out.insert_or_assign(std::string(field.key),
                           detail::adopt_json_text(has_space ? detail::minified(text) : std::string(text)));
    }
    if (members.next_key()) return fail("scratchpad: its text does not match its parse");
    state_members.resume_after(members);
    return true;
  }

  // OpenAI allows content as a list of parts; their text is joined. Null is no text.
  template <typename Where>
  bool content(element e, std::string& out, const Where& where) {
    if (e.is_null()) return true;
    std::string_view s;
    if (!e.get_string().get(s)) {
      out.assign(s);
      return true;
    }
    simdjson::dom::array parts;
    if (e.get_array().get(parts)) return fail(where() + ".content must be a string, a list of parts or null");
    for (auto part : parts) {
      std::string_view text;
      if (!part["text"].get_string().get(text)) out.append(text);
    }
    return true;
  }

  template <typename Where>
  bool tool_calls(element calls, std::vector<ToolCall>& out, const Where& where) {
    if (calls.is_null()) return true;
    simdjson::dom::array list;
    if (calls.get_array().get(list)) return fail(where() + ".tool_calls must be an array");
    auto call_where = [&] { return where() + ".tool_calls[]"; };
    auto function_where = [&] { return where() + ".tool_calls[].function"; };
    for (auto c : list) {
      ToolCall call;
      if (!string_field(c, "id", call.id, call_where, true)) return false;
      element fn;
      if (c["function"].get(fn)) return fail(function_where() + " is missing");
      if (!string_field(fn, "name", call.name, function_where, true)) return false;
      element args;
      if (!fn["arguments"].get(args)) {
        std::string_view s;
        if (!args.get_string().get(s)) {
          call.arguments.assign(s);
        } else {
          call.arguments = simdjson::minify(args);  // some servers send an object
        }
      }
      out.push_back(std::move(call));
    }
    return true;
  }

  // One pass over the message's fields (a lookup per field would scan them five times). A
  // repeated field keeps its first value, as a lookup would.
  bool message(element m, std::size_t index, Message& msg) {
    auto where = [index] { return "messages[" + std::to_string(index) + "]"; };
    simdjson::dom::object object;
    if (m.get_object().get(object)) return fail(where() + " must be an object");
    enum : unsigned { kRole = 1, kContent = 2, kToolCallId = 4, kName = 8, kToolCalls = 16 };
    unsigned seen = 0;
    auto first = [&seen](unsigned bit) {
      if (seen & bit) return false;
      seen |= bit;
      return true;
    };
    for (auto field : object) {
      const std::string_view k = field.key;
      bool ok = true;
      if (k == "role") {
        if (first(kRole)) ok = string_value(field.value, "role", msg.role, where, true);
      } else if (k == "content") {
        if (first(kContent)) ok = content(field.value, msg.content, where);
      } else if (k == "tool_call_id") {
        if (first(kToolCallId))
          ok = string_value(field.value, "tool_call_id", msg.tool_call_id, where, false);
      } else if (k == "name") {
        if (first(kName)) ok = string_value(field.value, "name", msg.name, where, false);
      } else if (k == "tool_calls") {
        if (first(kToolCalls)) ok = tool_calls(field.value, msg.tool_calls, where);
      }
      if (!ok) return false;
    }
    if (!(seen & kRole)) return fail(where() + ".role is missing");
    return true;
  }

  bool messages(element e, std::vector<Message>& out) {
    simdjson::dom::array array;
    if (e.get_array().get(array)) return fail("messages must be an array");
    out.reserve(out.size() + array.size());
    std::size_t i = 0;
    for (auto m : array) {
      Message msg;
      if (!message(m, i++, msg)) return false;
      out.push_back(std::move(msg));
    }
    return true;
  }

  bool interrupts(element e, std::vector<PendingInterrupt>& out) {
    simdjson::dom::array array;
    if (e.get_array().get(array)) return fail("pending_interrupts must be an array");
    std::size_t i = 0;
    for (auto p : array) {
      auto where = [i] { return "pending_interrupts[" + std::to_string(i) + "]"; };
      ++i;
      std::string type;
      if (!string_field(p, "type", type, where, true)) return false;
      if (type != "human_in_loop") return fail(where() + ".type '" + type + "' is not human_in_loop");
      PendingInterrupt pi;
      if (!string_field(p, "tool_name", pi.tool_name, where, true)) return false;
      if (!string_field(p, "created_at", pi.created_at, where, true)) return false;
      if (!string_field(p, "call_id", pi.call_id, where, true)) return false;
      std::string note;
      element n;
      if (!p["policy_note"].get(n) && !n.is_null()) {
        if (!string_field(p, "policy_note", note, where, true)) return false;
        pi.policy_note = std::move(note);
      }
      element args;
      if (!p["tool_args"].get(args) && !detail::to_json(args, pi.tool_args, error)) {
        return fail(where() + ".tool_args: " + error);
      }
      out.push_back(std::move(pi));
    }
    return true;
  }
};

}  // namespace

namespace {

simdjson::dom::parser& state_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

StatusOr<AgentStateSnapshot> decode_parsed(simdjson::simdjson_result<element> parsed, std::string_view text) {
  element root;
  if (auto err = std::move(parsed).get(root)) {
    return Status(ErrorCode::kInvalidArgument,
                  std::string("state is not valid JSON: ") + simdjson::error_message(err));
  }
  simdjson::dom::object fields;
  if (root.get_object().get(fields))
    return Status(ErrorCode::kInvalidArgument, "state must be a JSON object");
  // The text of the top-level members is walked in step with their parse up to the last
  // scratchpad (ours and the Rust crate's come before the messages, which are not walked then).
  std::size_t scratchpads_left = 0;
  for (auto field : fields) scratchpads_left += field.key == "scratchpad" ? 1 : 0;
  detail::ObjectMembers members(text);
  AgentStateSnapshot state;
  Decoder d;
  bool ok = true;
  for (auto field : fields) {
    std::string_view k = field.key;
    const bool walking = scratchpads_left > 0 && members.next_key();
    if (k == "scratchpad" && walking) {
      --scratchpads_left;
      ok = d.scratchpad(field.value, members, state.scratchpad);
      if (!ok) return Status(ErrorCode::kInvalidArgument, "state: " + d.error);
      continue;
    }
    if (walking) {
      std::string_view skipped;
      bool has_space = false;
      members.value(skipped, std::numeric_limits<int>::max(), has_space);
    }
    if (k == "todos") {
      ok = d.todos(field.value, state.todos);
    } else if (k == "files") {
      ok = d.files(field.value, state.files);
    } else if (k == "scratchpad") {
      ok = d.fail("scratchpad: its text does not match its parse");  // cannot happen: walked above
    } else if (k == "messages") {
      ok = field.value.is_null() || d.messages(field.value, state.messages);
    } else if (k == "pending_interrupts") {
      ok = field.value.is_null() || d.interrupts(field.value, state.pending_interrupts);
    }
    if (!ok) return Status(ErrorCode::kInvalidArgument, "state: " + d.error);
  }
  return state;
}

}  // namespace

StatusOr<AgentStateSnapshot> decode_state_json(std::string_view json) {
  return decode_parsed(state_parser().parse(json.data(), json.size()), json);
}

StatusOr<AgentStateSnapshot> detail::decode_state_json_in_place(const std::string& json) {
  return decode_parsed(state_parser().parse(json), json);
}

Status detail::decode_messages_json(const std::string& json_array, std::vector<Message>& out) {
  element root;
  if (auto err = state_parser().parse(json_array).get(root)) {
    return Status(ErrorCode::kInvalidArgument,
                  std::string("messages are not valid JSON: ") + simdjson::error_message(err));
  }
  Decoder d;
  if (!d.messages(root, out)) return Status(ErrorCode::kInvalidArgument, d.error);
  return Status();
}

}  // namespace agents
