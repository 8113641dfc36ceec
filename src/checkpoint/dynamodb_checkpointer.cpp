#include "agents/checkpoint/dynamodb_checkpointer.hpp"

#include <cctype>

#include "agents/dynamodb/client.hpp"
#include "agents/dynamodb/region_failover.hpp"
#include "checkpoint/cleanup.hpp"
#include "checkpoint/dynamodb_context.hpp"
#include "checkpoint/expiry_sweep.hpp"
#include "checkpoint/save_protocol.hpp"
#include "checkpoint/segment_cache.hpp"
#include "checkpoint/state_loader.hpp"
#include "checkpoint/thread_listing.hpp"

namespace agents {

DynamoDbCheckpointerOptions& DynamoDbCheckpointerOptions::with_region(std::string value) {
  region = std::move(value);
  return *this;
}
DynamoDbCheckpointerOptions& DynamoDbCheckpointerOptions::with_endpoint(std::string value) {
  endpoint = std::move(value);
  return *this;
}
DynamoDbCheckpointerOptions& DynamoDbCheckpointerOptions::with_profile(std::string value) {
  profile = std::move(value);
  return *this;
}
DynamoDbCheckpointerOptions& DynamoDbCheckpointerOptions::with_credentials(
    std::shared_ptr<aws::CredentialsProvider> value) {
  credentials = std::move(value);
  return *this;
}
DynamoDbCheckpointerOptions& DynamoDbCheckpointerOptions::with_retry(aws::RetryOptions value) {
  retry = std::move(value);
  return *this;
}
DynamoDbCheckpointerOptions& DynamoDbCheckpointerOptions::with_http_client(
    std::shared_ptr<http::HttpClient> value) {
  http = std::move(value);
  return *this;
}
DynamoDbCheckpointerOptions& DynamoDbCheckpointerOptions::with_observer(
    std::function<void(const dynamodb::CallEvent&)> value) {
  observer = std::move(value);
  return *this;
}
DynamoDbCheckpointerOptions& DynamoDbCheckpointerOptions::with_client(
    std::shared_ptr<dynamodb::DynamoDbClient> value) {
  client = std::move(value);
  return *this;
}
DynamoDbCheckpointerOptions& DynamoDbCheckpointerOptions::with_strict_concurrency(bool value) {
  strict_concurrency = value;
  return *this;
}
DynamoDbCheckpointerOptions& DynamoDbCheckpointerOptions::with_compression(Compression value) {
  compression = value;
  return *this;
}
DynamoDbCheckpointerOptions& DynamoDbCheckpointerOptions::with_incremental(bool value) {
  incremental = value;
  return *this;
}
DynamoDbCheckpointerOptions& DynamoDbCheckpointerOptions::with_segment_cache_bytes(std::size_t value) {
  segment_cache_bytes = value;
  return *this;
}
DynamoDbCheckpointerOptions& DynamoDbCheckpointerOptions::with_max_state_bytes(std::size_t value) {
  max_state_bytes = value;
  return *this;
}
DynamoDbCheckpointerOptions& DynamoDbCheckpointerOptions::with_clock(WallClock value) {
  clock = std::move(value);
  return *this;
}
DynamoDbCheckpointerOptions& DynamoDbCheckpointerOptions::with_history(std::size_t keep_last) {
  history.keep_last = keep_last;
  return *this;
}

DynamoDbCheckpointerOptions& DynamoDbCheckpointerOptions::with_regions(std::vector<std::string> regions) {
  failover.regions = std::move(regions);
  return *this;
}

DynamoDbCheckpointerOptions& DynamoDbCheckpointerOptions::with_failover(
    dynamodb::RegionFailoverOptions value) {
  failover = std::move(value);
  return *this;
}

namespace {

void check_table_name(const std::string& table) {
  bool ok = table.size() >= 3 && table.size() <= 255;
  for (char c : table) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
  }
  if (!ok)
    throw InvalidArgumentError("table name '" + table + "' must be 3 to 255 characters of [A-Za-z0-9_.-]");
}

void check_ttl(const std::optional<std::chrono::seconds>& ttl) {
  if (ttl && ttl->count() <= 0)
    throw InvalidArgumentError("TTL must be positive; leave it unset for threads that never expire");
}

void check_history(const HistoryOptions& history) {
  if (history.keep_last > DynamoDbCheckpointerOptions::kMaxKeepLast) {
    throw InvalidArgumentError("history keep_last of " + std::to_string(history.keep_last) + ": at most " +
                               std::to_string(DynamoDbCheckpointerOptions::kMaxKeepLast) +
                               " past versions are kept (the head names each one)");
  }
}

}  // namespace

