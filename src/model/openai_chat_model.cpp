#include "agents/model/openai_chat_model.hpp"

#include <atomic>

#include "model/openai_codec.hpp"
#include "util/env.hpp"
#include "util/redact.hpp"

namespace agents {

namespace {

std::string without_query(const std::string& url) {
  auto q = url.find('?');
  return q == std::string::npos ? url : url.substr(0, q);
}

bool is_event_stream(const http::Response& r) {
  const auto* ct = r.header("content-type");
  return ct != nullptr && ct->find("text/event-stream") != std::string::npos;
}

}  // namespace

OpenAiConfig OpenAiConfig::from_environment(std::string default_model) {
  OpenAiConfig config(util::env_or("OPENAI_API_KEY", ""),
                      util::env_or("OPENAI_MODEL", std::move(default_model)));
  config.base_url = util::env_or("OPENAI_BASE_URL", config.base_url);
  config.organization = util::env_or("OPENAI_ORGANIZATION", "");
  config.project = util::env_or("OPENAI_PROJECT", "");
  return config;
}

struct OpenAiChatModel::Impl {
  explicit Impl(OpenAiConfig c) : config(std::move(c)), quota(config.retry.quota_capacity) {}

  OpenAiConfig config;
  std::string url;
  std::string where;  // "model M at POST URL-without-query", for messages
  std::shared_ptr<http::HttpClient> http;
  RetryQuota quota;
  std::atomic<std::int64_t> calls{0};
  std::atomic<std::int64_t> attempts{0};

  http::Headers headers(bool stream) const {
    http::Headers h;
    h.push_back({"Content-Type", "application/json"});
    h.push_back({"Accept", stream ? "text/event-stream" : "application/json"});
    if (!config.api_key.empty()) {
      if (config.api_key_header.empty() || config.api_key_header == "Authorization") {
        h.push_back({"Authorization", "Bearer " + config.api_key});
      } else {
        h.push_back({config.api_key_header, config.api_key});
      }
    }
    if (!config.organization.empty()) h.push_back({"OpenAI-Organization", config.organization});
    if (!config.project.empty()) h.push_back({"OpenAI-Project", config.project});
    for (const auto& e : config.extra_headers) h.push_back(e);
    return h;
  }

  // Prefixes where the call went and removes the key from anything a server or transport said.
  Status annotate(Status s) const {
    std::string message = util::redact(where + ": " + s.message(), config.api_key);
    return Status(s.code(), std::move(message), s.details());
  }

