#include "cloudwatch_client.hpp"

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

namespace agents::cli::cloudwatch {

namespace {

constexpr const char* kOperation = "GetMetricData";
// The Smithy service shape's name: the X-Amz-Target prefix of every CloudWatch JSON call.
constexpr const char* kTarget = "GraniteServiceVersion20100801.GetMetricData";

std::string env_or_empty(std::string_view name) { return aws::process_environment()(name).value_or(""); }

std::string clipped(const std::string& text, std::size_t limit) {
  std::string out;
  for (char c : text.substr(0, limit)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

std::string without(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
      text.replace(at, secret.size(), "<redacted>");
  }
  return text;
}

bool is_access_code(const std::string& code) {
  return code == "AccessDenied" || code == "AccessDeniedException" || code == "UnrecognizedClientException" ||
         code == "InvalidClientTokenId" || code == "SignatureDoesNotMatch" || code == "IncompleteSignature" ||
         code == "InvalidSignatureException" || code == "MissingAuthenticationToken" ||
         code == "ExpiredToken" || code == "ExpiredTokenException";
}

// CloudWatch's JSON answers carry x-amzn-RequestId and an x-amz-json content type; anything else
// (a web page, another service's port) is not CloudWatch, and retrying it would not help.
bool speaks_cloudwatch(const http::Response& response, const nlohmann::json& body) {
  if (response.header("x-amzn-RequestId") != nullptr) return true;
  const std::string* type = response.header("Content-Type");
  if (type != nullptr && type->starts_with("application/x-amz-json")) return true;
  return body.is_object() && body.contains("__type");
}

Status error_status(const std::string& endpoint, const http::Response& response) {
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  ErrorDetails details;
  details.http_status = response.status;
  if (const std::string* id = response.header("x-amzn-RequestId")) details.request_id = *id;
  std::string prefix = std::string("CloudWatch ") + kOperation + ": ";
  if (!speaks_cloudwatch(response, body)) {
    details.service_code = "NotCloudWatchEndpoint";
    details.transient = response.status == 502 || response.status == 503 || response.status == 504;
    std::string text =
        prefix + endpoint + " does not speak CloudWatch: it answered HTTP " + std::to_string(response.status);
    if (const std::string* type = response.header("Content-Type")) text += " (" + clipped(*type, 60) + ")";
    text +=
        " without the x-amzn-RequestId of an AWS answer; check --cloudwatch-endpoint or "
        "AWS_ENDPOINT_URL_CLOUDWATCH";
    return Status(ErrorCode::kServiceError, text, details);
  }
  // With x-amzn-query-mode, CloudWatch names errors as its Query protocol did (the codes the IAM
  // and CloudWatch docs use) in x-amzn-query-error: "Code;Sender". Else the JSON `__type`.
  std::string code, message;
  if (const std::string* query_error = response.header("x-amzn-query-error"))
    code = query_error->substr(0, query_error->find(';'));
  if (code.empty() && body.is_object() && body.contains("__type") && body["__type"].is_string()) {
    std::string type = body["__type"].get<std::string>();
    type = type.substr(0, type.find(':'));
    code = type.substr(type.rfind('#') == std::string::npos ? 0 : type.rfind('#') + 1);
  }
  for (const char* key : {"message", "Message"}) {
    if (body.is_object() && body.contains(key) && body[key].is_string())
      message = body[key].get<std::string>();
  }
  details.service_code = code.empty() ? "HTTP" + std::to_string(response.status) : code;
  details.throttling = code == "Throttling" || code == "ThrottlingException" || response.status == 429;
  details.transient = details.throttling || response.status >= 500 || code == "InternalServiceFault" ||
                      code == "InternalServiceError" || code == "ServiceUnavailable";
  ErrorCode error_code = ErrorCode::kServiceError;
  std::string hint;
  if (is_access_code(code) || response.status == 403) {
    error_code = ErrorCode::kAccessDenied;
    hint =
        " (the identity needs cloudwatch:GetMetricData on '*', see docs/iam-policy.md; `agents doctor` "
        "shows which credentials are used)";
  }
  std::string text = prefix + details.service_code + (message.empty() ? "" : ": " + message) + hint +
                     " (HTTP " + std::to_string(response.status) +
                     (details.request_id.empty() ? "" : ", request id " + details.request_id) + ")";
  return Status(error_code, text, details);
}

Status protocol_error(const std::string& what) {
  return Status(ErrorCode::kServiceError,
                std::string("CloudWatch ") + kOperation + ": unexpected response: " + what);
}

}  // namespace

std::string encode_get_metric_data(const GetMetricDataRequest& request, const std::string& next_token) {
  nlohmann::json queries = nlohmann::json::array();
  for (const MetricQuery& q : request.queries) {
    nlohmann::json dimensions = nlohmann::json::array();
    for (const auto& [name, value] : q.dimensions) dimensions.push_back({{"Name", name}, {"Value", value}});
    queries.push_back(
        {{"Id", q.id},
         {"MetricStat",
          {{"Metric",
            {{"Namespace", q.namespace_name}, {"MetricName", q.metric_name}, {"Dimensions", dimensions}}},
           {"Period", request.period_seconds},
           {"Stat", q.stat}}}});
  }
  nlohmann::json body{{"MetricDataQueries", queries},
                      {"StartTime", request.start_time},
                      {"EndTime", request.end_time},
                      {"ScanBy", "TimestampAscending"}};
  if (!next_token.empty()) body["NextToken"] = next_token;
  return body.dump();
}

std::string resolve_endpoint(const ClientOptions& options) {
  if (!options.endpoint.empty()) return options.endpoint;
  // The AWS SDKs' service-specific variable for the service id "CloudWatch", then the global one.
  if (std::string url = env_or_empty("AWS_ENDPOINT_URL_CLOUDWATCH"); !url.empty()) return url;
  if (std::string url = env_or_empty("AWS_ENDPOINT_URL"); !url.empty()) return url;
  const bool china = options.region.starts_with("cn-");
  return "https://monitoring." + options.region + (china ? ".amazonaws.com.cn" : ".amazonaws.com");
}

Client::Client(ClientOptions options)
    : options_(std::move(options)),
      endpoint_(resolve_endpoint(options_)),
      http_(http::make_curl_http_client(options_.transport)),
      signer_(options_.region, "monitoring"),  // CloudWatch signs as "monitoring", its endpoint prefix
      quota_(options_.retry.quota_capacity) {
  while (endpoint_.size() > 1 && endpoint_.back() == '/') endpoint_.pop_back();
  if (!options_.credentials) {
    aws::CredentialsChainOptions chain;
    chain.profile = options_.profile;
    chain.region = options_.region;
    options_.credentials = aws::make_default_credentials_chain(std::move(chain));
  }
}

Status Client::call(const std::string& body, std::string& response_body) {
  const std::string payload_hash = aws::sigv4::sha256_hex(body);
  aws::RetryOptions retry = options_.retry;
  if (options_.retry.on_retry) {
    retry.on_retry = [this](const Status& error, int next, int max, std::chrono::milliseconds delay) {
      options_.retry.on_retry(
          Status(error.code(), std::string("CloudWatch ") + kOperation + ": " + error.message(),
                 error.details()),
          next, max, delay);
    };
  }
  aws::RetryStats stats;
  Status status = aws::run_with_retries(retry, quota_, stats, [&](int) -> Status {
    auto credentials = options_.credentials->get(aws::Clock::now());
    if (!credentials.ok()) return credentials.status();
    // The headers of the SDKs' JSON 1.0 calls; x-amzn-query-mode asks for the Query error codes.
    http::Request request{.method = "POST",
                          .url = endpoint_ + "/",
                          .headers = {{"Content-Type", "application/x-amz-json-1.0"},
                                      {"X-Amz-Target", kTarget},
                                      {"x-amzn-query-mode", "true"}},
                          .body = body};
    signer_.sign(request, *credentials, aws::Clock::now(), payload_hash);
    auto response = http_->send(request);
    if (!response.ok()) {
      const Status& e = response.status();
      return Status(e.code(), std::string("CloudWatch ") + kOperation + ": " + e.message(), e.details());
    }
    if (response->status == 200) {
      response_body = std::move(response->body);
      return Status();
    }
    Status error = error_status(endpoint_, *response);
    // An error may quote the request (a signature mismatch quotes the canonical request).
    return Status(error.code(),
                  without(error.message(), {credentials->secret_access_key, credentials->session_token}),
                  error.details());
  });
  return status;
}

StatusOr<std::vector<MetricSeries>> Client::get_metric_data(const GetMetricDataRequest& request) {
  std::map<std::string, MetricSeries> merged;
  std::string next_token;
  for (int page = 0; page < 100; ++page) {
    std::string response_body;
    Status status = call(encode_get_metric_data(request, next_token), response_body);
    if (!status.ok()) return status;
    nlohmann::json doc = nlohmann::json::parse(response_body, nullptr, false);
    if (!doc.is_object()) return protocol_error("not a JSON object");
    if (doc.contains("MetricDataResults") && !doc["MetricDataResults"].is_array())
      return protocol_error("MetricDataResults is not a list");
    for (const auto& result : doc.value("MetricDataResults", nlohmann::json::array())) {
      if (!result.is_object() || !result.contains("Id") || !result["Id"].is_string())
        return protocol_error("a MetricDataResult without an Id");
      MetricSeries& series = merged[result["Id"].get<std::string>()];
      series.id = result["Id"].get<std::string>();
      if (result.contains("Label") && result["Label"].is_string())
        series.label = result["Label"].get<std::string>();
      if (result.contains("StatusCode") && result["StatusCode"].is_string())
        series.status_code = result["StatusCode"].get<std::string>();
      const auto timestamps = result.value("Timestamps", nlohmann::json::array());
      const auto values = result.value("Values", nlohmann::json::array());
      if (!timestamps.is_array() || !values.is_array() || timestamps.size() != values.size())
        return protocol_error("Timestamps and Values of '" + series.id + "' do not pair up");
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (!timestamps[i].is_number() || !values[i].is_number())
          return protocol_error("a datapoint of '" + series.id + "' is not a number");
        series.timestamps.push_back(std::llround(timestamps[i].get<double>()));
        series.values.push_back(values[i].get<double>());
      }
    }
    if (!doc.contains("NextToken") || !doc["NextToken"].is_string() ||
        doc["NextToken"].get<std::string>().empty()) {
      std::vector<MetricSeries> out;
      for (auto& [id, series] : merged) out.push_back(std::move(series));
      return out;
    }
    next_token = doc["NextToken"].get<std::string>();
  }
  return protocol_error("more than 100 pages of NextToken");
}

}  // namespace agents::cli::cloudwatch
