#include "agents/lambda/runtime.hpp"

#include <cxxabi.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>
#include <typeinfo>

#include "agents/http/http_client.hpp"
#include "agents/version.hpp"
#include "util/env.hpp"

namespace agents::lambda {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::system_clock;

constexpr std::string_view kDefaultErrorType = "Unhandled";

std::string header_or_empty(const http::Response& response, std::string_view name) {
  const std::string* v = response.header(name);
  return v != nullptr ? *v : std::string();
}

// Request ids are UUIDs; anything else is escaped so that it cannot change the path.
std::string escape_path_segment(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string demangled_name(const std::type_info& type) {
  int status = 0;
  char* name = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string out = status == 0 && name != nullptr ? name : type.name();
  std::free(name);  // NOLINT(cppcoreguidelines-no-malloc): __cxa_demangle allocates with malloc
  return out;
}

// The error type and message of the exception being handled (call inside a catch block).
std::pair<std::string, std::string> describe_current_exception() {
  try {
    throw;
  } catch (const std::exception& e) {
    return {demangled_name(typeid(e)), e.what()};
  } catch (...) {
    return {"Runtime.UnknownReason", "a non-standard exception was thrown"};
  }
}

void export_trace_id(const std::string& trace_id) {
  // The X-Ray SDKs and anything instrumented read the current trace from this variable.
  if (trace_id.empty()) {
    ::unsetenv("_X_AMZN_TRACE_ID");
  } else {
    ::setenv("_X_AMZN_TRACE_ID", trace_id.c_str(), 1);
  }
}

Status status_error(const std::string& what, const http::Response& response) {
  ErrorDetails details;
  details.http_status = response.status;
  std::string body = response.body.substr(0, 200);
  ErrorCode code = response.status == 410   ? ErrorCode::kNotFound
                   : response.status == 413 ? ErrorCode::kInvalidArgument
                                            : ErrorCode::kServiceError;
  return Status(code,
                "lambda runtime: " + what + " answered HTTP " + std::to_string(response.status) +
                    (body.empty() ? "" : ": " + body),
                details);
}

}  // namespace

std::chrono::milliseconds Invocation::remaining_time(Clock::time_point now) const {
  if (deadline == Clock::time_point::max()) return std::chrono::milliseconds::max();
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
}

InvocationResponse InvocationResponse::success(std::string payload, std::string content_type) {
  InvocationResponse r;
  r.payload = std::move(payload);
  r.content_type = std::move(content_type);
  return r;
}

InvocationResponse InvocationResponse::failure(std::string_view error_message, std::string_view error_type) {
  InvocationResponse r;
  r.is_failure = true;
  r.error_type = error_type.empty() ? std::string(kDefaultErrorType) : std::string(error_type);
  r.payload = error_document(error_message, r.error_type);
  r.content_type = "application/json";
  return r;
}

std::string error_document(std::string_view error_message, std::string_view error_type) {
  Json doc = Json::object();
  doc["errorMessage"] = std::string(error_message);
  doc["errorType"] = std::string(error_type);
  doc["stackTrace"] = Json::array();
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace);
}

LambdaRuntime::LambdaRuntime(RuntimeOptions options) : options_(std::move(options)) {
  std::string api = options_.runtime_api;
  if (api.empty()) api = util::env_or("AWS_LAMBDA_RUNTIME_API", "");
  if (api.empty()) {
    throw InvalidArgumentError(
        "lambda runtime: AWS_LAMBDA_RUNTIME_API is not set; run `bootstrap` inside Lambda (or the runtime "
        "interface emulator), or set RuntimeOptions::runtime_api");
  }
  base_url_ = "http://" + api + "/2018-06-01";
  http_ = options_.http;
  if (!http_) {
    http::CurlHttpClientOptions curl;
    curl.connect_timeout = std::chrono::milliseconds(1000);
    curl.max_idle_connections = 2;
    curl.user_agent = "agents-sdk-cpp-lambda/" AGENTS_SDK_VERSION_STRING;
    http_ = http::make_curl_http_client(curl);
  }
}

LambdaRuntime::~LambdaRuntime() = default;

void LambdaRuntime::log(std::string_view line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::cerr << "[agents-lambda] " << line << std::endl;  // one flushed line per event in CloudWatch
  }
}

StatusOr<Invocation> LambdaRuntime::next() {
  http::Request request;
  request.method = "GET";
  request.url = base_url_ + "/runtime/invocation/next";
  request.timeout = std::chrono::milliseconds(0);  // none: the sandbox may be frozen between events
  auto response = http_->send(request);
  if (!response.ok()) return response.status();
  if (response->status != 200) return status_error("GET /runtime/invocation/next", *response);

  Invocation in;
  in.request_id = header_or_empty(*response, "Lambda-Runtime-Aws-Request-Id");
  if (in.request_id.empty()) {
    ErrorDetails details;
    details.http_status = response->status;
    return Status(ErrorCode::kServiceError,
                  "lambda runtime: /runtime/invocation/next gave no Lambda-Runtime-Aws-Request-Id", details);
  }
  std::string deadline = header_or_empty(*response, "Lambda-Runtime-Deadline-Ms");
  std::int64_t ms = 0;
  auto [end, ec] = std::from_chars(deadline.data(), deadline.data() + deadline.size(), ms);
  if (ec == std::errc() && end == deadline.data() + deadline.size() && !deadline.empty()) {
    in.deadline =
        Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::milliseconds(ms)));
  }
  in.invoked_function_arn = header_or_empty(*response, "Lambda-Runtime-Invoked-Function-Arn");
  in.trace_id = header_or_empty(*response, "Lambda-Runtime-Trace-Id");
  in.client_context = header_or_empty(*response, "Lambda-Runtime-Client-Context");
  in.cognito_identity = header_or_empty(*response, "Lambda-Runtime-Cognito-Identity");
  in.tenant_id = header_or_empty(*response, "Lambda-Runtime-Aws-Tenant-Id");
  in.invocation_id = header_or_empty(*response, "Lambda-Runtime-Invocation-Id");
  in.payload = std::move(response->body);
  return in;
}

