// The deterministic interleaving explorer's scheduler (issue 15): every actor thread stops at
// gates (before a request is sent, after the server applied it, or before a checkpointer call)
// and only the scheduler lets one of them go on. After each grant it waits until the system is
// quiescent again (every thread at a gate, finished, or blocked on a sibling that is), so that
// a seed decides the order of every step.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "agents/http/http_client.hpp"

namespace agents::explorer {

enum class GateKind { kCall, kBefore, kAfter };

inline const char* gate_kind_name(GateKind kind) {
  switch (kind) {
    case GateKind::kCall:
      return "call";
    case GateKind::kBefore:
      return "send";
    case GateKind::kAfter:
      return "answer";
  }
  return "?";
}

/// What a gate is: the operation and, for writes, which item (head or extra) it addresses.
struct GateInfo {
  std::string label;        ///< e.g. "PutItem head", "load"
  bool head_write = false;  ///< a PutItem of the thread's head (no clock jump while one waits)
  bool droppable = false;   ///< the scheduler may drop it (a transport fault)
};

struct Step {
  int actor = 0;
  GateKind kind = GateKind::kCall;
  std::string label;
  bool dropped = false;
  std::int64_t clock = 0;  ///< fake seconds since the schedule began, after the grant
};

class Scheduler {
 public:
  struct Options {
    double drop_before = 0.0;  ///< chance a droppable request is never sent
    double drop_after = 0.0;   ///< chance a droppable applied request loses its answer
    int max_drops = 0;
    std::int64_t clock_step_seconds = 1;
    double clock_jump_chance = 0.0;
    std::int64_t clock_jump_seconds = 0;
    int max_clock_jumps = 0;
    std::chrono::milliseconds settle{1};           ///< quiet time that ends a step
    std::chrono::milliseconds sibling_wait{10};    ///< a thread may be joining its siblings
    std::chrono::milliseconds stuck_after{60000};  ///< no progress this long: the schedule hangs
    /// Exhaustive enumeration: decision k takes choice forced[k] (0 past its end) among every
    /// waiting gate in a fixed order, ignoring weights; no drops, no clock jumps.
    /// Chance that a writer's process dies just before it sends a head write: from then on its
    /// requests fail at once without being sent, so what it wrote before is left behind.
    double crash_chance = 0.0;
    std::set<int> crashable;  ///< the actors that may crash (writers)
    bool enumerate = false;
    std::vector<int> forced;
  };

  Scheduler(std::uint64_t seed, Options options, std::int64_t start_epoch)
      : rng_(seed), options_(options), start_(start_epoch), clock_(start_epoch) {}

  /// The fake clock every checkpointer of the schedule reads.
  std::function<std::chrono::system_clock::time_point()> clock() {
    return [this] { return std::chrono::system_clock::time_point(std::chrono::seconds(clock_.load())); };
  }
  std::int64_t now_seconds() const { return clock_.load(); }
  void advance_clock(std::int64_t seconds) { clock_ += seconds; }

  /// Actor weights bias the choice (a random weight per actor and schedule spreads the orders).
  void add_actor(int actor, int weight) {
    std::lock_guard lock(mu_);
    running_.insert(actor);
    arrivals_[actor] = 0;
    weights_[actor] = std::max(1, weight);
  }

  void add_crashable(int actor) {
    std::lock_guard lock(mu_);
    options_.crashable.insert(actor);
  }

  void actor_finished(int actor) {
    std::lock_guard lock(mu_);
    running_.erase(actor);
    ++events_;
    driver_cv_.notify_all();
  }

  /// Blocks the calling thread until granted; true when the scheduler dropped the request.
  bool gate(int actor, GateKind kind, const GateInfo& info) {
    std::unique_lock lock(mu_);
    if (crashed_.count(actor)) return true;
    if (free_run_) return false;
    if (kind == GateKind::kAfter && in_transit_ > 0) --in_transit_;
    Waiter w{actor, kind, info, seq_++};
    waiting_.push_back(&w);
    ++arrivals_[actor];
    ++events_;
    driver_cv_.notify_all();
    thread_cv_.wait(lock, [&] { return w.granted || free_run_; });
    waiting_.remove(&w);
    return w.drop;
  }

