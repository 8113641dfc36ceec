// States used across the checkpointer tests.
#pragma once

#include <algorithm>
#include <random>
#include <string>

#include "agents/checkpoint/state.hpp"

namespace agents::testing {

inline AgentStateSnapshot rich_state() {
  AgentStateSnapshot s;
  s.todos = {{"Write the report", TodoStatus::kInProgress},
             {"Send it", TodoStatus::kPending},
             {"Collect limits", TodoStatus::kCompleted}};
  s.files = {{"notes.md", "# Notes\nItem size: 400 KB\n"},
             {"日本/ファイル.txt", "unicode ✓ \"quoted\" \\ back"}};
  s.scratchpad = {{"user", Json{{"name", "Alice"}, {"tags", {"a", "b"}}, {"score", 1.5}}},
                  {"count", 42},
                  {"nothing", nullptr}};
  s.messages = {
      Message::system("You are helpful."),
      Message::user("Remember that my favourite colour is teal 🎨"),
      Message::assistant("", {{"call_1", "write_todos", R"({"todos":[{"content":"x","status":"pending"}]})"},
                              {"call_2", "read_file", R"({"path":"notes.md"})"}}),
      Message::tool("call_1", "Updated todo list"),
      Message::tool("call_2", "# Notes"),
      Message::assistant("Done. Your colour is teal.")};
  s.pending_interrupts = {
      {"send_email", Json{{"to", "alice@example.com"}}, "needs approval", "2024-01-01T12:00:00Z", "call_9"}};
  return s;
}

/// A conversation of `turns` user/assistant pairs of roughly `bytes_per_turn` bytes.
inline AgentStateSnapshot conversation(std::size_t turns, std::size_t bytes_per_turn, unsigned seed = 1) {
  std::mt19937 rng(seed);
  static const char* kWords[] = {"agent",   "state", "dynamo", "table",  "retry", "conflict",
                                 "chunk",   "save",  "load",   "thread", "tool",  "model",
                                 "réponse", "日本",  "turn",   "value"};
  AgentStateSnapshot s;
  for (std::size_t t = 0; t < turns; ++t) {
    std::string text;
    while (text.size() < bytes_per_turn / 2) text += std::string(kWords[rng() % 16]) + " ";
    s.messages.push_back(Message::user("Q" + std::to_string(t) + ": " + text));
    s.messages.push_back(Message::assistant("A" + std::to_string(t) + ": " + text));
  }
  return s;
}

/// `state` with one more turn (a user and an assistant message of about `bytes` bytes), its text
/// picked by `turn`.
inline AgentStateSnapshot with_turn(AgentStateSnapshot state, std::size_t turn, std::size_t bytes = 1000) {
  auto more = conversation(1, bytes, static_cast<unsigned>(turn + 1));
  for (auto& m : more.messages) state.messages.push_back(std::move(m));
  return state;
}

/// Text that does not compress: random letters (about `bytes` bytes).
inline std::string incompressible_text(std::size_t bytes, unsigned seed = 7) {
  std::mt19937 rng(seed);
  std::string out(bytes, 'a');
  for (auto& c : out) c = static_cast<char>('!' + rng() % 90);
  for (auto& c : out) {
    if (c == '"' || c == '\\') c = 'x';
  }
  return out;
}

/// A state of at least `target_bytes` of JSON shaped as an application's own document rather than
/// a conversation: nested objects, numbers, booleans and text in `scratchpad` (free-form JSON).
inline AgentStateSnapshot free_form_document(std::size_t target_bytes) {
  static const char* kWords[] = {"agent",   "state", "dynamo", "table",  "retry", "conflict",
                                 "chunk",   "save",  "load",   "thread", "tool",  "model",
                                 "réponse", "日本",  "turn",   "value"};
  const std::size_t body_bytes = std::min<std::size_t>(400, target_bytes / 4);
  Json notes = Json::array();
  std::size_t estimate = 0;
  unsigned seed = 1;
  AgentStateSnapshot state;
  for (;;) {
    while (estimate < target_bytes) {
      std::string body;
      while (body.size() < body_bytes) body += std::string(kWords[(seed++ * 2654435761u >> 7) % 16]) + " ";
      Json note = {{"id", notes.size()},
                   {"title", "note " + std::to_string(notes.size())},
                   {"body", body},
                   {"tags", Json::array({kWords[seed % 16], kWords[(seed + 5) % 16]})},
                   {"score", static_cast<double>(seed % 1000) / 7.0},
                   {"done", seed % 3 == 0},
                   {"source", {{"tool", "search"}, {"page", seed % 50}}}};
      estimate += note.dump().size() + 1;
      notes.push_back(std::move(note));
    }
    state.scratchpad["document"] = Json{{"kind", "research-notes"}, {"notes", notes}};
    const std::size_t actual = encode_state_json(state).size();
    if (actual >= target_bytes) return state;
    estimate = actual;  // the estimate ran ahead of the escaped text: add more
  }
}

}  // namespace agents::testing
