// End-to-end benchmark driver (bench/run, docs/benchmarks.md): the C++ side of the comparison.
//
//   checkpoint_bench prepare  --endpoint URL --table T --dir DIR
//       creates the table, writes the item every client sends (DIR/item-<size>.json, in the item
//       layout DynamoDbCheckpointer writes) and stores the items that the cells read or replace.
//   checkpoint_bench run      --client floor|floor_curl|ours|own
//                             --workload save|load|turn|save_zstd|load_zstd|save_generic|load_generic
//                             --size S --workers N
//                             --seconds S --warmup S --endpoint URL --table T --dir DIR
//                             --server NAME --server-pid PID --out FILE [--ca PEM]
//       runs one cell and appends one JSON record to FILE (fields: docs/benchmarks.md).
//       own: this library's DynamoDbClient alone (the bare PutItem/GetItem, no checkpointer).
//       *_generic: the state is a free-form JSON document (in `scratchpad`) instead of messages.
//       --ca: the PEM bundle that signs an https endpoint's certificate (the TLS cells).
//   checkpoint_bench capacity --endpoint URL --table T --dir DIR --server NAME --out FILE
//       write/read units per save/load/turn from ReturnConsumedCapacity, plain and compressed,
//       and the DynamoDB calls an agent turn makes.
//   checkpoint_bench conversation --endpoint URL --table T --server NAME --out FILE
//                                 [--turns 500] [--turn-bytes 1000] [--loads 30]
//       one conversation grown turn by turn (load, append a turn, save) in the plain and the
//       incremental layout side by side: bytes and write units of every save, then the time to
//       load the finished thread, alternating the layouts (and a warm incremental reader with
//       with_segment_cache_bytes). Prints a table, appends one record.
//   checkpoint_bench history --endpoint URL --table T --server NAME --out FILE
//                            [--turns 500] [--turn-bytes 1000] [--keep-last 20] [--plain-turns 100]
//       the cost of checkpoint history (docs/history.md): one conversation grown turn by turn
//       with and without with_history(keep_last), side by side, in the incremental layout (and
//       the plain layout over fewer turns): write units, bytes sent, and the storage the thread
//       holds at the end. Prints a table, appends one record.
//
// The floor signs each request once with RequestSigner and writes the identical HTTP/1.1 bytes to a
// keep-alive TCP socket (one per worker thread), reading the answer by its Content-Length: server
// time + loopback and nothing else. Over https (and as `floor_curl`) it replays the same request
// through a keep-alive libcurl easy handle instead.
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../tests/support/sample_states.hpp"
#include "agents/aws/sigv4.hpp"
#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "agents/core/error.hpp"
#include "agents/dynamodb/client.hpp"
#include "agents/http/http_client.hpp"
#include "checkpoint/item_layout.hpp"
#include "dynamodb/json_codec.hpp"

#if AGENTS_BENCH_HAVE_AGENT
#include "agents/agent/agent.hpp"
#include "agents/model/offline_chat_model.hpp"
#endif

namespace {

using agents::AgentStateSnapshot;
using agents::Json;
using agents::SavePrecondition;
using agents::dynamodb::AttributeValue;
using agents::dynamodb::Item;
using SteadyClock = std::chrono::steady_clock;

constexpr int kMaxWorkers = 64;
// Messages per turn of the turn workloads; 500 turns stay a plain item (< 400 KB).
constexpr std::size_t kBytesPerTurn = 560;
// The turn workloads append two messages per turn; every this many turns the state is put back
// to its starting size (not timed), so that a cell measures the conversation length it names.
constexpr int kTurnsBeforeReset = 25;

// --- command line ------------------------------------------------------------------------------

struct Args {
  std::string command;
  std::map<std::string, std::string> values;

  const std::string& get(const std::string& key) const {
    auto it = values.find(key);
    if (it == values.end()) throw std::runtime_error("missing --" + key);
    return it->second;
  }
  std::string get_or(const std::string& key, std::string fallback) const {
    auto it = values.find(key);
    return it == values.end() ? fallback : it->second;
  }
  double number(const std::string& key, double fallback) const {
    auto it = values.find(key);
    return it == values.end() ? fallback : std::stod(it->second);
  }
};

Args parse_args(int argc, char** argv) {
  Args args;
  if (argc < 2) throw std::runtime_error("usage: checkpoint_bench prepare|run|capacity --key value ...");
  args.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string key = argv[i];
    if (!key.starts_with("--") || i + 1 >= argc) throw std::runtime_error("bad argument: " + key);
    args.values[key.substr(2)] = argv[++i];
  }
  return args;
}

// --- workloads and their states ----------------------------------------------------------------

// Size names and the JSON state sizes they stand for. t<N>: a conversation of N turns.
struct SizeSpec {
  std::string name;
  std::size_t target_bytes = 0;  // payload sizes
  std::size_t turns = 0;         // turn workloads
};

const std::vector<SizeSpec>& size_specs() {
  static const std::vector<SizeSpec> specs = {
      {"1KB", 1024, 0}, {"64KB", 64 * 1024, 0}, {"350KB", 350 * 1024, 0}, {"2MB", 2 * 1024 * 1024, 0},
      {"t10", 0, 10},   {"t100", 0, 100},       {"t500", 0, 500},
  };
  return specs;
}

const SizeSpec& size_spec(const std::string& name) {
  for (const auto& s : size_specs())
    if (s.name == name) return s;
  throw std::runtime_error("unknown size " + name);
}

// A conversation whose state JSON is about `target` bytes (payload sizes) or has N turns.
AgentStateSnapshot make_state(const SizeSpec& spec) {
  if (spec.turns) return agents::testing::conversation(spec.turns, kBytesPerTurn);
  const std::size_t per_turn = std::min<std::size_t>(1000, spec.target_bytes / 4);
  std::size_t turns = std::max<std::size_t>(1, spec.target_bytes / (per_turn + 60));
  auto state = agents::testing::conversation(turns, per_turn);
  while (agents::encode_state_json(state).size() < spec.target_bytes) {
    state = agents::testing::conversation(++turns, per_turn);
  }
  return state;
}

// The same size as make_state, shaped as an application's own document (free-form JSON in
// `scratchpad`, the shape issue 20's first measurement used) rather than a conversation.
AgentStateSnapshot make_generic_state(const SizeSpec& spec) {
  return agents::testing::free_form_document(spec.target_bytes ? spec.target_bytes
                                                               : spec.turns * kBytesPerTurn * 2);
}

bool generic_workload(const std::string& workload) { return workload.ends_with("_generic"); }

const std::vector<std::string> kClients = {"floor", "floor_curl", "ours", "own", "js", "boto3", "go"};

// Load cells share one item per worker (they only read). Save and turn cells write, so every client
// has its own items; the tags have equal lengths so that the items have equal sizes.
std::string thread_id(const std::string& workload, const std::string& size, const std::string& client,
                      int worker) {
  static const std::map<std::string, std::string> kTags = {
      {"floor", "fl"}, {"floor_curl", "fc"}, {"ours", "cc"}, {"own", "ow"},
      {"js", "js"},    {"boto3", "py"},      {"go", "go"}};
  std::string tid = workload + "-" + size + "-";
  if (workload != "load") tid += kTags.at(client) + "-";
  return tid + "w" + std::to_string(worker);
}

