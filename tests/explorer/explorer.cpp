#include "explorer/explorer.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "agents/dynamodb/client.hpp"
#include "checkpoint/incremental_layout.hpp"
#include "checkpoint/item_layout.hpp"
#include "checkpoint/version_history.hpp"
#include "support/dynamodb_fixture.hpp"

namespace agents::explorer {

const std::vector<Layout>& all_layouts() {
  using S = Layout::Store;
  static const std::vector<Layout> layouts = {
      {"plain", S::kDynamoDb, Compression::kAuto, false, 0, false, 30},
      {"compressed", S::kDynamoDb, Compression::kAlways, false, 0, false, 20},
      {"chunked", S::kDynamoDb, Compression::kAuto, false, 0, true, 4},
      {"incremental", S::kDynamoDb, Compression::kAuto, true, 0, false, 30},
      {"incremental-cache", S::kDynamoDb, Compression::kAuto, true, 32u << 20, false, 20},
      {"file", S::kFile, Compression::kAuto, false, 0, false, 100},
      {"memory", S::kInMemory, Compression::kAuto, false, 0, false, 200},
      // With history: kept versions are whole saves, listed and loadable as long as promised.
      {"plain-history", S::kDynamoDb, Compression::kAuto, false, 0, false, 20, 2},
      {"chunked-history", S::kDynamoDb, Compression::kAuto, false, 0, true, 3, 1},
      {"incremental-history", S::kDynamoDb, Compression::kAuto, true, 0, false, 20, 2},
      {"file-history", S::kFile, Compression::kAuto, false, 0, false, 50, 2},
      {"memory-history", S::kInMemory, Compression::kAuto, false, 0, false, 100, 2},
  };
  return layouts;
}

namespace {

using dynamodb::AttributeValue;
using dynamodb::Item;

// The grace the cleanup actor passes inside schedules: longer than a save's deadline, short
// enough that the clock jumps of a schedule pass it.
constexpr std::chrono::seconds kScheduleGrace =
    DynamoDbCheckpointer::kSaveDeadline + std::chrono::seconds(300);

enum class SaveOutcome { kPending, kAcked, kConflict, kOutcomeUnknown, kTimeout, kError };

const char* outcome_name(SaveOutcome o) {
  switch (o) {
    case SaveOutcome::kPending:
      return "pending";
    case SaveOutcome::kAcked:
      return "acked";
    case SaveOutcome::kConflict:
      return "ConflictError";
    case SaveOutcome::kOutcomeUnknown:
      return "OutcomeUnknownError";
    case SaveOutcome::kTimeout:
      return "TimeoutError";
    case SaveOutcome::kError:
      return "error";
  }
  return "?";
}

struct SaveRecord {
  std::string actor, token;
  std::uint64_t start = 0, end = 0;
  SaveOutcome outcome = SaveOutcome::kPending;
  std::string error;
};

struct LoadRecord {
  std::string actor;
  std::uint64_t start = 0, end = 0;
  bool threw = false, corrupt = false;
  std::string error;
  std::optional<AgentStateSnapshot> state;
};

struct DeleteRecord {
  std::uint64_t start = 0, end = 0;
  bool removed = false, threw = false;
  std::string error;
};

struct CleanupRecord {
  std::string actor;
  std::uint64_t start = 0, end = 0;
  std::size_t removed = 0;
  bool threw = false, corrupt = false;
  std::string error;
};

// Everything that happened, stamped with a logical clock (the scheduler lets one actor run at
// a time, so the stamps follow real time).
class History {
 public:
  std::uint64_t tick() { return ++clock_; }

  std::size_t begin_save(const std::string& actor, const std::string& token,
                         const AgentStateSnapshot& state) {
    std::lock_guard lock(mu_);
    attempted_[token] = state;
    saves_.push_back({actor, token, tick()});
    return saves_.size() - 1;
  }
  void end_save(std::size_t i, SaveOutcome outcome, std::string error = {}) {
    std::lock_guard lock(mu_);
    saves_[i].end = tick();
    saves_[i].outcome = outcome;
    saves_[i].error = std::move(error);
  }
  void add_load(LoadRecord r) {
    std::lock_guard lock(mu_);
    loads_.push_back(std::move(r));
  }
  void add_delete(DeleteRecord r) {
    std::lock_guard lock(mu_);
    deletes_.push_back(std::move(r));
  }
  void add_cleanup(CleanupRecord r) {
    std::lock_guard lock(mu_);
    cleanups_.push_back(std::move(r));
  }
  void add_violation(std::string v) {
    std::lock_guard lock(mu_);
    violations_.push_back(std::move(v));
  }

