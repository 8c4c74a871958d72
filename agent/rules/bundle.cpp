#include "rules/bundle.h"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>

namespace rules {
namespace {

// Fixed preamble: magic, format version, key_id; the signature is the last 64 bytes.
constexpr std::size_t kKeyIdOffset = 12;
constexpr std::size_t kPreambleBytes = kKeyIdOffset + 32;
constexpr std::size_t kSignatureBytes = 64;

void initSodium() {
  // Idempotent and thread-safe; fails only without a random source, which nothing here survives.
  if (sodium_init() < 0) std::abort();
}

BundleError refuse(BundleRefusal code, std::string message) { return {code, std::move(message)}; }

std::string hexOf(const unsigned char* p, std::size_t n) {
  std::string out(2 * n + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), p, n);
  out.pop_back();
  return out;
}

std::string sha256Raw(std::string_view data) {
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(data.data()),
                     data.size());
  return out;
}

std::string hexOf(std::string_view raw) { return hexOf(reinterpret_cast<const unsigned char*>(raw.data()), raw.size()); }

// A bounds-checked big-endian reader: every read says whether the bytes were there.
class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  std::size_t pos() const { return pos_; }
  bool done() const { return pos_ == b_.size(); }
  bool bytes(std::size_t n, std::string_view& out) {
    if (b_.size() - pos_ < n) return false;
    out = b_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  template <class T>
  bool uint(T& out) {
    std::string_view s;
    if (!bytes(sizeof(T), s)) return false;
    std::uint64_t v = 0;
    for (unsigned char c : s) v = (v << 8) | c;
    out = static_cast<T>(v);
    return true;
  }
  bool str16(std::string_view& out) {
    std::uint16_t n = 0;
    return uint(n) && bytes(n, out);
  }

 private:
  std::string_view b_;
  std::size_t pos_ = 0;
};

void putUint(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool endsWith(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// Empty when `path` may be a bundle's file name, else why not. The rules are the loader's view
// of a directory (no dot names, rule extensions only), so a bundle unpacked into a directory
// loads the same files.
std::string pathProblem(std::string_view path) {
  if (path.empty()) return "an empty path";
  if (path.size() > kMaxBundlePathBytes) return "a path longer than " + std::to_string(kMaxBundlePathBytes) + " bytes";
  if (path.front() == '/') return "an absolute path";
  for (unsigned char c : path) {
    if (c < 0x20 || c == 0x7f || c == '\\') return "a path with a control character or a backslash";
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, end - start);
    if (part.empty()) return "a path with an empty component";
    if (part == "..") return "a path with '..'";
    if (part.front() == '.') return "a path with a component starting with '.'";
    if (end == path.size()) break;
    start = end + 1;
  }
  if (!endsWith(path, ".yaml") && !endsWith(path, ".yml") && !endsWith(path, ".json")) {
    return "a path not ending in .yaml, .yml or .json";
  }
  return "";
}

std::string siteProblem(std::string_view site) {
  if (site.empty() || site.size() > kMaxBundleSiteIdBytes) {
    return "a site_id of 1 to " + std::to_string(kMaxBundleSiteIdBytes) + " bytes";
  }
  for (unsigned char c : site) {
    if (c <= 0x20 || c == 0x7f) return "a site_id without spaces or control characters";
  }
  return "";
}

std::string shown(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 80)) out += (c < 0x20 || c >= 0x7f) ? '?' : static_cast<char>(c);
  return "'" + out + "'";
}

// The preamble: size cap, magic, format version. The only reading done before the signature.
core::Status<BundleError> checkPreamble(std::string_view bytes) {
  if (bytes.size() > kMaxBundleBytes) {
    return core::fail(refuse(BundleRefusal::TooLarge, "bundle of " + std::to_string(bytes.size()) +
                                                          " bytes is over the cap of " + std::to_string(kMaxBundleBytes)));
  }
  if (bytes.size() < kPreambleBytes + kSignatureBytes) {
    return core::fail(refuse(BundleRefusal::Malformed, "truncated: " + std::to_string(bytes.size()) + " bytes"));
  }
  if (bytes.substr(0, kBundleMagic.size()) != kBundleMagic) {
    return core::fail(refuse(BundleRefusal::Malformed, "not a rule bundle (no CABUNDLE magic)"));
  }
  Reader r(bytes.substr(kBundleMagic.size(), 4));
  std::uint32_t version = 0;
  (void)r.uint(version);
  if (version != kBundleFormatVersion) {
    return core::fail(refuse(BundleRefusal::Malformed, "format version " + std::to_string(version) +
                                                           " is not supported (this agent reads " +
                                                           std::to_string(kBundleFormatVersion) + ")"));
  }
  return core::Ok{};
}

