// How a state maps onto DynamoDB items (docs/item-layout.md), as pure functions:
//   plain       thread_id, state (S), updated_at, ttl?, version, save_id      (the Rust crate's)
//   compressed  thread_id, state_zstd (B), updated_at, ttl?, version, save_id
//   chunked     head: thread_id, updated_at, ttl?, version, save_id, chunk_count, state_bytes
//               chunks: thread_id = "<thread>#chunk#<save_id>#<i>", chunk_of, save_id,
//                       chunk_index, data (B), ttl?, written_at
// Every head our saves write may also carry `ancestors` (the save ids it descends from).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "agents/dynamodb/attribute_value.hpp"

namespace agents::detail {

inline constexpr std::size_t kMaxItemBytes = 400 * 1024;
/// Payload per chunk item, leaving room for its key (up to ~1.1 KB) and small attributes.
inline constexpr std::size_t kChunkPayloadBytes = 396 * 1024;
inline constexpr std::size_t kMaxChunks = 100;

/// A state encoded for storage, before it is given a version: compressing happens once even
/// when a blind save has to go round again.
struct PreparedState {
  enum class Layout { kPlain, kCompressed, kChunked } layout = Layout::kPlain;
  std::string payload;  ///< the JSON text (plain) or its zstd compression
  std::size_t chunk_count = 0;
  std::size_t json_bytes = 0;  ///< the JSON text's size
};

/// Picks the smallest layout that fits: plain, then compressed, then chunked. Throws
/// StateTooLargeError (size and limit) or InvalidArgumentError (not UTF-8) before any write.
/// `extra_head_bytes`: attributes the caller adds to the head (history's `versions`).
PreparedState prepare_state(const std::string& thread_id, std::string state_json, Compression compression,
                            std::size_t max_state_bytes, std::size_t extra_head_bytes = 0);

struct SaveItems {
  dynamodb::Item head;
  std::vector<dynamodb::Item> chunks;
  std::string save_id;
};

/// `ancestors`: the head's `ancestors` attribute (generation.hpp); `written_at` (epoch seconds,
/// 0: none) goes on every chunk, so that the cleanup can tell a save in flight from an orphan.
SaveItems build_save_items(const std::string& thread_id, const PreparedState& prepared, std::int64_t version,
                           const std::string& updated_at, std::optional<std::int64_t> ttl_epoch,
                           const std::string& ancestors = {}, std::int64_t written_at = 0);

/// CorruptStateError naming the thread and attribute: "stored attribute 'a' <what>; ...".
[[noreturn]] void throw_corrupt(const std::string& thread_id, const std::string& attribute,
                                const std::string& what);
/// A stored whole number (type N, 64 bits); CorruptStateError otherwise.
std::int64_t parse_stored_int(const std::string& thread_id, const std::string& attribute,
                              const dynamodb::AttributeValue& value);
/// StateTooLargeError (size and limit) when `bytes` is beyond `max_state_bytes`.
void check_state_size(const std::string& thread_id, std::size_t bytes, std::size_t max_state_bytes);
/// InvalidArgumentError naming the thread when `text` is not valid UTF-8.
void check_utf8(const std::string& thread_id, std::string_view text);

std::string chunk_key(const std::string& thread_id, const std::string& save_id, std::size_t index);
/// The storage hint of a chunked head: "<save_id>:<chunk_count>".
std::string chunk_hint(const std::string& save_id, std::string_view chunk_count);
/// The chunk keys a chunk hint names (none for any other hint). The count comes from a stored
/// head: it is never trusted beyond what a save can write (kMaxChunks).
std::vector<std::string> chunk_keys_of_hint(const std::string& thread_id, std::string_view hint);
/// Random bytes in a save id.
inline constexpr std::size_t kSaveIdBytes = 16;
/// A fresh save id: 128 bits from the OS as 32 lowercase hex characters. Heads written before
/// this (and still loaded) hold 16-character ids, so readers accept any lowercase hex id up to 64
/// characters (is_save_id in generation.hpp).
std::string new_save_id();

/// What a stored head says. Throws CorruptStateError naming the attribute for anything off.
struct StoredHead {
  std::int64_t version = 0;
  std::string updated_at;
  std::optional<std::int64_t> ttl_epoch;
  std::string save_id;
  enum class Layout { kPlain, kCompressed, kChunked, kIncremental } layout = Layout::kPlain;
  const std::string* plain_state = nullptr;  ///< kPlain: points into the item
  const std::string* compressed = nullptr;   ///< kCompressed
  std::size_t chunk_count = 0;               ///< kChunked
  std::size_t state_bytes = 0;               ///< kChunked: compressed size
};
StoredHead read_head(const std::string& thread_id, const dynamodb::Item& item);

/// True for items that are chunks of some thread (never listed, never loaded as threads).
bool is_chunk_item(const dynamodb::Item& item);

/// Concatenates the chunks of `head` in order; throws CorruptStateError when one is missing,
/// belongs to another save, or the total length is off. `missing` says whether only absence
/// (not corruption) was the problem, so a caller can re-read a head that moved on.
std::optional<std::string> assemble_chunks(const std::string& thread_id, const StoredHead& head,
                                           const std::vector<dynamodb::Item>& chunks);

std::string zstd_compress(const std::string& data);
/// Throws CorruptStateError(attribute) for damaged data or content beyond `max_bytes`.
std::string zstd_decompress(const std::string& thread_id, const std::string& attribute,
                            const std::string& data, std::size_t max_bytes);

}  // namespace agents::detail
