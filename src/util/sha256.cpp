#include "util/sha256.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace agents::util {

namespace {

// OpenSSL 3 looks the algorithm up on every one-shot call unless handed a fetched one: fetch
// SHA-256 once (fetched algorithms are safe to share between threads).
const EVP_MD* sha256_algorithm() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

using CtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

}  // namespace

std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr char kHexDigits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = kHexDigits[data[i] >> 4];
    out[2 * i + 1] = kHexDigits[data[i] & 0xF];
  }
  return out;
}

Sha256Digest sha256(std::string_view data) {
  Sha256Digest d;
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), d.data(), &len, sha256_algorithm(), nullptr);
  return d;
}

std::string sha256_hex(std::string_view data) { return hex(sha256(data)); }

Sha256Digest hmac_sha256(std::string_view key, std::string_view data) {
  Sha256Digest d;
  unsigned int len = 0;
  HMAC(sha256_algorithm(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), d.data(), &len);
  return d;
}

struct Sha256Stream::Context {
  CtxPtr ctx{EVP_MD_CTX_new(), EVP_MD_CTX_free};
};

Sha256Stream::Sha256Stream() : ctx_(std::make_unique<Context>()) {
  EVP_DigestInit_ex(ctx_->ctx.get(), sha256_algorithm(), nullptr);
}

Sha256Stream::Sha256Stream(const Sha256Stream& other) : ctx_(std::make_unique<Context>()) {
  EVP_MD_CTX_copy_ex(ctx_->ctx.get(), other.ctx_->ctx.get());
}

Sha256Stream::~Sha256Stream() = default;
Sha256Stream::Sha256Stream(Sha256Stream&&) noexcept = default;
Sha256Stream& Sha256Stream::operator=(Sha256Stream&&) noexcept = default;

void Sha256Stream::update(std::string_view data) {
  EVP_DigestUpdate(ctx_->ctx.get(), data.data(), data.size());
}

std::string Sha256Stream::hex_so_far() const {
  CtxPtr copy(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_MD_CTX_copy_ex(copy.get(), ctx_->ctx.get());
  Sha256Digest digest;
  unsigned int length = 0;
  EVP_DigestFinal_ex(copy.get(), digest.data(), &length);
  return hex(digest.data(), length);
}

}  // namespace agents::util
