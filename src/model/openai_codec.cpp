#include "model/openai_codec.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>

#include "util/redact.hpp"

namespace agents::detail {

namespace {

std::string string_or_empty(const Json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

// Content may be a string, null, or (some servers) an array of {"type":"text","text":...} parts.
std::string content_text(const Json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string out;
  if (content.is_array()) {
    for (const auto& part : content) {
      if (part.is_object() && part.value("type", "") == "text") out += string_or_empty(part, "text");
    }
  }
  return out;
}

std::string arguments_text(const Json& arguments) {
  if (arguments.is_string()) return arguments.get<std::string>();
  if (arguments.is_null()) return "{}";
  return arguments.dump();  // Ollama and some others send an object
}

Usage parse_usage(const Json& usage) {
  Usage u;
  if (!usage.is_object()) return u;
  auto num = [&](const char* key) -> std::int64_t {
    auto it = usage.find(key);
    return it != usage.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
  };
  u.prompt_tokens = num("prompt_tokens");
  u.completion_tokens = num("completion_tokens");
  u.total_tokens = num("total_tokens");
  if (u.total_tokens == 0) u.total_tokens = u.prompt_tokens + u.completion_tokens;
  return u;
}

Status invalid_response(const std::string& why, int http_status = 200) {
  ErrorDetails d;
  d.service_code = "invalid_response";
  d.http_status = http_status;
  return Status(ErrorCode::kModelError, "the server's answer is not a chat completion: " + why, d);
}

std::string excerpt(std::string_view text, std::size_t max = 200) {
  std::string out;
  for (char c : text.substr(0, max)) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  if (text.size() > max) out += "...";
  return out;
}

}  // namespace

Json encode_message(const Message& m) {
  Json out = Json::object();
  out["role"] = m.role;
  if (m.role == "assistant" && !m.tool_calls.empty()) {
    out["content"] = m.content.empty() ? Json(nullptr) : Json(m.content);
    Json calls = Json::array();
    for (const auto& c : m.tool_calls) {
      calls.push_back(
          {{"id", c.id},
           {"type", "function"},
           {"function", {{"name", c.name}, {"arguments", c.arguments.empty() ? "{}" : c.arguments}}}});
    }
    out["tool_calls"] = std::move(calls);
  } else {
    out["content"] = m.content;
  }
  if (m.role == "tool") {
    out["tool_call_id"] = m.tool_call_id;  // `name` is not part of a tool message on the wire
  } else if (!m.name.empty() && (m.role == "user" || m.role == "system")) {
    out["name"] = m.name;
  }
  return out;
}

Json encode_chat_request(const OpenAiConfig& config, const ChatRequest& request, bool stream) {
  Json body = Json::object();
  body["model"] = config.model;
  Json messages = Json::array();
  for (const auto& m : request.messages) messages.push_back(encode_message(m));
  body["messages"] = std::move(messages);
  if (!request.tools.empty()) {
    Json tools = Json::array();
    for (const auto& t : request.tools) {
      Json params = t.parameters.is_object() && !t.parameters.empty()
                        ? t.parameters
                        : Json{{"type", "object"}, {"properties", Json::object()}};
      tools.push_back(
          {{"type", "function"},
           {"function",
            {{"name", t.name}, {"description", t.description}, {"parameters", std::move(params)}}}});
    }
    body["tools"] = std::move(tools);
  }
  if (config.temperature) body["temperature"] = *config.temperature;
  if (config.max_tokens)
    body[config.max_tokens_field.empty() ? "max_tokens" : config.max_tokens_field] = *config.max_tokens;
  if (stream) {
    body["stream"] = true;
    if (config.stream_usage) body["stream_options"] = {{"include_usage", true}};
  }
  if (config.extra_body.is_object()) {
    for (const auto& [k, v] : config.extra_body.items()) body[k] = v;
  }
  return body;
}

FinishReason parse_finish_reason(std::string_view text) noexcept {
  if (text == "stop" || text == "end_turn") return FinishReason::kStop;
  if (text == "tool_calls" || text == "function_call") return FinishReason::kToolCalls;
  if (text == "length") return FinishReason::kLength;
  if (text == "content_filter") return FinishReason::kContentFilter;
  return FinishReason::kOther;
}

StatusOr<ChatResponse> parse_chat_response(std::string_view body) {
  Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return invalid_response("malformed JSON (" + excerpt(body, 80) + ")");
  if (!doc.is_object()) return invalid_response("not a JSON object");
  if (doc.contains("error") && doc["error"].is_object()) {
    return invalid_response("an error object in a 2xx answer: " + string_or_empty(doc["error"], "message"));
  }
  auto choices = doc.find("choices");
  if (choices == doc.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) {
    return invalid_response("no choices");
  }
  const Json& choice = (*choices)[0];
  auto msg = choice.find("message");
  if (msg == choice.end() || !msg->is_object()) return invalid_response("choices[0].message is missing");

  ChatResponse r;
  r.id = string_or_empty(doc, "id");
  r.model = string_or_empty(doc, "model");
  r.usage = parse_usage(doc.value("usage", Json()));
  r.finish_reason_text = string_or_empty(choice, "finish_reason");
  r.finish_reason = parse_finish_reason(r.finish_reason_text);
  r.message.role = "assistant";
  r.message.content = content_text(msg->value("content", Json()));
  if (auto calls = msg->find("tool_calls"); calls != msg->end() && calls->is_array()) {
    int n = 0;
    for (const auto& c : *calls) {
      if (!c.is_object()) return invalid_response("tool_calls[" + std::to_string(n) + "] is not an object");
      const Json fn = c.value("function", Json::object());
      ToolCall call;
      call.id = string_or_empty(c, "id");
      if (call.id.empty()) call.id = "call_" + std::to_string(n);  // a few servers omit it
      call.name = string_or_empty(fn, "name");
      if (call.name.empty())
        return invalid_response("tool_calls[" + std::to_string(n) + "] has no function name");
      call.arguments = arguments_text(fn.value("arguments", Json()));
      r.message.tool_calls.push_back(std::move(call));
      ++n;
    }
  } else if (auto fc = msg->find("function_call"); fc != msg->end() && fc->is_object()) {
    r.message.tool_calls.push_back(
        {"call_0", string_or_empty(*fc, "name"), arguments_text(fc->value("arguments", Json()))});
  }
  return r;
}

Status status_for_error_response(const http::Response& response, const std::string& secret) {
  ErrorDetails d;
  d.http_status = response.status;
  if (const auto* id = response.header("x-request-id")) d.request_id = *id;
  std::string server_message;
  std::string type;
  std::string code;
  Json doc = Json::parse(response.body, nullptr, false);
  if (!doc.is_discarded() && doc.is_object()) {
    const Json err = doc.contains("error") ? doc["error"] : doc;
    if (err.is_object()) {
      server_message = string_or_empty(err, "message");
      type = string_or_empty(err, "type");
      if (err.contains("code") && err["code"].is_string()) code = err["code"].get<std::string>();
      if (err.contains("code") && err["code"].is_number_integer())
        code = std::to_string(err["code"].get<int>());
    } else if (err.is_string()) {
      server_message = err.get<std::string>();  // {"error":"model 'x' not found"} (Ollama)
    }
    if (server_message.empty()) server_message = string_or_empty(doc, "message");
  }
  if (server_message.empty())
    server_message = response.body.empty() ? "(empty body)" : excerpt(response.body);
  d.service_code = !code.empty() ? code : !type.empty() ? type : "http_" + std::to_string(response.status);

  const int s = response.status;
  std::string hint;
  ErrorCode ec = ErrorCode::kModelError;
  if (s == 429) {
    if (code == "insufficient_quota") {
      hint = "the account's quota is used up: check the plan and billing (not retried)";
    } else {
      d.transient = true;
      d.throttling = true;
      hint = "rate limited";
    }
  } else if (s >= 500 || s == 408) {
    d.transient = true;
    hint = "server error";
  } else if (s == 401) {
    hint = "check the API key (OPENAI_API_KEY) and api_key_header";
  } else if (s == 403) {
    hint = "the key may not have access to this model, project or organization";
  } else if (s == 404) {
    hint = "check the model name and the base URL (requests go to {base_url}/chat/completions)";
  } else if (s == 400 || s == 422) {
    hint = "the server rejected the request";
  }
  std::string message = "HTTP " + std::to_string(s) + ": " + server_message;
  if (!type.empty() || !code.empty()) {
    message += " (";
    if (!type.empty()) message += "type " + type;
    if (!type.empty() && !code.empty()) message += ", ";
    if (!code.empty()) message += "code " + code;
    message += ")";
  }
  if (!hint.empty()) message += "; " + hint;
  if (!d.request_id.empty()) message += " [request id " + d.request_id + "]";
  return Status(ec, util::redact(std::move(message), secret), std::move(d));
}

std::optional<std::chrono::milliseconds> retry_after(const http::Response& response,
                                                     std::chrono::system_clock::time_point now) {
  if (const auto* ms = response.header("retry-after-ms")) {
    double v = 0;
    auto [p, ec] = std::from_chars(ms->data(), ms->data() + ms->size(), v);
    if (ec == std::errc() && v >= 0) return std::chrono::milliseconds(static_cast<long long>(v));
  }
  const auto* ra = response.header("retry-after");
  if (ra == nullptr || ra->empty()) return std::nullopt;
  double seconds = 0;
  auto [p, ec] = std::from_chars(ra->data(), ra->data() + ra->size(), seconds);
  if (ec == std::errc() && p == ra->data() + ra->size() && seconds >= 0) {
    return std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0));
  }
  // HTTP date: "Wed, 21 Oct 2015 07:28:00 GMT".
  std::tm tm{};
  if (strptime(ra->c_str(), "%a, %d %b %Y %H:%M:%S", &tm) == nullptr) return std::nullopt;
  auto when = std::chrono::system_clock::from_time_t(timegm(&tm));
  auto delta = std::chrono::duration_cast<std::chrono::milliseconds>(when - now);
  return std::max(delta, std::chrono::milliseconds(0));
}

