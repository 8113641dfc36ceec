// Micro benchmarks of the client-side hot path (docs/benchmarks.md): SigV4 signing, state ->
// PutItem body, GetItem response -> snapshot, CRC32, zstd, and a whole save/load through
// DynamoDbCheckpointer over an in-process transport (everything but the network).
//
//   cmake --build --preset release --target hot_path_bench
//   build/release/bench/hot_path_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <string>

#include "../tests/support/sample_states.hpp"
#include "agents/aws/sigv4.hpp"
#include "agents/checkpoint/dynamodb_checkpointer.hpp"
#include "agents/dynamodb/client.hpp"
#include "agents/http/http_client.hpp"
#include "checkpoint/generation.hpp"
#include "checkpoint/item_layout.hpp"
#include "checkpoint/message_json.hpp"
#include "dynamodb/json_codec.hpp"

namespace {

using agents::AgentStateSnapshot;
using agents::dynamodb::AttributeValue;
using agents::dynamodb::Item;

constexpr const char* kThread = "bench-thread-0";
constexpr const char* kTable = "agents_bench";

// The same states as checkpoint_bench: conversations of about 1 KB, 64 KB and 350 KB of JSON.
AgentStateSnapshot state_of(std::size_t target_bytes) {
  const std::size_t per_turn = std::min<std::size_t>(1000, target_bytes / 4);
  std::size_t turns = std::max<std::size_t>(1, target_bytes / (per_turn + 60));
  auto state = agents::testing::conversation(turns, per_turn);
  while (agents::encode_state_json(state).size() < target_bytes) {
    state = agents::testing::conversation(++turns, per_turn);
  }
  return state;
}

const AgentStateSnapshot& state_for(int64_t kib) {
  static const AgentStateSnapshot s1 = state_of(1024);
  static const AgentStateSnapshot s64 = state_of(64 * 1024);
  static const AgentStateSnapshot s350 = state_of(350 * 1024);
  return kib == 1 ? s1 : kib == 64 ? s64 : s350;
}

// The same sizes as a free-form JSON document in `scratchpad` instead of messages.
const AgentStateSnapshot& free_form_state_for(int64_t kib) {
  static const AgentStateSnapshot s1 = agents::testing::free_form_document(1024);
  static const AgentStateSnapshot s350 = agents::testing::free_form_document(350 * 1024);
  return kib == 1 ? s1 : s350;
}

Item stored_item(const AgentStateSnapshot& state) {
  auto prepared = agents::detail::prepare_state(kThread, agents::encode_state_json(state),
                                                agents::Compression::kAuto, std::size_t{64} << 20);
  return agents::detail::build_save_items(kThread, prepared, 7, "2026-01-01T00:00:00.000Z", std::nullopt)
      .head;
}

// A GetItem response body as DynamoDB sends it, with simdjson's padding reserved (as the HTTP
// client does).
std::string get_item_response(const AgentStateSnapshot& state) {
  rapidjson::StringBuffer buffer;
  agents::dynamodb::detail::JsonWriter w(buffer);
  w.StartObject();
  w.Key("Item");
  agents::dynamodb::detail::write_item(w, stored_item(state));
  w.EndObject();
  std::string body(buffer.GetString(), buffer.GetSize());
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  return body;
}

void set_bytes(benchmark::State& st, std::size_t bytes) {
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * bytes));
}

// SigV4 of a 1 KB PutItem: payload hash + canonical request + string to sign + signature
// (the derived key is cached, as in the client).
void BM_sigv4_sign_1KB(benchmark::State& st) {
  agents::aws::sigv4::RequestSigner signer("us-east-1", "dynamodb");
  agents::aws::Credentials credentials{.access_key_id = "AKIDEXAMPLE", .secret_access_key = "secret"};
  agents::http::Request base{.method = "POST",
                             .url = "https://dynamodb.us-east-1.amazonaws.com/",
                             .headers = {{"Content-Type", "application/x-amz-json-1.0"},
                                         {"X-Amz-Target", "DynamoDB_20120810.PutItem"},
                                         {"Accept-Encoding", "identity"}},
                             .body = std::string(1024, 'x')};
  const auto now = agents::aws::Clock::now();
  agents::http::Request request = base;
  for (auto _ : st) {
    request.headers.resize(base.headers.size());
    const std::string hash = agents::aws::sigv4::sha256_hex(request.body);
    signer.sign(request, credentials, now, hash);
    benchmark::DoNotOptimize(request.headers.back().value.data());
  }
}
BENCHMARK(BM_sigv4_sign_1KB)->Unit(benchmark::kMicrosecond);

