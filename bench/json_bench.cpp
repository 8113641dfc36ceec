// JSON library benchmark for the agent-state hot path (see docs/adr/0001-json-library.md).
//
// Load: DynamoDB GetItem response body -> Item.state.S (unescaped) -> parse the state JSON -> plain
//       C++ structs (so lazy parsers cannot skip work).
// Save: structs -> compact state JSON (raw UTF-8) -> PutItem request body with the state as a string.
//
// Every loader must produce the same structs and every writer the same bytes as an independent
// reference serializer; this is checked once at startup and the program aborts on a mismatch.
//
// Run:   build/release/bench/json_bench --benchmark_min_time=0.2
// Probe: build/release/bench/json_bench --escape_probe   (how each library escapes edge cases)

// RapidJSON 1.1.0 only uses SIMD for string scanning/copying when told to. SSE2 is part of the
// x86-64 baseline, so this costs no portability there (1.1.0 has no NEON path).
#if defined(__SSE2__) && !defined(RAPIDJSON_SSE2) && !defined(AGENTS_BENCH_RAPIDJSON_NO_SIMD)
#define RAPIDJSON_SSE2
#endif

#include <benchmark/benchmark.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

struct ToolCall {
  std::string id;
  std::string type;
  std::string name;
  std::string arguments;  // JSON text, as sent by the model (OpenAI style)
  bool operator==(const ToolCall&) const = default;
};

struct Message {
  std::string role;
  std::string content;
  std::string tool_call_id;  // empty unless role == "tool"
  std::vector<ToolCall> tool_calls;
  bool operator==(const Message&) const = default;
};

struct Todo {
  std::string content;
  std::string status;
  bool operator==(const Todo&) const = default;
};

struct AgentState {
  std::vector<Todo> todos;
  std::map<std::string, std::string> files;
  nlohmann::json scratchpad;  // free-form: the public value type
  std::vector<Message> messages;
  bool operator==(const AgentState&) const = default;
};

struct Snapshot {
  std::string thread_id;
  std::string updated_at;
  std::int64_t version = 0;
  AgentState state;
  bool operator==(const Snapshot&) const = default;
};

constexpr std::string_view kTableName = "agent-checkpoints";
constexpr std::string_view kSavedAt = "2024-01-01T12:00:05.000Z";

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "json_bench: %s\n", what.c_str());
  std::abort();
}

std::int64_t parse_int(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) throw std::runtime_error("bad number attribute");
  return v;
}

// ---------------------------------------------------------------------------------------------
// Reference serializer (independent of the libraries under test) and input generator
// ---------------------------------------------------------------------------------------------

void ref_string(std::string& o, std::string_view s) {
  o += '"';
  for (char c : s) {
    switch (c) {
      case '"':
        o += "\\\"";
        break;
      case '\\':
        o += "\\\\";
        break;
      case '\n':
        o += "\\n";
        break;
      case '\r':
        o += "\\r";
        break;
      case '\t':
        o += "\\t";
        break;
      case '\b':
        o += "\\b";
        break;
      case '\f':
        o += "\\f";
        break;
      default:
        // Other C0 controls are written differently by the libraries (\u001f vs \u001F), so the
        // generated data never contains them; see --escape_probe.
        if (static_cast<unsigned char>(c) < 0x20) fail("generator produced a control character");
        o += c;
    }
  }
  o += '"';
}

void ref_message(std::string& o, const Message& m) {
  o += "{\"role\":";
  ref_string(o, m.role);
  if (!m.tool_call_id.empty()) {
    o += ",\"tool_call_id\":";
    ref_string(o, m.tool_call_id);
  }
  o += ",\"content\":";
  ref_string(o, m.content);
  if (!m.tool_calls.empty()) {
    o += ",\"tool_calls\":[";
    for (std::size_t i = 0; i < m.tool_calls.size(); ++i) {
      const ToolCall& c = m.tool_calls[i];
      if (i) o += ',';
      o += "{\"id\":";
      ref_string(o, c.id);
      o += ",\"type\":";
      ref_string(o, c.type);
      o += ",\"function\":{\"name\":";
      ref_string(o, c.name);
      o += ",\"arguments\":";
      ref_string(o, c.arguments);
      o += "}}";
    }
    o += ']';
  }
  o += '}';
}

// Scratchpad keys are sorted because nlohmann::json (std::map) re-emits them sorted.
constexpr std::string_view kScratchpadText =
    R"({"done":false,"k":{"nested":[1,2,3]},"neg":-7,"none":null,"plan":"Étape 1 → 日本 🚀 \"go\"",)"
    R"("ratio":0.25,"steps":[{"id":1,"ok":true},{"id":2,"ok":false}]})";

std::string ref_state_head(const AgentState& s) {
  std::string o = "{\"todos\":[";
  for (std::size_t i = 0; i < s.todos.size(); ++i) {
    if (i) o += ',';
    o += "{\"content\":";
    ref_string(o, s.todos[i].content);
    o += ",\"status\":";
    ref_string(o, s.todos[i].status);
    o += '}';
  }
  o += "],\"files\":{";
  bool first = true;
  for (const auto& [k, v] : s.files) {
    if (!first) o += ',';
    first = false;
    ref_string(o, k);
    o += ':';
    ref_string(o, v);
  }
  o += "},\"scratchpad\":";
  o += kScratchpadText;
  o += ",\"messages\":[";
  return o;
}

std::string ref_state(const AgentState& s) {
  std::string o = ref_state_head(s);
  for (std::size_t i = 0; i < s.messages.size(); ++i) {
    if (i) o += ',';
    ref_message(o, s.messages[i]);
  }
  o += "]}";
  return o;
}

