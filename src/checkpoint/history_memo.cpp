#include "checkpoint/history_memo.hpp"

namespace agents::detail {

void HistoryMemos::erase(std::unordered_map<std::string, Entry>::iterator it) {
  bytes_ -= it->second.memo->json_bytes;
  recency_.erase(it->second.position);
  entries_.erase(it);
}

std::unique_ptr<HistoryMemo> HistoryMemos::take(const std::string& thread_id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(thread_id);
  if (it == entries_.end()) return nullptr;
  auto memo = std::move(it->second.memo);
  bytes_ -= memo->json_bytes;
  recency_.erase(it->second.position);
  entries_.erase(it);
  return memo;
}

void HistoryMemos::put(const std::string& thread_id, std::unique_ptr<HistoryMemo> memo) {
  if (!memo || memo->json_bytes > budget_) return;
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(thread_id); it != entries_.end()) erase(it);
  while (!recency_.empty() && bytes_ + memo->json_bytes > budget_) erase(entries_.find(recency_.back()));
  recency_.push_front(thread_id);
  bytes_ += memo->json_bytes;
  entries_.emplace(thread_id, Entry{std::move(memo), recency_.begin()});
}

}  // namespace agents::detail
