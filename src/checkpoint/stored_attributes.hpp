// The name of every attribute the DynamoDB checkpointer stores (docs/item-layout.md). Names are
// part of the stored format: the Rust crate and every earlier version read them byte for byte
// (tests/data/rust-items), so none may ever change. Character arrays rather than string_view:
// they go wherever the literals went (map keys, `at`, string concatenation) at the same cost.
// Condition, filter and projection expressions spell some of these names inside their text; they
// stay whole literals beside the code that sends them, so a request is built without joining.
#pragma once

namespace agents::detail::attr {

// Every item: the table's partition key. A head's is the thread id; a chunk's or segment's is
// derived from it (chunk_key, segment_key).
inline constexpr char kThreadId[] = "thread_id";

// Heads, every layout.
inline constexpr char kUpdatedAt[] = "updated_at";  ///< S, RFC 3339
inline constexpr char kVersion[] = "version";       ///< N; absent on the Rust crate's items
inline constexpr char kSaveId[] = "save_id";        ///< S; on chunks and segments too
inline constexpr char kAncestors[] = "ancestors";   ///< S (generation.hpp)
inline constexpr char kTtl[] = "ttl";               ///< N, epoch seconds; on every item of a thread
// With history on (version_history.hpp): the kept versions, newest first, the head's own first.
inline constexpr char kVersions[] = "versions";       ///< S, "id[:expires] ..."
inline constexpr char kForkedFrom[] = "forked_from";  ///< M (thread_id, version): a fork's first version

// Heads, by layout.
inline constexpr char kState[] = "state";                   ///< plain: S, the Rust crate's
inline constexpr char kStateZstd[] = "state_zstd";          ///< compressed: B
inline constexpr char kChunkCount[] = "chunk_count";        ///< chunked: N
inline constexpr char kStateBytes[] = "state_bytes";        ///< chunked: N, compressed size
inline constexpr char kHeadState[] = "head_state";          ///< incremental: S, state without messages
inline constexpr char kMessageCount[] = "message_count";    ///< incremental: N; on segments too
inline constexpr char kHistoryDigest[] = "history_digest";  ///< incremental: S, 64 hex digits
inline constexpr char kSegments[] = "segments";             ///< incremental: L of M (below)

// The fields of one `segments` entry, and the paths a CorruptStateError names for them.
inline constexpr char kEntryId[] = "id";
inline constexpr char kEntryCount[] = "n";
inline constexpr char kEntryLevel[] = "lvl";
inline constexpr char kEntryTtl[] = "ttl";
inline constexpr char kEntryCountPath[] = "segments.n";
inline constexpr char kEntryLevelPath[] = "segments.lvl";
inline constexpr char kEntryTtlPath[] = "segments.ttl";

// Chunks and segments (the items a head names).
inline constexpr char kChunkOf[] = "chunk_of";            ///< S, the owning thread
inline constexpr char kWrittenAt[] = "written_at";        ///< N, epoch seconds (the cleanup's grace)
inline constexpr char kChunkIndex[] = "chunk_index";      ///< chunk: N
inline constexpr char kData[] = "data";                   ///< chunk: B, a slice of the compressed state
inline constexpr char kFirstMessage[] = "first_message";  ///< segment: N
inline constexpr char kMessages[] = "messages";           ///< segment: S, a JSON array
inline constexpr char kMessagesZstd[] = "messages_zstd";  ///< segment: B

// Version items (version_history.hpp), besides chunk_of, save_id, version, updated_at,
// written_at, message_count, ttl and forked_from.
inline constexpr char kHeadZstd[] = "head_zstd";    ///< B: the head it keeps, zstd DynamoDB JSON
inline constexpr char kStateSize[] = "state_size";  ///< N: the state's JSON bytes

}  // namespace agents::detail::attr
