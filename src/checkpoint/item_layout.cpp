#include "checkpoint/item_layout.hpp"

#include <openssl/rand.h>
#include <simdjson.h>
#include <sys/random.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <memory>

#include "agents/core/error.hpp"
#include "checkpoint/generation.hpp"
#include "checkpoint/stored_attributes.hpp"

namespace agents::detail {

using dynamodb::AttributeValue;
using dynamodb::Item;
using V = AttributeValue;

namespace {

// Room the head's own attributes take (names, id, dates, numbers) beside the state.
// (ancestors: up to four 16-digit save id prefixes).
std::size_t head_overhead(const std::string& thread_id) { return thread_id.size() + 320; }

}  // namespace

void throw_corrupt(const std::string& thread_id, const std::string& attribute, const std::string& what) {
  throw CorruptStateError("thread '" + thread_id + "': stored attribute '" + attribute + "' " + what +
                              "; the item was not written by a compatible version (nothing was changed)",
                          thread_id, attribute);
}

std::int64_t parse_stored_int(const std::string& thread_id, const std::string& attribute, const V& value) {
  if (!value.is(V::Type::kN))
    throw_corrupt(thread_id, attribute, std::string("is of type ") + type_tag(value.type()) + ", not N");
  std::int64_t n = 0;
  const std::string& s = value.scalar();
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || ptr != s.data() + s.size())
    throw_corrupt(thread_id, attribute, "is not a whole number: " + s);
  return n;
}

void check_state_size(const std::string& thread_id, std::size_t bytes, std::size_t max_state_bytes) {
  if (bytes > max_state_bytes) {
    throw StateTooLargeError("thread '" + thread_id + "': state is " + std::to_string(bytes) +
                                 " bytes; the limit is " + std::to_string(max_state_bytes) +
                                 " (with_max_state_bytes); nothing was written",
                             bytes, max_state_bytes);
  }
}

void check_utf8(const std::string& thread_id, std::string_view text) {
  // DynamoDB rejects strings that are not UTF-8; say so before any write, naming the thread.
  if (!simdjson::validate_utf8(text.data(), text.size())) {
    throw InvalidArgumentError(
        "thread '" + thread_id +
        "': the state holds text that is not valid UTF-8 (a file or message?); nothing was written");
  }
}

std::string new_save_id() {
  // 128 bits from the kernel for every id: no generator state that a fork or a cold start with
  // the same seed could repeat, since the in-doubt check trusts that no other save drew this id.
  unsigned char bytes[kSaveIdBytes];
  std::size_t filled = 0;
  while (filled < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + filled, sizeof bytes - filled, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      // No getrandom(2) (a kernel before 3.17, or a seccomp filter): OpenSSL's generator,
      // which is seeded from the OS and reseeds after fork.
      if (RAND_bytes(bytes, static_cast<int>(sizeof bytes)) != 1)
        throw ServiceError("no randomness for a save id (getrandom and RAND_bytes failed); nothing was saved",
                           ErrorDetails{});
      break;
    }
    filled += static_cast<std::size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(2 * sizeof bytes);
  for (unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 0xF];
  }
  return id;
}

std::string chunk_key(const std::string& thread_id, const std::string& save_id, std::size_t index) {
  return thread_id + "#chunk#" + save_id + "#" + std::to_string(index);
}

std::string chunk_hint(const std::string& save_id, std::string_view chunk_count) {
  return save_id + ":" + std::string(chunk_count);
}

std::vector<std::string> chunk_keys_of_hint(const std::string& thread_id, std::string_view hint) {
  std::vector<std::string> keys;
  auto colon = hint.find(':');
  if (colon == std::string_view::npos) return keys;
  std::string save_id(hint.substr(0, colon));
  std::size_t count = 0;
  std::string_view digits = hint.substr(colon + 1);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return keys;
  count = std::min(count, kMaxChunks);
  for (std::size_t i = 0; i < count; ++i) keys.push_back(chunk_key(thread_id, save_id, i));
  return keys;
}

