// Which stored save a precondition replaces (docs/concurrency.md). A version number restarts
// when a thread is deleted and saved again, so a save is conditional on the replaced head's save
// id (like an ETag). Each head also keeps the ids of the few saves it descends from, so a writer
// whose answer was lost can tell "my save landed and was built upon" from "my save did not land".
// Both travel inside LoadedState::storage_hint, which stays opaque to callers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agents::detail {

/// Save ids a head keeps of its ancestors (newest first).
inline constexpr std::size_t kAncestorsKept = 4;
/// An ancestor is recorded by the first 16 hex digits (64 bits) of its save id: every head write
/// and load carries the list, and 64 random bits tell one save of a thread from another as
/// surely as the whole id does in practice (a false "it landed" needs a 2^-64 coincidence).
inline constexpr std::size_t kAncestorIdChars = 16;

struct Generation {
  /// Empty: the head has no save id (written by the Rust crate or an early version).
  std::string save_id;
  /// The head's `ancestors` attribute as stored: recorded ids separated by single spaces, newest
  /// first, at most kAncestorsKept ("" for none). One string, not a list: it is parsed on every
  /// save and load, and only ever searched.
  std::string ancestors;
  friend bool operator==(const Generation&, const Generation&) = default;
};

/// What a storage hint carries: the generation (when known), the version stored with it (hints
/// made before the version was carried have none) and the layout's own part (a chunk hint, a
/// history hint, or nothing for a plain or compressed head).
struct StorageHint {
  std::optional<Generation> generation;
  std::optional<std::int64_t> version;
  std::string layout;
  std::string kept_versions;  ///< the head's `versions` (version_history.hpp); "" for none
};

/// "g<version>/<save id or ->/<ancestor> <ancestor>/<layout hint>[/<kept versions>]". The version
/// lets a save that names the same version condition on the save id alone (a save id is written
/// at one version). No layout hint contains '/'.
std::string make_storage_hint(const Generation& generation, std::int64_t version,
                              std::string_view layout_hint, std::string_view kept_versions = {});
/// Any other text (an empty hint, a hint from before generations, junk) carries no generation;
/// a damaged generation part makes the whole hint unusable (nothing in it is trusted).
StorageHint parse_storage_hint(std::string_view hint);

/// The `ancestors` of a head that replaces `replaced`: its save id, then its ancestors, cut to
/// kAncestorsKept, each as recorded (kAncestorIdChars). Empty when the replaced head had no save id.
std::string ancestors_after(const Generation& replaced);
/// Whether `text` is an `ancestors` value: up to kAncestorsKept save ids separated by single spaces.
bool is_ancestor_list(std::string_view text);
/// Whether a stored head of generation `head` is the save `save_id` or descends from it within
/// the ancestors it keeps. False for an empty `save_id`.
bool descends_from(const Generation& head, std::string_view save_id);

/// The fields of `text` between separators ("" gives one empty field).
std::vector<std::string_view> split_fields(std::string_view text, char separator);

/// Save ids are lowercase hex (keys and hints need no escaping).
bool is_save_id(std::string_view text);

}  // namespace agents::detail
