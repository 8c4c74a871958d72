#include <sys/stat.h>

#include "check_fixture.h"
#include "checks/redaction.h"

using checks::Status;
using testsupport::CheckFixture;
using testsupport::oneCheck;

TEST_CASE("file_mode passes at or below the limit and names the excess bits") {
  CheckFixture fx;
  fx.write("etc/shadow", "x", 0600);
  auto f = fx.runOne(oneCheck("{type: file_mode, path: /etc/shadow, max_mode: \"0640\"}"));
  CHECK(f.status == Status::Compliant);
  CHECK(f.target == "/etc/shadow");
  CHECK(f.actual == "0600");
  fx.write("etc/shadow", "x", 02640);
  f = fx.runOne(oneCheck("{type: file_mode, path: /etc/shadow, max_mode: \"0640\"}"));
  CHECK(f.status == Status::Drifted);
  CHECK(f.actual == "2640");
  CHECK(f.details["excess_bits"] == "2000");
  f = fx.runOne(oneCheck("{type: file_mode, path: /etc/missing, max_mode: \"0640\", missing: fail}"));
  CHECK(f.status == Status::Drifted);
  CHECK(f.actual == "absent");
}

TEST_CASE("file_owner resolves names through the host root's passwd, not the machine's") {
  if (geteuid() != 0) {
    WARN("not root: owner fixtures cannot be planted");
    return;
  }
  CheckFixture fx;
  auto p = fx.write("etc/group.conf", "x");
  REQUIRE(::chown(p.c_str(), 1000, 1000) == 0);
  auto f = fx.runOne(oneCheck("{type: file_owner, path: /etc/group.conf, owner: root}"));
  CHECK(f.status == Status::Drifted);
  CHECK(f.actual == "clinic");
  f = fx.runOne(oneCheck("{type: file_owner, path: /etc/group.conf, owner: clinic, group: clinic}"));
  CHECK(f.status == Status::Compliant);
  CHECK(f.actual == "clinic:clinic");
  f = fx.runOne(oneCheck("{type: file_owner, path: /etc/group.conf, owner: nobody-here}"));
  CHECK(f.status == Status::Error);
  CHECK(f.details["reason"].find("nobody-here") != std::string::npos);
}

TEST_CASE("file_owner with only a group checks the group, not the owner") {
  if (geteuid() != 0) {
    WARN("not root: owner fixtures cannot be planted");
    return;
  }
  CheckFixture fx;
  auto p = fx.write("etc/gshadow", "x", 0640);
  REQUIRE(::chown(p.c_str(), 1000, 42) == 0);  // owner clinic, group shadow
  auto f = fx.runOne(oneCheck("{type: file_owner, path: /etc/gshadow, group: shadow}"));
  CHECK(f.status == Status::Compliant);
  CHECK(f.expected == ":shadow");
  CHECK(f.actual == ":shadow");
  CHECK(f.details["uid"] == "1000");
  REQUIRE(::chown(p.c_str(), 0, 1000) == 0);
  f = fx.runOne(oneCheck("{type: file_owner, path: /etc/gshadow, group: shadow}"));
  CHECK(f.status == Status::Drifted);
  CHECK(f.actual == ":clinic");
  CHECK(fx.runOne(oneCheck("{type: file_owner, path: /etc/gshadow, owner: root}")).status == Status::Compliant);
  f = fx.runOne(oneCheck("{type: file_owner, path: /etc/gshadow, group: no-such-group}"));
  CHECK(f.status == Status::Error);
  // Missing file: passes by default, as for owner checks.
  f = fx.runOne(oneCheck("{type: file_owner, path: /etc/gshadow-, group: shadow}"));
  CHECK(f.status == Status::Compliant);
  CHECK(f.details["reason"] == "absent");
}

