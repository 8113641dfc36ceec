// The interleaving explorer as a test: per store and layout, the failing schedules kept in
// regressions.txt first, then seeded random schedules. Fails on any violation.
// Environment: AGENTS_EXPLORER_SCHEDULES (per layout; chunked takes a tenth), AGENTS_EXPLORER_SEED
// (the first seed; default 1), AGENTS_EXPLORER_LAYOUTS (comma-separated layout or target names),
// AGENTS_EXPLORER_RECORD (a file to which failing "target seed" lines are appended),
// AGENTS_EXPLORER_DROPS (up to that many dropped requests per schedule, more often),
// AGENTS_EXPLORER_VERBOSE (print every schedule's summary), AGENTS_EXPLORER_EXHAUSTIVE (also
// enumerate tiny configurations on DynamoDB Local), AGENTS_EXPLORER_EXHAUSTIVE_MAX (cap per shape).
// Every schedule of a seed is the same again as far as the system is deterministic: parallel
// chunk writes and random save ids can make a replay take a slightly different path.
#include "explorer/explorer.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "support/dynamodb_fixture.hpp"

namespace agents::explorer {
namespace {

struct Totals {
  int schedules = 0, violations = 0;
  std::vector<std::string> lines;
};
Totals& totals() {
  static Totals t;
  return t;
}

class SummaryEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    if (totals().lines.empty()) return;
    for (const auto& line : totals().lines) std::cout << line << "\n";
    std::cout << "explorer: summary: " << totals().schedules << " schedules, " << totals().violations
              << " violations" << std::endl;
  }
};
[[maybe_unused]] ::testing::Environment* const kSummary =
    ::testing::AddGlobalTestEnvironment(new SummaryEnvironment);

std::optional<long long> env_number(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::stoll(v);
}

std::string env_text(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

struct Regression {
  std::string target;
  std::uint64_t seed = 0;
};

std::vector<Regression> read_regressions() {
  std::vector<Regression> out;
  std::ifstream in(AGENTS_EXPLORER_REGRESSIONS);
  std::string line;
  while (std::getline(in, line)) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream fields(line);
    Regression r;
    if (fields >> r.target >> r.seed) out.push_back(r);
  }
  return out;
}

void record_failure(const std::string& target, std::uint64_t seed, const std::string& violation) {
  const std::string path = env_text("AGENTS_EXPLORER_RECORD");
  if (path.empty()) return;
  for (const auto& r : read_regressions())
    if (r.target == target && r.seed == seed && path == AGENTS_EXPLORER_REGRESSIONS) return;
  std::ofstream out(path, std::ios::app);
  out << target << " " << seed << "  # " << violation.substr(0, 150) << "\n";
}

bool selected(const std::string& layout, const std::string& target) {
  const std::string filter = env_text("AGENTS_EXPLORER_LAYOUTS");
  if (filter.empty()) return true;
  std::istringstream names(filter);
  std::string name;
  while (std::getline(names, name, ','))
    if (name == layout || name == target) return true;
  return false;
}

struct Param {
  std::string server;  ///< "" for the file and memory stores
  std::string env_var;
  Layout layout;
};

void PrintTo(const Param& p, std::ostream* os) {
  *os << (p.server.empty() ? "" : p.server + "/") << p.layout.name;
}

class ExplorerTest : public ::testing::TestWithParam<Param> {};

