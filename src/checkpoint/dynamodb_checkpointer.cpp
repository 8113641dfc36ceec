#include "agents/checkpoint/dynamodb_checkpointer.hpp"

#include <charconv>
#include <chrono>
#include <future>

#include "agents/dynamodb/client.hpp"
#include "checkpoint/conflict.hpp"
#include "checkpoint/item_layout.hpp"

namespace agents {

using dynamodb::AttributeValue;
using dynamodb::Item;
using V = AttributeValue;

struct DynamoDbCheckpointer::Options {
  dynamodb::ClientOptions client;
  std::shared_ptr<dynamodb::DynamoDbClient> shared_client;
  std::optional<std::chrono::seconds> ttl;
  bool strict = false;
  Compression compression = Compression::kAuto;
  std::size_t max_state_bytes = 32 * 1024 * 1024;
};

namespace {

std::int64_t now_epoch() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Item key_of(const std::string& thread_id) { return {{"thread_id", V::S(thread_id)}}; }

// A stored number the checkpointer relies on. A damaged or hostile one (not N, not whole, beyond
// 64 bits) is a CorruptStateError naming the attribute, never std::out_of_range from std::stoll.
std::int64_t stored_int(const std::string& thread_id, const char* attribute, const V& value) {
  std::int64_t n = 0;
  const std::string& s = value.scalar();
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (!value.is(V::Type::kN) || ec != std::errc() || ptr != s.data() + s.size()) {
    throw CorruptStateError("thread '" + thread_id + "': stored attribute '" + attribute +
                                "' is not a whole number; nothing was changed",
                            thread_id, attribute);
  }
  return n;
}

// "save_id:chunk_count" for chunked heads; "" for single-item ones.
std::string hint_for(const detail::StoredHead& head) {
  if (head.layout != detail::StoredHead::Layout::kChunked) return "";
  return head.save_id + ":" + std::to_string(head.chunk_count);
}

}  // namespace

// Everything that needs the client; created on first use so that `with_*` can follow the
// constructor, as in the quick start.
struct DynamoDbCheckpointer::Engine {
  std::string table;
  Options options;
  std::shared_ptr<dynamodb::DynamoDbClient> client;

  template <typename T>
  T value_or_throw(StatusOr<T> result) {
    if (!result.ok()) result.status().throw_if_error();
    return std::move(*result);
  }

  dynamodb::WriteResult put(Item item, dynamodb::WriteConditions conditions = {}) {
    return value_or_throw(
        client->put_item({.table = table, .item = std::move(item), .conditions = std::move(conditions)}));
  }

  // The condition that makes a head write safe under `precondition`.
  dynamodb::WriteConditions condition_for(const SavePrecondition& p) {
    dynamodb::WriteConditions c;
    switch (p.kind) {
      case SavePrecondition::Kind::kNone:
        break;
      case SavePrecondition::Kind::kMustNotExist:
        // An expired item that TTL has not deleted yet counts as absent.
        c.condition = "attribute_not_exists(thread_id) OR #ttl < :now";
        c.attributes.names = {{"#ttl", "ttl"}};
        c.attributes.values = {{":now", V::N(now_epoch())}};
        break;
      case SavePrecondition::Kind::kVersion:
        c.attributes.names = {{"#v", "version"}};
        if (p.version == 0) {  // an item of the Rust crate, which writes no version
          c.condition = "attribute_exists(thread_id) AND attribute_not_exists(#v)";
        } else {
          c.condition = "#v = :v";
          c.attributes.values = {{":v", V::N(p.version)}};
        }
        break;
    }
    return c;
  }

  // Reads the head's small attributes (not the state) with a consistent read.
  std::optional<Item> read_head_attributes(const std::string& thread_id) {
    auto got = value_or_throw(client->get_item({.table = table,
                                                .key = key_of(thread_id),
                                                .consistent_read = true,
                                                .projection = "#v, save_id, chunk_count, #ttl",
                                                .names = {{"#v", "version"}, {"#ttl", "ttl"}}}));
    if (!got.item) return std::nullopt;
    auto ttl = got.item->find("ttl");
    if (ttl != got.item->end() && ttl->second.is(V::Type::kN) &&
        stored_int(thread_id, "ttl", ttl->second) < now_epoch()) {
      return std::nullopt;  // expired: as good as absent
    }
    return got.item;
  }

  static std::int64_t version_of(const std::string& thread_id, const std::optional<Item>& item) {
    if (!item) return -1;
    auto v = item->find("version");
    return v == item->end() ? 0 : stored_int(thread_id, "version", v->second);
  }

