// config_value as a benchmark reads sshd_config (issue 10): trailing comments, values sshd
// refuses, Match blocks, conflicting definitions, explicit settings; and file probes on a file
// that does not exist (`missing:`).
#include "check_fixture.h"
#include "checks/config_formats.h"
#include "checks/sshd_keywords.h"

using checks::Status;
using testsupport::CheckFixture;
using testsupport::oneCheck;

namespace {

std::string sshdProbe(const std::string& key, const std::string& expect, const std::string& extra = "") {
  return "{type: config_value, format: sshd, path: /etc/ssh/sshd_config, key: " + key + ", expect: " + expect +
         (extra.empty() ? "" : ", " + extra) + "}";
}

checks::Finding runSshd(CheckFixture& fx, const std::string& config, const std::string& probe) {
  fx.write("etc/ssh/sshd_config", config);
  return fx.runOne(oneCheck(probe));
}

}  // namespace

TEST_CASE("sshd arguments: a word starting with # begins a comment, quotes keep a word whole") {
  CHECK(checks::sshdArguments("no # legacy") == "no");
  CHECK(checks::sshdArguments("no#x") == "no#x");  // inside a word it is part of the word
  CHECK(checks::sshdArguments("3   #c") == "3");
  CHECK(checks::sshdArguments("\"/etc/issue net\" x") == "/etc/issue net x");
  CHECK(checks::sshdArguments("# all comment").empty());
  CHECK(checks::sshdArguments("'a b' c") == "a b c");
  CHECK(checks::sshdArguments("x\\ y") == "x y");
  CHECK(checks::sshdArguments("\"#not\" # yes") == "#not");
}

TEST_CASE("sshd values are read as sshd reads them: kinds, ranges, times in seconds") {
  using checks::readSshdValue;
  CHECK(readSshdValue("PermitRootLogin", "No").effective == "no");
  CHECK_FALSE(readSshdValue("PermitRootLogin", "wrong_value").valid);
  CHECK_FALSE(readSshdValue("MaxAuthTries", "-1").valid);
  CHECK_FALSE(readSshdValue("MaxAuthTries", "4.5").valid);
  CHECK(readSshdValue("MaxAuthTries", "03").effective == "3");
  CHECK(readSshdValue("LoginGraceTime", "1m30s").effective == "90");
  CHECK_FALSE(readSshdValue("LoginGraceTime", "1x").valid);
  CHECK_FALSE(readSshdValue("X11Forwarding", "no yes").valid);
  CHECK_FALSE(readSshdValue("Ciphers", "aes128-ctr,nonsense").valid);
  CHECK(readSshdValue("Ciphers", "+aes128-cbc").effective.find("aes128-cbc") != std::string::npos);
  CHECK(readSshdValue("MACs", "-hmac-sha1*,umac-64*").effective.find("sha1") == std::string::npos);
  CHECK(readSshdValue("Banner", "/etc/issue.net").effective == "/etc/issue.net");  // not in the table
}

TEST_CASE("config_value sshd: a trailing comment is not part of the value") {
  CheckFixture fx;
  auto f = runSshd(fx, "PermitRootLogin no # c\nMaxAuthTries 3 # c\n", sshdProbe("PermitRootLogin", "{op: eq, value: \"no\"}"));
  CHECK(f.status == Status::Compliant);
  CHECK(f.actual == "no");
  f = fx.runOne(oneCheck(sshdProbe("MaxAuthTries", "{op: lt, value: \"5\"}")));
  CHECK(f.status == Status::Compliant);
  CHECK(f.actual == "3");
}

TEST_CASE("config_value sshd: a value sshd refuses is drifted with the reason, wherever it is") {
  CheckFixture fx;
  for (const char* bad : {"-1", "4.5"}) {
    auto f = runSshd(fx, std::string("MaxAuthTries ") + bad + "\n", sshdProbe("MaxAuthTries", "{op: lt, value: \"5\"}"));
    CHECK(f.status == Status::Drifted);
    CHECK(f.details["reason"].find("sshd refuses") != std::string::npos);
    CHECK(f.details["source"] == "/etc/ssh/sshd_config:1");
  }
  // First value wins, but a refused second one fails the file: sshd -t refuses it.
  auto f = runSshd(fx, "PermitRootLogin no\nPermitRootLogin wrong_value\n",
                   sshdProbe("PermitRootLogin", "{op: eq, value: \"no\"}"));
  CHECK(f.status == Status::Drifted);
  CHECK(f.details["reason"].find("not one of") != std::string::npos);
  CHECK(f.details["source"] == "/etc/ssh/sshd_config:2");
}

