// Fuzzes the rule-bundle verifier (rules/bundle.h): whatever the bytes, verifyBundle and
// parseBundleUnverified return a verdict without crashing, leaking or allocating beyond the
// input, and what they accept is consistent:
//   - a bundle verifyBundle accepts also parses unverified, to the same metadata and files;
//   - a parsed bundle's files are within the caps, in strictly increasing path order.
// The trusted key is the seeds' (seed bytes 0x11...), so mutations of a seed reach the content
// hash and the expectations only when they keep the signature, and the parser through
// parseBundleUnverified always.
// Seeds: tests/fuzz/seeds/bundle_verify (scripts/make-bundle-seeds.sh).
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "rules/bundle.h"

namespace {

rules::Ed25519Key seedKey() {
  if (sodium_init() < 0) std::abort();
  rules::Ed25519Key seed{}, pub{};
  seed.fill(0x11);
  unsigned char sk[64];
  crypto_sign_seed_keypair(pub.data(), sk, seed.data());
  return pub;
}

void checkShape(const rules::Bundle& b) {
  std::size_t total = 0;
  for (std::size_t i = 0; i < b.files.size(); ++i) {
    const auto& f = b.files[i];
    if (f.name.empty() || f.name.size() > rules::kMaxBundlePathBytes || f.text.size() > rules::kMaxBundleFileBytes) std::abort();
    if (f.name.find("..") == 0 || f.name.front() == '/') std::abort();
    if (i > 0 && !(b.files[i - 1].name < f.name)) std::abort();
    total += f.text.size();
  }
  if (total > rules::kMaxBundleContentBytes || b.files.size() > rules::kMaxBundleFiles) std::abort();
  if (b.meta.version == 0 || b.meta.expires_unix_ms <= b.meta.created_unix_ms) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const rules::Ed25519Key trusted = seedKey();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const rules::BundleExpectation expect{"clinic-a", rules::Tier::Standard, 0, 1'800'000'000'000};
  auto verified = rules::verifyBundle(bytes, {trusted}, expect);
  auto parsed = rules::parseBundleUnverified(bytes);
  if (parsed.ok()) checkShape(*parsed);
  if (verified.ok()) {
    checkShape(*verified);
    if (!parsed.ok() || parsed->meta.content_sha256 != verified->meta.content_sha256 ||
        parsed->files.size() != verified->files.size()) {
      std::abort();
    }
  }
  return 0;
}
