#include "checkpoint/head_reader.hpp"

#include "agents/core/error.hpp"
#include "checkpoint/incremental_layout.hpp"

namespace agents::detail {

using dynamodb::Item;
using V = dynamodb::AttributeValue;

std::optional<Item> read_head_attributes(const DynamoDbContext& db, const std::string& thread_id) {
  auto got = db.client->get_item({.table = db.table,
                                  .key = key_of(thread_id),
                                  .consistent_read = true,
                                  .projection = kHeadProjection,
                                  .names = head_projection_names()});
  auto item = std::move(value_or_throw(std::move(got)).item);
  if (!item || is_chunk_item(*item)) return std::nullopt;
  auto ttl = item->find(attr::kTtl);
  if (ttl != item->end() && ttl->second.is(V::Type::kN) &&
      parse_stored_int(thread_id, attr::kTtl, ttl->second) < db.now_epoch()) {
    return std::nullopt;  // expired: as good as absent
  }
  return item;
}

// For a damaged head, what it names cannot be trusted, so it is left to TTL and the cleanup.
std::string layout_hint_of(const std::string& thread_id, const Item& head) {
  auto count = head.find(attr::kChunkCount);
  auto save = head.find(attr::kSaveId);
  if (count != head.end() && save != head.end())
    return chunk_hint(save->second.scalar(), count->second.scalar());
  try {
    if (auto base = base_from_head(thread_id, head)) return history_hint(*base);
  } catch (const CorruptStateError&) {
  }
  return "";
}

std::string kept_versions_of(const Item& head) {
  auto it = head.find(attr::kVersions);
  return it != head.end() && it->second.is(V::Type::kS) ? it->second.scalar() : std::string();
}

Replaced replaced_by(const std::string& thread_id, const Item& head, std::optional<std::int64_t> version) {
  return {generation_of(head), layout_hint_of(thread_id, head), version, kept_versions_of(head)};
}

}  // namespace agents::detail
