#include <catch2/catch.hpp>

#include "checks/config_formats.h"

using namespace checks;

namespace {
std::string valueOf(ConfigFormat f, std::string_view text, std::string_view key, std::string_view section = {}) {
  auto v = findConfigValue(f, parseConfig(f, text, section), key);
  return v ? v->value : "(absent)";
}
}  // namespace

TEST_CASE("sshd: case-insensitive keys, first value wins, Match blocks ignored") {
  const char* text =
      "# PermitRootLogin yes\n"
      "permitrootlogin no\n"
      "PermitRootLogin yes\n"
      "MaxAuthTries=3\n"
      "Banner \"/etc/issue net\"\n"
      "Match User backup\n"
      "  PasswordAuthentication yes\n";
  CHECK(valueOf(ConfigFormat::Sshd, text, "PermitRootLogin") == "no");
  CHECK(valueOf(ConfigFormat::Sshd, text, "maxauthtries") == "3");
  CHECK(valueOf(ConfigFormat::Sshd, text, "Banner") == "/etc/issue net");
  CHECK(valueOf(ConfigFormat::Sshd, text, "PasswordAuthentication") == "(absent)");
  auto line = findConfigValue(ConfigFormat::Sshd, parseConfig(ConfigFormat::Sshd, text), "PermitRootLogin");
  CHECK(line->line == 2);
}

TEST_CASE("sshd: Include directives are reported in order with their position") {
  auto p = parseConfig(ConfigFormat::Sshd, "Include /etc/ssh/sshd_config.d/*.conf\nX11Forwarding no\nMatch all\nInclude /x\n");
  REQUIRE(p.includes.size() == 1);
  CHECK(p.includes[0].pattern == "/etc/ssh/sshd_config.d/*.conf");
  CHECK(p.include_pos[0] == 0);
  CHECK(p.entries.size() == 1);
}

TEST_CASE("sysctl: last wins, slashes normalised, comments and '-' prefix") {
  const char* text = "; comment\nnet.ipv4.ip_forward = 1\n# x\nnet/ipv4/ip_forward=0\n-kernel.kptr_restrict = 2\n";
  CHECK(valueOf(ConfigFormat::Sysctl, text, "net.ipv4.ip_forward") == "0");
  CHECK(valueOf(ConfigFormat::Sysctl, text, "kernel/kptr_restrict") == "2");
}

TEST_CASE("ini: sections and last wins") {
  const char* text = "[Journal]\n#Storage=auto\nStorage=volatile\n[Other]\nStorage=none\n[Journal]\nStorage=persistent\n";
  CHECK(valueOf(ConfigFormat::Ini, text, "Storage", "Journal") == "persistent");
  CHECK(valueOf(ConfigFormat::Ini, text, "Storage", "Other") == "none");
  CHECK(valueOf(ConfigFormat::Ini, text, "Storage", "Missing") == "(absent)");
}

TEST_CASE("keyvalue: shell-style quotes, export and trailing comments") {
  const char* text = "ID=nixos\nexport NAME=\"Nix OS\"\nVERSION='23.11' \nX=1 # note\nBAD = 2\n";
  CHECK(valueOf(ConfigFormat::KeyValue, text, "ID") == "nixos");
  CHECK(valueOf(ConfigFormat::KeyValue, text, "NAME") == "Nix OS");
  CHECK(valueOf(ConfigFormat::KeyValue, text, "VERSION") == "23.11");
  CHECK(valueOf(ConfigFormat::KeyValue, text, "X") == "1");
  CHECK(valueOf(ConfigFormat::KeyValue, text, "BAD") == "(absent)");
}

TEST_CASE("keyword: login.defs names and values split at the first blank, last wins") {
  const char* text = "# PASS_MAX_DAYS 99999\nPASS_MAX_DAYS\t99999\nPASS_MAX_DAYS   365  \nENCRYPT_METHOD \"SHA512\"\n"
                     "UMASK 027 # trailing words are part of the value\nlone\npass_min_days 1\n";
  CHECK(valueOf(ConfigFormat::Keyword, text, "PASS_MAX_DAYS") == "365");
  CHECK(valueOf(ConfigFormat::Keyword, text, "ENCRYPT_METHOD") == "SHA512");
  CHECK(valueOf(ConfigFormat::Keyword, text, "UMASK") == "027 # trailing words are part of the value");
  CHECK(valueOf(ConfigFormat::Keyword, text, "lone") == "(absent)");
  CHECK(valueOf(ConfigFormat::Keyword, text, "PASS_MIN_DAYS") == "(absent)");  // names are case-sensitive
  const auto parsed = parseConfig(ConfigFormat::Keyword, text, "");
  REQUIRE(parsed.commented.size() == 1);
  CHECK(parsed.commented[0].key == "PASS_MAX_DAYS");
}

TEST_CASE("parsers survive binary and pathological input") {
  std::string junk;
  for (int i = 0; i < 5000; ++i) junk += static_cast<char>(i * 37);
  for (auto f : {ConfigFormat::Sshd, ConfigFormat::Sysctl, ConfigFormat::Ini, ConfigFormat::KeyValue, ConfigFormat::Keyword}) {
    (void)parseConfig(f, junk, "x");
    CHECK(parseConfig(f, std::string(3'000'000, 'a'), "").entries.size() <= 1);
    CHECK(parseConfig(f, "", "").entries.empty());
  }
}
