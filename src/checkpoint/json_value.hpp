// Bridges between nlohmann::json (the public value type), simdjson (parsing) and rapidjson's
// Writer (writing), so free-form JSON inside a state round-trips without a detour through text.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <nlohmann/json.hpp>
#include <string>

namespace agents::detail {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

/// Objects are written with sorted keys (nlohmann's default map), numbers as nlohmann prints them.
void write_json(JsonWriter& w, const nlohmann::json& value);

/// How deep free-form values may nest arrays and objects (scratchpad values, tool arguments).
inline constexpr int kMaxJsonDepth = 128;

/// false with `error` set for nesting deeper than `max_depth`.
bool to_json(simdjson::dom::element element, nlohmann::json& out, std::string& error,
             int max_depth = kMaxJsonDepth);

}  // namespace agents::detail
