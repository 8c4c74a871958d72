// central's signing keys: made once with their modes, loaded unchanged afterwards, refused when
// half missing, mismatched or open to others; signatures follow central.proto's domain rule.
#include <catch2/catch.hpp>
#include <sodium.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "keys.h"
#include "support/temp_dir.h"

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

unsigned modeOf(const std::filesystem::path& p) {
  struct stat st{};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("the two keys are made at the first load, with their modes, and never replaced") {
  testsupport::TempDir tmp{"ca-central-keys"};
  const auto data = tmp.path().string();
  auto first = central::loadOrCreateServerKeys(data);
  REQUIRE(first.ok());
  CHECK(first->created);
  const auto keys = tmp.path() / "keys";
  CHECK(modeOf(keys) == 0700);
  CHECK(modeOf(keys / "online-ed25519.key") == 0600);
  CHECK(modeOf(keys / "rules-ed25519.key") == 0600);
  CHECK(modeOf(keys / "online-ed25519.pub") == 0644);
  CHECK(slurp(keys / "online-ed25519.pub") == first->online.publicKeyHex() + "\n");
  CHECK(slurp(keys / "rules-ed25519.pub") == first->rules.publicKeyHex() + "\n");
  CHECK(first->online.publicKeyHex() != first->rules.publicKeyHex());
  CHECK(first->online.publicKey().size() == 32);
  CHECK(first->online.keyId().size() == 64);

  const auto online_seed = slurp(keys / "online-ed25519.key");
  auto second = central::loadOrCreateServerKeys(data);
  REQUIRE(second.ok());
  CHECK_FALSE(second->created);
  CHECK(second->online.publicKeyHex() == first->online.publicKeyHex());
  CHECK(second->rules.publicKeyHex() == first->rules.publicKeyHex());
  CHECK(slurp(keys / "online-ed25519.key") == online_seed);

  SECTION("a lost public file is rewritten from the private key") {
    std::filesystem::remove(keys / "rules-ed25519.pub");
    auto third = central::loadOrCreateServerKeys(data);
    REQUIRE(third.ok());
    CHECK(slurp(keys / "rules-ed25519.pub") == first->rules.publicKeyHex() + "\n");
  }
  SECTION("a public file without its private key is refused, not replaced by a new pair") {
    std::filesystem::remove(keys / "online-ed25519.key");
    auto third = central::loadOrCreateServerKeys(data);
    REQUIRE_FALSE(third.ok());
    CHECK(third.error().code == central::KeyErrc::Invalid);
    CHECK_FALSE(std::filesystem::exists(keys / "online-ed25519.key"));
  }
  SECTION("a public file that does not match is refused") {
    tmp.write("keys/online-ed25519.pub", std::string(64, 'a') + "\n");
    auto third = central::loadOrCreateServerKeys(data);
    REQUIRE_FALSE(third.ok());
    CHECK(third.error().code == central::KeyErrc::Invalid);
  }
  SECTION("a private key others can read is refused") {
    REQUIRE(::chmod((keys / "rules-ed25519.key").c_str(), 0640) == 0);
    auto third = central::loadOrCreateServerKeys(data);
    REQUIRE_FALSE(third.ok());
    CHECK(third.error().code == central::KeyErrc::Insecure);
  }
  SECTION("a private key that is not a seed is refused") {
    REQUIRE(::chmod((keys / "rules-ed25519.key").c_str(), 0600) == 0);
    std::ofstream(keys / "rules-ed25519.key") << "not hex\n";
    auto third = central::loadOrCreateServerKeys(data);
    REQUIRE_FALSE(third.ok());
    CHECK(third.error().code == central::KeyErrc::Invalid);
  }
}

TEST_CASE("signPayload signs the domain, a NUL and the payload, and nothing else verifies") {
  testsupport::TempDir tmp{"ca-central-sign"};
  auto keys = central::loadOrCreateServerKeys(tmp.path().string());
  REQUIRE(keys.ok());
  const std::string domain = "compliance.central.v1.TierStatement";
  const std::string payload("\x08\x01\x00\xff", 4);
  const std::string sig = keys->online.signPayload(domain, payload);
  REQUIRE(sig.size() == 64);
  const std::string pk = keys->online.publicKey();
  auto verifies = [&](const std::string& message, const std::string& key) {
    return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.data()),
                                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                       reinterpret_cast<const unsigned char*>(key.data())) == 0;
  };
  CHECK(verifies(domain + std::string(1, '\0') + payload, pk));
  CHECK_FALSE(verifies(payload, pk));
  CHECK_FALSE(verifies("compliance.central.v1.OrderPayload" + std::string(1, '\0') + payload, pk));
  CHECK_FALSE(verifies(domain + std::string(1, '\0') + payload, keys->rules.publicKey()));
}
