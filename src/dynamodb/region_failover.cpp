#include "agents/dynamodb/region_failover.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "dynamodb/client_defaults.hpp"

namespace agents::dynamodb {

namespace {

// What a Region that cannot be reached looks like from here: no connection, no answer in time,
// or server errors that outlasted the retries. Every other answer (a failed condition, a missing
// table, throttling, bad credentials) came from a working Region and is the caller's.
bool is_region_failure(const Status& s) {
  if (s.ok()) return false;
  if (s.code() == ErrorCode::kConnectionFailed || s.code() == ErrorCode::kTimeout) return true;
  return s.details().http_status >= 500 || s.details().service_code == "InternalServerError" ||
         s.details().service_code == "ServiceUnavailable";
}

template <typename T>
const Status& status_of(const StatusOr<T>& r) {
  return r.status();
}
const Status& status_of(const Status& s) { return s; }

// A write result that follows an attempt whose outcome is unknown: a failed condition may be
// that attempt's own write, applied in the Region that did not answer (MRSC replicates it).
void mark_in_doubt(Status&) {}
template <typename T>
void mark_in_doubt(StatusOr<T>&) {}
void mark_in_doubt(StatusOr<WriteResult>& r) {
  if (r.ok() && r->condition_failed) r->in_doubt = true;
}

enum class Kind {
  kRead,   // may go to any Region
  kWrite,  // moves only where that is safe (MRSC, or allow_eventual_writes)
  kHome,   // table administration: the home Region's business alone
};

struct Regional {
  std::string region;
  std::shared_ptr<DynamoDbClient> client;
};

class RegionFailoverClient final : public DynamoDbClient {
 public:
  RegionFailoverClient(std::vector<Regional> regions, RegionFailoverOptions options)
      : regions_(std::move(regions)), options_(std::move(options)) {}

  ~RegionFailoverClient() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (prober_.joinable()) prober_.join();
  }

  StatusOr<GetItemResult> get_item(const GetItemRequest& r) override {
    return route(Kind::kRead, r.table, true, [&](DynamoDbClient& c) { return c.get_item(r); });
  }
  StatusOr<WriteResult> put_item(const PutItemRequest& r) override {
    return route(Kind::kWrite, r.table, r.conditions.retry_when_outcome_unknown,
                 [&](DynamoDbClient& c) { return c.put_item(r); });
  }
  StatusOr<WriteResult> delete_item(const DeleteItemRequest& r) override {
    return route(Kind::kWrite, r.table, r.conditions.retry_when_outcome_unknown,
                 [&](DynamoDbClient& c) { return c.delete_item(r); });
  }
  StatusOr<WriteResult> update_item(const UpdateItemRequest& r) override {
    return route(Kind::kWrite, r.table, r.conditions.retry_when_outcome_unknown,
                 [&](DynamoDbClient& c) { return c.update_item(r); });
  }
  StatusOr<TransactWriteResult> transact_write_items(const TransactWriteRequest& r) override {
    const std::string table = r.items.empty() ? "" : r.items.front().table;
    // Idempotent for ten minutes through its token, so a resend after a lost answer is safe.
    return route(Kind::kWrite, table, !r.client_request_token.empty(),
                 [&](DynamoDbClient& c) { return c.transact_write_items(r); });
  }
  StatusOr<BatchGetResult> batch_get_item(const BatchGetRequest& r) override {
    return route(Kind::kRead, r.table, true, [&](DynamoDbClient& c) { return c.batch_get_item(r); });
  }
  StatusOr<QueryResult> query(const QueryRequest& r) override {
    return route(Kind::kRead, r.table, true, [&](DynamoDbClient& c) { return c.query(r); });
  }
  StatusOr<QueryResult> scan(const QueryRequest& r) override {
    return route(Kind::kRead, r.table, true, [&](DynamoDbClient& c) { return c.scan(r); });
  }
  StatusOr<std::vector<Item>> scan_all(const QueryRequest& r) override {
    return route(Kind::kRead, r.table, true, [&](DynamoDbClient& c) { return c.scan_all(r); });
  }
  StatusOr<TableDescription> create_table(const CreateTableRequest& r) override {
    return route(Kind::kHome, r.table, true, [&](DynamoDbClient& c) { return c.create_table(r); });
  }
  StatusOr<TableDescription> describe_table(const std::string& table) override {
    return route(Kind::kRead, table, true, [&](DynamoDbClient& c) { return c.describe_table(table); });
  }
  StatusOr<std::vector<std::string>> list_tables() override {
    return route(Kind::kRead, "", true, [&](DynamoDbClient& c) { return c.list_tables(); });
  }
  StatusOr<TimeToLiveDescription> update_time_to_live(const std::string& table, const std::string& attribute,
                                                      bool enabled) override {
    return route(Kind::kHome, table, true,
                 [&](DynamoDbClient& c) { return c.update_time_to_live(table, attribute, enabled); });
  }
  StatusOr<TimeToLiveDescription> describe_time_to_live(const std::string& table) override {
    return route(Kind::kRead, table, true, [&](DynamoDbClient& c) { return c.describe_time_to_live(table); });
  }
  Status add_replicas(const AddReplicasRequest& r) override {
    return route(Kind::kHome, r.table, true, [&](DynamoDbClient& c) { return c.add_replicas(r); });
  }
  StatusOr<std::string> call(const std::string& operation, std::string body,
                             const std::string& table) override {
    // Any operation: treated as a write, the cautious reading of an unknown one.
    return route(Kind::kWrite, table, false,
                 [&](DynamoDbClient& c) { return c.call(operation, body, table); });
  }

