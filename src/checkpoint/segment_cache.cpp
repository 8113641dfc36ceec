#include "checkpoint/segment_cache.hpp"

namespace agents::detail {

std::shared_ptr<const DecodedSegment> SegmentCache::find(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  recency_.splice(recency_.begin(), recency_, it->second.position);
  return it->second.segment;
}

void SegmentCache::put(const std::string& key, std::shared_ptr<const DecodedSegment> segment) {
  const std::size_t size = cost(*segment);
  if (size > capacity_) return;
  std::lock_guard lock(mu_);
  if (entries_.count(key)) return;  // the same immutable segment
  while (bytes_ + size > capacity_ && !recency_.empty()) {
    auto oldest = entries_.find(recency_.back());
    bytes_ -= cost(*oldest->second.segment);
    entries_.erase(oldest);
    recency_.pop_back();
  }
  recency_.push_front(key);
  entries_.emplace(key, Entry{std::move(segment), recency_.begin()});
  bytes_ += size;
}

std::size_t SegmentCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace agents::detail