  /// Runs the schedule to its end: every actor finished (or stuck: then every gate opens).
  void run() {
    int last = -1;
    std::uint64_t arrivals_at_grant = 0;
    std::unique_lock lock(mu_);
    for (;;) {
      if (!wait_quiescent(lock, last, arrivals_at_grant)) return;
      if (waiting_.empty()) return;  // every actor finished
      Waiter* w = options_.enumerate ? choose_forced() : choose();
      bool drop = false;
      if (!options_.enumerate && w->info.droppable && drops_ < options_.max_drops) {
        double chance = w->kind == GateKind::kBefore  ? options_.drop_before
                        : w->kind == GateKind::kAfter ? options_.drop_after
                                                      : 0.0;
        drop = uniform() < chance;
        if (drop) ++drops_;
      }
      if (!options_.enumerate && crashed_.empty() && w->kind == GateKind::kBefore && w->info.head_write &&
          options_.crashable.count(w->actor) && uniform() < options_.crash_chance) {
        crashed_.insert(w->actor);
        drop = true;
      }
      if (w->kind == GateKind::kBefore && !drop) ++in_transit_;
      w->drop = drop;
      w->granted = true;
      waiting_.remove(w);
      tick_clock();
      steps_.push_back({w->actor, w->kind, w->info.label, drop, clock_.load() - start_});
      last = w->actor;
      arrivals_at_grant = arrivals_[last];
      thread_cv_.notify_all();
    }
  }

  /// Opens every gate from now on (after the schedule, for the final checks).
  void release_all() {
    std::lock_guard lock(mu_);
    free_run_ = true;
    thread_cv_.notify_all();
  }

  bool stuck() const { return stuck_; }
  bool crashed(int actor) const {
    std::lock_guard lock(mu_);
    return crashed_.count(actor) > 0;
  }
  /// Under `enumerate`: the choice taken at each decision and how many there were.
  const std::vector<int>& choices() const { return choices_; }
  const std::vector<int>& branching() const { return branching_; }
  const std::vector<Step>& steps() const { return steps_; }
  int drops() const { return drops_; }
  int clock_jumps() const { return jumps_; }
  double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }
  std::uint64_t next_random() { return rng_(); }

 private:
  struct Waiter {
    int actor;
    GateKind kind;
    GateInfo info;
    std::uint64_t seq;
    bool granted = false;
    bool drop = false;
  };

  bool has_waiter(int actor) const {
    return std::any_of(waiting_.begin(), waiting_.end(), [&](const Waiter* w) { return w->actor == actor; });
  }

  // Quiescent: no granted request on its way to the server, the actor last granted has moved
  // on (a new gate, or finished; a thread whose siblings wait at gates may be joining them, so
  // it gets only `sibling_wait`), every running actor has reached its first gate, and nothing
  // new arrived for `settle`.
  bool wait_quiescent(std::unique_lock<std::mutex>& lock, int last, std::uint64_t arrivals_at_grant) {
    const auto start = std::chrono::steady_clock::now();
    auto ready = [&] {
      if (in_transit_ > 0) return false;
      for (int a : running_)
        if (arrivals_[a] == 0) return false;
      if (last >= 0 && running_.count(last) && arrivals_[last] == arrivals_at_grant) {
        if (!has_waiter(last)) return false;
        if (std::chrono::steady_clock::now() - start < options_.sibling_wait) return false;
      }
      return !waiting_.empty() || running_.empty();
    };
    for (;;) {
      while (!ready()) {
        if (std::chrono::steady_clock::now() - start > options_.stuck_after) {
          stuck_ = true;
          free_run_ = true;
          thread_cv_.notify_all();
          return false;
        }
        driver_cv_.wait_for(lock, std::chrono::milliseconds(1));
      }
      const std::uint64_t events = events_;
      (void)driver_cv_.wait_for(lock, options_.settle, [&] { return events_ != events; });
      if (events_ == events && ready()) return true;
    }
  }

  // An actor by weight among those with a waiting gate, then one of its gates (the oldest
  // first in order, so that the same seed makes the same choice when the same gates wait).
  Waiter* choose() {
    std::map<int, std::vector<Waiter*>> by_actor;
    for (Waiter* w : waiting_) by_actor[w->actor].push_back(w);
    int total = 0;
    for (const auto& entry : by_actor) total += weights_[entry.first];
    int pick = static_cast<int>(next_random() % static_cast<std::uint64_t>(total));
    for (auto& entry : by_actor) {
      pick -= weights_[entry.first];
      if (pick >= 0) continue;
      auto& ws = entry.second;
      std::sort(ws.begin(), ws.end(), canonical_order);
      return ws[next_random() % ws.size()];
    }
    return waiting_.front();
  }

  static bool canonical_order(const Waiter* a, const Waiter* b) {
    if (a->actor != b->actor) return a->actor < b->actor;
    if (a->kind != b->kind) return a->kind > b->kind;
    if (a->info.label != b->info.label) return a->info.label < b->info.label;
    return a->seq < b->seq;
  }