core::Status<BundleError> checkSignature(std::string_view bytes, const std::vector<Ed25519Key>& trusted) {
  initSodium();
  const std::string_view key_id = bytes.substr(kKeyIdOffset, 32);
  const Ed25519Key* key = nullptr;
  for (const auto& k : trusted) {
    if (sha256Raw({reinterpret_cast<const char*>(k.data()), k.size()}) == key_id) key = &k;
  }
  if (!key) {
    return core::fail(refuse(BundleRefusal::UnknownKey, "signed by key " + hexOf(key_id) +
                                                            ", which is not in rules.trusted_keys"));
  }
  const std::string_view signed_part = bytes.substr(0, bytes.size() - kSignatureBytes);
  std::string message(kBundleSignatureDomain);
  message.append(signed_part);
  const auto* sig = reinterpret_cast<const unsigned char*>(bytes.data() + signed_part.size());
  if (crypto_sign_verify_detached(sig, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                  key->data()) != 0) {
    return core::fail(refuse(BundleRefusal::BadSignature, "the signature does not verify with key " + hexOf(key_id)));
  }
  return core::Ok{};
}

// Parses the metadata and files (the preamble already checked) and checks the content hash
// when `check_hash`. Allocation is bounded by the input: every length is checked against the
// bytes that remain before anything is copied.
core::Result<Bundle, BundleError> parseBody(std::string_view bytes, bool check_hash) {
  auto bad = [](std::string what) { return core::fail(refuse(BundleRefusal::Malformed, std::move(what))); };
  Bundle b;
  b.meta.key_id = hexOf(bytes.substr(kKeyIdOffset, 32));
  Reader r(bytes.substr(0, bytes.size() - kSignatureBytes));
  std::string_view skip;
  (void)r.bytes(kPreambleBytes, skip);
  std::string_view site, tier, hash;
  if (!r.str16(site) || !r.str16(tier) || !r.uint(b.meta.version) || !r.uint(b.meta.created_unix_ms) ||
      !r.uint(b.meta.expires_unix_ms) || !r.bytes(32, hash)) {
    return bad("truncated in the metadata");
  }
  if (auto p = siteProblem(site); !p.empty()) return bad("site_id " + shown(site) + ": needs " + p);
  b.meta.site_id = std::string(site);
  if (tier == toString(Tier::Standard)) {
    b.meta.tier = Tier::Standard;
  } else if (tier == toString(Tier::FullCoverage)) {
    b.meta.tier = Tier::FullCoverage;
  } else {
    return bad("tier " + shown(tier) + " is not standard or full_coverage");
  }
  if (b.meta.version == 0) return bad("version 0 (versions start at 1)");
  if (b.meta.expires_unix_ms <= b.meta.created_unix_ms) return bad("expires is not after created");
  b.meta.content_sha256 = hexOf(hash);

  const std::size_t content_start = r.pos();
  std::uint32_t count = 0;
  if (!r.uint(count)) return bad("truncated before the file count");
  if (count > kMaxBundleFiles) {
    return bad(std::to_string(count) + " files, over the cap of " + std::to_string(kMaxBundleFiles));
  }
  std::size_t total = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    std::string_view path, data;
    std::uint32_t size = 0;
    if (!r.str16(path) || !r.uint(size)) return bad("truncated in file " + std::to_string(i + 1));
    if (auto p = pathProblem(path); !p.empty()) return bad("file " + shown(path) + ": " + p);
    if (size > kMaxBundleFileBytes) {
      return bad("file " + shown(path) + ": " + std::to_string(size) + " bytes, over the cap of " +
                 std::to_string(kMaxBundleFileBytes));
    }
    total += size;
    if (total > kMaxBundleContentBytes) return bad("the files together are over " + std::to_string(kMaxBundleContentBytes) + " bytes");
    if (!r.bytes(size, data)) return bad("truncated in file " + shown(path));
    if (!b.files.empty()) {
      if (b.files.back().name == path) return bad("file " + shown(path) + ": a duplicate path");
      if (b.files.back().name > path) return bad("file " + shown(path) + ": paths not in increasing byte order");
    }
    b.files.push_back({std::string(path), std::string(data), "bundle:" + std::string(path)});
  }
  if (!r.done()) return bad("bytes after the last file");
  if (check_hash) {
    const std::size_t content_end = bytes.size() - kSignatureBytes;
    const std::string actual = sha256Raw(bytes.substr(content_start, content_end - content_start));
    if (actual != hash) {
      return core::fail(refuse(BundleRefusal::ContentHash, "the content hashes to " + hexOf(actual) +
                                                               ", the metadata names " + b.meta.content_sha256));
    }
  }
  return b;
}

}  // namespace

std::string_view toString(BundleRefusal r) {
  switch (r) {
    case BundleRefusal::TooLarge: return "too_large";
    case BundleRefusal::Malformed: return "malformed";
    case BundleRefusal::UnknownKey: return "unknown_key";
    case BundleRefusal::BadSignature: return "bad_signature";
    case BundleRefusal::ContentHash: return "content_hash";
    case BundleRefusal::WrongSite: return "wrong_site";
    case BundleRefusal::WrongTier: return "wrong_tier";
    case BundleRefusal::Rollback: return "rollback";
    case BundleRefusal::Expired: return "expired";
  }
  return "malformed";
}

std::string bundleKeyId(const Ed25519Key& public_key) {
  initSodium();
  return hexOf(sha256Raw({reinterpret_cast<const char*>(public_key.data()), public_key.size()}));
}

