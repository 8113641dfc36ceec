#include "agents/aws/sigv4.hpp"

#include <algorithm>
#include <vector>

#include "util/sha256.hpp"
#include "util/time_format.hpp"

namespace agents::aws::sigv4 {

namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

// Header names that must not be signed (botocore's SIGNED_HEADERS_BLACKLIST plus aws-c-auth's list).
bool is_unsigned_header(std::string_view lower_name) {
  static constexpr std::string_view kSkipped[] = {"authorization",
                                                  "connection",
                                                  "expect",
                                                  "keep-alive",
                                                  "proxy-authenticate",
                                                  "proxy-authorization",
                                                  "te",
                                                  "trailer",
                                                  "transfer-encoding",
                                                  "upgrade",
                                                  "user-agent",
                                                  "x-amzn-trace-id"};
  for (auto s : kSkipped) {
    if (lower_name == s) return true;
  }
  return lower_name.starts_with("sec-websocket-");
}

// Trim, and fold runs of whitespace (including folded continuation lines) to one space.
std::string fold_header_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      pending_space = !out.empty();
    } else {
      if (pending_space) out.push_back(' ');
      pending_space = false;
      out.push_back(c);
    }
  }
  return out;
}

std::string remove_dot_segments(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t pos = 0;
  bool trailing_slash = !path.empty() && path.back() == '/';
  while (pos <= path.size()) {
    std::size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    auto seg = path.substr(pos, next - pos);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    if (next == path.size()) {
      trailing_slash = trailing_slash || seg == "." || seg == "..";
      break;
    }
    pos = next + 1;
  }
  std::string out = "/";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    out.append(segments[i]);
    if (i + 1 < segments.size()) out.push_back('/');
  }
  if (trailing_slash && !segments.empty()) out.push_back('/');
  return out;
}

}  // namespace

std::string hex(const unsigned char* data, std::size_t size) { return util::hex(data, size); }
Digest sha256(std::string_view data) { return util::sha256(data); }
std::string sha256_hex(std::string_view data) { return util::sha256_hex(data); }
Digest hmac_sha256(std::string_view key, std::string_view data) { return util::hmac_sha256(key, data); }

Digest derive_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                          std::string_view service) {
  std::string k = "AWS4";
  k.append(secret);
  auto as_view = [](const Digest& d) {
    return std::string_view(reinterpret_cast<const char*>(d.data()), d.size());
  };
  Digest k_date = hmac_sha256(k, date);
  Digest k_region = hmac_sha256(as_view(k_date), region);
  Digest k_service = hmac_sha256(as_view(k_region), service);
  return hmac_sha256(as_view(k_service), "aws4_request");
}

std::string uri_encode(std::string_view text, bool encode_slash) {
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  for (unsigned char c : text) {
    if (is_unreserved(c) || (c == '/' && !encode_slash)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHexUpper[c >> 4]);
      out.push_back(kHexUpper[c & 0xF]);
    }
  }
  return out;
}

std::string canonical_uri(std::string_view raw_path, bool normalize, bool double_encode) {
  if (raw_path.empty()) return "/";
  std::string path = normalize ? remove_dot_segments(raw_path) : std::string(raw_path);
  // `path` is the request path as sent; non-S3 services encode it once more.
  return double_encode ? uri_encode(path, /*encode_slash=*/false) : path;
}

std::string canonical_query(std::string_view raw_query) {
  if (raw_query.empty()) return "";
  std::vector<std::pair<std::string, std::string>> params;
  std::size_t pos = 0;
  while (pos <= raw_query.size()) {
    std::size_t amp = raw_query.find('&', pos);
    if (amp == std::string_view::npos) amp = raw_query.size();
    auto pair = raw_query.substr(pos, amp - pos);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      auto name = pair.substr(0, eq);
      auto value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
      params.emplace_back(uri_encode(percent_decode(name), true), uri_encode(percent_decode(value), true));
    }
    pos = amp + 1;
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out.append(name).append("=").append(value);
  }
  return out;
}

