// Agent state in Amazon DynamoDB (docs/item-layout.md, docs/concurrency.md): one item per thread in the Rust
// crate's format, conditional saves, compressed and chunked states beyond 400 KB.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agents/aws/credentials.hpp"
#include "agents/aws/retry.hpp"
#include "agents/checkpoint/checkpointer.hpp"
#include "agents/core/clock.hpp"
#include "agents/dynamodb/global_tables.hpp"
#include "agents/export.hpp"

namespace agents::http {
class HttpClient;
}
namespace agents::dynamodb {
class DynamoDbClient;
struct CallEvent;
}  // namespace agents::dynamodb

namespace agents {

/// When saves compress the state (zstd, in a binary `state_zstd` attribute).
enum class Compression {
  kAuto,    ///< only states that do not fit one plain item (the Rust crate reads the rest)
  kAlways,  ///< every save: fewer write units, but the Rust crate cannot read such items
};

/// Everything a DynamoDbCheckpointer is configured with. Set fields or chain `with_*`, then pass
/// it to the constructor; empty fields take the AWS defaults (region, endpoint and credentials
/// resolved as the AWS CLI does: docs/credentials-and-regions.md).
struct AGENTS_API DynamoDbCheckpointerOptions {
  std::string region;
  std::string endpoint;  ///< e.g. http://localhost:8000 for DynamoDB Local
  std::string profile;
  std::shared_ptr<aws::CredentialsProvider> credentials;  ///< empty: the default chain
  aws::RetryOptions retry;
  std::shared_ptr<http::HttpClient> http;  ///< empty: a libcurl client
  /// Receives one event per DynamoDB call (operation, latency, bytes, capacity, retries).
  std::function<void(const dynamodb::CallEvent&)> observer;
  /// An existing client (shares its connections, credentials and retry quota); when set, the
  /// fields above are not used.
  std::shared_ptr<dynamodb::DynamoDbClient> client;
  /// Threads expire this long after their last save (DynamoDB TTL on `ttl`); positive.
  std::optional<std::chrono::seconds> ttl;
  /// A save without a precondition must create the thread (never blindly overwrite).
  bool strict_concurrency = false;
  Compression compression = Compression::kAuto;
  /// Incremental saves (docs/item-layout.md): the message history is stored as append-only
  /// segment items and a save writes only the messages added since the load, so a turn's cost
  /// does not grow with the conversation. Off by default: the Rust crate cannot read such
  /// threads. Loads read every layout whichever way this is set; the next save writes this one.
  bool incremental = false;
  /// Keeps up to this many bytes of history segments this checkpointer wrote or read (least
  /// recently used out), so that a later load of the thread reads the head and only the segments
  /// it has not seen: a warm Lambda worker or a chat loop reloads a long thread in about one
  /// GetItem. Segments never change once written, so a kept one is never stale. 0: off.
  std::size_t segment_cache_bytes = 0;
  /// Largest state (uncompressed JSON bytes) a save accepts; larger ones fail before any write.
  std::size_t max_state_bytes = 32 * 1024 * 1024;
  /// Keep past versions readable (docs/history.md): list_versions, load_version, fork. Off by
  /// default (the seed's items and costs). At most kMaxKeepLast. Every writer of a thread should
  /// have it on: a save without it drops the history it replaces.
  HistoryOptions history;
  /// The clock behind expiry (`ttl`), write times (`updated_at`) and the save deadline; empty:
  /// the system clock. For tests and simulations that move time on without waiting. Requests are
  /// signed with the client's clock, not this one, so a clock moved ahead cannot break signing.
  WallClock clock;
  /// A global table's Regions to fail over between, home first (docs/global-tables.md#region-failover);
  /// empty: the one Region above. `region` and `endpoint`, when set, are the home Region's.
  dynamodb::RegionFailoverOptions failover;

