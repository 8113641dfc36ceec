#include "state_document.hpp"

#include <array>

#include "agents/core/error.hpp"

namespace agents::cli {

namespace {

constexpr std::array<std::string_view, 5> kStateKeys = {"todos", "files", "scratchpad", "messages",
                                                        "pending_interrupts"};
constexpr std::array<std::string_view, 4> kEnvelopeKeys = {"thread_id", "version", "updated_at", "state"};

template <std::size_t N>
std::string join(const std::array<std::string_view, N>& keys) {
  std::string out;
  for (auto k : keys) out += (out.empty() ? "" : ", ") + std::string(k);
  return out;
}

template <std::size_t N>
bool known(const std::array<std::string_view, N>& keys, const std::string& key) {
  for (auto k : keys) {
    if (k == key) return true;
  }
  return false;
}

// An unknown key is a mistake to report, not data to drop: `{"foo": 1}` once saved as an empty state.
template <std::size_t N>
void check_keys(const nlohmann::json& object, const std::array<std::string_view, N>& keys,
                const std::string& what) {
  for (const auto& [key, value] : object.items()) {
    if (!known(keys, key)) {
      throw InvalidArgumentError("unknown top-level key '" + key + "' in " + what + ": a state has " +
                                 join(kStateKeys) + ", and the envelope `state load --json` prints has " +
                                 join(kEnvelopeKeys));
    }
  }
}

void read_envelope_fields(const nlohmann::json& doc, StateDocument& out) {
  if (doc.contains("thread_id")) {
    if (!doc["thread_id"].is_string()) throw InvalidArgumentError("'thread_id' must be a string");
    out.thread_id = doc["thread_id"].get<std::string>();
  }
  if (doc.contains("version")) {
    if (!doc["version"].is_number_integer()) throw InvalidArgumentError("'version' must be an integer");
    out.version = doc["version"].get<std::int64_t>();
  }
  if (doc.contains("updated_at")) {
    if (!doc["updated_at"].is_string()) throw InvalidArgumentError("'updated_at' must be a string");
    out.updated_at = doc["updated_at"].get<std::string>();
  }
}

}  // namespace

StateDocument parse_state_document(std::string_view text) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) throw InvalidArgumentError("the input is not JSON");
  if (!doc.is_object())
    throw InvalidArgumentError("a state document is a JSON object, not " + std::string(doc.type_name()));
  StateDocument out;
  const nlohmann::json* state = &doc;
  if (doc.contains("state")) {  // no state has a "state" key: this is an envelope
    check_keys(doc, kEnvelopeKeys, "the envelope");
    if (!doc["state"].is_object())
      throw InvalidArgumentError("'state' in the envelope must be a JSON object");
    out.envelope = true;
    read_envelope_fields(doc, out);
    state = &doc["state"];
  }
  check_keys(*state, kStateKeys, out.envelope ? "the state" : "the state document");
  auto decoded = decode_state_json(state->dump());
  if (!decoded.ok()) throw InvalidArgumentError(decoded.status().message());
  out.state = std::move(*decoded);
  return out;
}

nlohmann::ordered_json state_envelope(const std::string& thread_id, const LoadedState& loaded) {
  return {{"thread_id", thread_id},
          {"version", loaded.version},
          {"updated_at", loaded.updated_at},
          {"state", nlohmann::ordered_json::parse(encode_state_json(loaded.state))}};
}

}  // namespace agents::cli
