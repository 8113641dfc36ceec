// A ChatModel speaking the OpenAI chat-completions protocol (POST {base_url}/chat/completions)
// over the project's HTTP transport: OpenAI itself, Azure OpenAI (full URL + `api-key` header),
// vLLM, Ollama, LM Studio and other compatible servers.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "agents/core/retry.hpp"
#include "agents/export.hpp"
#include "agents/http/http_client.hpp"
#include "agents/model/chat_model.hpp"

namespace agents {

/// Plain options, each also settable with a chained `with_*` (docs/adr/0007-configuration.md);
/// durations carry their units. The API key is only ever sent in a header: it
/// never appears in an error, exception text or log line.
struct AGENTS_API OpenAiConfig {
  OpenAiConfig(std::string api_key_value, std::string model_name)
      : api_key(std::move(api_key_value)), model(std::move(model_name)) {}

  /// Reads OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL (else `default_model`),
  /// OPENAI_ORGANIZATION and OPENAI_PROJECT. The library itself never reads the environment.
  static OpenAiConfig from_environment(std::string default_model = "gpt-4o-mini");

  std::string api_key;  ///< may be empty for local servers that need none (Ollama, vLLM)
  std::string model;    ///< e.g. "gpt-4o-mini"
  /// The API root; requests go to {base_url}/chat/completions.
  std::string base_url = "https://api.openai.com/v1";
  /// When set, the exact URL to POST to instead (Azure: https://R.openai.azure.com/openai/
  /// deployments/D/chat/completions?api-version=2024-06-01).
  std::string chat_completions_url;
  /// "Authorization" sends `Authorization: Bearer KEY`; any other name sends the key as is
  /// (Azure: "api-key").
  std::string api_key_header = "Authorization";
  std::string organization;  ///< OpenAI-Organization header, when set
  std::string project;       ///< OpenAI-Project header, when set
  http::Headers extra_headers;
  /// Whole request (non-streaming) or longest silence between bytes (streaming).
  std::chrono::milliseconds timeout{120000};
  std::chrono::milliseconds connect_timeout{10000};
  std::optional<double> temperature;
  std::optional<int> max_tokens;
  /// "max_tokens", or "max_completion_tokens" for models that require it (o1, o3, ...).
  std::string max_tokens_field = "max_tokens";
  /// Extra top-level request fields merged into every body (e.g. {"seed":1} or {"top_p":0.9}).
  Json extra_body = Json::object();
  /// Stream every answer (server-sent events) even without a delta callback.
  bool stream = false;
  /// Ask for usage in streamed answers (`stream_options.include_usage`); turn off for servers
  /// that reject the field.
  bool stream_usage = true;
  /// Retries on 429 (at least as long as Retry-After / retry-after-ms asks), 5xx, timeouts and
  /// connection faults. The same policy type as the AWS layer; other 4xx are never retried.
  RetryOptions retry = default_retry();
  /// A Retry-After longer than this is not waited for: the call fails with ThrottledError.
  std::chrono::milliseconds max_retry_after{60000};
  /// The transport; nullptr means a libcurl client built from the timeouts above. Streams deliver
  /// deltas as they arrive through `http::Request::on_body` (the libcurl client calls it); an
  /// injected transport that collects the body instead delivers them once its response is complete.
  std::shared_ptr<http::HttpClient> http_client;

  static RetryOptions default_retry() {
    RetryOptions r;
    r.max_attempts = 4;
    r.throttling_base = std::chrono::milliseconds(1000);
    r.transient_base = std::chrono::milliseconds(500);
    r.max_backoff = std::chrono::milliseconds(20000);
    return r;
  }

  OpenAiConfig& with_base_url(std::string url) {
    base_url = std::move(url);
    return *this;
  }
  OpenAiConfig& with_temperature(double t) {
    temperature = t;
    return *this;
  }
  OpenAiConfig& with_max_tokens(int n) {
    max_tokens = n;
    return *this;
  }
  OpenAiConfig& with_header(std::string name, std::string value) {
    extra_headers.push_back({std::move(name), std::move(value)});
    return *this;
  }
  OpenAiConfig& with_chat_completions_url(std::string value) {
    chat_completions_url = std::move(value);
    return *this;
  }
  OpenAiConfig& with_api_key_header(std::string value) {
    api_key_header = std::move(value);
    return *this;
  }
  OpenAiConfig& with_organization(std::string value) {
    organization = std::move(value);
    return *this;
  }
  OpenAiConfig& with_project(std::string value) {
    project = std::move(value);
    return *this;
  }
  OpenAiConfig& with_timeout(std::chrono::milliseconds value) {
    timeout = value;
    return *this;
  }
  OpenAiConfig& with_connect_timeout(std::chrono::milliseconds value) {
    connect_timeout = value;
    return *this;
  }
  OpenAiConfig& with_max_tokens_field(std::string value) {
    max_tokens_field = std::move(value);
    return *this;
  }
  OpenAiConfig& with_extra_body(Json value) {
    extra_body = std::move(value);
    return *this;
  }
  OpenAiConfig& with_stream(bool value) {
    stream = value;
    return *this;
  }
  OpenAiConfig& with_stream_usage(bool value) {
    stream_usage = value;
    return *this;
  }
  OpenAiConfig& with_retry(RetryOptions value) {
    retry = std::move(value);
    return *this;
  }
  OpenAiConfig& with_max_retry_after(std::chrono::milliseconds value) {
    max_retry_after = value;
    return *this;
  }
  OpenAiConfig& with_http_client(std::shared_ptr<http::HttpClient> value) {
    http_client = std::move(value);
    return *this;
  }
};

/// Thread safety: safe to share between threads; one instance keeps one connection pool and one
/// retry quota. Errors: ModelError (4xx other than 429, a malformed answer; quotes the server's
/// message and carries its error code, HTTP status and x-request-id), ThrottledError (429 after
/// the retries), ModelError with a 5xx status (after the retries), TimeoutError, ConnectionError.
class AGENTS_API OpenAiChatModel final : public ChatModel {
 public:
  explicit OpenAiChatModel(OpenAiConfig config);
  ~OpenAiChatModel() override;
  OpenAiChatModel(const OpenAiChatModel&) = delete;
  OpenAiChatModel& operator=(const OpenAiChatModel&) = delete;

  ChatResponse complete(const ChatRequest& request) override;
  std::string name() const override;
  /// The URL requests go to (never contains the key unless you put it there).
  const std::string& url() const;
  /// Counters since construction: attempts made and retries taken (for observers and tests).
  struct Stats {
    std::int64_t calls = 0;
    std::int64_t attempts = 0;
  };
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agents
