// A helper process for the reliability tests and scripts/soak:
//   reliability_worker increment --store dynamodb|file:DIR [--endpoint URL] [--table T] --thread ID
//                                --count N --id K [--incremental 1]
//       load -> add one (and a message) -> save (conditional on the load), again on conflict; N times.
//   reliability_worker crash-saver --endpoint URL --table T --thread ID --bytes B
//                                  [--incremental 1 --message-bytes M]
//       saves self-checking states of B payload bytes in a loop, printing "saving N" before and
//       "acked N" after each save, until killed. Incremental: each save also appends a message
//       of M payload bytes, and the history is checked too.
//   reliability_worker append --endpoint URL --table T --thread ID --writer W --count N
//                             [--payload-bytes B] [--message-bytes M] [--incremental 1] [--seconds S]
//                             [--max-attempts N] [--request-timeout-ms MS]
//       appends N messages "W-<i>" to the thread, one per conditional save, each retried until it
//       is stored (tests/reliability/appender.hpp); prints "acked W-i", "found W-i" (a failed save
//       found stored by the reload), "violation ..." and a last "done ..." line.
//   reliability_worker cleaner --endpoint URL --table T --thread ID --stop-file PATH
//       runs remove_orphaned_chunks_and_segments (default grace) until PATH exists; prints
//       "cleaned R rounds, F failed, N removed".
//   reliability_worker soak --endpoint URL --table T --seconds S [--threads N] [--sample-seconds P]
//       loads and saves at full speed, sampling its own RSS and open file descriptors.
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "agents/http/http_client.hpp"
#include "reliability/appender.hpp"
#include "reliability/reliability_states.hpp"

namespace {

using namespace std::chrono_literals;

std::map<std::string, std::string> parse_args(int argc, char** argv) {
  std::map<std::string, std::string> out;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (key.rfind("--", 0) != 0) throw std::runtime_error("unexpected argument " + key);
    out[key.substr(2)] = argv[i + 1];
  }
  return out;
}

std::string arg(const std::map<std::string, std::string>& args, const std::string& name,
                const std::string& fallback = "\x01") {
  auto it = args.find(name);
  if (it != args.end()) return it->second;
  if (fallback == "\x01") throw std::runtime_error("missing --" + name);
  return fallback;
}

std::shared_ptr<agents::aws::CredentialsProvider> local_credentials() {
  return agents::aws::make_static_credentials_provider({.access_key_id = "AKIDRELIABILITY",
                                                        .secret_access_key = "reliability-local-secret",
                                                        .source = "test"});
}

std::unique_ptr<agents::Checkpointer> make_store(const std::map<std::string, std::string>& args) {
  std::string store = arg(args, "store", "dynamodb");
  if (store.rfind("file:", 0) == 0) return std::make_unique<agents::FileCheckpointer>(store.substr(5));
  auto cp = std::make_unique<agents::DynamoDbCheckpointer>(arg(args, "table"));
  cp->with_endpoint(arg(args, "endpoint")).with_region("us-east-1").with_credentials(local_credentials());
  cp->with_incremental(arg(args, "incremental", "0") == "1");
  // Fewer retries and a short timeout let the fault proxy's faults reach the caller.
  if (args.count("max-attempts")) {
    cp->with_retry({.max_attempts = std::stoi(arg(args, "max-attempts")),
                    .throttling_base = 20ms,
                    .quota_capacity = 1'000'000});
  }
  if (args.count("request-timeout-ms")) {
    cp->with_http_client(agents::http::make_curl_http_client(
        {.request_timeout = std::chrono::milliseconds(std::stol(arg(args, "request-timeout-ms")))}));
  }
  return cp;
}

// Unbuffered, one write per line: the parent reads these while this process may be killed.
void say(const std::string& line) {
  std::string out = line + "\n";
  ssize_t ignored = ::write(STDOUT_FILENO, out.data(), out.size());
  (void)ignored;
}

