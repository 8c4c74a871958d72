// `rules pack` and `rules inspect` through the real binary: pack then inspect (unverified,
// verified with the right key as hex and as a file, refused with a wrong key), an invalid rules
// directory, a too-open key, an existing output.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sodium.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/run_process.h"
#include "support/temp_dir.h"

using testsupport::runAgent;

namespace {

std::string hex(const unsigned char* p, std::size_t n) {
  std::string out(2 * n + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), p, n);
  out.pop_back();
  return out;
}

struct RulesKey {
  std::string key_path, pub_hex;
  RulesKey(const testsupport::TempDir& dir, unsigned char n, const std::string& name) {
    REQUIRE(sodium_init() >= 0);
    unsigned char seed[32], pk[32], sk[64];
    std::fill(seed, seed + 32, n);
    crypto_sign_seed_keypair(pk, sk, seed);
    key_path = dir.write(name + ".key", hex(seed, 32) + "\n").string();
    ::chmod(key_path.c_str(), 0600);
    pub_hex = hex(pk, 32);
    dir.write(name + ".pub", pub_hex + "\n");
  }
};

const std::string kRulesDir = std::string(CA_SOURCE_DIR) + "/rules/linux";

std::vector<std::string> packArgs(const std::string& dir, const std::string& key, const std::string& out) {
  return {"rules", "pack", dir, "--site", "clinic-a", "--tier", "standard", "--version", "7", "--expires", "30d",
          "--key", key, "-o", out};
}

}  // namespace

TEST_CASE("rules pack then rules inspect, without a key, with the right one and with a wrong one") {
  testsupport::TempDir dir;
  RulesKey key(dir, 1, "rules"), other(dir, 2, "other");
  const std::string bundle = (dir.path() / "b.bundle").string();
  auto pack = runAgent(packArgs(kRulesDir, key.key_path, bundle));
  INFO(pack.err);
  REQUIRE(pack.exit_code == 0);
  CHECK(std::filesystem::exists(bundle));

  auto plain = runAgent({"rules", "inspect", bundle});
  CHECK(plain.exit_code == 0);
  CHECK(plain.out.find("site:      clinic-a") != std::string::npos);
  CHECK(plain.out.find("version:   7") != std::string::npos);
  CHECK(plain.out.find("signature: not checked") != std::string::npos);
  CHECK(plain.out.find("accounts.yaml") != std::string::npos);

  auto verified = runAgent({"rules", "inspect", bundle, "--pubkey", key.pub_hex});
  CHECK(verified.exit_code == 0);
  CHECK(verified.out.find("signature: verified with key") != std::string::npos);
  auto from_file = runAgent({"rules", "inspect", bundle, "--pubkey", (dir.path() / "rules.pub").string(), "--json"});
  CHECK(from_file.exit_code == 0);
  const auto doc = nlohmann::json::parse(from_file.out);
  CHECK(doc.at("verified") == true);
  CHECK(doc.at("site_id") == "clinic-a");
  CHECK(doc.at("tier") == "standard");
  CHECK(doc.at("version") == 7);
  CHECK(doc.at("files").size() >= 3);
  CHECK(doc.at("expires_unix_ms").get<std::int64_t>() - doc.at("created_unix_ms").get<std::int64_t>() == 30LL * 86'400'000);

  auto wrong = runAgent({"rules", "inspect", bundle, "--pubkey", other.pub_hex, "--json"});
  CHECK(wrong.exit_code == 1);
  const auto wdoc = nlohmann::json::parse(wrong.out);
  CHECK(wdoc.at("verified") == false);
  CHECK(wdoc.at("refusal").at("code") == "unknown_key");
  CHECK(wrong.err.find("refused: unknown_key") != std::string::npos);

  // Never over an existing file, the bundle left as it was.
  auto again = runAgent(packArgs(kRulesDir, key.key_path, bundle));
  CHECK(again.exit_code == 2);
  CHECK(again.err.find("already exists") != std::string::npos);
  CHECK(runAgent({"rules", "inspect", bundle, "--pubkey", key.pub_hex}).exit_code == 0);
}

TEST_CASE("rules inspect refuses a damaged bundle and a file that is not one") {
  testsupport::TempDir dir;
  RulesKey key(dir, 1, "rules");
  const std::string bundle = (dir.path() / "b.bundle").string();
  REQUIRE(runAgent(packArgs(kRulesDir, key.key_path, bundle)).exit_code == 0);
  std::string bytes;
  {
    std::ifstream in(bundle, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  bytes[bytes.size() / 2] ^= 1;
  const auto damaged = dir.write("damaged.bundle", bytes).string();
  auto r = runAgent({"rules", "inspect", damaged, "--pubkey", key.pub_hex});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("bad_signature") != std::string::npos);
  auto junk = runAgent({"rules", "inspect", dir.write("junk.bundle", "hello").string()});
  CHECK(junk.exit_code == 1);
  CHECK(junk.err.find("malformed") != std::string::npos);
  CHECK(runAgent({"rules", "inspect", bundle, "--pubkey", "not-a-key"}).exit_code == 2);
}

TEST_CASE("rules pack of an invalid rules directory exits 2 with the loader's messages and makes nothing") {
  testsupport::TempDir dir;
  RulesKey key(dir, 1, "rules");
  dir.write("bad/a.yaml", "checks:\n  - id: X\n    nonsense: 1\n");
  const std::string bundle = (dir.path() / "b.bundle").string();
  auto r = runAgent(packArgs((dir.path() / "bad").string(), key.key_path, bundle));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("a.yaml:") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(bundle));
}

TEST_CASE("rules pack refuses a key file others can read, a bad tier and a bad duration") {
  testsupport::TempDir dir;
  RulesKey key(dir, 1, "rules");
  const std::string bundle = (dir.path() / "b.bundle").string();
  ::chmod(key.key_path.c_str(), 0644);
  auto open_key = runAgent(packArgs(kRulesDir, key.key_path, bundle));
  CHECK(open_key.exit_code == 2);
  CHECK(open_key.err.find("chmod 600") != std::string::npos);
  ::chmod(key.key_path.c_str(), 0600);
  auto args = packArgs(kRulesDir, key.key_path, bundle);
  args[6] = "gold";
  CHECK(runAgent(args).exit_code == 2);
  args = packArgs(kRulesDir, key.key_path, bundle);
  args[10] = "30 days";
  CHECK(runAgent(args).exit_code == 2);
  auto missing = runAgent(packArgs(kRulesDir, (dir.path() / "none.key").string(), bundle));
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("none.key: no such file") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(bundle));
}
