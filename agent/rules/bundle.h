#pragma once
// Signed rule bundles (docs/bundle-format.md; issue 11 item 4): one file carrying rule files and
// the metadata that binds them to a site, a tier and a version, signed by an offline *rules key*
// (agent.yaml `rules.trusted_keys`). The verifier checks the signature over the exact bytes
// before it parses anything past the fixed preamble, and every count and length is capped, so a
// hostile bundle costs at most one pass over at most kMaxBundleBytes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "rules/loader.h"
#include "rules/model.h"

namespace rules {

inline constexpr std::string_view kBundleMagic{"CABUNDLE", 8};
inline constexpr std::uint32_t kBundleFormatVersion = 1;
/// Signed before the bundle's bytes, so a signature made for another kind of payload (a tier
/// statement, an order) can never pass for a bundle's.
inline constexpr std::string_view kBundleSignatureDomain{"compliance-agent.bundle.v1\0", 27};

// Limits, each with a test. The file caps are the loader's, so a bundle that fits always loads.
inline constexpr std::size_t kMaxBundleFiles = kMaxRuleFiles;
inline constexpr std::size_t kMaxBundleFileBytes = kMaxRuleFileBytes;
inline constexpr std::size_t kMaxBundleContentBytes = kMaxRuleSetBytes;  // all files together
inline constexpr std::size_t kMaxBundlePathBytes = 255;
inline constexpr std::size_t kMaxBundleSiteIdBytes = 128;
/// The whole file: the content plus room for every path, the header and the signature.
inline constexpr std::size_t kMaxBundleBytes = kMaxBundleContentBytes + (1 << 20);

/// Why a bundle was refused: a public vocabulary (snake_case via toString), matched by check-in,
/// evidence and scripts. Add codes, never rename or reuse one.
enum class BundleRefusal {
  TooLarge,      // too_large: over kMaxBundleBytes (or, when packing, a file or the content cap)
  Malformed,     // malformed: not this format (truncated, bad magic or version, a bad path ...)
  UnknownKey,    // unknown_key: signed by a key that is not trusted
  BadSignature,  // bad_signature: the signature does not verify over the bytes
  ContentHash,   // content_hash: the content is not what the signed metadata names
  WrongSite,     // wrong_site: made for another site
  WrongTier,     // wrong_tier: made for another tier
  Rollback,      // rollback: version not higher than the highest held
  Expired,       // expired: now is at or past expires
};
std::string_view toString(BundleRefusal r);
using BundleError = core::Error<BundleRefusal>;

using Ed25519Key = std::array<unsigned char, 32>;  // a public key, or a private seed

struct BundleMetadata {
  std::uint32_t format_version = kBundleFormatVersion;
  std::string site_id;  // "*": every site
  Tier tier = Tier::Standard;
  std::uint64_t version = 0;  // >= 1
  std::int64_t created_unix_ms = 0;
  std::int64_t expires_unix_ms = 0;  // > created_unix_ms
  std::string content_sha256;        // 64 lowercase hex digits
  std::string key_id;                // lowercase hex SHA-256 of the signing public key
};

struct Bundle {
  BundleMetadata meta;
  /// In strictly increasing byte order of `name` (the relative path); `display` is
  /// "bundle:<path>", so the loader's messages say where a file came from.
  std::vector<SourceFile> files;
};

/// What the agent expects of a bundle; `now_unix_ms` is one time the caller fixes for the whole
/// update, so every check of one update sees the same clock.
struct BundleExpectation {
  std::string site_id;
  Tier tier = Tier::Standard;
  std::uint64_t highest_version_held = 0;  // 0: none held
  std::int64_t now_unix_ms = 0;
};

/// The key_id of a public key: lowercase hex SHA-256 of its 32 bytes (central.proto's rule).
std::string bundleKeyId(const Ed25519Key& public_key);

/// Everything the agent requires: size, format, a trusted key, the signature, then (only then
/// parsed) the metadata and files, the content hash, site ("*" matches any), tier, version and
/// expiry, in that order; the first failure is the refusal. Never throws.
core::Result<Bundle, BundleError> verifyBundle(std::string_view bytes, const std::vector<Ed25519Key>& trusted,
                                               const BundleExpectation& expect);

/// The part of verifyBundle that needs no expectation: size, format, trusted key, signature,
/// parse, content hash (`rules inspect --pubkey`). Never throws.
core::Result<Bundle, BundleError> verifyBundleSignature(std::string_view bytes, const std::vector<Ed25519Key>& trusted);

/// Parses without checking the signature or the content hash: only for showing a bundle to a
/// human (`rules inspect` without a key). Fails TooLarge or Malformed. Never throws.
core::Result<Bundle, BundleError> parseBundleUnverified(std::string_view bytes);

/// The metadata a bundle is packed with; the content hash and key id are computed.
struct BundleSpec {
  std::string site_id;
  Tier tier = Tier::Standard;
  std::uint64_t version = 0;
  std::int64_t created_unix_ms = 0;
  std::int64_t expires_unix_ms = 0;
};

/// Encodes and signs `files` (any order: they are sorted) with the rules key's seed. Refuses
/// (Malformed, TooLarge) what verifyBundle would refuse for its form: bad or duplicate paths, a
/// bad site id, version 0, expiry not after creation, the caps. Does not validate the rules
/// themselves: the caller runs the loader first.
core::Result<std::string, BundleError> packBundle(std::vector<SourceFile> files, const BundleSpec& spec,
                                                  const Ed25519Key& seed);

}  // namespace rules