Status LambdaRuntime::post(const Invocation& invocation, const InvocationResponse& result) {
  const char* kind = result.is_failure ? "/error" : "/response";
  http::Request request;
  request.method = "POST";
  request.url = base_url_ + "/runtime/invocation/" + escape_path_segment(invocation.request_id) + kind;
  request.headers.push_back(
      {"Content-Type", result.content_type.empty() ? "application/json" : result.content_type});
  if (result.is_failure) {
    request.headers.push_back({"Lambda-Runtime-Function-Error-Type", result.error_type.empty()
                                                                         ? std::string(kDefaultErrorType)
                                                                         : result.error_type});
  }
  if (!invocation.invocation_id.empty()) {
    request.headers.push_back({"Lambda-Runtime-Invocation-Id", invocation.invocation_id});
  }
  request.body = result.payload;
  auto response = http_->send(request);
  if (!response.ok()) return response.status();
  if (response->status / 100 != 2) {
    return status_error(std::string("POST ") + kind + " of " + invocation.request_id, *response);
  }
  return {};
}

Status LambdaRuntime::post_init_error(std::string_view error_message, std::string_view error_type) {
  std::string type = error_type.empty() ? std::string("Runtime.InitError") : std::string(error_type);
  http::Request request;
  request.method = "POST";
  request.url = base_url_ + "/runtime/init/error";
  request.headers.push_back({"Content-Type", "application/json"});
  request.headers.push_back({"Lambda-Runtime-Function-Error-Type", type});
  request.body = error_document(error_message, type);
  auto response = http_->send(request);
  if (!response.ok()) return response.status();
  if (response->status / 100 != 2) return status_error("POST /runtime/init/error", *response);
  return {};
}

int LambdaRuntime::run(const Handler& handler) {
  std::size_t handled = 0;
  int failed_polls = 0;
  while (options_.max_invocations == 0 || handled < options_.max_invocations) {
    auto invocation = next();
    if (!invocation.ok()) {
      const Status& s = invocation.status();
      if (s.details().http_status == 500) {
        log(s.message() + "; the Runtime API is in an unrecoverable state, exiting");
        return 1;
      }
      if (++failed_polls >= options_.max_next_attempts) {
        log(s.message() + "; giving up after " + std::to_string(failed_polls) + " attempts");
        return 1;
      }
      log(s.message() + "; retrying");
      sleep_with(options_.sleeper, options_.next_retry_delay);
      continue;
    }
    failed_polls = 0;
    export_trace_id(invocation->trace_id);

    InvocationResponse result;
    try {
      result = handler(*invocation);
    } catch (...) {
      auto [type, message] = describe_current_exception();
      log("request " + invocation->request_id + ": handler threw " + type + ": " + message);
      result = InvocationResponse::failure(message, type);
    }

    Status posted = post(*invocation, result);
    ++handled;
    if (posted.ok()) continue;
    int http_status = posted.details().http_status;
    if (http_status == 410) {
      // The invocation timed out (or was re-driven) meanwhile: this response belongs to nobody.
      log("request " + invocation->request_id + ": response discarded as stale (HTTP 410); continuing");
    } else if (http_status >= 400 && http_status < 500) {
      log(posted.message() + "; continuing with the next event");
    } else {
      log(posted.message() + "; exiting");
      return 1;
    }
  }
  return 0;
}

int run_lambda(Handler handler, RuntimeOptions options) {
  return run_lambda_with_setup([&handler] { return std::move(handler); }, std::move(options));
}

int run_lambda_with_setup(const std::function<Handler()>& setup, RuntimeOptions options) {
  std::unique_ptr<LambdaRuntime> runtime;
  try {
    runtime = std::make_unique<LambdaRuntime>(std::move(options));
  } catch (const std::exception& e) {
    std::cerr << "[agents-lambda] " << e.what() << std::endl;
    return 1;
  }
  Handler handler;
  try {
    handler = setup();
    if (!handler) throw std::invalid_argument("the setup function returned an empty handler");
  } catch (...) {
    auto [type, message] = describe_current_exception();
    std::cerr << "[agents-lambda] init failed: " << type << ": " << message << std::endl;
    Status reported = runtime->post_init_error(message, type);
    if (!reported.ok()) std::cerr << "[agents-lambda] " << reported.message() << std::endl;
    return 1;
  }
  return runtime->run(handler);
}

}  // namespace agents::lambda