// The item DynamoDbCheckpointer writes for `state` (plain layout), version 1.
Item plain_item(const std::string& tid, const AgentStateSnapshot& state) {
  auto prepared = agents::detail::prepare_state(tid, agents::encode_state_json(state),
                                                agents::Compression::kAuto, std::size_t{64} << 20);
  if (prepared.layout != agents::detail::PreparedState::Layout::kPlain)
    throw std::runtime_error(tid + ": state does not fit one plain item");
  return agents::detail::build_save_items(tid, prepared, 1, "2026-01-01T00:00:00.000Z", std::nullopt).head;
}

// The same attributes without the size check: what a client with no compression would send.
Item raw_plain_item(const std::string& tid, const std::string& state_json) {
  return {{"thread_id", AttributeValue::S(tid)},
          {"state", AttributeValue::S(state_json)},
          {"updated_at", AttributeValue::S("2026-01-01T00:00:00.000Z")},
          {"version", AttributeValue::N(1)},
          {"save_id", AttributeValue::S("0000000000000000")}};
}

std::string item_json(const Item& item) {
  rapidjson::StringBuffer buffer;
  agents::dynamodb::detail::JsonWriter w(buffer);
  agents::dynamodb::detail::write_item(w, item);
  return std::string(buffer.GetString(), buffer.GetSize());
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

// --- measurement ---------------------------------------------------------------------------------

double process_cpu_ms() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

// utime + stime of another process (all its threads), from /proc/PID/stat; -1 when unknown.
double server_cpu_ms(long pid) {
  if (pid <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::vector<std::string> fields;  // fields[0] is field 3 (state)
  std::size_t pos = close + 2;
  while (pos < stat.size()) {
    auto next = stat.find(' ', pos);
    if (next == std::string::npos) next = stat.size();
    fields.push_back(stat.substr(pos, next - pos));
    pos = next + 1;
  }
  if (fields.size() < 13) return -1;
  const double ticks = std::stod(fields[11]) + std::stod(fields[12]);  // fields 14 and 15
  return ticks * 1e3 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  std::size_t i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

// One worker's operation. `once` is timed; `between` (state resets) is not.
class Op {
 public:
  virtual ~Op() = default;
  virtual void once() = 0;
  virtual void between() {}
};

double thread_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

struct PhaseResult {
  std::vector<double> latencies_us;
  double untimed_cpu_ms = 0;  // spent in Op::between (libcurl's easy interface runs on this thread)
  std::size_t errors = 0;
  std::string first_error;
  double wall_s = 0;
};

// Every worker runs its op in a loop until `seconds` have passed (at least `min_ops` each).
PhaseResult run_phase(std::vector<std::unique_ptr<Op>>& ops, double seconds, std::size_t min_ops) {
  PhaseResult result;
  std::mutex mu;
  const auto start = SteadyClock::now();
  const auto deadline =
      start + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> threads;
  for (auto& op : ops) {
    threads.emplace_back([&, op = op.get()] {
      std::vector<double> mine;
      mine.reserve(1 << 14);
      std::size_t errors = 0;
      std::string first_error;
      double untimed_cpu = 0;
      for (std::size_t n = 0; n < min_ops || SteadyClock::now() < deadline; ++n) {
        auto t0 = SteadyClock::now();
        try {
          op->once();
          mine.push_back(std::chrono::duration<double, std::micro>(SteadyClock::now() - t0).count());
          const double c0 = thread_cpu_ms();
          op->between();
          untimed_cpu += thread_cpu_ms() - c0;
        } catch (const std::exception& e) {
          if (errors++ == 0) first_error = e.what();
          if (errors > 20) break;  // something is wrong: report it rather than spin
        }
      }
      std::lock_guard lock(mu);
      result.latencies_us.insert(result.latencies_us.end(), mine.begin(), mine.end());
      result.errors += errors;
      result.untimed_cpu_ms += untimed_cpu;
      if (result.first_error.empty()) result.first_error = first_error;
    });
  }
  for (auto& t : threads) t.join();
  result.wall_s = std::chrono::duration<double>(SteadyClock::now() - start).count();
  return result;
}

// --- the floor: signed once, replayed over raw libcurl ---------------------------------------------

struct SignedRequest {
  std::string url;
  std::vector<std::string> header_lines;
  std::string body;
};

SignedRequest sign_once(const std::string& endpoint, const std::string& operation, std::string body) {
  agents::http::Request request{.method = "POST",
                                .url = endpoint + "/",
                                .headers = {{"Content-Type", "application/x-amz-json-1.0"},
                                            {"X-Amz-Target", "DynamoDB_20120810." + operation}},
                                .body = std::move(body)};
  agents::aws::Credentials credentials{.access_key_id = "AKIDBENCH", .secret_access_key = "bench-secret"};
  agents::aws::sigv4::RequestSigner("us-east-1", "dynamodb")
      .sign(request, credentials, agents::aws::Clock::now());
  SignedRequest out{request.url, {}, std::move(request.body)};
  for (const auto& h : request.headers) out.header_lines.push_back(h.name + ": " + h.value);
  out.header_lines.push_back("Expect:");  // as every client here: no 100-continue round trip
  return out;
}

size_t discard_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// One keep-alive connection replaying fixed requests.
class RawConnection {
 public:
  explicit RawConnection(const std::string& ca_file = "") : handle_(curl_easy_init()) {
    if (!ca_file.empty()) curl_easy_setopt(handle_, CURLOPT_CAINFO, ca_file.c_str());
    curl_easy_setopt(handle_, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(handle_, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, discard_body);
    curl_easy_setopt(handle_, CURLOPT_WRITEDATA, &response_);
  }
  ~RawConnection() {
    for (auto* list : lists_) curl_slist_free_all(list);
    curl_easy_cleanup(handle_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // Returns the response body; throws unless the status is 200 (or `expect_status`).
  const std::string& send(const SignedRequest& r, long expect_status = 200) {
    curl_slist*& list = header_lists_[&r];
    if (list == nullptr) {
      for (const auto& line : r.header_lines) list = curl_slist_append(list, line.c_str());
      lists_.push_back(list);
    }
    response_.clear();
    curl_easy_setopt(handle_, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(handle_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    curl_easy_setopt(handle_, CURLOPT_POSTFIELDS, r.body.data());
    CURLcode rc = curl_easy_perform(handle_);
    if (rc != CURLE_OK) throw std::runtime_error(std::string("curl: ") + curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &status);
    if (status != expect_status)
      throw std::runtime_error("HTTP " + std::to_string(status) + ": " + response_.substr(0, 300));
    return response_;
  }

 private:
  CURL* handle_;
  std::string response_;
  std::map<const SignedRequest*, curl_slist*> header_lists_;
  std::vector<curl_slist*> lists_;
};

std::string get_item_body(const std::string& table, const std::string& tid) {
  return agents::dynamodb::detail::encode_get_item(
      {.table = table, .key = {{"thread_id", AttributeValue::S(tid)}}, .consistent_read = true});
}

std::string put_item_body(const std::string& table, Item item) {
  return agents::dynamodb::detail::encode_put_item({.table = table, .item = std::move(item)});
}

// The save every client sends: the item, conditional on the version it replaces (as
// DynamoDbCheckpointer's saves are). The item keeps that version, so that the identical request
// succeeds every time it is replayed.
agents::dynamodb::PutItemRequest conditional_put(const std::string& table, Item item) {
  agents::dynamodb::PutItemRequest request{.table = table, .item = std::move(item)};
  request.conditions.condition = "#v = :v";
  request.conditions.attributes.names = {{"#v", "version"}};
  request.conditions.attributes.values = {{":v", request.item.at("version")}};
  return request;
}

std::string conditional_put_item_body(const std::string& table, Item item) {
  return agents::dynamodb::detail::encode_put_item(conditional_put(table, std::move(item)));
}

class CurlFloorOp final : public Op {
 public:
  CurlFloorOp(std::vector<SignedRequest> requests, const std::string& ca_file)
      : requests_(std::move(requests)), connection_(ca_file) {}
  void once() override {
    for (const auto& r : requests_) connection_.send(r);
  }

 private:
  std::vector<SignedRequest> requests_;
  RawConnection connection_;
};

// The whole HTTP/1.1 request as it goes on the wire.
std::string request_bytes(const SignedRequest& r) {
  const auto authority = r.url.find("://") + 3;
  const auto path = r.url.find('/', authority);
  std::string out =
      "POST " + (path == std::string::npos ? std::string("/") : r.url.substr(path)) + " HTTP/1.1\r\n";
  bool has_length = false;
  for (const auto& line : r.header_lines) {
    if (line == "Expect:") continue;  // libcurl's way of saying "no Expect header"
    has_length = has_length || line.starts_with("Content-Length:");
    out += line + "\r\n";
  }
  if (!has_length) out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  return out + "\r\n" + r.body;
}

// One keep-alive TCP connection to an http:// endpoint that writes pre-built request bytes and
// reads the answer by its Content-Length (or to the end of a chunked body): no HTTP library.
class SocketConnection {
 public:
  explicit SocketConnection(const std::string& endpoint) {
    const auto authority = endpoint.find("://") + 3;
    const auto end = endpoint.find('/', authority);
    const std::string host_port =
        endpoint.substr(authority, end == std::string::npos ? end : end - authority);
    const auto colon = host_port.rfind(':');
    host_ = host_port.substr(0, colon);
    port_ = colon == std::string::npos ? "80" : host_port.substr(colon + 1);
    buffer_.reserve(1 << 20);
  }
  ~SocketConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  SocketConnection(const SocketConnection&) = delete;
  SocketConnection& operator=(const SocketConnection&) = delete;

  void send(const std::string& bytes) {
    // A keep-alive connection the server closed while idle answers nothing: reconnect once.
    for (int attempt = 0;; ++attempt) {
      if (fd_ < 0) connect_socket();
      if (write_all(bytes) && read_response()) return;
      ::close(fd_);
      fd_ = -1;
      if (attempt == 1) throw std::runtime_error("socket: no answer from " + host_ + ":" + port_);
    }
  }

 private:
  void connect_socket() {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(host_.c_str(), port_.c_str(), &hints, &found) != 0 || found == nullptr)
      throw std::runtime_error("socket: cannot resolve " + host_);
    fd_ = ::socket(found->ai_family, found->ai_socktype, found->ai_protocol);
    const int rc = fd_ < 0 ? -1 : ::connect(fd_, found->ai_addr, found->ai_addrlen);
    freeaddrinfo(found);
    if (rc != 0) throw std::runtime_error("socket: cannot connect to " + host_ + ":" + port_);
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  bool write_all(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
  // Reads one answer; false when the connection ended before it began.
  bool read_response() {
    buffer_.clear();
    std::size_t header_end = std::string::npos;
    std::size_t total = std::string::npos;  // header + body, once known
    bool chunked = false;
    char chunk[65536];
    for (;;) {
      if (total != std::string::npos && buffer_.size() >= total) break;
      if (chunked && buffer_.ends_with("\r\n0\r\n\r\n")) break;
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) {
        if (buffer_.empty()) return false;
        ::close(fd_);
        fd_ = -1;
        throw std::runtime_error("socket: connection closed mid-answer");
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
      if (header_end == std::string::npos && (header_end = buffer_.find("\r\n\r\n")) != std::string::npos) {
        std::string head = buffer_.substr(0, header_end);
        std::transform(head.begin(), head.end(), head.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        if (!head.starts_with("http/1.1 200")) {
          ::close(fd_);  // the rest of this answer is never read: start the next call afresh
          fd_ = -1;
          throw std::runtime_error("HTTP " + buffer_.substr(9, 3) + ": " + buffer_.substr(header_end, 300));
        }
        chunked = head.find("\r\ntransfer-encoding: chunked") != std::string::npos;
        const auto length = head.find("\r\ncontent-length:");
        if (length != std::string::npos) total = header_end + 4 + std::stoul(head.substr(length + 17));
        if (!chunked && total == std::string::npos)
          throw std::runtime_error("socket: answer without a length");
      }
    }
    return true;
  }

  std::string host_, port_;
  int fd_ = -1;
  std::string buffer_;
};

class SocketFloorOp final : public Op {
 public:
  SocketFloorOp(const std::vector<SignedRequest>& requests, const std::string& endpoint)
      : connection_(endpoint) {
    for (const auto& r : requests) requests_.push_back(request_bytes(r));
  }
  void once() override {
    for (const auto& bytes : requests_) connection_.send(bytes);
  }

 private:
  std::vector<std::string> requests_;
  SocketConnection connection_;
};

// --- ours ------------------------------------------------------------------------------------------

std::shared_ptr<agents::aws::CredentialsProvider> bench_credentials() {
  return agents::aws::make_static_credentials_provider(
      {.access_key_id = "AKIDBENCH", .secret_access_key = "bench-secret", .source = "bench"});
}

// The libcurl transport every client of ours uses, trusting --ca when given (the TLS cells).
std::shared_ptr<agents::http::HttpClient> bench_transport(const Args& args) {
  agents::http::CurlHttpClientOptions options;
  options.ca_file = args.get_or("ca", "");
  return agents::http::make_curl_http_client(options);
}

std::shared_ptr<agents::DynamoDbCheckpointer> make_checkpointer(const Args& args,
                                                                agents::Compression compression) {
  auto cp = std::make_shared<agents::DynamoDbCheckpointer>(args.get("table"));
  cp->with_endpoint(args.get("endpoint"))
      .with_region("us-east-1")
      .with_credentials(bench_credentials())
      .with_http_client(bench_transport(args))
      .with_compression(compression);
  return cp;
}

std::shared_ptr<agents::dynamodb::DynamoDbClient> make_client(const Args& args) {
  auto client = agents::dynamodb::DynamoDbClient::create({.region = "us-east-1",
                                                          .endpoint = args.get("endpoint"),
                                                          .credentials = bench_credentials(),
                                                          .http = bench_transport(args)});
  if (!client.ok()) client.status().throw_if_error();
  return *client;
}

// The library's own client alone: the conditional PutItem of the item the checkpointer writes.
class OwnSave final : public Op {
 public:
  OwnSave(std::shared_ptr<agents::dynamodb::DynamoDbClient> client, const std::string& table, Item item)
      : client_(std::move(client)), request_(conditional_put(table, std::move(item))) {}
  void once() override { client_->put_item(request_).status().throw_if_error(); }

 private:
  std::shared_ptr<agents::dynamodb::DynamoDbClient> client_;
  agents::dynamodb::PutItemRequest request_;
};

// The consistent GetItem of the bare client: the item, decoded into attribute values.
Item get_or_throw(agents::dynamodb::DynamoDbClient& client, const agents::dynamodb::GetItemRequest& request) {
  auto got = client.get_item(request);
  got.status().throw_if_error();
  if (!got->item) throw std::runtime_error("item not found");
  return std::move(*got->item);
}

// ... and the consistent GetItem, the item decoded into attribute values (no state decoding).
class OwnLoad final : public Op {
 public:
  OwnLoad(std::shared_ptr<agents::dynamodb::DynamoDbClient> client, const std::string& table,
          const std::string& tid)
      : client_(std::move(client)),
        request_{.table = table, .key = {{"thread_id", AttributeValue::S(tid)}}, .consistent_read = true} {}
  void once() override { get_or_throw(*client_, request_); }

 private:
  std::shared_ptr<agents::dynamodb::DynamoDbClient> client_;
  agents::dynamodb::GetItemRequest request_;
};

// ... and a turn as the peers make it: the GetItem, then the item it read put back conditionally.
class OwnTurn final : public Op {
 public:
  OwnTurn(std::shared_ptr<agents::dynamodb::DynamoDbClient> client, std::string table, const std::string& tid)
      : client_(std::move(client)),
        table_(std::move(table)),
        get_{.table = table_, .key = {{"thread_id", AttributeValue::S(tid)}}, .consistent_read = true} {}
  void once() override {
    client_->put_item(conditional_put(table_, get_or_throw(*client_, get_))).status().throw_if_error();
  }

 private:
  std::shared_ptr<agents::dynamodb::DynamoDbClient> client_;
  std::string table_;
  agents::dynamodb::GetItemRequest get_;
};

class OursSave final : public Op {
 public:
  OursSave(std::shared_ptr<agents::Checkpointer> cp, std::string tid, const AgentStateSnapshot& state)
      : cp_(std::move(cp)), tid_(std::move(tid)), state_(state) {
    // What an agent does: save conditionally on the version it holds (one PutItem per save).
    auto loaded = cp_->load_state(tid_);
    precondition_ = SavePrecondition::after_load(loaded);
  }
  void once() override {
    precondition_ = SavePrecondition::after_save(cp_->save(tid_, state_, precondition_));
  }

 private:
  std::shared_ptr<agents::Checkpointer> cp_;
  std::string tid_;
  const AgentStateSnapshot& state_;
  SavePrecondition precondition_;
};

class OursLoad final : public Op {
 public:
  OursLoad(std::shared_ptr<agents::Checkpointer> cp, std::string tid)
      : cp_(std::move(cp)), tid_(std::move(tid)) {}
  void once() override {
    if (!cp_->load_state(tid_)) throw std::runtime_error("thread " + tid_ + " not found");
  }

 private:
  std::shared_ptr<agents::Checkpointer> cp_;
  std::string tid_;
};

#if AGENTS_BENCH_HAVE_AGENT
// A turn of the agent runtime: load, handle_message with the offline model, save.
class OursTurn final : public Op {
 public:
  OursTurn(std::shared_ptr<agents::Checkpointer> cp, std::string tid, const AgentStateSnapshot& base)
      : tid_(std::move(tid)),
        base_(base),
        agent_(agents::ConfigurableAgentBuilder("You are a helpful assistant.")
                   .with_model(std::make_shared<agents::OfflineChatModel>())
                   .with_checkpointer(std::move(cp))
                   .build()) {}
  void once() override {
    agent_.load_state(tid_);
    agent_.handle_message("remember that the benchmark turn " + std::to_string(++turns_) + " ran");
    agent_.save_state(tid_);
  }
  void between() override {
    if (turns_ % kTurnsBeforeReset) return;
    agent_.set_state(base_);
    agent_.save_state(tid_);  // conditional on the save just made
  }
  static constexpr const char* kHow = "agent";

 private:
  std::string tid_;
  const AgentStateSnapshot& base_;
  agents::Agent agent_;
  long turns_ = 0;
};
#else
// The agent runtime is not built: load, append a user and an assistant message, save.
class OursTurn final : public Op {
 public:
  OursTurn(std::shared_ptr<agents::Checkpointer> cp, std::string tid, const AgentStateSnapshot& base)
      : cp_(std::move(cp)), tid_(std::move(tid)), base_(base) {}
  void once() override {
    auto loaded = cp_->load_state(tid_);
    if (!loaded) throw std::runtime_error("thread " + tid_ + " not found");
    std::string n = std::to_string(++turns_);
    loaded->state.messages.push_back(agents::Message::user("remember that the benchmark turn " + n + " ran"));
    loaded->state.messages.push_back(
        agents::Message::assistant("(offline model) Noted: the benchmark turn " + n + " ran."));
    version_ = cp_->save_state(tid_, loaded->state, SavePrecondition::after_load(loaded));
  }
  void between() override {
    if (turns_ % kTurnsBeforeReset) return;
    version_ = cp_->save_state(tid_, base_, SavePrecondition::version_is(version_));
  }
  static constexpr const char* kHow = "checkpointer";

 private:
  std::shared_ptr<agents::Checkpointer> cp_;
  std::string tid_;
  const AgentStateSnapshot& base_;
  long turns_ = 0;
  std::int64_t version_ = 0;
};
#endif

// --- commands --------------------------------------------------------------------------------------

void create_table(const Args& args) {
  auto client = make_client(args);
  const std::string table = args.get("table");
  auto created = client->create_table({.table = table, .partition_key = {"thread_id", "S"}});
  if (!created.ok() && created.status().details().service_code != "ResourceInUseException") {
    created.status().throw_if_error();
  }
  for (int i = 0; i < 100; ++i) {
    auto d = client->describe_table(table);
    if (d.ok() && d->status == "ACTIVE") return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("table " + table + " did not become ACTIVE");
}

int cmd_prepare(const Args& args) {
  const std::string dir = args.get("dir");
  const std::string table = args.get("table");
  const std::string endpoint = args.get("endpoint");
  create_table(args);
  auto cp = make_checkpointer(args, agents::Compression::kAuto);
  auto compressed = make_checkpointer(args, agents::Compression::kAlways);
  RawConnection connection;
  auto put = [&](const std::string& operation, const std::string& body, long status = 200) {
    connection.send(sign_once(endpoint, operation, body), status);
  };
  nlohmann::json meta = nlohmann::json::object();
  for (const auto& spec : size_specs()) {
    AgentStateSnapshot state = make_state(spec);
    const std::string json = agents::encode_state_json(state);
    meta[spec.name] = {{"state_bytes", json.size()}, {"messages", state.messages.size()}};
    write_file(dir + "/state-" + spec.name + ".json", json);
    if (spec.name == "2MB") {
      // Ours only (compressed); and what a client without compression or chunking gets.
      for (int w = 0; w < 8; ++w) cp->save_state(thread_id("load", spec.name, "ours", w), state);
      std::string answer = "accepted";
      try {
        put("PutItem", put_item_body(table, raw_plain_item(thread_id("save", spec.name, "floor", 0), json)));
      } catch (const std::exception& e) {
        answer = e.what();  // DynamoDB's 400 KB item limit: a ValidationException
      }
      meta[spec.name]["plain_put_item"] = answer;
      continue;
    }
    // The item every client sends (its thread id set per client and worker), stored version 1.
    write_file(dir + "/item-" + spec.name + ".json",
               item_json(plain_item(thread_id("save", spec.name, "floor", 0), state)));
    if (spec.turns) {
      for (const auto& client : kClients)
        put("PutItem", put_item_body(table, plain_item(thread_id("turn", spec.name, client, 0), state)));
      continue;
    }
    for (int w = 0; w < 8; ++w) {
      put("PutItem", put_item_body(table, plain_item(thread_id("load", spec.name, "floor", w), state)));
      for (const auto& client : kClients)
        put("PutItem", put_item_body(table, plain_item(thread_id("save", spec.name, client, w), state)));
      // Ours with Compression::kAlways (the *_zstd workloads).
      compressed->save_state(thread_id("load_zstd", spec.name, "ours", w), state);
    }
    // The same size as a free-form JSON document (the *_generic workloads of ours and the bare client).
    const AgentStateSnapshot generic = make_generic_state(spec);
    meta[spec.name]["generic_state_bytes"] = agents::encode_state_json(generic).size();
    for (int w = 0; w < 8; ++w) {
      for (const std::string client : {"ours", "own"}) {
        for (const std::string workload : {"save_generic", "load_generic"})
          put("PutItem",
              put_item_body(table, plain_item(thread_id(workload, spec.name, client, w), generic)));
      }
    }
  }
  meta["agent_runtime"] = OursTurn::kHow;
  write_file(dir + "/meta.json", meta.dump(2) + "\n");
  std::cerr << "prepare: table " << table << " ready; states in " << dir << "\n";
  return 0;
}

}  // namespace

namespace {

std::unique_ptr<Op> make_op(const Args& args, const std::string& client, const std::string& workload,
                            const SizeSpec& spec, int worker, const AgentStateSnapshot& state,
                            const std::shared_ptr<agents::DynamoDbCheckpointer>& cp,
                            const std::shared_ptr<agents::dynamodb::DynamoDbClient>& own) {
  const std::string table = args.get("table");
  const std::string endpoint = args.get("endpoint");
  const std::string tid = thread_id(workload, spec.name, client, worker);
  if (client == "floor" || client == "floor_curl") {
    if (spec.name == "2MB")
      throw std::runtime_error("the floor cannot store a 2 MB state (400 KB item limit)");
    std::vector<SignedRequest> requests;
    if (workload == "save" || workload == "save_generic") {
      requests.push_back(
          sign_once(endpoint, "PutItem", conditional_put_item_body(table, plain_item(tid, state))));
    } else if (workload == "load" || workload == "load_generic") {
      requests.push_back(sign_once(endpoint, "GetItem", get_item_body(table, tid)));
    } else if (workload == "turn") {  // the GetItem and the conditional PutItem of a turn
      requests.push_back(sign_once(endpoint, "GetItem", get_item_body(table, tid)));
      requests.push_back(
          sign_once(endpoint, "PutItem", conditional_put_item_body(table, plain_item(tid, state))));
    } else {
      throw std::runtime_error("the floor has no workload " + workload);
    }
    if (client == "floor" && endpoint.starts_with("http://"))
      return std::make_unique<SocketFloorOp>(requests, endpoint);
    return std::make_unique<CurlFloorOp>(std::move(requests), args.get_or("ca", ""));
  }
  if (client == "own") {
    if (workload == "save" || workload == "save_generic")
      return std::make_unique<OwnSave>(own, table, plain_item(tid, state));
    if (workload == "load" || workload == "load_generic") return std::make_unique<OwnLoad>(own, table, tid);
    if (workload == "turn") return std::make_unique<OwnTurn>(own, table, tid);
    throw std::runtime_error("the bare client has no workload " + workload);
  }
  if (client != "ours") throw std::runtime_error("unknown client " + client);
  if (workload.starts_with("save")) return std::make_unique<OursSave>(cp, tid, state);
  if (workload.starts_with("load")) return std::make_unique<OursLoad>(cp, tid);
  if (workload == "turn") return std::make_unique<OursTurn>(cp, tid, state);
  throw std::runtime_error("unknown workload " + workload);
}

// Warms the clients up until their throughput is stable: at least `min_seconds`, then until the
// last three windows' ops/s are within 10 % of each other, at most 4 × `min_seconds` (a JIT peer
// or a cold server takes seconds to settle; a fixed warm-up measured some clients mid-way).
struct WarmUp {
  double seconds = 0;
  std::size_t ops = 0;
  bool stable = false;
};

WarmUp warm_up(std::vector<std::unique_ptr<Op>>& ops, double min_seconds) {
  const double window = std::clamp(min_seconds / 6, 0.1, 0.5);
  WarmUp result;
  std::vector<double> rates;
  const auto start = SteadyClock::now();
  for (;;) {
    PhaseResult r = run_phase(ops, window, 1);
    if (r.errors) throw std::runtime_error("warm-up failed: " + r.first_error);
    result.ops += r.latencies_us.size();
    rates.push_back(static_cast<double>(r.latencies_us.size()) / r.wall_s);
    result.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    if (result.seconds >= min_seconds && rates.size() >= 3) {
      const auto [lo, hi] = std::minmax({rates.end()[-1], rates.end()[-2], rates.end()[-3]});
      result.stable = hi <= lo * 1.10;
    }
    if (result.stable || result.seconds >= 4 * min_seconds) return result;
  }
}

void append_record(const std::string& path, const nlohmann::json& record) {
  std::ofstream out(path, std::ios::app);
  out << record.dump() << "\n";
  if (!out) throw std::runtime_error("cannot append to " + path);
}

int cmd_run(const Args& args) {
  const std::string client = args.get("client");
  const std::string workload = args.get("workload");
  const SizeSpec& spec = size_spec(args.get("size"));
  const int workers = static_cast<int>(args.number("workers", 1));
  if (workers < 1 || workers > kMaxWorkers) throw std::runtime_error("--workers must be 1 to 64");
  const long server_pid = static_cast<long>(args.number("server-pid", 0));
  const AgentStateSnapshot state = generic_workload(workload) ? make_generic_state(spec) : make_state(spec);

  // One checkpointer (one client, one connection pool) shared by every worker thread, or one
  // bare client (`own`). *_zstd: Compression::kAlways (the state stored as zstd in a binary attribute).
  const bool zstd = workload.ends_with("_zstd");
  auto cp = client == "ours"
                ? make_checkpointer(args, zstd ? agents::Compression::kAlways : agents::Compression::kAuto)
                : nullptr;
  auto own = client == "own" ? make_client(args) : nullptr;
  std::vector<std::unique_ptr<Op>> ops;
  for (int w = 0; w < workers; ++w) ops.push_back(make_op(args, client, workload, spec, w, state, cp, own));

  // Warm up (connections, caches, the server's JIT) until steady, then measure.
  const WarmUp warm = warm_up(ops, args.number("warmup", 1));
  const double cpu0 = process_cpu_ms();
  const double server0 = server_cpu_ms(server_pid);
  PhaseResult r = run_phase(ops, args.number("seconds", 3), 5);
  const double cpu = process_cpu_ms() - cpu0 - r.untimed_cpu_ms;
  const double server = server_pid > 0 ? server_cpu_ms(server_pid) - server0 : -1;
  // The final reset of turn cells leaves the stored state at its starting length for the next client.
  for (auto& op : ops) op.reset();

  std::sort(r.latencies_us.begin(), r.latencies_us.end());
  const double n = static_cast<double>(std::max<std::size_t>(1, r.latencies_us.size()));
  double sum = 0;
  for (double v : r.latencies_us) sum += v;
  nlohmann::json record = {
      {"server", args.get_or("server", "unknown")},
      {"client", client},
      {"workload", workload},
      {"size", spec.name},
      {"state_bytes", agents::encode_state_json(state).size()},
      {"workers", workers},
      {"ops", r.latencies_us.size()},
      {"seconds", r.wall_s},
      {"p50_ms", percentile(r.latencies_us, 0.50) / 1e3},
      {"p99_ms", percentile(r.latencies_us, 0.99) / 1e3},
      {"mean_ms", sum / n / 1e3},
      {"ops_per_s", static_cast<double>(r.latencies_us.size()) / r.wall_s},
      {"client_cpu_ms_per_op", cpu / n},
      {"server_cpu_ms_per_op", server < 0 ? Json(nullptr) : Json(server / n)},
      {"errors", r.errors},
      {"warmup_s", warm.seconds},
      {"warmup_ops", warm.ops},
      {"warmup_stable", warm.stable},
  };
  if (!r.first_error.empty()) record["first_error"] = r.first_error;
  if (workload == "turn" && client == "ours") record["turn"] = OursTurn::kHow;
  append_record(args.get("out"), record);
  return r.errors ? 1 : 0;
}

// Adds ReturnConsumedCapacity=TOTAL to every request, so that the observer sees the units of the
// calls DynamoDbCheckpointer makes. The body changes after signing: only for the local servers,
// which do not check signatures.
class CapacityProbe final : public agents::http::HttpClient {
 public:
  explicit CapacityProbe(std::shared_ptr<agents::http::HttpClient> inner) : inner_(std::move(inner)) {}
  agents::StatusOr<agents::http::Response> send(const agents::http::Request& request) override {
    if (request.body.size() < 2 || request.body.front() != '{' ||
        request.body.find("\"ReturnConsumedCapacity\"") != std::string::npos) {
      return inner_->send(request);
    }
    agents::http::Request probed = request;
    probed.body = "{\"ReturnConsumedCapacity\":\"TOTAL\"," + request.body.substr(1);
    for (auto& h : probed.headers) {
      if (h.name == "Content-Length") h.value = std::to_string(probed.body.size());
    }
    if (request.body.find("\"state_zstd\"") != std::string::npos) compressed_puts_.fetch_add(1);
    return inner_->send(probed);
  }
  std::atomic<int> compressed_puts_{0};

 private:
  std::shared_ptr<agents::http::HttpClient> inner_;
};

struct CallTally {
  std::mutex mu;
  std::map<std::string, int> calls;
  std::map<std::string, double> units;
  std::size_t bytes_sent = 0;
  void clear() {
    std::lock_guard lock(mu);
    calls.clear();
    units.clear();
    bytes_sent = 0;
  }
  void add(const agents::dynamodb::CallEvent& e) {
    std::lock_guard lock(mu);
    calls[e.operation] += 1;
    units[e.operation] += e.consumed_capacity;
    bytes_sent += e.bytes_sent;
  }
  double total_units() {
    std::lock_guard lock(mu);
    double t = 0;
    for (auto& [op, u] : units) t += u;
    return t;
  }
  Json calls_json() {
    std::lock_guard lock(mu);
    return Json(calls);
  }
};

// On-demand prices, us-east-1, standard table class, in force since 2024-11-01 (docs/benchmarks.md).
constexpr double kUsdPerMillionWriteUnits = 0.625;
constexpr double kUsdPerMillionReadUnits = 0.125;

int cmd_capacity(const Args& args) {
  auto tally = std::make_shared<CallTally>();
  auto probe = std::make_shared<CapacityProbe>(agents::http::make_curl_http_client());
  const std::string out = args.get("out");
  for (const auto& spec : size_specs()) {
    const AgentStateSnapshot state = make_state(spec);
    for (auto compression : {agents::Compression::kAuto, agents::Compression::kAlways}) {
      const std::string mode = compression == agents::Compression::kAuto ? "auto" : "always";
      auto cp = make_checkpointer(args, compression);
      cp->with_http_client(probe).with_observer(
          [tally](const agents::dynamodb::CallEvent& e) { tally->add(e); });
      const std::string tid = "capacity-" + spec.name + "-" + mode;
      cp->save_state(tid, state);  // creates the item (a blind save)
      auto loaded = cp->load_state(tid);

      // A save that replaces an item of the same size, conditional on the version loaded.
      tally->clear();
      const int compressed_before = probe->compressed_puts_.load();
      cp->save_state(tid, state, SavePrecondition::after_load(loaded));
      const double save_units = tally->total_units();
      const Json save_calls = tally->calls_json();
      const std::size_t save_bytes = tally->bytes_sent;
      const bool compressed = probe->compressed_puts_.load() > compressed_before;

      tally->clear();
      loaded = cp->load_state(tid);
      const double load_units = tally->total_units();
      const Json load_calls = tally->calls_json();

      // One turn: load, handle a message, save.
      tally->clear();
      OursTurn turn(cp, tid, state);
      turn.once();
      const double turn_units = tally->total_units();
      double turn_read = 0, turn_write = 0;
      {
        std::lock_guard lock(tally->mu);
        for (auto& [op, u] : tally->units)
          (op == "GetItem" || op == "BatchGetItem" ? turn_read : turn_write) += u;
      }
      const Json turn_calls = tally->calls_json();
      (void)turn_units;

      const std::string layout = save_calls.value("PutItem", 0) > 1 ? "chunked"
                                 : compressed                       ? "compressed"
                                                                    : "plain";
      nlohmann::json record = {
          {"server", args.get_or("server", "unknown")},
          {"client", "ours"},
          {"workload", "capacity"},
          {"size", spec.name},
          {"state_bytes", agents::encode_state_json(state).size()},
          {"compression", mode},
          {"layout", layout},
          {"request_bytes_per_save", save_bytes},
          {"wcu_per_save", save_units},
          {"save_calls", save_calls},
          {"rcu_per_load", load_units},
          {"load_calls", load_calls},
          {"turn_calls", turn_calls},
          {"turn_rcu", turn_read},
          {"turn_wcu", turn_write},
          {"turn", OursTurn::kHow},
          {"usd_per_million_turns",
           turn_read * kUsdPerMillionReadUnits + turn_write * kUsdPerMillionWriteUnits},
          {"usd_per_million_write_units", kUsdPerMillionWriteUnits},
          {"usd_per_million_read_units", kUsdPerMillionReadUnits},
      };
      append_record(out, record);
    }
  }
  return 0;
}

// A turn of about `bytes` bytes of text: a question and an answer.
std::vector<agents::Message> conversation_turn(int turn, std::size_t bytes) {
  static const char* kWords[] = {"agent",   "state", "dynamo", "table",  "retry", "conflict",
                                 "chunk",   "save",  "load",   "thread", "tool",  "model",
                                 "réponse", "turn",  "value",  "segment"};
  std::mt19937 rng(static_cast<unsigned>(turn) * 7919u + 1u);
  auto text = [&](const char* prefix) {
    std::string out = prefix + std::to_string(turn) + ":";
    while (out.size() < bytes / 2) out += std::string(" ") + kWords[rng() % 16];
    return out;
  };
  return {agents::Message::user(text("Q")), agents::Message::assistant(text("A"))};
}

// The bytes (DynamoDB item size) every item of `thread` holds: head, chunks, segments, versions.
std::size_t stored_bytes(const Args& args, const std::string& thread) {
  auto client = make_client(args);
  using V = agents::dynamodb::AttributeValue;
  auto items = client->scan_all({.table = args.get("table"),
                                 .filter = "thread_id = :t OR chunk_of = :t",
                                 .attributes = {{}, {{":t", V::S(thread)}}},
                                 .consistent_read = true});
  if (!items.ok()) throw std::runtime_error("scan: " + items.status().message());
  std::size_t total = 0;
  for (const auto& item : *items) total += agents::dynamodb::item_size(item);
  return total;
}

int cmd_history(const Args& args) {
  const int turns = static_cast<int>(args.number("turns", 500));
  const int plain_turns = static_cast<int>(args.number("plain-turns", 100));
  const auto turn_bytes = static_cast<std::size_t>(args.number("turn-bytes", 1000));
  const auto keep_last = static_cast<std::size_t>(args.number("keep-last", 20));
  struct Run {
    std::string name;
    bool incremental = false;
    std::size_t keep_last = 0;
    int turns = 0;
    std::shared_ptr<agents::DynamoDbCheckpointer> cp;
    std::shared_ptr<CallTally> tally = std::make_shared<CallTally>();
    std::string thread;
    double wcu = 0, rcu = 0, bytes = 0;
    std::size_t stored = 0;
    std::vector<double> save_ms;
  };
  const std::string run_id = std::to_string(::getpid()) + "-" + std::to_string(std::time(nullptr));
  auto probe = std::make_shared<CapacityProbe>(agents::http::make_curl_http_client());
  std::vector<Run> runs = {{"incremental", true, 0, turns},
                           {"incremental+history", true, keep_last, turns},
                           {"plain", false, 0, plain_turns},
                           {"plain+history", false, keep_last, plain_turns}};
  for (auto& r : runs) {
    r.cp = make_checkpointer(args, agents::Compression::kAuto);
    r.cp->with_incremental(r.incremental).with_history(r.keep_last).with_http_client(probe);
    auto tally = r.tally;
    r.cp->with_observer([tally](const agents::dynamodb::CallEvent& e) { tally->add(e); });
    r.thread = "history-" + r.name + "-" + run_id;
  }
  // The runs of one layout alternate turn by turn, so both see the same server state.
  for (int turn = 1; turn <= turns; ++turn) {
    for (auto& r : runs) {
      if (turn > r.turns) continue;
      auto loaded = r.cp->load_state(r.thread);
      AgentStateSnapshot state = loaded ? std::move(loaded->state) : AgentStateSnapshot{};
      for (auto& m : conversation_turn(turn, turn_bytes)) state.messages.push_back(std::move(m));
      state.scratchpad["turn"] = turn;
      r.tally->clear();
      const auto started = std::chrono::steady_clock::now();
      r.cp->save_state(r.thread, state, SavePrecondition::after_load(loaded));
      r.save_ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
      std::lock_guard lock(r.tally->mu);
      for (auto& [op, u] : r.tally->units) (op == "GetItem" || op == "BatchGetItem" ? r.rcu : r.wcu) += u;
      r.bytes += static_cast<double>(r.tally->bytes_sent);
    }
  }
  for (auto& r : runs) {
    r.stored = stored_bytes(args, r.thread);
    auto versions = r.cp->list_versions(r.thread);
    const std::size_t expected = r.keep_last == 0 ? 1 : r.keep_last + 1;
    if (versions.size() != expected ||
        r.cp->load_state(r.thread)->state.messages.size() != static_cast<std::size_t>(2 * r.turns))
      throw std::runtime_error(r.name + ": the thread or its history did not load whole");
    r.cp->delete_thread(r.thread);
  }
  Json record = {{"server", args.get_or("server", "unknown")},
                 {"workload", "history"},
                 {"turns", turns},
                 {"plain_turns", plain_turns},
                 {"turn_bytes", turn_bytes},
                 {"keep_last", keep_last}};
  std::printf("\nhistory: keep_last %zu, ~%zu B per turn (%s)\n", keep_last, turn_bytes,
              args.get_or("server", "unknown").c_str());
  std::printf("%-22s %6s %11s %10s %13s %11s %12s %12s\n", "layout", "turns", "WCU total", "WCU/turn",
              "MB sent", "RCU total", "stored KB", "save p50 ms");
  for (auto& r : runs) {
    std::sort(r.save_ms.begin(), r.save_ms.end());
    std::printf("%-22s %6d %11.0f %10.2f %13.2f %11.0f %12.1f %12.2f\n", r.name.c_str(), r.turns, r.wcu,
                r.wcu / r.turns, r.bytes / 1e6, r.rcu, static_cast<double>(r.stored) / 1024,
                percentile(r.save_ms, 0.5));
    record[r.name] = {{"turns", r.turns},      {"save_ms_p50", percentile(r.save_ms, 0.5)},
                      {"total_wcu", r.wcu},    {"total_rcu", r.rcu},
                      {"bytes_sent", r.bytes}, {"stored_bytes", r.stored}};
  }
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  Json targets = {{"incremental_history_wcu_ratio", ratio(runs[1].wcu, runs[0].wcu)},
                  {"plain_history_wcu_ratio", ratio(runs[3].wcu, runs[2].wcu)},
                  {"incremental_history_stored_ratio",
                   ratio(static_cast<double>(runs[1].stored), static_cast<double>(runs[0].stored))}};
  targets["met"] = targets["incremental_history_wcu_ratio"].get<double>() <= 1.5;
  record["targets"] = targets;
  std::printf(
      "incremental: WCU with history / without %.2fx (target <= 1.5x); stored %.2fx; "
      "plain: WCU %.2fx\n",
      targets["incremental_history_wcu_ratio"].get<double>(),
      targets["incremental_history_stored_ratio"].get<double>(),
      targets["plain_history_wcu_ratio"].get<double>());
  append_record(args.get("out"), record);
  return 0;
}

int cmd_conversation(const Args& args) {
  const int turns = static_cast<int>(args.number("turns", 500));
  const auto turn_bytes = static_cast<std::size_t>(args.number("turn-bytes", 1000));
  const int loads = static_cast<int>(args.number("loads", 30));
  struct Layout {
    std::string name;
    std::shared_ptr<agents::DynamoDbCheckpointer> cp;
    std::shared_ptr<agents::DynamoDbCheckpointer> reader;  ///< loads without the capacity probe
    std::shared_ptr<CallTally> tally = std::make_shared<CallTally>();
    std::string thread;
    std::vector<double> wcu, bytes, save_ms, load_ms, save_cpu_ms;
  };
  const std::string run_id = std::to_string(::getpid()) + "-" + std::to_string(std::time(nullptr));
  // Asks for ReturnConsumedCapacity on every request, as cmd_capacity does.
  auto probe = std::make_shared<CapacityProbe>(agents::http::make_curl_http_client());
  std::vector<Layout> layouts(2);
  layouts[0].name = "plain";
  layouts[1].name = "incremental";
  for (auto& l : layouts) {
    l.cp = make_checkpointer(args, agents::Compression::kAuto);
    l.cp->with_incremental(l.name == "incremental").with_http_client(probe);
    auto tally = l.tally;
    l.cp->with_observer([tally](const agents::dynamodb::CallEvent& e) { tally->add(e); });
    l.thread = "conversation-" + l.name + "-" + run_id;
    l.reader = make_checkpointer(args, agents::Compression::kAuto);
    l.reader->with_incremental(l.name == "incremental");
    l.reader->with_observer([tally](const agents::dynamodb::CallEvent& e) { tally->add(e); });
  }
  using Clock = std::chrono::steady_clock;
  auto ms_since = [](Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  };
  for (int turn = 1; turn <= turns; ++turn) {
    for (int k = 0; k < 2; ++k) {
      Layout& l = layouts[(turn + k) % 2];  // alternate which layout goes first
      auto loaded = l.cp->load_state(l.thread);
      AgentStateSnapshot state = loaded ? std::move(loaded->state) : AgentStateSnapshot{};
      for (auto& m : conversation_turn(turn, turn_bytes)) state.messages.push_back(std::move(m));
      state.scratchpad["turn"] = turn;
      l.tally->clear();
      auto started = Clock::now();
      const double cpu0 = process_cpu_ms();
      l.cp->save_state(l.thread, state, SavePrecondition::after_load(loaded));
      l.save_cpu_ms.push_back(process_cpu_ms() - cpu0);
      l.save_ms.push_back(ms_since(started));
      double units = 0;
      {
        std::lock_guard lock(l.tally->mu);
        for (auto& [op, u] : l.tally->units) units += op == "GetItem" || op == "BatchGetItem" ? 0 : u;
      }
      l.wcu.push_back(units);
      l.bytes.push_back(static_cast<double>(l.tally->bytes_sent));
    }
  }
  // A warm worker: with_segment_cache_bytes, after one load of the thread.
  auto cached_reader = make_checkpointer(args, agents::Compression::kAuto);
  cached_reader->with_incremental(true).with_segment_cache_bytes(64 << 20);
  cached_reader->load_state(layouts[1].thread);
  std::vector<double> cached_load_ms;
  std::size_t state_bytes = 0, load_calls_incremental = 0;
  for (int i = 0; i < loads; ++i) {
    auto cached_started = Clock::now();
    auto cached = cached_reader->load_state(layouts[1].thread);
    cached_load_ms.push_back(ms_since(cached_started));
    if (!cached || cached->state.messages.size() != static_cast<std::size_t>(2 * turns))
      throw std::runtime_error("incremental (cached): the conversation did not load whole");
    for (int k = 0; k < 2; ++k) {
      Layout& l = layouts[(i + k) % 2];
      l.tally->clear();
      auto started = Clock::now();
      auto loaded = l.reader->load_state(l.thread);
      l.load_ms.push_back(ms_since(started));
      if (!loaded || loaded->state.messages.size() != static_cast<std::size_t>(2 * turns))
        throw std::runtime_error(l.name + ": the conversation did not load whole");
      state_bytes = agents::encode_state_json(loaded->state).size();
      if (l.name == "incremental") {
        std::lock_guard lock(l.tally->mu);
        load_calls_incremental = 0;
        for (auto& [op, n] : l.tally->calls) load_calls_incremental += static_cast<std::size_t>(n);
      }
    }
  }
  for (auto& l : layouts) l.cp->delete_thread(l.thread);

  auto at = [](const std::vector<double>& v, int turn) { return v[static_cast<std::size_t>(turn - 1)]; };
  auto mean = [](const std::vector<double>& v, int from, int to) {  // turns from..to, 1-based
    double sum = 0;
    for (int t = from; t <= to; ++t) sum += v[static_cast<std::size_t>(t - 1)];
    return sum / (to - from + 1);
  };
  auto total = [](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return sum;
  };
  const int early = std::min(10, turns), late = std::min(200, turns);
  Json record = {{"server", args.get_or("server", "unknown")},
                 {"workload", "conversation"},
                 {"turns", turns},
                 {"turn_bytes", turn_bytes},
                 {"final_state_bytes", state_bytes},
                 {"incremental_load_calls", load_calls_incremental}};
  std::printf("\n%d-turn conversation, ~%zu B per turn, final state %zu B (%s)\n", turns, turn_bytes,
              state_bytes, args.get_or("server", "unknown").c_str());
  std::printf("%-12s %10s %10s %10s %10s %12s %12s %11s %11s\n", "layout", "B@t10", "B@t200", "WCU@t10",
              "WCU@t200", "WCU/turn 1-20", "..191-210", "WCU total", "load p50 ms");
  for (auto& l : layouts) {
    std::vector<double> sorted = l.load_ms;
    std::sort(sorted.begin(), sorted.end());
    std::vector<double> saves = l.save_ms;
    std::sort(saves.begin(), saves.end());
    const double window_late = late >= 20 ? mean(l.wcu, late - 9, std::min(late + 10, turns)) : 0;
    std::printf("%-12s %10.0f %10.0f %10.1f %10.1f %12.2f %12.2f %11.0f %11.2f\n", l.name.c_str(),
                at(l.bytes, early), at(l.bytes, late), at(l.wcu, early), at(l.wcu, late),
                mean(l.wcu, 1, early), window_late, total(l.wcu), percentile(sorted, 0.5));
    record[l.name] = {{"save_cpu_ms_by_turn", l.save_cpu_ms},
                      {"bytes_by_turn", l.bytes},
                      {"wcu_by_turn", l.wcu},
                      {"save_ms_p50", percentile(saves, 0.5)},
                      {"total_wcu", total(l.wcu)},
                      {"total_bytes", total(l.bytes)},
                      {"load_ms", l.load_ms},
                      {"load_ms_p50", percentile(sorted, 0.5)},
                      {"load_ms_p90", percentile(sorted, 0.9)}};
  }
  // Client CPU per save (process CPU around the save call; rusage ticks are coarse, so windows
  // of 20 turns): the incremental layout should not grow with the conversation.
  const int cpu_window = std::min(20, turns);
  for (auto& l : layouts) {
    const double first = mean(l.save_cpu_ms, 1, cpu_window);
    const double last = mean(l.save_cpu_ms, turns - cpu_window + 1, turns);
    std::printf("%-12s client CPU per save: turns 1-%d %.3f ms, turns %d-%d %.3f ms (%.2fx)\n",
                l.name.c_str(), cpu_window, first, turns - cpu_window + 1, turns, last,
                first > 0 ? last / first : 0.0);
    record[l.name]["save_cpu_ms_first_window"] = first;
    record[l.name]["save_cpu_ms_last_window"] = last;
  }
  std::sort(cached_load_ms.begin(), cached_load_ms.end());
  record["incremental_cached_load_ms_p50"] = percentile(cached_load_ms, 0.5);
  std::printf("%-12s %83s %11.2f\n", "incr.+cache", "(a warm worker: with_segment_cache_bytes, loads only)",
              percentile(cached_load_ms, 0.5));
  const Json& inc = record["incremental"];
  const Json& plain = record["plain"];
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  Json targets = {
      {"bytes_t200_over_t10", ratio(at(layouts[1].bytes, late), at(layouts[1].bytes, early))},
      {"wcu_t200_over_t10", ratio(at(layouts[1].wcu, late), at(layouts[1].wcu, early))},
      {"plain_total_wcu_over_incremental", ratio(plain["total_wcu"], inc["total_wcu"])},
      {"incremental_load_p50_over_plain", ratio(inc["load_ms_p50"], plain["load_ms_p50"])},
  };
  targets["met"] = targets["bytes_t200_over_t10"].get<double>() <= 1.5 &&
                   targets["wcu_t200_over_t10"].get<double>() <= 1.5 &&
                   targets["plain_total_wcu_over_incremental"].get<double>() >= 20 &&
                   targets["incremental_load_p50_over_plain"].get<double>() <= 2;
  record["targets"] = targets;
  std::printf(
      "incremental: bytes t200/t10 %.2f (target <= 1.5), WCU t200/t10 %.2f (<= 1.5); "
      "plain/incremental total WCU %.1fx (>= 20x); load p50 incremental/plain %.2f (<= 2)\n",
      targets["bytes_t200_over_t10"].get<double>(), targets["wcu_t200_over_t10"].get<double>(),
      targets["plain_total_wcu_over_incremental"].get<double>(),
      targets["incremental_load_p50_over_plain"].get<double>());
  append_record(args.get("out"), record);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  try {
    Args args = parse_args(argc, argv);
    if (args.command == "prepare") return cmd_prepare(args);
    if (args.command == "run") return cmd_run(args);
    if (args.command == "capacity") return cmd_capacity(args);
    if (args.command == "conversation") return cmd_conversation(args);
    if (args.command == "history") return cmd_history(args);
    throw std::runtime_error("unknown command " + args.command +
                             " (prepare, run, capacity, conversation or history)");
  } catch (const std::exception& e) {
    std::cerr << "checkpoint_bench: " << e.what() << "\n";
    return 1;
  }
}
