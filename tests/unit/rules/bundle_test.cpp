// rules/bundle.h: every refusal code from one bundle each, rotation, round trip, the caps.
// Hostile bundles are made by a small encoder written here from docs/bundle-format.md (not by
// packBundle, which refuses to make them), so the document is tested too.
#include <catch2/catch.hpp>
#include <sodium.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "rules/bundle.h"

namespace {

using rules::BundleRefusal;
using rules::Ed25519Key;

constexpr std::int64_t kNow = 1'800'000'000'000;
constexpr std::int64_t kDay = 86'400'000;

struct Key {
  Ed25519Key seed{};
  Ed25519Key pub{};
  explicit Key(unsigned char n) {
    REQUIRE(sodium_init() >= 0);
    seed.fill(n);
    unsigned char sk[64];
    crypto_sign_seed_keypair(pub.data(), sk, seed.data());
  }
};

void be(std::string& out, std::uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::string sha(const std::string& s) {
  std::string h(32, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(h.data()), reinterpret_cast<const unsigned char*>(s.data()), s.size());
  return h;
}

// The raw form of docs/bundle-format.md; fields a test wants wrong are set wrong.
struct Raw {
  std::string site = "clinic-a";
  std::string tier = "standard";
  std::uint64_t version = 5;
  std::int64_t created = kNow - kDay;
  std::int64_t expires = kNow + 30 * kDay;
  std::vector<std::pair<std::string, std::string>> files{{"a.yaml", "checks: []\n"}, {"sub/b.json", "{}"}};
  std::string hash_override;  // non-empty: the content hash written instead of the true one

  std::string encode(const Key& key) const {
    std::string content;
    be(content, files.size(), 4);
    for (const auto& f : files) {
      be(content, f.first.size(), 2);
      content += f.first;
      be(content, f.second.size(), 4);
      content += f.second;
    }
    std::string out = "CABUNDLE";
    be(out, 1, 4);
    out += sha(std::string(reinterpret_cast<const char*>(key.pub.data()), 32));
    be(out, site.size(), 2);
    out += site;
    be(out, tier.size(), 2);
    out += tier;
    be(out, version, 8);
    be(out, static_cast<std::uint64_t>(created), 8);
    be(out, static_cast<std::uint64_t>(expires), 8);
    out += hash_override.empty() ? sha(content) : hash_override;
    out += content;
    std::string msg(rules::kBundleSignatureDomain);
    msg += out;
    unsigned char sk[64], pk[32], sig[64];
    crypto_sign_seed_keypair(pk, sk, key.seed.data());
    crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), sk);
    return out + std::string(reinterpret_cast<const char*>(sig), 64);
  }
};

rules::BundleExpectation expect() { return {"clinic-a", rules::Tier::Standard, 4, kNow}; }

BundleRefusal refusal(const std::string& bytes, const std::vector<Ed25519Key>& trusted,
                      const rules::BundleExpectation& e = expect()) {
  auto r = rules::verifyBundle(bytes, trusted, e);
  REQUIRE_FALSE(r.ok());
  INFO(r.error().message);
  CHECK_FALSE(r.error().message.empty());
  return r.error().code;
}

}  // namespace

TEST_CASE("bundle: a bundle made by the document's encoder verifies, and packBundle makes the same bytes") {
  const Key rules_key(1);
  Raw raw;
  const std::string bytes = raw.encode(rules_key);
  auto b = rules::verifyBundle(bytes, {rules_key.pub}, expect());
  REQUIRE(b.ok());
  CHECK(b->meta.site_id == "clinic-a");
  CHECK(b->meta.tier == rules::Tier::Standard);
  CHECK(b->meta.version == 5);
  CHECK(b->meta.key_id == rules::bundleKeyId(rules_key.pub));
  CHECK(b->meta.key_id.size() == 64);
  REQUIRE(b->files.size() == 2);
  CHECK(b->files[1].name == "sub/b.json");
  CHECK(b->files[1].text == "{}");
  CHECK(b->files[1].display == "bundle:sub/b.json");
  // Packed from the same files in another order: byte for byte the same (Ed25519 is deterministic).
  auto packed = rules::packBundle({{"sub/b.json", "{}", ""}, {"a.yaml", "checks: []\n", ""}},
                                  {"clinic-a", rules::Tier::Standard, 5, raw.created, raw.expires}, rules_key.seed);
  REQUIRE(packed.ok());
  CHECK(*packed == bytes);
}

TEST_CASE("bundle: round trip of pack and verify, for every site and the full_coverage tier") {
  const Key k(2);
  auto packed = rules::packBundle({{"x.yml", "rules: []\n", ""}}, {"*", rules::Tier::FullCoverage, 1, kNow, kNow + kDay}, k.seed);
  REQUIRE(packed.ok());
  auto b = rules::verifyBundle(*packed, {k.pub}, {"any-site", rules::Tier::FullCoverage, 0, kNow});
  REQUIRE(b.ok());
  CHECK(b->meta.site_id == "*");
  CHECK(b->files.at(0).text == "rules: []\n");
  CHECK(b->meta.expires_unix_ms == kNow + kDay);
}

