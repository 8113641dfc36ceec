// Kept versions of a thread (docs/history.md), the format part. With history on, every save also
// writes a version item, a compressed copy of the head it is about to write, keyed
// "<thread>#chunk#v<first 16 hex digits of its save id>", before its head: once a later save
// replaces that head, the copy keeps it readable. The head's `versions` attribute names the kept
// copies, newest first, starting with its own; entry i is version (head version - i), since a
// save always replaces the version before it. What a kept version names (chunks, segments) lives
// as long as a kept version or the head names it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/checkpoint/checkpointer.hpp"
#include "agents/dynamodb/attribute_value.hpp"

namespace agents::detail {

/// One entry of a head's `versions`: the save id as recorded (16 hex digits) and, with a TTL,
/// when the version stops being readable: the earliest expiry of its copy and of everything it
/// names, so a head never names a version that has expired while the head is live.
struct KeptVersion {
  std::string id;
  std::optional<std::int64_t> expires;
  /// Everything it names (chunks, segments) its newer neighbour names too, so letting it go
  /// deletes its version item alone, without reading it (set by the save that replaced it).
  bool newer_names_all = false;
  friend bool operator==(const KeptVersion&, const KeptVersion&) = default;
};

/// "id[:expires][=] ..." ('=': newer_names_all); nullopt for anything else (a damaged list keeps
/// nothing).
std::optional<std::vector<KeptVersion>> parse_kept_versions(std::string_view text);
std::string format_kept_versions(const std::vector<KeptVersion>& versions);

/// The key of the version item of save `save_id` (its first 16 hex digits) of `thread_id`.
std::string version_key(const std::string& thread_id, std::string_view save_id);
/// The recorded id of a save id (its first 16 hex digits).
std::string kept_id_of(std::string_view save_id);

/// What a version item carries besides the head copy.
struct VersionFacts {
  std::int64_t written_at = 0;
  std::optional<std::int64_t> ttl;  ///< the item's own expiry
  std::size_t message_count = 0;
  std::size_t state_bytes = 0;
};

/// The version item that keeps `head` (about to be written) readable: `head` without its key and
/// `versions`, as zstd-compressed DynamoDB JSON in `head_zstd`, plus the listing attributes.
dynamodb::Item make_version_item(const std::string& thread_id, const dynamodb::Item& head,
                                 const VersionFacts& facts);
/// The head a version item keeps, keyed by the thread again (so the state loader reads it as any
/// head). CorruptStateError naming the attribute when it cannot be read back.
dynamodb::Item head_of_version_item(const std::string& thread_id, const dynamodb::Item& version_item);

/// The keys of the chunks or segments `head` names (none for a plain or compressed head).
std::vector<std::string> named_item_keys(const std::string& thread_id, const dynamodb::Item& head);

/// What a save with history writes into its head's `versions`, and what falls out.
struct VersionsAfterSave {
  std::vector<KeptVersion> kept;  ///< the new head's `versions` (its own entry first)
  /// Entries beyond keep_last, oldest last: their copies and the items only they name go.
  std::vector<KeptVersion> pruned;
  /// The newer neighbour of each pruned entry (the entry just before it in the combined list), by
  /// position: what it still names stays.
  std::vector<KeptVersion> pruned_successors;
  bool keeps_replaced = false;  ///< the replaced head is kept (its items must stay)
};
/// `own`: the new head's entry; `replaced`: the replaced head's `versions` (empty: none);
/// `head_ttl`: the new head's expiry. Own and the newest `keep_last` entries stay, up to the
/// first that would expire under the new head; of the rest, those that expire first are left to
/// TTL and the others (beyond keep_last, or without an expiry while the thread has one) pruned.
VersionsAfterSave versions_after_save(const KeptVersion& own, const std::vector<KeptVersion>& replaced,
                                      std::size_t keep_last, std::optional<std::int64_t> head_ttl);

/// A version item's listing attributes (the projection list_versions reads).
struct VersionListing {
  std::int64_t version = 0;
  std::string save_id;
  std::string updated_at;
  std::size_t message_count = 0;
  std::size_t state_bytes = 0;
  std::optional<ForkOrigin> forked_from;
};
VersionListing read_version_listing(const std::string& thread_id, const dynamodb::Item& item);

/// The head attribute `forked_from` (M: thread_id, version), and back (nullopt when absent).
dynamodb::AttributeValue fork_origin_value(const ForkOrigin& origin);
std::optional<ForkOrigin> fork_origin_of(const std::string& thread_id, const dynamodb::Item& item);

}  // namespace agents::detail