std::string ref_get_item(const Snapshot& s, const std::string& state_text) {
  std::string o = "{\"Item\":{\"thread_id\":{\"S\":";
  ref_string(o, s.thread_id);
  o += "},\"updated_at\":{\"S\":";
  ref_string(o, s.updated_at);
  o += "},\"version\":{\"N\":\"" + std::to_string(s.version) + "\"},\"state\":{\"S\":";
  ref_string(o, state_text);
  o += "}}}";
  return o;
}

std::string ref_put_item(const Snapshot& s, const std::string& state_text) {
  std::string o = "{\"TableName\":";
  ref_string(o, kTableName);
  o += ",\"Item\":{\"thread_id\":{\"S\":";
  ref_string(o, s.thread_id);
  o += "},\"state\":{\"S\":";
  ref_string(o, state_text);
  o += "},\"updated_at\":{\"S\":";
  ref_string(o, kSavedAt);
  o += "},\"version\":{\"N\":\"" + std::to_string(s.version + 1) + "\"}}}";
  return o;
}

struct Rng {  // splitmix64: deterministic on every platform
  std::uint64_t x;
  std::uint64_t next() {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

constexpr const char* kFragments[] = {
    "The checkpoint is written after every super-step.",
    "Use the \"thread_id\" as the partition key and the step as the sort key.",
    "Path: C:\\Users\\dev\\agents\\state.json",
    "Le café était déjà prêt — une façade très naïve.",
    "日本語のテキストも保存できます。",
    "東京の天気は晴れ☀️です。",
    "Deploy finished 🚀✅ (took 3.2 s)",
    "Emoji with modifiers: 👍🏽 and a family 👨‍👩‍👧.",
    "Line one\nLine two\n\tindented line",
    "if (x < 10 && y > 2) { return \"ok\"; }",
    "See https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html",
    "Größe: 350 KB; Preis: 12,50 €.",
    "Ünïcödé stress: ﬁ ligature, Ω, ∑, √2 ≈ 1.414",
    "Quotes: 'single', \"double\" and `backtick`.",
    "Windows line ending\r\nand a done marker.",
    "A line separator\u2028inside a sentence.",
    "JSON in text: {\"a\": [1, 2, {\"b\": null}], \"c\": \"d\\\\e\"}",
    "Summarise the last 20 messages before continuing with the plan.",
    "The user asked to refactor the DynamoDB client to reuse the HTTP connection pool.",
    "Error: ConditionalCheckFailedException: The conditional request failed",
};

std::string text(Rng& r, std::size_t min_len) {
  std::string s;
  while (s.size() < min_len) {
    if (!s.empty()) s += (r.below(4) == 0) ? "\n" : " ";
    s += kFragments[r.below(std::size(kFragments))];
  }
  return s;
}

constexpr const char* kTools[] = {"write_todos", "read_file", "write_file", "ls", "grep", "task"};

// Deterministic snapshot whose compact state text is ~target bytes.
Snapshot generate(std::size_t target) {
  Rng r{0x5eed0000ULL + target};
  Snapshot s;
  s.thread_id = "user-123";
  s.updated_at = "2024-01-01T12:00:00.123Z";
  s.version = 42;
  AgentState& st = s.state;
  const std::size_t scale = target / 1024;  // 1, 64, 350
  const std::size_t max_text = std::min<std::size_t>(3000, target / 4);

  static constexpr const char* kStatus[] = {"pending", "in_progress", "completed"};
  for (std::size_t i = 0; i < 2 + std::min<std::size_t>(scale / 8, 20); ++i)
    st.todos.push_back({text(r, 20 + r.below(60)), kStatus[r.below(3)]});

  st.files["notes.md"] = "# Notes\n" + text(r, std::max<std::size_t>(64, target / 16));
  if (scale >= 8) {
    st.files["plan.md"] = "# Plan\n- [ ] " + text(r, target / 32);
    st.files["src/main.cpp"] =
        "#include <cstdio>\nint main() {\n\tstd::puts(\"héllo 日本\");\n}\n" + text(r, target / 32);
    st.files["données/résumé.txt"] = text(r, target / 64);
  }
  st.scratchpad = nlohmann::json::parse(kScratchpadText);

  std::size_t size = ref_state_head(st).size() + 2;
  std::size_t call = 0;
  for (std::size_t turn = 0; size < target; ++turn) {
    std::vector<Message> batch;
    batch.push_back({"user", text(r, 30 + r.below(max_text / 3)), "", {}});
    Message a{"assistant", text(r, 30 + r.below(max_text / 3)), "", {}};
    const std::size_t calls = (turn % 3 == 2) ? 0 : 1 + r.below(2);
    for (std::size_t i = 0; i < calls; ++i) {
      ToolCall c{"call_" + std::to_string(++call), "function", kTools[r.below(std::size(kTools))], {}};
      if (c.name == "write_todos") {
        c.arguments = "{\"todos\":[]}";
      } else {
        c.arguments = "{\"path\":\"notes.md\",\"content\":";
        ref_string(c.arguments, text(r, 20 + r.below(max_text / 4)));
        c.arguments += '}';
      }
      a.tool_calls.push_back(std::move(c));
    }
    batch.push_back(a);
    for (const ToolCall& c : a.tool_calls)
      batch.push_back({"tool", text(r, 40 + r.below(max_text)), c.id, {}});
    for (Message& m : batch) {
      std::string tmp;
      ref_message(tmp, m);
      size += tmp.size() + 1;
      st.messages.push_back(std::move(m));
      if (size >= target) break;
    }
  }
  return s;
}

struct Fixture {
  std::string label;
  Snapshot snapshot;
  std::string state_text;
  simdjson::padded_string get_item_body;  // what the HTTP client hands over (padded receive buffer)
  std::string expected_put_body;
  std::string_view body() const { return {get_item_body.data(), get_item_body.size()}; }
};

Fixture make_fixture(std::string label, std::size_t target) {
  Fixture f;
  f.label = std::move(label);
  f.snapshot = generate(target);
  f.state_text = ref_state(f.snapshot.state);
  f.get_item_body = simdjson::padded_string(ref_get_item(f.snapshot, f.state_text));
  if (f.get_item_body.data()[f.get_item_body.size()] != '\0') fail("padded body is not NUL-terminated");
  f.expected_put_body = ref_put_item(f.snapshot, f.state_text);
  return f;
}

// Reusable buffer with SIMDJSON_PADDING readable bytes after the data.
class PaddedBuffer {
 public:
  simdjson::padded_string_view assign(std::string_view s) {
    if (s.size() + simdjson::SIMDJSON_PADDING > cap_) {
      cap_ = s.size() + s.size() / 2 + simdjson::SIMDJSON_PADDING;
      buf_ = std::make_unique<char[]>(cap_);  // value-initialised: padding is zeroed
    }
    std::memcpy(buf_.get(), s.data(), s.size());
    std::memset(buf_.get() + s.size(), 0, simdjson::SIMDJSON_PADDING);
    return simdjson::padded_string_view(buf_.get(), s.size(), cap_);
  }

 private:
  std::unique_ptr<char[]> buf_;
  std::size_t cap_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Loaders
// ---------------------------------------------------------------------------------------------

// nlohmann::json: DOM of std::map/std::string; strings are moved out of the DOM into the structs.
struct NlohmannLoader {
  static constexpr const char* kName = "nlohmann";
  using json = nlohmann::json;

  static std::string take(json& v) { return std::move(v.get_ref<std::string&>()); }

  static ToolCall tool_call(json& v) {
    ToolCall c;
    for (auto& [k, x] : v.get_ref<json::object_t&>()) {
      if (k == "id")
        c.id = take(x);
      else if (k == "type")
        c.type = take(x);
      else if (k == "function") {
        for (auto& [fk, fx] : x.get_ref<json::object_t&>()) {
          if (fk == "name")
            c.name = take(fx);
          else if (fk == "arguments")
            c.arguments = take(fx);
        }
      }
    }
    return c;
  }

  static Message message(json& v) {
    Message m;
    for (auto& [k, x] : v.get_ref<json::object_t&>()) {
      if (k == "role")
        m.role = take(x);
      else if (k == "content")
        m.content = take(x);
      else if (k == "tool_call_id")
        m.tool_call_id = take(x);
      else if (k == "tool_calls") {
        for (json& c : x.get_ref<json::array_t&>()) m.tool_calls.push_back(tool_call(c));
      }
    }
    return m;
  }

  static void state(json& v, AgentState& s) {
    for (auto& [k, x] : v.get_ref<json::object_t&>()) {
      if (k == "todos") {
        for (json& t : x.get_ref<json::array_t&>()) {
          Todo todo;
          for (auto& [tk, tx] : t.get_ref<json::object_t&>()) {
            if (tk == "content")
              todo.content = take(tx);
            else if (tk == "status")
              todo.status = take(tx);
          }
          s.todos.push_back(std::move(todo));
        }
      } else if (k == "files") {
        for (auto& [fk, fx] : x.get_ref<json::object_t&>()) s.files.emplace(fk, take(fx));
      } else if (k == "scratchpad") {
        s.scratchpad = std::move(x);
      } else if (k == "messages") {
        for (json& m : x.get_ref<json::array_t&>()) s.messages.push_back(message(m));
      }
    }
  }

  Snapshot load(std::string_view body) {
    json resp = json::parse(body);
    json& item = resp.at("Item");
    Snapshot s;
    s.thread_id = take(item.at("thread_id").at("S"));
    s.updated_at = take(item.at("updated_at").at("S"));
    s.version = parse_int(item.at("version").at("N").get_ref<const std::string&>());
    json st = json::parse(item.at("state").at("S").get_ref<const std::string&>());
    state(st, s.state);
    return s;
  }
};

// RapidJSON DOM. Flags select Parse (copying strings into the document) or ParseInsitu
// (unescaping in place in a mutable copy of the body), with or without UTF-8 validation.
template <unsigned kFlags>
struct RapidjsonLoader {
  using Value = rapidjson::Value;
  static constexpr bool kInsitu = (kFlags & rapidjson::kParseInsituFlag) != 0;
  static constexpr const char* kName = kInsitu                                            ? "rapidjson_insitu"
                                       : (kFlags & rapidjson::kParseValidateEncodingFlag) ? "rapidjson_utf8"
                                                                                          : "rapidjson";
  std::vector<char> insitu_buf;

  static std::string_view sv(const Value& v) {
    if (!v.IsString()) throw std::runtime_error("expected string");
    return {v.GetString(), v.GetStringLength()};
  }
  static std::string str(const Value& v) { return std::string(sv(v)); }
  static const Value& obj(const Value& v) {
    if (!v.IsObject()) throw std::runtime_error("expected object");
    return v;
  }
  static const Value& arr(const Value& v) {
    if (!v.IsArray()) throw std::runtime_error("expected array");
    return v;
  }
  static const Value& member(const Value& v, const char* name) {
    auto it = obj(v).FindMember(name);
    if (it == v.MemberEnd()) throw std::runtime_error(std::string("missing ") + name);
    return it->value;
  }

  static nlohmann::json to_json(const Value& v) {
    switch (v.GetType()) {
      case rapidjson::kNullType:
        return nullptr;
      case rapidjson::kFalseType:
        return false;
      case rapidjson::kTrueType:
        return true;
      case rapidjson::kStringType:
        return std::string(sv(v));
      case rapidjson::kNumberType:
        if (v.IsUint64()) return v.GetUint64();
        if (v.IsInt64()) return v.GetInt64();
        return v.GetDouble();
      case rapidjson::kArrayType: {
        nlohmann::json a = nlohmann::json::array();
        for (const Value& e : v.GetArray()) a.push_back(to_json(e));
        return a;
      }
      case rapidjson::kObjectType: {
        nlohmann::json o = nlohmann::json::object();
        for (const auto& m : v.GetObject()) o.emplace(std::string(sv(m.name)), to_json(m.value));
        return o;
      }
    }
    return nullptr;
  }

  static ToolCall tool_call(const Value& v) {
    ToolCall c;
    for (const auto& m : obj(v).GetObject()) {
      std::string_view k = sv(m.name);
      if (k == "id")
        c.id = str(m.value);
      else if (k == "type")
        c.type = str(m.value);
      else if (k == "function") {
        for (const auto& f : obj(m.value).GetObject()) {
          std::string_view fk = sv(f.name);
          if (fk == "name")
            c.name = str(f.value);
          else if (fk == "arguments")
            c.arguments = str(f.value);
        }
      }
    }
    return c;
  }

  static Message message(const Value& v) {
    Message msg;
    for (const auto& m : obj(v).GetObject()) {
      std::string_view k = sv(m.name);
      if (k == "role")
        msg.role = str(m.value);
      else if (k == "content")
        msg.content = str(m.value);
      else if (k == "tool_call_id")
        msg.tool_call_id = str(m.value);
      else if (k == "tool_calls") {
        for (const Value& c : arr(m.value).GetArray()) msg.tool_calls.push_back(tool_call(c));
      }
    }
    return msg;
  }

  static void state(const Value& v, AgentState& s) {
    for (const auto& m : obj(v).GetObject()) {
      std::string_view k = sv(m.name);
      if (k == "todos") {
        for (const Value& t : arr(m.value).GetArray()) {
          Todo todo;
          for (const auto& tm : obj(t).GetObject()) {
            std::string_view tk = sv(tm.name);
            if (tk == "content")
              todo.content = str(tm.value);
            else if (tk == "status")
              todo.status = str(tm.value);
          }
          s.todos.push_back(std::move(todo));
        }
      } else if (k == "files") {
        for (const auto& f : obj(m.value).GetObject()) s.files.emplace(str(f.name), str(f.value));
      } else if (k == "scratchpad") {
        s.scratchpad = to_json(m.value);
      } else if (k == "messages") {
        for (const Value& msg : arr(m.value).GetArray()) s.messages.push_back(message(msg));
      }
    }
  }

  template <class Doc>
  static void parse(Doc& d, const char* p, std::size_t n) {
    if constexpr (kInsitu) {
      (void)n;
      d.template ParseInsitu<kFlags>(const_cast<char*>(p));  // p is inside our mutable buffer
    } else {
      // The NUL-terminated overload reads through GenericStringStream, the only input stream with
      // RapidJSON's SIMD string scanning; Parse(p, n) goes through a slower generic MemoryStream.
      if (p[n] != '\0') throw std::runtime_error("rapidjson input must be NUL-terminated");
      d.template Parse<kFlags>(p);
    }
    if (d.HasParseError()) throw std::runtime_error("rapidjson parse error");
  }

  Snapshot load(std::string_view body) {
    const char* p = body.data();
    if constexpr (kInsitu) {
      insitu_buf.assign(body.begin(), body.end());
      insitu_buf.push_back('\0');
      p = insitu_buf.data();
    }
    rapidjson::Document resp;
    parse(resp, p, body.size());
    const Value& item = member(resp, "Item");
    Snapshot s;
    s.thread_id = str(member(member(item, "thread_id"), "S"));
    s.updated_at = str(member(member(item, "updated_at"), "S"));
    s.version = parse_int(sv(member(member(item, "version"), "N")));
    const Value& text = member(member(item, "state"), "S");
    rapidjson::Document st;
    parse(st, sv(text).data(), sv(text).size());
    state(st, s.state);
    return s;
  }
};

// simdjson DOM: parser reused across loads (its intended use); the unescaped state string lives in
// the parser's string buffer, so it is copied into a padded buffer before the second parse.
struct SimdjsonDomLoader {
  static constexpr const char* kName = "simdjson_dom";
  using element = simdjson::dom::element;
  simdjson::dom::parser parser;
  PaddedBuffer state_buf;

  static std::string str(element v) { return std::string(std::string_view(v.get_string())); }

  static nlohmann::json to_json(element v) {
    using T = simdjson::dom::element_type;
    switch (v.type()) {
      case T::NULL_VALUE:
        return nullptr;
      case T::BOOL:
        return bool(v.get_bool());
      case T::STRING:
        return str(v);
      case T::INT64:
        return std::int64_t(v.get_int64());
      case T::UINT64:
        return std::uint64_t(v.get_uint64());
      case T::DOUBLE:
        return double(v.get_double());
      case T::ARRAY: {
        nlohmann::json a = nlohmann::json::array();
        for (element e : simdjson::dom::array(v)) a.push_back(to_json(e));
        return a;
      }
      case T::OBJECT: {
        nlohmann::json o = nlohmann::json::object();
        for (auto [k, x] : simdjson::dom::object(v)) o.emplace(std::string(k), to_json(x));
        return o;
      }
    }
    return nullptr;
  }

  static ToolCall tool_call(element v) {
    ToolCall c;
    for (auto [k, x] : simdjson::dom::object(v)) {
      if (k == "id")
        c.id = str(x);
      else if (k == "type")
        c.type = str(x);
      else if (k == "function") {
        for (auto [fk, fx] : simdjson::dom::object(x)) {
          if (fk == "name")
            c.name = str(fx);
          else if (fk == "arguments")
            c.arguments = str(fx);
        }
      }
    }
    return c;
  }

  static Message message(element v) {
    Message m;
    for (auto [k, x] : simdjson::dom::object(v)) {
      if (k == "role")
        m.role = str(x);
      else if (k == "content")
        m.content = str(x);
      else if (k == "tool_call_id")
        m.tool_call_id = str(x);
      else if (k == "tool_calls") {
        for (element c : simdjson::dom::array(x)) m.tool_calls.push_back(tool_call(c));
      }
    }
    return m;
  }

  static void state(element v, AgentState& s) {
    for (auto [k, x] : simdjson::dom::object(v)) {
      if (k == "todos") {
        for (element t : simdjson::dom::array(x)) {
          Todo todo;
          for (auto [tk, tx] : simdjson::dom::object(t)) {
            if (tk == "content")
              todo.content = str(tx);
            else if (tk == "status")
              todo.status = str(tx);
          }
          s.todos.push_back(std::move(todo));
        }
      } else if (k == "files") {
        for (auto [fk, fx] : simdjson::dom::object(x)) s.files.emplace(std::string(fk), str(fx));
      } else if (k == "scratchpad") {
        s.scratchpad = to_json(x);
      } else if (k == "messages") {
        for (element m : simdjson::dom::array(x)) s.messages.push_back(message(m));
      }
    }
  }

  Snapshot load(const simdjson::padded_string& body) {
    element resp = parser.parse(body);
    element item = resp["Item"];
    Snapshot s;
    s.thread_id = str(item["thread_id"]["S"]);
    s.updated_at = str(item["updated_at"]["S"]);
    s.version = parse_int(std::string_view(item["version"]["N"].get_string()));
    simdjson::padded_string_view text = state_buf.assign(item["state"]["S"].get_string());
    element st = parser.parse(text.data(), text.size(), false);  // invalidates resp: all copied
    state(st, s.state);
    return s;
  }
};

// simdjson On-Demand: single forward pass; fields are visited in document order with raw key
// comparison (keys here never contain escapes), values must be consumed before moving on.
struct SimdjsonOndemandLoader {
  static constexpr const char* kName = "simdjson_ondemand";
  using value = simdjson::ondemand::value;
  simdjson::ondemand::parser parser;
  PaddedBuffer state_buf;

  static std::string str(value v) { return std::string(std::string_view(v.get_string())); }

  static nlohmann::json to_json(value v) {
    using T = simdjson::ondemand::json_type;
    switch (T(v.type())) {
      case T::null:
        if (!bool(v.is_null())) throw std::runtime_error("bad null");
        return nullptr;
      case T::boolean:
        return bool(v.get_bool());
      case T::string:
        return str(v);
      case T::number:
        switch (simdjson::ondemand::number_type(v.get_number_type())) {
          case simdjson::ondemand::number_type::signed_integer:
            return std::int64_t(v.get_int64());
          case simdjson::ondemand::number_type::unsigned_integer:
            return std::uint64_t(v.get_uint64());
          case simdjson::ondemand::number_type::floating_point_number:
            return double(v.get_double());
        }
        return nullptr;
      case T::array: {
        nlohmann::json a = nlohmann::json::array();
        for (auto e : v.get_array()) a.push_back(to_json(e.value()));
        return a;
      }
      case T::object: {
        nlohmann::json o = nlohmann::json::object();
        for (auto f : v.get_object()) {
          std::string k(std::string_view(f.unescaped_key()));
          o.emplace(std::move(k), to_json(f.value()));
        }
        return o;
      }
    }
    return nullptr;
  }

  static ToolCall tool_call(value v) {
    ToolCall c;
    for (auto f : v.get_object()) {
      simdjson::ondemand::raw_json_string k = f.key();
      if (k == "id")
        c.id = str(f.value());
      else if (k == "type")
        c.type = str(f.value());
      else if (k == "function") {
        for (auto g : f.value().get_object()) {
          simdjson::ondemand::raw_json_string gk = g.key();
          if (gk == "name")
            c.name = str(g.value());
          else if (gk == "arguments")
            c.arguments = str(g.value());
        }
      }
    }
    return c;
  }

  static Message message(value v) {
    Message m;
    for (auto f : v.get_object()) {
      simdjson::ondemand::raw_json_string k = f.key();
      if (k == "role")
        m.role = str(f.value());
      else if (k == "content")
        m.content = str(f.value());
      else if (k == "tool_call_id")
        m.tool_call_id = str(f.value());
      else if (k == "tool_calls") {
        for (auto c : f.value().get_array()) m.tool_calls.push_back(tool_call(c.value()));
      }
    }
    return m;
  }

  static void state(simdjson::ondemand::object o, AgentState& s) {
    for (auto f : o) {
      simdjson::ondemand::raw_json_string k = f.key();
      if (k == "todos") {
        for (auto t : f.value().get_array()) {
          Todo todo;
          for (auto g : t.get_object()) {
            simdjson::ondemand::raw_json_string gk = g.key();
            if (gk == "content")
              todo.content = str(g.value());
            else if (gk == "status")
              todo.status = str(g.value());
          }
          s.todos.push_back(std::move(todo));
        }
      } else if (k == "files") {
        for (auto g : f.value().get_object()) {
          std::string name(std::string_view(g.unescaped_key()));
          s.files.emplace(std::move(name), str(g.value()));
        }
      } else if (k == "scratchpad") {
        s.scratchpad = to_json(f.value());
      } else if (k == "messages") {
        for (auto m : f.value().get_array()) s.messages.push_back(message(m.value()));
      }
    }
  }

  static std::string_view attr(value v, const char* type) {
    return std::string_view(v.find_field_unordered(type).get_string());
  }

  Snapshot load(const simdjson::padded_string& body) {
    simdjson::ondemand::document resp = parser.iterate(body);
    Snapshot s;
    simdjson::padded_string_view text;
    bool have_state = false;
    for (auto f : resp.get_object()) {
      if (simdjson::ondemand::raw_json_string(f.key()) != "Item") continue;
      for (auto a : f.value().get_object()) {
        simdjson::ondemand::raw_json_string k = a.key();
        if (k == "thread_id")
          s.thread_id = std::string(attr(a.value(), "S"));
        else if (k == "updated_at")
          s.updated_at = std::string(attr(a.value(), "S"));
        else if (k == "version")
          s.version = parse_int(attr(a.value(), "N"));
        else if (k == "state") {
          text = state_buf.assign(attr(a.value(), "S"));  // unescaped into the parser, copied out
          have_state = true;
        }
      }
    }
    if (!have_state) throw std::runtime_error("missing state");
    simdjson::ondemand::document st = parser.iterate(text);  // invalidates resp: all copied
    state(st.get_object(), s.state);  // note: On-Demand does not look past the root object
    return s;
  }
};

// ---------------------------------------------------------------------------------------------
// Writers
// ---------------------------------------------------------------------------------------------

// nlohmann::ordered_json keeps insertion order (nlohmann::json would sort the keys).
struct NlohmannWriter {
  static constexpr const char* kName = "nlohmann";
  using ojson = nlohmann::ordered_json;

  static ojson state(const AgentState& s) {
    ojson todos = ojson::array();
    for (const Todo& t : s.todos) todos.push_back(ojson{{"content", t.content}, {"status", t.status}});
    ojson files = ojson::object();
    for (const auto& [k, v] : s.files) files[k] = v;
    ojson messages = ojson::array();
    for (const Message& m : s.messages) {
      ojson o = ojson::object();
      o["role"] = m.role;
      if (!m.tool_call_id.empty()) o["tool_call_id"] = m.tool_call_id;
      o["content"] = m.content;
      if (!m.tool_calls.empty()) {
        ojson calls = ojson::array();
        for (const ToolCall& c : m.tool_calls)
          calls.push_back(ojson{{"id", c.id},
                                {"type", c.type},
                                {"function", ojson{{"name", c.name}, {"arguments", c.arguments}}}});
        o["tool_calls"] = std::move(calls);
      }
      messages.push_back(std::move(o));
    }
    ojson st = ojson::object();
    st["todos"] = std::move(todos);
    st["files"] = std::move(files);
    st["scratchpad"] = ojson(s.scratchpad);
    st["messages"] = std::move(messages);
    return st;
  }

  std::string save(const Snapshot& s, std::string_view updated_at) {
    const std::string text = state(s.state).dump();
    ojson put = ojson::object();
    put["TableName"] = kTableName;
    ojson& item = put["Item"];
    item["thread_id"] = ojson{{"S", s.thread_id}};
    item["state"] = ojson{{"S", text}};
    item["updated_at"] = ojson{{"S", updated_at}};
    item["version"] = ojson{{"N", std::to_string(s.version + 1)}};
    return put.dump();
  }
};

// RapidJSON SAX Writer: default flags (no kWriteValidateEncodingFlag), UTF8<> in and out, so
// non-ASCII bytes are copied through unescaped.
struct RapidjsonWriter {
  static constexpr const char* kName = "rapidjson";
  using W = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>>;

  static void string(W& w, std::string_view s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  }
  static void key(W& w, std::string_view s) { w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

  static void value(W& w, const nlohmann::json& j) {
    using T = nlohmann::json::value_t;
    switch (j.type()) {
      case T::null:
        w.Null();
        break;
      case T::boolean:
        w.Bool(j.get<bool>());
        break;
      case T::number_integer:
        w.Int64(j.get<std::int64_t>());
        break;
      case T::number_unsigned:
        w.Uint64(j.get<std::uint64_t>());
        break;
      case T::number_float:
        w.Double(j.get<double>());
        break;
      case T::string:
        string(w, j.get_ref<const std::string&>());
        break;
      case T::array:
        w.StartArray();
        for (const auto& e : j) value(w, e);
        w.EndArray();
        break;
      case T::object:
        w.StartObject();
        for (const auto& [k, v] : j.get_ref<const nlohmann::json::object_t&>()) {
          key(w, k);
          value(w, v);
        }
        w.EndObject();
        break;
      default:
        throw std::runtime_error("unsupported scratchpad value");
    }
  }

  static void state(W& w, const AgentState& s) {
    w.StartObject();
    w.Key("todos");
    w.StartArray();
    for (const Todo& t : s.todos) {
      w.StartObject();
      w.Key("content");
      string(w, t.content);
      w.Key("status");
      string(w, t.status);
      w.EndObject();
    }
    w.EndArray();
    w.Key("files");
    w.StartObject();
    for (const auto& [k, v] : s.files) {
      key(w, k);
      string(w, v);
    }
    w.EndObject();
    w.Key("scratchpad");
    value(w, s.scratchpad);
    w.Key("messages");
    w.StartArray();
    for (const Message& m : s.messages) {
      w.StartObject();
      w.Key("role");
      string(w, m.role);
      if (!m.tool_call_id.empty()) {
        w.Key("tool_call_id");
        string(w, m.tool_call_id);
      }
      w.Key("content");
      string(w, m.content);
      if (!m.tool_calls.empty()) {
        w.Key("tool_calls");
        w.StartArray();
        for (const ToolCall& c : m.tool_calls) {
          w.StartObject();
          w.Key("id");
          string(w, c.id);
          w.Key("type");
          string(w, c.type);
          w.Key("function");
          w.StartObject();
          w.Key("name");
          string(w, c.name);
          w.Key("arguments");
          string(w, c.arguments);
          w.EndObject();
          w.EndObject();
        }
        w.EndArray();
      }
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }

  static void attr(W& w, const char* name, const char* type, std::string_view v) {
    w.Key(name);
    w.StartObject();
    w.Key(type);
    string(w, v);
    w.EndObject();
  }

  rapidjson::StringBuffer save(const Snapshot& s, std::string_view updated_at) {
    rapidjson::StringBuffer text;
    {
      W w(text);
      state(w, s.state);
      if (!w.IsComplete()) throw std::runtime_error("incomplete state");
    }
    rapidjson::StringBuffer out;
    W w(out);
    w.StartObject();
    w.Key("TableName");
    string(w, kTableName);
    w.Key("Item");
    w.StartObject();
    attr(w, "thread_id", "S", s.thread_id);
    attr(w, "state", "S", {text.GetString(), text.GetSize()});
    attr(w, "updated_at", "S", updated_at);
    attr(w, "version", "N", std::to_string(s.version + 1));
    w.EndObject();
    w.EndObject();
    return out;
  }
};

std::string_view view(const std::string& s) { return s; }
std::string_view view(const rapidjson::StringBuffer& b) { return {b.GetString(), b.GetSize()}; }

// simdjson loaders take the padded body; the others see it as a std::string_view.
template <class L>
Snapshot run_load(L& loader, const Fixture& f) {
  if constexpr (std::is_invocable_v<decltype(&L::load), L&, const simdjson::padded_string&> &&
                !std::is_invocable_v<decltype(&L::load), L&, std::string_view>)
    return loader.load(f.get_item_body);
  else
    return loader.load(f.body());
}

// ---------------------------------------------------------------------------------------------
// Verification and escaping probe
// ---------------------------------------------------------------------------------------------

template <class L>
void verify_loader(const std::vector<Fixture>& fixtures) {
  L loader;
  for (int round = 0; round < 2; ++round)  // second round exercises parser/buffer reuse
    for (const Fixture& f : fixtures)
      if (!(run_load(loader, f) == f.snapshot)) fail(std::string(L::kName) + " load mismatch on " + f.label);
}

template <class W>
void verify_writer(const std::vector<Fixture>& fixtures) {
  W writer;
  for (const Fixture& f : fixtures) {
    auto out = writer.save(f.snapshot, kSavedAt);
    if (view(out) != f.expected_put_body) fail(std::string(W::kName) + " save mismatch on " + f.label);
  }
}

void verify(const std::vector<Fixture>& fixtures) {
  for (const Fixture& f : fixtures) {
    // The generated text must be valid JSON and must actually exercise escaping and UTF-8.
    if (f.state_text.find("日本") == std::string::npos || f.state_text.find("\\n") == std::string::npos ||
        f.state_text.find("\\\"") == std::string::npos)
      fail("fixture " + f.label + " lacks escapes or non-ASCII text");
    simdjson::dom::parser p;
    if (p.parse(f.get_item_body).error()) fail("fixture " + f.label + " is not valid JSON");
  }
  verify_loader<NlohmannLoader>(fixtures);
  verify_loader<RapidjsonLoader<rapidjson::kParseDefaultFlags>>(fixtures);
  verify_loader<RapidjsonLoader<rapidjson::kParseValidateEncodingFlag>>(fixtures);
  verify_loader<RapidjsonLoader<rapidjson::kParseInsituFlag>>(fixtures);
  verify_loader<SimdjsonDomLoader>(fixtures);
  verify_loader<SimdjsonOndemandLoader>(fixtures);
  verify_writer<NlohmannWriter>(fixtures);
  verify_writer<RapidjsonWriter>(fixtures);
}

std::string printable(std::string_view s) {
  std::string o;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      o += static_cast<char>(c);
    } else {
      char b[8];
      std::snprintf(b, sizeof b, "<%02X>", c);
      o += b;
    }
  }
  return o;
}

int escape_probe() {
  struct Case {
    const char* name;
    std::string s;
  };
  const Case cases[] = {
      {"U+0000 NUL", std::string("\0", 1)},
      {"U+0001", "\x01"},
      {"U+0008 BS", "\b"},
      {"U+001B ESC", "\x1b"},
      {"U+001F", "\x1f"},
      {"U+007F DEL", "\x7f"},
      {"solidus /", "/"},
      {"e-acute", "\xC3\xA9"},
      {"U+2028", "\xE2\x80\xA8"},
      {"U+1F680 emoji", "\xF0\x9F\x9A\x80"},
      {"invalid 0xFF", "\xFF"},
      {"CESU surrogate", "\xED\xA0\x80"},
  };
  std::printf("Writer output (non-printable bytes shown as <HH>)\n");
  std::printf("%-16s | %-24s | %-24s | %s\n", "input", "nlohmann dump()", "rapidjson Writer",
              "rapidjson +ValidateEncoding");
  for (const Case& c : cases) {
    std::string nl;
    try {
      nl = nlohmann::json(c.s).dump();
    } catch (const nlohmann::json::exception& e) {
      nl = "throws " + std::to_string(e.id);
    }
    rapidjson::StringBuffer b1, b2;
    rapidjson::Writer<rapidjson::StringBuffer> w1(b1);
    bool ok1 = w1.String(c.s.data(), static_cast<rapidjson::SizeType>(c.s.size()));
    rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::CrtAllocator,
                      rapidjson::kWriteValidateEncodingFlag>
        w2(b2);
    bool ok2 = w2.String(c.s.data(), static_cast<rapidjson::SizeType>(c.s.size()));
    std::printf("%-16s | %-24s | %-24s | %s\n", c.name, printable(nl).c_str(),
                ok1 ? printable(view(b1)).c_str() : "fails", ok2 ? printable(view(b2)).c_str() : "fails");
  }
  std::printf(
      "\nParser acceptance of a JSON string containing a raw invalid byte \"<FF>\" / lone surrogate\n");
  for (std::string doc : {std::string("[\"\xFF\"]"), std::string("[\"\\ud800\"]")}) {
    bool nl_ok = true;
    try {
      nlohmann::json j = nlohmann::json::parse(doc);
      (void)j;
    } catch (const nlohmann::json::exception&) {
      nl_ok = false;
    }
    rapidjson::Document d1, d2;
    d1.Parse(doc.c_str());
    d2.Parse<rapidjson::kParseValidateEncodingFlag>(doc.c_str());
    simdjson::dom::parser p;
    bool sj_ok = !p.parse(simdjson::padded_string(doc)).error();
    std::printf("%-16s | nlohmann %-8s | rapidjson %-8s | rapidjson+validate %-8s | simdjson %s\n",
                printable(doc).c_str(), nl_ok ? "accepts" : "rejects",
                d1.HasParseError() ? "rejects" : "accepts", d2.HasParseError() ? "rejects" : "accepts",
                sj_ok ? "accepts" : "rejects");
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Benchmarks
// ---------------------------------------------------------------------------------------------

template <class L>
void register_load(const Fixture& f) {
  benchmark::RegisterBenchmark(
      ("load/" + std::string(L::kName) + "/" + f.label).c_str(),
      [&f](benchmark::State& st) {
        L loader;
        for (auto _ : st) {
          Snapshot s = run_load(loader, f);
          benchmark::DoNotOptimize(s);
        }
        st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * f.body().size()));
      })
      ->Unit(benchmark::kMicrosecond);
}

template <class W>
void register_save(const Fixture& f) {
  benchmark::RegisterBenchmark(("save/" + std::string(W::kName) + "/" + f.label).c_str(),
                               [&f](benchmark::State& st) {
                                 W writer;
                                 std::size_t bytes = 0;
                                 for (auto _ : st) {
                                   auto out = writer.save(f.snapshot, kSavedAt);
                                   bytes = view(out).size();
                                   benchmark::DoNotOptimize(view(out).data());
                                   benchmark::ClobberMemory();
                                 }
                                 st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * bytes));
                               })
      ->Unit(benchmark::kMicrosecond);
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--escape_probe") return escape_probe();

  static std::vector<Fixture> fixtures;
  fixtures.push_back(make_fixture("1KB", 1024));
  fixtures.push_back(make_fixture("64KB", 64 * 1024));
  fixtures.push_back(make_fixture("350KB", 350 * 1024));
  verify(fixtures);

  for (const Fixture& f : fixtures) {
    register_load<NlohmannLoader>(f);
    register_load<RapidjsonLoader<rapidjson::kParseDefaultFlags>>(f);
    register_load<RapidjsonLoader<rapidjson::kParseValidateEncodingFlag>>(f);
    register_load<RapidjsonLoader<rapidjson::kParseInsituFlag>>(f);
    register_load<SimdjsonDomLoader>(f);
    register_load<SimdjsonOndemandLoader>(f);
  }
  for (const Fixture& f : fixtures) {
    register_save<NlohmannWriter>(f);
    register_save<RapidjsonWriter>(f);
  }

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // DOM parsing is dispatched at run time; On-Demand's stage 1 is too, but its (inlined) stage 2
  // uses the implementation the compiler flags allow: "fallback" without -mavx2 -mbmi -mpclmul -mlzcnt.
  benchmark::AddCustomContext("simdjson_active_implementation",
                              simdjson::get_active_implementation()->name());
  // simdjson::builtin_implementation() reports the shared library's builtin, not this file's.
#define AGENTS_BENCH_STR2(x) #x
#define AGENTS_BENCH_STR(x) AGENTS_BENCH_STR2(x)
  benchmark::AddCustomContext("simdjson_ondemand_stage2", AGENTS_BENCH_STR(SIMDJSON_BUILTIN_IMPLEMENTATION));
#ifdef RAPIDJSON_SSE2
  benchmark::AddCustomContext("rapidjson_simd", "SSE2");
#else
  benchmark::AddCustomContext("rapidjson_simd", "none");
#endif
  for (const Fixture& f : fixtures)
    benchmark::AddCustomContext("fixture_" + f.label,
                                "state " + std::to_string(f.state_text.size()) + " B, GetItem body " +
                                    std::to_string(f.body().size()) + " B, PutItem body " +
                                    std::to_string(f.expected_put_body.size()) + " B, " +
                                    std::to_string(std::count(f.body().begin(), f.body().end(), '\\')) +
                                    " backslashes in GetItem body, " +
                                    std::to_string(f.snapshot.state.messages.size()) + " messages");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