TEST_CASE("bundle: every refusal code, one bundle each") {
  const Key rules_key(1), online_key(9);
  const std::vector<Ed25519Key> trusted{rules_key.pub};
  const std::string good = Raw{}.encode(rules_key);

  SECTION("bad_signature: one content byte flipped") {
    std::string bad = good;
    bad[bad.size() - 70] ^= 1;
    CHECK(refusal(bad, trusted) == BundleRefusal::BadSignature);
    std::string sig = good;
    sig.back() ^= 1;
    CHECK(refusal(sig, trusted) == BundleRefusal::BadSignature);
  }
  SECTION("unknown_key: signed by a key not trusted, central command's online key among them") {
    CHECK(refusal(Raw{}.encode(online_key), trusted) == BundleRefusal::UnknownKey);
    CHECK(refusal(good, {}) == BundleRefusal::UnknownKey);
  }
  SECTION("bad_signature: a key_id rewritten to the trusted key's over an online-key signature") {
    std::string forged = Raw{}.encode(online_key);
    forged.replace(12, 32, good.substr(12, 32));
    CHECK(refusal(forged, trusted) == BundleRefusal::BadSignature);
  }
  SECTION("wrong_site and wrong_tier") {
    Raw other;
    other.site = "clinic-b";
    CHECK(refusal(other.encode(rules_key), trusted) == BundleRefusal::WrongSite);
    Raw full;
    full.tier = "full_coverage";
    CHECK(refusal(full.encode(rules_key), trusted) == BundleRefusal::WrongTier);
  }
  SECTION("rollback: a lower and an equal version") {
    Raw lower;
    lower.version = 3;
    CHECK(refusal(lower.encode(rules_key), trusted) == BundleRefusal::Rollback);
    Raw equal;
    equal.version = 4;
    CHECK(refusal(equal.encode(rules_key), trusted) == BundleRefusal::Rollback);
  }
  SECTION("expired: at and after expires") {
    Raw old;
    old.expires = kNow;
    CHECK(refusal(old.encode(rules_key), trusted) == BundleRefusal::Expired);
    CHECK(rules::verifyBundle(good, trusted, {"clinic-a", rules::Tier::Standard, 4, kNow + 31 * kDay}).error().code ==
          BundleRefusal::Expired);
  }
  SECTION("malformed: truncated anywhere") {
    for (std::size_t n : {std::size_t(0), std::size_t(7), std::size_t(43), std::size_t(107), good.size() - 1}) {
      INFO(n);
      const auto code = refusal(good.substr(0, n), trusted);
      // A cut bundle fails the signature (it covers the length), or the preamble when too short.
      CHECK((code == BundleRefusal::Malformed || code == BundleRefusal::BadSignature));
    }
    CHECK(refusal(good.substr(0, 100), trusted) == BundleRefusal::Malformed);
  }
  SECTION("too_large: over the cap, refused before anything else is read") {
    std::string big(rules::kMaxBundleBytes + 1, 'x');
    CHECK(refusal(big, trusted) == BundleRefusal::TooLarge);
  }
  SECTION("malformed: a path with '..', absolute, a dot name, another extension, duplicates, unsorted") {
    for (const std::string& p : std::vector<std::string>{"../a.yaml", "a/../b.yaml", "/etc/a.yaml", ".hidden.yaml", "a.txt", "a//b.yaml", "a\\b.yaml",
                                std::string(300, 'a') + ".yaml"}) {
      INFO(p);
      Raw r;
      r.files = {{p, "{}"}};
      CHECK(refusal(r.encode(rules_key), trusted) == BundleRefusal::Malformed);
    }
    Raw dup;
    dup.files = {{"a.yaml", "{}"}, {"a.yaml", "{}"}};
    auto d = rules::verifyBundle(dup.encode(rules_key), trusted, expect());
    REQUIRE_FALSE(d.ok());
    CHECK(d.error().code == BundleRefusal::Malformed);
    CHECK(d.error().message.find("duplicate") != std::string::npos);
    Raw unsorted;
    unsorted.files = {{"b.yaml", "{}"}, {"a.yaml", "{}"}};
    CHECK(refusal(unsorted.encode(rules_key), trusted) == BundleRefusal::Malformed);
  }
  SECTION("malformed: bad metadata values, signed") {
    Raw tier;
    tier.tier = "gold";
    CHECK(refusal(tier.encode(rules_key), trusted) == BundleRefusal::Malformed);
    Raw zero;
    zero.version = 0;
    CHECK(refusal(zero.encode(rules_key), trusted) == BundleRefusal::Malformed);
    Raw backwards;
    backwards.expires = backwards.created;
    CHECK(refusal(backwards.encode(rules_key), trusted) == BundleRefusal::Malformed);
    Raw site;
    site.site = "a b";
    CHECK(refusal(site.encode(rules_key), trusted) == BundleRefusal::Malformed);
    std::string version = good;
    version[11] = 2;  // format version 2
    CHECK(refusal(version, trusted) == BundleRefusal::Malformed);
  }
  SECTION("malformed: a file count or size over its cap, with few bytes behind it") {
    Raw many;
    many.files.clear();
    for (std::size_t i = 0; i <= rules::kMaxBundleFiles; ++i) many.files.push_back({"f" + std::to_string(100000 + i) + ".yaml", ""});
    CHECK(refusal(many.encode(rules_key), trusted) == BundleRefusal::Malformed);
    Raw huge;
    huge.files = {{"a.yaml", std::string(rules::kMaxBundleFileBytes + 1, ' ')}};
    CHECK(refusal(huge.encode(rules_key), trusted) == BundleRefusal::Malformed);
  }
  SECTION("content_hash: tampered metadata re-signed by the rules key") {
    Raw tampered;
    tampered.hash_override = std::string(32, '\x42');
    auto r = rules::verifyBundle(tampered.encode(rules_key), trusted, expect());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == BundleRefusal::ContentHash);
    CHECK(std::string(rules::toString(r.error().code)) == "content_hash");
  }
}

