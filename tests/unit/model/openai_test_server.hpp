// A fake server speaking the OpenAI chat-completions protocol on 127.0.0.1: it records every
// request and answers from a queue of scripted replies (shaped like OpenAI's), or, when the
// queue is empty and a "brain" is set, by running the offline model on the decoded request so
// that whole agent flows run over the real protocol.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agents/model/offline_chat_model.hpp"
#include "support/loopback_server.hpp"

namespace agents::testing {

struct RecordedRequest {
  std::string method;
  std::string path;
  std::string query;  // raw "a=b&c=d"
  httplib::Headers headers;
  std::string body;
  Json json() const { return Json::parse(body); }
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  bool has_header(const std::string& name) const { return headers.find(name) != headers.end(); }
};

struct ScriptedReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  /// Server-sent events: written one by one (each already framed as "data: ...\n\n").
  std::vector<std::string> events;
  /// Called between events[0] and the rest (e.g. to wait until the client saw the first one).
  std::function<void()> after_first_event;
  std::chrono::milliseconds delay{0};  // before answering
};

/// A recorded-shape non-streaming answer with text.
inline ScriptedReply text_reply(const std::string& text, int prompt_tokens = 19, int completion_tokens = 9) {
  Json body = {{"id", "chatcmpl-AbC123"},
               {"object", "chat.completion"},
               {"created", 1727000000},
               {"model", "gpt-4o-mini-2024-07-18"},
               {"choices",
                {{{"index", 0},
                  {"message", {{"role", "assistant"}, {"content", text}, {"refusal", nullptr}}},
                  {"logprobs", nullptr},
                  {"finish_reason", "stop"}}}},
               {"usage",
                {{"prompt_tokens", prompt_tokens},
                 {"completion_tokens", completion_tokens},
                 {"total_tokens", prompt_tokens + completion_tokens},
                 {"prompt_tokens_details", {{"cached_tokens", 0}}},
                 {"completion_tokens_details", {{"reasoning_tokens", 0}}}}},
               {"system_fingerprint", "fp_0ba0d124f1"}};
  return {200, body.dump()};
}