// Everything that needs the client; created on first use so that `with_*` can follow the
// constructor, as in the quick start. The parts it is made of: head_reader, save_protocol,
// state_loader, cleanup and thread_listing (src/checkpoint/).
struct DynamoDbCheckpointer::Engine : detail::DynamoDbContext {};

DynamoDbCheckpointer::DynamoDbCheckpointer(std::string table_name, DynamoDbCheckpointerOptions options)
    : table_(std::move(table_name)),
      options_(std::make_unique<DynamoDbCheckpointerOptions>(std::move(options))) {
  check_table_name(table_);
  check_ttl(options_->ttl);
  check_history(options_->history);
}

DynamoDbCheckpointer::~DynamoDbCheckpointer() = default;

DynamoDbCheckpointerOptions& DynamoDbCheckpointer::configurable(const char* setter) {
  if (in_use_.load()) {
    throw InvalidArgumentError(std::string("DynamoDbCheckpointer(\"") + table_ + "\")." + setter +
                               ": called after the checkpointer's first use, when its settings are fixed; "
                               "configure it before the first save, load, delete or list (or pass "
                               "DynamoDbCheckpointerOptions to the constructor)");
  }
  return *options_;
}

DynamoDbCheckpointer& DynamoDbCheckpointer::with_ttl_seconds(std::chrono::seconds ttl) {
  check_ttl(ttl);
  configurable("with_ttl").ttl = ttl;
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_region(std::string value) {
  configurable("with_region").region = std::move(value);
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_endpoint(std::string value) {
  configurable("with_endpoint").endpoint = std::move(value);
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_profile(std::string value) {
  configurable("with_profile").profile = std::move(value);
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_credentials(
    std::shared_ptr<aws::CredentialsProvider> value) {
  configurable("with_credentials").credentials = std::move(value);
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_retry(aws::RetryOptions value) {
  configurable("with_retry").retry = std::move(value);
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_http_client(std::shared_ptr<http::HttpClient> value) {
  configurable("with_http_client").http = std::move(value);
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_observer(
    std::function<void(const dynamodb::CallEvent&)> value) {
  configurable("with_observer").observer = std::move(value);
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_client(std::shared_ptr<dynamodb::DynamoDbClient> value) {
  configurable("with_client").client = std::move(value);
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_strict_concurrency(bool value) {
  configurable("with_strict_concurrency").strict_concurrency = value;
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_compression(Compression value) {
  configurable("with_compression").compression = value;
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_incremental(bool value) {
  configurable("with_incremental").incremental = value;
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_segment_cache_bytes(std::size_t value) {
  configurable("with_segment_cache_bytes").segment_cache_bytes = value;
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_max_state_bytes(std::size_t value) {
  configurable("with_max_state_bytes").max_state_bytes = value;
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_clock(WallClock value) {
  configurable("with_clock").clock = std::move(value);
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_history(std::size_t keep_last) {
  HistoryOptions history{keep_last};
  check_history(history);
  configurable("with_history").history = history;
  return *this;
}

DynamoDbCheckpointer& DynamoDbCheckpointer::with_regions(std::vector<std::string> regions) {
  configurable("with_regions").failover.regions = std::move(regions);
  return *this;
}

DynamoDbCheckpointer& DynamoDbCheckpointer::with_failover(dynamodb::RegionFailoverOptions failover) {
  configurable("with_failover").failover = std::move(failover);
  return *this;
}

DynamoDbCheckpointer::Engine& DynamoDbCheckpointer::engine() {
  std::call_once(engine_once_, [this] {
    in_use_.store(true);
    const DynamoDbCheckpointerOptions& o = *options_;
    check_history(o.history);
    if (!o.failover.regions.empty()) {
      if (o.client)
        throw InvalidArgumentError(
            "DynamoDbCheckpointer: with_client and with_regions/with_failover together: "
            "a given client is used as it is; make it with make_region_failover_client");
      if (!o.region.empty() && o.region != o.failover.regions.front())
        throw InvalidArgumentError("DynamoDbCheckpointer: region " + o.region +
                                   " is not the first of the failover "
                                   "Regions (" +
                                   o.failover.regions.front() + "), which is the home Region");
    }
    auto e = std::make_unique<Engine>();
    e->table = table_;
    e->options = o;
    if (o.client) {
      e->client = o.client;
    } else {
      dynamodb::ClientOptions client;
      client.region = o.region;
      client.endpoint = o.endpoint;
      client.profile = o.profile;
      client.credentials = o.credentials;
      client.http = o.http;
      client.retry = o.retry;
      client.observer = o.observer;
      auto created = o.failover.regions.empty()
                         ? dynamodb::DynamoDbClient::create(std::move(client))
                         : dynamodb::make_region_failover_client(std::move(client), o.failover);
      if (!created.ok()) created.status().throw_if_error();
      e->client = std::move(*created);
    }
    if (o.segment_cache_bytes > 0) e->cache = std::make_unique<detail::SegmentCache>(o.segment_cache_bytes);
    if (o.incremental) e->memos = std::make_unique<detail::HistoryMemos>();
    engine_ = std::move(e);
  });
  if (!engine_) throw InvalidArgumentError("DynamoDbCheckpointer: the DynamoDB client could not be created");
  return *engine_;
}

std::shared_ptr<dynamodb::DynamoDbClient> DynamoDbCheckpointer::client() { return engine().client; }

SavedState DynamoDbCheckpointer::do_save(const std::string& thread_id, const AgentStateSnapshot& state,
                                         SavePrecondition precondition) {
  return detail::save_thread(engine(), thread_id, state, std::move(precondition));
}

std::optional<LoadedState> DynamoDbCheckpointer::do_load(const std::string& thread_id) {
  return detail::load_thread(engine(), thread_id);
}

bool DynamoDbCheckpointer::do_delete(const std::string& thread_id) {
  return detail::remove_thread(engine(), thread_id);
}

std::vector<ThreadInfo> DynamoDbCheckpointer::do_list() { return detail::list_threads(engine()); }

std::vector<VersionInfo> DynamoDbCheckpointer::do_list_versions(const std::string& thread_id,
                                                                const ListVersionsOptions& options) {
  auto listed = detail::list_thread_versions(engine(), thread_id, options);
  if (listed) return std::move(*listed);
  // A head saved without history: its one version, and where it was forked from (if it was).
  auto current = Checkpointer::do_list_versions(thread_id, options);
  if (!current.empty()) current.front().forked_from = detail::fork_origin_of_head(engine(), thread_id);
  return current;
}

std::optional<LoadedState> DynamoDbCheckpointer::do_load_version(const std::string& thread_id,
                                                                 std::int64_t version) {
  return detail::load_thread_version(engine(), thread_id, version);
}

SavedState DynamoDbCheckpointer::do_create_fork(const std::string& thread_id, const AgentStateSnapshot& state,
                                                const ForkOrigin& origin) {
  return detail::save_thread(engine(), thread_id, state, SavePrecondition::must_not_exist(), &origin);
}

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
  return detail::remove_orphans(engine(), std::string(thread_id), grace);
}

SweepReport DynamoDbCheckpointer::sweep_expired(const SweepOptions& options) {
  return detail::sweep_expired(engine(), options);
}

}  // namespace agents
