// Parsing of the header lines libcurl hands to a header callback, shared by every libcurl user.
#pragma once

#include <string_view>

#include "agents/http/http_client.hpp"

namespace agents::http::detail {

/// Adds the header on `line` to `headers`; a status line ("HTTP/1.1 200 OK", also after a
/// 100 Continue or a redirect) starts a new response and clears them. Returns the header added,
/// or nullptr for status and blank lines.
const Header* add_header_line(std::string_view line, Headers& headers);

}  // namespace agents::http::detail
