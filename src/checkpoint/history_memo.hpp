// What the last save of each thread encoded (HistoryMemo), kept by a DynamoDB checkpointer in
// the incremental layout so that its next save of the thread encodes and hashes only the new
// messages. Taken out for a save (one save of a thread at a time uses it) and put back once the
// save landed; least recently used threads go first beyond the budget.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "checkpoint/incremental_layout.hpp"

namespace agents::detail {

class HistoryMemos {
 public:
  /// Bytes of message JSON kept (the messages themselves take about as much again).
  static constexpr std::size_t kDefaultBudgetBytes = 8u << 20;
  explicit HistoryMemos(std::size_t budget_bytes = kDefaultBudgetBytes) : budget_(budget_bytes) {}

  /// The thread's memo, removed (nullptr when there is none).
  std::unique_ptr<HistoryMemo> take(const std::string& thread_id);
  /// Keeps `memo` for the thread (replacing any) unless it alone is beyond the budget.
  void put(const std::string& thread_id, std::unique_ptr<HistoryMemo> memo);

 private:
  struct Entry {
    std::unique_ptr<HistoryMemo> memo;
    std::list<std::string>::iterator position;  ///< in recency_, newest first
  };
  void erase(std::unordered_map<std::string, Entry>::iterator it);

  const std::size_t budget_;
  std::mutex mu_;
  std::size_t bytes_ = 0;
  std::list<std::string> recency_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace agents::detail
