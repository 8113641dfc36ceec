// SHA-256 and HMAC-SHA-256 over OpenSSL, plus lowercase hex: the one copy every module uses
// (SigV4 signing, the file store's long names, the incremental layout's history digests).
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace agents::util {

using Sha256Digest = std::array<unsigned char, 32>;

/// Lowercase hex of `size` bytes.
std::string hex(const unsigned char* data, std::size_t size);
inline std::string hex(const Sha256Digest& d) { return hex(d.data(), d.size()); }

Sha256Digest sha256(std::string_view data);
std::string sha256_hex(std::string_view data);
Sha256Digest hmac_sha256(std::string_view key, std::string_view data);

/// Incremental SHA-256 that can report the digest of what it has seen so far and go on, so one
/// pass over a history yields the digest of every prefix it needs.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  /// A stream in the same state, that goes on independently.
  Sha256Stream(const Sha256Stream& other);
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  Sha256Stream(Sha256Stream&&) noexcept;
  Sha256Stream& operator=(Sha256Stream&&) noexcept;

  void update(std::string_view data);
  std::string hex_so_far() const;

 private:
  struct Context;
  std::unique_ptr<Context> ctx_;
};

}  // namespace agents::util
