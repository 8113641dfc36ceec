#include "model/curl_stream.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <exception>
#include <mutex>

#include "http/ca_file.hpp"
#include "http/header_line.hpp"

namespace agents::detail {

namespace {

struct Transfer {
  CURL* handle = nullptr;
  http::Response response;
  const std::function<bool(const http::Response&, std::string_view)>* on_body = nullptr;
  std::exception_ptr error;
  bool stopped = false;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  http::detail::add_header_line(line, t->response.headers);
  return line.size();
}

size_t on_data(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t->response.status == 0) {
    long status = 0;
    curl_easy_getinfo(t->handle, CURLINFO_RESPONSE_CODE, &status);
    t->response.status = static_cast<int>(status);
  }
  if (t->response.status < 200 || t->response.status >= 300) {
    t->response.body.append(data, n);
    return n;
  }
  try {
    if (!(*t->on_body)(t->response, std::string_view(data, n))) {
      t->stopped = true;
      return 0;
    }
  } catch (...) {
    t->error = std::current_exception();
    t->stopped = true;
    return 0;  // aborts the transfer; the exception is rethrown after curl returns
  }
  return n;
}

std::string endpoint_of(const std::string& url) {
  auto q = url.find('?');
  return q == std::string::npos ? url : url.substr(0, q);
}

}  // namespace

StatusOr<http::Response> stream_post(
    const http::Request& request, const StreamOptions& options,
    const std::function<bool(const http::Response&, std::string_view)>& on_body) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* handle = curl_easy_init();
  if (handle == nullptr)
    return Status(ErrorCode::kConnectionFailed, "http: could not create a libcurl handle");

  curl_slist* headers = nullptr;
  for (const auto& h : request.headers) {
    std::string line = h.name + (h.value.empty() ? ";" : ": ") + h.value;
    headers = curl_slist_append(headers, line.c_str());
  }
  headers = curl_slist_append(headers, "Expect:");

  Transfer t;
  t.handle = handle;
  t.on_body = &on_body;
  const long idle_seconds = std::max<long>(1, static_cast<long>((options.idle_timeout.count() + 999) / 1000));
  curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(handle, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, idle_seconds);
  curl_easy_setopt(handle, CURLOPT_USERAGENT, "agents-sdk-cpp/0.1");
  curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L);
  curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L);
  // The same CA bundle as the HttpClient's (http/ca_file.hpp): found once per process.
  static const std::string ca_file = http::detail::ca_file_for("");
  if (!ca_file.empty()) curl_easy_setopt(handle, CURLOPT_CAINFO, ca_file.c_str());
  curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.data());
  if (request.method != "POST") curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &t);

  CURLcode rc = curl_easy_perform(handle);
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(handle);
  if (t.error) std::rethrow_exception(t.error);
  if (t.stopped) return Status(ErrorCode::kUnsupported, "http: the stream was stopped by its reader");
  if (rc != CURLE_OK) {
    std::string where = request.method + " " + endpoint_of(request.url);
    ErrorDetails d;
    d.transient = true;
    d.outcome_unknown = rc != CURLE_COULDNT_CONNECT && rc != CURLE_COULDNT_RESOLVE_HOST;
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      return Status(ErrorCode::kTimeout,
                    "http: " + where + ": no data for " + std::to_string(idle_seconds) + " s", d);
    }
    if (rc == CURLE_COULDNT_CONNECT) {
      return Status(ErrorCode::kConnectionFailed,
                    "http: " + where + ": connection refused; is the server running and the URL right?", d);
    }
    return Status(ErrorCode::kConnectionFailed,
                  "http: " + where + ": connection failed (" + curl_easy_strerror(rc) + ")", d);
  }
  t.response.status = static_cast<int>(status);
  return std::move(t.response);
}

}  // namespace agents::detail