CanonicalHeaders canonicalize_headers(const http::Headers& headers) {
  std::vector<std::pair<std::string, std::string>> lowered;  // stable: repeats keep their order
  lowered.reserve(headers.size());
  for (const auto& h : headers) {
    std::string name = h.name;
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    if (is_unsigned_header(name)) continue;
    lowered.emplace_back(std::move(name), fold_header_value(h.value));
  }
  std::stable_sort(lowered.begin(), lowered.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  CanonicalHeaders out;
  for (std::size_t i = 0; i < lowered.size(); ++i) {
    if (i > 0 && lowered[i].first == lowered[i - 1].first) {
      out.block.pop_back();  // the '\n': join repeats with ','
      out.block.append(",").append(lowered[i].second).append("\n");
      continue;
    }
    if (!out.signed_headers.empty()) out.signed_headers.push_back(';');
    out.signed_headers.append(lowered[i].first);
    out.block.append(lowered[i].first).append(":").append(lowered[i].second).append("\n");
  }
  return out;
}

std::string canonical_request(std::string_view method, std::string_view uri, std::string_view query,
                              const CanonicalHeaders& headers, std::string_view payload_hash) {
  std::string out;
  out.reserve(method.size() + uri.size() + query.size() + headers.block.size() +
              headers.signed_headers.size() + 72);
  out.append(method).append("\n").append(uri).append("\n").append(query).append("\n");
  out.append(headers.block).append("\n").append(headers.signed_headers).append("\n").append(payload_hash);
  return out;
}

std::string credential_scope(std::string_view date, std::string_view region, std::string_view service) {
  std::string out;
  out.append(date).append("/").append(region).append("/").append(service).append("/aws4_request");
  return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope, std::string_view canonical) {
  std::string out = "AWS4-HMAC-SHA256\n";
  out.append(amz_date).append("\n").append(scope).append("\n").append(sha256_hex(canonical));
  return out;
}

std::string format_amz_date(Clock::time_point time) { return util::amz_date(time); }

UrlParts split_url(std::string_view url) {
  UrlParts parts;
  auto scheme_end = url.find("://");
  std::string_view rest = url;
  if (scheme_end != std::string_view::npos) {
    parts.scheme = std::string(url.substr(0, scheme_end));
    rest = url.substr(scheme_end + 3);
  }
  auto path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path_query =
      path_start == std::string_view::npos ? std::string_view{} : rest.substr(path_start);
  auto at = authority.rfind('@');
  if (at != std::string_view::npos) authority = authority.substr(at + 1);
  // Drop the scheme's default port: HTTP stacks send Host without it.
  if ((parts.scheme == "http" && authority.ends_with(":80")) ||
      (parts.scheme == "https" && authority.ends_with(":443"))) {
    authority = authority.substr(0, authority.rfind(':'));
  }
  parts.host_header = std::string(authority);
  auto q = path_query.find('?');
  std::string_view path = path_query.substr(0, q);
  parts.path.assign(path.empty() ? std::string_view("/") : path);
  if (q != std::string_view::npos) parts.query = std::string(path_query.substr(q + 1));
  return parts;
}

RequestSigner::RequestSigner(std::string region, std::string service)
    : region_(std::move(region)), service_(std::move(service)) {}

Digest RequestSigner::signing_key(const Credentials& credentials, std::string_view date) const {
  std::lock_guard lock(mu_);
  if (cached_date_ != date || cached_secret_ != credentials.secret_access_key) {
    cached_key_ = derive_signing_key(credentials.secret_access_key, date, region_, service_);
    cached_date_ = std::string(date);
    cached_secret_ = credentials.secret_access_key;
  }
  return cached_key_;
}

void RequestSigner::sign(http::Request& request, const Credentials& credentials, Clock::time_point now,
                         std::string_view payload_hash) const {
  UrlParts url = split_url(request.url);
  if (!http::find_header(request.headers, "Host")) request.headers.push_back({"Host", url.host_header});
  std::string amz_date = format_amz_date(now);
  std::string_view date = std::string_view(amz_date).substr(0, 8);
  request.headers.push_back({"X-Amz-Date", amz_date});
  if (!credentials.session_token.empty())
    request.headers.push_back({"X-Amz-Security-Token", credentials.session_token});

  CanonicalHeaders headers = canonicalize_headers(request.headers);
  std::string body_hash = payload_hash.empty() ? sha256_hex(request.body) : std::string(payload_hash);
  std::string canonical = canonical_request(request.method, canonical_uri(url.path),
                                            canonical_query(url.query), headers, body_hash);
  std::string scope = credential_scope(date, region_, service_);
  std::string to_sign = string_to_sign(amz_date, scope, canonical);
  Digest key = signing_key(credentials, date);
  Digest signature =
      hmac_sha256(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()), to_sign);

  std::string authorization = "AWS4-HMAC-SHA256 Credential=";
  authorization.append(credentials.access_key_id).append("/").append(scope);
  authorization.append(", SignedHeaders=").append(headers.signed_headers);
  authorization.append(", Signature=").append(hex(signature));
  request.headers.push_back({"Authorization", std::move(authorization)});
}

}  // namespace agents::aws::sigv4
