#include "evidence/signer.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <cstdlib>

namespace evidence {
namespace {

void initSodium() {
  // sodium_init is idempotent and thread-safe; it fails only without a usable random source,
  // and an agent that cannot make keys or sign must not run on.
  if (sodium_init() < 0) std::abort();
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

Ed25519Signer::Ed25519Signer(const Seed& seed) {
  initSodium();
  if (crypto_sign_seed_keypair(public_.data(), secret_.data(), seed.data()) != 0) std::abort();
}

Ed25519Signer::~Ed25519Signer() { sodium_memzero(secret_.data(), secret_.size()); }

Seed Ed25519Signer::randomSeed() {
  initSodium();
  Seed seed;
  randombytes_buf(seed.data(), seed.size());
  return seed;
}

Signature Ed25519Signer::sign(const Digest& digest) const {
  Signature sig;
  crypto_sign_detached(sig.data(), nullptr, digest.data(), digest.size(), secret_.data());
  return sig;
}

bool verifySignature(const PublicKey& key, const Digest& digest, const Signature& sig) {
  initSodium();
  return crypto_sign_verify_detached(sig.data(), digest.data(), digest.size(), key.data()) == 0;
}

Digest sha256(std::string_view data) {
  // OpenSSL rather than libsodium here: it uses the CPU's SHA extensions, about 3x faster on a
  // record, and hashing is on the path of every append and every verification.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  Digest d;
  unsigned int size = 0;
  if (!kSha256 || EVP_Digest(data.data(), data.size(), d.data(), &size, kSha256, nullptr) != 1 || size != d.size()) {
    std::abort();  // a broken libcrypto: no evidence can be trusted
  }
  return d;
}

std::string toHex(const unsigned char* bytes, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0xF];
  }
  return out;
}

template <std::size_t N>
std::optional<std::array<unsigned char, N>> fromHex(std::string_view hex) {
  if (hex.size() != 2 * N) return std::nullopt;
  std::array<unsigned char, N> out{};
  for (std::size_t i = 0; i < N; ++i) {
    const int hi = hexValue(hex[2 * i]);
    const int lo = hexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return out;
}

template std::optional<std::array<unsigned char, 32>> fromHex<32>(std::string_view);
template std::optional<std::array<unsigned char, 64>> fromHex<64>(std::string_view);

}  // namespace evidence
