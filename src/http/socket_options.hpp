#pragma once

namespace agents::http::detail {

/// Applied to every connection the libcurl client opens (TCP_NODELAY); returns setsockopt's result.
int set_low_latency_socket_options(int fd) noexcept;

}  // namespace agents::http::detail
