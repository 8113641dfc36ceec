// The chunk-set reader: a stored head and its chunk or segment items (DynamoDB JSON), or raw
// bytes taken as a compressed state, through read_head -> assemble_chunks -> zstd_decompress ->
// decode, or base_from_head -> assemble_history for incremental heads. Anything wrong must be a
// CorruptStateError; what loads must survive encode -> decode unchanged.
//   {"head": {<item>}, "chunks": [{<item>}, ...]}
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "agents/core/error.hpp"
#include "checkpoint/incremental_layout.hpp"
#include "checkpoint/item_layout.hpp"
#include "dynamodb/json_codec.hpp"

namespace {

constexpr std::size_t kMaxState = 4 << 20;

void check_round_trip(const std::string& json) {
  auto state = agents::decode_state_json(json);
  if (!state.ok()) return;
  auto again = agents::decode_state_json(agents::encode_state_json(*state));
  if (!again.ok() || !(*again == *state)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agents::detail;
  const std::string thread = "fuzz-thread";
  std::string input(reinterpret_cast<const char*>(data), size);
  try {
    if (input.empty() || input[0] != '{') {
      check_round_trip(zstd_decompress(thread, "state_zstd", input, kMaxState));
      return 0;
    }
    simdjson::dom::parser parser;
    simdjson::dom::element doc, head_json;
    if (parser.parse(input).get(doc) || doc["head"].get(head_json)) return 0;
    agents::dynamodb::Item head;
    std::string error;
    if (!agents::dynamodb::detail::parse_item(head_json, head, error)) return 0;
    std::vector<agents::dynamodb::Item> chunks;
    simdjson::dom::array list;
    if (!doc["chunks"].get_array().get(list)) {
      for (auto e : list) {
        agents::dynamodb::Item chunk;
        if (agents::dynamodb::detail::parse_item(e, chunk, error)) chunks.push_back(std::move(chunk));
      }
    }
    (void)is_chunk_item(head);
    StoredHead stored = read_head(thread, head);
    switch (stored.layout) {
      case StoredHead::Layout::kPlain:
        check_round_trip(*stored.plain_state);
        break;
      case StoredHead::Layout::kCompressed:
        check_round_trip(zstd_decompress(thread, "state_zstd", *stored.compressed, kMaxState));
        break;
      case StoredHead::Layout::kChunked: {
        auto assembled = assemble_chunks(thread, stored, chunks);
        if (assembled) check_round_trip(zstd_decompress(thread, "data", *assembled, kMaxState));
        break;
      }
      case StoredHead::Layout::kIncremental: {
        auto base = base_from_head(thread, head);
        if (!base) break;
        if (base_from_hint(history_hint(*base)) != base) __builtin_trap();  // hints carry the base whole
        auto state = assemble_history(thread, head, *base, chunks, 0, kMaxState);
        if (state) check_round_trip(agents::encode_state_json(*state));
        break;
      }
    }
  } catch (const agents::CorruptStateError&) {
  }
  return 0;
}
