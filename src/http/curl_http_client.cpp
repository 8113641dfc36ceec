#include <curl/curl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <utility>

#include "agents/http/http_client.hpp"
#include "http/ca_file.hpp"
#include "http/header_line.hpp"
#include "http/socket_options.hpp"

namespace agents::http {

const std::string* find_header(const Headers& headers, std::string_view name) noexcept {
  for (const auto& h : headers) {
    if (h.name.size() == name.size() && strncasecmp(h.name.data(), name.data(), name.size()) == 0)
      return &h.value;
  }
  return nullptr;
}

namespace detail {

const Header* add_header_line(std::string_view line, Headers& headers) {
  if (line.starts_with("HTTP/")) {
    headers.clear();
    return nullptr;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return nullptr;
  auto name = line.substr(0, colon);
  auto value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  headers.push_back({std::string(name), std::string(value)});
  return &headers.back();
}

int set_low_latency_socket_options(int fd) noexcept {
  // Nagle's algorithm plus the server's delayed ACK stalls a request whose last segment is small
  // by up to 40 ms; requests here are latency bound, so send every segment at once.
  int one = 1;
  return ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace detail

namespace {

void init_curl_once() {
  static std::once_flag flag;
  std::call_once(flag, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// scheme://host:port/path without query, for error messages (queries may carry parameters).
std::string endpoint_of(const std::string& url) {
  auto q = url.find('?');
  return q == std::string::npos ? url : url.substr(0, q);
}

struct Exchange {
  Response response;
  CURL* handle = nullptr;
  const BodySink* sink = nullptr;  ///< Request::on_body, when streaming
  std::exception_ptr sink_error;   ///< thrown by the sink; rethrown once libcurl returned
  bool sink_stopped = false;
  bool may_resend = true;  ///< Request::transport_may_resend
  int sends = 0;           ///< times libcurl was about to send the request (on_before_send)
  std::chrono::milliseconds read_timeout{0};
  std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();
  curl_off_t bytes_seen = 0;
  bool went_silent = false;  ///< stopped by the read timeout
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const size_t n = size * count;
  if (ex->sink != nullptr) {
    if (ex->response.status == 0) {
      long status = 0;
      curl_easy_getinfo(ex->handle, CURLINFO_RESPONSE_CODE, &status);
      ex->response.status = static_cast<int>(status);
    }
    if (ex->response.status >= 200 && ex->response.status < 300) {
      try {
        if ((*ex->sink)(ex->response, std::string_view(data, n))) return n;
      } catch (...) {
        ex->sink_error = std::current_exception();
      }
      ex->sink_stopped = true;
      return 0;  // aborts the transfer
    }
  }
  ex->response.body.append(data, n);
  return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  std::string_view line(data, size * count);
  const Header* added = detail::add_header_line(line, ex->response.headers);
  if (added != nullptr && strcasecmp(added->name.c_str(), "Content-Length") == 0) {
    std::size_t n = 0;
    std::from_chars(added->value.data(), added->value.data() + added->value.size(), n);
    // The spare bytes let simdjson parse the body in place (it needs 64 bytes of padding).
    if (n > 0 && n < (std::size_t{1} << 31)) ex->response.body.reserve(n + 64);
  }
  return line.size();
}

// libcurl calls this each time it is about to send the request, on a new or a reused connection.
// A second call means it is resending on its own: when a reused connection closes before any
// answer, libcurl retries once on a fresh one. A request that must not be resent is stopped there
// (CURLE_ABORTED_BY_CALLBACK, outcome unknown), and the body still goes out with the headers in
// one write, which a non-rewindable read callback would not allow.
int on_before_send(void* user, char*, char*, int, int) {
  auto* ex = static_cast<Exchange*>(user);
  return ++ex->sends > 1 && !ex->may_resend ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
}

// The read timeout. libcurl's low-speed check counts whole seconds and, with no socket activity,
// wakes up much later than asked (7 s for a 1 s limit with libcurl 7.88); this callback runs at
// least once a second, so a silent server is cut within about a second of the limit.
int on_progress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
  (void)dltotal;
  (void)ultotal;
  auto* ex = static_cast<Exchange*>(user);
  const auto now = std::chrono::steady_clock::now();
  if (dlnow + ulnow != ex->bytes_seen) {
    ex->bytes_seen = dlnow + ulnow;
    ex->last_activity = now;
    return 0;
  }
  if (now - ex->last_activity < ex->read_timeout) return 0;
  ex->went_silent = true;
  return 1;  // CURLE_ABORTED_BY_CALLBACK
}

int on_socket_created(void*, curl_socket_t fd, curlsocktype purpose) {
  if (purpose == CURLSOCKTYPE_IPCXN) detail::set_low_latency_socket_options(fd);
  return CURL_SOCKOPT_OK;
}

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlHttpClientOptions options) : options_(std::move(options)) {
    init_curl_once();
    ca_file_ = detail::ca_file_for(options_.ca_file);
    // libcurl reads only the lower-case http_proxy for http:// URLs (a CGI guard); the AWS CLI and
    // SDKs read HTTP_PROXY too, so the same environment reaches the same proxy here.
    const char* lower = std::getenv("http_proxy");
    const char* upper = std::getenv("HTTP_PROXY");
    if ((lower == nullptr || *lower == '\0') && upper != nullptr) http_proxy_ = upper;
  }

  ~CurlHttpClient() override {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }

  StatusOr<Response> send(const Request& request) override {
    CURL* handle = acquire();
    if (handle == nullptr)
      return Status(ErrorCode::kConnectionFailed, "http: could not create a libcurl handle");

    curl_slist* header_list = nullptr;
    for (const auto& h : request.headers) {
      std::string line;
      line.reserve(h.name.size() + h.value.size() + 2);
      line.append(h.name).append(h.value.empty() ? ";" : ": ").append(h.value);
      header_list = curl_slist_append(header_list, line.c_str());
    }
    // libcurl adds `Expect: 100-continue` to larger bodies: one wasted round trip per call.
    header_list = curl_slist_append(header_list, "Expect:");
    if (!request.body.empty() && !find_header(request.headers, "Content-Type")) {
      header_list = curl_slist_append(header_list, "Content-Type:");  // no form-encoded default
    }

    Exchange ex;
    ex.handle = handle;
    if (request.on_body) ex.sink = &request.on_body;
    // Only what changes per request is set here; the rest was set once when the handle was made
    // (configure_handle), since resetting and re-setting every option was a measurable part of a
    // small call's CPU (docs/benchmarks.md, "The HTTP client configured once per connection").
    curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, header_list);
    auto timeout = request.timeout.value_or(options_.request_timeout);
    curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    if (options_.read_timeout.count() > 0) {
      ex.read_timeout = options_.read_timeout;
      curl_easy_setopt(handle, CURLOPT_XFERINFODATA, &ex);
    }
    char error_text[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_text);
    // NO_PROXY still applies: libcurl checks it for a proxy set here as for one from the environment.
    // nullptr (the default) leaves libcurl to its own environment lookup.
    const bool use_proxy = !http_proxy_.empty() && request.url.starts_with("http://");
    curl_easy_setopt(handle, CURLOPT_PROXY, use_proxy ? http_proxy_.c_str() : nullptr);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, &ex);
    curl_easy_setopt(handle, CURLOPT_HEADERDATA, &ex);
    ex.may_resend = request.transport_may_resend;
    curl_easy_setopt(handle, CURLOPT_PREREQDATA, &ex);
    set_method_and_body(handle, request);

    CURLcode rc = curl_easy_perform(handle);
    curl_slist_free_all(header_list);
    if (ex.sink_stopped) {
      curl_easy_cleanup(handle);  // the connection is mid-body
      if (ex.sink_error) std::rethrow_exception(ex.sink_error);
      return Status(ErrorCode::kUnsupported, "http: the stream was stopped by its reader");
    }
    if (rc != CURLE_OK) {
      // A handle whose transfer failed may hold a broken connection: do not pool it.
      curl_easy_cleanup(handle);
      if (ex.went_silent) return silence_error(request, options_.read_timeout);
      return transport_error(rc, request, error_text);
    }
    long status = 0;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
    ex.response.status = static_cast<int>(status);
    forget_request(handle);
    release(handle);
    return std::move(ex.response);
  }

 private:
  // Every request sets its method in full: a pooled handle still carries the previous one's.
  static void set_method_and_body(CURL* handle, const Request& request) {
    const std::string& m = request.method;
    curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, nullptr);
    if (m == "GET") {
      curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L);  // also clears NOBODY and upload
    } else if (m == "HEAD") {
      curl_easy_setopt(handle, CURLOPT_NOBODY, 1L);
    } else {
      curl_easy_setopt(handle, CURLOPT_NOBODY, 0L);
      // POSTFIELDS sends the body without copying it; CUSTOMREQUEST renames the method.
      curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.data());
      if (m != "POST") curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, m.c_str());
    }
  }

  // The options every request shares, set once per handle (a handle keeps its options and its
  // connection across requests).
  void configure_handle(CURL* handle) const {
    curl_easy_setopt(handle, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(handle, CURLOPT_SOCKOPTFUNCTION, on_socket_created);
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    if (options_.read_timeout.count() > 0) {
      curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, on_progress);
    }
    curl_easy_setopt(handle, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
    if (!ca_file_.empty()) curl_easy_setopt(handle, CURLOPT_CAINFO, ca_file_.c_str());
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(handle, CURLOPT_PREREQFUNCTION, on_before_send);
  }

  // A pooled handle must not point at what the finished request owned (its stack, its body, its
  // header list); the next request sets them all again.
  static void forget_request(CURL* handle) {
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, nullptr);
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, nullptr);
    curl_easy_setopt(handle, CURLOPT_HEADERDATA, nullptr);
    curl_easy_setopt(handle, CURLOPT_PREREQDATA, nullptr);
    curl_easy_setopt(handle, CURLOPT_XFERINFODATA, nullptr);
  }

  static Status silence_error(const Request& request, std::chrono::milliseconds read_timeout) {
    ErrorDetails details;
    details.transient = true;
    details.outcome_unknown = true;  // the request went out; the server may be acting on it
    return Status(ErrorCode::kTimeout,
                  "http: " + request.method + " " + endpoint_of(request.url) + ": timed out: no data for " +
                      std::to_string(read_timeout.count()) + " ms (read timeout)",
                  details);
  }

  static Status transport_error(CURLcode rc, const Request& request, const char* error_text) {
    std::string where = request.method + " " + endpoint_of(request.url);
    ErrorDetails details;
    details.transient = true;
    switch (rc) {
      case CURLE_OPERATION_TIMEDOUT:
        details.outcome_unknown = true;
        // libcurl's own text says which limit was hit (connect, whole request, silence).
        return Status(
            ErrorCode::kTimeout,
            "http: " + where + ": timed out (" + (*error_text ? error_text : curl_easy_strerror(rc)) + ")",
            details);
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
        return Status(ErrorCode::kConnectionFailed,
                      "http: " + where + ": DNS lookup failed; check the endpoint's host name", details);
      case CURLE_ABORTED_BY_CALLBACK:  // on_before_send stopped libcurl's own resend
        details.outcome_unknown = true;
        return Status(ErrorCode::kConnectionFailed,
                      "http: " + where +
                          ": the connection closed before an answer and this request must not be sent "
                          "twice; the server may have acted on it",
                      details);
      case CURLE_SSL_CACERT_BADFILE:  // retrying cannot help; nothing was sent
        details.transient = false;
        return Status(ErrorCode::kConnectionFailed,
                      "http: " + where + ": " + curl_easy_strerror(rc) + " (" + error_text +
                          "); check AWS_CA_BUNDLE, the profile's ca_bundle or --ca-bundle",
                      details);
      case CURLE_PEER_FAILED_VERIFICATION:  // retrying cannot help: the trust settings must change
        details.transient = false;
        return Status(
            ErrorCode::kConnectionFailed,
            "http: " + where + ": the TLS certificate is not trusted (" +
                (*error_text ? error_text : curl_easy_strerror(rc)) +
                "); name the CA bundle that signed it with AWS_CA_BUNDLE or the profile's ca_bundle "
                "(a local endpoint may also use --no-verify-ssl)",
            details);
      case CURLE_COULDNT_CONNECT:
        return Status(
            ErrorCode::kConnectionFailed,
            "http: " + where + ": connection refused; is the server running and the endpoint right?",
            details);
      default:
        details.outcome_unknown = true;  // reset/partial: the server may have acted on it
        return Status(ErrorCode::kConnectionFailed,
                      "http: " + where + ": connection failed (" + curl_easy_strerror(rc) + ")", details);
    }
  }

  CURL* acquire() {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        CURL* h = idle_.back();
        idle_.pop_back();
        return h;
      }
    }
    CURL* h = curl_easy_init();
    if (h != nullptr) configure_handle(h);
    return h;
  }

  void release(CURL* handle) {
    {
      std::lock_guard lock(mu_);
      if (idle_.size() < options_.max_idle_connections) {
        idle_.push_back(handle);
        return;
      }
    }
    curl_easy_cleanup(handle);
  }

  CurlHttpClientOptions options_;
  std::string ca_file_;     ///< detail::ca_file_for(options_.ca_file), chosen once
  std::string http_proxy_;  ///< HTTP_PROXY when http_proxy is unset
  std::mutex mu_;
  std::vector<CURL*> idle_;
};

}  // namespace

std::shared_ptr<HttpClient> make_curl_http_client(CurlHttpClientOptions options) {
  return std::make_shared<CurlHttpClient>(std::move(options));
}

}  // namespace agents::http
