#include "checkpoint/thread_listing.hpp"

#include <charconv>

#include "checkpoint/head_reader.hpp"
#include "checkpoint/version_history.hpp"
#include "checkpoint/version_store.hpp"

namespace agents::detail {

using V = dynamodb::AttributeValue;

std::vector<ThreadInfo> list_threads(const DynamoDbContext& db) {
  dynamodb::QueryRequest scan{
      .table = db.table,
      .filter = "attribute_not_exists(chunk_of) AND (attribute_not_exists(#ttl) OR #ttl >= :now)",
      .projection = "thread_id, updated_at, #v",
      .attributes = {{{"#ttl", attr::kTtl}, {"#v", attr::kVersion}}, {{":now", V::N(db.now_epoch())}}},
      .total_segments = 2};
  auto items = value_or_throw(db.client->scan_all(scan));
  std::vector<ThreadInfo> out;
  out.reserve(items.size());
  for (const auto& item : items) {
    // An item read back without its key (a damaged answer) has no thread to list; the rest do.
    auto key = item.find(attr::kThreadId);
    if (key == item.end()) continue;
    ThreadInfo info;
    info.thread_id = key->second.scalar();
    if (auto it = item.find(attr::kUpdatedAt); it != item.end()) info.updated_at = it->second.scalar();
    if (auto it = item.find(attr::kVersion); it != item.end() && it->second.is(V::Type::kN)) {
      // A damaged version lists as 0 rather than hiding every other thread.
      const std::string& v = it->second.scalar();
      std::from_chars(v.data(), v.data() + v.size(), info.version);
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::optional<std::vector<VersionInfo>> list_thread_versions(const DynamoDbContext& db,
                                                             const std::string& thread_id,
                                                             const ListVersionsOptions& options) {
  auto head = read_head_attributes(db, thread_id);
  if (!head) return std::vector<VersionInfo>{};
  auto kept = parse_kept_versions(kept_versions_of(*head));
  if (!kept || kept->empty()) return std::nullopt;
  const std::int64_t current = version_of(thread_id, head);
  const std::int64_t now = db.now_epoch();
  // Entry i is version (current - i); each listed one also needs its newer neighbour's time.
  std::vector<std::size_t> listed;
  for (std::size_t i = 0; i < kept->size(); ++i) {
    const std::int64_t version = current - static_cast<std::int64_t>(i);
    if (version < 1) break;
    if (options.before > 0 && version >= options.before) continue;
    if ((*kept)[i].expires && *(*kept)[i].expires < now) break;  // so is every older one
    if (options.limit > 0 && listed.size() == options.limit) break;
    listed.push_back(i);
  }
  if (listed.empty()) return std::vector<VersionInfo>{};
  std::vector<KeptVersion> wanted;
  if (listed.front() > 0) wanted.push_back((*kept)[listed.front() - 1]);
  for (std::size_t i : listed) wanted.push_back((*kept)[i]);
  auto items = read_version_items(db, thread_id, wanted, /*listing_only=*/true);
  std::vector<VersionInfo> out;
  for (std::size_t i : listed) {
    auto it = items.find((*kept)[i].id);
    if (it == items.end()) continue;  // pruned since the head was read
    VersionListing listing = read_version_listing(thread_id, it->second);
    const std::int64_t version = current - static_cast<std::int64_t>(i);
    if (listing.version != version) continue;
    VersionInfo info{version, listing.updated_at, listing.message_count, listing.state_bytes, 0,
                     "",      listing.forked_from};
    if (i > 0) {
      info.replaced_by = version + 1;
      if (auto newer = items.find((*kept)[i - 1].id); newer != items.end()) {
        if (auto at = newer->second.find(attr::kUpdatedAt); at != newer->second.end())
          info.replaced_at = at->second.scalar();
      }
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::optional<ForkOrigin> fork_origin_of_head(const DynamoDbContext& db, const std::string& thread_id) {
  auto got = value_or_throw(db.client->get_item(
      {.table = db.table, .key = key_of(thread_id), .consistent_read = true, .projection = "forked_from"}));
  if (!got.item) return std::nullopt;
  return fork_origin_of(thread_id, *got.item);
}

}  // namespace agents::detail
