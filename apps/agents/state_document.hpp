// The JSON documents `agents state` reads and writes: a bare state (what `state load` prints)
// or the envelope of `state load --json` and of each line of `state export`, so that any of
// them pipes back into `state save` or `state import` unchanged.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "agents/checkpoint/checkpointer.hpp"

namespace agents::cli {

/// A parsed document: the state, and what an envelope said about where it came from.
struct StateDocument {
  AgentStateSnapshot state;
  bool envelope = false;
  std::string thread_id;  ///< envelope only
  std::optional<std::int64_t> version;
  std::string updated_at;
};

/// Parses a bare state or an envelope ({"thread_id", "version", "updated_at", "state"}).
/// Throws InvalidArgumentError for anything else, naming an unknown top-level key and the keys
/// a document may have; the message does not say "nothing was saved" (callers add what applies).
StateDocument parse_state_document(std::string_view text);

/// The envelope `state load --json` prints and `state export` writes, one line each; keys in
/// this order (thread_id first, the state's keys as stored) so that a line reads well in `head`.
nlohmann::ordered_json state_envelope(const std::string& thread_id, const LoadedState& loaded);

}  // namespace agents::cli
