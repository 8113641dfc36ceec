#include "checkpoint/incremental_layout.hpp"

#include <charconv>
#include <map>
#include <memory>

#include "agents/core/error.hpp"
#include "checkpoint/generation.hpp"
#include "checkpoint/item_layout.hpp"
#include "checkpoint/message_json.hpp"
#include "checkpoint/segment_cache.hpp"
#include "checkpoint/stored_attributes.hpp"
#include "util/sha256.hpp"

namespace agents::detail {

using dynamodb::AttributeValue;
using dynamodb::Item;
using V = AttributeValue;

namespace {

constexpr std::string_view kHintPrefix = "history1|";
// A hostile head must not make a load fan out without bound.
constexpr std::size_t kMaxStoredSegments = 4 * kMaxSegments;

bool parse_size(std::string_view text, std::size_t& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}

// Ids and digests are lowercase hex (segment ids "<save id>-<index>"), so keys and hints need no
// escaping; a stored one with anything else is damage.
bool lower_hex(std::string_view text, std::size_t max_size, bool dash_allowed = false) {
  if (text.empty() || text.size() > max_size) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (dash_allowed && c == '-'))) return false;
  }
  return true;
}
// "<save id>-<index>": is_save_id allows 64 characters (ids were 16 before 128-bit ids, now 32),
// then a dash and a decimal index.
constexpr std::size_t kMaxSegmentIdBytes = 64 + 1 + 20;
bool valid_segment_id(std::string_view id) { return lower_hex(id, kMaxSegmentIdBytes, true); }

V segment_entry(const SegmentRef& s) {
  dynamodb::AttributeMap m{{attr::kEntryId, V::S(s.id)},
                           {attr::kEntryCount, V::N(static_cast<long long>(s.count))},
                           {attr::kEntryLevel, V::N(static_cast<long long>(s.level))}};
  if (s.ttl_epoch) m.emplace(attr::kEntryTtl, V::N(*s.ttl_epoch));
  return V::M(std::move(m));
}

// A segment planned by a save: an existing one it keeps, or a new one it writes.
struct PlannedSegment {
  SegmentRef ref;
  std::size_t first = 0;  ///< index of its first message in the state
  bool fresh = false;
};

class Planner {
 public:
  Planner(const EncodedHistory& history, const SaveTimes& times) : history_(history), times_(times) {}

  std::vector<PlannedSegment> segments;

  void keep(const SegmentRef& ref, std::size_t first) { segments.push_back({ref, first, false}); }

  /// Adds messages [first, last) as one segment of `level`, or, when they do not fit one,
  /// as sealed segments filled in order (each pair of neighbours overflows one, so they are
  /// more than half full on average). False when a single message does not fit a segment.
  bool pack(std::size_t first, std::size_t last, int level) {
    if (history_.array_bytes(first, last) <= kSegmentBytes) {
      add(first, last, level);
      return true;
    }
    std::size_t start = first;
    for (std::size_t i = first; i < last; ++i) {
      if (history_.array_bytes(i, i + 1) > kSegmentBytes) return false;
      if (i > start && history_.array_bytes(start, i + 1) > kSegmentBytes) {
        add(start, i, kSealedLevel);
        start = i;
      }
    }
    add(start, last, kSealedLevel);
    return true;
  }

  /// Merges the newest segments while segment_fan_in of them share a level, like a counter
  /// carrying into the next digit.
  void merge_full_levels() {
    while (!segments.empty()) {
      int level = segments.back().ref.level;
      if (level == kSealedLevel || segments.size() < segment_fan_in(level)) return;
      auto group = segments.end() - static_cast<std::ptrdiff_t>(segment_fan_in(level));
      for (auto it = group; it != segments.end(); ++it) {
        if (it->ref.level != level) return;
      }
      std::size_t first = group->first;
      std::size_t last = segments.back().first + segments.back().ref.count;
      if (!each_fits(first, last)) return;  // cannot happen: each already fitted a segment
      segments.erase(group, segments.end());
      pack(first, last, level + 1);
    }
  }