TEST_CASE("file_regex over a directory: the files matching names, in name order, no subdirectories") {
  CheckFixture fx;
  fx.write("etc/audit/rules.d/10-base.rules", "## base\n-D\n# -w /etc/passwd -p wa -k identity\n");
  fx.write("etc/audit/rules.d/50-identity.rules", "-w /etc/group -p wa -k identity\n-w /etc/passwd -p wa -k identity\n");
  fx.write("etc/audit/rules.d/99-finalize.conf", "-e 2\n");          // not *.rules: augenrules skips it
  fx.write("etc/audit/rules.d/.hidden.rules", "-e 2\n");             // a leading dot needs a dotted glob
  fx.write("etc/audit/rules.d/sub.rules/deep.rules", "-e 2\n");      // a directory is not entered
  fx.write("etc/audit/real.rules", "-a always,exit -F arch=b64 -S mount -k mounts\n");
  fx.symlink("/etc/audit/real.rules", "etc/audit/rules.d/60-linked.rules");
  fx.symlink("/etc/audit/gone.rules", "etc/audit/rules.d/70-dangling.rules");
  const auto check = [&](const std::string& pattern, bool present) {
    return fx.runOne(oneCheck("{type: file_regex, path: /etc/audit/rules.d, names: '*.rules', present: " +
                              std::string(present ? "true" : "false") + ", pattern: '" + pattern + "'}"));
  };
  auto f = check("^-w /etc/passwd ", true);
  CHECK(f.status == Status::Compliant);
  CHECK(f.target == "/etc/audit/rules.d");
  CHECK(f.details["file"] == "/etc/audit/rules.d/50-identity.rules");
  CHECK(f.details["line"] == "2");
  CHECK(f.details["files_read"] == "2");  // stops at the first file with a match
  f = check("^-e 2", true);
  CHECK(f.status == Status::Drifted);
  CHECK(f.actual == "no matching line");
  CHECK(f.details["files_read"] == "3");
  CHECK(check("-S mount", true).status == Status::Compliant);  // through the link
  f = check("^-D$", false);  // present: false drifts on a line of any file
  CHECK(f.status == Status::Drifted);
  CHECK(f.details["file"] == "/etc/audit/rules.d/10-base.rules");
  // The default names are *.conf, as config_value reads a drop-in directory.
  CHECK(fx.runOne(oneCheck("{type: file_regex, path: /etc/audit/rules.d, pattern: '^-e 2'}")).status == Status::Compliant);
  CHECK(fx.runOne(oneCheck("{type: file_regex, path: /etc/audit/rules.d, names: '.*', pattern: '^-e 2'}")).status ==
        Status::Compliant);
}

TEST_CASE("file_regex over paths: present in any file, absent from all, missing files listed") {
  CheckFixture fx;
  fx.write("etc/sudoers", "Defaults env_reset\n#Defaults use_pty\n", 0440);
  fx.write("etc/sudoers.d/README", "# Files in this directory are read by sudo\n");
  const std::string pty = "{type: file_regex, paths: [/etc/sudoers, /etc/sudoers.d], names: '*', pattern: '^\\s*Defaults\\s+use_pty'}";
  auto f = fx.runOne(oneCheck(pty));
  CHECK(f.status == Status::Drifted);
  CHECK(f.target == "/etc/sudoers");
  CHECK(f.details["files_read"] == "2");
  fx.write("etc/sudoers.d/hardening", "Defaults use_pty\n");
  f = fx.runOne(oneCheck(pty));
  CHECK(f.status == Status::Compliant);
  CHECK(f.details["file"] == "/etc/sudoers.d/hardening");

  const std::string no_nopasswd = "{type: file_regex, paths: [/etc/sudoers, /etc/sudoers.local, /etc/sudoers.d], names: '*', "
                                  "present: false, pattern: 'NOPASSWD'}";
  f = fx.runOne(oneCheck(no_nopasswd));
  CHECK(f.status == Status::Compliant);
  CHECK(f.details["missing_files"] == "/etc/sudoers.local");
  fx.write("etc/sudoers.d/zz-ops", "%ops ALL=(ALL) NOPASSWD: ALL\n");
  f = fx.runOne(oneCheck(no_nopasswd));
  CHECK(f.status == Status::Drifted);
  CHECK(f.details["file"] == "/etc/sudoers.d/zz-ops");
  CHECK(f.details["line"] == "1");

  // Nothing to read at all: present is drifted, absent compliant.
  f = fx.runOne(oneCheck("{type: file_regex, paths: [/etc/a, /etc/b], pattern: x}"));
  CHECK(f.status == Status::Drifted);
  CHECK(f.details["missing_files"] == "/etc/a, /etc/b");
}