int increment(const std::map<std::string, std::string>& args) {
  auto cp = make_store(args);
  const std::string thread = arg(args, "thread");
  const int count = std::stoi(arg(args, "count"));
  const std::string id = arg(args, "id", std::to_string(::getpid()));
  std::mt19937 rng(static_cast<unsigned>(::getpid()));
  long conflicts = 0;
  for (int i = 0; i < count; ++i) {
    for (int in_a_row = 0;; ++in_a_row) {
      auto loaded = cp->load_state(thread);
      agents::AgentStateSnapshot state = loaded ? loaded->state : agents::AgentStateSnapshot{};
      std::int64_t counter =
          state.scratchpad.count("counter") ? state.scratchpad["counter"].get<std::int64_t>() : 0;
      state.scratchpad["counter"] = counter + 1;
      state.todos.push_back({"w" + id + "-" + std::to_string(i), agents::TodoStatus::kCompleted});
      state.messages.push_back(agents::Message::user("w" + id + "-" + std::to_string(i)));
      try {
        cp->save_state(thread, state, agents::SavePrecondition::after_load(loaded));
        break;
      } catch (const agents::ConflictError&) {
        // Someone else saved in between: back off (full jitter, doubling up to 32 ms), reload, reapply.
        ++conflicts;
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % (1000u << std::min(in_a_row, 5))));
      }
    }
  }
  say("done " + std::to_string(count) + " increments, " + std::to_string(conflicts) + " conflicts");
  return 0;
}

int crash_saver(const std::map<std::string, std::string>& args) {
  auto cp = make_store(args);
  const std::string thread = arg(args, "thread");
  const std::size_t bytes = std::stoul(arg(args, "bytes"));
  const bool history = arg(args, "incremental", "0") == "1";
  const std::size_t message_bytes = std::stoul(arg(args, "message-bytes", "0"));
  for (;;) {
    auto loaded = cp->load_state(thread);
    std::int64_t seq = 1;
    if (loaded) {
      auto check = history ? agents::testing::check_history_state(thread, loaded->state, message_bytes)
                           : agents::testing::check_state(thread, loaded->state);
      if (!check.problem.empty()) {
        say("corrupt " + check.problem);
        return 3;
      }
      seq = check.seq + 1;
    }
    auto state = history ? agents::testing::versioned_history_state(
                               thread, seq, bytes,
                               loaded ? std::move(loaded->state.messages) : std::vector<agents::Message>{},
                               message_bytes)
                         : agents::testing::versioned_state(thread, seq, bytes);
    say("saving " + std::to_string(seq));
    try {
      cp->save_state(thread, state, agents::SavePrecondition::after_load(loaded));
    } catch (const agents::ConflictError&) {
      // The killed predecessor's last write can reach the server after this process loaded:
      // reload and go on, as an agent would.
      say("conflict " + std::to_string(seq));
      continue;
    }
    say("acked " + std::to_string(seq));
  }
}

int append(const std::map<std::string, std::string>& args) {
  auto cp = make_store(args);
  agents::testing::AppendOptions opts;
  opts.thread = arg(args, "thread");
  opts.writer = arg(args, "writer");
  opts.count = std::stoi(arg(args, "count"));
  opts.payload_bytes = std::stoul(arg(args, "payload-bytes", "0"));
  opts.message_bytes = std::stoul(arg(args, "message-bytes", "64"));
  opts.deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(std::stol(arg(args, "seconds", "90")));
  auto report = agents::testing::append_messages(*cp, opts, say);
  std::string errors;
  for (const auto& [code, n] : report.errors) errors += " " + code + "=" + std::to_string(n);
  say("done " + std::to_string(report.acknowledged.size()) + " acknowledged, " +
      std::to_string(report.found.size()) + " found, " + std::to_string(report.conflicts) + " conflicts, " +
      std::to_string(report.failed_saves) + " failed saves, " + std::to_string(report.failed_loads) +
      " failed loads (" + errors + " )" + (report.finished ? "" : " UNFINISHED"));
  return report.finished && report.violations.empty() ? 0 : 1;
}

int cleaner(const std::map<std::string, std::string>& args) {
  auto store = make_store(args);
  auto* cp = dynamic_cast<agents::DynamoDbCheckpointer*>(store.get());
  if (cp == nullptr) throw std::runtime_error("cleaner needs the DynamoDB store");
  const std::string thread = arg(args, "thread");
  const std::string stop_file = arg(args, "stop-file");
  long rounds = 0, failed = 0;
  std::size_t removed = 0;
  while (::access(stop_file.c_str(), F_OK) != 0) {
    try {
      removed += cp->remove_orphaned_chunks_and_segments(thread);
      ++rounds;
    } catch (const agents::Error&) {
      ++failed;  // a fault: the next round goes on
    }
    std::this_thread::sleep_for(10ms);
  }
  say("cleaned " + std::to_string(rounds) + " rounds, " + std::to_string(failed) + " failed, " +
      std::to_string(removed) + " removed");
  return 0;
}