  /// Whether every message of [first, last) fits a segment on its own (so pack succeeds).
  bool each_fits(std::size_t first, std::size_t last) const {
    for (std::size_t i = first; i < last; ++i) {
      if (history_.array_bytes(i, i + 1) > kSegmentBytes) return false;
    }
    return true;
  }

  std::string save_id = new_save_id();

 private:
  void add(std::size_t first, std::size_t last, int level) {
    SegmentRef ref{save_id + "-" + std::to_string(next_index_++), last - first, level, times_.segment_ttl};
    segments.push_back({std::move(ref), first, true});
  }

  const EncodedHistory& history_;
  const SaveTimes& times_;
  std::size_t next_index_ = 0;
};

// A segment may stay only if it outlives the head that names it, and carries an expiry exactly
// when the thread does (so that TTL removes every item of an expired thread).
bool outlives_head(const SegmentRef& segment, const std::optional<std::int64_t>& head_ttl) {
  if (!head_ttl) return !segment.ttl_epoch;
  return segment.ttl_epoch && *segment.ttl_epoch >= *head_ttl;
}

// The key of an item read back. Every stored item has one, so an item without it is a damaged
// item or answer: CorruptStateError, like any other damage, never a lookup that throws.
const std::string& key_of_read_item(const std::string& thread_id, const Item& item) {
  auto key = item.find(attr::kThreadId);
  if (key == item.end() || !key->second.is(V::Type::kS))
    throw_corrupt(thread_id, attr::kThreadId, "of a segment item read back is missing or not a string");
  return key->second.scalar();
}

}  // namespace

std::string segment_key(const std::string& thread_id, const std::string& segment_id) {
  return thread_id + "#seg#" + segment_id;
}

std::string history_hint(const HistoryBase& base) {
  std::string out(kHintPrefix);
  out += base.save_id + "|" + std::to_string(base.message_count) + "|" + base.digest + "|";
  for (std::size_t i = 0; i < base.segments.size(); ++i) {
    const auto& s = base.segments[i];
    if (i > 0) out += ';';
    out += s.id + "," + std::to_string(s.count) + "," + std::to_string(s.level) + ",";
    if (s.ttl_epoch) out += std::to_string(*s.ttl_epoch);
  }
  return out;
}

bool is_history_hint(std::string_view hint) { return hint.substr(0, kHintPrefix.size()) == kHintPrefix; }

std::optional<HistoryBase> base_from_hint(std::string_view hint) {
  if (!is_history_hint(hint)) return std::nullopt;
  auto parts = split_fields(hint.substr(kHintPrefix.size()), '|');
  if (parts.size() != 4) return std::nullopt;
  HistoryBase base;
  base.save_id = std::string(parts[0]);
  base.digest = std::string(parts[2]);
  if (!parse_size(parts[1], base.message_count)) return std::nullopt;
  std::size_t total = 0;
  if (!parts[3].empty()) {
    for (std::string_view entry : split_fields(parts[3], ';')) {
      auto fields = split_fields(entry, ',');
      if (fields.size() != 4 || !valid_segment_id(fields[0])) return std::nullopt;
      SegmentRef s;
      s.id = std::string(fields[0]);
      std::size_t level = 0;
      if (!parse_size(fields[1], s.count) || !parse_size(fields[2], level)) return std::nullopt;
      s.level = static_cast<int>(level);
      if (!fields[3].empty()) {
        std::int64_t ttl = 0;
        auto [ptr, ec] = std::from_chars(fields[3].data(), fields[3].data() + fields[3].size(), ttl);
        if (ec != std::errc() || ptr != fields[3].data() + fields[3].size()) return std::nullopt;
        s.ttl_epoch = ttl;
      }
      total += s.count;
      base.segments.push_back(std::move(s));
    }
  }
  if (total != base.message_count) return std::nullopt;
  return base;
}

