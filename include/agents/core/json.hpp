// The free-form JSON type of the public API (scratchpad values, tool arguments, JSON Schemas).
#pragma once

#include <nlohmann/json.hpp>

namespace agents {

/// Free-form JSON. Objects keep sorted keys.
using Json = nlohmann::json;

}  // namespace agents