void SseParser::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    auto nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      pending_.append(bytes);
      return;
    }
    pending_.append(bytes.substr(0, nl));
    bytes.remove_prefix(nl + 1);
    std::string text = std::move(pending_);
    pending_.clear();
    if (!text.empty() && text.back() == '\r') text.pop_back();
    line(text);
  }
}

void SseParser::finish() {
  if (!pending_.empty()) {
    std::string text = std::move(pending_);
    pending_.clear();
    if (!text.empty() && text.back() == '\r') text.pop_back();
    line(text);
  }
  line("");
}

void SseParser::line(std::string_view text) {
  if (text.empty()) {  // end of an event
    if (has_data_) on_event_(data_);
    data_.clear();
    has_data_ = false;
    return;
  }
  if (text.front() == ':') return;  // comment / keep-alive
  auto colon = text.find(':');
  std::string_view field = text.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field != "data") return;  // event, id, retry: not used by this protocol
  if (has_data_) data_ += '\n';
  data_.append(value);
  has_data_ = true;
}

Status StreamAccumulator::add(const std::string& data, const std::string& secret) {
  if (data == "[DONE]") {
    done_ = true;
    return {};
  }
  Json chunk = Json::parse(data, nullptr, false);
  if (chunk.is_discarded() || !chunk.is_object())
    return invalid_response("malformed stream event (" + excerpt(data, 80) + ")");
  if (chunk.contains("error")) {
    const Json& e = chunk["error"];
    ErrorDetails d;
    d.http_status = 200;
    d.service_code = e.is_object() ? string_or_empty(e, "code") : "";
    if (d.service_code.empty()) d.service_code = e.is_object() ? string_or_empty(e, "type") : "stream_error";
    if (d.service_code.empty()) d.service_code = "stream_error";
    std::string msg = e.is_object()   ? string_or_empty(e, "message")
                      : e.is_string() ? e.get<std::string>()
                                      : "";
    return Status(ErrorCode::kModelError, util::redact("error event in the stream: " + msg, secret), d);
  }
  saw_chunk_ = true;
  if (response_.id.empty()) response_.id = string_or_empty(chunk, "id");
  if (response_.model.empty()) response_.model = string_or_empty(chunk, "model");
  if (chunk.contains("usage") && chunk["usage"].is_object()) response_.usage = parse_usage(chunk["usage"]);
  auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array()) return {};
  for (const auto& choice : *choices) {
    if (!choice.is_object() || choice.value("index", 0) != 0) continue;
    auto fr = string_or_empty(choice, "finish_reason");
    if (!fr.empty()) {
      response_.finish_reason_text = fr;
      response_.finish_reason = parse_finish_reason(fr);
    }
    auto delta = choice.find("delta");
    if (delta == choice.end() || !delta->is_object()) continue;
    std::string text = content_text(delta->value("content", Json()));
    if (!text.empty()) {
      response_.message.content += text;
      delivered_ = true;
      if (on_delta_) on_delta_(text);
    }
    if (auto calls = delta->find("tool_calls"); calls != delta->end() && calls->is_array()) {
      for (const auto& c : *calls) {
        if (!c.is_object()) continue;
        int index = c.value("index", static_cast<int>(calls_.size()));
        ToolCall& call = calls_[index];
        if (auto id = string_or_empty(c, "id"); !id.empty()) call.id = id;
        const Json fn = c.value("function", Json::object());
        if (auto name = string_or_empty(fn, "name"); !name.empty()) call.name += name;
        if (fn.contains("arguments")) {
          const Json& a = fn["arguments"];
          call.arguments += a.is_string() ? a.get<std::string>() : a.dump();
        }
      }
    }
  }
  return {};
}

ChatResponse StreamAccumulator::take() {
  response_.message.role = "assistant";
  for (auto& [index, call] : calls_) {
    if (call.id.empty()) call.id = "call_" + std::to_string(index);
    if (call.arguments.empty()) call.arguments = "{}";
    response_.message.tool_calls.push_back(std::move(call));
  }
  calls_.clear();
  if (response_.usage.total_tokens == 0) {
    response_.usage.total_tokens = response_.usage.prompt_tokens + response_.usage.completion_tokens;
  }
  return std::move(response_);
}

}  // namespace agents::detail