std::optional<HistoryBase> base_from_head(const std::string& thread_id, const Item& head) {
  auto count = head.find(attr::kMessageCount);
  if (count == head.end()) return std::nullopt;
  HistoryBase base;
  std::int64_t n = parse_stored_int(thread_id, attr::kMessageCount, count->second);
  if (n < 0) throw_corrupt(thread_id, attr::kMessageCount, "is negative");
  base.message_count = static_cast<std::size_t>(n);
  auto digest = head.find(attr::kHistoryDigest);
  if (digest == head.end() || !digest->second.is(V::Type::kS) || digest->second.scalar().size() != 64 ||
      !lower_hex(digest->second.scalar(), 64))
    throw_corrupt(thread_id, attr::kHistoryDigest, "is missing or not 64 hex digits");
  base.digest = digest->second.scalar();
  auto save = head.find(attr::kSaveId);
  if (save == head.end() || !save->second.is(V::Type::kS) || !is_save_id(save->second.scalar()))
    throw_corrupt(thread_id, attr::kSaveId, "is missing from an incremental head or not hex");
  base.save_id = save->second.scalar();
  std::size_t total = 0;
  if (auto segments = head.find(attr::kSegments); segments != head.end()) {
    if (!segments->second.is(V::Type::kL)) throw_corrupt(thread_id, attr::kSegments, "is not a list");
    const auto& list = segments->second.list();
    if (list.size() > kMaxStoredSegments)
      throw_corrupt(thread_id, attr::kSegments, "names " + std::to_string(list.size()) + " segments");
    for (const auto& entry : list) {
      const auto& m = entry.map();
      auto id = m.find(attr::kEntryId);
      auto n_of = m.find(attr::kEntryCount);
      auto level = m.find(attr::kEntryLevel);
      if (!entry.is(V::Type::kM) || id == m.end() || n_of == m.end() || level == m.end() ||
          !id->second.is(V::Type::kS) || !valid_segment_id(id->second.scalar())) {
        throw_corrupt(thread_id, attr::kSegments, "holds an entry without a valid id, n and lvl");
      }
      SegmentRef s;
      s.id = id->second.scalar();
      std::int64_t c = parse_stored_int(thread_id, attr::kEntryCountPath, n_of->second);
      std::int64_t l = parse_stored_int(thread_id, attr::kEntryLevelPath, level->second);
      if (c < 1 || l < 0 || l > kSealedLevel)
        throw_corrupt(thread_id, attr::kSegments, "holds an entry out of range");
      s.count = static_cast<std::size_t>(c);
      s.level = static_cast<int>(l);
      if (auto ttl = m.find(attr::kEntryTtl); ttl != m.end())
        s.ttl_epoch = parse_stored_int(thread_id, attr::kEntryTtlPath, ttl->second);
      total += s.count;
      base.segments.push_back(std::move(s));
    }
  }
  if (total != base.message_count) {
    throw_corrupt(
        thread_id, attr::kMessageCount,
        "is " + std::to_string(base.message_count) + " but the segments hold " + std::to_string(total));
  }
  return base;
}

