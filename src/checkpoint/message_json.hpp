// One message at a time in the state's JSON form: incremental saves store the history as
// segments of messages, written exactly as they appear inside a state's "messages" array.
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
/// offending field otherwise.
Status decode_messages_json(std::string_view json_array, std::vector<Message>& out);

}  // namespace agents::detail