TEST_CASE("bundle: the refusal codes are snake_case and distinct") {
  std::vector<std::string> seen;
  for (auto c : {BundleRefusal::TooLarge, BundleRefusal::Malformed, BundleRefusal::UnknownKey, BundleRefusal::BadSignature,
                 BundleRefusal::ContentHash, BundleRefusal::WrongSite, BundleRefusal::WrongTier, BundleRefusal::Rollback,
                 BundleRefusal::Expired}) {
    const std::string s(rules::toString(c));
    CHECK(s.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos);
    CHECK(std::find(seen.begin(), seen.end(), s) == seen.end());
    seen.push_back(s);
  }
  CHECK(seen.front() == "too_large");
  CHECK(seen.back() == "expired");
}

TEST_CASE("bundle: rules-key rotation, old key removed: old bundles refused, new ones accepted") {
  const Key old_key(3), new_key(4);
  Raw v5;
  Raw v6;
  v6.version = 6;
  const std::string old_bundle = v5.encode(old_key), new_bundle = v6.encode(new_key);
  // During the rotation both are trusted: both verify.
  CHECK(rules::verifyBundle(old_bundle, {old_key.pub, new_key.pub}, expect()).ok());
  CHECK(rules::verifyBundle(new_bundle, {old_key.pub, new_key.pub}, expect()).ok());
  // After it, only the new key.
  CHECK(refusal(old_bundle, {new_key.pub}) == BundleRefusal::UnknownKey);
  CHECK(rules::verifyBundle(new_bundle, {new_key.pub}, expect()).ok());
}

TEST_CASE("bundle: packBundle refuses what verifyBundle would refuse for its form") {
  const Key k(5);
  const rules::BundleSpec spec{"clinic-a", rules::Tier::Standard, 1, kNow, kNow + kDay};
  CHECK(rules::packBundle({{"../x.yaml", "{}", ""}}, spec, k.seed).error().code == BundleRefusal::Malformed);
  CHECK(rules::packBundle({{"a.yaml", "{}", ""}, {"a.yaml", "{}", ""}}, spec, k.seed).error().code == BundleRefusal::Malformed);
  CHECK(rules::packBundle({{"a.yaml", std::string(rules::kMaxBundleFileBytes + 1, ' '), ""}}, spec, k.seed).error().code ==
        BundleRefusal::TooLarge);
  auto zero = spec;
  zero.version = 0;
  CHECK(rules::packBundle({}, zero, k.seed).error().code == BundleRefusal::Malformed);
  auto backwards = spec;
  backwards.expires_unix_ms = backwards.created_unix_ms;
  CHECK(rules::packBundle({}, backwards, k.seed).error().code == BundleRefusal::Malformed);
  // An empty bundle is allowed: it carries no rules (the agent's loader decides what that means).
  CHECK(rules::packBundle({}, spec, k.seed).ok());
}

TEST_CASE("bundle: parseBundleUnverified shows a bundle without a key, and still refuses junk") {
  const Key k(6);
  const std::string bytes = Raw{}.encode(k);
  auto b = rules::parseBundleUnverified(bytes);
  REQUIRE(b.ok());
  CHECK(b->meta.key_id == rules::bundleKeyId(k.pub));
  CHECK(rules::parseBundleUnverified("CABUNDLE").error().code == BundleRefusal::Malformed);
  CHECK(rules::parseBundleUnverified(bytes + "x").error().code == BundleRefusal::Malformed);
}

TEST_CASE("bundle: the fuzz seeds verify with the fuzz target's key, so mutations start past the signature") {
  const Key fuzz_key(0x11);
  const auto dir = std::filesystem::path(CA_SOURCE_DIR) / "tests/fuzz/seeds/bundle_verify";
  int seen = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    INFO(e.path());
    CHECK(rules::verifyBundleSignature(bytes, {fuzz_key.pub}).ok());
    ++seen;
  }
  CHECK(seen >= 3);
}
