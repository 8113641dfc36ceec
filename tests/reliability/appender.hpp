// Writers that append to ONE thread, as agents sharing a conversation do: each append is its own
// message "<writer>-<i>", saved conditionally on the load it extends and retried until stored.
// A ConflictError promises that nothing was saved: reload and append again. Any other failure
// (OutcomeUnknownError, a transport fault) may have stored the append: reload and look for it
// before appending again. Used by the threads of fault_injection_test.cpp and by the
// processes of reliability_worker (append mode); check_appended() judges the final thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "agents/aws/sigv4.hpp"
#include "agents/checkpoint/checkpointer.hpp"
#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "agents/core/error.hpp"
#include "agents/dynamodb/client.hpp"
#include "reliability/reliability_states.hpp"

namespace agents::testing {

struct AppendOptions {
  std::string thread;
  std::string writer;              ///< e.g. "w0": message ids are "<writer>-<i>"
  int count = 10;                  ///< appends
  std::size_t payload_bytes = 0;   ///< a fresh file of this size with every save (chunked layouts)
  std::size_t message_bytes = 64;  ///< filler after the id in every message
  std::chrono::steady_clock::time_point deadline;
};

struct AppendReport {
  std::vector<std::string> acknowledged;  ///< saves that returned
  std::vector<std::string> found;         ///< saves that failed, then were found stored by a reload
  long conflicts = 0, failed_saves = 0, failed_loads = 0;
  std::map<std::string, long> errors;  ///< by error code name
  std::vector<std::string> violations;
  bool finished = false;  ///< every append stored before the deadline
};

inline std::string append_id_of(const Message& m) { return m.content.substr(0, m.content.find(' ')); }

/// Appends opts.count messages; `on_event` hears "acked <id>", "found <id>" and "violation ...".
inline AppendReport append_messages(Checkpointer& cp, const AppendOptions& opts,
                                    const std::function<void(const std::string&)>& on_event = {}) {
  AppendReport report;
  auto event = [&](const std::string& line) {
    if (on_event) on_event(line);
  };
  auto violation = [&](const std::string& what) {
    report.violations.push_back(opts.writer + ": " + what);
    event("violation " + what);
  };
  std::mt19937 rng(std::random_device{}());
  int corrupt_in_a_row = 0;
  for (int i = 0; i < opts.count; ++i) {
    const std::string id = opts.writer + "-" + std::to_string(i);
    bool maybe_stored = false;  // an attempt failed in a way that may have stored it
    for (int attempt = 0;; ++attempt) {
      if (std::chrono::steady_clock::now() > opts.deadline) return report;
      if (attempt > 0) {  // full jitter up to 16 ms: let the other writers through
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % (1000u << std::min(attempt, 4))));
      }
      std::optional<LoadedState> loaded;
      try {
        loaded = cp.load_state(opts.thread);
      } catch (const CorruptStateError& e) {
        // Concurrent saves and cleanups must never make the thread unloadable (a load retries a
        // head that moved on by itself). Once is a violation; a few in a row: it stays broken.
        ++report.failed_loads;
        if (corrupt_in_a_row++ == 0) violation(std::string("a load failed: ") + e.what());
        if (corrupt_in_a_row >= 20) {
          violation("the thread stays unloadable; " + opts.writer + " gives up");
          return report;
        }
        continue;
      } catch (const Error& e) {
        ++report.errors[std::string(error_code_name(e.code()))];
        ++report.failed_loads;
        continue;
      }
      corrupt_in_a_row = 0;
      AgentStateSnapshot state = loaded ? std::move(loaded->state) : AgentStateSnapshot{};
      const bool there = std::any_of(state.messages.begin(), state.messages.end(),
                                     [&](const Message& m) { return append_id_of(m) == id; });
      if (there) {
        if (!maybe_stored) violation(id + " is stored, yet every save of it was reported as a conflict");
        report.found.push_back(id);
        event("found " + id);
        break;
      }
      state.messages.push_back(
          Message::user(id + " " + payload_for(opts.thread + "#" + id, 0, opts.message_bytes)));
      state.scratchpad["last"] = id;
      if (opts.payload_bytes > 0) {
        std::string payload = payload_for(opts.thread + "#payload#" + id, attempt, opts.payload_bytes);
        state.scratchpad["sha"] = aws::sigv4::sha256_hex(payload);
        state.files["payload"] = std::move(payload);
      }
      try {
        // `loaded` keeps its version and hint (only its state was moved out).
        cp.save_state(opts.thread, state, SavePrecondition::after_load(loaded));
        report.acknowledged.push_back(id);
        event("acked " + id);
        break;
      } catch (const ConflictError&) {
        ++report.conflicts;  // nothing was saved by this attempt
      } catch (const Error& e) {
        ++report.errors[std::string(error_code_name(e.code()))];
        ++report.failed_saves;
        maybe_stored = true;
      }
    }
  }
  report.finished = true;
  return report;
}

