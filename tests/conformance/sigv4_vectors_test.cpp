// Every published SigV4 vector in tests/data/sigv4: aws-c-auth's suite (header and query
// signing), AWS's 2015 suite from botocore, and the DynamoDB cases generated for this project.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "agents/aws/sigv4.hpp"

namespace agents::aws::sigv4 {
namespace {

namespace fs = std::filesystem;
const fs::path kVectors = fs::path(AGENTS_TESTDATA_DIR) / "sigv4";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct ParsedRequest {
  std::string method, path, query;
  http::Headers headers;
  std::string body;
};

// request.txt / .req: "METHOD target HTTP/1.1", headers (continuations start with whitespace),
// a blank line, then the body. The target may hold raw spaces: split at the last space.
ParsedRequest parse_request(const std::string& text) {
  ParsedRequest r;
  std::size_t line_end = text.find('\n');
  std::string first = text.substr(0, line_end);
  auto sp1 = first.find(' ');
  auto sp2 = first.rfind(' ');
  r.method = first.substr(0, sp1);
  std::string target = first.substr(sp1 + 1, sp2 - sp1 - 1);
  auto q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) r.query = target.substr(q + 1);
  std::size_t pos = line_end == std::string::npos ? text.size() : line_end + 1;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) {
      if (pos < text.size()) r.body = text.substr(pos);
      break;
    }
    if (line[0] == ' ' || line[0] == '\t') {
      r.headers.back().value += " " + line;  // folded continuation
      continue;
    }
    auto colon = line.find(':');
    r.headers.push_back({line.substr(0, colon), line.substr(colon + 1)});
  }
  return r;
}

Clock::time_point parse_time(const std::string& iso) {
  std::tm tm{};
  strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return Clock::from_time_t(timegm(&tm));
}

struct VectorCase {
  std::string name;
  fs::path dir;
  bool botocore_layout;
};
void PrintTo(const VectorCase& c, std::ostream* os) { *os << c.name; }