TEST_CASE("config_value sshd: a Match block that weakens the setting is drifted, naming the block") {
  CheckFixture fx;
  const std::string probe = sshdProbe("PermitRootLogin", "{op: eq, value: \"no\"}");
  auto f = runSshd(fx, "PermitRootLogin no\nMatch Address 10.0.0.0/8\n  PermitRootLogin yes\n", probe);
  CHECK(f.status == Status::Drifted);
  CHECK(f.actual == "yes");
  CHECK(f.details["match"] == "Match Address 10.0.0.0/8");
  CHECK(f.details["source"] == "/etc/ssh/sshd_config:3");
  // A block that keeps it as strict (or sets something else) changes nothing.
  f = runSshd(fx, "PermitRootLogin no\nMatch User backup\n  PermitRootLogin no\n  X11Forwarding yes\n", probe);
  CHECK(f.status == Status::Compliant);
  // Settings after a Match line are the block's, never global.
  f = runSshd(fx, "Match User backup\n  PermitRootLogin no\n", sshdProbe("PermitRootLogin", "{op: eq, value: \"no\"}", "default: prohibit-password"));
  CHECK(f.status == Status::Drifted);
  CHECK(f.details["source"] == "default");
}

TEST_CASE("config_value: conflict: fail drifts differing definitions, precedence keeps the format's winner") {
  CheckFixture fx;
  const std::string config = "PermitRootLogin no\nPermitRootLogin yes\n";
  auto f = runSshd(fx, config, sshdProbe("PermitRootLogin", "{op: eq, value: \"no\"}"));
  CHECK(f.status == Status::Compliant);  // sshd takes the first
  f = fx.runOne(oneCheck(sshdProbe("PermitRootLogin", "{op: eq, value: \"no\"}", "conflict: fail")));
  CHECK(f.status == Status::Drifted);
  CHECK(f.details["reason"].find("conflicting definitions") != std::string::npos);
  CHECK(f.details["reason"].find("sshd_config:2") != std::string::npos);
  // The same value twice (in any case) is no conflict.
  f = runSshd(fx, "PermitRootLogin no\nPermitRootLogin No\n", sshdProbe("PermitRootLogin", "{op: eq, value: \"no\"}", "conflict: fail"));
  CHECK(f.status == Status::Compliant);
}

TEST_CASE("config_value: explicit: true needs the key written, missing and commented-out are told apart") {
  CheckFixture fx;
  const std::string probe = sshdProbe("PermitEmptyPasswords", "{op: eq, value: \"no\"}", "default: \"no\", explicit: true");
  auto f = runSshd(fx, "#PermitEmptyPasswords no\n", probe);
  CHECK(f.status == Status::Drifted);
  CHECK(f.actual == "(not set)");
  CHECK(f.details["reason"].find("commented out at /etc/ssh/sshd_config:1") != std::string::npos);
  f = runSshd(fx, "X11Forwarding no\n", probe);
  CHECK(f.status == Status::Drifted);
  CHECK(f.details["reason"].find("not set in any file") != std::string::npos);
  f = runSshd(fx, "PermitEmptyPasswords no\n", probe);
  CHECK(f.status == Status::Compliant);
  // Without explicit, the default counts.
  f = runSshd(fx, "#PermitEmptyPasswords no\n", sshdProbe("PermitEmptyPasswords", "{op: eq, value: \"no\"}", "default: \"no\""));
  CHECK(f.status == Status::Compliant);
  // The other formats know commented-out keys too.
  fx.write("etc/login.env", "#UMASK=022\n");
  f = fx.runOne(oneCheck("{type: config_value, format: keyvalue, path: /etc/login.env, key: UMASK, explicit: true, "
                         "expect: {op: eq, value: \"027\"}}"));
  CHECK(f.details["reason"].find("commented out at /etc/login.env:1") != std::string::npos);
}

TEST_CASE("file_mode and file_owner of a file that does not exist: missing: pass (default), fail, not_applicable") {
  CheckFixture fx;
  auto f = fx.runOne(oneCheck("{type: file_mode, path: /etc/gone, max_mode: \"0640\"}"));
  CHECK(f.status == Status::Compliant);
  CHECK(f.actual == "absent");
  CHECK(f.details["reason"] == "absent");
  f = fx.runOne(oneCheck("{type: file_mode, path: /etc/gone, max_mode: \"0640\", missing: fail}"));
  CHECK(f.status == Status::Drifted);
  f = fx.runOne(oneCheck("{type: file_owner, path: /etc/gone, owner: root, missing: not_applicable}"));
  CHECK(f.status == Status::NotApplicable);
  f = fx.runOne(oneCheck("{type: file_owner, path: /etc/gone, owner: root}"));
  CHECK(f.status == Status::Compliant);
  auto bad = rules::loadRuleSources({{"t.yaml", oneCheck("{type: file_mode, path: /etc/x, max_mode: \"0640\", missing: maybe}"), ""}},
                                    rules::KnownTypes::all());
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().format().find("missing") != std::string::npos);
}
