#include "checkpoint/save_protocol.hpp"

#include <algorithm>
#include <future>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "checkpoint/conflict.hpp"
#include "checkpoint/generation.hpp"
#include "checkpoint/head_reader.hpp"
#include "checkpoint/incremental_layout.hpp"
#include "checkpoint/item_layout.hpp"
#include "checkpoint/version_history.hpp"
#include "checkpoint/version_store.hpp"

namespace agents::detail {

using dynamodb::Item;
using V = dynamodb::AttributeValue;

namespace {

// What one attempt of a save writes: the extra items (chunks or segments) first, then the head.
struct SaveAttempt {
  Item head;
  std::vector<Item> extra_items;
  std::string save_id;
  std::string layout_hint;                        ///< the layout part of the new head's storage hint
  std::string ancestors;                          ///< its head's `ancestors` (generation.hpp)
  std::string kept_versions;                      ///< its head's `versions` (history on)
  std::optional<util::Sha256Stream> history_sha;  ///< incremental: over every message of the state
  std::string history_digest;
  VersionsAfterSave versions;
  // Set by the save loop:
  std::int64_t version = 0;
  std::string replaced_layout_hint;    ///< what the replaced head names (deleted once this lands)
  std::string replaced_kept_versions;  ///< the replaced head's `versions`
  bool creates = false;                ///< conditional on no thread being stored
  bool maybe_applied = false;          ///< its head write's answer was lost
};

constexpr std::int64_t kMaxVersion = std::numeric_limits<std::int64_t>::max();

// The condition that makes a head write replace exactly what the save expects: the stored
// generation (its save id), not only a version number, which restarts after a delete.
dynamodb::WriteConditions condition_for(const DynamoDbContext& db, const SavePrecondition& p,
                                        const std::optional<Replaced>& replaced) {
  dynamodb::WriteConditions c;
  switch (p.kind) {
    case SavePrecondition::Kind::kNone:
      break;
    case SavePrecondition::Kind::kMustNotExist:
      // An expired item that TTL has not deleted yet counts as absent.
      c.condition = "attribute_not_exists(thread_id) OR #ttl < :now";
      c.attributes.names = {{"#ttl", attr::kTtl}};
      c.attributes.values = {{":now", V::N(db.now_epoch())}};
      break;
    case SavePrecondition::Kind::kVersion:
      // A save id is written at one version only, so when the replaced save's id and version
      // are both known the id alone pins it (and the request is some 60 bytes shorter).
      if (replaced && !replaced->generation.save_id.empty() && replaced->version == p.version) {
        c.condition = "save_id = :sid";
        c.attributes.values.emplace(":sid", V::S(replaced->generation.save_id));
        break;
      }
      c.attributes.names = {{"#v", attr::kVersion}};
      if (p.version == 0) {  // an item of the Rust crate, which writes no version
        c.condition = "attribute_exists(thread_id) AND attribute_not_exists(#v)";
      } else {
        c.condition = "#v = :v";
        c.attributes.values = {{":v", V::N(p.version)}};
      }
      if (replaced) {
        if (replaced->generation.save_id.empty()) {
          c.condition += " AND attribute_not_exists(save_id)";
        } else {
          c.condition += " AND save_id = :sid";
          c.attributes.values.emplace(":sid", V::S(replaced->generation.save_id));
        }
      }
      break;
  }
  return c;
}

// Runs `call(i)` for i in [0, count), a few at a time: extra items dominate a large save.
template <typename Call>
Status in_flight(std::size_t count, Call call) {
  constexpr std::size_t kInFlight = 4;
  Status failed;
  for (std::size_t first = 0; first < count; first += kInFlight) {
    const std::size_t last = std::min(count, first + kInFlight) - 1;
    std::vector<std::future<Status>> calls;
    for (std::size_t i = first; i < last; ++i) {
      calls.push_back(std::async(std::launch::async, [&call, i] { return call(i); }));
    }
    Status here = call(last);  // the calling thread makes one (a turn's only segment: no thread)
    for (auto& c : calls) {
      Status s = c.get();
      if (!s.ok() && failed.ok()) failed = std::move(s);
    }
    if (!here.ok() && failed.ok()) failed = std::move(here);
  }
  return failed;
}

// Best effort: an item left behind is unreferenced, expires with its TTL and is removed by
// remove_orphaned_chunks_and_segments.
void delete_keys(const DynamoDbContext& db, const std::vector<std::string>& keys) {
  (void)in_flight(keys.size(), [&](std::size_t i) {
    // Only ever a chunk or segment: never a head, whatever a damaged hint says.
    auto r = db.client->delete_item({.table = db.table,
                                     .key = key_of(keys[i]),
                                     .conditions = {.condition = "attribute_not_exists(thread_id) OR "
                                                                 "attribute_exists(chunk_of)"}});
    return r.ok() ? Status() : r.status();
  });
}

}  // namespace

void delete_extra_items(const DynamoDbContext& db, const std::vector<std::string>& keys) {
  delete_keys(db, keys);
}

namespace {

std::vector<std::string> keys_of(const std::vector<Item>& items) {
  std::vector<std::string> keys;
  for (const auto& item : items) keys.push_back(item.at(attr::kThreadId).scalar());
  return keys;
}

}  // namespace

// Removes the items of a replaced head (`old_hint`) that the new head (`new_hint`) does not use.
// Safe only once the new head replaced exactly that head (the save-id condition makes it so):
// no other head can descend from it, so no other head names those items.
void delete_replaced(const DynamoDbContext& db, const std::string& thread_id, const std::string& old_hint,
                     const std::string& new_hint) {
  std::vector<std::string> keys;
  if (auto old_base = base_from_hint(old_hint)) {
    auto new_base = base_from_hint(new_hint);
    for (const auto& segment : old_base->segments) {
      bool kept = new_base && std::any_of(new_base->segments.begin(), new_base->segments.end(),
                                          [&](const SegmentRef& s) { return s.id == segment.id; });
      if (!kept) keys.push_back(segment_key(thread_id, segment.id));
    }
  } else {
    keys = chunk_keys_of_hint(thread_id, old_hint);
  }
  delete_keys(db, keys);
}

namespace {

// Most bytes a head's `versions` can take (kMaxKeepLast + 1 entries of "id:expires ").
constexpr std::size_t kVersionsAttributeBytes =
    (DynamoDbCheckpointerOptions::kMaxKeepLast + 1) * (kAncestorIdChars + 22) + 16;

std::size_t extra_head_bytes(const DynamoDbContext& db) {
  return db.options.history.enabled() ? kVersionsAttributeBytes : 0;
}

// The state encoded for the layout this checkpointer writes, checked before any request.
struct Encoded {
  std::optional<EncodedHistory> history;  ///< incremental saves
  std::optional<PreparedState> prepared;  ///< the other layouts (or a fallback)
  /// History on and the head too large for its version item to fit an item: chunked, whose
  /// head is small (the kept version then keeps its chunks).
  bool chunked_for_history = false;
};

SaveAttempt plan_layout(const DynamoDbContext& db, const std::string& thread_id,
                        const AgentStateSnapshot& state, const std::optional<Replaced>& replaced,
                        std::int64_t version, Encoded& encoded);

// The chunks or segments a head with this layout hint names.
std::vector<std::string> keys_named_by_hint(const std::string& thread_id, const std::string& hint) {
  if (auto base = base_from_hint(hint)) {
    std::vector<std::string> keys;
    for (const auto& segment : base->segments) keys.push_back(segment_key(thread_id, segment.id));
    return keys;
  }
  return chunk_keys_of_hint(thread_id, hint);
}

// With history on: the version item that keeps this attempt's head readable once replaced, and
// the head's `versions` (docs/history.md).
// False when the head with its `versions`, or its version item, does not fit an item.
bool keep_version(const DynamoDbContext& db, const std::string& thread_id, SaveAttempt& attempt,
                  const std::optional<Replaced>& replaced, std::int64_t written_at,
                  std::optional<std::int64_t> head_ttl, std::size_t message_count, std::size_t state_bytes) {
  // The copy (and a chunked save's chunks) live twice the TTL, like segments; the entry says when
  // the first of the items it needs expires, so that no head names a version that is gone.
  std::optional<std::int64_t> item_ttl, expires;
  if (head_ttl) {
    item_ttl = written_at + 2 * db.options.ttl->count();
    expires = item_ttl;
    if (auto base = base_from_hint(attempt.layout_hint)) {
      for (const auto& s : base->segments) {
        if (s.ttl_epoch) expires = std::min(*expires, *s.ttl_epoch);
      }
    } else {
      for (auto& chunk : attempt.extra_items) chunk.insert_or_assign(attr::kTtl, V::N(*item_ttl));
    }
  }
  std::vector<KeptVersion> previous;
  if (replaced && !replaced->kept_versions.empty()) {
    auto parsed = parse_kept_versions(replaced->kept_versions);
    // Only a list that starts with the replaced head itself is that head's history.
    if (parsed && !parsed->empty() && parsed->front().id == kept_id_of(replaced->generation.save_id))
      previous = std::move(*parsed);
  }
  if (!previous.empty()) {
    // What the replaced version names that this save's head does not (a merge's replaced
    // segments, a chunked save's chunks): when none, letting it go later needs no read.
    std::vector<std::string> mine = keys_named_by_hint(thread_id, attempt.layout_hint);
    std::vector<std::string> theirs = keys_named_by_hint(thread_id, replaced->layout_hint);
    previous.front().newer_names_all = std::all_of(theirs.begin(), theirs.end(), [&](const std::string& key) {
      return std::find(mine.begin(), mine.end(), key) != mine.end();
    });
  }
  attempt.versions = versions_after_save({kept_id_of(attempt.save_id), expires}, previous,
                                         db.options.history.keep_last, head_ttl);
  attempt.kept_versions = format_kept_versions(attempt.versions.kept);
  attempt.head.insert_or_assign(attr::kVersions, V::S(attempt.kept_versions));
  // No room left in the head for `versions` (an incremental head at the item limit): the caller
  // stores the state in another layout.
  if (dynamodb::item_size(attempt.head) > kMaxItemBytes) return false;
  attempt.extra_items.push_back(
      make_version_item(thread_id, attempt.head, {written_at, item_ttl, message_count, state_bytes}));
  return dynamodb::item_size(attempt.extra_items.back()) <= kMaxItemBytes;
}

SaveAttempt plan(const DynamoDbContext& db, const std::string& thread_id, const AgentStateSnapshot& state,
                 const std::optional<Replaced>& replaced, std::int64_t version, Encoded& encoded,
                 const ForkOrigin* origin) {
  SaveAttempt attempt = plan_layout(db, thread_id, state, replaced, version, encoded);
  if (origin) attempt.head.insert_or_assign(attr::kForkedFrom, fork_origin_value(*origin));
  if (db.options.history.enabled()) {
    const std::int64_t written_at = db.now_epoch();
    std::optional<std::int64_t> head_ttl;
    if (auto ttl = attempt.head.find(attr::kTtl); ttl != attempt.head.end())
      head_ttl = parse_stored_int(thread_id, attr::kTtl, ttl->second);
    const std::size_t state_bytes = encoded.prepared && !is_history_hint(attempt.layout_hint)
                                        ? encoded.prepared->json_bytes
                                        : encoded.history->json_bytes();
    const bool fits = keep_version(db, thread_id, attempt, replaced, written_at, head_ttl,
                                   state.messages.size(), state_bytes);
    if (!fits && !encoded.chunked_for_history) {
      // A head near the item limit: with `versions` it does not fit, or its compressed copy does
      // not (JSON escaping, base64). Chunked, the head is small.
      encoded.chunked_for_history = true;
      encoded.prepared = prepare_state(thread_id, encode_state_json(state), db.options.compression,
                                       db.options.max_state_bytes, kMaxItemBytes);
      return plan(db, thread_id, state, replaced, version, encoded, origin);
    }
  }
  return attempt;
}

SaveAttempt plan_layout(const DynamoDbContext& db, const std::string& thread_id,
                        const AgentStateSnapshot& state, const std::optional<Replaced>& replaced,
                        std::int64_t version, Encoded& encoded) {
  const std::int64_t written_at = db.now_epoch();
  std::optional<std::int64_t> ttl;
  if (db.options.ttl) ttl = written_at + db.options.ttl->count();
  std::string ancestors;
  if (replaced) ancestors = ancestors_after(replaced->generation);
  const std::string updated_at = rfc3339_utc(db.now());
  if (encoded.history && !encoded.chunked_for_history) {
    std::optional<HistoryBase> previous;
    if (replaced) previous = base_from_hint(replaced->layout_hint);
    // Segments expire twice the TTL after they are written, and a save rewrites any that would
    // expire before the head it writes: so no segment ever expires under a live head.
    SaveTimes times{updated_at, ttl, std::nullopt, written_at};
    if (ttl) times.segment_ttl = *ttl + db.options.ttl->count();
    auto planned = plan_incremental_save(thread_id, *encoded.history, previous, version, times, ancestors);
    if (planned) {
      SaveAttempt attempt{std::move(planned->head), std::move(planned->segments), planned->save_id,
                          history_hint(planned->base), std::move(ancestors)};
      attempt.history_sha = std::move(planned->sha);
      attempt.history_digest = planned->base.digest;
      return attempt;
    }
    // A message or the rest of the state too large for one item: this save is plain.
  }
  if (!encoded.prepared) {
    encoded.prepared = prepare_state(thread_id, encode_state_json(state), db.options.compression,
                                     db.options.max_state_bytes, extra_head_bytes(db));
  }
  SaveItems items =
      build_save_items(thread_id, *encoded.prepared, version, updated_at, ttl, ancestors, written_at);
  std::string hint =
      items.chunks.empty() ? "" : chunk_hint(items.save_id, std::to_string(items.chunks.size()));
  return {std::move(items.head), std::move(items.chunks), items.save_id, std::move(hint),
          std::move(ancestors)};
}

[[noreturn]] void throw_outcome_unknown(const std::string& thread_id, std::int64_t version,
                                        const std::string& why) {
  throw OutcomeUnknownError("thread '" + thread_id + "': the save of version " + std::to_string(version) +
                                " may or may not have been stored (" + why +
                                "); nothing it wrote was removed. Load the thread to see whether the "
                                "change is there before you make it again.",
                            thread_id, version);
}

// Writes the chunks or segments of an attempt; on a failure, removes what it wrote (no head
// names them) and throws.
void write_extra_items(const DynamoDbContext& db, const SaveAttempt& attempt) {
  Status failed = in_flight(attempt.extra_items.size(), [&](std::size_t i) {
    auto r = db.client->put_item({.table = db.table, .item = attempt.extra_items[i]});
    return r.ok() ? Status() : r.status();
  });
  if (failed.ok()) return;
  delete_keys(db, keys_of(attempt.extra_items));
  failed.throw_if_error();
}

// After a save that landed: its new segments go to the cache, so that the next load of the
// thread in this process reads only the head.
void remember_segments(const DynamoDbContext& db, const std::string& thread_id, const SaveAttempt& attempt,
                       const AgentStateSnapshot& state, const Encoded& encoded) {
  if (!db.cache || !encoded.history || !is_history_hint(attempt.layout_hint)) return;
  for (const Item& item : attempt.extra_items) {
    const auto first = static_cast<std::size_t>(
        parse_stored_int(thread_id, attr::kFirstMessage, item.at(attr::kFirstMessage)));
    const auto count = static_cast<std::size_t>(
        parse_stored_int(thread_id, attr::kMessageCount, item.at(attr::kMessageCount)));
    auto segment = std::make_shared<DecodedSegment>();
    segment->messages.assign(state.messages.begin() + static_cast<std::ptrdiff_t>(first),
                             state.messages.begin() + static_cast<std::ptrdiff_t>(first + count));
    if (auto ttl = item.find(attr::kTtl); ttl != item.end())
      segment->ttl_epoch = parse_stored_int(thread_id, attr::kTtl, ttl->second);
    segment->bytes = encoded.history->array_bytes(first, first + count);
    db.cache->put(item.at(attr::kThreadId).scalar(), std::move(segment));
  }
}

// `attempt` landed. The other attempts of this save (`others`) lost their answers: an update
// conditional on the same head can never land now, so their items go; a create could still land
// after a delete of this one, so its items stay for the cleanup.
SavedState landed(const DynamoDbContext& db, const std::string& thread_id, const SaveAttempt& attempt,
                  const std::vector<SaveAttempt>& others, const AgentStateSnapshot& state, Encoded& encoded) {
  if (!attempt.versions.keeps_replaced)
    delete_replaced(db, thread_id, attempt.replaced_layout_hint, attempt.layout_hint);
  if (db.options.history.enabled()) {
    prune_versions(db, thread_id, attempt.versions.pruned, attempt.versions.pruned_successors);
  } else if (!attempt.replaced_kept_versions.empty()) {
    // History turned off: the kept versions go, except what the new head still names.
    drop_history(db, thread_id, attempt.replaced_kept_versions,
                 keys_named_by_hint(thread_id, attempt.layout_hint));
  }
  for (const auto& other : others) {
    if (!other.creates) delete_keys(db, keys_of(other.extra_items));
  }
  remember_segments(db, thread_id, attempt, state, encoded);
  // The next save of this thread here encodes and hashes only what it adds.
  if (db.memos && encoded.history && attempt.history_sha && is_history_hint(attempt.layout_hint))
    db.memos->put(thread_id, encoded.history->take_memo(state, *attempt.history_sha, attempt.history_digest));
  return {attempt.version, make_storage_hint({attempt.save_id, attempt.ancestors}, attempt.version,
                                             attempt.layout_hint, attempt.kept_versions)};
}

}  // namespace

SavedState save_thread(const DynamoDbContext& db, const std::string& thread_id,
                       const AgentStateSnapshot& state, SavePrecondition precondition,
                       const ForkOrigin* origin) {
  // Encoded (and its size and text checked) once, before any request, even when a blind save
  // goes round.
  Encoded encoded;
  if (db.options.incremental) {
    encoded.history.emplace(thread_id, state, db.options.max_state_bytes,
                            db.memos ? db.memos->take(thread_id) : nullptr);
  } else {
    encoded.prepared = prepare_state(thread_id, encode_state_json(state), db.options.compression,
                                     db.options.max_state_bytes, extra_head_bytes(db));
  }
  if (precondition.kind == SavePrecondition::Kind::kNone && db.options.strict_concurrency) {
    precondition = SavePrecondition::must_not_exist();
  }
  // What is replaced: from the load's hint, else from the stored head.
  std::optional<Replaced> replaced;
  if (precondition.kind == SavePrecondition::Kind::kVersion) {
    StorageHint hint = parse_storage_hint(precondition.replaces_hint);
    if (hint.generation) {
      replaced = Replaced{std::move(*hint.generation), std::move(hint.layout), hint.version,
                          std::move(hint.kept_versions)};
    } else {
      // `version_is(v)` without the load's hint: pin the generation stored now at version v,
      // and learn what it names, or this save could neither append to nor delete its items.
      auto current = read_head_attributes(db, thread_id);
      if (version_of(thread_id, current) != precondition.version)
        throw_conflict(thread_id, precondition, version_of(thread_id, current));
      replaced = replaced_by(thread_id, *current, precondition.version);
    }
  }
  // A blind save (no load before it) still keeps versions counting: read the current head,
  // then write conditionally, and go round again if another writer slipped in between.
  const bool blind = precondition.kind == SavePrecondition::Kind::kNone;
  // Attempts whose head write may have landed: a later read-back may find any of them.
  std::vector<SaveAttempt> in_doubt;
  int conflicts = 0, retries = 0;
  for (;;) {
    if (blind) {
      auto current = read_head_attributes(db, thread_id);
      if (current) {
        precondition = SavePrecondition::version_is(version_of(thread_id, current));
        replaced = replaced_by(thread_id, *current, precondition.version);
        if (precondition.version == kMaxVersion) {
          throw_corrupt(
              thread_id, attr::kVersion,
              "is " + std::to_string(kMaxVersion) + ", the largest version there is: no save can follow it");
        }
      } else {
        precondition = SavePrecondition::must_not_exist();
        replaced.reset();
      }
    }
    const std::int64_t new_version =
        precondition.kind == SavePrecondition::Kind::kVersion ? precondition.version + 1 : 1;
    SaveAttempt attempt = plan(db, thread_id, state, replaced, new_version, encoded, origin);
    attempt.version = new_version;
    attempt.replaced_layout_hint = replaced ? replaced->layout_hint : "";
    attempt.replaced_kept_versions = replaced ? replaced->kept_versions : "";
    attempt.creates = precondition.kind == SavePrecondition::Kind::kMustNotExist;
    const auto started = db.now();
    write_extra_items(db, attempt);
    // The cleanup spares unreferenced items younger than its grace period; a save that could
    // not reach its head write well within that period must not name its items any more.
    if (!attempt.extra_items.empty() && db.now() - started > DynamoDbCheckpointer::kSaveDeadline) {
      delete_keys(db, keys_of(attempt.extra_items));
      throw TimeoutError("thread '" + thread_id + "': the save did not reach its head write within " +
                         std::to_string(DynamoDbCheckpointer::kSaveDeadline.count()) +
                         " s of its first chunk or segment write; nothing was saved");
    }
    // Never resent by the client once it may have been applied: a resent create could land
    // after a delete removed what the first one wrote. This loop decides instead.
    auto conditions = condition_for(db, precondition, replaced);
    conditions.retry_when_outcome_unknown = false;
    auto written = db.client->put_item(
        {.table = db.table, .item = std::move(attempt.head), .conditions = std::move(conditions)});
    if (written.ok() && !written->condition_failed) {
      return landed(db, thread_id, attempt, in_doubt, state, encoded);
    }
    attempt.maybe_applied = written.ok() ? written->in_doubt : written.status().details().outcome_unknown;
    if (!written.ok() && !attempt.maybe_applied && in_doubt.empty()) {
      // Refused, throttled or rejected (e.g. ValidationException): not applied, nothing names
      // what this attempt wrote.
      delete_keys(db, keys_of(attempt.extra_items));
      written.status().throw_if_error();
    }
    std::optional<Item> stored;
    try {
      stored = read_head_attributes(db, thread_id);
    } catch (const Error& e) {
      // Nothing in doubt: the read-back's own error (a damaged head, say) is the story.
      if (!attempt.maybe_applied && in_doubt.empty()) throw;
      throw_outcome_unknown(
          thread_id, new_version,
          std::string("its answer was lost and the thread could not be read back: ") + e.what());
    }
    std::optional<Generation> stored_generation;
    if (stored) stored_generation = generation_of(*stored);
    const std::string stored_save_id = stored_generation ? stored_generation->save_id : std::string();
    const auto in_chain = [&](const std::string& id) {
      return stored_generation && descends_from(*stored_generation, id);
    };
    // An attempt of this save landed (perhaps built upon since): the save succeeded.
    if (in_chain(attempt.save_id)) return landed(db, thread_id, attempt, in_doubt, state, encoded);
    for (auto it = in_doubt.begin(); it != in_doubt.end(); ++it) {
      if (!in_chain(it->save_id)) continue;
      SaveAttempt winner = std::move(*it);
      in_doubt.erase(it);
      in_doubt.push_back(std::move(attempt));
      return landed(db, thread_id, winner, in_doubt, state, encoded);
    }
    if (attempt.maybe_applied)
      in_doubt.push_back(std::move(attempt));
    else
      delete_keys(db, keys_of(attempt.extra_items));
    // A doubtful attempt conditional on a head that now has another successor can never land.
    const bool replaced_by_another = replaced && !replaced->generation.save_id.empty() &&
                                     stored_save_id != replaced->generation.save_id &&
                                     in_chain(replaced->generation.save_id);
    if (replaced_by_another) {
      for (const auto& a : in_doubt) delete_keys(db, keys_of(a.extra_items));
      in_doubt.clear();
    }
    // The stored head is still the one this save replaces: the write has not been applied (a
    // replaced head never comes back). Not so for a create: a thread absent now may have been
    // created by this save and deleted since, and writing it again would undo that delete.
    const bool unchanged = stored && replaced && !replaced->generation.save_id.empty() &&
                           stored_save_id == replaced->generation.save_id;
    if (!in_doubt.empty()) {
      // Try again under a fresh save id, so that a late copy of the lost request and the new
      // attempt can never both land.
      if (unchanged && ++retries <= 3) continue;
      // Their items stay: a head that descends from one of them may name them (the cleanup
      // removes them once no head does).
      throw_outcome_unknown(thread_id, new_version,
                            stored ? "its answer was lost, and the thread has changed beyond what its "
                                     "stored head traces back"
                                   : "its answer was lost, and the thread is not stored now");
    }
    if (!blind || ++conflicts > 8) throw_conflict(thread_id, precondition, version_of(thread_id, stored));
  }
}

}  // namespace agents::detail