/// What the final thread must hold: every acknowledged or found append exactly once, each
/// writer's appends in order, and no message that no writer appended; the payload whole.
/// Returns the problems found (none: empty).
inline std::vector<std::string> check_appended(const AgentStateSnapshot& state,
                                               const std::set<std::string>& stored_appends,
                                               const std::set<std::string>& writers) {
  std::vector<std::string> problems;
  std::map<std::string, int> seen;
  std::map<std::string, int> last_index;  // per writer
  for (const auto& m : state.messages) {
    const std::string id = append_id_of(m);
    const auto dash = id.rfind('-');
    const std::string writer = dash == std::string::npos ? "" : id.substr(0, dash);
    if (!writers.count(writer)) {
      problems.push_back("a message no writer appended: " + id);
      continue;
    }
    if (++seen[id] == 2) problems.push_back(id + " is stored twice (an append reported as not stored)");
    const int index = std::stoi(id.substr(dash + 1));
    if (last_index.count(writer) && index <= last_index[writer])
      problems.push_back(id + " is out of order in its writer's appends");
    last_index[writer] = index;
  }
  for (const auto& id : stored_appends) {
    if (!seen.count(id)) problems.push_back("acknowledged append " + id + " is not in the final history");
  }
  if (auto sha = state.scratchpad.find("sha"); sha != state.scratchpad.end()) {
    auto payload = state.files.find("payload");
    if (payload == state.files.end() ||
        aws::sigv4::sha256_hex(payload->second) != sha->second.get<std::string>())
      problems.push_back("the payload is not the one saved with it (a torn state)");
  }
  return problems;
}

/// The keys of the chunk or segment items a thread's head names (none when there is no head).
inline std::set<std::string> named_extra_items(dynamodb::DynamoDbClient& client, const std::string& table,
                                               const std::string& thread) {
  std::set<std::string> keys;
  auto head = client.get_item(
      {.table = table, .key = {{"thread_id", dynamodb::AttributeValue::S(thread)}}, .consistent_read = true});
  if (!head.ok() || !head->item) return keys;
  const auto& item = *head->item;
  if (auto count = item.find("chunk_count"); count != item.end()) {
    for (std::size_t i = 0; i < std::stoul(count->second.scalar()); ++i)
      keys.insert(thread + "#chunk#" + item.at("save_id").scalar() + "#" + std::to_string(i));
  }
  if (auto segments = item.find("segments"); segments != item.end()) {
    for (const auto& s : segments->second.list()) keys.insert(thread + "#seg#" + s.map().at("id").scalar());
  }
  return keys;
}

struct FinalCheck {
  std::vector<std::string> problems;
  std::size_t messages = 0;
  std::size_t removed_at_the_end = 0;  ///< by the cleanup past its grace
  std::size_t items_left = 0;          ///< chunk/segment items after it (all named by the head)
};

/// After the writers and the cleaner stopped, straight to the server (`endpoint`, no faults):
/// the thread loads and holds every stored append (check_appended); a cleanup whose clock is
/// past the grace period removes every item the head does not name, and the thread still loads
/// the same.
inline FinalCheck check_shared_thread(const std::string& endpoint, const std::string& table,
                                      const std::string& thread, const std::set<std::string>& stored_appends,
                                      const std::set<std::string>& writers,
                                      const std::shared_ptr<aws::CredentialsProvider>& credentials) {
  FinalCheck out;
  auto make = [&] {
    auto cp = std::make_shared<DynamoDbCheckpointer>(table);
    cp->with_endpoint(endpoint).with_region("us-east-1").with_credentials(credentials);
    return cp;
  };
  std::optional<LoadedState> before;
  try {
    before = make()->load_state(thread);
  } catch (const std::exception& e) {
    out.problems.push_back(std::string("the thread does not load: ") + e.what());
    return out;
  }
  if (!before) {
    if (!stored_appends.empty()) out.problems.push_back("the thread is gone");
    return out;
  }
  out.messages = before->state.messages.size();
  out.problems = check_appended(before->state, stored_appends, writers);
  auto later = make();
  later->with_clock([] {
    return std::chrono::system_clock::now() + DynamoDbCheckpointer::kDefaultCleanupGrace +
           std::chrono::hours(1);
  });
  try {
    out.removed_at_the_end = later->remove_orphaned_chunks_and_segments(thread);
  } catch (const std::exception& e) {
    out.problems.push_back(std::string("the final cleanup failed: ") + e.what());
  }
  auto client = later->client();
  auto items = client->scan_all({.table = table,
                                 .filter = "chunk_of = :t",
                                 .projection = "thread_id",
                                 .attributes = {{}, {{":t", dynamodb::AttributeValue::S(thread)}}},
                                 .consistent_read = true});
  if (!items.ok()) {
    out.problems.push_back("scan failed: " + items.status().message());
    return out;
  }
  const auto named = named_extra_items(*client, table, thread);
  out.items_left = items->size();
  for (const auto& item : *items) {
    const std::string& key = item.at("thread_id").scalar();
    if (!named.count(key))
      out.problems.push_back("after the cleanup past its grace, " + key + " is left unnamed");
  }
  try {
    auto after = make()->load_state(thread);
    if (!after || after->state != before->state || after->version != before->version)
      out.problems.push_back("the final cleanup changed what the thread loads");
  } catch (const std::exception& e) {
    out.problems.push_back(std::string("after the final cleanup the thread does not load: ") + e.what());
  }
  return out;
}

}  // namespace agents::testing
