// The OpenAI chat-completions wire format as pure functions: request body, response, error
// body, server-sent events and stream chunks, Retry-After. Tested without any server.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "agents/core/status.hpp"
#include "agents/http/http_client.hpp"
#include "agents/model/chat_model.hpp"
#include "agents/model/openai_chat_model.hpp"

namespace agents::detail {

/// The request body for `request`; `stream` adds stream (and stream_options when asked).
Json encode_chat_request(const OpenAiConfig& config, const ChatRequest& request, bool stream);

/// One message in the wire format (assistant tool calls, tool results with their ids).
Json encode_message(const Message& message);

FinishReason parse_finish_reason(std::string_view text) noexcept;

/// A 2xx non-streaming body; kModelError ("invalid_response") when it is not one.
StatusOr<ChatResponse> parse_chat_response(std::string_view body);

/// The Status for a non-2xx response: 429 throttling (transient), 5xx transient, other 4xx
/// permanent; quotes the server's error message with `secret` redacted.
Status status_for_error_response(const http::Response& response, const std::string& secret);

/// Retry-After: `retry-after-ms`, else `Retry-After` in seconds (fractions allowed) or as an
/// HTTP date (relative to `now`). Nothing when absent or unreadable.
std::optional<std::chrono::milliseconds> retry_after(const http::Response& response,
                                                     std::chrono::system_clock::time_point now);

/// Splits a text/event-stream into events; calls `on_event(data)` for each event's data
/// (multi-line data joined by '\n'). Feed bytes in any pieces.
class SseParser {
 public:
  explicit SseParser(std::function<void(const std::string& data)> on_event)
      : on_event_(std::move(on_event)) {}
  void feed(std::string_view bytes);
  /// Dispatches a last event not followed by a blank line.
  void finish();

 private:
  void line(std::string_view text);
  std::function<void(const std::string&)> on_event_;
  std::string pending_;  // an incomplete line
  std::string data_;
  bool has_data_ = false;
};

/// Folds chat.completion.chunk events into one ChatResponse.
class StreamAccumulator {
 public:
  explicit StreamAccumulator(std::function<void(std::string_view)> on_delta)
      : on_delta_(std::move(on_delta)) {}
  /// One event's data. kModelError for unreadable JSON or an `error` event.
  Status add(const std::string& data, const std::string& secret);
  bool done() const noexcept { return done_; }
  bool delivered_text() const noexcept { return delivered_; }
  bool saw_chunk() const noexcept { return saw_chunk_; }
  ChatResponse take();

 private:
  std::function<void(std::string_view)> on_delta_;
  ChatResponse response_;
  std::map<int, ToolCall> calls_;  // by index
  bool done_ = false;
  bool delivered_ = false;
  bool saw_chunk_ = false;
};

}  // namespace agents::detail