EncodedHistory::EncodedHistory(const std::string& thread_id, const AgentStateSnapshot& state,
                               std::size_t max_state_bytes, std::unique_ptr<HistoryMemo> memo) {
  // The messages this state shares with the memo, from the first: their JSON is the memo's.
  std::size_t shared = 0;
  if (memo) {
    const std::size_t limit = std::min(memo->messages.size(), state.messages.size());
    while (shared < limit && memo->messages[shared] == state.messages[shared]) ++shared;
    encoded_ = std::move(memo->encoded);
    encoded_.resize(shared);
    if (shared == memo->messages.size()) {
      memo_sha_.emplace(memo->sha);
      memo_digest_ = std::move(memo->digest);
      memo_count_ = shared;
    }
    memo->messages.resize(shared);
    memo_messages_ = std::move(memo->messages);
  }
  encoded_.reserve(state.messages.size());
  offsets_.reserve(state.messages.size() + 1);
  offsets_.push_back(0);
  for (std::size_t i = 0; i < shared; ++i) offsets_.push_back(offsets_.back() + encoded_[i].size());
  for (std::size_t i = shared; i < state.messages.size(); ++i) {
    encoded_.push_back(encode_message_json(state.messages[i]));
    offsets_.push_back(offsets_.back() + encoded_.back().size());
  }
  head_state_ = encode_state_json_without_messages(state);
  // The same checks, and the same sizes, as the plain layout's (the memo's were checked).
  const std::size_t n = encoded_.size();
  const std::size_t plain_bytes =
      head_state_.size() + (n == 0 ? 0 : std::string_view(",\"messages\":").size() + array_bytes(0, n));
  check_state_size(thread_id, plain_bytes, max_state_bytes);
  check_utf8(thread_id, head_state_);
  for (std::size_t i = shared; i < n; ++i) check_utf8(thread_id, encoded_[i]);
}

std::unique_ptr<HistoryMemo> EncodedHistory::take_memo(const AgentStateSnapshot& state,
                                                       const util::Sha256Stream& sha, std::string digest) {
  auto memo = std::make_unique<HistoryMemo>(
      HistoryMemo{std::move(memo_messages_), std::move(encoded_), sha, std::move(digest), offsets_.back()});
  memo->messages.insert(memo->messages.end(),
                        state.messages.begin() + static_cast<std::ptrdiff_t>(memo->messages.size()),
                        state.messages.end());
  return memo;
}

std::string EncodedHistory::array(std::size_t first, std::size_t last) const {
  std::string out;
  out.reserve(array_bytes(first, last));
  out += '[';
  for (std::size_t i = first; i < last; ++i) {
    if (i > first) out += ',';
    out += encoded_[i];
  }
  out += ']';
  return out;
}