TEST_P(ExplorerTest, EveryScheduleKeepsTheGuarantees) {
  const Param& p = GetParam();
  Target t;
  t.layout = p.layout;
  t.server = p.server;
  if (!selected(t.layout.name, t.name())) GTEST_SKIP() << "not in AGENTS_EXPLORER_LAYOUTS";
  std::filesystem::path directory;
  if (p.layout.store == Layout::Store::kDynamoDb) {
    AGENTS_REQUIRE_LOCAL_SERVER((testing::LocalServer{p.server, p.env_var}), endpoint);
    t.endpoint = endpoint;
    t.table = testing::unique_table_name("explorer");
    testing::create_table_and_wait(*testing::make_local_client(endpoint),
                                   {.table = t.table, .partition_key = {"thread_id", "S"}});
    t.http = http::make_curl_http_client({.request_timeout = std::chrono::milliseconds(60000)});
  } else if (p.layout.store == Layout::Store::kFile) {
    directory = std::filesystem::temp_directory_path() / testing::unique_table_name("agents-explorer");
    std::filesystem::create_directories(directory);
    t.directory = directory.string();
  }

  long long schedules = p.layout.default_schedules;
  if (auto n = env_number("AGENTS_EXPLORER_SCHEDULES")) {
    schedules = p.layout.large_states ? std::max(1LL, *n / 10) : *n;
  } else if (p.server == "Dynalite") {
    schedules = std::max(1LL, schedules / 2);
  }
  const auto first_seed = static_cast<std::uint64_t>(env_number("AGENTS_EXPLORER_SEED").value_or(1));

  std::vector<std::uint64_t> seeds;
  for (const auto& r : read_regressions())
    if (r.target == t.name()) seeds.push_back(r.seed);
  const std::size_t replayed = seeds.size();
  const std::set<std::uint64_t> kept(seeds.begin(), seeds.end());
  for (long long i = 0; i < schedules; ++i) {
    const std::uint64_t seed = first_seed + static_cast<std::uint64_t>(i);
    if (!kept.count(seed)) seeds.push_back(seed);  // a kept one already ran first
  }

  const bool verbose = !env_text("AGENTS_EXPLORER_VERBOSE").empty();
  int failed = 0;
  std::string failing;
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    ScheduleResult r = run_schedule(t, seeds[i]);
    if (verbose)
      std::cout << "explorer: " << t.name() << " seed " << r.seed << ": " << r.summary << std::endl;
    if (r.violations.empty()) continue;
    ++failed;
    failing += (failing.empty() ? "" : ", ") + std::to_string(r.seed);
    std::cout << "explorer: VIOLATION " << t.name() << " seed " << r.seed
              << (i < replayed ? " (regression)" : "") << ": " << r.summary << "\n";
    for (const auto& v : r.violations) std::cout << "  - " << v << "\n";
    if (failed <= 3 || verbose) std::cout << "  schedule:\n" << describe_steps(r.steps, 250);
    std::cout << std::flush;
    if (i >= replayed) record_failure(t.name(), r.seed, r.violations.front());
  }
  if (!directory.empty()) std::filesystem::remove_all(directory);

  std::ostringstream line;
  line << "explorer: " << t.name() << ": " << seeds.size() << " schedules (" << replayed << " regressions), "
       << failed << " violations";
  std::cout << line.str() << std::endl;
  totals().schedules += static_cast<int>(seeds.size());
  totals().violations += failed;
  totals().lines.push_back(line.str());
  EXPECT_EQ(failed, 0) << "failing seeds of " << t.name() << ": " << failing
                       << " (replay: AGENTS_EXPLORER_LAYOUTS=" << t.name()
                       << " AGENTS_EXPLORER_SEED=<seed> AGENTS_EXPLORER_SCHEDULES=1)";
}

// Every order of the steps of a tiny configuration (depth-first over the scheduler's choices),
// in the stores where a schedule is cheap; DynamoDB Local only in the long form
// (AGENTS_EXPLORER_EXHAUSTIVE=1). AGENTS_EXPLORER_EXHAUSTIVE_MAX caps the count per shape.
struct ExhaustiveParam {
  std::string server, env_var;
  Layout layout;
  Shape shape;
};

void PrintTo(const ExhaustiveParam& p, std::ostream* os) {
  *os << (p.server.empty() ? "" : p.server + "/") << p.layout.name << " " << p.shape.writers << " writers x "
      << p.shape.appends << ", " << p.shape.deletes << " deletes, " << p.shape.cleanups << " cleanups";
}

class ExhaustiveTest : public ::testing::TestWithParam<ExhaustiveParam> {};