  DynamoDbCheckpointerOptions& with_region(std::string value);
  DynamoDbCheckpointerOptions& with_endpoint(std::string value);
  DynamoDbCheckpointerOptions& with_profile(std::string value);
  DynamoDbCheckpointerOptions& with_credentials(std::shared_ptr<aws::CredentialsProvider> value);
  DynamoDbCheckpointerOptions& with_retry(aws::RetryOptions value);
  DynamoDbCheckpointerOptions& with_http_client(std::shared_ptr<http::HttpClient> value);
  DynamoDbCheckpointerOptions& with_observer(std::function<void(const dynamodb::CallEvent&)> value);
  DynamoDbCheckpointerOptions& with_client(std::shared_ptr<dynamodb::DynamoDbClient> value);
  template <typename Rep, typename Period>
  DynamoDbCheckpointerOptions& with_ttl(std::chrono::duration<Rep, Period> value) {
    ttl = std::chrono::duration_cast<std::chrono::seconds>(value);
    return *this;
  }
  DynamoDbCheckpointerOptions& with_strict_concurrency(bool value);
  DynamoDbCheckpointerOptions& with_compression(Compression value);
  DynamoDbCheckpointerOptions& with_incremental(bool value);
  DynamoDbCheckpointerOptions& with_segment_cache_bytes(std::size_t value);
  DynamoDbCheckpointerOptions& with_max_state_bytes(std::size_t value);
  DynamoDbCheckpointerOptions& with_clock(WallClock value);
  /// history.keep_last = keep_last: the current version and up to `keep_last` before it.
  DynamoDbCheckpointerOptions& with_history(std::size_t keep_last);
  /// failover.regions = regions (home first); the rest of `failover` as it is.
  DynamoDbCheckpointerOptions& with_regions(std::vector<std::string> regions);
  DynamoDbCheckpointerOptions& with_failover(dynamodb::RegionFailoverOptions value);

  /// The most past versions a thread keeps (its head names each one).
  static constexpr std::size_t kMaxKeepLast = 100;
};

/// What a sweep of expired items (DynamoDbCheckpointer::sweep_expired) did so far.
struct SweepReport {
  std::size_t items_scanned = 0;  ///< items the Scan returned (those past the cutoff)
  std::size_t expired_found = 0;
  std::size_t deleted = 0;
  /// Found expired, then saved again (a later `ttl`) before its delete: left in place.
  std::size_t renewed = 0;
  double consumed_capacity = 0;            ///< read and write units, as DynamoDB reported them
  std::chrono::milliseconds paced_for{0};  ///< waited to stay within the capacity budget
  std::int64_t cutoff_epoch = 0;           ///< items with `ttl` below this were expired
  std::chrono::milliseconds duration{0};
};
struct SweepProgress {
  SweepReport report;  ///< totals so far
  int segments_done = 0;
  int segments = 0;
};
/// How sweep_expired scans and how fast it may go.
struct SweepOptions {
  int parallel_segments = 4;  ///< Scan segments, each on its own thread (1..64)
  /// Consumed capacity (read + write units) per second, over all segments; 0: no limit.
  double max_capacity_units_per_second = 0;
  /// Items expired less than this long ago are left for a later sweep. 0 deletes exactly what
  /// loads already treat as absent.
  std::chrono::seconds grace{0};
  /// Called after every Scan page and its deletes (one call at a time).
  std::function<void(const SweepProgress&)> on_progress;
  Sleeper sleeper;  ///< how pacing waits; empty: this thread sleeps
};

/// Configuration (docs/adr/0007-configuration.md): options at construction,
///   DynamoDbCheckpointer cp("t", DynamoDbCheckpointerOptions().with_region("eu-west-1"));
/// or, as in the quick start, `with_*` on the checkpointer before its first use. A `with_*`
/// after the first save, load, delete or list throws InvalidArgumentError: the settings are
/// fixed then and would otherwise be silently ignored.
/// Thread safety: safe to share between threads once configured. No request is made until the
/// first save or load (no DescribeTable at start).
/// Performance: a plain state costs one consistent GetItem per load and one PutItem per save.
class AGENTS_API DynamoDbCheckpointer final : public Checkpointer {
 public:
  /// InvalidArgumentError for a table name DynamoDB would refuse or options that cannot work
  /// (a TTL that is not positive).
  explicit DynamoDbCheckpointer(std::string table_name, DynamoDbCheckpointerOptions options = {});
  ~DynamoDbCheckpointer() override;

