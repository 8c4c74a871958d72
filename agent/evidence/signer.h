#pragma once
// Ed25519 over record digests (libsodium). Records are signed through the Signer interface so
// that the key's storage can change (a TPM, a hardware token) without touching the writer.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace evidence {

using Digest = std::array<unsigned char, 32>;      // SHA-256
using Signature = std::array<unsigned char, 64>;   // Ed25519
using PublicKey = std::array<unsigned char, 32>;   // Ed25519
using Seed = std::array<unsigned char, 32>;        // Ed25519 private seed

class Signer {
 public:
  virtual ~Signer() = default;
  /// The public half: written into segment headers and reported at check-in. Never fails.
  virtual const PublicKey& publicKey() const = 0;
  /// The Ed25519 signature of the 32 digest bytes. Never fails: a key that cannot sign is
  /// refused when it is loaded.
  virtual Signature sign(const Digest& digest) const = 0;
};

/// A key held in memory (read from state_dir/keys); the secret is wiped on destruction.
class Ed25519Signer final : public Signer {
 public:
  explicit Ed25519Signer(const Seed& seed);
  ~Ed25519Signer() override;
  Ed25519Signer(const Ed25519Signer&) = delete;
  Ed25519Signer& operator=(const Ed25519Signer&) = delete;

  /// A new key from the operating system's random source.
  static Seed randomSeed();

  const PublicKey& publicKey() const override { return public_; }
  Signature sign(const Digest& digest) const override;

 private:
  std::array<unsigned char, 64> secret_{};
  PublicKey public_{};
};

/// Whether `sig` is a valid Ed25519 signature of `digest` by `key`.
bool verifySignature(const PublicKey& key, const Digest& digest, const Signature& sig);

/// SHA-256 of `data` as raw bytes.
Digest sha256(std::string_view data);

/// Lowercase hex of `bytes`.
std::string toHex(const unsigned char* bytes, std::size_t size);
template <std::size_t N>
std::string toHex(const std::array<unsigned char, N>& bytes) {
  return toHex(bytes.data(), N);
}

/// Parses exactly 2*N lowercase hex digits; nullopt for anything else (uppercase included:
/// evidence spells hex in lowercase only, so that each value has one spelling).
template <std::size_t N>
std::optional<std::array<unsigned char, N>> fromHex(std::string_view hex);

}  // namespace evidence