TEST_CASE("file_exists and file_absent") {
  CheckFixture fx;
  fx.write("etc/issue", "hello");
  CHECK(fx.runOne(oneCheck("{type: file_exists, path: /etc/issue}")).status == Status::Compliant);
  CHECK(fx.runOne(oneCheck("{type: file_exists, path: /etc/nope}")).status == Status::Drifted);
  CHECK(fx.runOne(oneCheck("{type: file_absent, path: /etc/issue}")).status == Status::Drifted);
  CHECK(fx.runOne(oneCheck("{type: file_absent, path: /etc/nope}")).status == Status::Compliant);
}

TEST_CASE("file_regex: present / absent lines, comments skipped, shadow content redacted") {
  CheckFixture fx;
  fx.write("etc/ssh/sshd_config", "# Ciphers aes128-cbc\nCiphers aes256-ctr\n");
  const std::string weak = "{type: file_regex, path: /etc/ssh/sshd_config, present: false, pattern: '(?i)^\\s*ciphers\\s+.*cbc'}";
  CHECK(fx.runOne(oneCheck(weak)).status == Status::Compliant);
  fx.write("etc/ssh/sshd_config", "Ciphers aes128-cbc,aes256-ctr\n");
  auto f = fx.runOne(oneCheck(weak));
  CHECK(f.status == Status::Drifted);
  CHECK(f.details["line"] == "1");
  CHECK(f.details["text"] == "Ciphers aes128-cbc,aes256-ctr");

  fx.write("etc/shadow", "root:$6$SECRETHASH$abc:19000::::::\nbob::19000::::::\n", 0640);
  f = fx.runOne(oneCheck("{type: file_regex, path: /etc/shadow, present: false, pattern: '^[^:]+::'}"));
  CHECK(f.status == Status::Drifted);
  CHECK(f.details["line"] == "2");
  CHECK(f.details["text"] == "[redacted]");
}

TEST_CASE("file_regex survives a multi-megabyte single line and binary content") {
  CheckFixture fx;
  std::string big(8 << 20, 'a');
  big += std::string("\xff\xfe\x00 needle", 10);
  fx.write("etc/big", big);
  auto f = fx.runOne(oneCheck("{type: file_regex, path: /etc/big, present: true, pattern: '(a+)+needle'}"));
  CHECK(f.status == Status::Drifted);  // the NUL-separated " needle" does not follow the a's
  f = fx.runOne(oneCheck("{type: file_regex, path: /etc/big, present: true, pattern: 'needle'}"));
  CHECK(f.status == Status::Compliant);
  CHECK(f.details["text"].size() <= 203);
}

TEST_CASE("hostile host trees give errors, never hangs: FIFO, directory, symlink loop") {
  CheckFixture fx;
  fx.mkdir("etc");
  REQUIRE(::mkfifo((fx.root() / "etc/fifo").c_str(), 0644) == 0);
  fx.mkdir("etc/adir");
  fx.symlink("/etc/loop2", "etc/loop1");
  fx.symlink("/etc/loop1", "etc/loop2");
  for (const char* path : {"/etc/fifo", "/etc/loop1"}) {
    INFO(path);
    auto f = fx.runOne(oneCheck(std::string("{type: file_regex, path: ") + path + ", present: true, pattern: x}"));
    CHECK(f.status == Status::Error);
    CHECK_FALSE(f.details["reason"].empty());
  }
  // A directory is read as its *.conf files: none here, so nothing matches.
  auto dir = fx.runOne(oneCheck("{type: file_regex, path: /etc/adir, present: true, pattern: x}"));
  CHECK(dir.status == Status::Drifted);
  CHECK(dir.actual == "no matching line");
  CHECK(dir.details["files_read"] == "0");
  CHECK(fx.runOne(oneCheck("{type: file_mode, path: /etc/loop1, max_mode: \"0644\"}")).status == Status::Error);
}