/// A recorded-shape answer calling tools: {id, name, arguments JSON text}.
inline ScriptedReply tool_calls_reply(const std::vector<ToolCall>& calls) {
  Json list = Json::array();
  for (const auto& c : calls) {
    list.push_back(
        {{"id", c.id}, {"type", "function"}, {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
  }
  Json body = {{"id", "chatcmpl-ToolCalls1"},
               {"object", "chat.completion"},
               {"created", 1727000001},
               {"model", "gpt-4o-mini-2024-07-18"},
               {"choices",
                {{{"index", 0},
                  {"message",
                   {{"role", "assistant"}, {"content", nullptr}, {"tool_calls", list}, {"refusal", nullptr}}},
                  {"logprobs", nullptr},
                  {"finish_reason", "tool_calls"}}}},
               {"usage", {{"prompt_tokens", 82}, {"completion_tokens", 51}, {"total_tokens", 133}}}};
  return {200, body.dump()};
}

inline ScriptedReply error_reply(int status, const std::string& message, const std::string& type,
                                 const std::string& code) {
  Json body = {{"error",
                {{"message", message},
                 {"type", type},
                 {"param", nullptr},
                 {"code", code.empty() ? Json(nullptr) : Json(code)}}}};
  ScriptedReply r{status, body.dump()};
  r.headers.push_back({"x-request-id", "req_" + std::to_string(status) + "abc"});
  return r;
}

inline std::string sse(const Json& chunk) { return "data: " + chunk.dump() + "\n\n"; }

/// Chunks of a streamed answer with these text pieces (and usage at the end).
inline std::vector<std::string> text_stream_events(const std::vector<std::string>& pieces) {
  std::vector<std::string> out;
  auto chunk = [](Json delta, Json finish) {
    return Json{
        {"id", "chatcmpl-Stream1"},
        {"object", "chat.completion.chunk"},
        {"created", 1727000002},
        {"model", "gpt-4o-mini-2024-07-18"},
        {"choices", {{{"index", 0}, {"delta", delta}, {"logprobs", nullptr}, {"finish_reason", finish}}}},
        {"usage", nullptr}};
  };
  out.push_back(sse(chunk({{"role", "assistant"}, {"content", ""}, {"refusal", nullptr}}, nullptr)));
  for (const auto& p : pieces) out.push_back(sse(chunk({{"content", p}}, nullptr)));
  out.push_back(sse(chunk(Json::object(), "stop")));
  out.push_back(sse({{"id", "chatcmpl-Stream1"},
                     {"object", "chat.completion.chunk"},
                     {"created", 1727000002},
                     {"model", "gpt-4o-mini-2024-07-18"},
                     {"choices", Json::array()},
                     {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 3}, {"total_tokens", 13}}}}));
  out.push_back("data: [DONE]\n\n");
  return out;
}

/// The conversation of a request body, as the agent's messages (for the brain).
inline ChatRequest decode_request(const Json& body) {
  ChatRequest request;
  for (const auto& m : body.at("messages")) {
    Message msg;
    msg.role = m.at("role").get<std::string>();
    if (m.contains("content") && m["content"].is_string()) msg.content = m["content"].get<std::string>();
    msg.tool_call_id = m.value("tool_call_id", "");
    if (m.contains("tool_calls")) {
      for (const auto& c : m["tool_calls"]) {
        msg.tool_calls.push_back({c.at("id").get<std::string>(),
                                  c.at("function").at("name").get<std::string>(),
                                  c.at("function").at("arguments").get<std::string>()});
      }
    }
    request.messages.push_back(std::move(msg));
  }
  if (body.contains("tools")) {
    for (const auto& t : body["tools"]) {
      const auto& f = t.at("function");
      request.tools.push_back({f.at("name").get<std::string>(), f.value("description", ""),
                               f.value("parameters", Json::object())});
    }
  }
  return request;
}

/// The non-streaming answer for a ChatResponse.
inline ScriptedReply encode_response(const ChatResponse& r) {
  if (!r.message.tool_calls.empty()) return tool_calls_reply(r.message.tool_calls);
  return text_reply(r.message.content, static_cast<int>(r.usage.prompt_tokens),
                    static_cast<int>(r.usage.completion_tokens));
}

class FakeOpenAiServer {
 public:
  FakeOpenAiServer() {
    server_.server().Post(R"(.*/chat/completions)",
                          [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); });
    server_.start();
  }

  /// The base URL to configure: http://127.0.0.1:PORT/v1
  std::string base_url() const { return server_.url("/v1"); }
  std::string url(const std::string& path) const { return server_.url(path); }

  void push(ScriptedReply reply) {
    std::lock_guard lock(mu_);
    replies_.push_back(std::move(reply));
  }
  /// Answer with the offline model whenever no scripted reply is queued.
  void use_offline_brain() {
    std::lock_guard lock(mu_);
    brain_ = true;
  }
  std::vector<RecordedRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::size_t request_count() const {
    std::lock_guard lock(mu_);
    return requests_.size();
  }

 private:
  void handle(const httplib::Request& req, httplib::Response& res) {
    ScriptedReply reply;
    {
      std::lock_guard lock(mu_);
      std::string query;
      for (const auto& [k, v] : req.params) query += (query.empty() ? "" : "&") + k + "=" + v;
      requests_.push_back({req.method, req.path, query, req.headers, req.body});
      if (!replies_.empty()) {
        reply = std::move(replies_.front());
        replies_.pop_front();
      } else if (brain_) {
        reply = think(req.body);
      } else {
        reply = error_reply(500, "no scripted reply left in the test server", "server_error", "");
      }
    }
    if (reply.delay.count() > 0) std::this_thread::sleep_for(reply.delay);
    res.status = reply.status;
    for (const auto& [k, v] : reply.headers) res.set_header(k, v);
    if (reply.events.empty()) {
      res.set_content(reply.body, reply.content_type);
      return;
    }
    auto events = std::make_shared<std::vector<std::string>>(reply.events);
    auto gate = reply.after_first_event;
    res.set_chunked_content_provider("text/event-stream", [events, gate](size_t, httplib::DataSink& sink) {
      for (std::size_t i = 0; i < events->size(); ++i) {
        sink.write((*events)[i].data(), (*events)[i].size());
        if (i == 0 && gate) gate();
      }
      sink.done();
      return true;
    });
  }

  ScriptedReply think(const std::string& body) {
    Json doc = Json::parse(body);
    ChatRequest request = decode_request(doc);
    ChatResponse response = OfflineChatModel().complete(request);
    if (!doc.value("stream", false)) return encode_response(response);
    // Streamed: text word by word, or the tool calls in one chunk.
    ScriptedReply r;
    if (response.message.tool_calls.empty()) {
      std::vector<std::string> pieces;
      std::size_t start = 0;
      const auto& t = response.message.content;
      while (start < t.size()) {
        auto end = t.find(' ', start);
        end = end == std::string::npos ? t.size() : end + 1;
        pieces.push_back(t.substr(start, end - start));
        start = end;
      }
      r.events = text_stream_events(pieces);
    } else {
      Json calls = Json::array();
      int i = 0;
      for (const auto& c : response.message.tool_calls) {
        calls.push_back({{"index", i++},
                         {"id", c.id},
                         {"type", "function"},
                         {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
      }
      r.events.push_back(
          sse({{"choices", {{{"index", 0}, {"delta", {{"role", "assistant"}, {"tool_calls", calls}}}}}}}));
      r.events.push_back(
          sse({{"choices", {{{"index", 0}, {"delta", Json::object()}, {"finish_reason", "tool_calls"}}}}}));
      r.events.push_back("data: [DONE]\n\n");
    }
    return r;
  }

  mutable std::mutex mu_;
  std::deque<ScriptedReply> replies_;
  std::vector<RecordedRequest> requests_;
  bool brain_ = false;
  LoopbackServer server_;  // last: stopped first, before what its handlers use goes away
};

}  // namespace agents::testing
