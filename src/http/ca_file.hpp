// Which PEM bundle of trusted certificate authorities the libcurl transfers use. libcurl's
// built-in default is the build machine's path (Debian: /etc/ssl/certs/ca-certificates.crt),
// which does not exist on Amazon Linux (Lambda's provided.al2023 has
// /etc/pki/tls/certs/ca-bundle.crt), so a Debian-built package would fail every TLS handshake
// there. docs/lambda.md ("TLS certificates").
#pragma once

#include <functional>
#include <string>

namespace agents::http::detail {

/// Where the bundles of the common Linux distributions are, in the order tried.
inline constexpr const char* kWellKnownCaFiles[] = {
    "/etc/pki/tls/certs/ca-bundle.crt",    // Amazon Linux (Lambda), RHEL, Fedora
    "/etc/ssl/certs/ca-certificates.crt",  // Debian, Ubuntu, Alpine
    "/etc/ssl/cert.pem",                   // Alpine, macOS, the BSDs
    "/etc/ssl/ca-bundle.pem",              // openSUSE
};

struct CaFileLookup {
  std::function<const char*(const char*)> getenv;
  const char* builtin = nullptr;  ///< libcurl's compiled-in CA bundle (curl_version_info()->cainfo)
  std::function<bool(const std::string&)> exists;
};

/// The CA bundle: `configured` (CurlHttpClientOptions::ca_file) when set; else $CURL_CA_BUNDLE,
/// then $SSL_CERT_FILE when set (the conventions of the curl tool and of OpenSSL); else libcurl's
/// built-in bundle when that file exists; else the first existing well-known bundle. "" when
/// none exists: libcurl's own default applies (and verification fails, naming it).
std::string choose_ca_file(const std::string& configured, const CaFileLookup& lookup);

/// choose_ca_file with this process's environment, libcurl and file system.
std::string ca_file_for(const std::string& configured);

}  // namespace agents::http::detail