core::Result<Bundle, BundleError> parseBundleUnverified(std::string_view bytes) {
  if (auto ok = checkPreamble(bytes); !ok.ok()) return core::fail(std::move(ok.error()));
  initSodium();
  return parseBody(bytes, false);
}

core::Result<Bundle, BundleError> verifyBundleSignature(std::string_view bytes, const std::vector<Ed25519Key>& trusted) {
  if (auto ok = checkPreamble(bytes); !ok.ok()) return core::fail(std::move(ok.error()));
  if (auto ok = checkSignature(bytes, trusted); !ok.ok()) return core::fail(std::move(ok.error()));
  return parseBody(bytes, true);
}

core::Result<Bundle, BundleError> verifyBundle(std::string_view bytes, const std::vector<Ed25519Key>& trusted,
                                               const BundleExpectation& expect) {
  auto b = verifyBundleSignature(bytes, trusted);
  if (!b.ok()) return b;
  const BundleMetadata& m = b->meta;
  if (m.site_id != "*" && m.site_id != expect.site_id) {
    return core::fail(refuse(BundleRefusal::WrongSite, "made for site " + shown(m.site_id) + ", this is site " +
                                                           shown(expect.site_id)));
  }
  if (m.tier != expect.tier) {
    return core::fail(refuse(BundleRefusal::WrongTier, "made for tier " + std::string(toString(m.tier)) +
                                                           ", expected " + std::string(toString(expect.tier))));
  }
  if (m.version <= expect.highest_version_held) {
    return core::fail(refuse(BundleRefusal::Rollback, "version " + std::to_string(m.version) +
                                                          " is not higher than version " +
                                                          std::to_string(expect.highest_version_held) + ", held before"));
  }
  if (expect.now_unix_ms >= m.expires_unix_ms) {
    return core::fail(refuse(BundleRefusal::Expired, "expired at " + std::to_string(m.expires_unix_ms) +
                                                         " (unix ms); now is " + std::to_string(expect.now_unix_ms)));
  }
  return b;
}

core::Result<std::string, BundleError> packBundle(std::vector<SourceFile> files, const BundleSpec& spec,
                                                  const Ed25519Key& seed) {
  initSodium();
  auto bad = [](std::string what) { return core::fail(refuse(BundleRefusal::Malformed, std::move(what))); };
  if (auto p = siteProblem(spec.site_id); !p.empty()) return bad("site_id " + shown(spec.site_id) + ": needs " + p);
  if (spec.version == 0) return bad("version 0 (versions start at 1)");
  if (spec.expires_unix_ms <= spec.created_unix_ms) return bad("expires is not after created");
  if (files.size() > kMaxBundleFiles) {
    return core::fail(refuse(BundleRefusal::TooLarge, std::to_string(files.size()) + " files, over the cap of " +
                                                          std::to_string(kMaxBundleFiles)));
  }
  std::sort(files.begin(), files.end(), [](const SourceFile& a, const SourceFile& b) { return a.name < b.name; });
  std::string content;
  putUint(content, files.size(), 4);
  std::size_t total = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& f = files[i];
    if (auto p = pathProblem(f.name); !p.empty()) return bad("file " + shown(f.name) + ": " + p);
    if (i > 0 && files[i - 1].name == f.name) return bad("file " + shown(f.name) + ": a duplicate path");
    total += f.text.size();
    if (f.text.size() > kMaxBundleFileBytes || total > kMaxBundleContentBytes) {
      return core::fail(refuse(BundleRefusal::TooLarge, "file " + shown(f.name) + ": over the cap of " +
                                                            std::to_string(kMaxBundleFileBytes) + " bytes per file or " +
                                                            std::to_string(kMaxBundleContentBytes) + " in all"));
    }
    putUint(content, f.name.size(), 2);
    content += f.name;
    putUint(content, f.text.size(), 4);
    content += f.text;
  }
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(pk, sk, seed.data());
  std::string out(kBundleMagic);
  putUint(out, kBundleFormatVersion, 4);
  out += sha256Raw({reinterpret_cast<const char*>(pk), sizeof pk});
  const std::string tier(toString(spec.tier));
  putUint(out, spec.site_id.size(), 2);
  out += spec.site_id;
  putUint(out, tier.size(), 2);
  out += tier;
  putUint(out, spec.version, 8);
  putUint(out, static_cast<std::uint64_t>(spec.created_unix_ms), 8);
  putUint(out, static_cast<std::uint64_t>(spec.expires_unix_ms), 8);
  out += sha256Raw(content);
  out += content;
  if (out.size() + kSignatureBytes > kMaxBundleBytes) {
    sodium_memzero(sk, sizeof sk);
    return core::fail(refuse(BundleRefusal::TooLarge, "the bundle would be over " + std::to_string(kMaxBundleBytes) + " bytes"));
  }
  std::string message(kBundleSignatureDomain);
  message += out;
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(message.data()), message.size(), sk);
  sodium_memzero(sk, sizeof sk);
  out.append(reinterpret_cast<const char*>(sig), sizeof sig);
  return out;
}

}  // namespace rules