std::vector<VectorCase> all_cases() {
  std::vector<VectorCase> cases;
  for (const char* suite : {"aws-c-auth/v4", "dynamodb"}) {
    for (const auto& entry : fs::directory_iterator(kVectors / suite)) {
      if (entry.is_directory()) cases.push_back({entry.path().filename().string(), entry.path(), false});
    }
  }
  for (const auto& entry : fs::recursive_directory_iterator(kVectors / "botocore/aws4_testsuite")) {
    if (entry.is_regular_file() && entry.path().extension() == ".req") {
      cases.push_back({"botocore_" + entry.path().stem().string(), entry.path().parent_path(), true});
    }
  }
  std::sort(cases.begin(), cases.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return cases;
}

std::string test_name(const ::testing::TestParamInfo<VectorCase>& info) {
  std::string n = info.param.name;
  std::replace_if(
      n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return n;
}

class SigV4Vectors : public ::testing::TestWithParam<VectorCase> {};

// aws-c-auth layout: context.json + request.txt, expectations for header and query signing.
void check_aws_c_auth_case(const fs::path& dir) {
  auto ctx = nlohmann::json::parse(read_file(dir / "context.json"));
  Credentials creds{.access_key_id = ctx["credentials"]["access_key_id"],
                    .secret_access_key = ctx["credentials"]["secret_access_key"],
                    .session_token = ctx["credentials"].value("token", "")};
  const std::string region = ctx["region"], service = ctx["service"];
  const bool normalize = ctx["normalize"], sign_body = ctx["sign_body"];
  const bool omit_token = ctx.value("omit_session_token", false);
  const auto now = parse_time(ctx["timestamp"]);
  const std::string amz_date = format_amz_date(now);
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = credential_scope(date, region, service);
  const Digest key = derive_signing_key(creds.secret_access_key, date, region, service);
  const std::string_view key_view(reinterpret_cast<const char*>(key.data()), key.size());
  ParsedRequest req = parse_request(read_file(dir / "request.txt"));
  const std::string payload_hash = sha256_hex(req.body);
  const std::string uri = canonical_uri(req.path, normalize, true);

  // Header signing.
  {
    http::Headers headers = req.headers;
    headers.push_back({"X-Amz-Date", amz_date});
    if (!creds.session_token.empty() && !omit_token)
      headers.push_back({"X-Amz-Security-Token", creds.session_token});
    if (sign_body) headers.push_back({"x-amz-content-sha256", payload_hash});
    std::string creq = canonical_request(req.method, uri, canonical_query(req.query),
                                         canonicalize_headers(headers), payload_hash);
    EXPECT_EQ(creq, read_file(dir / "header-canonical-request.txt"));
    std::string sts = string_to_sign(amz_date, scope, creq);
    EXPECT_EQ(sts, read_file(dir / "header-string-to-sign.txt"));
    EXPECT_EQ(hex(hmac_sha256(key_view, sts)), read_file(dir / "header-signature.txt"));
  }

  // The signer end to end, for the cases it is made for (normalised paths, body not signed).
  if (normalize && !sign_body && !omit_token) {
    std::string host = *http::find_header(req.headers, "Host");
    http::Request request{.method = req.method,
                          .url = "https://" + host + req.path + (req.query.empty() ? "" : "?" + req.query),
                          .headers = req.headers,
                          .body = req.body};
    RequestSigner signer(region, service);
    signer.sign(request, creds, now);
    std::string signed_text = read_file(dir / "header-signed-request.txt");
    auto auth_at = signed_text.find("Authorization:");
    ASSERT_NE(auth_at, std::string::npos);
    std::string expected_auth =
        signed_text.substr(auth_at + 14, signed_text.find('\n', auth_at) - auth_at - 14);
    EXPECT_EQ(*http::find_header(request.headers, "Authorization"), expected_auth);
  }

  // Query (presigned URL) signing: the X-Amz-* parameters join the query; only host is signed.
  if (fs::exists(dir / "query-canonical-request.txt")) {
    std::string query = req.query;
    auto add = [&](const std::string& name, const std::string& value) {
      query += (query.empty() ? "" : "&") + name + "=" + uri_encode(value, true);
    };
    http::Headers headers = req.headers;
    CanonicalHeaders canonical_headers = canonicalize_headers(headers);
    add("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
    add("X-Amz-Credential", creds.access_key_id + "/" + scope);
    add("X-Amz-Date", amz_date);
    add("X-Amz-Expires", std::to_string(ctx["expiration_in_seconds"].get<int>()));
    if (!creds.session_token.empty() && !omit_token) add("X-Amz-Security-Token", creds.session_token);
    add("X-Amz-SignedHeaders", canonical_headers.signed_headers);
    std::string creq =
        canonical_request(req.method, uri, canonical_query(query), canonical_headers, payload_hash);
    EXPECT_EQ(creq, read_file(dir / "query-canonical-request.txt"));
    std::string sts = string_to_sign(amz_date, scope, creq);
    EXPECT_EQ(sts, read_file(dir / "query-string-to-sign.txt"));
    EXPECT_EQ(hex(hmac_sha256(key_view, sts)), read_file(dir / "query-signature.txt"));
  }
}

// botocore layout: the request already carries X-Amz-Date (and the token when it is signed).
void check_botocore_case(const fs::path& dir, const std::string& stem) {
  ParsedRequest req = parse_request(read_file(dir / (stem + ".req")));
  if (stem == "get-vanilla-with-session-token") {
    // This .req omits the token the signer adds; the suite's README gives its value.
    req.headers.push_back(
        {"X-Amz-Security-Token", "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"});
  }
  const std::string amz_date = "20150830T123600Z";
  const std::string scope = credential_scope("20150830", "us-east-1", "service");
  std::string creq =
      canonical_request(req.method, canonical_uri(req.path, true, true), canonical_query(req.query),
                        canonicalize_headers(req.headers), sha256_hex(req.body));
  EXPECT_EQ(creq, read_file(dir / (stem + ".creq")));
  std::string sts = string_to_sign(amz_date, scope, creq);
  EXPECT_EQ(sts, read_file(dir / (stem + ".sts")));
  Digest key =
      derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "service");
  std::string signature =
      hex(hmac_sha256(std::string_view(reinterpret_cast<const char*>(key.data()), 32), sts));
  std::string authz = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/" + scope +
                      ", SignedHeaders=" + canonicalize_headers(req.headers).signed_headers +
                      ", Signature=" + signature;
  EXPECT_EQ(authz, read_file(dir / (stem + ".authz")));
}

TEST_P(SigV4Vectors, MatchesPublishedCanonicalRequestStringToSignAndSignature) {
  const auto& c = GetParam();
  if (c.botocore_layout) {
    check_botocore_case(c.dir, c.name.substr(std::string("botocore_").size()));
  } else {
    check_aws_c_auth_case(c.dir);
  }
}

INSTANTIATE_TEST_SUITE_P(Published, SigV4Vectors, ::testing::ValuesIn(all_cases()), test_name);

TEST(SigV4Vectors, AllCasesAreFound) {
  // 38 aws-c-auth + 4 DynamoDB + 34 botocore (post-sts-token holds two of them).
  EXPECT_EQ(all_cases().size(), 38u + 4u + 34u);
}

TEST(SigV4, SigningKeyMatchesPublishedIntermediates) {
  EXPECT_EQ(hex(derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1",
                                   "dynamodb")),
            "44a00bf61392567a12c8a1af3f6227f121fdd3ffabe98527663649f33cbff4aa");
  EXPECT_EQ(
      hex(derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")),
      "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("{}"), "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
}

TEST(SigV4, SignerUsesPortInHostAndSignsSessionToken) {
  RequestSigner signer("us-east-1", "dynamodb");
  http::Request r{.method = "POST", .url = "http://127.0.0.1:8000/", .headers = {}, .body = "{}"};
  Credentials creds{.access_key_id = "AKID", .secret_access_key = "SECRET", .session_token = "TOKEN"};
  signer.sign(r, creds, parse_time("2024-01-15T08:30:45Z"));
  EXPECT_EQ(*http::find_header(r.headers, "Host"), "127.0.0.1:8000");
  EXPECT_EQ(*http::find_header(r.headers, "X-Amz-Security-Token"), "TOKEN");
  const std::string& auth = *http::find_header(r.headers, "Authorization");
  EXPECT_NE(auth.find("SignedHeaders=host;x-amz-date;x-amz-security-token,"), std::string::npos) << auth;
  EXPECT_EQ(auth.find("SECRET"), std::string::npos);
  http::Request default_port{.method = "GET", .url = "https://dynamodb.us-east-1.amazonaws.com:443/"};
  signer.sign(default_port, creds, parse_time("2024-01-15T08:30:45Z"));
  EXPECT_EQ(*http::find_header(default_port.headers, "Host"), "dynamodb.us-east-1.amazonaws.com");
}

}  // namespace
}  // namespace agents::aws::sigv4
