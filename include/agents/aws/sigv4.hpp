// AWS Signature Version 4 as small pure functions (tested against the published vectors), plus
// a signer for requests that caches the derived key.
#pragma once

#include <array>
#include <chrono>
#include <mutex>
#include <string>
#include <string_view>

#include "agents/aws/credentials.hpp"
#include "agents/export.hpp"
#include "agents/http/http_client.hpp"

namespace agents::aws::sigv4 {

using Digest = std::array<unsigned char, 32>;

AGENTS_API std::string hex(const unsigned char* data, std::size_t size);
inline std::string hex(const Digest& d) { return hex(d.data(), d.size()); }
AGENTS_API Digest sha256(std::string_view data);
AGENTS_API std::string sha256_hex(std::string_view data);
AGENTS_API Digest hmac_sha256(std::string_view key, std::string_view data);

/// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
AGENTS_API Digest derive_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                                     std::string_view service);

/// RFC 3986 encoding: every byte but A-Z a-z 0-9 - . _ ~ becomes %XX (uppercase hex).
AGENTS_API std::string uri_encode(std::string_view text, bool encode_slash);

/// The path as canonicalised for non-S3 services: dot segments removed and `//` collapsed when
/// `normalize`, then the path as sent is URI-encoded again when `double_encode`.
AGENTS_API std::string canonical_uri(std::string_view raw_path, bool normalize = true,
                                     bool double_encode = true);

/// Names and values decoded, re-encoded, sorted by name then value; "" for no query.
AGENTS_API std::string canonical_query(std::string_view raw_query);

struct CanonicalHeaders {
  std::string block;           ///< "name:value\n" lines, lowercase names, sorted
  std::string signed_headers;  ///< "name1;name2"
};
/// Lowercases, trims and folds whitespace, joins repeated headers with ',' and leaves out headers
/// that proxies or the HTTP stack may rewrite (user-agent, expect, connection, ...).
AGENTS_API CanonicalHeaders canonicalize_headers(const http::Headers& headers);

AGENTS_API std::string canonical_request(std::string_view method, std::string_view canonical_uri,
                                         std::string_view canonical_query, const CanonicalHeaders& headers,
                                         std::string_view payload_hash);

AGENTS_API std::string credential_scope(std::string_view date, std::string_view region,
                                        std::string_view service);

AGENTS_API std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                                      std::string_view canonical_request);

/// "20150830T123600Z"
AGENTS_API std::string format_amz_date(Clock::time_point time);

/// Signs requests for one region and service. Thread-safe; caches the derived key per
/// (secret, date) so signing costs two SHA-256 and one HMAC.
class AGENTS_API RequestSigner {
 public:
  RequestSigner(std::string region, std::string service);

  /// Adds Host (if absent), X-Amz-Date, X-Amz-Security-Token and Authorization. Headers added
  /// after this call are not signed. `payload_hash` may be given when already known.
  void sign(http::Request& request, const Credentials& credentials, Clock::time_point now,
            std::string_view payload_hash = {}) const;

  const std::string& region() const { return region_; }

 private:
  Digest signing_key(const Credentials& credentials, std::string_view date) const;

  std::string region_;
  std::string service_;
  mutable std::mutex mu_;
  mutable std::string cached_secret_;
  mutable std::string cached_date_;
  mutable Digest cached_key_{};
};

/// Splits "scheme://host[:port]/path?query" into its parts; the Host header value omits
/// the default port of the scheme.
struct UrlParts {
  std::string scheme;
  std::string host_header;
  std::string path;
  std::string query;
};
AGENTS_API UrlParts split_url(std::string_view url);

}  // namespace agents::aws::sigv4
