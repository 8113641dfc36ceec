// Incremental saves (docs/item-layout.md, "Incremental layout"), as pure functions: the message
// history lives in immutable segment items, the head holds the rest of the state and names the
// segments, so a turn writes its new messages and a small head, whatever the conversation's length.
//   head     thread_id, head_state (S: the state without messages), message_count,
//            history_digest, segments (L of M: id, n, lvl, ttl?), updated_at, ttl?, version, save_id
//   segment  thread_id = "<thread>#seg#<id>", chunk_of, save_id, first_message, message_count,
//            messages (S: a JSON array of messages) or, from 8 KB, messages_zstd (B), ttl?,
//            written_at
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/checkpoint/state.hpp"
#include "agents/dynamodb/attribute_value.hpp"
#include "util/sha256.hpp"

namespace agents::detail {

/// How many segments of one level merge into one of the next, LSM style: a turn that merges
/// nothing writes one segment; every 16th merges its level-0 segments; above that four at a
/// time, so a load reads few items (11 at 500 turns) while each message is rewritten about
/// 1 + log4(turns / 16) times.
constexpr std::size_t segment_fan_in(int level) { return level == 0 ? 16 : 4; }
/// Level of segments that never merge again (full ones, rewritten bases).
inline constexpr int kSealedLevel = 99;
/// JSON bytes per segment: below the item limit with room for a 1 KB key and small attributes.
inline constexpr std::size_t kSegmentBytes = 300 * 1024;
/// Segments of at least this many JSON bytes (merged ones) are stored zstd-compressed.
inline constexpr std::size_t kCompressSegmentsFrom = 8 * 1024;
/// Beyond this many segments a save repacks the whole history (a load reads at most this many).
inline constexpr std::size_t kMaxSegments = 250;

struct SegmentRef {
  std::string id;
  std::size_t count = 0;  ///< messages in the segment
  int level = 0;
  std::optional<std::int64_t> ttl_epoch;
  friend bool operator==(const SegmentRef&, const SegmentRef&) = default;
};

/// The history a head names: what the next save needs to append without reading it back.
struct HistoryBase {
  std::string save_id;  ///< of the head
  std::size_t message_count = 0;
  std::string digest;  ///< SHA-256 over the stored messages' JSON, each followed by '\n'
  std::vector<SegmentRef> segments;
  friend bool operator==(const HistoryBase&, const HistoryBase&) = default;
};

std::string segment_key(const std::string& thread_id, const std::string& segment_id);

/// A storage hint (LoadedState::storage_hint) that carries a HistoryBase, and back.
std::string history_hint(const HistoryBase& base);
bool is_history_hint(std::string_view hint);
std::optional<HistoryBase> base_from_hint(std::string_view hint);

/// The history named by a head (whole item or a projection holding message_count,
/// history_digest, segments, save_id); nullopt for heads of the other layouts.
/// Throws CorruptStateError naming the attribute for damaged ones.
std::optional<HistoryBase> base_from_head(const std::string& thread_id, const dynamodb::Item& head);

/// What a save of a thread encoded, kept for its next save (HistoryMemos): the messages (to
/// compare with the next state's), their JSON, and the SHA-256 over them. A turn appends a few
/// messages to the same history, so the next save encodes and hashes only those: its CPU does
/// not grow with the conversation (comparing the rest is a memcmp).
struct HistoryMemo {
  std::vector<Message> messages;
  std::vector<std::string> encoded;  ///< encode_message_json(messages[i])
  util::Sha256Stream sha;            ///< over each encoded message followed by '\n'
  std::string digest;                ///< sha's digest (the stored history_digest)
  std::size_t json_bytes = 0;        ///< of `encoded`
};

/// A state encoded for this layout: each message's JSON and the rest of the state's JSON.
/// Encoded, sized and checked once, before any request; a blind save that goes round reuses it.
class EncodedHistory {
 public:
  /// Throws StateTooLargeError or InvalidArgumentError (not UTF-8) as prepare_state does.
  /// `memo` (consumed): what the last save of the thread encoded; the messages the state shares
  /// with it, from the first, are taken from it rather than encoded again.
  EncodedHistory(const std::string& thread_id, const AgentStateSnapshot& state, std::size_t max_state_bytes,
                 std::unique_ptr<HistoryMemo> memo = nullptr);