// Snapshot -> state JSON -> item -> PutItem body (with the version condition a save carries).
void BM_encode_put_item(benchmark::State& st) {
  const AgentStateSnapshot& state = state_for(st.range(0));
  std::size_t bytes = 0;
  for (auto _ : st) {
    auto prepared = agents::detail::prepare_state(kThread, agents::encode_state_json(state),
                                                  agents::Compression::kAuto, std::size_t{32} << 20);
    auto items =
        agents::detail::build_save_items(kThread, prepared, 8, "2026-01-01T00:00:00.000Z", std::nullopt);
    agents::dynamodb::PutItemRequest request{.table = kTable, .item = std::move(items.head)};
    request.conditions.condition = "#v = :v";
    request.conditions.attributes.names = {{"#v", "version"}};
    request.conditions.attributes.values = {{":v", AttributeValue::N(7)}};
    std::string body = agents::dynamodb::detail::encode_put_item(request);
    bytes = body.size();
    benchmark::DoNotOptimize(body.data());
  }
  set_bytes(st, bytes);
  st.counters["body_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_encode_put_item)->Arg(1)->Arg(64)->Arg(350)->Unit(benchmark::kMicrosecond);

// GetItem response body -> Item -> stored head -> snapshot (what a load does after HTTP).
void BM_parse_get_item(benchmark::State& st) {
  const std::string body = get_item_response(state_for(st.range(0)));
  for (auto _ : st) {
    simdjson::dom::element doc;
    if (agents::dynamodb::detail::thread_parser().parse(body).get(doc)) st.SkipWithError("parse");
    simdjson::dom::element element;
    Item item;
    std::string error;
    if (doc["Item"].get(element) || !agents::dynamodb::detail::parse_item(element, item, error))
      st.SkipWithError("item");
    auto head = agents::detail::read_head(kThread, item);
    auto snapshot = agents::detail::decode_state_json_in_place(*head.plain_state);
    if (!snapshot.ok()) st.SkipWithError("state");
    benchmark::DoNotOptimize(snapshot->messages.data());
  }
  set_bytes(st, body.size());
  st.counters["body_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_parse_get_item)->Arg(1)->Arg(64)->Arg(350)->Unit(benchmark::kMicrosecond);

// The x-amz-crc32 check of a response body (zlib).
void BM_crc32_response(benchmark::State& st) {
  const std::string body = get_item_response(state_for(st.range(0)));
  for (auto _ : st) {
    benchmark::DoNotOptimize(
        crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
  }
  set_bytes(st, body.size());
}
BENCHMARK(BM_crc32_response)->Arg(350)->Unit(benchmark::kMicrosecond);

// zstd (level 3, with checksum) of a 350 KB conversation, as Compression::kAlways saves it.
void BM_zstd_compress_350KB(benchmark::State& st) {
  const std::string json = agents::encode_state_json(state_for(350));
  std::size_t out = 0;
  for (auto _ : st) {
    std::string z = agents::detail::zstd_compress(json);
    out = z.size();
    benchmark::DoNotOptimize(z.data());
  }
  set_bytes(st, json.size());
  st.counters["ratio"] = static_cast<double>(json.size()) / static_cast<double>(out);
}
BENCHMARK(BM_zstd_compress_350KB)->Unit(benchmark::kMicrosecond);

void BM_zstd_decompress_350KB(benchmark::State& st) {
  const std::string json = agents::encode_state_json(state_for(350));
  const std::string z = agents::detail::zstd_compress(json);
  for (auto _ : st) {
    std::string back = agents::detail::zstd_decompress(kThread, "state_zstd", z, std::size_t{32} << 20);
    benchmark::DoNotOptimize(back.data());
  }
  set_bytes(st, json.size());
}
BENCHMARK(BM_zstd_decompress_350KB)->Unit(benchmark::kMicrosecond);

// An in-process transport: answers every request with a fixed response (CRC32 header included).
class CannedHttp final : public agents::http::HttpClient {
 public:
  explicit CannedHttp(std::string body) {
    response_.status = 200;
    const auto crc = crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
    response_.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                         {"x-amz-crc32", std::to_string(crc)}};
    response_.body = std::move(body);
  }
  agents::StatusOr<agents::http::Response> send(const agents::http::Request&) override {
    agents::http::Response r = response_;  // a transport copies the body into a fresh buffer too
    r.body.reserve(r.body.size() + simdjson::SIMDJSON_PADDING);
    return r;
  }

 private:
  agents::http::Response response_;
};

std::shared_ptr<agents::DynamoDbCheckpointer> checkpointer_over(std::string response) {
  auto cp = std::make_shared<agents::DynamoDbCheckpointer>(kTable);
  cp->with_endpoint("http://127.0.0.1:1")
      .with_region("us-east-1")
      .with_credentials(agents::aws::make_static_credentials_provider(
          {.access_key_id = "AKIDEXAMPLE", .secret_access_key = "secret", .source = "bench"}))
      .with_http_client(std::make_shared<CannedHttp>(std::move(response)));
  return cp;
}

// Everything a load costs on the client except the network: request encoding, signing, CRC32,
// both parses, the snapshot.
void time_loads(benchmark::State& st, const AgentStateSnapshot& stored) {
  auto cp = checkpointer_over(get_item_response(stored));
  for (auto _ : st) {
    auto loaded = cp->load_state(kThread);
    benchmark::DoNotOptimize(loaded->state);
  }
}

// A save after a load: the hint names the loaded save, so the save writes without reading the
// head first (a bare version_is(7) reads it, and the canned answer has no head: a conflict).
void time_saves(benchmark::State& st, const AgentStateSnapshot& state) {
  auto cp = checkpointer_over("{}");
  const auto after_load = agents::SavePrecondition::version_is(
      7, agents::detail::make_storage_hint({"0123456789abcdef0123456789abcdef", ""}, 7, ""));
  for (auto _ : st) {
    benchmark::DoNotOptimize(cp->save_state(kThread, state, after_load));
  }
}

void BM_checkpointer_load_no_network(benchmark::State& st) { time_loads(st, state_for(st.range(0))); }
BENCHMARK(BM_checkpointer_load_no_network)->Arg(1)->Arg(64)->Arg(350)->Unit(benchmark::kMicrosecond);

void BM_checkpointer_load_free_form_no_network(benchmark::State& st) {
  time_loads(st, free_form_state_for(st.range(0)));
}
BENCHMARK(BM_checkpointer_load_free_form_no_network)->Arg(1)->Arg(350)->Unit(benchmark::kMicrosecond);

void BM_checkpointer_save_no_network(benchmark::State& st) { time_saves(st, state_for(st.range(0))); }
BENCHMARK(BM_checkpointer_save_no_network)->Arg(1)->Arg(64)->Arg(350)->Unit(benchmark::kMicrosecond);

void BM_checkpointer_save_free_form_no_network(benchmark::State& st) {
  time_saves(st, free_form_state_for(st.range(0)));
}
BENCHMARK(BM_checkpointer_save_free_form_no_network)->Arg(1)->Arg(350)->Unit(benchmark::kMicrosecond);

// One turn's incremental save at turn N (issue 20: a turn's client CPU must not grow with the
// conversation): the thread holds N - 1 turns saved by this checkpointer, and the timed save
// adds turn N conditionally on that save, as a chat loop or a warm worker does. Every 32
// iterations the thread goes back to N - 1 turns (untimed), so N stays about N.
void BM_incremental_turn_no_network(benchmark::State& st) {
  auto cp = checkpointer_over("{}");
  cp->with_incremental(true);
  const auto turns = static_cast<std::size_t>(st.range(0));
  const AgentStateSnapshot base = agents::testing::conversation(turns - 1, 1000);
  AgentStateSnapshot state;
  agents::SavedState saved;
  std::size_t added = 32;
  for (auto _ : st) {
    if (added == 32) {
      st.PauseTiming();
      state = base;
      saved = cp->save(kThread, state, agents::SavePrecondition::none());
      added = 0;
      st.ResumeTiming();
    }
    st.PauseTiming();
    state = agents::testing::with_turn(std::move(state), turns + added, 1000);
    ++added;
    st.ResumeTiming();
    saved = cp->save(kThread, state, agents::SavePrecondition::after_save(saved));
  }
}
BENCHMARK(BM_incremental_turn_no_network)->Arg(10)->Arg(500)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
