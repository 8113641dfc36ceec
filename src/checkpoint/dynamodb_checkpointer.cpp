#include "agents/checkpoint/dynamodb_checkpointer.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <future>
#include <limits>
#include <map>
#include <set>

#include "agents/dynamodb/client.hpp"
#include "checkpoint/conflict.hpp"
#include "checkpoint/generation.hpp"
#include "checkpoint/incremental_layout.hpp"
#include "checkpoint/item_layout.hpp"
#include "checkpoint/segment_cache.hpp"
#include "checkpoint/stored_attributes.hpp"

namespace agents {

using dynamodb::AttributeValue;
using dynamodb::Item;
using V = AttributeValue;
namespace attr = detail::attr;

struct DynamoDbCheckpointer::Options {
  dynamodb::ClientOptions client;
  std::shared_ptr<dynamodb::DynamoDbClient> shared_client;
  std::optional<std::chrono::seconds> ttl;
  bool strict = false;
  Compression compression = Compression::kAuto;
  bool incremental = false;
  std::size_t segment_cache_bytes = 0;
  std::size_t max_state_bytes = 32 * 1024 * 1024;
  std::function<std::chrono::system_clock::time_point()> clock;  ///< empty: the system clock
};

namespace {

Item key_of(const std::string& thread_id) { return {{attr::kThreadId, V::S(thread_id)}}; }

// What a save knows of the head it replaces: its generation (which save it is, and the saves
// it descends from) and its layout's storage hint (the chunks or segments it names).
struct Replaced {
  detail::Generation generation;
  std::string layout_hint;
  std::optional<std::int64_t> version;  ///< as stored with that save id (unknown: an older hint)
};

// The layout part of a stored head's storage hint: a chunk hint for chunked heads, a history
// hint for incremental ones, "" otherwise (and for a damaged head: what it names cannot be
// trusted, so it is left to TTL and the cleanup). Works on whole items and on the projection
// read_head_attributes makes.
std::string layout_hint_of(const std::string& thread_id, const Item& head) {
  auto count = head.find(attr::kChunkCount);
  auto save = head.find(attr::kSaveId);
  if (count != head.end() && save != head.end())
    return detail::chunk_hint(save->second.scalar(), count->second.scalar());
  try {
    if (auto base = detail::base_from_head(thread_id, head)) return detail::history_hint(*base);
  } catch (const CorruptStateError&) {
  }
  return "";
}

// The generation of a stored head. A damaged `ancestors` list only weakens the in-doubt check
// (docs/concurrency.md), so it reads as empty rather than making the thread unloadable.
detail::Generation generation_of(const Item& head) {
  detail::Generation g;
  if (auto save = head.find(attr::kSaveId); save != head.end() && save->second.is(V::Type::kS))
    g.save_id = save->second.scalar();
  if (auto a = head.find(attr::kAncestors); a != head.end() && a->second.is(V::Type::kS)) {
    if (detail::is_ancestor_list(a->second.scalar())) g.ancestors = a->second.scalar();
  }
  return g;
}

Replaced replaced_by(const std::string& thread_id, const Item& head,
                     std::optional<std::int64_t> version = std::nullopt) {
  return {generation_of(head), layout_hint_of(thread_id, head), version};
}

// What one attempt of a save writes: the extra items (chunks or segments) first, then the head.
struct SaveAttempt {
  Item head;
  std::vector<Item> extra_items;
  std::string save_id;
  std::string layout_hint;  ///< the layout part of the new head's storage hint
  std::string ancestors;    ///< its head's `ancestors` (generation.hpp)
  // Set by the save loop:
  std::int64_t version = 0;
  std::string replaced_layout_hint;  ///< what the replaced head names (deleted once this lands)
  bool creates = false;              ///< conditional on no thread being stored
  bool maybe_applied = false;        ///< its head write's answer was lost
};

constexpr std::int64_t kMaxVersion = std::numeric_limits<std::int64_t>::max();

}  // namespace

// Everything that needs the client; created on first use so that `with_*` can follow the
// constructor, as in the quick start.
struct DynamoDbCheckpointer::Engine {
  std::string table;
  Options options;
  std::shared_ptr<dynamodb::DynamoDbClient> client;
  std::unique_ptr<detail::SegmentCache> cache;  ///< with_segment_cache_bytes > 0

