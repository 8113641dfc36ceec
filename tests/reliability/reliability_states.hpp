// States that prove themselves whole: each carries its sequence number and the SHA-256 of its
// payload, and the payload is a pure function of (thread, seq, size), so a reader can tell a state
// that was saved whole from a mix of two saves or a truncation.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "agents/aws/sigv4.hpp"
#include "agents/checkpoint/state.hpp"

namespace agents::testing {

/// Printable ASCII without '"' and '\\' (no JSON escapes), from a generator seeded by (thread, seq):
/// about 6.5 bits per byte, so zstd gains little and large payloads need several chunk items.
inline std::string payload_for(const std::string& thread_id, std::int64_t seq, std::size_t bytes) {
  std::seed_seq seeds(thread_id.begin(), thread_id.end());
  std::mt19937_64 base(seeds);
  std::mt19937_64 rng(base() ^ static_cast<std::uint64_t>(seq) * 0x9E3779B97F4A7C15ull);
  std::string out(bytes, ' ');
  std::uint64_t r = 0;
  int left = 0;
  for (auto& c : out) {
    if (left == 0) {
      r = rng();
      left = 8;
    }
    char ch = static_cast<char>(' ' + (r & 0xFF) % 95);
    if (ch == '"' || ch == '\\') ch = '~';
    c = ch;
    r >>= 8;
    --left;
  }
  return out;
}

inline AgentStateSnapshot versioned_state(const std::string& thread_id, std::int64_t seq, std::size_t bytes) {
  AgentStateSnapshot s;
  std::string payload = payload_for(thread_id, seq, bytes);
  s.scratchpad["seq"] = seq;
  s.scratchpad["bytes"] = bytes;
  s.scratchpad["sha"] = aws::sigv4::sha256_hex(payload);
  s.files["payload"] = std::move(payload);
  s.todos.push_back({"save " + std::to_string(seq) + " of " + thread_id, TodoStatus::kCompleted});
  return s;
}

struct StateCheck {
  std::int64_t seq = -1;
  std::string problem;  ///< empty: whole
};

/// Whole means: the payload hashes to the stored sha and is exactly what save `seq` wrote.
inline StateCheck check_state(const std::string& thread_id, const AgentStateSnapshot& s) {
  StateCheck out;
  auto seq = s.scratchpad.find("seq");
  auto sha = s.scratchpad.find("sha");
  auto bytes = s.scratchpad.find("bytes");
  auto payload = s.files.find("payload");
  if (seq == s.scratchpad.end() || sha == s.scratchpad.end() || bytes == s.scratchpad.end() ||
      payload == s.files.end() || !seq->second.json().is_number_integer() ||
      !sha->second.json().is_string() || !bytes->second.json().is_number_integer()) {
    out.problem = "state lacks seq/sha/bytes/payload";
    return out;
  }
  out.seq = seq->second.get<std::int64_t>();
  if (aws::sigv4::sha256_hex(payload->second) != sha->second.get<std::string>()) {
    out.problem = "payload does not hash to the stored sha (seq " + std::to_string(out.seq) + ")";
  } else if (payload->second != payload_for(thread_id, out.seq, bytes->second.get<std::size_t>())) {
    out.problem = "payload is not the one save " + std::to_string(out.seq) + " wrote";
  } else if (s.todos.size() != 1 ||
             s.todos[0].content != "save " + std::to_string(out.seq) + " of " + thread_id) {
    out.problem = "todos do not belong to save " + std::to_string(out.seq);
  }
  return out;
}

/// Save `seq` of a thread whose history grows by one message per save (incremental saves):
/// versioned_state plus `previous` messages and message `seq`, of `message_bytes` payload.
inline AgentStateSnapshot versioned_history_state(const std::string& thread_id, std::int64_t seq,
                                                  std::size_t bytes, std::vector<Message> previous,
                                                  std::size_t message_bytes) {
  AgentStateSnapshot s = versioned_state(thread_id, seq, bytes);
  s.messages = std::move(previous);
  s.messages.push_back(Message::user("seq " + std::to_string(seq) + " " +
                                     payload_for(thread_id + "#message", seq, message_bytes)));
  return s;
}

/// versioned_history_state with the whole history 1..seq built afresh.
inline AgentStateSnapshot history_state(const std::string& thread_id, std::int64_t seq, std::size_t bytes,
                                        std::size_t message_bytes) {
  std::vector<Message> previous;
  for (std::int64_t i = 1; i < seq; ++i) {
    previous.push_back(Message::user("seq " + std::to_string(i) + " " +
                                     payload_for(thread_id + "#message", i, message_bytes)));
  }
  return versioned_history_state(thread_id, seq, bytes, std::move(previous), message_bytes);
}

/// check_state, and the history holds exactly messages 1..seq in order; the newest few are
/// compared byte for byte (all of them would cost more than the saves under test).
inline StateCheck check_history_state(const std::string& thread_id, const AgentStateSnapshot& s,
                                      std::size_t message_bytes) {
  StateCheck out = check_state(thread_id, s);
  if (!out.problem.empty()) return out;
  if (s.messages.size() != static_cast<std::size_t>(out.seq)) {
    out.problem =
        "history holds " + std::to_string(s.messages.size()) + " messages at save " + std::to_string(out.seq);
    return out;
  }
  for (std::size_t i = 0; i < s.messages.size(); ++i) {
    const std::int64_t seq = static_cast<std::int64_t>(i) + 1;
    const std::string prefix = "seq " + std::to_string(seq) + " ";
    if (s.messages[i].content.rfind(prefix, 0) != 0 ||
        s.messages[i].content.size() != prefix.size() + message_bytes ||
        (i + 3 >= s.messages.size() &&
         s.messages[i].content != prefix + payload_for(thread_id + "#message", seq, message_bytes))) {
      out.problem = "message " + std::to_string(i) + " is not the one save " + std::to_string(seq) + " wrote";
      return out;
    }
  }
  return out;
}

}  // namespace agents::testing