  std::vector<std::string> check() const;
  std::string summary() const;
  /// Empty when `state` is exactly a state some writer tried to save; else what it is instead.
  std::string not_a_whole_save(const AgentStateSnapshot& state) const {
    std::lock_guard lock(mu_);
    if (state.messages.empty()) return "a state with no message";
    auto tried = attempted_.find(state.messages.back().content);
    if (tried == attempted_.end()) return "a state no writer tried to save: " + tokens_of(state);
    if (!(tried->second == state)) return "a mix of states: " + tokens_of(state);
    return "";
  }

 private:
  static bool holds(const AgentStateSnapshot& s, const std::string& token) {
    return std::any_of(s.messages.begin(), s.messages.end(),
                       [&](const Message& m) { return m.content == token; });
  }
  static std::string tokens_of(const AgentStateSnapshot& s) {
    std::string out;
    for (const auto& m : s.messages) out += (out.empty() ? "" : ",") + m.content;
    return "[" + out + "]";
  }

  mutable std::mutex mu_;
  std::atomic<std::uint64_t> clock_{0};
  std::map<std::string, AgentStateSnapshot> attempted_;  ///< every state a writer tried to save
  std::vector<SaveRecord> saves_;
  std::vector<LoadRecord> loads_;
  std::vector<DeleteRecord> deletes_;
  std::vector<CleanupRecord> cleanups_;
  std::vector<std::string> violations_;
};

// The sequential model: every save appends one message with a unique token to the state it
// loaded, so a stored state is exactly the state some writer tried to save, it names every
// save it descends from, and only a delete takes a message out.
std::vector<std::string> History::check() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out = violations_;
  auto where = [](const LoadRecord& l) { return "load by " + l.actor + " at t" + std::to_string(l.start); };
  bool unloadable = false;  // one report: every later load fails the same way
  for (const auto& l : loads_) {
    if (l.corrupt && !unloadable) {
      unloadable = true;
      out.push_back("unloadable thread: " + where(l) + " threw " + l.error);
    }
    if (!l.state) continue;
    if (l.state->messages.empty()) {
      out.push_back(where(l) + " returned a state with no message: no writer saved one");
      continue;
    }
    const std::string& last = l.state->messages.back().content;
    auto tried = attempted_.find(last);
    if (tried == attempted_.end()) {
      out.push_back(where(l) + " returned a state no writer tried to save: " + tokens_of(*l.state));
    } else if (!(tried->second == *l.state)) {
      out.push_back(where(l) + " returned a mix of states: " + tokens_of(*l.state) + " is not the state " +
                    tokens_of(tried->second) + " saved with " + last);
    }
  }
  for (const auto& c : cleanups_) {
    if (c.corrupt)
      out.push_back("cleanup by " + c.actor + " at t" + std::to_string(c.start) + " threw " + c.error);
  }
  for (const auto& s : saves_) {
    // ConflictError and the deadline's TimeoutError promise that nothing was stored.
    if (s.outcome == SaveOutcome::kConflict || s.outcome == SaveOutcome::kTimeout) {
      for (const auto& l : loads_) {
        if (l.state && holds(*l.state, s.token)) {
          out.push_back("false \"nothing was saved\": save " + s.token + " raised " +
                        outcome_name(s.outcome) + " at t" + std::to_string(s.end) + ", but " + where(l) +
                        " holds it: " + tokens_of(*l.state) + " (" + s.error.substr(0, 160) + ")");
          break;
        }
      }
    }
    // A state once stored and then deleted never comes back: a save is applied once, and no
    // save built on it may land after the delete.
    std::uint64_t seen = s.outcome == SaveOutcome::kAcked ? s.end : 0;  // stored by then
    for (const auto& l : loads_)
      if (l.state && holds(*l.state, s.token) && (seen == 0 || l.end < seen)) seen = l.end;
    if (seen != 0) {
      for (const auto& d : deletes_) {
        if (d.threw || d.start < seen) continue;
        auto back = std::find_if(loads_.begin(), loads_.end(), [&](const LoadRecord& l) {
          return l.start > d.end && l.state && holds(*l.state, s.token);
        });
        if (back != loads_.end()) {
          out.push_back("resurrected: " + s.token + " was stored by t" + std::to_string(seen) +
                        ", a delete ran from t" + std::to_string(d.start) + " to t" + std::to_string(d.end) +
                        ", and " + where(*back) + " holds it again: " + tokens_of(*back->state));
          break;
        }
      }
    }
    if (s.outcome != SaveOutcome::kAcked) continue;
    // An acknowledged save is in every later load, unless a delete may have come after it.
    for (const auto& l : loads_) {
      if (l.threw || l.start < s.end) continue;
      if (l.state && holds(*l.state, s.token)) continue;
      bool deleted = std::any_of(deletes_.begin(), deletes_.end(), [&](const DeleteRecord& d) {
        // The delete may come after the save and before the load: their calls overlap. Its
        // result does not count: a delete whose answer was lost retries and reports false.
        return d.end > s.start && d.start < l.end;
      });
      if (deleted) continue;
      out.push_back("lost update: save " + s.token + " acknowledged at t" + std::to_string(s.end) +
                    " is missing from " + where(l) + ": " +
                    (l.state ? tokens_of(*l.state) : std::string("(no thread)")) +
                    "; no delete came after it");
      break;
    }
  }
  return out;
}

std::string History::summary() const {
  std::lock_guard lock(mu_);
  std::map<std::string, int> outcomes;
  for (const auto& s : saves_) ++outcomes[outcome_name(s.outcome)];
  std::string out = std::to_string(saves_.size()) + " saves (";
  bool first = true;
  for (const auto& [name, n] : outcomes) {
    out += (first ? "" : ", ") + name + " " + std::to_string(n);
    first = false;
  }
  std::size_t removed = 0, removed_at_end = 0;  // inside the schedule (past its grace), and after it
  for (const auto& c : cleanups_) (c.actor == "cleanup" ? removed : removed_at_end) += c.removed;
  out += "), " + std::to_string(loads_.size()) + " loads, " + std::to_string(deletes_.size()) + " deletes, " +
         std::to_string(cleanups_.size()) + " cleanups (" + std::to_string(removed) +
         " items removed in schedule, " + std::to_string(removed_at_end) + " after it)";
  return out;
}

// What an actor needs: its checkpointer and, for the stores without a transport, the gate it
// passes before each checkpointer call.
struct ActorEnv {
  std::string name;
  std::shared_ptr<Checkpointer> cp;
  std::function<void(const std::string&)> step;
};

std::optional<std::optional<LoadedState>> load(ActorEnv& env, History& h, const std::string& thread) {
  env.step("load");
  LoadRecord r{env.name, h.tick()};
  std::optional<std::optional<LoadedState>> out;
  try {
    auto loaded = env.cp->load_state(thread);
    if (loaded) r.state = loaded->state;
    out = std::move(loaded);
  } catch (const CorruptStateError& e) {
    r.threw = r.corrupt = true;
    r.error = std::string("CorruptStateError: ") + e.what();
  } catch (const std::exception& e) {
    r.threw = true;
    r.error = e.what();
  }
  r.end = h.tick();
  h.add_load(std::move(r));
  return out;
}

bool holds_token(const std::optional<LoadedState>& loaded, const std::string& token) {
  return loaded && std::any_of(loaded->state.messages.begin(), loaded->state.messages.end(),
                               [&](const Message& m) { return m.content == token; });
}

// Load, append one message, save after the load; a conflict reloads and tries again; an
// unknown outcome reloads and looks for its message.
void run_writer(ActorEnv& env, History& h, const std::string& thread, int index, int appends, int max_tries,
                const AgentStateSnapshot& initial) {
  int made = 0, done = 0;
  std::string in_doubt;
  for (int tries = 0; done < appends && tries < max_tries; ++tries) {
    auto loaded = load(env, h, thread);
    if (!loaded) continue;
    if (!in_doubt.empty()) {
      if (holds_token(*loaded, in_doubt)) ++done;
      in_doubt.clear();
      if (done >= appends) break;
    }
    AgentStateSnapshot state = *loaded ? (*loaded)->state : initial;
    std::string token = "w" + std::to_string(index) + "-" + std::to_string(++made);
    state.messages.push_back(Message::user(token));
    std::size_t i = h.begin_save(env.name, token, state);
    env.step("save " + token);
    try {
      env.cp->save(thread, state, SavePrecondition::after_load(*loaded));
      h.end_save(i, SaveOutcome::kAcked);
      ++done;
    } catch (const ConflictError& e) {
      h.end_save(i, SaveOutcome::kConflict, e.what());
    } catch (const OutcomeUnknownError& e) {
      h.end_save(i, SaveOutcome::kOutcomeUnknown, e.what());
      in_doubt = token;
    } catch (const TimeoutError& e) {
      h.end_save(i, SaveOutcome::kTimeout, e.what());
    } catch (const CorruptStateError& e) {
      h.end_save(i, SaveOutcome::kError, e.what());
      h.add_violation("save " + token + " threw CorruptStateError: " + std::string(e.what()));
    } catch (const std::exception& e) {
      h.end_save(i, SaveOutcome::kError, e.what());
    }
  }
}

void run_deleter(ActorEnv& env, History& h, const std::string& thread, int deletes) {
  for (int k = 0; k < deletes; ++k) {
    if (k > 0) (void)load(env, h, thread);  // lets time and other steps pass between deletes
    env.step("delete");
    DeleteRecord r{h.tick()};
    try {
      r.removed = env.cp->delete_thread(thread);
    } catch (const std::exception& e) {
      r.threw = true;
      r.error = e.what();
    }
    r.end = h.tick();
    h.add_delete(std::move(r));
  }
}

void run_cleanup(const std::string& name, DynamoDbCheckpointer& cp, History& h, const std::string& thread,
                 std::chrono::seconds grace) {
  CleanupRecord r{name, h.tick()};
  try {
    r.removed = cp.remove_orphaned_chunks_and_segments(thread, grace);
  } catch (const CorruptStateError& e) {
    r.threw = r.corrupt = true;
    r.error = std::string("CorruptStateError: ") + e.what();
  } catch (const std::exception& e) {
    r.threw = true;
    r.error = e.what();
  }
  r.end = h.tick();
  h.add_cleanup(std::move(r));
}

// Random printable text that zstd cannot shrink much (6 bits a byte), the same for every
// schedule: with it a state is chunked.
const std::string& large_padding() {
  static const std::string pad = [] {
    static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::mt19937_64 rng(15);
    std::string s(700 * 1024, ' ');
    for (char& c : s) c = kAlphabet[rng() % 64];
    return s;
  }();
  return pad;
}

aws::RetryOptions fast_retries() {
  aws::RetryOptions r;
  r.max_attempts = 4;
  r.transient_base = std::chrono::milliseconds(1);
  r.max_backoff = std::chrono::milliseconds(2);
  r.sleeper = [](std::chrono::milliseconds) {};
  r.jitter = [] { return 0.0; };
  return r;
}

std::shared_ptr<DynamoDbCheckpointer> make_dynamodb(const Target& t, std::shared_ptr<http::HttpClient> http,
                                                    Scheduler& s) {
  auto cp = std::make_shared<DynamoDbCheckpointer>(t.table);
  cp->with_endpoint(t.endpoint)
      .with_region("us-east-1")
      .with_credentials(testing::local_credentials())
      .with_http_client(std::move(http))
      .with_retry(fast_retries())
      .with_clock(s.clock())
      .with_compression(t.layout.compression)
      .with_incremental(t.layout.incremental)
      .with_segment_cache_bytes(t.layout.segment_cache_bytes)
      .with_history(t.layout.keep_last);
  return cp;
}

// With history: the current version and the keep_last before it are listed and load, each the
// whole state one save wrote (a thread deleted and saved again starts at version 1 again).
void check_versions(Checkpointer& cp, History& h, const std::string& thread, std::size_t keep_last,
                    const std::string& when) {
  if (keep_last == 0) return;
  try {
    auto current = cp.load_state(thread);
    if (!current) return;
    auto versions = cp.list_versions(thread);
    const auto promised = static_cast<std::size_t>(
        std::min<std::int64_t>(static_cast<std::int64_t>(keep_last) + 1, current->version));
    if (versions.size() != promised) {
      h.add_violation("history " + when + ": " + std::to_string(versions.size()) +
                      " versions listed at version " + std::to_string(current->version) + "; keep_last " +
                      std::to_string(keep_last) + " promises " + std::to_string(promised));
    }
    for (std::size_t i = 0; i < versions.size(); ++i) {
      const std::int64_t expected = current->version - static_cast<std::int64_t>(i);
      if (versions[i].version != expected) {
        h.add_violation("history " + when + ": entry " + std::to_string(i) + " is version " +
                        std::to_string(versions[i].version) + ", not " + std::to_string(expected));
        continue;
      }
      auto loaded = cp.load_version(thread, expected);
      if (!loaded) {
        h.add_violation("history " + when + ": listed version " + std::to_string(expected) +
                        " does not load");
      } else if (auto wrong = h.not_a_whole_save(loaded->state); !wrong.empty()) {
        h.add_violation("history " + when + ": version " + std::to_string(expected) + " is " + wrong);
      } else if (i == 0 && !(loaded->state == current->state)) {
        h.add_violation("history " + when + ": the current version loads differently by version");
      }
    }
  } catch (const std::exception& e) {
    h.add_violation("history " + when + ": threw " + std::string(e.what()));
  }
}

// After the cleanup ran past its grace: every chunk or segment of the thread is one its head names.
void check_orphans(const Target& t, const std::string& thread, History& h) {
  auto client = testing::make_local_client(t.endpoint);
  auto head = client->get_item(
      {.table = t.table, .key = {{"thread_id", AttributeValue::S(thread)}}, .consistent_read = true});
  if (!head.ok()) {
    h.add_violation("orphan check: GetItem failed: " + head.status().message());
    return;
  }
  std::set<std::string> named;
  if (head->item) {
    const Item& item = *head->item;
    auto count = item.find("chunk_count");
    auto save = item.find("save_id");
    if (count != item.end() && save != item.end()) {
      const std::size_t n = std::stoul(count->second.scalar());
      for (std::size_t i = 0; i < n; ++i) named.insert(detail::chunk_key(thread, save->second.scalar(), i));
    }
    try {
      if (auto base = detail::base_from_head(thread, item)) {
        for (const auto& s : base->segments) named.insert(detail::segment_key(thread, s.id));
      }
      // Kept versions: their version items, and what those name.
      if (auto kept = item.find("versions"); kept != item.end()) {
        for (const auto& v : detail::parse_kept_versions(kept->second.scalar())
                                 .value_or(std::vector<detail::KeptVersion>{})) {
          const std::string key = detail::version_key(thread, v.id);
          named.insert(key);
          auto copy = client->get_item(
              {.table = t.table, .key = {{"thread_id", AttributeValue::S(key)}}, .consistent_read = true});
          if (!copy.ok() || !copy->item) continue;
          for (auto& k : detail::named_item_keys(thread, detail::head_of_version_item(thread, *copy->item)))
            named.insert(std::move(k));
        }
      }
    } catch (const std::exception& e) {
      h.add_violation(std::string("orphan check: the head is damaged: ") + e.what());
    }
  }
  auto items = client->scan_all({.table = t.table,
                                 .filter = "chunk_of = :t",
                                 .projection = "thread_id",
                                 .attributes = {{}, {{":t", AttributeValue::S(thread)}}}});
  if (!items.ok()) {
    h.add_violation("orphan check: Scan failed: " + items.status().message());
    return;
  }
  int left = 0;
  std::string first;
  for (const auto& item : *items) {
    const std::string& key = item.at("thread_id").scalar();
    if (named.count(key)) continue;
    if (left++ == 0) first = key;
  }
  if (left > 0) {
    h.add_violation("orphans: " + std::to_string(left) +
                    " chunk/segment item(s) that no head names are left " +
                    "after the cleanup ran past its grace, e.g. " + first);
  }
}

std::atomic<std::uint64_t> thread_counter{0};

}  // namespace

