#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <fstream>

#include "evidence/keys.h"
#include "support/temp_dir.h"

namespace {
mode_t modeOf(const std::string& path) {
  struct stat st{};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}
}  // namespace

TEST_CASE("the evidence key is made once, private, and reused") {
  testsupport::TempDir dir;
  bool created = false;
  auto first = evidence::loadOrCreateKey(dir.path().string(), &created);
  REQUIRE(first.ok());
  CHECK(created);
  CHECK(modeOf(dir.path().string() + "/keys") == 0700);
  CHECK(modeOf(evidence::privateKeyPath(dir.path().string())) == 0600);
  auto again = evidence::loadOrCreateKey(dir.path().string(), &created);
  REQUIRE(again.ok());
  CHECK_FALSE(created);
  CHECK((*again)->publicKey() == (*first)->publicKey());
  auto pub = evidence::readPublicKeyFile(evidence::publicKeyPath(dir.path().string()));
  REQUIRE(pub.ok());
  CHECK(*pub == (*first)->publicKey());

  // keygen never replaces a key: evidence signed by it would stop verifying.
  auto replace = evidence::createKey(dir.path().string());
  REQUIRE_FALSE(replace.ok());
  CHECK(replace.error().code == evidence::KeyErrc::Exists);
}

TEST_CASE("a private key others can read, or a public file that does not match, is refused") {
  testsupport::TempDir dir;
  REQUIRE(evidence::loadOrCreateKey(dir.path().string()).ok());
  const std::string priv = evidence::privateKeyPath(dir.path().string());
  REQUIRE(::chmod(priv.c_str(), 0644) == 0);
  auto insecure = evidence::loadKey(dir.path().string());
  REQUIRE_FALSE(insecure.ok());
  CHECK(insecure.error().code == evidence::KeyErrc::Insecure);
  CHECK(insecure.error().message.find("chmod 600") != std::string::npos);
  REQUIRE(::chmod(priv.c_str(), 0600) == 0);

  std::ofstream(evidence::publicKeyPath(dir.path().string()), std::ios::trunc) << std::string(64, 'a') << "\n";
  auto mismatch = evidence::loadKey(dir.path().string());
  REQUIRE_FALSE(mismatch.ok());
  CHECK(mismatch.error().code == evidence::KeyErrc::Invalid);

  std::ofstream(priv, std::ios::trunc) << "not hex\n";
  CHECK(evidence::loadKey(dir.path().string()).error().code == evidence::KeyErrc::Invalid);
}

TEST_CASE("read-only users get NotFound, never a new key") {
  testsupport::TempDir dir;
  auto none = evidence::loadKey(dir.path().string());
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().code == evidence::KeyErrc::NotFound);
  struct stat st{};
  CHECK(::stat((dir.path().string() + "/keys").c_str(), &st) != 0);
}

TEST_CASE("a public key without its private key is never silently replaced by a new pair") {
  testsupport::TempDir dir;
  const std::string state = dir.path().string();
  REQUIRE(evidence::loadOrCreateKey(state).ok());
  const std::string pub = evidence::publicKeyPath(state);
  std::ifstream before_in(pub);
  std::string before;
  std::getline(before_in, before);
  REQUIRE(::unlink(evidence::privateKeyPath(state).c_str()) == 0);
  auto again = evidence::loadOrCreateKey(state);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == evidence::KeyErrc::Invalid);
  CHECK(again.error().message.find("without its private key") != std::string::npos);
  std::ifstream after_in(pub);
  std::string after;
  std::getline(after_in, after);
  CHECK(after == before);  // the only copy of the old public key is kept
}