  const std::string& region() const override { return regions_[active_.load()].client->region(); }
  const std::string& endpoint() const override { return regions_[active_.load()].client->endpoint(); }
  StatusOr<std::string> describe_credentials() override {
    return regions_.front().client->describe_credentials();
  }

 private:
  template <typename Call>
  auto route(Kind kind, const std::string& table, bool may_resend, Call call)
      -> decltype(call(std::declval<DynamoDbClient&>())) {
    if (!table.empty()) remember_table(table);
    std::size_t first = kind == Kind::kHome ? 0 : active_.load();
    if (kind == Kind::kWrite && first != 0 && !writes_may_move(table)) first = 0;  // pinned home
    auto result = call(*regions_[first].client);
    Status failure = status_of(result);
    if (!is_region_failure(failure) || kind == Kind::kHome) return result;
    // An attempt that may have been applied is resent elsewhere only if the caller allows it.
    if (kind == Kind::kWrite && failure.details().outcome_unknown && !may_resend) return result;
    if (kind == Kind::kWrite && !writes_may_move(table)) return refused_write(table, failure);
    bool in_doubt = failure.details().outcome_unknown;
    std::string tried = regions_[first].region + ": " + failure.message();
    for (std::size_t i = 0; i < regions_.size(); ++i) {
      if (i == first) continue;
      auto moved = call(*regions_[i].client);
      const Status& s = status_of(moved);
      if (is_region_failure(s)) {
        in_doubt = in_doubt || s.details().outcome_unknown;
        tried += "; " + regions_[i].region + ": " + s.message();
        if (kind == Kind::kWrite && s.details().outcome_unknown && !may_resend) break;
        continue;
      }
      switch_to(i, failure.message());
      if (in_doubt) mark_in_doubt(moved);
      return moved;
    }
    ErrorDetails details = failure.details();
    details.outcome_unknown = in_doubt;
    return Status(failure.code(), "every Region of the table failed: " + tried, details);
  }

  Status refused_write(const std::string& table, const Status& failure) {
    const auto mode = consistency_of(table);
    std::string why = mode ? "it is " + std::string(consistency_name(*mode)) + "ly consistent" +
                                 (*mode == TableConsistency::kEventual ? " (MREC)" : "")
                           : "its mode could not be read (DescribeTable)";
    if (mode == TableConsistency::kSingleRegion) why = "it has no replicas";
    return Status(
        ErrorCode::kRegionUnavailable,
        "DynamoDB write to table '" + table + "': the home Region " + regions_.front().region + " failed (" +
            failure.message() + ") and the write was not moved to another Region, since " + why +
            ": a write there could be overwritten by one still on its way from " + regions_.front().region +
            " (last writer wins). Loads move; to let writes move too, set allow_eventual_writes "
            "(docs/global-tables.md#region-failover)",
        failure.details());
  }

