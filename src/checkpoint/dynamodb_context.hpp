// What every part of the DynamoDB checkpointer works with (head_reader, save_protocol,
// state_loader, cleanup, thread_listing): the table, its client, the settings fixed when the
// checkpointer is first used, and the segment cache. DynamoDbCheckpointer::Engine is one of these.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "agents/core/clock.hpp"
#include "agents/dynamodb/client.hpp"
#include "checkpoint/history_memo.hpp"
#include "checkpoint/segment_cache.hpp"
#include "checkpoint/stored_attributes.hpp"

namespace agents::detail {

struct DynamoDbContext {
  std::string table;
  DynamoDbCheckpointerOptions options;  ///< as they were at the first use (fixed from then on)
  std::shared_ptr<dynamodb::DynamoDbClient> client;
  std::unique_ptr<SegmentCache> cache;  ///< with_segment_cache_bytes > 0
  std::unique_ptr<HistoryMemos> memos;  ///< incremental saves

  std::chrono::system_clock::time_point now() const { return now_from(options.clock); }
  std::int64_t now_epoch() const {
    return std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count();
  }
};

template <typename T>
T value_or_throw(StatusOr<T> result) {
  if (!result.ok()) result.status().throw_if_error();
  return std::move(*result);
}

/// The key of a head (a thread id) or of a chunk or segment (chunk_key, segment_key).
inline dynamodb::Item key_of(const std::string& thread_id) {
  return {{attr::kThreadId, dynamodb::AttributeValue::S(thread_id)}};
}

}  // namespace agents::detail