TEST_CASE("a link out of the root resolves inside it") {
  CheckFixture fx;
  fx.write("etc/real", "inside\n");
  fx.symlink("/../../../../../etc/real", "etc/escape");
  auto f = fx.runOne(oneCheck("{type: file_regex, path: /etc/escape, present: true, pattern: '^inside$'}"));
  CHECK(f.status == Status::Compliant);
}

TEST_CASE("config_value sshd: first value wins, Include honoured, default used") {
  CheckFixture fx;
  fx.write("etc/ssh/sshd_config",
           "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\nMatch User backup\n  PasswordAuthentication yes\n");
  fx.write("etc/ssh/sshd_config.d/10-site.conf", "PermitRootLogin Yes\n");
  const std::string probe =
      "{type: config_value, format: sshd, path: /etc/ssh/sshd_config, key: PermitRootLogin, default: prohibit-password, "
      "expect: {op: eq, value: \"no\"}}";
  auto f = fx.runOne(oneCheck(probe));
  CHECK(f.status == Status::Drifted);
  CHECK(f.actual == "yes");  // as sshd -T prints it
  CHECK(f.details["source"] == "/etc/ssh/sshd_config.d/10-site.conf:1");
  std::filesystem::remove(fx.root() / "etc/ssh/sshd_config.d/10-site.conf");
  f = fx.runOne(oneCheck(probe));
  CHECK(f.status == Status::Compliant);
  auto pw = fx.runOne(oneCheck("{type: config_value, format: sshd, path: /etc/ssh/sshd_config, key: PasswordAuthentication, "
                               "default: \"yes\", expect: {op: eq, value: \"no\"}}"));
  CHECK(pw.status == Status::Drifted);
  CHECK(pw.actual == "yes");
  CHECK(pw.details["source"] == "default");
  auto tries = fx.runOne(oneCheck("{type: config_value, format: sshd, path: /etc/ssh/sshd_config, key: MaxAuthTries, "
                                  "default: \"6\", expect: {op: lt, value: \"5\"}}"));
  CHECK(tries.status == Status::Drifted);
  CHECK(tries.expected == "< 5");
}

TEST_CASE("config_value sysctl over a directory in name order, ini sections") {
  CheckFixture fx;
  fx.write("etc/sysctl.d/10-a.conf", "net.ipv4.ip_forward = 1\n");
  fx.write("etc/sysctl.d/90-z.conf", "net.ipv4.ip_forward = 0\n");
  fx.write("etc/sysctl.d/README", "net.ipv4.ip_forward = 1\n");
  auto f = fx.runOne(oneCheck("{type: config_value, format: sysctl, paths: [/etc/sysctl.d], key: net.ipv4.ip_forward, "
                              "expect: {op: eq, value: \"0\"}}"));
  CHECK(f.status == Status::Compliant);
  CHECK(f.details["source"] == "/etc/sysctl.d/90-z.conf:1");
  // A drop-in masked by a link to /dev/null (systemd's way), a hidden file and a directory named
  // like a drop-in are not read, as systemd-sysctl does not read them; before, they were errors.
  std::filesystem::create_symlink("/dev/null", fx.root() / "etc/sysctl.d/95-masked.conf");
  fx.write("etc/sysctl.d/.96-hidden.conf", "net.ipv4.ip_forward = 1\n");
  std::filesystem::create_directories(fx.root() / "etc/sysctl.d/97-dir.conf");
  f = fx.runOne(oneCheck("{type: config_value, format: sysctl, paths: [/etc/sysctl.d], key: net.ipv4.ip_forward, "
                         "expect: {op: eq, value: \"0\"}}"));
  CHECK(f.status == Status::Compliant);
  CHECK(f.details["source"] == "/etc/sysctl.d/90-z.conf:1");
  fx.write("etc/systemd/journald.conf", "[Journal]\n#Storage=persistent\n");
  f = fx.runOne(oneCheck("{type: config_value, format: ini, path: /etc/systemd/journald.conf, section: Journal, key: Storage, "
                         "default: auto, expect: {op: eq, value: persistent}}"));
  CHECK(f.status == Status::Drifted);
  CHECK(f.actual == "auto");
}