std::optional<IncrementalSave> plan_incremental_save(const std::string& thread_id,
                                                     const EncodedHistory& history,
                                                     const std::optional<HistoryBase>& previous,
                                                     std::int64_t version, const SaveTimes& times,
                                                     const std::string& ancestors) {
  const std::size_t n = history.size();
  // Is the stored history a prefix of this one? Then only the rest is new. When the last save
  // of this process stored exactly that history, hashing goes on from where it stopped.
  const bool from_memo = history.memo_sha() && previous && previous->message_count == history.memo_count() &&
                         previous->digest == history.memo_digest();
  util::Sha256Stream sha = from_memo ? *history.memo_sha() : util::Sha256Stream();
  bool appends = from_memo;
  const bool may_append = !from_memo && previous && previous->message_count <= n;
  for (std::size_t i = from_memo ? history.memo_count() : 0; i <= n; ++i) {
    if (may_append && i == previous->message_count) appends = sha.hex_so_far() == previous->digest;
    if (i == n) break;
    sha.update(history.message(i));
    sha.update("\n");
  }

  Planner planner(history, times);
  std::size_t covered = 0;
  if (appends) {
    for (const auto& segment : previous->segments) {
      // Older segments are rewritten (with a new expiry) rather than let expire under the head.
      if (!outlives_head(segment, times.head_ttl)) break;
      planner.keep(segment, covered);
      covered += segment.count;
    }
  }
  if (covered < n) {
    // New turns start at level 0; a rewritten history (edited, or older than its expiry allows)
    // is sealed, so that its bulk is not merged again.
    const bool new_turns = previous ? appends && covered == previous->message_count : true;
    if (!planner.pack(covered, n, new_turns ? 0 : kSealedLevel)) return std::nullopt;
  }
  planner.merge_full_levels();
  if (planner.segments.size() > kMaxSegments) {
    planner.segments.clear();
    if (!planner.pack(0, n, kSealedLevel) || planner.segments.size() > kMaxSegments) return std::nullopt;
  }
  // The head must name every message exactly once, in order.
  std::size_t next = 0;
  for (const auto& planned : planner.segments) {
    if (planned.first != next) return std::nullopt;
    next += planned.ref.count;
  }
  if (next != n) return std::nullopt;

  IncrementalSave out;
  out.save_id = planner.save_id;
  out.base.save_id = planner.save_id;
  out.base.message_count = n;
  out.base.digest = sha.hex_so_far();
  out.sha.emplace(sha);
  dynamodb::AttributeList entries;
  for (const auto& planned : planner.segments) {
    out.base.segments.push_back(planned.ref);
    entries.push_back(segment_entry(planned.ref));
    if (!planned.fresh) continue;
    Item segment;
    segment.emplace(attr::kThreadId, V::S(segment_key(thread_id, planned.ref.id)));
    segment.emplace(attr::kChunkOf, V::S(thread_id));
    segment.emplace(attr::kSaveId, V::S(planner.save_id));
    segment.emplace(attr::kFirstMessage, V::N(static_cast<long long>(planned.first)));
    segment.emplace(attr::kMessageCount, V::N(static_cast<long long>(planned.ref.count)));
    std::string messages = history.array(planned.first, planned.first + planned.ref.count);
    std::string compressed;
    if (messages.size() >= kCompressSegmentsFrom) compressed = zstd_compress(messages);
    if (!compressed.empty() && compressed.size() < messages.size()) {
      segment.emplace(attr::kMessagesZstd, V::B(std::move(compressed)));
    } else {
      segment.emplace(attr::kMessages, V::S(std::move(messages)));
    }
    if (planned.ref.ttl_epoch) segment.emplace(attr::kTtl, V::N(*planned.ref.ttl_epoch));
    if (times.written_at > 0) segment.emplace(attr::kWrittenAt, V::N(times.written_at));
    out.segments.push_back(std::move(segment));
  }

  Item& head = out.head;
  head.emplace(attr::kThreadId, V::S(thread_id));
  head.emplace(attr::kUpdatedAt, V::S(times.updated_at));
  head.emplace(attr::kVersion, V::N(version));
  head.emplace(attr::kSaveId, V::S(planner.save_id));
  if (times.head_ttl) head.emplace(attr::kTtl, V::N(*times.head_ttl));
  if (!ancestors.empty()) head.emplace(attr::kAncestors, V::S(ancestors));
  head.emplace(attr::kHeadState, V::S(history.head_state()));
  head.emplace(attr::kMessageCount, V::N(static_cast<long long>(n)));
  head.emplace(attr::kHistoryDigest, V::S(out.base.digest));
  if (!entries.empty()) head.emplace(attr::kSegments, V::L(std::move(entries)));
  for (const auto& segment : out.segments) {
    if (dynamodb::item_size(segment) > kMaxItemBytes) return std::nullopt;  // a very long thread id
  }
  if (dynamodb::item_size(head) > kMaxItemBytes) return std::nullopt;
  return out;
}

AgentStateSnapshot decode_head_state(const std::string& thread_id, const Item& head) {
  auto rest = head.find(attr::kHeadState);
  if (rest == head.end() || !rest->second.is(V::Type::kS))
    throw_corrupt(thread_id, attr::kHeadState, "is missing or not a string");
  auto decoded = decode_state_json(rest->second.scalar());
  if (!decoded.ok())
    throw_corrupt(thread_id, attr::kHeadState, "is not a valid state: " + decoded.status().message());
  decoded->messages.clear();
  return std::move(*decoded);
}

