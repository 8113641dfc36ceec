#include "checkpoint/state_loader.hpp"

#include <vector>

#include "checkpoint/generation.hpp"
#include "checkpoint/head_reader.hpp"
#include "checkpoint/incremental_layout.hpp"
#include "checkpoint/item_layout.hpp"
#include "checkpoint/message_json.hpp"
#include "checkpoint/version_history.hpp"

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

namespace {

// The state `item` (a head, or the head a version item keeps) holds, reading what it names;
// nullopt when something it names is missing (a newer save may have removed it).
std::optional<LoadedState> assemble_loaded(const DynamoDbContext& db, const std::string& thread_id,
                                           const Item& item, const StoredHead& head) {
  const std::string kept = kept_versions_of(item);
  if (head.layout == StoredHead::Layout::kIncremental) {
    auto base = base_from_head(thread_id, item);
    if (!base) throw_corrupt(thread_id, attr::kMessageCount, "is missing from an incremental head");
    auto state = load_history(db, thread_id, item, *base);
    if (!state) return std::nullopt;
    return LoadedState{std::move(*state), head.version, head.updated_at,
                       make_storage_hint(generation_of(item), head.version, history_hint(*base), kept)};
  }
  std::string decompressed;
  const std::string* json = head.plain_state;
  if (head.layout == StoredHead::Layout::kCompressed) {
    decompressed = zstd_decompress(thread_id, attr::kStateZstd, *head.compressed, db.options.max_state_bytes);
    json = &decompressed;
  } else if (head.layout == StoredHead::Layout::kChunked) {
    std::vector<Item> keys;
    for (std::size_t i = 0; i < head.chunk_count; ++i)
      keys.push_back(key_of(chunk_key(thread_id, head.save_id, i)));
    auto chunks =
        value_or_throw(db.client->batch_get_item({.table = db.table, .keys = keys, .consistent_read = true}));
    auto assembled = assemble_chunks(thread_id, head, chunks.items);
    if (!assembled) return std::nullopt;
    decompressed = zstd_decompress(thread_id, attr::kData, *assembled, db.options.max_state_bytes);
    json = &decompressed;
  }
  auto state = decode_state_json_in_place(*json);
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
                     make_storage_hint(generation_of(item), head.version, hint, kept)};
}

[[noreturn]] void throw_missing_items(const std::string& thread_id, const StoredHead& head) {
  if (head.layout == StoredHead::Layout::kIncremental) {
    throw_corrupt(thread_id, attr::kSegments,
                  "names segments that are missing; the history cannot be assembled");
  }
  throw CorruptStateError("thread '" + thread_id + "': stored attribute '" + attr::kChunkCount + "' names " +
                              std::to_string(head.chunk_count) + " chunks of save " + head.save_id +
                              ", but some are missing; the state cannot be assembled",
                          thread_id, attr::kChunkCount);
}

// The head, read with a consistent GetItem; nothing when absent or expired.
std::optional<Item> read_live_head(const DynamoDbContext& db, const std::string& thread_id) {
  auto got = value_or_throw(
      db.client->get_item({.table = db.table, .key = key_of(thread_id), .consistent_read = true}));
  if (!got.item || is_chunk_item(*got.item)) return std::nullopt;
  StoredHead head = read_head(thread_id, *got.item);
  if (head.ttl_epoch && *head.ttl_epoch < db.now_epoch()) return std::nullopt;  // expired, not yet deleted
  return std::move(got.item);
}

}  // namespace

std::optional<LoadedState> load_thread(const DynamoDbContext& db, const std::string& thread_id) {
  for (int attempt = 0;; ++attempt) {
    auto item = read_live_head(db, thread_id);
    if (!item) return std::nullopt;
    StoredHead head = read_head(thread_id, *item);
    if (auto loaded = assemble_loaded(db, thread_id, *item, head)) return loaded;
    // A newer save may have replaced the head and removed what it named: read again.
    if (attempt >= 3) throw_missing_items(thread_id, head);
  }
}

std::optional<LoadedState> load_thread_version(const DynamoDbContext& db, const std::string& thread_id,
                                               std::int64_t version) {
  for (int attempt = 0;; ++attempt) {
    auto item = read_live_head(db, thread_id);
    if (!item) return std::nullopt;
    StoredHead head = read_head(thread_id, *item);
    if (version > head.version) return std::nullopt;
    if (version == head.version) {
      if (auto loaded = assemble_loaded(db, thread_id, *item, head)) return loaded;
      if (attempt >= 3) throw_missing_items(thread_id, head);
      continue;
    }
    // Entry i of the head's `versions` is version (head version - i).
    auto kept = parse_kept_versions(kept_versions_of(*item));
    const auto index = static_cast<std::size_t>(head.version - version);
    if (!kept || kept->empty() || index >= kept->size()) return std::nullopt;
    const KeptVersion& entry = (*kept)[index];
    if (entry.expires && *entry.expires < db.now_epoch()) return std::nullopt;
    auto got = value_or_throw(db.client->get_item(
        {.table = db.table, .key = key_of(version_key(thread_id, entry.id)), .consistent_read = true}));
    if (got.item) {
      Item past = head_of_version_item(thread_id, *got.item);
      StoredHead past_head = read_head(thread_id, past);
      if (past_head.version != version || kept_id_of(past_head.save_id) != entry.id) {
        throw_corrupt(thread_id, attr::kVersions,
                      "names version " + std::to_string(version) + " as save " + entry.id +
                          ", but that version item holds version " + std::to_string(past_head.version) +
                          " of save " + past_head.save_id);
      }
      if (auto loaded = assemble_loaded(db, thread_id, past, past_head)) return loaded;
    }
    // Pruned by a save since the head was read (it then no longer names it), or damage.
    if (attempt >= 3) {
      throw_corrupt(thread_id, attr::kVersions,
                    "names version " + std::to_string(version) + ", whose items are missing");
    }
  }
}

}  // namespace agents::detail