  void delete_chunks(const std::string& thread_id, const std::string& hint) {
    auto colon = hint.find(':');
    if (colon == std::string::npos) return;
    std::string save_id = hint.substr(0, colon);
    // The count comes from a stored head: never trust it beyond what a save can write.
    std::size_t count = 0;
    std::string_view digits = std::string_view(hint).substr(colon + 1);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
    if (ec != std::errc() || ptr != digits.data() + digits.size()) return;
    count = std::min(count, detail::kMaxChunks);
    for (std::size_t i = 0; i < count; ++i) {
      // Best effort: a chunk left behind is unreferenced, expires with its TTL and is found by
      // remove_orphaned_chunks.
      (void)client->delete_item({.table = table, .key = key_of(detail::chunk_key(thread_id, save_id, i))});
    }
  }

  void write_chunks(const std::vector<Item>& chunks) {
    // A few in flight at once: chunk writes dominate a large save.
    constexpr std::size_t kInFlight = 4;
    for (std::size_t first = 0; first < chunks.size(); first += kInFlight) {
      std::vector<std::future<StatusOr<dynamodb::WriteResult>>> writes;
      for (std::size_t i = first; i < std::min(chunks.size(), first + kInFlight); ++i) {
        writes.push_back(std::async(std::launch::async, [this, &chunks, i] {
          return client->put_item({.table = table, .item = chunks[i]});
        }));
      }
      Status failed;
      for (auto& w : writes) {
        auto r = w.get();
        if (!r.ok() && failed.ok()) failed = r.status();
      }
      if (!failed.ok()) failed.throw_if_error();
    }
  }

  SavedState save(const std::string& thread_id, const AgentStateSnapshot& state,
                  SavePrecondition precondition) {
    detail::PreparedState prepared = detail::prepare_state(thread_id, encode_state_json(state),
                                                           options.compression, options.max_state_bytes);
    std::optional<std::int64_t> ttl;
    if (options.ttl) ttl = now_epoch() + options.ttl->count();
    if (precondition.kind == SavePrecondition::Kind::kNone && options.strict) {
      precondition = SavePrecondition::must_not_exist();
    }
    // A blind save (no load before it) still keeps versions counting: read the current version,
    // then write conditionally, and go round again if another writer slipped in between.
    const bool blind = precondition.kind == SavePrecondition::Kind::kNone;
    for (int round = 0;; ++round) {
      if (blind) {
        auto current = read_head_attributes(thread_id);
        precondition = current ? SavePrecondition::version_is(version_of(thread_id, current))
                               : SavePrecondition::must_not_exist();
        if (current && current->count("chunk_count") && current->count("save_id")) {
          precondition.replaces_hint =
              current->at("save_id").scalar() + ":" + current->at("chunk_count").scalar();
        }
      }
      std::int64_t new_version =
          precondition.kind == SavePrecondition::Kind::kVersion ? precondition.version + 1 : 1;
      detail::SaveItems items =
          detail::build_save_items(thread_id, prepared, new_version, rfc3339_now(), ttl);
      // Chunks first, under a fresh save id: readers only find them once the head names them.
      write_chunks(items.chunks);
      std::string our_hint =
          items.chunks.empty() ? "" : items.save_id + ":" + std::to_string(items.chunks.size());
      auto written = put(std::move(items.head), condition_for(precondition));
      if (!written.condition_failed) {
        delete_chunks(thread_id, precondition.replaces_hint);
        return {new_version, our_hint};
      }
      auto stored = read_head_attributes(thread_id);
      // The save id is fresh for every attempt: if the head holds it, this write landed, whether
      // or not the client noticed an attempt with an unknown outcome (a transport may resend a
      // request on its own, and a damaged answer to an applied write looks like any fault).
      // Reporting a conflict here would delete the chunks the stored head names.
      if (stored && stored->count("save_id") && stored->at("save_id").scalar() == items.save_id) {
        delete_chunks(thread_id, precondition.replaces_hint);  // our own earlier attempt landed
        return {new_version, our_hint};
      }
      delete_chunks(thread_id, our_hint);
      if (!blind || round >= 8)
        detail::throw_conflict(thread_id, precondition, version_of(thread_id, stored));
    }
  }

