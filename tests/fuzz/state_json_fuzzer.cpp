// The state JSON decoder (docs/item-layout.md) on arbitrary bytes: never crashes, whatever it
// accepts survives encode -> decode unchanged (a save followed by a load gives the same state),
// and every scratchpad value it keeps as text parses when read.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agents/checkpoint/state.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto state = agents::decode_state_json(input);
  if (!state.ok()) return 0;
  // A scratchpad value kept as its stored text must parse when read: the state's validation and
  // the reader's parser agree on what JSON is.
  for (const auto& [name, value] : state->scratchpad) {
    try {
      (void)value.json();
    } catch (...) {
      __builtin_trap();
    }
  }
  std::string encoded = agents::encode_state_json(*state);
  auto again = agents::decode_state_json(encoded);
  if (!again.ok() || !(*again == *state)) __builtin_trap();
  if (agents::encode_state_json(*again) != encoded) __builtin_trap();
  return 0;
}
