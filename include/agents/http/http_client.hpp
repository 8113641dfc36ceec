// The HTTP transport interface. A 4xx/5xx response is data (a Response), not a failure; only
// faults where no complete response arrived (refused, DNS, timeout, reset) are errors.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/core/status.hpp"
#include "agents/export.hpp"
#include "agents/version.hpp"

namespace agents::http {

struct Header {
  std::string name;
  std::string value;
};
using Headers = std::vector<Header>;

/// Case-insensitive lookup; nullptr when absent.
AGENTS_API const std::string* find_header(const Headers& headers, std::string_view name) noexcept;

struct Response;

/// Receives a 2xx answer's body piece by piece as it arrives, with the status and headers so far.
/// Returning false stops the transfer.
using BodySink = std::function<bool(const Response& head, std::string_view piece)>;

struct Request {
  std::string method = "GET";
  std::string url;  ///< absolute: scheme://host[:port]/path[?query]
  Headers headers;
  std::string body;
  /// Overrides the client's whole-request timeout; zero means none (e.g. a long poll).
  std::optional<std::chrono::milliseconds> timeout;
  /// false: never sent twice by the transport on its own (libcurl silently resends a request on a
  /// reused connection that closed without an answer, although the server may have applied it);
  /// such a failure comes back as an error with `outcome_unknown` for the caller to decide.
  bool transport_may_resend = true;
  /// Streaming (e.g. server-sent events): when set, a 2xx body goes to the sink as it arrives and
  /// Response::body stays empty; other statuses are collected as usual. A sink returning false
  /// stops the transfer (kUnsupported, "stopped by its reader"); an exception it throws is
  /// rethrown by send(). A transport that cannot stream may call it once with the whole body.
  BodySink on_body;
};

struct Response {
  int status = 0;
  Headers headers;
  std::string body;
  const std::string* header(std::string_view name) const noexcept { return find_header(headers, name); }
};

/// Sends one request. Implementations are thread-safe: one client is shared by all threads.
/// Errors: kConnectionFailed (refused, DNS, reset, TLS) and kTimeout, each naming the endpoint;
/// `details().outcome_unknown` is set when the request may have reached the server.
class AGENTS_API HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual StatusOr<Response> send(const Request& request) = 0;
};

/// Options of the libcurl client; durations carry their units.
struct CurlHttpClientOptions {
  std::chrono::milliseconds connect_timeout{2000};
  /// Whole request, from connect to the last body byte; zero: none.
  std::chrono::milliseconds request_timeout{10000};
  /// Longest silence while sending, waiting for or reading the answer (the AWS CLI's read
  /// timeout); zero: none.
  std::chrono::milliseconds read_timeout{0};
  /// Idle keep-alive connections kept for reuse (one libcurl handle each).
  std::size_t max_idle_connections = 64;
  std::string user_agent = "agents-sdk-cpp/" AGENTS_SDK_VERSION_STRING;
  bool verify_tls = true;
  /// PEM bundle of the trusted certificate authorities. Empty: $CURL_CA_BUNDLE, then
  /// $SSL_CERT_FILE, then libcurl's built-in bundle if that file exists, then the first existing
  /// of /etc/pki/tls/certs/ca-bundle.crt (Amazon Linux, so Lambda),
  /// /etc/ssl/certs/ca-certificates.crt (Debian, Ubuntu), /etc/ssl/cert.pem,
  /// /etc/ssl/ca-bundle.pem (docs/lambda.md, "TLS certificates").
  std::string ca_file;
};

/// The production client: libcurl, HTTP/1.1, keep-alive connection pool shared across threads,
/// TCP_NODELAY, never `Expect: 100-continue`, no transparent decompression (so checksums of
/// the bytes as sent can be verified).
AGENTS_API std::shared_ptr<HttpClient> make_curl_http_client(CurlHttpClientOptions options = {});

}  // namespace agents::http