long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long v = 0;
      in >> v;
      return v;
    }
    std::getline(in, key);
  }
  return -1;
}

int open_fds() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') ++n;
    }
    ::closedir(d);
  }
  return n - 1;  // the directory stream itself
}

int soak(const std::map<std::string, std::string>& args) {
  auto cp = make_store(args);
  const auto duration = std::chrono::seconds(std::stol(arg(args, "seconds")));
  const int threads = std::stoi(arg(args, "threads", "2"));
  const auto period = std::chrono::seconds(std::stol(arg(args, "sample-seconds", "10")));
  std::atomic<bool> stop{false};
  std::atomic<long> ops{0}, errors{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t) + 1);
      std::int64_t seq = 0;
      for (long i = 0; !stop; ++i) {
        // Mostly small states, some compressed, some chunked: every code path of the hot loop.
        std::string thread = "soak-" + std::to_string(t) + "-" + std::to_string(i % 16);
        std::size_t bytes = i % 50 == 0 ? 900'000 : (i % 10 == 0 ? 120'000 : 2'000);
        try {
          cp->save_state(thread, agents::testing::versioned_state(thread, ++seq, bytes));
          auto loaded = cp->load_state(thread);
          if (!loaded || !agents::testing::check_state(thread, loaded->state).problem.empty()) ++errors;
          ops += 2;
        } catch (const std::exception& e) {
          ++errors;
          std::cerr << "soak: " << e.what() << "\n";
        }
        (void)rng;
      }
    });
  }
  const auto started = std::chrono::steady_clock::now();
  std::vector<long> rss;
  std::vector<int> fds;
  auto sample = [&] {
    rss.push_back(rss_kib());
    fds.push_back(open_fds());
    auto t =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
    say("sample t=" + std::to_string(t) + "s ops=" + std::to_string(ops.load()) +
        " rss_kib=" + std::to_string(rss.back()) + " fds=" + std::to_string(fds.back()));
  };
  while (std::chrono::steady_clock::now() - started < duration) {
    std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(
        period, duration - (std::chrono::steady_clock::now() - started) + 1ms));
    sample();
  }
  stop = true;
  for (auto& w : workers) w.join();
  // Flat: after the first sample (warm-up: connection pool, allocator arenas), the later half
  // grows RSS by at most 10% + 8 MiB over the earlier half, and fds move by at most 4.
  std::size_t n = rss.size();
  std::size_t warm = n > 2 ? 1 : 0;
  std::size_t mid = warm + (n - warm) / 2;
  long early = 0, late = 0;
  int fd_min = 1 << 30, fd_max = 0;
  for (std::size_t i = warm; i < n; ++i) {
    (i < mid ? early : late) = std::max(i < mid ? early : late, rss[i]);
    fd_min = std::min(fd_min, fds[i]);
    fd_max = std::max(fd_max, fds[i]);
  }
  if (early == 0) early = late;
  bool rss_flat = late <= early + early / 10 + 8 * 1024;
  bool fds_flat = fd_max - fd_min <= 4;
  say("soak: " + std::to_string(ops.load()) + " operations, " + std::to_string(errors.load()) +
      " errors in " + std::to_string(duration.count()) + " s; RSS max " + std::to_string(early / 1024) +
      " MiB (first half) -> " + std::to_string(late / 1024) +
      " MiB (second half): " + (rss_flat ? "flat" : "GROWING") + "; fds " + std::to_string(fd_min) + ".." +
      std::to_string(fd_max) + ": " + (fds_flat ? "flat" : "GROWING"));
  return rss_flat && fds_flat && errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: reliability_worker increment|crash-saver|append|cleaner|soak --option value ...\n";
    return 2;
  }
  try {
    std::string mode = argv[1];
    auto args = parse_args(argc, argv);
    if (mode == "increment") return increment(args);
    if (mode == "crash-saver") return crash_saver(args);
    if (mode == "soak") return soak(args);
    if (mode == "append") return append(args);
    if (mode == "cleaner") return cleaner(args);
    std::cerr << "reliability_worker: unknown mode " << mode << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "reliability_worker: " << e.what() << "\n";
    return 1;
  }
}
