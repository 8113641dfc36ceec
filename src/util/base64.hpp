// Standard base64 (RFC 4648, padded) over OpenSSL: DynamoDB's B/BS values on the wire and API
// Gateway's isBase64Encoded bodies use the same alphabet, so both call this one copy.
#pragma once

#include <string>
#include <string_view>

namespace agents::util {

std::string base64_encode(std::string_view bytes);
/// False (and `out` unspecified) when `text` is not padded base64.
bool base64_decode(std::string_view text, std::string& out);

}  // namespace agents::util
