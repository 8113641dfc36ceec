#include "checkpoint/cleanup.hpp"

#include <charconv>
#include <optional>
#include <set>

#include "agents/core/error.hpp"
#include "checkpoint/generation.hpp"
#include "checkpoint/head_reader.hpp"
#include "checkpoint/incremental_layout.hpp"
#include "checkpoint/save_protocol.hpp"
#include "checkpoint/version_store.hpp"

namespace agents::detail {

using dynamodb::Item;
using V = dynamodb::AttributeValue;

namespace {

// Whether the stored head (none: the thread is absent) is the save `save_id` or descends from
// it within the ancestors it keeps (generation.hpp).
bool traces_back_to(const std::optional<Item>& stored, const std::string& save_id) {
  return stored && descends_from(generation_of(*stored), save_id);
}

}  // namespace

// The head is deleted conditionally on the generation read just before, so that even when the
// delete's answer is lost (and its retry finds nothing) the items that head named are known and
// removed, and never those of a newer head that may still name some of them.
bool remove_thread(const DynamoDbContext& db, const std::string& thread_id) {
  for (int round = 0;; ++round) {
    auto got = value_or_throw(db.client->get_item({.table = db.table,
                                                   .key = key_of(thread_id),
                                                   .consistent_read = true,
                                                   .projection = kHeadProjection,
                                                   .names = head_projection_names()}));
    if (!got.item || is_chunk_item(*got.item)) return false;
    const Replaced head = replaced_by(thread_id, *got.item);
    dynamodb::WriteConditions c;
    if (head.generation.save_id.empty()) {
      c.condition = "attribute_exists(thread_id) AND attribute_not_exists(save_id)";
    } else {
      c.condition = "save_id = :sid";
      c.attributes.values = {{":sid", V::S(head.generation.save_id)}};
    }
    auto deleted = value_or_throw(
        db.client->delete_item({.table = db.table, .key = key_of(thread_id), .conditions = c}));
    bool gone = !deleted.condition_failed;
    if (!gone && deleted.in_doubt) {
      // An attempt whose answer was lost may have deleted it: it did unless the stored head is
      // that one or one that descends from it.
      gone = head.generation.save_id.empty() ||
             !traces_back_to(read_head_attributes(db, thread_id), head.generation.save_id);
    }
    if (gone) {
      delete_replaced(db, thread_id, head.layout_hint, "");
      drop_history(db, thread_id, head.kept_versions);
      return true;
    }
    if (round >= 8) {
      throw ConflictError(
          "thread '" + thread_id + "' kept changing while it was being deleted; nothing was deleted",
          thread_id, -1, -1);
    }
  }
}

// Safe on live threads (docs/concurrency.md): the head is read after the scan, so items of a
// save that lands meanwhile are named by it; items of a save still in flight are younger than
// `grace` (a save gives up at kSaveDeadline); and no head can come to name an item that neither
// the current head nor a save in flight names.
std::size_t remove_orphans(const DynamoDbContext& db, const std::string& thread_id,
                           std::chrono::seconds grace) {
  auto items = value_or_throw(db.client->scan_all({.table = db.table,
                                                   .filter = "chunk_of = :t",
                                                   .projection = "thread_id, save_id, written_at",
                                                   .attributes = {{}, {{":t", V::S(thread_id)}}},
                                                   .consistent_read = true}));
  auto head = read_head_attributes(db, thread_id);
  std::string live = head && head->count(attr::kChunkCount) && head->count(attr::kSaveId)
                         ? head->at(attr::kSaveId).scalar()
                         : "";
  std::set<std::string, std::less<>> live_segments;
  if (head) {
    if (auto base = base_from_head(thread_id, *head)) {
      for (const auto& s : base->segments) live_segments.insert(segment_key(thread_id, s.id));
    }
    // Kept versions (docs/history.md): their version items and what they name stay too.
    for (auto& key : items_of_kept_versions(db, thread_id, kept_versions_of(*head)))
      live_segments.insert(std::move(key));
  }
  const std::int64_t oldest_kept = db.now_epoch() - grace.count();
  std::size_t removed = 0;
  for (const auto& item : items) {
    auto key_of_item = item.find(attr::kThreadId);
    if (key_of_item == item.end()) continue;  // a damaged answer: nothing to delete it by
    const std::string& key = key_of_item->second.scalar();
    auto save = item.find(attr::kSaveId);
    if (!live.empty() && save != item.end() && save->second.scalar() == live) continue;
    if (live_segments.count(key)) continue;  // an older save's segment the head still names
    // Items written before write times were stored count as old.
    if (auto w = item.find(attr::kWrittenAt); w != item.end() && w->second.is(V::Type::kN)) {
      std::int64_t written = 0;
      const std::string& text = w->second.scalar();
      std::from_chars(text.data(), text.data() + text.size(), written);
      if (written > oldest_kept) continue;
    }
    auto r = db.client->delete_item(
        {.table = db.table, .key = key_of(key), .conditions = {.condition = "attribute_exists(chunk_of)"}});
    if (r.ok() && !r->condition_failed) ++removed;
  }
  return removed;
}

}  // namespace agents::detail
