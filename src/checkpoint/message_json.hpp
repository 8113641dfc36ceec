// The state's JSON form in parts: one message at a time (incremental saves store the history as
// segments of messages, written exactly as they appear inside a state's "messages" array), the
// state without its messages, and decoding in place from a string read from DynamoDB.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agents/checkpoint/state.hpp"
#include "agents/core/status.hpp"

namespace agents::detail {

/// The compact JSON of one message, byte for byte as encode_state_json writes it.
std::string encode_message_json(const Message& message);

/// encode_state_json as if `state` had no messages (the incremental head's `head_state`),
/// without copying the rest of the state.
std::string encode_state_json_without_messages(const AgentStateSnapshot& state);

/// Parses a JSON array of messages and appends them to `out`; kInvalidArgument naming the
/// offending field otherwise. Parsed in place when the string's spare capacity holds simdjson's
/// padding (as strings read from DynamoDB answers do), copied otherwise.
Status decode_messages_json(const std::string& json_array, std::vector<Message>& out);

/// decode_state_json of a string, parsed in place when its spare capacity holds simdjson's
/// padding (as the state read from a DynamoDB answer does), copied otherwise.
StatusOr<AgentStateSnapshot> decode_state_json_in_place(const std::string& json);

}  // namespace agents::detail
