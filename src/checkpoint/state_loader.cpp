#include "checkpoint/state_loader.hpp"

#include <vector>

#include "checkpoint/generation.hpp"
#include "checkpoint/head_reader.hpp"
#include "checkpoint/incremental_layout.hpp"
#include "checkpoint/item_layout.hpp"

namespace agents::detail {

using dynamodb::Item;

namespace {

// The state an incremental head names: the segments this process has not seen, read in one
// BatchGetItem (a few when there are more than 100). nullopt when one is missing.
std::optional<AgentStateSnapshot> load_history(const DynamoDbContext& db, const std::string& thread_id,
                                               const Item& head, const HistoryBase& base) {
  const std::size_t n = base.segments.size();
  HeldSegments held(db.cache ? n : 0);  // shared with the cache
  std::vector<Item> keys;
  for (std::size_t i = 0; i < n; ++i) {
    std::string key = segment_key(thread_id, base.segments[i].id);
    if (db.cache && (held[i] = db.cache->find(key))) continue;
    keys.push_back(key_of(key));
  }
  std::vector<Item> fetched;
  if (!keys.empty()) {
    fetched = std::move(
        value_or_throw(db.client->batch_get_item({.table = db.table, .keys = keys, .consistent_read = true}))
            .items);
  }
  return assemble_history(thread_id, head, base, fetched, db.now_epoch(), db.options.max_state_bytes, held,
                          db.cache.get());
}

}  // namespace

std::optional<LoadedState> load_thread(const DynamoDbContext& db, const std::string& thread_id) {
  for (int attempt = 0;; ++attempt) {
    auto got = value_or_throw(
        db.client->get_item({.table = db.table, .key = key_of(thread_id), .consistent_read = true}));
    if (!got.item || is_chunk_item(*got.item)) return std::nullopt;
    StoredHead head = read_head(thread_id, *got.item);
    if (head.ttl_epoch && *head.ttl_epoch < db.now_epoch()) return std::nullopt;  // expired, not yet deleted
    if (head.layout == StoredHead::Layout::kIncremental) {
      auto base = base_from_head(thread_id, *got.item);
      if (!base) throw_corrupt(thread_id, attr::kMessageCount, "is missing from an incremental head");
      auto state = load_history(db, thread_id, *got.item, *base);
      if (!state) {
        // A newer save may have replaced the head and removed these segments: read again.
        if (attempt < 3) continue;
        throw_corrupt(thread_id, attr::kSegments,
                      "names segments that are missing; the history cannot be assembled");
      }
      return LoadedState{std::move(*state), head.version, head.updated_at,
                         make_storage_hint(generation_of(*got.item), head.version, history_hint(*base))};
    }
    std::string decompressed;
    const std::string* json = head.plain_state;
    if (head.layout == StoredHead::Layout::kCompressed) {
      decompressed =
          zstd_decompress(thread_id, attr::kStateZstd, *head.compressed, db.options.max_state_bytes);
      json = &decompressed;
    } else if (head.layout == StoredHead::Layout::kChunked) {
      std::vector<Item> keys;
      for (std::size_t i = 0; i < head.chunk_count; ++i)
        keys.push_back(key_of(chunk_key(thread_id, head.save_id, i)));
      auto chunks = value_or_throw(
          db.client->batch_get_item({.table = db.table, .keys = keys, .consistent_read = true}));
      auto assembled = assemble_chunks(thread_id, head, chunks.items);
      if (!assembled) {
        // A newer save may have replaced the head and removed these chunks: read again.
        if (attempt < 3) continue;
        throw CorruptStateError("thread '" + thread_id + "': stored attribute '" + attr::kChunkCount +
                                    "' names " + std::to_string(head.chunk_count) + " chunks of save " +
                                    head.save_id + ", but some are missing; the state cannot be assembled",
                                thread_id, attr::kChunkCount);
      }
      decompressed = zstd_decompress(thread_id, attr::kData, *assembled, db.options.max_state_bytes);
      json = &decompressed;
    }
    auto state = decode_state_json(*json);
    if (!state.ok()) {
      std::string attribute = head.layout == StoredHead::Layout::kPlain        ? attr::kState
                              : head.layout == StoredHead::Layout::kCompressed ? attr::kStateZstd
                                                                               : attr::kData;
      throw CorruptStateError("thread '" + thread_id + "': stored attribute '" + attribute +
                                  "' is not a valid state: " + state.status().message(),
                              thread_id, attribute);
    }
    std::string hint = head.layout == StoredHead::Layout::kChunked
                           ? chunk_hint(head.save_id, std::to_string(head.chunk_count))
                           : "";
    return LoadedState{std::move(*state), head.version, head.updated_at,
                       make_storage_hint(generation_of(*got.item), head.version, hint)};
  }
}

}  // namespace agents::detail
