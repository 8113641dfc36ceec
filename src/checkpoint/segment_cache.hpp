// History segments this process wrote or read, by item key, least recently used first out.
// Segments never change once written (every save attempt writes new keys), so an entry is never
// stale: a load that finds one skips reading and parsing that item.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "checkpoint/incremental_layout.hpp"

namespace agents::detail {

class SegmentCache {
 public:
  explicit SegmentCache(std::size_t capacity_bytes) : capacity_(capacity_bytes) {}

  std::shared_ptr<const DecodedSegment> find(const std::string& key);
  /// Keeps `segment` unless it alone is larger than the cache; evicts the least recently used.
  void put(const std::string& key, std::shared_ptr<const DecodedSegment> segment);
  std::size_t bytes() const;

 private:
  struct Entry {
    std::shared_ptr<const DecodedSegment> segment;
    std::list<std::string>::iterator position;  ///< in recency_, newest first
  };
  static std::size_t cost(const DecodedSegment& segment) {
    return segment.bytes + 64 * segment.messages.size();
  }

  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::size_t bytes_ = 0;
  std::list<std::string> recency_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace agents::detail