  std::chrono::system_clock::time_point now() const {
    return options.clock ? options.clock() : std::chrono::system_clock::now();
  }
  std::int64_t now_epoch() const {
    return std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count();
  }

  template <typename T>
  T value_or_throw(StatusOr<T> result) {
    if (!result.ok()) result.status().throw_if_error();
    return std::move(*result);
  }

  // The condition that makes a head write replace exactly what the save expects: the stored
  // generation (its save id), not only a version number, which restarts after a delete.
  dynamodb::WriteConditions condition_for(const SavePrecondition& p,
                                          const std::optional<Replaced>& replaced) {
    dynamodb::WriteConditions c;
    switch (p.kind) {
      case SavePrecondition::Kind::kNone:
        break;
      case SavePrecondition::Kind::kMustNotExist:
        // An expired item that TTL has not deleted yet counts as absent.
        c.condition = "attribute_not_exists(thread_id) OR #ttl < :now";
        c.attributes.names = {{"#ttl", attr::kTtl}};
        c.attributes.values = {{":now", V::N(now_epoch())}};
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

  // The head's small attributes: what it is and what it names, not the state.
  static constexpr const char* kHeadProjection =
      "#v, save_id, ancestors, chunk_count, #ttl, message_count, history_digest, #seg, chunk_of";
  static std::map<std::string, std::string> head_projection_names() {
    return {{"#v", attr::kVersion}, {"#ttl", attr::kTtl}, {"#seg", attr::kSegments}};
  }

  // Reads the head's small attributes with a consistent read; nothing when absent or expired.
  std::optional<Item> read_head_attributes(const std::string& thread_id) {
    auto got = client->get_item({.table = table,
                                 .key = key_of(thread_id),
                                 .consistent_read = true,
                                 .projection = kHeadProjection,
                                 .names = head_projection_names()});
    auto item = std::move(value_or_throw(std::move(got)).item);
    if (!item || detail::is_chunk_item(*item)) return std::nullopt;
    auto ttl = item->find(attr::kTtl);
    if (ttl != item->end() && ttl->second.is(V::Type::kN) &&
        detail::parse_stored_int(thread_id, attr::kTtl, ttl->second) < now_epoch()) {
      return std::nullopt;  // expired: as good as absent
    }
    return item;
  }

  static std::int64_t version_of(const std::string& thread_id, const std::optional<Item>& item) {
    if (!item) return -1;
    auto v = item->find(attr::kVersion);
    return v == item->end() ? 0 : detail::parse_stored_int(thread_id, attr::kVersion, v->second);
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
  void delete_keys(const std::vector<std::string>& keys) {
    (void)in_flight(keys.size(), [&](std::size_t i) {
      // Only ever a chunk or segment: never a head, whatever a damaged hint says.
      auto r = client->delete_item({.table = table,
                                    .key = key_of(keys[i]),
                                    .conditions = {.condition = "attribute_not_exists(thread_id) OR "
                                                                "attribute_exists(chunk_of)"}});
      return r.ok() ? Status() : r.status();
    });
  }

  static std::vector<std::string> keys_of(const std::vector<Item>& items) {
    std::vector<std::string> keys;
    for (const auto& item : items) keys.push_back(item.at(attr::kThreadId).scalar());
    return keys;
  }

  // Removes the items of a replaced head (`old_hint`) that the new head (`new_hint`) does not use.
  // Safe only once the new head replaced exactly that head (the save-id condition makes it so):
  // no other head can descend from it, so no other head names those items.
  void delete_replaced(const std::string& thread_id, const std::string& old_hint,
                       const std::string& new_hint) {
    std::vector<std::string> keys;
    if (auto old_base = detail::base_from_hint(old_hint)) {
      auto new_base = detail::base_from_hint(new_hint);
      for (const auto& segment : old_base->segments) {
        bool kept = new_base && std::any_of(new_base->segments.begin(), new_base->segments.end(),
                                            [&](const detail::SegmentRef& s) { return s.id == segment.id; });
        if (!kept) keys.push_back(detail::segment_key(thread_id, segment.id));
      }
    } else {
      keys = detail::chunk_keys_of_hint(thread_id, old_hint);
    }
    delete_keys(keys);
  }

  // The state encoded for the layout this checkpointer writes, checked before any request.
  struct Encoded {
    std::optional<detail::EncodedHistory> history;  ///< incremental saves
    std::optional<detail::PreparedState> prepared;  ///< the other layouts (or a fallback)
  };

  SaveAttempt plan(const std::string& thread_id, const AgentStateSnapshot& state,
                   const std::optional<Replaced>& replaced, std::int64_t version, Encoded& encoded) {
    const std::int64_t written_at = now_epoch();
    std::optional<std::int64_t> ttl;
    if (options.ttl) ttl = written_at + options.ttl->count();
    std::string ancestors;
    if (replaced) ancestors = detail::ancestors_after(replaced->generation);
    const std::string updated_at = rfc3339_utc(now());
    if (encoded.history) {
      std::optional<detail::HistoryBase> previous;
      if (replaced) previous = detail::base_from_hint(replaced->layout_hint);
      // Segments expire twice the TTL after they are written, and a save rewrites any that would
      // expire before the head it writes: so no segment ever expires under a live head.
      detail::SaveTimes times{updated_at, ttl, std::nullopt, written_at};
      if (ttl) times.segment_ttl = *ttl + options.ttl->count();
      auto planned =
          detail::plan_incremental_save(thread_id, *encoded.history, previous, version, times, ancestors);
      if (planned) {
        return {std::move(planned->head), std::move(planned->segments), planned->save_id,
                detail::history_hint(planned->base), std::move(ancestors)};
      }
      // A message or the rest of the state too large for one item: this save is plain.
    }
    if (!encoded.prepared) {
      encoded.prepared = detail::prepare_state(thread_id, encode_state_json(state), options.compression,
                                               options.max_state_bytes);
    }
    detail::SaveItems items = detail::build_save_items(thread_id, *encoded.prepared, version, updated_at, ttl,
                                                       ancestors, written_at);
    std::string hint =
        items.chunks.empty() ? "" : detail::chunk_hint(items.save_id, std::to_string(items.chunks.size()));
    return {std::move(items.head), std::move(items.chunks), items.save_id, std::move(hint),
            std::move(ancestors)};
  }

  // Whether the stored head (none: the thread is absent) is the save `save_id` or descends from
  // it within the ancestors it keeps (generation.hpp).
  static bool traces_back_to(const std::optional<Item>& stored, const std::string& save_id) {
    return stored && detail::descends_from(generation_of(*stored), save_id);
  }

  [[noreturn]] void throw_outcome_unknown(const std::string& thread_id, std::int64_t version,
                                          const std::string& why) {
    throw OutcomeUnknownError("thread '" + thread_id + "': the save of version " + std::to_string(version) +
                                  " may or may not have been stored (" + why +
                                  "); nothing it wrote was removed. Load the thread to see whether the "
                                  "change is there before you make it again.",
                              thread_id, version);
  }

  SavedState save(const std::string& thread_id, const AgentStateSnapshot& state,
                  SavePrecondition precondition) {
    // Encoded (and its size and text checked) once, before any request, even when a blind save
    // goes round.
    Encoded encoded;
    if (options.incremental) {
      encoded.history.emplace(thread_id, state, options.max_state_bytes);
    } else {
      encoded.prepared = detail::prepare_state(thread_id, encode_state_json(state), options.compression,
                                               options.max_state_bytes);
    }
    if (precondition.kind == SavePrecondition::Kind::kNone && options.strict) {
      precondition = SavePrecondition::must_not_exist();
    }
    // What is replaced: from the load's hint, else from the stored head.
    std::optional<Replaced> replaced;
    if (precondition.kind == SavePrecondition::Kind::kVersion) {
      detail::StorageHint hint = detail::parse_storage_hint(precondition.replaces_hint);
      if (hint.generation) {
        replaced = Replaced{std::move(*hint.generation), std::move(hint.layout), hint.version};
      } else {
        // `version_is(v)` without the load's hint: pin the generation stored now at version v,
        // and learn what it names, or this save could neither append to nor delete its items.
        auto current = read_head_attributes(thread_id);
        if (version_of(thread_id, current) != precondition.version)
          detail::throw_conflict(thread_id, precondition, version_of(thread_id, current));
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
        auto current = read_head_attributes(thread_id);
        if (current) {
          precondition = SavePrecondition::version_is(version_of(thread_id, current));
          replaced = replaced_by(thread_id, *current, precondition.version);
          if (precondition.version == kMaxVersion) {
            detail::throw_corrupt(thread_id, attr::kVersion,
                                  "is " + std::to_string(kMaxVersion) +
                                      ", the largest version there is: no save can follow it");
          }
        } else {
          precondition = SavePrecondition::must_not_exist();
          replaced.reset();
        }
      }
      const std::int64_t new_version =
          precondition.kind == SavePrecondition::Kind::kVersion ? precondition.version + 1 : 1;
      SaveAttempt attempt = plan(thread_id, state, replaced, new_version, encoded);
      attempt.version = new_version;
      attempt.replaced_layout_hint = replaced ? replaced->layout_hint : "";
      attempt.creates = precondition.kind == SavePrecondition::Kind::kMustNotExist;
      const auto started = now();
      write_extra_items(attempt);
      // The cleanup spares unreferenced items younger than its grace period; a save that could
      // not reach its head write well within that period must not name its items any more.
      if (!attempt.extra_items.empty() && now() - started > kSaveDeadline) {
        delete_keys(keys_of(attempt.extra_items));
        throw TimeoutError("thread '" + thread_id + "': the save did not reach its head write within " +
                           std::to_string(kSaveDeadline.count()) +
                           " s of its first chunk or segment write; nothing was saved");
      }
      // Never resent by the client once it may have been applied: a resent create could land
      // after a delete removed what the first one wrote. This loop decides instead.
      auto conditions = condition_for(precondition, replaced);
      conditions.retry_when_outcome_unknown = false;
      auto written = client->put_item(
          {.table = table, .item = std::move(attempt.head), .conditions = std::move(conditions)});
      if (written.ok() && !written->condition_failed) {
        return landed(thread_id, attempt, in_doubt, state, encoded);
      }
      attempt.maybe_applied = written.ok() ? written->in_doubt : written.status().details().outcome_unknown;
      if (!written.ok() && !attempt.maybe_applied && in_doubt.empty()) {
        // Refused, throttled or rejected (e.g. ValidationException): not applied, nothing names
        // what this attempt wrote.
        delete_keys(keys_of(attempt.extra_items));
        written.status().throw_if_error();
      }
      std::optional<Item> stored;
      try {
        stored = read_head_attributes(thread_id);
      } catch (const Error& e) {
        // Nothing in doubt: the read-back's own error (a damaged head, say) is the story.
        if (!attempt.maybe_applied && in_doubt.empty()) throw;
        throw_outcome_unknown(
            thread_id, new_version,
            std::string("its answer was lost and the thread could not be read back: ") + e.what());
      }
      std::optional<detail::Generation> stored_generation;
      if (stored) stored_generation = generation_of(*stored);
      const std::string stored_save_id = stored_generation ? stored_generation->save_id : std::string();
      const auto in_chain = [&](const std::string& id) {
        return stored_generation && detail::descends_from(*stored_generation, id);
      };
      // An attempt of this save landed (perhaps built upon since): the save succeeded.
      if (in_chain(attempt.save_id)) return landed(thread_id, attempt, in_doubt, state, encoded);
      for (auto it = in_doubt.begin(); it != in_doubt.end(); ++it) {
        if (!in_chain(it->save_id)) continue;
        SaveAttempt winner = std::move(*it);
        in_doubt.erase(it);
        in_doubt.push_back(std::move(attempt));
        return landed(thread_id, winner, in_doubt, state, encoded);
      }
      if (attempt.maybe_applied)
        in_doubt.push_back(std::move(attempt));
      else
        delete_keys(keys_of(attempt.extra_items));
      // A doubtful attempt conditional on a head that now has another successor can never land.
      const bool replaced_by_another = replaced && !replaced->generation.save_id.empty() &&
                                       stored_save_id != replaced->generation.save_id &&
                                       in_chain(replaced->generation.save_id);
      if (replaced_by_another) {
        for (const auto& a : in_doubt) delete_keys(keys_of(a.extra_items));
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
      if (!blind || ++conflicts > 8)
        detail::throw_conflict(thread_id, precondition, version_of(thread_id, stored));
    }
  }

  // Writes the chunks or segments of an attempt; on a failure, removes what it wrote (no head
  // names them) and throws.
  void write_extra_items(const SaveAttempt& attempt) {
    Status failed = in_flight(attempt.extra_items.size(), [&](std::size_t i) {
      auto r = client->put_item({.table = table, .item = attempt.extra_items[i]});
      return r.ok() ? Status() : r.status();
    });
    if (failed.ok()) return;
    delete_keys(keys_of(attempt.extra_items));
    failed.throw_if_error();
  }

  // `attempt` landed. The other attempts of this save (`others`) lost their answers: an update
  // conditional on the same head can never land now, so their items go; a create could still land
  // after a delete of this one, so its items stay for the cleanup.
  SavedState landed(const std::string& thread_id, const SaveAttempt& attempt,
                    const std::vector<SaveAttempt>& others, const AgentStateSnapshot& state,
                    const Encoded& encoded) {
    delete_replaced(thread_id, attempt.replaced_layout_hint, attempt.layout_hint);
    for (const auto& other : others) {
      if (!other.creates) delete_keys(keys_of(other.extra_items));
    }
    remember_segments(thread_id, attempt, state, encoded);
    return {attempt.version, detail::make_storage_hint({attempt.save_id, attempt.ancestors}, attempt.version,
                                                       attempt.layout_hint)};
  }
  // After a save that landed: its new segments go to the cache, so that the next load of the
  // thread in this process reads only the head.
  void remember_segments(const std::string& thread_id, const SaveAttempt& attempt,
                         const AgentStateSnapshot& state, const Encoded& encoded) {
    if (!cache || !encoded.history || !detail::is_history_hint(attempt.layout_hint)) return;
    for (const Item& item : attempt.extra_items) {
      const auto first = static_cast<std::size_t>(
          detail::parse_stored_int(thread_id, attr::kFirstMessage, item.at(attr::kFirstMessage)));
      const auto count = static_cast<std::size_t>(
          detail::parse_stored_int(thread_id, attr::kMessageCount, item.at(attr::kMessageCount)));
      auto segment = std::make_shared<detail::DecodedSegment>();
      segment->messages.assign(state.messages.begin() + static_cast<std::ptrdiff_t>(first),
                               state.messages.begin() + static_cast<std::ptrdiff_t>(first + count));
      if (auto ttl = item.find(attr::kTtl); ttl != item.end())
        segment->ttl_epoch = detail::parse_stored_int(thread_id, attr::kTtl, ttl->second);
      segment->bytes = encoded.history->array_bytes(first, first + count);
      cache->put(item.at(attr::kThreadId).scalar(), std::move(segment));
    }
  }

  // The state an incremental head names: the segments this process has not seen in one
  // BatchGetItem (a few when there are more than 100). nullopt when one is missing.
  std::optional<AgentStateSnapshot> load_history(const std::string& thread_id, const Item& head,
                                                 const detail::HistoryBase& base) {
    AgentStateSnapshot rest = detail::decode_head_state(thread_id, head);
    const std::size_t n = base.segments.size();
    std::vector<std::shared_ptr<const detail::DecodedSegment>> cached(n);  // shared with the cache
    std::vector<detail::DecodedSegment> fetched(n);                        // read now
    std::vector<Item> keys;
    for (std::size_t i = 0; i < n; ++i) {
      std::string key = detail::segment_key(thread_id, base.segments[i].id);
      if (cache && (cached[i] = cache->find(key))) continue;
      keys.push_back(key_of(key));
    }
    if (!keys.empty()) {
      auto got =
          value_or_throw(client->batch_get_item({.table = table, .keys = keys, .consistent_read = true}));
      std::map<std::string, const Item*, std::less<>> by_key;
      for (const Item& item : got.items) by_key.emplace(item.at(attr::kThreadId).scalar(), &item);
      for (std::size_t i = 0; i < n; ++i) {
        if (cached[i]) continue;
        std::string key = detail::segment_key(thread_id, base.segments[i].id);
        auto found = by_key.find(key);
        if (found == by_key.end()) return std::nullopt;
        fetched[i] =
            detail::decode_segment(thread_id, base.segments[i], *found->second, options.max_state_bytes);
        if (cache) cache->put(key, std::make_shared<const detail::DecodedSegment>(fetched[i]));
      }
    }
    const std::int64_t now = now_epoch();
    rest.messages.reserve(base.message_count);
    for (std::size_t i = 0; i < n; ++i) {
      if (cached[i]) {
        detail::check_not_expired(thread_id, base.segments[i], *cached[i], now);
        rest.messages.insert(rest.messages.end(), cached[i]->messages.begin(), cached[i]->messages.end());
      } else {
        detail::check_not_expired(thread_id, base.segments[i], fetched[i], now);
        std::move(fetched[i].messages.begin(), fetched[i].messages.end(), std::back_inserter(rest.messages));
      }
    }
    return rest;
  }

  std::optional<LoadedState> load(const std::string& thread_id) {
    for (int attempt = 0;; ++attempt) {
      auto got = value_or_throw(
          client->get_item({.table = table, .key = key_of(thread_id), .consistent_read = true}));
      if (!got.item || detail::is_chunk_item(*got.item)) return std::nullopt;
      detail::StoredHead head = detail::read_head(thread_id, *got.item);
      if (head.ttl_epoch && *head.ttl_epoch < now_epoch()) return std::nullopt;  // expired, not yet deleted
      if (head.layout == detail::StoredHead::Layout::kIncremental) {
        auto base = detail::base_from_head(thread_id, *got.item);
        if (!base)
          detail::throw_corrupt(thread_id, attr::kMessageCount, "is missing from an incremental head");
        auto state = load_history(thread_id, *got.item, *base);
        if (!state) {
          // A newer save may have replaced the head and removed these segments: read again.
          if (attempt < 3) continue;
          detail::throw_corrupt(thread_id, attr::kSegments,
                                "names segments that are missing; the history cannot be assembled");
        }
        return LoadedState{
            std::move(*state), head.version, head.updated_at,
            detail::make_storage_hint(generation_of(*got.item), head.version, detail::history_hint(*base))};
      }
      std::string decompressed;
      const std::string* json = head.plain_state;
      if (head.layout == detail::StoredHead::Layout::kCompressed) {
        decompressed =
            detail::zstd_decompress(thread_id, attr::kStateZstd, *head.compressed, options.max_state_bytes);
        json = &decompressed;
      } else if (head.layout == detail::StoredHead::Layout::kChunked) {
        std::vector<Item> keys;
        for (std::size_t i = 0; i < head.chunk_count; ++i)
          keys.push_back(key_of(detail::chunk_key(thread_id, head.save_id, i)));
        auto chunks =
            value_or_throw(client->batch_get_item({.table = table, .keys = keys, .consistent_read = true}));
        auto assembled = detail::assemble_chunks(thread_id, head, chunks.items);
        if (!assembled) {
          // A newer save may have replaced the head and removed these chunks: read again.
          if (attempt < 3) continue;
          throw CorruptStateError("thread '" + thread_id + "': stored attribute '" + attr::kChunkCount +
                                      "' names " + std::to_string(head.chunk_count) + " chunks of save " +
                                      head.save_id + ", but some are missing; the state cannot be assembled",
                                  thread_id, attr::kChunkCount);
        }
        decompressed = detail::zstd_decompress(thread_id, attr::kData, *assembled, options.max_state_bytes);
        json = &decompressed;
      }
      auto state = decode_state_json(*json);
      if (!state.ok()) {
        std::string attribute = head.layout == detail::StoredHead::Layout::kPlain        ? attr::kState
                                : head.layout == detail::StoredHead::Layout::kCompressed ? attr::kStateZstd
                                                                                         : attr::kData;
        throw CorruptStateError("thread '" + thread_id + "': stored attribute '" + attribute +
                                    "' is not a valid state: " + state.status().message(),
                                thread_id, attribute);
      }
      std::string hint = head.layout == detail::StoredHead::Layout::kChunked
                             ? detail::chunk_hint(head.save_id, std::to_string(head.chunk_count))
                             : "";
      return LoadedState{std::move(*state), head.version, head.updated_at,
                         detail::make_storage_hint(generation_of(*got.item), head.version, hint)};
    }
  }

  // The head is deleted conditionally on the generation read just before, so that even when the
  // delete's answer is lost (and its retry finds nothing) the items that head named are known and
  // removed, and never those of a newer head that may still name some of them.
  bool remove(const std::string& thread_id) {
    for (int round = 0;; ++round) {
      auto got = value_or_throw(client->get_item({.table = table,
                                                  .key = key_of(thread_id),
                                                  .consistent_read = true,
                                                  .projection = kHeadProjection,
                                                  .names = head_projection_names()}));
      if (!got.item || detail::is_chunk_item(*got.item)) return false;
      const Replaced head = replaced_by(thread_id, *got.item);
      dynamodb::WriteConditions c;
      if (head.generation.save_id.empty()) {
        c.condition = "attribute_exists(thread_id) AND attribute_not_exists(save_id)";
      } else {
        c.condition = "save_id = :sid";
        c.attributes.values = {{":sid", V::S(head.generation.save_id)}};
      }
      auto deleted =
          value_or_throw(client->delete_item({.table = table, .key = key_of(thread_id), .conditions = c}));
      bool gone = !deleted.condition_failed;
      if (!gone && deleted.in_doubt) {
        // An attempt whose answer was lost may have deleted it: it did unless the stored head is
        // that one or one that descends from it.
        gone = head.generation.save_id.empty() ||
               !traces_back_to(read_head_attributes(thread_id), head.generation.save_id);
      }
      if (gone) {
        delete_replaced(thread_id, head.layout_hint, "");
        return true;
      }
      if (round >= 8) {
        throw ConflictError(
            "thread '" + thread_id + "' kept changing while it was being deleted; nothing was deleted",
            thread_id, -1, -1);
      }
    }
  }

  std::vector<ThreadInfo> list() {
    dynamodb::QueryRequest scan{
        .table = table,
        .filter = "attribute_not_exists(chunk_of) AND (attribute_not_exists(#ttl) OR #ttl >= :now)",
        .projection = "thread_id, updated_at, #v",
        .attributes = {{{"#ttl", attr::kTtl}, {"#v", attr::kVersion}}, {{":now", V::N(now_epoch())}}},
        .total_segments = 2};
    auto items = value_or_throw(client->scan_all(scan));
    std::vector<ThreadInfo> out;
    out.reserve(items.size());
    for (const auto& item : items) {
      ThreadInfo info;
      info.thread_id = item.at(attr::kThreadId).scalar();
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

  // Safe on live threads (docs/concurrency.md): the head is read after the scan, so items of a
  // save that lands meanwhile are named by it; items of a save still in flight are younger than
  // `grace` (a save gives up at kSaveDeadline); and no head can come to name an item that neither
  // the current head nor a save in flight names.
  std::size_t remove_orphans(const std::string& thread_id, std::chrono::seconds grace) {
    auto items = value_or_throw(client->scan_all({.table = table,
                                                  .filter = "chunk_of = :t",
                                                  .projection = "thread_id, save_id, written_at",
                                                  .attributes = {{}, {{":t", V::S(thread_id)}}},
                                                  .consistent_read = true}));
    auto head = read_head_attributes(thread_id);
    std::string live = head && head->count(attr::kChunkCount) && head->count(attr::kSaveId)
                           ? head->at(attr::kSaveId).scalar()
                           : "";
    std::set<std::string, std::less<>> live_segments;
    if (head) {
      if (auto base = detail::base_from_head(thread_id, *head)) {
        for (const auto& s : base->segments) live_segments.insert(detail::segment_key(thread_id, s.id));
      }
    }
    const std::int64_t oldest_kept = now_epoch() - grace.count();
    std::size_t removed = 0;
    for (const auto& item : items) {
      const std::string& key = item.at(attr::kThreadId).scalar();
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
      auto r = client->delete_item(
          {.table = table, .key = key_of(key), .conditions = {.condition = "attribute_exists(chunk_of)"}});
      if (r.ok() && !r->condition_failed) ++removed;
    }
    return removed;
  }
};

DynamoDbCheckpointer::DynamoDbCheckpointer(std::string table_name)
    : table_(std::move(table_name)), options_(std::make_unique<Options>()) {
  if (table_.size() < 3 || table_.size() > 255) {
    throw InvalidArgumentError("table name '" + table_ + "' must be 3 to 255 characters of [A-Za-z0-9_.-]");
  }
  for (char c : table_) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) {
      throw InvalidArgumentError("table name '" + table_ + "' must be 3 to 255 characters of [A-Za-z0-9_.-]");
    }
  }
}

DynamoDbCheckpointer::~DynamoDbCheckpointer() = default;

DynamoDbCheckpointer& DynamoDbCheckpointer::with_region(std::string region) {
  options_->client.region = std::move(region);
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_endpoint(std::string endpoint_url) {
  options_->client.endpoint = std::move(endpoint_url);
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_ttl_seconds(std::chrono::seconds ttl) {
  if (ttl.count() <= 0)
    throw InvalidArgumentError("TTL must be positive; leave it unset for threads that never expire");
  options_->ttl = ttl;
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_profile(std::string profile) {
  options_->client.profile = std::move(profile);
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_credentials(
    std::shared_ptr<aws::CredentialsProvider> credentials) {
  options_->client.credentials = std::move(credentials);
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_retry(aws::RetryOptions retry) {
  options_->client.retry = std::move(retry);
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_http_client(std::shared_ptr<http::HttpClient> http) {
  options_->client.http = std::move(http);
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_strict_concurrency(bool strict) {
  options_->strict = strict;
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_compression(Compression compression) {
  options_->compression = compression;
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_incremental(bool incremental) {
  options_->incremental = incremental;
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_segment_cache_bytes(std::size_t bytes) {
  options_->segment_cache_bytes = bytes;
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_max_state_bytes(std::size_t bytes) {
  options_->max_state_bytes = bytes;
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_observer(
    std::function<void(const dynamodb::CallEvent&)> observer) {
  options_->client.observer = std::move(observer);
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_clock(
    std::function<std::chrono::system_clock::time_point()> clock) {
  options_->clock = std::move(clock);
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_client(std::shared_ptr<dynamodb::DynamoDbClient> client) {
  options_->shared_client = std::move(client);
  return *this;
}

DynamoDbCheckpointer::Engine& DynamoDbCheckpointer::engine() {
  std::call_once(engine_once_, [this] {
    auto e = std::make_unique<Engine>();
    e->table = table_;
    e->options = *options_;
    if (e->options.shared_client) {
      e->client = e->options.shared_client;
    } else {
      auto created = dynamodb::DynamoDbClient::create(e->options.client);
      if (!created.ok()) created.status().throw_if_error();
      e->client = std::move(*created);
    }
    if (e->options.segment_cache_bytes > 0)
      e->cache = std::make_unique<detail::SegmentCache>(e->options.segment_cache_bytes);
    engine_ = std::move(e);
  });
  if (!engine_) throw InvalidArgumentError("DynamoDbCheckpointer: the DynamoDB client could not be created");
  return *engine_;
}

std::shared_ptr<dynamodb::DynamoDbClient> DynamoDbCheckpointer::client() { return engine().client; }

SavedState DynamoDbCheckpointer::do_save(const std::string& thread_id, const AgentStateSnapshot& state,
                                         SavePrecondition precondition) {
  return engine().save(thread_id, state, std::move(precondition));
}

std::optional<LoadedState> DynamoDbCheckpointer::do_load(const std::string& thread_id) {
  return engine().load(thread_id);
}

bool DynamoDbCheckpointer::do_delete(const std::string& thread_id) { return engine().remove(thread_id); }

std::vector<ThreadInfo> DynamoDbCheckpointer::do_list() { return engine().list(); }

std::size_t DynamoDbCheckpointer::remove_orphaned_chunks_and_segments(std::string_view thread_id,
                                                                      std::chrono::seconds grace) {
  validate_thread_id(thread_id);
  if (grace <= kSaveDeadline) {
    throw InvalidArgumentError("cleanup grace of " + std::to_string(grace.count()) +
                               " s: it must be longer than a save may take (kSaveDeadline, " +
                               std::to_string(kSaveDeadline.count()) +
                               " s), or it could remove the items "
                               "of a save in flight");
  }
  return engine().remove_orphans(std::string(thread_id), grace);
}

}  // namespace agents
