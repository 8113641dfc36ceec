#include "aws/credentials/sts.hpp"

#include <cctype>

#include "agents/aws/sigv4.hpp"
#include "agents/http/http_client.hpp"
#include "aws/credentials/common.hpp"
#include "aws/partition.hpp"
#include "util/redact.hpp"

namespace agents::aws::detail {

namespace {

std::string decode_entities(std::string_view text) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool replaced = false;
    if (text[i] == '&') {
      for (const auto& [entity, c] : kEntities) {
        if (text.substr(i).starts_with(entity)) {
          out.push_back(c);
          i += entity.size() - 1;
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out.push_back(text[i]);
  }
  return out;
}

std::string form_field(std::string_view name, std::string_view value) {
  return "&" + std::string(name) + "=" + sigv4::uri_encode(value, /*encode_slash=*/true);
}

std::string form_body(std::string_view action, const AssumeRoleParams& params) {
  std::string body = "Action=" + std::string(action) + "&Version=2011-06-15";
  body += form_field("RoleArn", params.role_arn);
  body += form_field("RoleSessionName", params.session_name);
  if (!params.external_id.empty()) body += form_field("ExternalId", params.external_id);
  if (params.duration_seconds)
    body += form_field("DurationSeconds", std::to_string(*params.duration_seconds));
  return body;
}

http::Request form_request(const StsEndpoint& endpoint, std::string body) {
  http::Request request;
  request.method = "POST";
  request.url = endpoint.url + "/";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                     {"Accept", "text/xml"}};
  request.body = std::move(body);
  return request;
}

Status sts_error(const http::Response& response, std::string_view action, const AssumeRoleParams& params,
                 const std::string& label, const std::vector<std::string>& secrets) {
  ErrorDetails details;
  details.http_status = response.status;
  details.service_code = xml_element(response.body, "Code").value_or("");
  details.request_id = xml_element(response.body, "RequestId").value_or("");
  if (details.request_id.empty()) {
    if (const auto* id = response.header("x-amzn-RequestId")) details.request_id = *id;
  }
  std::string service_message = xml_element(response.body, "Message").value_or("");
  const std::string& code = details.service_code;

  ErrorCode error_code = ErrorCode::kServiceError;
  if (code == "Throttling" || code == "ThrottlingException" || code == "RequestLimitExceeded") {
    error_code = ErrorCode::kThrottled;
    details.throttling = details.transient = true;
  } else if (response.status >= 500 || code == "IDPCommunicationError") {
    details.transient = true;
  } else if (response.status == 403 || code == "AccessDenied" || code == "InvalidIdentityToken" ||
             code == "ExpiredTokenException" || code == "ExpiredToken" || code == "InvalidClientTokenId" ||
             code == "IDPRejectedClaim" || code == "SignatureDoesNotMatch" ||
             code == "RegionDisabledException") {
    error_code = ErrorCode::kAccessDenied;
  }
  std::string message = label + ": STS " + std::string(action) + " for " + params.role_arn + " failed: ";
  message += code.empty() ? "HTTP " + std::to_string(response.status) : code;
  if (!service_message.empty()) message += ": " + service_message;
  message += " (HTTP " + std::to_string(response.status);
  if (!details.request_id.empty()) message += ", request id " + details.request_id;
  message += ")";
  return Status(error_code, util::redact(std::move(message), secrets), std::move(details));
}

StatusOr<Credentials> parse_credentials(const http::Response& response, std::string_view action,
                                        const std::string& label, std::string source) {
  auto block = xml_raw_element(response.body, "Credentials");
  Credentials credentials;
  if (block) {
    credentials.access_key_id = xml_element(*block, "AccessKeyId").value_or("");
    credentials.secret_access_key = xml_element(*block, "SecretAccessKey").value_or("");
    credentials.session_token = xml_element(*block, "SessionToken").value_or("");
    if (auto expiration = xml_element(*block, "Expiration"))
      credentials.expiration = parse_iso8601(*expiration);
  }
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty() ||
      credentials.session_token.empty() || !credentials.expiration) {
    return Status(ErrorCode::kServiceError,
                  label + ": STS " + std::string(action) + " answered HTTP 200 without complete Credentials");
  }
  credentials.source = std::move(source);
  return credentials;
}

StatusOr<Credentials> call(http::HttpClient& http, const http::Request& request, std::string_view action,
                           const AssumeRoleParams& params, const std::string& label, std::string source,
                           const std::vector<std::string>& secrets) {
  auto response = http.send(request);
  if (!response.ok()) {
    Status status = response.status();
    return Status(status.code(), label + ": STS " + std::string(action) + ": " + status.message(),
                  status.details());
  }
  if (response->status != 200) return sts_error(*response, action, params, label, secrets);
  return parse_credentials(*response, action, label, std::move(source));
}

}  // namespace

