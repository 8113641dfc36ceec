#include "checkpoint/version_store.hpp"

#include <algorithm>
#include <set>

#include "agents/core/error.hpp"
#include "checkpoint/save_protocol.hpp"

namespace agents::detail {

using dynamodb::Item;

std::map<std::string, Item> read_version_items(const DynamoDbContext& db, const std::string& thread_id,
                                               const std::vector<KeptVersion>& versions, bool listing_only) {
  std::map<std::string, Item> out;
  std::set<std::string> wanted;
  std::vector<Item> keys;
  for (const auto& v : versions) {
    if (wanted.insert(version_key(thread_id, v.id)).second)
      keys.push_back(key_of(version_key(thread_id, v.id)));
  }
  if (keys.empty()) return out;
  dynamodb::BatchGetRequest request{.table = db.table, .keys = std::move(keys), .consistent_read = true};
  if (listing_only) {  // what read_version_listing reads, without the head copy
    request.projection = "thread_id, #v, save_id, updated_at, message_count, state_size, forked_from";
    request.names = {{"#v", attr::kVersion}};
  }
  auto got = value_or_throw(db.client->batch_get_item(request));
  for (auto& item : got.items) {
    auto key = item.find(attr::kThreadId);
    if (key == item.end()) continue;
    const std::string& k = key->second.scalar();
    const std::string prefix = version_key(thread_id, "");
    if (!k.starts_with(prefix)) continue;
    out.emplace(k.substr(prefix.size()), std::move(item));
  }
  return out;
}

namespace {

// What the version item names; nothing when it cannot be read (its items are then left alone).
std::vector<std::string> named_by(const std::string& thread_id, const Item& version_item) {
  try {
    return named_item_keys(thread_id, head_of_version_item(thread_id, version_item));
  } catch (const Error&) {
    return {};
  }
}

}  // namespace

void prune_versions(const DynamoDbContext& db, const std::string& thread_id,
                    const std::vector<KeptVersion>& pruned, const std::vector<KeptVersion>& successors) {
  if (pruned.empty()) return;
  std::vector<std::string> deletions;
  std::vector<KeptVersion> to_read;  // versions naming something their newer neighbour does not
  for (std::size_t i = 0; i < pruned.size(); ++i) {
    deletions.push_back(version_key(thread_id, pruned[i].id));
    if (!pruned[i].newer_names_all) {
      to_read.push_back(pruned[i]);
      to_read.push_back(successors[i]);
    }
  }
  std::map<std::string, Item> items;
  if (!to_read.empty()) {
    try {
      items = read_version_items(db, thread_id, to_read);
    } catch (const Error&) {
      // What they name stays: unreferenced once they are gone, so the cleanup and TTL remove it.
    }
  }
  for (std::size_t i = 0; i < pruned.size(); ++i) {
    if (pruned[i].newer_names_all) continue;
    auto gone = items.find(pruned[i].id);
    auto newer = items.find(successors[i].id);
    // Without the newer neighbour it is unknown what it still names: those items stay.
    if (gone == items.end() || newer == items.end()) continue;
    std::vector<std::string> keep = named_by(thread_id, newer->second);
    for (auto& key : named_by(thread_id, gone->second)) {
      if (std::find(keep.begin(), keep.end(), key) == keep.end()) deletions.push_back(std::move(key));
    }
  }
  delete_extra_items(db, deletions);
}

void drop_history(const DynamoDbContext& db, const std::string& thread_id, const std::string& kept_versions,
                  const std::vector<std::string>& still_named) {
  auto versions = parse_kept_versions(kept_versions);
  if (!versions || versions->empty()) return;
  std::map<std::string, Item> items;
  try {
    items = read_version_items(db, thread_id, *versions);
  } catch (const Error&) {
    return;
  }
  std::set<std::string> deletions;
  for (const auto& v : *versions) {
    deletions.insert(version_key(thread_id, v.id));
    if (auto it = items.find(v.id); it != items.end()) {
      for (auto& key : named_by(thread_id, it->second)) deletions.insert(std::move(key));
    }
  }
  for (const auto& key : still_named) deletions.erase(key);
  delete_extra_items(db, {deletions.begin(), deletions.end()});
}

std::vector<std::string> items_of_kept_versions(const DynamoDbContext& db, const std::string& thread_id,
                                                const std::string& kept_versions) {
  auto versions = parse_kept_versions(kept_versions);
  if (!versions) return {};
  std::vector<std::string> out;
  auto items = read_version_items(db, thread_id, *versions);
  for (const auto& v : *versions) {
    out.push_back(version_key(thread_id, v.id));
    if (auto it = items.find(v.id); it != items.end()) {
      auto named = named_by(thread_id, it->second);
      out.insert(out.end(), named.begin(), named.end());
    }
  }
  return out;
}

}  // namespace agents::detail