  bool writes_may_move(const std::string& table) {
    if (options_.allow_eventual_writes) return true;
    return consistency_of(table) == TableConsistency::kStrong;
  }

  // The table's mode: as configured, or asked once of a Region that answers.
  std::optional<TableConsistency> consistency_of(const std::string& table) {
    if (options_.consistency) return options_.consistency;
    {
      std::lock_guard lock(mu_);
      if (auto it = modes_.find(table); it != modes_.end()) return it->second;
    }
    const std::size_t start = active_.load();
    for (std::size_t step = 0; step < regions_.size(); ++step) {
      const std::size_t i = (start + step) % regions_.size();
      auto d = regions_[i].client->describe_table(table);
      if (!d.ok()) continue;
      std::lock_guard lock(mu_);
      modes_[table] = d->consistency();
      return d->consistency();
    }
    return std::nullopt;
  }

  void remember_table(const std::string& table) {
    std::lock_guard lock(mu_);
    if (probe_table_.empty()) probe_table_ = table;
  }

  void switch_to(std::size_t to, const std::string& reason) {
    RegionSwitch event;
    {
      std::lock_guard lock(mu_);
      const std::size_t from = active_.load();
      if (from == to) return;
      active_.store(to);
      event = {regions_[from].region, regions_[to].region, reason, to == 0};
      if (to != 0 && !prober_.joinable()) prober_ = std::thread([this] { probe_home(); });
    }
    wake_.notify_all();
    if (options_.on_switch) options_.on_switch(event);
  }

  // Away from home, asks home every probe_interval whether it answers again, and moves back.
  void probe_home() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      wake_.wait_for(lock, options_.probe_interval, [&] { return stopping_; });
      if (stopping_) return;
      if (active_.load() == 0) continue;
      const std::string table = probe_table_;
      lock.unlock();
      Status probe = table.empty() ? status_of(regions_.front().client->list_tables())
                                   : status_of(regions_.front().client->describe_table(table));
      if (!is_region_failure(probe)) switch_to(0, "home answered a probe");
      lock.lock();
    }
  }

  std::vector<Regional> regions_;
  RegionFailoverOptions options_;
  std::atomic<std::size_t> active_{0};
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::string probe_table_;
  std::map<std::string, TableConsistency> modes_;
  std::thread prober_;
};

}  // namespace

StatusOr<std::shared_ptr<DynamoDbClient>> make_region_failover_client(ClientOptions options,
                                                                      RegionFailoverOptions failover) {
  if (failover.regions.size() < 2)
    return Status(ErrorCode::kInvalidArgument, "Region failover needs at least two Regions, home first");
  std::set<std::string> seen;
  for (const auto& r : failover.regions) {
    if (r.empty() || !seen.insert(r).second)
      return Status(ErrorCode::kInvalidArgument,
                    "Region failover: Region '" + r + "' is empty or listed twice");
  }
  if (failover.probe_interval.count() <= 0)
    return Status(ErrorCode::kInvalidArgument, "Region failover: probe_interval must be positive");
  // One transport and one credentials provider for every Region: shared connections and one
  // credentials refresh.
  detail::use_default_transport(options);
  detail::use_default_credentials(options, failover.regions.front());
  std::vector<Regional> regions;
  for (const auto& region : failover.regions) {
    ClientOptions one = options;
    one.region = region;
    auto endpoint = failover.endpoints.find(region);
    one.endpoint = endpoint != failover.endpoints.end() ? endpoint->second
                   : region == failover.regions.front() ? options.endpoint
                                                        : "";
    auto client = DynamoDbClient::create(std::move(one));
    if (!client.ok()) return client.status();
    regions.push_back({region, std::move(*client)});
  }
  std::shared_ptr<DynamoDbClient> client =
      std::make_shared<RegionFailoverClient>(std::move(regions), std::move(failover));
  return client;
}

}  // namespace agents::dynamodb
