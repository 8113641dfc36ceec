// A streaming POST over libcurl: the HttpClient interface returns whole bodies, so model streams
// over the default transport use this to hand each piece of a 2xx body on as it arrives.
#pragma once

#include <chrono>
#include <functional>
#include <string_view>

#include "agents/core/status.hpp"
#include "agents/http/http_client.hpp"

namespace agents::detail {

struct StreamOptions {
  std::chrono::milliseconds connect_timeout{10000};
  /// The transfer fails with kTimeout after this long without a byte (no whole-request limit).
  std::chrono::milliseconds idle_timeout{120000};
  bool verify_tls = true;
};

/// Sends `request`. For a 2xx answer, `on_body` receives the body in pieces as they arrive and
/// the returned Response's body stays empty; for any other status the body is collected. When
/// `on_body` returns false the transfer stops and the call returns kUnsupported (the caller
/// knows why it stopped). Exceptions thrown by `on_body` are rethrown after the transfer stopped.
StatusOr<http::Response> stream_post(
    const http::Request& request, const StreamOptions& options,
    const std::function<bool(const http::Response& head, std::string_view bytes)>& on_body);

}  // namespace agents::detail
