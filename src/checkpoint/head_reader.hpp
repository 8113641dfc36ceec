// The head reader: a thread's head item as the save, delete and cleanup see it (its version, its
// generation, what it names), read without its state.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "agents/dynamodb/attribute_value.hpp"
#include "checkpoint/dynamodb_context.hpp"
#include "checkpoint/generation.hpp"
#include "checkpoint/item_layout.hpp"

namespace agents::detail {

// What a save knows of the head it replaces: its generation (which save it is, and the saves
// it descends from) and its layout's storage hint (the chunks or segments it names).
struct Replaced {
  Generation generation;
  std::string layout_hint;
  std::optional<std::int64_t> version;  ///< as stored with that save id (unknown: an older hint)
  std::string kept_versions;            ///< its `versions` (version_history.hpp), "" for none
};

// The head's small attributes: what it is and what it names, not the state.
inline constexpr const char* kHeadProjection =
    "#v, save_id, ancestors, chunk_count, #ttl, message_count, history_digest, #seg, chunk_of, #vs";
inline std::map<std::string, std::string> head_projection_names() {
  return {{"#v", attr::kVersion}, {"#ttl", attr::kTtl}, {"#seg", attr::kSegments}, {"#vs", attr::kVersions}};
}

/// Reads the head's small attributes with a consistent read; nothing when absent or expired.
std::optional<dynamodb::Item> read_head_attributes(const DynamoDbContext& db, const std::string& thread_id);

/// The stored version of a head (-1: no head; 0: an item of the Rust crate, which writes none).
inline std::int64_t version_of(const std::string& thread_id, const std::optional<dynamodb::Item>& item) {
  if (!item) return -1;
  auto v = item->find(attr::kVersion);
  return v == item->end() ? 0 : parse_stored_int(thread_id, attr::kVersion, v->second);
}

// The generation of a stored head. A damaged `ancestors` list only weakens the in-doubt check
// (docs/concurrency.md), so it reads as empty rather than making the thread unloadable.
inline Generation generation_of(const dynamodb::Item& head) {
  using V = dynamodb::AttributeValue;
  Generation g;
  if (auto save = head.find(attr::kSaveId); save != head.end() && save->second.is(V::Type::kS))
    g.save_id = save->second.scalar();
  if (auto a = head.find(attr::kAncestors); a != head.end() && a->second.is(V::Type::kS)) {
    if (is_ancestor_list(a->second.scalar())) g.ancestors = a->second.scalar();
  }
  return g;
}

/// The layout part of a stored head's storage hint (whole item or read_head_attributes's
/// projection): a chunk hint, a history hint, or "" (also for a damaged head).
std::string layout_hint_of(const std::string& thread_id, const dynamodb::Item& head);

/// The head's `versions` as stored ("" when absent or not a string).
std::string kept_versions_of(const dynamodb::Item& head);

/// What a save that replaces the stored `head` knows of it.
Replaced replaced_by(const std::string& thread_id, const dynamodb::Item& head,
                     std::optional<std::int64_t> version = std::nullopt);

}  // namespace agents::detail
