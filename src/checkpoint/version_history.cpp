#include "checkpoint/version_history.hpp"

#include <charconv>

#include "agents/core/error.hpp"
#include "checkpoint/generation.hpp"
#include "checkpoint/head_reader.hpp"
#include "checkpoint/incremental_layout.hpp"
#include "checkpoint/item_layout.hpp"
#include "checkpoint/stored_attributes.hpp"
#include "dynamodb/json_codec.hpp"

namespace agents::detail {

using dynamodb::Item;
using V = dynamodb::AttributeValue;

namespace {
constexpr std::string_view kVersionInfix = "#chunk#v";
// A copy is a head: far below this once decompressed (a plain head is at most one item).
constexpr std::size_t kMaxHeadCopyBytes = 2 * 1024 * 1024;

bool parse_int(std::string_view text, std::int64_t& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}
}  // namespace

std::optional<std::vector<KeptVersion>> parse_kept_versions(std::string_view text) {
  std::vector<KeptVersion> out;
  if (text.empty()) return out;
  for (std::string_view entry : split_fields(text, ' ')) {
    KeptVersion v;
    if (entry.ends_with('=')) {
      v.newer_names_all = true;
      entry.remove_suffix(1);
    }
    const std::size_t colon = entry.find(':');
    std::string_view id = entry.substr(0, colon);
    if (!is_save_id(id) || id.size() > kAncestorIdChars) return std::nullopt;
    v.id = std::string(id);
    if (colon != std::string_view::npos) {
      std::int64_t expires = 0;
      if (!parse_int(entry.substr(colon + 1), expires)) return std::nullopt;
      v.expires = expires;
    }
    out.push_back(std::move(v));
  }
  return out;
}

std::string format_kept_versions(const std::vector<KeptVersion>& versions) {
  std::string out;
  for (const auto& v : versions) {
    if (!out.empty()) out += ' ';
    out += v.id;
    if (v.expires) out += ':' + std::to_string(*v.expires);
    if (v.newer_names_all) out += '=';
  }
  return out;
}

std::string kept_id_of(std::string_view save_id) { return std::string(save_id.substr(0, kAncestorIdChars)); }

std::string version_key(const std::string& thread_id, std::string_view save_id) {
  std::string key = thread_id;
  key += kVersionInfix;
  key += save_id.substr(0, kAncestorIdChars);
  return key;
}

Item make_version_item(const std::string& thread_id, const Item& head, const VersionFacts& facts) {
  Item copy = head;
  copy.erase(attr::kThreadId);
  copy.erase(attr::kVersions);
  rapidjson::StringBuffer buffer;
  dynamodb::detail::JsonWriter w(buffer);
  dynamodb::detail::write_item(w, copy);
  const std::string& save_id = head.at(attr::kSaveId).scalar();
  Item item{{attr::kThreadId, V::S(version_key(thread_id, save_id))},
            {attr::kChunkOf, V::S(thread_id)},
            {attr::kSaveId, V::S(save_id)},
            {attr::kVersion, head.at(attr::kVersion)},
            {attr::kUpdatedAt, head.at(attr::kUpdatedAt)},
            {attr::kWrittenAt, V::N(facts.written_at)},
            {attr::kMessageCount, V::N(static_cast<long long>(facts.message_count))},
            {attr::kStateSize, V::N(static_cast<long long>(facts.state_bytes))},
            {attr::kHeadZstd, V::B(zstd_compress(std::string(buffer.GetString(), buffer.GetSize())))}};
  if (facts.ttl) item.emplace(attr::kTtl, V::N(*facts.ttl));
  if (auto origin = head.find(attr::kForkedFrom); origin != head.end())
    item.emplace(attr::kForkedFrom, origin->second);
  return item;
}

Item head_of_version_item(const std::string& thread_id, const Item& version_item) {
  auto blob = version_item.find(attr::kHeadZstd);
  if (blob == version_item.end() || !blob->second.is(V::Type::kB))
    throw_corrupt(thread_id, attr::kHeadZstd, "is missing from a version item or is not binary");
  const std::string json =
      zstd_decompress(thread_id, attr::kHeadZstd, blob->second.scalar(), kMaxHeadCopyBytes);
  simdjson::dom::element element;
  Item head;
  std::string error;
  if (dynamodb::detail::thread_parser().parse(json).get(element) ||
      !dynamodb::detail::parse_item(element, head, error)) {
    throw_corrupt(thread_id, attr::kHeadZstd,
                  "does not hold a head item" + (error.empty() ? "" : ": " + error));
  }
  head.insert_or_assign(attr::kThreadId, V::S(thread_id));
  return head;
}

std::vector<std::string> named_item_keys(const std::string& thread_id, const Item& head) {
  const std::string hint = layout_hint_of(thread_id, head);
  if (auto base = base_from_hint(hint)) {
    std::vector<std::string> keys;
    for (const auto& s : base->segments) keys.push_back(segment_key(thread_id, s.id));
    return keys;
  }
  return chunk_keys_of_hint(thread_id, hint);
}

VersionsAfterSave versions_after_save(const KeptVersion& own, const std::vector<KeptVersion>& replaced,
                                      std::size_t keep_last, std::optional<std::int64_t> head_ttl) {
  VersionsAfterSave out;
  out.kept.push_back(own);
  const KeptVersion* newer = &own;
  bool keeping = true;  // the kept versions are the newest ones, with no gap
  for (std::size_t i = 0; i < replaced.size(); ++i) {
    const KeptVersion& entry = replaced[i];
    // Expires before the new head: left to TTL (free). Never expires while the thread now does
    // (history kept before a TTL was set): it would outlive the thread, so it goes now.
    const bool expires_first = entry.expires && (!head_ttl || *entry.expires < *head_ttl);
    const bool outlives_thread = !entry.expires && head_ttl;
    if (keeping && !expires_first && !outlives_thread && out.kept.size() < keep_last + 1) {
      out.kept.push_back(entry);
      if (i == 0) out.keeps_replaced = true;
    } else {
      keeping = false;
      if (!expires_first) {
        out.pruned.push_back(entry);
        out.pruned_successors.push_back(*newer);
      }
    }
    newer = &entry;
  }
  return out;
}

VersionListing read_version_listing(const std::string& thread_id, const Item& item) {
  VersionListing out;
  auto get = [&](const char* name) -> const V& {
    auto it = item.find(name);
    if (it == item.end()) throw_corrupt(thread_id, name, "is missing from a version item");
    return it->second;
  };
  out.version = parse_stored_int(thread_id, attr::kVersion, get(attr::kVersion));
  out.save_id = get(attr::kSaveId).scalar();
  out.updated_at = get(attr::kUpdatedAt).scalar();
  out.message_count =
      static_cast<std::size_t>(parse_stored_int(thread_id, attr::kMessageCount, get(attr::kMessageCount)));
  out.state_bytes =
      static_cast<std::size_t>(parse_stored_int(thread_id, attr::kStateSize, get(attr::kStateSize)));
  out.forked_from = fork_origin_of(thread_id, item);
  return out;
}

V fork_origin_value(const ForkOrigin& origin) {
  return V::M({{attr::kThreadId, V::S(origin.thread_id)}, {attr::kVersion, V::N(origin.version)}});
}

std::optional<ForkOrigin> fork_origin_of(const std::string& thread_id, const Item& item) {
  auto it = item.find(attr::kForkedFrom);
  if (it == item.end()) return std::nullopt;
  const auto& map = it->second.map();
  auto from = map.find(attr::kThreadId);
  auto version = map.find(attr::kVersion);
  if (!it->second.is(V::Type::kM) || from == map.end() || !from->second.is(V::Type::kS) ||
      version == map.end())
    throw_corrupt(thread_id, attr::kForkedFrom, "is not a map of thread_id and version");
  return ForkOrigin{from->second.scalar(), parse_stored_int(thread_id, attr::kForkedFrom, version->second)};
}

}  // namespace agents::detail
