#include <map>
#include <mutex>

#include "agents/checkpoint/checkpointer.hpp"
#include "checkpoint/conflict.hpp"

namespace agents {

struct InMemoryCheckpointer::Impl {
  std::mutex mu;
  std::map<std::string, LoadedState> threads;
};

InMemoryCheckpointer::InMemoryCheckpointer() : impl_(std::make_unique<Impl>()) {}
InMemoryCheckpointer::~InMemoryCheckpointer() = default;

SavedState InMemoryCheckpointer::do_save(const std::string& thread_id, const AgentStateSnapshot& state,
                                         SavePrecondition precondition) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->threads.find(thread_id);
  std::int64_t current = it == impl_->threads.end() ? -1 : it->second.version;
  if (!detail::precondition_holds(precondition, current))
    detail::throw_conflict(thread_id, precondition, current);
  LoadedState& slot = impl_->threads[thread_id];
  slot.state = state;
  slot.version = std::max<std::int64_t>(current, 0) + 1;
  slot.updated_at = rfc3339_now();
  return {slot.version, ""};
}

std::optional<LoadedState> InMemoryCheckpointer::do_load(const std::string& thread_id) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->threads.find(thread_id);
  if (it == impl_->threads.end()) return std::nullopt;
  return it->second;
}

bool InMemoryCheckpointer::do_delete(const std::string& thread_id) {
  std::lock_guard lock(impl_->mu);
  return impl_->threads.erase(thread_id) > 0;
}

std::vector<ThreadInfo> InMemoryCheckpointer::do_list() {
  std::lock_guard lock(impl_->mu);
  std::vector<ThreadInfo> out;
  for (const auto& [id, s] : impl_->threads) out.push_back({id, s.updated_at, s.version});
  return out;
}

}  // namespace agents
