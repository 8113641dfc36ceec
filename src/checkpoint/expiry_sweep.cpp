#include "checkpoint/expiry_sweep.hpp"

#include <algorithm>
#include <future>
#include <mutex>
#include <thread>

#include "agents/core/error.hpp"

namespace agents::detail {

namespace {

using V = dynamodb::AttributeValue;
using Steady = std::chrono::steady_clock;

// Paces every segment's calls to `units_per_second` of consumed capacity in total: a call may
// spend what the rate has earned since the start plus one second of burst, and waits otherwise.
class CapacityBudget {
 public:
  explicit CapacityBudget(double units_per_second) : rate_(units_per_second), started_(Steady::now()) {}

  // Records `units` and returns how long the caller must wait before its next call.
  std::chrono::milliseconds spend(double units) {
    if (rate_ <= 0) return std::chrono::milliseconds(0);
    std::lock_guard lock(mu_);
    spent_ += units;
    const double earned = rate_ * (seconds_since_start() + 1.0);
    if (spent_ <= earned) return std::chrono::milliseconds(0);
    return std::chrono::milliseconds(static_cast<long long>((spent_ - earned) / rate_ * 1000.0) + 1);
  }

 private:
  double seconds_since_start() const {
    return std::chrono::duration<double>(Steady::now() - started_).count();
  }
  double rate_;
  Steady::time_point started_;
  std::mutex mu_;
  double spent_ = 0;
};

// The report all segments add to, and the progress callback, called one at a time.
class SharedReport {
 public:
  explicit SharedReport(const SweepOptions& options) : options_(options) {}

  void add(const SweepReport& part, bool segment_done) {
    std::lock_guard lock(mu_);
    total_.items_scanned += part.items_scanned;
    total_.expired_found += part.expired_found;
    total_.deleted += part.deleted;
    total_.renewed += part.renewed;
    total_.consumed_capacity += part.consumed_capacity;
    total_.paced_for += part.paced_for;
    if (segment_done) ++segments_done_;
    if (options_.on_progress) {
      SweepProgress progress{.report = total_,
                             .segments_done = segments_done_,
                             .segments = std::max(1, options_.parallel_segments)};
      options_.on_progress(progress);
    }
  }
  SweepReport total() const {
    std::lock_guard lock(mu_);
    return total_;
  }

 private:
  const SweepOptions& options_;
  mutable std::mutex mu_;
  SweepReport total_;
  int segments_done_ = 0;
};

// A capacity figure for pacing: what DynamoDB reported, or one unit for a server that reports
// none (dynalite), so that a budget still paces.
double units_of(double reported) { return reported > 0 ? reported : 1.0; }

void sweep_segment(const DynamoDbContext& db, const SweepOptions& options, int segment, int segments,
                   std::int64_t cutoff, CapacityBudget& budget, SharedReport& shared) {
  dynamodb::QueryRequest scan{.table = db.table,
                              // Only the key and the expiry: the Scan's read units are charged on whole items
                              // anyway, but the answer stays small.
                              .filter = "#ttl < :cutoff",
                              .projection = "thread_id, #ttl",
                              .attributes = {{{"#ttl", attr::kTtl}}, {{":cutoff", V::N(cutoff)}}},
                              .segment = segment,
                              .total_segments = segments > 1 ? segments : 0,
                              .return_consumed_capacity = true};  // the budget counts it
  auto pace = [&](double reported, SweepReport& part) {
    auto wait = budget.spend(units_of(reported));
    if (wait.count() > 0) {
      sleep_with(options.sleeper, wait);
      part.paced_for += wait;
    }
  };
  while (true) {
    SweepReport part;
    auto page = value_or_throw(db.client->scan(scan));
    part.consumed_capacity += page.consumed_capacity;
    pace(page.consumed_capacity, part);
    // The Scan's filter ran on DynamoDB, so ScannedCount is not in the answer we keep: count
    // what came back, which is what this sweep acts on.
    part.items_scanned += page.items.size();
    for (const auto& item : page.items) {
      auto key = item.find(attr::kThreadId);
      if (key == item.end()) continue;  // a damaged answer: nothing to delete it by
      ++part.expired_found;
      // Deleted only if it is still expired: a save since the Scan (a renewed head, a rewritten
      // segment) gave it a later `ttl`, and a writer without a TTL removed it. Exactly what
      // DynamoDB's own TTL deletes, so whatever a live head names survives (docs/ttl.md).
      dynamodb::WriteConditions c;
      c.condition = "#ttl < :cutoff";
      c.attributes = {{{"#ttl", attr::kTtl}}, {{":cutoff", V::N(cutoff)}}};
      c.return_consumed_capacity = true;
      auto deleted = value_or_throw(
          db.client->delete_item({.table = db.table, .key = key_of(key->second.scalar()), .conditions = c}));
      part.consumed_capacity += deleted.consumed_capacity;
      if (deleted.condition_failed && !deleted.in_doubt) {
        ++part.renewed;
      } else {
        // In doubt: the first attempt was applied and the retry found the item gone (or
        // renewed since, which no sweep can tell apart): counted as deleted by this sweep.
        ++part.deleted;
      }
      pace(deleted.consumed_capacity, part);
    }
    const bool done = !page.last_evaluated_key;
    shared.add(part, done);
    if (done) return;
    scan.exclusive_start_key = std::move(page.last_evaluated_key);
  }
}

}  // namespace

SweepReport sweep_expired(const DynamoDbContext& db, const SweepOptions& options) {
  if (options.parallel_segments < 1 || options.parallel_segments > 64)
    throw InvalidArgumentError("sweep: parallel_segments must be 1..64, got " +
                               std::to_string(options.parallel_segments));
  if (options.max_capacity_units_per_second < 0)
    throw InvalidArgumentError("sweep: max_capacity_units_per_second must not be negative");
  if (options.grace.count() < 0) throw InvalidArgumentError("sweep: grace must not be negative");
  const auto started = Steady::now();
  const std::int64_t cutoff = db.now_epoch() - options.grace.count();
  CapacityBudget budget(options.max_capacity_units_per_second);
  SharedReport shared(options);
  const int segments = options.parallel_segments;
  std::vector<std::future<void>> running;
  for (int s = 0; s < segments; ++s) {
    running.push_back(std::async(
        std::launch::async, [&, s] { sweep_segment(db, options, s, segments, cutoff, budget, shared); }));
  }
  std::exception_ptr first_error;
  for (auto& r : running) {
    try {
      r.get();
    } catch (...) {
      if (!first_error) first_error = std::current_exception();
    }
  }
  if (first_error) std::rethrow_exception(first_error);
  SweepReport report = shared.total();
  report.cutoff_epoch = cutoff;
  report.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - started);
  return report;
}

}  // namespace agents::detail