  std::optional<LoadedState> load(const std::string& thread_id) {
    for (int attempt = 0;; ++attempt) {
      auto got = value_or_throw(
          client->get_item({.table = table, .key = key_of(thread_id), .consistent_read = true}));
      if (!got.item || detail::is_chunk_item(*got.item)) return std::nullopt;
      detail::StoredHead head = detail::read_head(thread_id, *got.item);
      if (head.ttl_epoch && *head.ttl_epoch < now_epoch()) return std::nullopt;  // expired, not yet deleted
      std::string decompressed;
      const std::string* json = head.plain_state;
      if (head.layout == detail::StoredHead::Layout::kCompressed) {
        decompressed =
            detail::zstd_decompress(thread_id, "state_zstd", *head.compressed, options.max_state_bytes);
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
          throw CorruptStateError("thread '" + thread_id + "': stored attribute 'chunk_count' names " +
                                      std::to_string(head.chunk_count) + " chunks of save " + head.save_id +
                                      ", but some are missing; the state cannot be assembled",
                                  thread_id, "chunk_count");
        }
        decompressed = detail::zstd_decompress(thread_id, "data", *assembled, options.max_state_bytes);
        json = &decompressed;
      }
      auto state = decode_state_json(*json);
      if (!state.ok()) {
        std::string attribute = head.layout == detail::StoredHead::Layout::kPlain        ? "state"
                                : head.layout == detail::StoredHead::Layout::kCompressed ? "state_zstd"
                                                                                         : "data";
        throw CorruptStateError("thread '" + thread_id + "': stored attribute '" + attribute +
                                    "' is not a valid state: " + state.status().message(),
                                thread_id, attribute);
      }
      return LoadedState{std::move(*state), head.version, head.updated_at, hint_for(head)};
    }
  }

  bool remove(const std::string& thread_id) {
    auto deleted = value_or_throw(
        client->delete_item({.table = table, .key = key_of(thread_id), .return_old_item = true}));
    if (!deleted.item) return false;
    auto count = deleted.item->find("chunk_count");
    auto save = deleted.item->find("save_id");
    if (count != deleted.item->end() && save != deleted.item->end()) {
      delete_chunks(thread_id, save->second.scalar() + ":" + count->second.scalar());
    }
    return true;
  }

  std::vector<ThreadInfo> list() {
    dynamodb::QueryRequest scan{
        .table = table,
        .filter = "attribute_not_exists(chunk_of) AND (attribute_not_exists(#ttl) OR #ttl >= :now)",
        .projection = "thread_id, updated_at, #v",
        .attributes = {{{"#ttl", "ttl"}, {"#v", "version"}}, {{":now", V::N(now_epoch())}}},
        .total_segments = 2};
    auto items = value_or_throw(client->scan_all(scan));
    std::vector<ThreadInfo> out;
    out.reserve(items.size());
    for (const auto& item : items) {
      ThreadInfo info;
      info.thread_id = item.at("thread_id").scalar();
      if (auto it = item.find("updated_at"); it != item.end()) info.updated_at = it->second.scalar();
      if (auto it = item.find("version"); it != item.end() && it->second.is(V::Type::kN)) {
        // A damaged version lists as 0 rather than hiding every other thread.
        const std::string& v = it->second.scalar();
        std::from_chars(v.data(), v.data() + v.size(), info.version);
      }
      out.push_back(std::move(info));
    }
    return out;
  }

  std::size_t remove_orphans(const std::string& thread_id) {
    auto head = read_head_attributes(thread_id);
    std::string live = head && head->count("save_id") ? head->at("save_id").scalar() : "";
    auto chunks = value_or_throw(client->scan_all({.table = table,
                                                   .filter = "chunk_of = :t",
                                                   .projection = "thread_id, save_id",
                                                   .attributes = {{}, {{":t", V::S(thread_id)}}}}));
    std::size_t removed = 0;
    for (const auto& chunk : chunks) {
      auto save = chunk.find("save_id");
      if (save != chunk.end() && save->second.scalar() == live) continue;
      auto r = client->delete_item({.table = table, .key = key_of(chunk.at("thread_id").scalar())});
      if (r.ok()) ++removed;
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
DynamoDbCheckpointer& DynamoDbCheckpointer::with_max_state_bytes(std::size_t bytes) {
  options_->max_state_bytes = bytes;
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_observer(
    std::function<void(const dynamodb::CallEvent&)> observer) {
  options_->client.observer = std::move(observer);
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

std::size_t DynamoDbCheckpointer::remove_orphaned_chunks(std::string_view thread_id) {
  validate_thread_id(thread_id);
  return engine().remove_orphans(std::string(thread_id));
}

}  // namespace agents