  DynamoDbCheckpointer& with_region(std::string region);
  DynamoDbCheckpointer& with_endpoint(std::string endpoint_url);
  /// Threads expire this long after their last save (DynamoDB TTL on `ttl`); whole seconds.
  template <typename Rep, typename Period>
  DynamoDbCheckpointer& with_ttl(std::chrono::duration<Rep, Period> ttl) {
    return with_ttl_seconds(std::chrono::duration_cast<std::chrono::seconds>(ttl));
  }
  DynamoDbCheckpointer& with_profile(std::string profile);
  DynamoDbCheckpointer& with_credentials(std::shared_ptr<aws::CredentialsProvider> credentials);
  DynamoDbCheckpointer& with_retry(aws::RetryOptions retry);
  DynamoDbCheckpointer& with_http_client(std::shared_ptr<http::HttpClient> http);
  DynamoDbCheckpointer& with_strict_concurrency(bool strict);
  DynamoDbCheckpointer& with_compression(Compression compression);
  DynamoDbCheckpointer& with_incremental(bool incremental);
  DynamoDbCheckpointer& with_segment_cache_bytes(std::size_t bytes);
  DynamoDbCheckpointer& with_max_state_bytes(std::size_t bytes);
  DynamoDbCheckpointer& with_observer(std::function<void(const dynamodb::CallEvent&)> observer);
  DynamoDbCheckpointer& with_client(std::shared_ptr<dynamodb::DynamoDbClient> client);
  DynamoDbCheckpointer& with_clock(WallClock clock);
  DynamoDbCheckpointer& with_history(std::size_t keep_last);
  /// Loads (and, on a strongly consistent table, saves) move to the next Region when home fails.
  DynamoDbCheckpointer& with_regions(std::vector<std::string> regions);
  DynamoDbCheckpointer& with_failover(dynamodb::RegionFailoverOptions failover);

  /// The options in force (those given at construction plus every `with_*` since).
  const DynamoDbCheckpointerOptions& options() const { return *options_; }
  const std::string& table_name() const { return table_; }
  /// The client, created on first use from the options above.
  std::shared_ptr<dynamodb::DynamoDbClient> client();

  /// A save that has not written its head this long after its first chunk or segment write
  /// gives up (TimeoutError; nothing is stored) instead of naming items the cleanup may take.
  static constexpr std::chrono::seconds kSaveDeadline{600};
  /// How old an unreferenced chunk or segment must be before the cleanup removes it.
  static constexpr std::chrono::seconds kDefaultCleanupGrace{3600};

  /// Removes the chunk and segment items of `thread_id` that the stored head does not name and
  /// that were written more than `grace` ago (left by a crash mid-save, or by a delete that
  /// failed half way). Safe at any time on live threads: a save in flight is never older than
  /// kSaveDeadline, so `grace` must be longer (InvalidArgumentError otherwise); the head is read
  /// after the scan, so a save that lands during the cleanup keeps its items. Scans the table:
  /// an occasional maintenance call, not part of the common path. Returns how many it removed.
  std::size_t remove_orphaned_chunks_and_segments(std::string_view thread_id,
                                                  std::chrono::seconds grace = kDefaultCleanupGrace);

  /// Deletes every item of the table (heads, chunks, segments, version items) whose `ttl` is
  /// past, as DynamoDB's TTL would: for tables without TTL, such as multi-Region strongly
  /// consistent ones, which do not support it (docs/ttl.md). A parallel Scan, then one DeleteItem
  /// per expired item on the condition that its `ttl` is still past, so that a thread saved
  /// again meanwhile keeps everything it names. Safe on live tables; costs a full Scan's reads.
  SweepReport sweep_expired(const SweepOptions& options = {});

 protected:
  SavedState do_save(const std::string& thread_id, const AgentStateSnapshot& state,
                     SavePrecondition precondition) override;
  std::optional<LoadedState> do_load(const std::string& thread_id) override;
  bool do_delete(const std::string& thread_id) override;
  std::vector<ThreadInfo> do_list() override;
  std::vector<VersionInfo> do_list_versions(const std::string& thread_id,
                                            const ListVersionsOptions& options) override;
  std::optional<LoadedState> do_load_version(const std::string& thread_id, std::int64_t version) override;
  SavedState do_create_fork(const std::string& thread_id, const AgentStateSnapshot& state,
                            const ForkOrigin& origin) override;

 private:
  DynamoDbCheckpointer& with_ttl_seconds(std::chrono::seconds ttl);
  /// The options, for a `with_*`; InvalidArgumentError naming `setter` once in use.
  DynamoDbCheckpointerOptions& configurable(const char* setter);
  struct Engine;
  Engine& engine();

  std::string table_;
  std::unique_ptr<DynamoDbCheckpointerOptions> options_;
  std::atomic<bool> in_use_{false};
  std::once_flag engine_once_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace agents
