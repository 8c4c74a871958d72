#pragma once
// SHA-256 (OpenSSL EVP), the one digest of the project: rule versions, config hash, file_hash.
#include <string>
#include <string_view>

namespace core {

/// 64 lowercase hex digits of SHA-256(data). Never fails (aborts if OpenSSL itself is broken).
std::string sha256Hex(std::string_view data);

/// Incremental form, for digests over several pieces without concatenating them.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  /// Finishes the digest; the object must not be updated afterwards.
  std::string hexDigest();

 private:
  void* ctx_;  // EVP_MD_CTX*, kept opaque so users need no OpenSSL headers
};

}  // namespace core