DecodedSegment decode_segment(const std::string& thread_id, const SegmentRef& ref, const Item& segment,
                              std::size_t max_state_bytes) {
  auto owner = segment.find(attr::kChunkOf);
  if (owner == segment.end() || owner->second.scalar() != thread_id)
    throw_corrupt(thread_id, attr::kChunkOf, "of segment " + ref.id + " names another thread");
  DecodedSegment out;
  if (auto ttl = segment.find(attr::kTtl); ttl != segment.end())
    out.ttl_epoch = parse_stored_int(thread_id, attr::kTtl, ttl->second);
  std::string decompressed;
  const std::string* json = nullptr;
  if (auto z = segment.find(attr::kMessagesZstd); z != segment.end()) {
    if (!z->second.is(V::Type::kB))
      throw_corrupt(thread_id, attr::kMessagesZstd, "of segment " + ref.id + " is not binary");
    decompressed = zstd_decompress(thread_id, attr::kMessagesZstd, z->second.scalar(), max_state_bytes);
    json = &decompressed;
  } else if (auto m = segment.find(attr::kMessages); m != segment.end() && m->second.is(V::Type::kS)) {
    json = &m->second.scalar();
  } else {
    throw_corrupt(thread_id, attr::kMessages, "of segment " + ref.id + " is missing or not a string");
  }
  out.bytes = json->size();
  Status parsed = decode_messages_json(*json, out.messages);
  if (!parsed.ok())
    throw_corrupt(thread_id, attr::kMessages, "of segment " + ref.id + ": " + parsed.message());
  if (out.messages.size() != ref.count) {
    throw_corrupt(thread_id, attr::kMessages,
                  "of segment " + ref.id + " holds " + std::to_string(out.messages.size()) +
                      " messages; the head says " + std::to_string(ref.count));
  }
  return out;
}

void check_not_expired(const std::string& thread_id, const SegmentRef& ref, const DecodedSegment& segment,
                       std::int64_t now_epoch) {
  if (segment.ttl_epoch && *segment.ttl_epoch < now_epoch) {
    throw_corrupt(thread_id, attr::kTtl,
                  "of segment " + ref.id + " has passed (" + std::to_string(*segment.ttl_epoch) +
                      ") while the thread's head is live: part of the history has expired");
  }
}

std::optional<AgentStateSnapshot> assemble_history(const std::string& thread_id, const Item& head,
                                                   const HistoryBase& base, const std::vector<Item>& segments,
                                                   std::int64_t now_epoch, std::size_t max_state_bytes,
                                                   const HeldSegments& held, SegmentCache* cache) {
  AgentStateSnapshot rest = decode_head_state(thread_id, head);
  const std::size_t n = base.segments.size();
  const auto held_at = [&](std::size_t i) { return i < held.size() ? held[i].get() : nullptr; };
  std::map<std::string, const Item*, std::less<>> by_key;
  for (const Item& segment : segments) by_key.emplace(key_of_read_item(thread_id, segment), &segment);
  std::vector<DecodedSegment> fetched(n);  // decoded now
  for (std::size_t i = 0; i < n; ++i) {
    if (held_at(i)) continue;
    std::string key = segment_key(thread_id, base.segments[i].id);
    auto found = by_key.find(key);
    if (found == by_key.end()) return std::nullopt;
    fetched[i] = decode_segment(thread_id, base.segments[i], *found->second, max_state_bytes);
    if (cache) cache->put(key, std::make_shared<const DecodedSegment>(fetched[i]));
  }
  // Expiry is checked once every segment is there: a missing one means "read the head again".
  rest.messages.reserve(base.message_count);
  for (std::size_t i = 0; i < n; ++i) {
    if (const DecodedSegment* kept = held_at(i)) {
      check_not_expired(thread_id, base.segments[i], *kept, now_epoch);
      rest.messages.insert(rest.messages.end(), kept->messages.begin(), kept->messages.end());
    } else {
      check_not_expired(thread_id, base.segments[i], fetched[i], now_epoch);
      std::move(fetched[i].messages.begin(), fetched[i].messages.end(), std::back_inserter(rest.messages));
    }
  }
  return rest;
}

}  // namespace agents::detail
