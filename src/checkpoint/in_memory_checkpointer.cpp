#include <deque>
#include <map>
#include <mutex>

#include "agents/checkpoint/checkpointer.hpp"
#include "checkpoint/item_layout.hpp"
#include "checkpoint/local_generation.hpp"

namespace agents {

struct InMemoryCheckpointer::Impl {
  struct Version {
    LoadedState loaded;  ///< storage_hint names save_id
    std::optional<ForkOrigin> forked_from;
  };
  struct Stored {
    Version current;
    std::string save_id;       ///< fresh for every save: a deleted and recreated thread is another save
    std::deque<Version> past;  ///< newest first, at most history.keep_last
  };
  LocalCheckpointerOptions options;
  std::mutex mu;
  std::map<std::string, Stored> threads;

  SavedState store(const std::string& thread_id, const AgentStateSnapshot& state,
                   const SavePrecondition& precondition, std::optional<ForkOrigin> origin) {
    std::lock_guard lock(mu);
    auto it = threads.find(thread_id);
    const bool exists = it != threads.end();
    const std::int64_t current = exists ? it->second.current.loaded.version : -1;
    detail::check_local_precondition(thread_id, precondition, current, exists ? it->second.save_id : "");
    Stored& slot = threads[thread_id];
    if (exists && options.history.enabled()) {
      slot.past.push_front(std::move(slot.current));
      if (slot.past.size() > options.history.keep_last) slot.past.resize(options.history.keep_last);
    }
    slot.save_id = detail::new_save_id();
    slot.current = Version{};
    slot.current.forked_from = std::move(origin);
    LoadedState& loaded = slot.current.loaded;
    loaded.state = state;
    loaded.version = std::max<std::int64_t>(current, 0) + 1;
    loaded.updated_at = rfc3339_utc(now_from(options.clock));
    loaded.storage_hint = detail::local_storage_hint(slot.save_id, loaded.version);
    return {loaded.version, loaded.storage_hint};
  }
};

InMemoryCheckpointer::InMemoryCheckpointer() : impl_(std::make_unique<Impl>()) {}
InMemoryCheckpointer::InMemoryCheckpointer(LocalCheckpointerOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}
InMemoryCheckpointer::~InMemoryCheckpointer() = default;

SavedState InMemoryCheckpointer::do_save(const std::string& thread_id, const AgentStateSnapshot& state,
                                         SavePrecondition precondition) {
  return impl_->store(thread_id, state, precondition, std::nullopt);
}

SavedState InMemoryCheckpointer::do_create_fork(const std::string& thread_id, const AgentStateSnapshot& state,
                                                const ForkOrigin& origin) {
  return impl_->store(thread_id, state, SavePrecondition::must_not_exist(), origin);
}

std::vector<VersionInfo> InMemoryCheckpointer::do_list_versions(const std::string& thread_id,
                                                                const ListVersionsOptions&) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->threads.find(thread_id);
  if (it == impl_->threads.end()) return {};
  std::vector<VersionInfo> out;
  const Impl::Version* newer = nullptr;
  auto add = [&](const Impl::Version& v) {
    const LoadedState& l = v.loaded;
    out.push_back({l.version, l.updated_at, l.state.messages.size(), encode_state_json(l.state).size(),
                   newer ? newer->loaded.version : 0, newer ? newer->loaded.updated_at : "", v.forked_from});
    newer = &v;
  };
  add(it->second.current);
  for (const auto& v : it->second.past) add(v);
  return out;
}

std::optional<LoadedState> InMemoryCheckpointer::do_load_version(const std::string& thread_id,
                                                                 std::int64_t version) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->threads.find(thread_id);
  if (it == impl_->threads.end()) return std::nullopt;
  if (it->second.current.loaded.version == version) return it->second.current.loaded;
  for (const auto& v : it->second.past) {
    if (v.loaded.version == version) return v.loaded;
  }
  return std::nullopt;
}

std::optional<LoadedState> InMemoryCheckpointer::do_load(const std::string& thread_id) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->threads.find(thread_id);
  if (it == impl_->threads.end()) return std::nullopt;
  return it->second.current.loaded;
}

bool InMemoryCheckpointer::do_delete(const std::string& thread_id) {
  std::lock_guard lock(impl_->mu);
  return impl_->threads.erase(thread_id) > 0;
}

std::vector<ThreadInfo> InMemoryCheckpointer::do_list() {
  std::lock_guard lock(impl_->mu);
  std::vector<ThreadInfo> out;
  for (const auto& [id, s] : impl_->threads)
    out.push_back({id, s.current.loaded.updated_at, s.current.loaded.version});
  return out;
}

}  // namespace agents
