// Agent state in Amazon DynamoDB (docs/item-layout.md, docs/concurrency.md): one item per thread in the Rust
// crate's format, conditional saves, compressed and chunked states beyond 400 KB.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "agents/aws/credentials.hpp"
#include "agents/aws/retry.hpp"
#include "agents/checkpoint/checkpointer.hpp"

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

/// Thread safety: safe to share between threads once configured; configure (`with_*`) before
/// the first call. No request is made until the first save or load (no DescribeTable at start).
/// Performance: a plain state costs one consistent GetItem per load and one PutItem per save.
class DynamoDbCheckpointer final : public Checkpointer {
 public:
  explicit DynamoDbCheckpointer(std::string table_name);
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
  /// Strict: a save without a precondition must create the thread (never blindly overwrite).
  DynamoDbCheckpointer& with_strict_concurrency(bool strict);
  DynamoDbCheckpointer& with_compression(Compression compression);
  /// Incremental saves (docs/item-layout.md): the message history is stored as append-only
  /// segment items and a save writes only the messages added since the load, so a turn's cost
  /// does not grow with the conversation. Off by default: the Rust crate cannot read such
  /// threads. Loads read every layout whichever way this is set; the next save writes this one.
  DynamoDbCheckpointer& with_incremental(bool incremental);
  /// Keeps up to `bytes` of history segments this checkpointer wrote or read (least recently
  /// used out), so that a later load of the thread reads the head and only the segments it has
  /// not seen: a warm Lambda worker or a chat loop reloads a long thread in about one GetItem.
  /// Segments never change once written, so a kept one is never stale. 0 (the default): off.
  DynamoDbCheckpointer& with_segment_cache_bytes(std::size_t bytes);
  /// Largest state (uncompressed JSON bytes) a save accepts; larger ones fail before any write.
  DynamoDbCheckpointer& with_max_state_bytes(std::size_t bytes);
  /// Receives one event per DynamoDB call (operation, latency, bytes, capacity, retries).
  DynamoDbCheckpointer& with_observer(std::function<void(const dynamodb::CallEvent&)> observer);
  /// Uses an existing client (shares its connections, credentials and retry quota).
  DynamoDbCheckpointer& with_client(std::shared_ptr<dynamodb::DynamoDbClient> client);

  const std::string& table_name() const { return table_; }
  /// The client, created on first use from the options above.
  std::shared_ptr<dynamodb::DynamoDbClient> client();

  /// The clock behind expiry (`ttl`), write times and the save deadline; the system clock by
  /// default. For tests and simulations that move time on without waiting.
  DynamoDbCheckpointer& with_clock(std::function<std::chrono::system_clock::time_point()> clock);

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

 protected:
  SavedState do_save(const std::string& thread_id, const AgentStateSnapshot& state,
                     SavePrecondition precondition) override;
  std::optional<LoadedState> do_load(const std::string& thread_id) override;
  bool do_delete(const std::string& thread_id) override;
  std::vector<ThreadInfo> do_list() override;

 private:
  DynamoDbCheckpointer& with_ttl_seconds(std::chrono::seconds ttl);
  struct Options;
  struct Engine;
  Engine& engine();

  std::string table_;
  std::unique_ptr<Options> options_;
  std::once_flag engine_once_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace agents