std::string describe_steps(const std::vector<Step>& steps, std::size_t max_steps) {
  std::ostringstream out;
  std::size_t i = 0;
  for (const auto& s : steps) {
    if (i == max_steps) {
      out << "  ... " << steps.size() - max_steps << " more steps\n";
      break;
    }
    out << "  " << i++ << ": actor " << s.actor << " " << gate_kind_name(s.kind) << " " << s.label
        << (s.dropped ? " DROPPED" : "") << " (clock +" << s.clock << "s)\n";
  }
  return out.str();
}

std::optional<std::vector<int>> next_choices(const ScheduleResult& done) {
  std::vector<int> next = done.choices;
  while (!next.empty()) {
    const std::size_t k = next.size() - 1;
    if (next[k] + 1 < done.branching[k]) {
      ++next[k];
      return next;
    }
    next.pop_back();
  }
  return std::nullopt;
}

ScheduleResult run_schedule(const Target& t, std::uint64_t seed, const Enumeration* enumeration) {
  const bool dynamo = t.layout.store == Layout::Store::kDynamoDb;
  // The schedule's shape comes from the seed too (apart from the scheduler's own choices).
  std::mt19937_64 shape(seed * 0x9E3779B97F4A7C15ull + 1);
  int writers = 2 + static_cast<int>(shape() % 2);
  int appends = t.layout.large_states ? 1 + static_cast<int>(shape() % 2) : 2;
  int deletes = shape() % 10 < 7 ? 1 + static_cast<int>(shape() % 2) : 0;
  int cleanups = dynamo && shape() % 10 < 7 ? 1 + static_cast<int>(shape() % 2) : 0;
  if (enumeration) {
    writers = enumeration->shape.writers;
    appends = enumeration->shape.appends;
    deletes = enumeration->shape.deletes;
    cleanups = dynamo ? enumeration->shape.cleanups : 0;
  }

  Scheduler::Options options;
  if (dynamo) {
    options.max_drops = static_cast<int>(shape() % 4);
    // AGENTS_EXPLORER_DROPS=n: up to n lost answers or unsent requests per schedule, more often.
    if (const char* drops = std::getenv("AGENTS_EXPLORER_DROPS"); drops != nullptr && *drops != '\0') {
      options.max_drops = std::atoi(drops);
      options.drop_before = 0.08;
      options.drop_after = 0.25;
    }
    options.drop_before = 0.04;
    options.drop_after = 0.12;
    options.clock_step_seconds = 1;
    options.clock_jump_chance = 0.03;
    options.clock_jump_seconds = (DynamoDbCheckpointer::kSaveDeadline + std::chrono::seconds(60)).count();
    options.max_clock_jumps = 3;  // three pass the schedule's cleanup grace with room to spare
    options.crash_chance = 0.04;
  } else {
    options.settle = std::chrono::milliseconds(0);  // one thread per actor: a gate ends a step
  }
  if (enumeration) {
    options.enumerate = true;
    options.forced = enumeration->forced;
    options.settle = std::chrono::milliseconds(dynamo ? 2 : 0);
  }
  const std::int64_t start_epoch = testing::now_epoch();
  Scheduler sched(seed, options, start_epoch);
  History h;
  const std::string thread =
      "x" + std::to_string(seed) + "-" + std::to_string(::getpid()) + "-" + std::to_string(thread_counter++);
  AgentStateSnapshot initial;
  if (t.layout.large_states) initial.files["pad"] = large_padding();

  // One checkpointer per actor (the in-memory store is one object all actors share).
  std::shared_ptr<InMemoryCheckpointer> memory;
  const auto local_options = LocalCheckpointerOptions().with_history(t.layout.keep_last);
  if (t.layout.store == Layout::Store::kInMemory)
    memory = std::make_shared<InMemoryCheckpointer>(local_options);
  std::vector<std::shared_ptr<DynamoDbCheckpointer>> dynamodb_cps;
  auto make_env = [&](int actor, std::string name) {
    ActorEnv env{std::move(name), nullptr, [](const std::string&) {}};
    if (dynamo) {
      auto cp = make_dynamodb(t, std::make_shared<SchedulingHttpClient>(t.http, sched, actor, thread), sched);
      dynamodb_cps.push_back(cp);
      env.cp = cp;
    } else {
      env.cp = memory ? std::static_pointer_cast<Checkpointer>(memory)
                      : std::static_pointer_cast<Checkpointer>(
                            std::make_shared<FileCheckpointer>(t.directory, local_options));
      env.step = [&sched, actor](const std::string& label) {
        (void)sched.gate(actor, GateKind::kCall, {label, false, false});
      };
    }
    return env;
  };

  std::vector<ActorEnv> envs;
  std::vector<std::function<void(ActorEnv&)>> bodies;
  for (int w = 1; w <= writers; ++w) {
    envs.push_back(make_env(static_cast<int>(envs.size()), "w" + std::to_string(w)));
    const int max_tries = appends + (enumeration ? 1 : 4);  // an enumeration stays small
    bodies.push_back(
        [&, w, max_tries](ActorEnv& env) { run_writer(env, h, thread, w, appends, max_tries, initial); });
  }
  if (deletes > 0) {
    envs.push_back(make_env(static_cast<int>(envs.size()), "deleter"));
    bodies.push_back([&](ActorEnv& env) { run_deleter(env, h, thread, deletes); });
  }
  if (cleanups > 0) {
    envs.push_back(make_env(static_cast<int>(envs.size()), "cleanup"));
    bodies.push_back([&](ActorEnv& env) {
      auto& cp = static_cast<DynamoDbCheckpointer&>(*env.cp);
      for (int k = 0; k < cleanups; ++k) run_cleanup(env.name, cp, h, thread, kScheduleGrace);
    });
  }

  std::string shape_text = std::to_string(writers) + " writers x " + std::to_string(appends) + " appends, " +
                           std::to_string(deletes) + " deletes, " + std::to_string(cleanups) + " cleanups";
  for (std::size_t a = 0; a < envs.size(); ++a) {
    const int weight = 1 + static_cast<int>(shape() % 8);
    sched.add_actor(static_cast<int>(a), weight);
    shape_text += (a == 0 ? "; actors " : ", ") + std::to_string(a) + "=" + envs[a].name + "(w" +
                  std::to_string(weight) + ")";
  }
  for (int w = 0; w < writers; ++w) sched.add_crashable(w);
  std::vector<std::thread> threads;
  for (std::size_t a = 0; a < envs.size(); ++a) {
    threads.emplace_back([&, a] {
      try {
        bodies[a](envs[a]);
      } catch (const std::exception& e) {
        h.add_violation(envs[a].name + " stopped on an unexpected exception: " + e.what());
      }
      sched.actor_finished(static_cast<int>(a));
    });
  }
  sched.run();
  sched.release_all();
  for (auto& th : threads) th.join();

  ScheduleResult result;
  result.seed = seed;
  if (sched.stuck()) h.add_violation("the schedule did not finish: no step for 60 s (a hang)");

  // The end: no gates; the clock far past every grace; the thread must load, and after the
  // cleanup no chunk or segment may be left that the head does not name.
  sched.advance_clock(2 * DynamoDbCheckpointer::kDefaultCleanupGrace.count());
  ActorEnv final_env{"final", nullptr, [](const std::string&) {}};
  if (dynamo) {
    auto cp = make_dynamodb(t, t.http, sched);
    final_env.cp = cp;
    auto before = load(final_env, h, thread);
    if (!before) h.add_violation("final load threw (the thread is unloadable)");
    check_versions(*cp, h, thread, t.layout.keep_last, "before the final cleanup");
    run_cleanup("final cleanup", *cp, h, thread, DynamoDbCheckpointer::kDefaultCleanupGrace);
    check_versions(*cp, h, thread, t.layout.keep_last, "after the final cleanup");
    final_env.name = "final-after-cleanup";
    auto after = load(final_env, h, thread);
    if (!after && before) {
      h.add_violation("the load after the final cleanup threw (the cleanup broke the thread)");
    } else if (before && ((*before ? std::optional((*before)->state) : std::nullopt) !=
                          (*after ? std::optional((*after)->state) : std::nullopt))) {
      h.add_violation("the final cleanup changed the stored state");
    }
    check_orphans(t, thread, h);
  } else {
    final_env.cp = memory ? std::static_pointer_cast<Checkpointer>(memory)
                          : std::static_pointer_cast<Checkpointer>(
                                std::make_shared<FileCheckpointer>(t.directory, local_options));
    if (!load(final_env, h, thread)) h.add_violation("final load threw (the thread is unloadable)");
    check_versions(*final_env.cp, h, thread, t.layout.keep_last, "at the end");
  }

  result.violations = h.check();
  result.steps = sched.steps();
  result.choices = sched.choices();
  result.branching = sched.branching();
  int crashes = 0;
  for (int w = 0; w < writers; ++w) crashes += sched.crashed(w) ? 1 : 0;
  result.summary = shape_text + "; " + h.summary() + "; " + std::to_string(sched.steps().size()) +
                   " steps, " + std::to_string(sched.drops()) + " dropped, " +
                   std::to_string(sched.clock_jumps()) + " clock jumps, " + std::to_string(crashes) +
                   " crashed";
  return result;
}

}  // namespace agents::explorer
