#include "agents/checkpoint/dynamodb_checkpointer.hpp"

#include <cctype>

#include "agents/dynamodb/client.hpp"
#include "checkpoint/cleanup.hpp"
#include "checkpoint/dynamodb_context.hpp"
#include "checkpoint/save_protocol.hpp"
#include "checkpoint/segment_cache.hpp"
#include "checkpoint/state_loader.hpp"
#include "checkpoint/thread_listing.hpp"

namespace agents {

struct DynamoDbCheckpointer::Options {
  dynamodb::ClientOptions client;
  std::shared_ptr<dynamodb::DynamoDbClient> shared_client;
  std::size_t segment_cache_bytes = 0;
  detail::DynamoDbSettings store;
};

// Everything that needs the client; created on first use so that `with_*` can follow the
// constructor, as in the quick start. The parts it is made of: head_reader, save_protocol,
// state_loader, cleanup and thread_listing (src/checkpoint/).
struct DynamoDbCheckpointer::Engine : detail::DynamoDbContext {};

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
  options_->store.ttl = ttl;
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
  options_->store.strict = strict;
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_compression(Compression compression) {
  options_->store.compression = compression;
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_incremental(bool incremental) {
  options_->store.incremental = incremental;
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_segment_cache_bytes(std::size_t bytes) {
  options_->segment_cache_bytes = bytes;
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_max_state_bytes(std::size_t bytes) {
  options_->store.max_state_bytes = bytes;
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_observer(
    std::function<void(const dynamodb::CallEvent&)> observer) {
  options_->client.observer = std::move(observer);
  return *this;
}
DynamoDbCheckpointer& DynamoDbCheckpointer::with_clock(
    std::function<std::chrono::system_clock::time_point()> clock) {
  options_->store.clock = std::move(clock);
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
    e->options = options_->store;
    if (options_->shared_client) {
      e->client = options_->shared_client;
    } else {
      auto created = dynamodb::DynamoDbClient::create(options_->client);
      if (!created.ok()) created.status().throw_if_error();
      e->client = std::move(*created);
    }
    if (options_->segment_cache_bytes > 0)
      e->cache = std::make_unique<detail::SegmentCache>(options_->segment_cache_bytes);
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

}  // namespace agents