std::string zstd_compress(const std::string& data) {
  // Only a failed allocation makes zstd refuse valid input: the store is fine, nothing was saved.
  auto refuse = [](const char* why) {
    throw ServiceError(std::string("zstd could not compress the state (") + why + "); nothing was saved",
                       ErrorDetails{});
  };
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> ctx(ZSTD_createCCtx(), &ZSTD_freeCCtx);
  if (!ctx) refuse("no memory for a compression context");
  ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_compressionLevel, 3);
  ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_checksumFlag, 1);  // a damaged chunk fails loudly
  std::string out(ZSTD_compressBound(data.size()), '\0');
  std::size_t n = ZSTD_compress2(ctx.get(), out.data(), out.size(), data.data(), data.size());
  if (ZSTD_isError(n)) refuse(ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

std::string zstd_decompress(const std::string& thread_id, const std::string& attribute,
                            const std::string& data, std::size_t max_bytes) {
  unsigned long long size = ZSTD_getFrameContentSize(data.data(), data.size());
  if (size == ZSTD_CONTENTSIZE_ERROR) throw_corrupt(thread_id, attribute, "is not zstd data");
  if (size == ZSTD_CONTENTSIZE_UNKNOWN || size > max_bytes) {
    throw_corrupt(
        thread_id, attribute,
        "declares " + std::to_string(size) + " bytes, beyond the limit of " + std::to_string(max_bytes));
  }
  std::string out;
  // The spare capacity lets the JSON parser read the state in place (it needs 64 readable bytes
  // past the end).
  out.reserve(static_cast<std::size_t>(size) + simdjson::SIMDJSON_PADDING);
  out.resize(static_cast<std::size_t>(size));
  std::size_t n = ZSTD_decompress(out.data(), out.size(), data.data(), data.size());
  if (ZSTD_isError(n) || n != size) {
    throw_corrupt(
        thread_id, attribute,
        std::string("is damaged zstd data (") + (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short") + ")");
  }
  return out;
}

PreparedState prepare_state(const std::string& thread_id, std::string state_json, Compression compression,
                            std::size_t max_state_bytes, std::size_t extra_head_bytes) {
  check_state_size(thread_id, state_json.size(), max_state_bytes);
  check_utf8(thread_id, state_json);
  PreparedState out;
  out.json_bytes = state_json.size();
  const std::size_t overhead = head_overhead(thread_id) + extra_head_bytes;
  if (compression == Compression::kAuto && overhead + state_json.size() <= kMaxItemBytes) {
    out.payload = std::move(state_json);
    return out;
  }
  out.payload = zstd_compress(state_json);
  if (overhead + out.payload.size() <= kMaxItemBytes) {
    out.layout = PreparedState::Layout::kCompressed;
    return out;
  }
  out.layout = PreparedState::Layout::kChunked;
  out.chunk_count = (out.payload.size() + kChunkPayloadBytes - 1) / kChunkPayloadBytes;
  if (out.chunk_count > kMaxChunks) {
    throw StateTooLargeError("thread '" + thread_id + "': state compresses to " +
                                 std::to_string(out.payload.size()) + " bytes, beyond the " +
                                 std::to_string(kMaxChunks * kChunkPayloadBytes) + " bytes that " +
                                 std::to_string(kMaxChunks) + " chunk items hold; nothing was written",
                             out.payload.size(), kMaxChunks * kChunkPayloadBytes);
  }
  return out;
}

SaveItems build_save_items(const std::string& thread_id, const PreparedState& prepared, std::int64_t version,
                           const std::string& updated_at, std::optional<std::int64_t> ttl_epoch,
                           const std::string& ancestors, std::int64_t written_at) {
  SaveItems out;
  out.save_id = new_save_id();
  Item& head = out.head;
  head.emplace(attr::kThreadId, V::S(thread_id));
  head.emplace(attr::kUpdatedAt, V::S(updated_at));
  head.emplace(attr::kVersion, V::N(version));
  head.emplace(attr::kSaveId, V::S(out.save_id));
  if (ttl_epoch) head.emplace(attr::kTtl, V::N(*ttl_epoch));
  if (!ancestors.empty()) head.emplace(attr::kAncestors, V::S(ancestors));
  switch (prepared.layout) {
    case PreparedState::Layout::kPlain:
      head.emplace(attr::kState, V::S(prepared.payload));
      break;
    case PreparedState::Layout::kCompressed:
      head.emplace(attr::kStateZstd, V::B(prepared.payload));
      break;
    case PreparedState::Layout::kChunked:
      head.emplace(attr::kChunkCount, V::N(static_cast<long long>(prepared.chunk_count)));
      head.emplace(attr::kStateBytes, V::N(static_cast<long long>(prepared.payload.size())));
      for (std::size_t i = 0; i < prepared.chunk_count; ++i) {
        Item chunk;
        chunk.emplace(attr::kThreadId, V::S(chunk_key(thread_id, out.save_id, i)));
        chunk.emplace(attr::kChunkOf, V::S(thread_id));
        chunk.emplace(attr::kSaveId, V::S(out.save_id));
        chunk.emplace(attr::kChunkIndex, V::N(static_cast<long long>(i)));
        chunk.emplace(attr::kData, V::B(prepared.payload.substr(i * kChunkPayloadBytes, kChunkPayloadBytes)));
        if (ttl_epoch) chunk.emplace(attr::kTtl, V::N(*ttl_epoch));
        if (written_at > 0) chunk.emplace(attr::kWrittenAt, V::N(written_at));
        out.chunks.push_back(std::move(chunk));
      }
      break;
  }
  // The estimate above must never let an item past DynamoDB's limit.
  if (dynamodb::item_size(head) > kMaxItemBytes) {
    throw StateTooLargeError("thread '" + thread_id + "': head item would be " +
                                 std::to_string(dynamodb::item_size(head)) + " bytes",
                             dynamodb::item_size(head), kMaxItemBytes);
  }
  return out;
}

bool is_chunk_item(const Item& item) { return item.count(attr::kChunkOf) > 0; }

StoredHead read_head(const std::string& thread_id, const Item& item) {
  StoredHead head;
  auto find = [&](const char* name) -> const V* {
    auto it = item.find(name);
    return it == item.end() ? nullptr : &it->second;
  };
  if (const V* v = find(attr::kVersion)) head.version = parse_stored_int(thread_id, attr::kVersion, *v);
  if (head.version < 0) throw_corrupt(thread_id, attr::kVersion, "is negative");
  if (const V* v = find(attr::kTtl)) head.ttl_epoch = parse_stored_int(thread_id, attr::kTtl, *v);
  if (const V* v = find(attr::kUpdatedAt)) {
    if (!v->is(V::Type::kS)) throw_corrupt(thread_id, attr::kUpdatedAt, "is not a string");
    head.updated_at = v->scalar();
  }
  if (const V* v = find(attr::kSaveId); v && v->is(V::Type::kS)) head.save_id = v->scalar();
  if (const V* v = find(attr::kState)) {
    if (!v->is(V::Type::kS))
      throw_corrupt(thread_id, attr::kState, std::string("is of type ") + type_tag(v->type()) + ", not S");
    head.layout = StoredHead::Layout::kPlain;
    head.plain_state = &v->scalar();
  } else if (const V* z = find(attr::kStateZstd)) {
    if (!z->is(V::Type::kB)) throw_corrupt(thread_id, attr::kStateZstd, "is not binary");
    head.layout = StoredHead::Layout::kCompressed;
    head.compressed = &z->scalar();
  } else if (find(attr::kHeadState)) {
    head.layout = StoredHead::Layout::kIncremental;  // incremental_layout.hpp reads the rest
  } else if (const V* c = find(attr::kChunkCount)) {
    head.layout = StoredHead::Layout::kChunked;
    std::int64_t count = parse_stored_int(thread_id, attr::kChunkCount, *c);
    if (count < 1 || count > static_cast<std::int64_t>(kMaxChunks)) {
      throw_corrupt(thread_id, attr::kChunkCount,
                    "is " + std::to_string(count) + ", outside 1.." + std::to_string(kMaxChunks));
    }
    head.chunk_count = static_cast<std::size_t>(count);
    const V* bytes = find(attr::kStateBytes);
    if (!bytes) throw_corrupt(thread_id, attr::kStateBytes, "is missing");
    std::int64_t n = parse_stored_int(thread_id, attr::kStateBytes, *bytes);
    if (n <= 0 || static_cast<std::size_t>(n) > head.chunk_count * kChunkPayloadBytes) {
      throw_corrupt(thread_id, attr::kStateBytes, "does not match chunk_count");
    }
    head.state_bytes = static_cast<std::size_t>(n);
    if (head.save_id.empty()) throw_corrupt(thread_id, attr::kSaveId, "is missing from a chunked state");
  } else {
    throw_corrupt(thread_id, attr::kState, "is missing");
  }
  return head;
}

std::optional<std::string> assemble_chunks(const std::string& thread_id, const StoredHead& head,
                                           const std::vector<Item>& chunks) {
  std::vector<const std::string*> parts(head.chunk_count, nullptr);
  for (const Item& chunk : chunks) {
    auto save = chunk.find(attr::kSaveId);
    auto index = chunk.find(attr::kChunkIndex);
    auto data = chunk.find(attr::kData);
    auto owner = chunk.find(attr::kChunkOf);
    if (owner == chunk.end() || owner->second.scalar() != thread_id)
      throw_corrupt(thread_id, attr::kChunkOf, "names another thread");
    if (save == chunk.end() || save->second.scalar() != head.save_id)
      throw_corrupt(thread_id, attr::kSaveId, "of a chunk is from another save");
    if (index == chunk.end()) throw_corrupt(thread_id, attr::kChunkIndex, "is missing");
    std::int64_t i = parse_stored_int(thread_id, attr::kChunkIndex, index->second);
    if (i < 0 || static_cast<std::size_t>(i) >= head.chunk_count)
      throw_corrupt(thread_id, attr::kChunkIndex, "is out of range");
    if (data == chunk.end() || !data->second.is(V::Type::kB))
      throw_corrupt(thread_id, attr::kData, "of a chunk is not binary");
    parts[static_cast<std::size_t>(i)] = &data->second.scalar();
  }
  std::string out;
  out.reserve(head.state_bytes);
  for (const auto* part : parts) {
    if (part == nullptr) return std::nullopt;  // missing: maybe a newer save replaced them
    out += *part;
  }
  if (out.size() != head.state_bytes) {
    throw_corrupt(
        thread_id, attr::kStateBytes,
        "says " + std::to_string(head.state_bytes) + " bytes, chunks hold " + std::to_string(out.size()));
  }
  return out;
}

}  // namespace agents::detail