  Waiter* choose_forced() {
    std::vector<Waiter*> all(waiting_.begin(), waiting_.end());
    std::sort(all.begin(), all.end(), canonical_order);
    const std::size_t k = choices_.size();
    int pick = k < options_.forced.size() ? options_.forced[k] : 0;
    if (pick >= static_cast<int>(all.size()))
      pick = static_cast<int>(all.size()) - 1;  // not replayed exactly
    choices_.push_back(pick);
    branching_.push_back(static_cast<int>(all.size()));
    return all[static_cast<std::size_t>(pick)];
  }

  // Time moves on a little every step, and now and then by more than a save's deadline, but
  // never while a head write waits to be sent: the library checks its deadline just before
  // that write, and no library can bound a pause between its check and the send.
  void tick_clock() {
    clock_ += options_.clock_step_seconds;
    if (options_.enumerate || jumps_ >= options_.max_clock_jumps || uniform() >= options_.clock_jump_chance)
      return;
    bool head_pending = std::any_of(waiting_.begin(), waiting_.end(), [](const Waiter* w) {
      return w->kind == GateKind::kBefore && w->info.head_write;
    });
    if (head_pending) return;
    clock_ += options_.clock_jump_seconds;
    ++jumps_;
  }

  std::mt19937_64 rng_;
  Options options_;
  std::int64_t start_;
  std::atomic<std::int64_t> clock_;
  mutable std::mutex mu_;
  std::condition_variable thread_cv_, driver_cv_;
  std::list<Waiter*> waiting_;
  std::set<int> running_, crashed_;
  std::map<int, std::uint64_t> arrivals_;
  std::map<int, int> weights_;
  std::uint64_t seq_ = 0, events_ = 0;
  int in_transit_ = 0, drops_ = 0, jumps_ = 0;
  bool free_run_ = false, stuck_ = false;
  std::vector<Step> steps_;
  std::vector<int> choices_, branching_;
};

/// One actor's view of the shared transport: every request waits at the scheduler before it is
/// sent and again after the answer came back (the server applied it), where the scheduler may
/// drop it: the caller sees a transient transport fault whose outcome is unknown.
class SchedulingHttpClient final : public http::HttpClient {
 public:
  SchedulingHttpClient(std::shared_ptr<http::HttpClient> inner, Scheduler& scheduler, int actor,
                       std::string thread_id)
      : inner_(std::move(inner)), scheduler_(scheduler), actor_(actor), thread_id_(std::move(thread_id)) {}

  StatusOr<http::Response> send(const http::Request& request) override {
    GateInfo info = describe(request);
    if (scheduler_.gate(actor_, GateKind::kBefore, info)) {
      // A dead process sends nothing more; its client sees a fault not worth retrying.
      if (scheduler_.crashed(actor_))
        return Status(ErrorCode::kConnectionFailed, "explorer: the writer's process died");
      return dropped("before it was sent");
    }
    auto response = inner_->send(request);
    if (scheduler_.gate(actor_, GateKind::kAfter, info)) return dropped("after the server applied it");
    return response;
  }

 private:
  static Status dropped(const std::string& when) {
    return Status(ErrorCode::kConnectionFailed, "explorer: connection reset " + when,
                  ErrorDetails{.transient = true, .outcome_unknown = true});
  }

  // "PutItem head", "PutItem chunk", "DeleteItem seg", "GetItem", ...: from the target header
  // and the item key in the body (the only thread_id a PutItem or DeleteItem body names).
  GateInfo describe(const http::Request& request) const {
    GateInfo info;
    const std::string* target =
        request.headers.empty() ? nullptr : http::find_header(request.headers, "X-Amz-Target");
    std::string op = target ? target->substr(target->find('.') + 1) : request.method;
    info.label = op;
    if (op == "PutItem" || op == "DeleteItem" || op == "UpdateItem") {
      const std::string marker = "\"thread_id\":{\"S\":\"";
      auto at = request.body.find(marker);
      if (at != std::string::npos) {
        auto end = request.body.find('"', at + marker.size());
        std::string key = request.body.substr(at + marker.size(), end - at - marker.size());
        const bool head = key == thread_id_;
        const char* what = head                                       ? " head"
                           : key.find("#chunk#") != std::string::npos ? " chunk"
                           : key.find("#seg#") != std::string::npos   ? " seg"
                                                                      : " other";
        info.label += what;
        info.head_write = head && op == "PutItem";
      }
      info.droppable = true;
    } else {
      info.droppable = true;  // reads retry too; dropping one shows they do
    }
    return info;
  }

  std::shared_ptr<http::HttpClient> inner_;
  Scheduler& scheduler_;
  int actor_;
  std::string thread_id_;
};

}  // namespace agents::explorer
