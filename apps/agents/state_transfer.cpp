// `agents state export [--since T]` and `agents state import [--force]`: threads as JSON lines,
// one `state load --json` envelope per line, so that a backup restores into any table, region
// or endpoint (docs/export-import.md).
#include <unistd.h>

#include <iostream>
#include <map>

#include "agents/core/duration.hpp"
#include "cli_context.hpp"
#include "state_document.hpp"
#include "table_check.hpp"

namespace agents::cli {

namespace {

using Clock = std::chrono::system_clock;

std::string count_of(std::size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

// "2026-11-30T12:00:00Z" (any RFC 3339 time with a zone), or a date "2026-11-30" (midnight UTC).
std::optional<Clock::time_point> parse_utc_time(const std::string& text) {
  if (text.size() == 10) return agents::parse_rfc3339(text + "T00:00:00Z");
  return agents::parse_rfc3339(text);
}

// --since takes a duration back from now (24h, 7d) or a UTC time, as `aws logs tail --since` does.
Clock::time_point parse_since(const std::string& text) {
  const bool has_unit =
      !text.empty() && std::isalpha(static_cast<unsigned char>(text.back())) && text.back() != 'Z';
  if (has_unit) {
    if (auto d = agents::parse_duration(text)) return Clock::now() - *d;
  } else if (auto t = parse_utc_time(text)) {
    return *t;
  }
  throw UsageError("--since '" + text +
                   "' is neither a duration back from now (24h, 7d, 90m) nor a UTC time (2026-11-30 or "
                   "2026-11-30T12:00:00Z)");
}

// Progress rewrites one line on a terminal; elsewhere (files, CI logs) it prints nothing.
class Counter {
 public:
  Counter(std::string verb, std::size_t total)
      : verb_(std::move(verb)), total_(total), tty_(::isatty(STDERR_FILENO) != 0) {}
  void tick(std::size_t done) const {
    if (tty_) std::cerr << "\r\033[K" << verb_ << " " << done << "/" << total_ << " threads" << std::flush;
  }
  /// Clears the progress line and, when `summary` is not empty, leaves it there instead.
  void finish(const std::string& summary) const {
    if (tty_) std::cerr << "\r\033[K" << summary << (summary.empty() ? "" : "\n") << std::flush;
  }

 private:
  std::string verb_;
  std::size_t total_;
  bool tty_;
};

struct ImportRecord {
  std::size_t line = 0;
  StateDocument doc;
};

// Reads and checks every line before anything is written: a bad line imports nothing.
std::vector<ImportRecord> read_import_lines(std::istream& in) {
  std::vector<ImportRecord> records;
  std::map<std::string, std::size_t> first_line;
  std::string text;
  for (std::size_t line = 1; std::getline(in, text); ++line) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto fail = [&](const std::string& why) {
      throw InvalidArgumentError("line " + std::to_string(line) + " of the input: " + why +
                                 "; nothing was imported");
    };
    ImportRecord record{line, {}};
    try {
      record.doc = parse_state_document(text);
      if (record.doc.thread_id.empty())
        fail("no thread_id (import reads the lines `agents state export` writes)");
      Checkpointer::validate_thread_id(record.doc.thread_id);
    } catch (const InvalidArgumentError& e) {
      if (std::string(e.what()).find("nothing was imported") != std::string::npos) throw;
      fail(e.what());
    }
    auto [seen, inserted] = first_line.emplace(record.doc.thread_id, line);
    if (!inserted)
      fail("thread " + record.doc.thread_id + " appears again (first on line " +
           std::to_string(seen->second) + ")");
    records.push_back(std::move(record));
  }
  return records;
}

// The stored save is newer than (or the same as) the file's when it was saved at or after it.
// Versions restart in every table, so the time of the save is what compares across tables.
bool stored_is_newer(const LoadedState& stored, const StateDocument& incoming) {
  if (incoming.updated_at.empty()) return true;  // no evidence the file is newer: keep what is stored
  auto a = parse_utc_time(stored.updated_at);
  auto b = parse_utc_time(incoming.updated_at);
  if (a && b) return *a >= *b;
  return stored.updated_at >= incoming.updated_at;
}

enum class Outcome { kCreated, kReplaced, kSkippedNewer, kSkippedChanged };

Outcome import_one(Checkpointer& cp, const ImportRecord& r, bool force) {
  const auto& id = r.doc.thread_id;
  if (force) {
    const bool existed = cp.load_state(id).has_value();
    cp.save_state(id, r.doc.state, SavePrecondition::none());
    return existed ? Outcome::kReplaced : Outcome::kCreated;
  }
  auto stored = cp.load_state(id);
  if (stored && stored_is_newer(*stored, r.doc)) {
    std::cerr << "skipped thread " << id << ": the table holds version " << stored->version << " saved "
              << stored->updated_at << ", not older than line " << r.line << " (saved "
              << (r.doc.updated_at.empty() ? "at an unknown time" : r.doc.updated_at)
              << "); --force overwrites it\n";
    return Outcome::kSkippedNewer;
  }
  try {
    cp.save_state(id, r.doc.state, SavePrecondition::after_load(stored));  // only over what was just read
  } catch (const ConflictError&) {
    std::cerr << "skipped thread " << id
              << ": another writer saved it during the import; --force overwrites it\n";
    return Outcome::kSkippedChanged;
  }
  return stored ? Outcome::kReplaced : Outcome::kCreated;
}

}  // namespace

int run_state_export(Context& ctx, const std::string& since) {
  std::optional<Clock::time_point> cutoff;
  if (!since.empty()) cutoff = parse_since(since);
  require_checkpoint_table(ctx);
  auto cp = ctx.checkpointer();
  std::vector<ThreadInfo> threads;
  for (auto& t : cp->list_threads().threads) {
    auto updated = parse_utc_time(t.updated_at);
    if (!cutoff || !updated || *updated >= *cutoff) threads.push_back(std::move(t));
  }
  Counter counter("exporting", threads.size());
  std::size_t written = 0;
  for (std::size_t i = 0; i < threads.size(); ++i) {
    counter.tick(i);
    auto loaded = cp->load_state(threads[i].thread_id);
    if (!loaded) continue;  // deleted or expired since the listing
    std::cout << state_envelope(threads[i].thread_id, *loaded).dump() << "\n";
    ++written;
  }
  std::cout.flush();
  if (!std::cout) throw InvalidArgumentError("could not write the export to stdout");
  counter.finish("exported " + count_of(written, "thread"));
  return kOk;
}

int run_state_import(Context& ctx, bool force) {
  auto records = read_import_lines(std::cin);
  require_checkpoint_table(ctx);
  auto cp = ctx.checkpointer();
  Counter counter("importing", records.size());
  std::map<Outcome, std::size_t> counts;
  for (std::size_t i = 0; i < records.size(); ++i) {
    counter.tick(i);
    ++counts[import_one(*cp, records[i], force)];
  }
  const std::size_t created = counts[Outcome::kCreated], replaced = counts[Outcome::kReplaced];
  const std::size_t skipped = counts[Outcome::kSkippedNewer] + counts[Outcome::kSkippedChanged];
  std::string summary = "imported " + std::to_string(created + replaced) + " threads (" +
                        std::to_string(created) + " created, " + std::to_string(replaced) +
                        " replaced), skipped " + std::to_string(skipped);
  counter.finish("");
  ctx.print({{"created", created},
             {"replaced", replaced},
             {"skipped_newer", counts[Outcome::kSkippedNewer]},
             {"skipped_changed", counts[Outcome::kSkippedChanged]}},
            summary);
  return kOk;
}

}  // namespace agents::cli