  // A non-2xx answer as a Status; a throttling answer's Retry-After becomes the retry loop's
  // minimum wait (ErrorDetails::retry_after).
  Status error_status(const http::Response& r) const {
    Status s = detail::status_for_error_response(r, config.api_key);
    if (s.details().throttling) {
      auto ra = detail::retry_after(r, std::chrono::system_clock::now());
      if (ra && *ra > config.max_retry_after) {
        ErrorDetails d = s.details();
        d.transient = false;
        return Status(ErrorCode::kThrottled,
                      s.message() + "; the server asks to wait " + std::to_string(ra->count()) +
                          " ms, more than max_retry_after (" +
                          std::to_string(config.max_retry_after.count()) + " ms): not retried",
                      d);
      }
      if (ra) s.details().retry_after = *ra;
    }
    return s;
  }
};

OpenAiChatModel::OpenAiChatModel(OpenAiConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {
  auto& c = impl_->config;
  if (c.model.empty()) throw InvalidArgumentError("OpenAiConfig: the model name is empty");
  if (!c.chat_completions_url.empty()) {
    impl_->url = c.chat_completions_url;
  } else {
    std::string base = c.base_url.empty() ? "https://api.openai.com/v1" : c.base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    impl_->url = base + "/chat/completions";
  }
  if (!impl_->url.starts_with("http://") && !impl_->url.starts_with("https://")) {
    throw InvalidArgumentError("OpenAiConfig: the URL must start with http:// or https://, got \"" +
                               util::redact(without_query(impl_->url), c.api_key) + "\"");
  }
  impl_->where = "model " + c.model + " at POST " + util::redact(without_query(impl_->url), c.api_key);
  if (c.http_client) {
    impl_->http = c.http_client;
  } else {
    http::CurlHttpClientOptions o;
    o.connect_timeout = c.connect_timeout;
    o.request_timeout = c.timeout;
    o.read_timeout = c.timeout;  // a stream has no whole-request limit, only this longest silence
    impl_->http = http::make_curl_http_client(o);
  }
}

OpenAiChatModel::~OpenAiChatModel() = default;

std::string OpenAiChatModel::name() const { return "openai:" + impl_->config.model; }
const std::string& OpenAiChatModel::url() const { return impl_->url; }
OpenAiChatModel::Stats OpenAiChatModel::stats() const {
  return {impl_->calls.load(), impl_->attempts.load()};
}

ChatResponse OpenAiChatModel::complete(const ChatRequest& request) {
  Impl& m = *impl_;
  const bool stream = m.config.stream || static_cast<bool>(request.on_text_delta);
  http::Request http_request;
  http_request.method = "POST";
  http_request.url = m.url;
  http_request.headers = m.headers(stream);
  http_request.body = detail::encode_chat_request(m.config, request, stream)
                          .dump(-1, ' ', false, Json::error_handler_t::replace);
  if (stream) http_request.timeout = std::chrono::milliseconds(0);  // bounded by the read timeout
  ++m.calls;

  std::optional<ChatResponse> result;
  bool delivered = false;  // deltas reached the caller: never retry then

  auto attempt = [&](int) -> Status {
    ++m.attempts;
    detail::StreamAccumulator acc(request.on_text_delta);
    Status stream_error;
    std::optional<std::string> plain_body;  // a 2xx answer that is not an event stream
    detail::SseParser parser([&](const std::string& data) {
      if (!stream_error.ok()) return;
      stream_error = acc.add(data, m.config.api_key);
    });

    // Streaming goes through the transport's body sink, so any transport (the default libcurl one
    // or an injected one) can hand the deltas on as they arrive.
    bool sunk = false;  // the transport delivered the body through the sink
    if (stream) {
      http_request.on_body = [&](const http::Response& head, std::string_view bytes) {
        sunk = true;
        if (!is_event_stream(head)) {
          if (!plain_body) plain_body.emplace();
          plain_body->append(bytes);
          return true;
        }
        parser.feed(bytes);
        delivered = delivered || acc.delivered_text();
        return stream_error.ok();
      };
    }
    auto got = m.http->send(http_request);
    if (!stream_error.ok()) {
      Status s = m.annotate(stream_error);
      if (delivered) s.details().transient = false;
      return s;
    }
    if (!got.ok()) {
      Status s = m.annotate(got.status());
      if (delivered) s.details().transient = false;
      return s;
    }
    http::Response response = std::move(*got);
    if (response.status >= 200 && response.status < 300 && plain_body) response.body = std::move(*plain_body);

    if (response.status < 200 || response.status >= 300) return m.annotate(m.error_status(response));

    if (stream && is_event_stream(response) && !plain_body) {
      if (!sunk) parser.feed(response.body);  // a transport that collected the body instead
      parser.finish();
      delivered = delivered || acc.delivered_text();
      if (!stream_error.ok()) {
        Status s = m.annotate(stream_error);
        if (delivered) s.details().transient = false;
        return s;
      }
      if (!acc.saw_chunk()) {
        ErrorDetails d;
        d.service_code = "invalid_response";
        d.http_status = response.status;
        return m.annotate(Status(ErrorCode::kModelError, "the stream ended without any chunk", d));
      }
      result = acc.take();
      return {};
    }
    // Not streamed (or the server ignored `stream`): one JSON document.
    auto parsed = detail::parse_chat_response(response.body);
    if (!parsed.ok()) {
      Status s = parsed.status();
      s.details().http_status = response.status;
      return m.annotate(s);
    }
    if (const auto* id = response.header("x-request-id"); id != nullptr && parsed->id.empty())
      parsed->id = *id;
    if (request.on_text_delta && !parsed->message.content.empty())
      request.on_text_delta(parsed->message.content);
    result = std::move(*parsed);
    return {};
  };

  RetryStats stats;
  Status status = run_with_retries(m.config.retry, m.quota, stats, attempt);
  status.throw_if_error();
  return std::move(*result);
}

}  // namespace agents
