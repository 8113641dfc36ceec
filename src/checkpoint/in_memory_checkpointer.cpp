#include <map>
#include <mutex>

#include "agents/checkpoint/checkpointer.hpp"
#include "checkpoint/item_layout.hpp"
#include "checkpoint/local_generation.hpp"

namespace agents {

struct InMemoryCheckpointer::Impl {
  struct Stored {
    LoadedState loaded;   ///< storage_hint names save_id
    std::string save_id;  ///< fresh for every save: a deleted and recreated thread is another save
  };
  LocalCheckpointerOptions options;
  std::mutex mu;
  std::map<std::string, Stored> threads;
};

InMemoryCheckpointer::InMemoryCheckpointer() : impl_(std::make_unique<Impl>()) {}
InMemoryCheckpointer::InMemoryCheckpointer(LocalCheckpointerOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}
InMemoryCheckpointer::~InMemoryCheckpointer() = default;

SavedState InMemoryCheckpointer::do_save(const std::string& thread_id, const AgentStateSnapshot& state,
                                         SavePrecondition precondition) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->threads.find(thread_id);
  const bool exists = it != impl_->threads.end();
  const std::int64_t current = exists ? it->second.loaded.version : -1;
  detail::check_local_precondition(thread_id, precondition, current, exists ? it->second.save_id : "");
  Impl::Stored& slot = impl_->threads[thread_id];
  slot.save_id = detail::new_save_id();
  slot.loaded.state = state;
  slot.loaded.version = std::max<std::int64_t>(current, 0) + 1;
  slot.loaded.updated_at = rfc3339_utc(now_from(impl_->options.clock));
  slot.loaded.storage_hint = detail::local_storage_hint(slot.save_id, slot.loaded.version);
  return {slot.loaded.version, slot.loaded.storage_hint};
}

std::optional<LoadedState> InMemoryCheckpointer::do_load(const std::string& thread_id) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->threads.find(thread_id);
  if (it == impl_->threads.end()) return std::nullopt;
  return it->second.loaded;
}

bool InMemoryCheckpointer::do_delete(const std::string& thread_id) {
  std::lock_guard lock(impl_->mu);
  return impl_->threads.erase(thread_id) > 0;
}

std::vector<ThreadInfo> InMemoryCheckpointer::do_list() {
  std::lock_guard lock(impl_->mu);
  std::vector<ThreadInfo> out;
  for (const auto& [id, s] : impl_->threads) out.push_back({id, s.loaded.updated_at, s.loaded.version});
  return out;
}

}  // namespace agents
