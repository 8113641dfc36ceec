// The interleaving explorer (issue 15): writers, a deleter and the cleanup on one thread, each
// on its own OS thread and its own checkpointer, one step at a time in an order a seed picks;
// after each schedule a checker holds the history against a sequential model.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "explorer/scheduler.hpp"

namespace agents::explorer {

/// What the checkpointers of a schedule store and how.
struct Layout {
  enum class Store { kDynamoDb, kFile, kInMemory };
  std::string name;  ///< "plain", "compressed", "chunked", "incremental", "incremental-cache", "file",
                     ///< "memory", and "-history" forms that keep past versions
  Store store = Store::kDynamoDb;
  Compression compression = Compression::kAuto;
  bool incremental = false;
  std::size_t segment_cache_bytes = 0;
  bool large_states = false;  ///< beyond 400 KB compressed: chunked
  int default_schedules = 0;  ///< in the bounded (ctest) form
  std::size_t keep_last = 0;  ///< history (docs/history.md): past versions kept; 0: off
};

const std::vector<Layout>& all_layouts();

/// Where a schedule's checkpointers keep the thread.
struct Target {
  Layout layout;
  std::string server;  ///< "DynamoDbLocal", "Dynalite"; "" for the file and memory stores
  std::string endpoint;
  std::string table;                       ///< DynamoDB: created by the test
  std::string directory;                   ///< FileCheckpointer
  std::shared_ptr<http::HttpClient> http;  ///< the real transport under the scheduling one
  std::string name() const { return server.empty() ? layout.name : server + "/" + layout.name; }
};

/// The actors of a schedule; by default the seed picks them.
struct Shape {
  int writers = 2;
  int appends = 1;
  int deletes = 0;
  int cleanups = 0;
};

/// A schedule of an exhaustive enumeration: the choices to make (then the first ones).
struct Enumeration {
  Shape shape;
  std::vector<int> forced;
};

struct ScheduleResult {
  std::uint64_t seed = 0;
  std::vector<std::string> violations;
  std::vector<Step> steps;
  std::string summary;                  ///< actors, outcomes, drops, clock jumps
  std::vector<int> choices, branching;  ///< under an Enumeration
};

/// Runs one schedule on a fresh thread of the target and checks it.
ScheduleResult run_schedule(const Target& target, std::uint64_t seed,
                            const Enumeration* enumeration = nullptr);

/// The next schedule of a depth-first enumeration after `done`, or nothing when all were run.
std::optional<std::vector<int>> next_choices(const ScheduleResult& done);

/// One line per step, for a failing schedule's report.
std::string describe_steps(const std::vector<Step>& steps, std::size_t max_steps = 400);

}  // namespace agents::explorer
