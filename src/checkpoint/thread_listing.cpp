#include "checkpoint/thread_listing.hpp"

#include <charconv>

namespace agents::detail {

using V = dynamodb::AttributeValue;

std::vector<ThreadInfo> list_threads(const DynamoDbContext& db) {
  dynamodb::QueryRequest scan{
      .table = db.table,
      .filter = "attribute_not_exists(chunk_of) AND (attribute_not_exists(#ttl) OR #ttl >= :now)",
      .projection = "thread_id, updated_at, #v",
      .attributes = {{{"#ttl", attr::kTtl}, {"#v", attr::kVersion}}, {{":now", V::N(db.now_epoch())}}},
      .total_segments = 2};
  auto items = value_or_throw(db.client->scan_all(scan));
  std::vector<ThreadInfo> out;
  out.reserve(items.size());
  for (const auto& item : items) {
    // An item read back without its key (a damaged answer) has no thread to list; the rest do.
    auto key = item.find(attr::kThreadId);
    if (key == item.end()) continue;
    ThreadInfo info;
    info.thread_id = key->second.scalar();
    if (auto it = item.find(attr::kUpdatedAt); it != item.end()) info.updated_at = it->second.scalar();
    if (auto it = item.find(attr::kVersion); it != item.end() && it->second.is(V::Type::kN)) {
      // A damaged version lists as 0 rather than hiding every other thread.
      const std::string& v = it->second.scalar();
      std::from_chars(v.data(), v.data() + v.size(), info.version);
    }
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace agents::detail