  std::size_t size() const { return encoded_.size(); }
  const std::string& message(std::size_t i) const { return encoded_[i]; }
  const std::string& head_state() const { return head_state_; }
  /// Bytes of the JSON array holding messages [first, last).
  std::size_t array_bytes(std::size_t first, std::size_t last) const {
    return offsets_[last] - offsets_[first] + (last - first) + 1;
  }
  std::string array(std::size_t first, std::size_t last) const;
  /// The size of the whole state's JSON (the rest plus `,"messages":[...]`).
  std::size_t json_bytes() const {
    return head_state_.size() + (size() == 0 ? 0 : array_bytes(0, size()) + 12);
  }

  /// When the memo's whole history is a prefix of this state's: its SHA-256 context, its digest
  /// and its length, so the save checks and extends the stored history's digest from there.
  const util::Sha256Stream* memo_sha() const { return memo_sha_ ? &*memo_sha_ : nullptr; }
  const std::string& memo_digest() const { return memo_digest_; }
  std::size_t memo_count() const { return memo_count_; }
  /// The memo for the next save, once this state is stored (`sha` is over every message).
  /// Moves the encoded messages out: this object is spent.
  std::unique_ptr<HistoryMemo> take_memo(const AgentStateSnapshot& state, const util::Sha256Stream& sha,
                                         std::string digest);

 private:
  std::vector<std::string> encoded_;
  std::vector<std::size_t> offsets_;
  std::string head_state_;
  std::optional<util::Sha256Stream> memo_sha_;
  std::string memo_digest_;
  std::size_t memo_count_ = 0;
  std::vector<Message> memo_messages_;  ///< the memo's messages that this state shares
};

struct IncrementalSave {
  dynamodb::Item head;
  std::vector<dynamodb::Item> segments;  ///< new segment items, to write before the head
  std::string save_id;
  HistoryBase base;                       ///< what the new head names
  std::optional<util::Sha256Stream> sha;  ///< over every message (base.digest is its digest)
};

struct SaveTimes {
  std::string updated_at;
  std::optional<std::int64_t> head_ttl;     ///< the thread's expiry
  std::optional<std::int64_t> segment_ttl;  ///< for new segments: twice as far out (see the .cpp)
  std::int64_t written_at = 0;              ///< epoch seconds on new segments (0: none)
};

/// Plans a save on top of `previous` (the history the replaced head names, if known): appends
/// when the stored history is a prefix of the state's, rewrites it otherwise. nullopt when the
/// state does not suit this layout (a message or the rest of the state too large for an item):
/// the caller then saves it in the plain layout.
std::optional<IncrementalSave> plan_incremental_save(const std::string& thread_id,
                                                     const EncodedHistory& history,
                                                     const std::optional<HistoryBase>& previous,
                                                     std::int64_t version, const SaveTimes& times,
                                                     const std::string& ancestors = {});

/// A segment item read back: its messages, its expiry, and the JSON bytes they came from.
struct DecodedSegment {
  std::vector<Message> messages;
  std::optional<std::int64_t> ttl_epoch;
  std::size_t bytes = 0;
};

/// The head's `head_state`: the state without its messages. CorruptStateError otherwise.
AgentStateSnapshot decode_head_state(const std::string& thread_id, const dynamodb::Item& head);
/// One segment item as the head's entry `ref` describes it. CorruptStateError for an item of
/// another thread, damaged or missing messages, or a count other than the entry's.
DecodedSegment decode_segment(const std::string& thread_id, const SegmentRef& ref,
                              const dynamodb::Item& segment, std::size_t max_state_bytes);
/// CorruptStateError naming `ttl` when the segment's expiry has passed while its head is live.
void check_not_expired(const std::string& thread_id, const SegmentRef& ref, const DecodedSegment& segment,
                       std::int64_t now_epoch);

class SegmentCache;
/// Segments a process already holds decoded (a SegmentCache's entries), by position in a head's
/// `segments`; null (or past the end) where not held.
using HeldSegments = std::vector<std::shared_ptr<const DecodedSegment>>;

/// The state a head and its segment items (any order) hold: the load path of the checkpointer,
/// the unit tests and the fuzzer all assemble a history here. Segments in `held` are not looked
/// for in `segments`; each one decoded here also goes to `cache` when there is one. nullopt when
/// a segment is missing (a newer save may have replaced it); CorruptStateError naming the
/// attribute for anything else, including an item without its key and a segment that expired
/// while its head is live.
std::optional<AgentStateSnapshot> assemble_history(const std::string& thread_id, const dynamodb::Item& head,
                                                   const HistoryBase& base,
                                                   const std::vector<dynamodb::Item>& segments,
                                                   std::int64_t now_epoch, std::size_t max_state_bytes,
                                                   const HeldSegments& held = {},
                                                   SegmentCache* cache = nullptr);

}  // namespace agents::detail