TEST_P(ExhaustiveTest, EveryOrderOfATinyConfiguration) {
  const ExhaustiveParam& p = GetParam();
  Target t;
  t.layout = p.layout;
  t.server = p.server;
  if (!selected(t.layout.name, t.name())) GTEST_SKIP() << "not in AGENTS_EXPLORER_LAYOUTS";
  const bool dynamo = p.layout.store == Layout::Store::kDynamoDb;
  if (dynamo && env_text("AGENTS_EXPLORER_EXHAUSTIVE").empty())
    GTEST_SKIP() << "DynamoDB enumerations run in the long form (AGENTS_EXPLORER_EXHAUSTIVE=1)";
  std::filesystem::path directory;
  if (dynamo) {
    AGENTS_REQUIRE_LOCAL_SERVER((testing::LocalServer{p.server, p.env_var}), endpoint);
    t.endpoint = endpoint;
    t.table = testing::unique_table_name("explorer");
    testing::create_table_and_wait(*testing::make_local_client(endpoint),
                                   {.table = t.table, .partition_key = {"thread_id", "S"}});
    t.http = http::make_curl_http_client({.request_timeout = std::chrono::milliseconds(60000)});
  } else if (p.layout.store == Layout::Store::kFile) {
    directory = std::filesystem::temp_directory_path() / testing::unique_table_name("agents-explorer");
    std::filesystem::create_directories(directory);
    t.directory = directory.string();
  }
  const long long cap = env_number("AGENTS_EXPLORER_EXHAUSTIVE_MAX").value_or(dynamo ? 400 : 1500);

  Enumeration e{p.shape, {}};
  long long runs = 0;
  int failed = 0;
  bool complete = false;
  for (;;) {
    ScheduleResult r = run_schedule(t, 0, &e);
    ++runs;
    if (!r.violations.empty()) {
      ++failed;
      if (failed <= 3) {
        std::cout << "explorer: VIOLATION exhaustive " << t.name() << " schedule " << runs << ": "
                  << r.summary << "\n";
        for (const auto& v : r.violations) std::cout << "  - " << v << "\n";
        std::cout << "  schedule:\n" << describe_steps(r.steps, 250) << std::flush;
      }
    }
    auto next = next_choices(r);
    if (!next) {
      complete = true;
      break;
    }
    if (runs >= cap) break;
    e.forced = std::move(*next);
  }
  if (!directory.empty()) std::filesystem::remove_all(directory);
  std::ostringstream line;
  line << "explorer: exhaustive " << t.name() << " (" << p.shape.writers << " writers x " << p.shape.appends
       << ", " << p.shape.deletes << " deletes, " << p.shape.cleanups << " cleanups): " << runs
       << " schedules (" << (complete ? "all" : "capped") << "), " << failed << " violations";
  std::cout << line.str() << std::endl;
  totals().schedules += static_cast<int>(runs);
  totals().violations += failed;
  totals().lines.push_back(line.str());
  EXPECT_EQ(failed, 0);
}

std::vector<ExhaustiveParam> exhaustive_params() {
  std::vector<ExhaustiveParam> out;
  for (const auto& layout : all_layouts()) {
    if (layout.store != Layout::Store::kDynamoDb) {
      out.push_back({"", "", layout, {.writers = 2, .appends = 1, .deletes = 1}});
      out.push_back({"", "", layout, {.writers = 2, .appends = 2, .deletes = 0}});
      out.push_back({"", "", layout, {.writers = 3, .appends = 1, .deletes = 1}});  // the smallest ABA
    } else if (layout.name == "plain" || layout.name == "incremental") {
      out.push_back({testing::kDynamoDbLocal.name,
                     testing::kDynamoDbLocal.env_var,
                     layout,
                     {.writers = 2, .appends = 1, .deletes = 1}});
      out.push_back({testing::kDynamoDbLocal.name,
                     testing::kDynamoDbLocal.env_var,
                     layout,
                     {.writers = 2, .appends = 1, .deletes = 0, .cleanups = 1}});
    }
  }
  return out;
}

std::string exhaustive_name(const ::testing::TestParamInfo<ExhaustiveParam>& info) {
  const auto& p = info.param;
  std::string name = (p.server.empty() ? "" : p.server + "_") + p.layout.name + "_" +
                     std::to_string(p.shape.writers) + "w" + std::to_string(p.shape.appends) + "a" +
                     std::to_string(p.shape.deletes) + "d" + std::to_string(p.shape.cleanups) + "c";
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Explorer, ExhaustiveTest, ::testing::ValuesIn(exhaustive_params()), exhaustive_name);

std::vector<Param> params() {
  std::vector<Param> out;
  for (const auto& layout : all_layouts()) {
    if (layout.store != Layout::Store::kDynamoDb) {
      out.push_back({"", "", layout});
      continue;
    }
    for (const auto* server : {&testing::kDynamoDbLocal, &testing::kDynalite})
      out.push_back({server->name, server->env_var, layout});
  }
  return out;
}

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
  std::string name = (info.param.server.empty() ? "" : info.param.server + "_") + info.param.layout.name;
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Explorer, ExplorerTest, ::testing::ValuesIn(params()), param_name);

}  // namespace
}  // namespace agents::explorer