TEST_CASE("config_value never quotes a secret value") {
  CheckFixture fx;
  fx.write("etc/app.env", "API_TOKEN=abcd1234secret\n");
  auto f = fx.runOne(oneCheck("{type: config_value, format: keyvalue, path: /etc/app.env, key: API_TOKEN, "
                              "expect: {op: eq, value: other}}"));
  CHECK(f.status == Status::Drifted);
  CHECK(f.actual == "[redacted]");
}

TEST_CASE("file_hash") {
  CheckFixture fx;
  fx.write("etc/motd", "abc");
  const std::string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  CHECK(fx.runOne(oneCheck("{type: file_hash, path: /etc/motd, sha256: " + abc + "}")).status == Status::Compliant);
  fx.write("etc/motd", "abd");
  CHECK(fx.runOne(oneCheck("{type: file_hash, path: /etc/motd, sha256: " + abc + "}")).status == Status::Drifted);
}

TEST_CASE("quoted host content never carries a password hash or a private key") {
  CHECK(checks::redactSecrets("toor:$6$FIXTURESECRET$abcdefghijkl:0:0:x") == "toor:[redacted]:0:0:x");
  CHECK(checks::redactSecrets("pw $y$j9T$abcdefgh$ijklmnop end") == "pw [redacted] end");
  CHECK(checks::redactSecrets("k=-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n") == "k=[redacted]");
  CHECK(checks::redactSecrets("Ciphers aes256-ctr,aes128-cbc") == "Ciphers aes256-ctr,aes128-cbc");
  CHECK(checks::redactSecrets("+DB_PASSWORD=hunter2") == "+DB_PASSWORD=[redacted]");
  CHECK(checks::redactSecrets("api_token: abc123") == "api_token: [redacted]");
  CHECK(checks::redactSecrets("-w /etc/passwd -p wa -k identity") == "-w /etc/passwd -p wa -k identity");
  CHECK(checks::redactSecrets("PasswordAuthentication no") == "PasswordAuthentication no");
  CheckFixture fx;
  fx.write("etc/passwd", "root:x:0:0::/root:/bin/sh\ntoor:$6$FIXTURESECRET$q1w2e3r4t5y6:0:0::/:/bin/sh\n");
  auto f = fx.runOne(oneCheck("{type: file_regex, path: /etc/passwd, present: false, pattern: '^toor:'}"));
  CHECK(f.status == Status::Drifted);
  CHECK(f.details["text"] == "toor:[redacted]:0:0::/:/bin/sh");
}

TEST_CASE("secret keys are recognised by their ending, switches are not") {
  for (const char* k : {"DB_PASSWORD", "api_token", "client_secret", "ApiKey", "wpa_psk", "ROOTPASS"}) {
    INFO(k);
    CHECK(checks::isSensitiveKey(k));
  }
  for (const char* k : {"PasswordAuthentication", "PermitEmptyPasswords", "PubkeyAuthentication", "Ciphers", "Storage"}) {
    INFO(k);
    CHECK_FALSE(checks::isSensitiveKey(k));
  }
}

TEST_CASE("file_owner of a missing file passes even when the names cannot be resolved (the file is /etc/group)") {
  CheckFixture fx;
  std::filesystem::remove(fx.root() / "etc/group");
  auto f = fx.runOne(oneCheck("{type: file_owner, path: /etc/group, owner: root, group: root}"));
  CHECK(f.status == Status::Compliant);
  CHECK(f.details["reason"] == "absent");
  // The file there but the group unknown: an error, never a verdict.
  fx.write("etc/issue", "x");
  CHECK(fx.runOne(oneCheck("{type: file_owner, path: /etc/issue, group: root}")).status == Status::Error);
}
