#include "handler.hpp"

#include <cstdlib>
#include <iostream>

#include "agents/core/duration.hpp"

namespace agents_lambda_example {
namespace {

using agents::Json;
using agents::lambda::InvocationResponse;

InvocationResponse http_response(int status, const Json& body) {
  return InvocationResponse::success(agents::lambda::api_gateway_response(
      status, body.dump(-1, ' ', false, Json::error_handler_t::replace)));
}

InvocationResponse http_error(int status, std::string_view code, std::string_view message) {
  return InvocationResponse::success(agents::lambda::api_gateway_error_response(status, code, message));
}

void log_line(const agents::lambda::Invocation& in, const std::string& line) {
  std::cerr << "[agents-lambda] request " << in.request_id << ": " << line << std::endl;
}

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

constexpr std::string_view kBodyShape =
    R"(the body must be a JSON object {"thread_id":"...","message":"..."})";

}  // namespace

std::chrono::seconds parse_ttl(std::string_view text) {
  auto parsed = agents::parse_duration(text);
  if (!parsed) {
    throw agents::InvalidArgumentError("AGENTS_TTL '" + std::string(text) +
                                       "' is not a duration; use e.g. 30d, 12h, 90m or 3600s");
  }
  return *parsed;
}

ChatHandler::ChatHandler(std::shared_ptr<agents::Checkpointer> checkpointer,
                         std::shared_ptr<agents::ChatModel> model, HandlerOptions options)
    : options_(std::move(options)), builder_(options_.system_prompt) {
  builder_.with_model(std::move(model)).with_checkpointer(std::move(checkpointer));
  builder_.build();  // fails now (at the cold start) rather than on the first request
}

InvocationResponse ChatHandler::operator()(const agents::lambda::Invocation& invocation) const {
  auto request = agents::lambda::parse_api_gateway_event(invocation.payload);
  if (!request.ok()) {
    // Not an API Gateway proxy event at all (a test event, a wrong trigger): there is no HTTP
    // client to answer, so this is a function error that shows in the Lambda metrics.
    log_line(invocation, request.status().message());
    return InvocationResponse::failure(request.status().message(), "InvalidEvent");
  }
  if (invocation.remaining_time() < options_.deadline_margin) {
    log_line(invocation, "too close to the deadline to start a turn; nothing loaded or saved");
    return http_error(503, "deadline",
                      "the function had too little time left to handle the message; try again");
  }

  if (!request->has_body) return http_error(400, "bad_request", kBodyShape);
  Json body = Json::parse(request->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) return http_error(400, "bad_request", kBodyShape);
  auto thread_it = body.find("thread_id");
  auto message_it = body.find("message");
  if (thread_it == body.end() || !thread_it->is_string()) {
    return http_error(400, "bad_request", "thread_id is missing or not a string; " + std::string(kBodyShape));
  }
  if (message_it == body.end() || !message_it->is_string() ||
      message_it->get_ref<const std::string&>().empty()) {
    return http_error(400, "bad_request",
                      "message is missing, empty or not a string; " + std::string(kBodyShape));
  }
  const auto& thread_id = thread_it->get_ref<const std::string&>();
  const auto& message = message_it->get_ref<const std::string&>();

  try {
    agents::Agent agent = builder_.build();
    bool resumed = agent.load_state(thread_id);
    agents::TurnResult reply = agent.handle_message(message);
    std::int64_t version = agent.save_state(thread_id);  // conditional on what was loaded
    Json out = {
        {"response", reply.text}, {"thread_id", thread_id}, {"version", version}, {"resumed", resumed}};
    if (reply.awaiting_approval) out["awaiting_approval"] = true;
    return http_response(200, out);
  } catch (const agents::ConflictError& e) {
    log_line(invocation, std::string("conflict: ") + e.what());
    return http_error(409, "conflict", e.what());
  } catch (const agents::Error& e) {
    log_line(invocation, std::string(agents::error_code_name(e.code())) + ": " + e.what());
    switch (e.code()) {
      case agents::ErrorCode::kInvalidArgument:
        return http_error(400, "bad_request", e.what());
      case agents::ErrorCode::kThrottled:
      case agents::ErrorCode::kTimeout:
      case agents::ErrorCode::kConnectionFailed:
        return http_error(503, agents::error_code_name(e.code()),
                          "the store or the model is unavailable or busy; try again (request " +
                              invocation.request_id + ")");
      default:
        // Details stay in the logs: they name tables, services and request ids.
        return http_error(500, agents::error_code_name(e.code()),
                          "the function failed; see its logs for request " + invocation.request_id);
    }
  } catch (const std::exception& e) {
    log_line(invocation, std::string("unexpected error: ") + e.what());
    return http_error(500, "internal",
                      "the function failed; see its logs for request " + invocation.request_id);
  }
}

ChatHandler make_chat_handler_from_environment() {
  const char* table = env("AGENTS_TABLE");
  auto checkpointer =
      std::make_shared<agents::DynamoDbCheckpointer>(table != nullptr ? table : "agent-checkpoints");
  if (const char* ttl = env("AGENTS_TTL")) checkpointer->with_ttl(parse_ttl(ttl));
  if (const char* incremental = env("AGENTS_INCREMENTAL")) {
    const std::string_view flag = incremental;
    if (flag != "1" && flag != "0" && flag != "true" && flag != "false") {
      throw agents::InvalidArgumentError("AGENTS_INCREMENTAL '" + std::string(flag) +
                                         "' is not 1, 0, true or false");
    }
    // The history as segments (docs/item-layout.md); a warm container keeps the segments it saw,
    // so the next invocation for a thread reads little more than its head.
    if (flag == "1" || flag == "true")
      checkpointer->with_incremental(true).with_segment_cache_bytes(32 << 20);
  }
  checkpointer->client();  // resolves region, endpoint and credentials now: no request is sent

  std::shared_ptr<agents::ChatModel> model;
  if (env("OPENAI_API_KEY") != nullptr) {
    model = std::make_shared<agents::OpenAiChatModel>(agents::OpenAiConfig::from_environment());
  } else {
    model = std::make_shared<agents::OfflineChatModel>();
  }

  HandlerOptions options;
  if (const char* prompt = env("AGENTS_SYSTEM_PROMPT")) options.system_prompt = prompt;
  if (const char* margin = env("AGENTS_DEADLINE_MARGIN_MS")) {
    options.deadline_margin = std::chrono::milliseconds(std::strtoll(margin, nullptr, 10));
  }
  return ChatHandler(std::move(checkpointer), std::move(model), std::move(options));
}

}  // namespace agents_lambda_example