StsEndpoint sts_endpoint(const CredentialsChainOptions& options) {
  StsEndpoint endpoint;
  endpoint.region = options.region;
  if (endpoint.region.empty()) {
    RegionOptions region_options;
    region_options.profile = options.profile;
    region_options.env = options.env;
    region_options.home_directory = options.home_directory;
    auto region = resolve_region(region_options);  // no HTTP client: instance metadata is not asked
    endpoint.region = region.ok() ? *region : "us-east-1";
  }
  std::string url = options.sts_endpoint;
  for (const char* variable : {"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"}) {
    if (url.empty()) url = env_get(options.env, variable);
  }
  if (url.empty()) {
    url = "https://sts." + endpoint.region + "." + std::string(partition_of(endpoint.region).dns_suffix);
  }
  endpoint.url = trim_trailing_slashes(url);
  return endpoint;
}

std::string default_session_name(Clock::time_point now) {
  return "agents-sdk-cpp-" +
         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
}

StatusOr<Credentials> sts_assume_role(http::HttpClient& http, const StsEndpoint& endpoint,
                                      const AssumeRoleParams& params, const Credentials& source,
                                      Clock::time_point now, const std::string& label) {
  http::Request request = form_request(endpoint, form_body("AssumeRole", params));
  sigv4::RequestSigner(endpoint.region, "sts").sign(request, source, now);
  return call(http, request, "AssumeRole", params, label,
              "assume role " + params.role_arn + " (" + label + ")",
              {source.secret_access_key, source.session_token});
}

StatusOr<Credentials> sts_assume_role_with_web_identity(http::HttpClient& http, const StsEndpoint& endpoint,
                                                        const AssumeRoleParams& params,
                                                        const std::string& token, const std::string& label) {
  // Unsigned: the model marks AssumeRoleWithWebIdentity smithy.api#noAuth.
  http::Request request = form_request(
      endpoint, form_body("AssumeRoleWithWebIdentity", params) + form_field("WebIdentityToken", token));
  return call(http, request, "AssumeRoleWithWebIdentity", params, label,
              "web identity " + params.role_arn + " (" + label + ")", {token});
}

std::optional<std::string_view> xml_raw_element(std::string_view xml, std::string_view tag) {
  std::string open = "<" + std::string(tag);
  std::size_t start = 0;
  while ((start = xml.find(open, start)) != std::string_view::npos) {
    std::size_t after = start + open.size();
    // The name must end here: <Credentials> is not <CredentialsX>.
    if (after < xml.size() &&
        (xml[after] == '>' || xml[after] == '/' || std::isspace(static_cast<unsigned char>(xml[after])))) {
      break;
    }
    start = after;
  }
  if (start == std::string_view::npos) return std::nullopt;
  std::size_t content = xml.find('>', start);
  if (content == std::string_view::npos) return std::nullopt;
  if (xml[content - 1] == '/') return std::string_view();  // <Tag/>
  ++content;
  std::size_t end = xml.find("</" + std::string(tag) + ">", content);
  if (end == std::string_view::npos) return std::nullopt;
  return xml.substr(content, end - content);
}

std::optional<std::string> xml_element(std::string_view xml, std::string_view tag) {
  auto raw = xml_raw_element(xml, tag);
  if (!raw) return std::nullopt;
  return decode_entities(*raw);
}

}  // namespace agents::aws::detail
