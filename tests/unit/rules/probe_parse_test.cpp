// Every probe type parses from YAML into its struct, with its defaults.
#include <catch2/catch.hpp>

#include "rules_test_util.h"

using namespace rules;
using rulestest::loadOk;

namespace {

// One check per probe type, so each can be looked up by id.
const char* kAllProbes = R"~(
checks:
  - id: P-EXISTS
    title: exists
    severity: low
    probe: {type: file_exists, path: /etc//ssh/./sshd_config/}
  - id: P-ABSENT
    title: absent
    severity: low
    probe: {type: file_absent, path: /etc/hosts.equiv}
  - id: P-MODE
    title: mode
    severity: medium
    probe: {type: file_mode, path: /etc/shadow, max_mode: "0640"}
  - id: P-MODE-3
    title: mode with three digits
    severity: medium
    probe: {type: file_mode, path: /etc/shadow, max_mode: 600}
  - id: P-MODE-5
    title: mode with five digits
    severity: medium
    probe: {type: file_mode, path: /etc/x, max_mode: "07775"}
  - id: P-OWNER
    title: owner
    severity: high
    probe: {type: file_owner, path: /etc/shadow, owner: root, group: "42"}
  - id: P-OWNER-NOGROUP
    title: owner only
    severity: high
    probe: {type: file_owner, path: /etc/passwd, owner: "0"}
  - id: P-REGEX
    title: regex
    severity: low
    probe: {type: file_regex, path: /etc/passwd, pattern: '^root:', present: false,
            skip_comments: false, comment_prefix: ";"}
  - id: P-REGEX-DEFAULTS
    title: regex defaults
    severity: low
    probe: {type: file_regex, path: /etc/passwd, pattern: 'x'}
  - id: P-REGEX-PATHS
    title: regex over files and a directory
    severity: low
    probe: {type: file_regex, paths: [/etc/sudoers, /etc/sudoers.d/], names: "*", pattern: 'use_pty'}
  - id: P-OWNER-GROUP
    title: group owner only
    severity: high
    probe: {type: file_owner, path: /etc/gshadow, group: shadow}
  - id: P-CONFIG
    title: config
    severity: high
    probe:
      type: config_value
      path: /etc/ssh/sshd_config
      key: PermitRootLogin
      format: sshd
      default: prohibit-password
      expect: {op: eq, value: "no"}
  - id: P-CONFIG-PATHS
    title: config paths
    severity: high
    probe:
      type: config_value
      paths: [/etc/sysctl.conf, /etc/sysctl.d]
      key: net.ipv4.ip_forward
      format: sysctl
      expect: {op: in, values: ["0", "2"]}
  - id: P-CONFIG-INI
    title: ini
    severity: low
    probe: {type: config_value, path: /etc/x.ini, key: a, format: ini, section: main,
            expect: {op: regex, value: '^[0-9]+$'}}
  - id: P-CONFIG-KV
    title: keyvalue
    severity: low
    probe: {type: config_value, path: /etc/default/x, key: A, format: keyvalue,
            expect: {op: gt, value: "10.5"}}
  - id: P-HASH
    title: hash
    severity: low
    probe: {type: file_hash, path: /etc/issue,
            sha256: E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855}
  - id: P-SCAN
    title: scan
    severity: high
    probe: {type: dir_scan, path: /usr, find: suid, allow: [/usr/bin/sudo, /usr/bin/passwd],
            exclude: [/usr/share], max_depth: 8, max_entries: 5000, cross_mounts: true}
  - id: P-SCAN-DEFAULTS
    title: scan defaults
    severity: high
    probe: {type: dir_scan, path: /, find: world_writable}
  - id: P-SYSCTL
    title: sysctl
    severity: medium
    probe: {type: sysctl, key: net.ipv4.ip_forward, expect: {op: eq, value: "0"}}
  - id: P-UNIT
    title: unit
    severity: high
    probe: {type: systemd_unit, unit: chronyd.service, active: true}
  - id: P-UNIT-ENABLED
    title: unit enabled
    severity: high
    probe: {type: systemd_unit, unit: "getty@tty1.service", active: false, enabled: true}
  - id: P-PROC
    title: process
    severity: low
    probe: {type: process_running, name: auditd}
  - id: P-PROC-NOT
    title: process not running
    severity: low
    probe: {type: process_running, name: telnetd, running: false}
  - id: P-PORT
    title: ports
    severity: high
    probe: {type: port_listening, protocol: tcp, ports: [23, "512-514", 2049]}
  - id: P-PORT-UDP
    title: udp ports
    severity: high
    probe: {type: port_listening, protocol: udp, ports: [123], listening: true}
  - id: P-DISK
    title: disk
    severity: medium
    probe: {type: disk_usage, mounts: [/, /var/], max_percent: 90}
  - id: P-CERT
    title: cert
    severity: medium
    probe: {type: cert_expiry, path: /etc/ssl/certs/site.pem, min_days: 30}
  - id: P-CERT-AGENT
    title: agent cert
    severity: medium
    probe: {type: cert_expiry, agent_file: central.client_cert_file, min_days: 14}
  - id: P-NIX
    title: generation
    severity: low
    platforms: [nixos]
    probe: {type: nixos_generation}
  - id: P-TIME
    title: time
    severity: high
    probe: {type: time_sync}
  - id: P-CMD
    title: command
    severity: low
    probe: {type: command, argv: [nft, list, ruleset], expect_exit: 0,
            expect_output: 'chain input', timeout: 15s}
  - id: P-CMD-DEFAULTS
    title: command defaults
    severity: low
    probe: {type: command, argv: [sshd, -t]}
  - id: P-ALL
    title: all
    severity: low
    probe:
      type: all
      target: ssh
      probes:
        - {type: file_exists, path: /etc/ssh/sshd_config}
        - type: any
          probes:
            - {type: process_running, name: sshd}
            - type: none
              probes: [{type: file_exists, path: /etc/nologin}]
    applies_if: {type: file_exists, path: /etc/ssh}
)~";

const RuleSet& all() {
  static const RuleSet set = loadOk(kAllProbes);
  return set;
}

template <class T>
const T& probe(const std::string& id) {
  const Check* c = all().findCheck(id);
  REQUIRE(c != nullptr);
  const T* p = c->probe.as<T>();
  REQUIRE(p != nullptr);
  return *p;
}

}  // namespace

TEST_CASE("every probe type in the format has a case here") {
  std::set<std::string> seen;
  for (const auto& c : all().checks) seen.insert(c.probe.type);
  for (auto t : kProbeTypeNames) {
    // all/any/none: the nested ones are inside P-ALL.
    if (t == "any" || t == "none") continue;
    CHECK(seen.count(std::string(t)) == 1);
  }
}

TEST_CASE("file_exists and file_absent take a normalised host path") {
  CHECK(probe<FileExistsProbe>("P-EXISTS").path == "/etc/ssh/sshd_config");
  CHECK(probe<FileAbsentProbe>("P-ABSENT").path == "/etc/hosts.equiv");
  const Check* c = all().findCheck("P-EXISTS");
  CHECK(c->probe.type == "file_exists");
  CHECK(c->probe.pos.file == "t.yaml");
  CHECK(c->probe.pos.line == 6);
  CHECK(c->probe.pos.column == 12);
  CHECK(c->pos.line == 3);
}

TEST_CASE("file_mode parses an octal string") {
  CHECK(probe<FileModeProbe>("P-MODE").max_mode == 0640);
  CHECK(probe<FileModeProbe>("P-MODE-3").max_mode == 0600);
  CHECK(probe<FileModeProbe>("P-MODE-5").max_mode == 07775);
}

TEST_CASE("file_owner: group optional") {
  const auto& p = probe<FileOwnerProbe>("P-OWNER");
  CHECK(p.owner == "root");
  REQUIRE(p.group);
  CHECK(*p.group == "42");
  CHECK_FALSE(probe<FileOwnerProbe>("P-OWNER-NOGROUP").group.has_value());
  const auto& g = probe<FileOwnerProbe>("P-OWNER-GROUP");
  CHECK_FALSE(g.owner.has_value());
  CHECK(g.group == "shadow");
}

TEST_CASE("file_regex compiles its pattern and has defaults") {
  const auto& p = probe<FileRegexProbe>("P-REGEX");
  REQUIRE(p.regex);
  CHECK(RE2::PartialMatch("root:x:0:0", *p.regex));
  CHECK_FALSE(p.present);
  CHECK_FALSE(p.skip_comments);
  CHECK(p.comment_prefix == ";");
  const auto& d = probe<FileRegexProbe>("P-REGEX-DEFAULTS");
  CHECK(d.present);
  CHECK(d.skip_comments);
  CHECK(d.comment_prefix == "#");
  CHECK(d.paths == std::vector<std::string>{"/etc/passwd"});
  CHECK(d.names == "*.conf");
  const auto& m = probe<FileRegexProbe>("P-REGEX-PATHS");
  CHECK(m.paths == std::vector<std::string>{"/etc/sudoers", "/etc/sudoers.d"});
  CHECK(m.names == "*");
}

TEST_CASE("config_value: path or paths, format, default, expectation") {
  const auto& p = probe<ConfigValueProbe>("P-CONFIG");
  CHECK(p.paths == std::vector<std::string>{"/etc/ssh/sshd_config"});
  CHECK(p.key == "PermitRootLogin");
  CHECK(p.format == ConfigFormat::Sshd);
  REQUIRE(p.default_value);
  CHECK(*p.default_value == "prohibit-password");
  CHECK(p.expect.op == MatchOp::Eq);
  CHECK(p.expect.value == "no");

  const auto& s = probe<ConfigValueProbe>("P-CONFIG-PATHS");
  CHECK(s.paths == std::vector<std::string>{"/etc/sysctl.conf", "/etc/sysctl.d"});
  CHECK(s.format == ConfigFormat::Sysctl);
  CHECK_FALSE(s.default_value.has_value());
  CHECK(s.expect.op == MatchOp::In);
  CHECK(s.expect.values == std::vector<std::string>{"0", "2"});

  const auto& i = probe<ConfigValueProbe>("P-CONFIG-INI");
  CHECK(i.format == ConfigFormat::Ini);
  CHECK(i.section == "main");
  REQUIRE(i.expect.regex);
  CHECK(RE2::PartialMatch("42", *i.expect.regex));

  const auto& k = probe<ConfigValueProbe>("P-CONFIG-KV");
  CHECK(k.format == ConfigFormat::KeyValue);
  CHECK(k.expect.op == MatchOp::Gt);
  CHECK(k.expect.number == Approx(10.5));
}

TEST_CASE("file_hash is stored lowercase") {
  CHECK(probe<FileHashProbe>("P-HASH").sha256 ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("dir_scan: lists and bounds, with defaults") {
  const auto& p = probe<DirScanProbe>("P-SCAN");
  CHECK(p.path == "/usr");
  CHECK(p.find == ScanFind::Suid);
  CHECK(p.allow.size() == 2);
  CHECK(p.exclude == std::vector<std::string>{"/usr/share"});
  CHECK(p.max_depth == 8);
  CHECK(p.max_entries == 5000);
  CHECK(p.cross_mounts);
  const auto& d = probe<DirScanProbe>("P-SCAN-DEFAULTS");
  CHECK(d.path == "/");
  CHECK(d.find == ScanFind::WorldWritable);
  CHECK(d.max_depth == 16);
  // A stock Debian 12 has some 175k entries under /usr alone: the default must not stop there.
  CHECK(d.max_entries == 1'000'000);
  CHECK_FALSE(d.cross_mounts);  // like find -xdev
}

TEST_CASE("sysctl, systemd_unit, process_running") {
  const auto& s = probe<SysctlProbe>("P-SYSCTL");
  CHECK(s.key == "net.ipv4.ip_forward");
  CHECK(s.expect.value == "0");
  const auto& u = probe<SystemdUnitProbe>("P-UNIT");
  CHECK(u.unit == "chronyd.service");
  CHECK(u.active == std::optional<bool>(true));
  CHECK_FALSE(u.enabled.has_value());
  const auto& e = probe<SystemdUnitProbe>("P-UNIT-ENABLED");
  CHECK(e.active == std::optional<bool>(false));
  CHECK(e.enabled == std::optional<bool>(true));
  CHECK(probe<ProcessRunningProbe>("P-PROC").running);
  CHECK_FALSE(probe<ProcessRunningProbe>("P-PROC-NOT").running);
}

TEST_CASE("port_listening: ports and ranges") {
  const auto& p = probe<PortListeningProbe>("P-PORT");
  CHECK(p.protocol == Protocol::Tcp);
  REQUIRE(p.ports.size() == 3);
  CHECK(p.ports[0].first == 23);
  CHECK(p.ports[0].last == 23);
  CHECK(p.ports[1].first == 512);
  CHECK(p.ports[1].last == 514);
  CHECK_FALSE(p.listening);
  const auto& u = probe<PortListeningProbe>("P-PORT-UDP");
  CHECK(u.protocol == Protocol::Udp);
  CHECK(u.listening);
}

TEST_CASE("disk_usage, cert_expiry, nixos_generation, time_sync") {
  const auto& d = probe<DiskUsageProbe>("P-DISK");
  CHECK(d.mounts == std::vector<std::string>{"/", "/var"});
  CHECK(d.max_percent == 90);
  const auto& c = probe<CertExpiryProbe>("P-CERT");
  CHECK(c.path == "/etc/ssl/certs/site.pem");
  CHECK(c.agent_file.empty());
  CHECK(c.min_days == 30);
  const auto& a = probe<CertExpiryProbe>("P-CERT-AGENT");
  CHECK(a.path.empty());
  CHECK(a.agent_file == "central.client_cert_file");
  CHECK(a.min_days == 14);
  probe<NixosGenerationProbe>("P-NIX");
  CHECK(all().findCheck("P-NIX")->platforms == std::vector<Platform>{Platform::Nixos});
  CHECK(all().findCheck("P-NIX")->runsOn(Platform::Nixos));
  CHECK_FALSE(all().findCheck("P-NIX")->runsOn(Platform::Linux));
  probe<TimeSyncProbe>("P-TIME");
  CHECK(all().findCheck("P-TIME")->platforms.size() == 2);
}

TEST_CASE("command: argv, exit, output regex, timeout") {
  const auto& c = probe<CommandProbe>("P-CMD");
  CHECK(c.argv == std::vector<std::string>{"nft", "list", "ruleset"});
  CHECK(c.expect_exit == 0);
  REQUIRE(c.expect_output);
  CHECK(*c.expect_output == "chain input");
  REQUIRE(c.expect_output_regex);
  CHECK(c.timeout == std::optional<std::chrono::milliseconds>(std::chrono::seconds(15)));
  const auto& d = probe<CommandProbe>("P-CMD-DEFAULTS");
  CHECK_FALSE(d.expect_output.has_value());
  CHECK_FALSE(d.expect_output_regex);
  CHECK_FALSE(d.timeout.has_value());
}

TEST_CASE("all / any / none nest") {
  const auto& a = probe<AllProbe>("P-ALL");
  CHECK(a.target == "ssh");
  REQUIRE(a.probes.size() == 2);
  CHECK(a.probes[0].as<FileExistsProbe>() != nullptr);
  const AnyProbe* any = a.probes[1].as<AnyProbe>();
  REQUIRE(any != nullptr);
  CHECK(any->target.empty());
  REQUIRE(any->probes.size() == 2);
  const NoneProbe* none = any->probes[1].as<NoneProbe>();
  REQUIRE(none != nullptr);
  REQUIRE(none->probes.size() == 1);
  CHECK(none->probes[0].as<FileExistsProbe>()->path == "/etc/nologin");
  const Check* c = all().findCheck("P-ALL");
  REQUIRE(c->applies_if);
  CHECK(c->applies_if->as<FileExistsProbe>()->path == "/etc/ssh");
}

TEST_CASE("check defaults and optional fields") {
  auto set = loadOk(R"~(
checks:
  - id: C-1
    title: a title
    description: |
      Two lines
      of description.
    severity: critical
    hipaa: ["164.312(a)(1)", "164.312(d)"]
    probe: {type: time_sync}
)~");
  const Check& c = set.checks.at(0);
  CHECK(c.severity == Severity::Critical);
  CHECK(c.hipaa.size() == 2);
  CHECK(c.description == "Two lines\nof description.\n");
  CHECK(c.platforms.size() == 2);
  CHECK_FALSE(c.applies_if.has_value());
}

TEST_CASE("expectation operators") {
  auto set = loadOk(R"~(
checks:
  - {id: E-1, title: t, severity: low, probe: {type: sysctl, key: a.b, expect: {op: ne, value: "1"}}}
  - {id: E-2, title: t, severity: low, probe: {type: sysctl, key: a.b, expect: {op: contains, value: x, ignore_case: true}}}
  - {id: E-3, title: t, severity: low, probe: {type: sysctl, key: a.b, expect: {op: lt, value: -3}}}
  - {id: E-4, title: t, severity: low, probe: {type: sysctl, key: a.b, expect: {op: not_in, value: [a, b]}}}
  - {id: E-5, title: t, severity: low, probe: {type: sysctl, key: a.b, expect: {op: exists}}}
  - {id: E-6, title: t, severity: low, probe: {type: sysctl, key: a.b, expect: {op: exists, value: false}}}
  - {id: E-7, title: t, severity: low, probe: {type: sysctl, key: a.b, expect: {op: regex, value: '^ab$', ignore_case: true}}}
)~");
  auto exp = [&](const char* id) { return set.findCheck(id)->probe.as<SysctlProbe>()->expect; };
  CHECK(exp("E-1").op == MatchOp::Ne);
  CHECK(exp("E-2").ignore_case);
  CHECK(exp("E-3").number == -3);
  CHECK(exp("E-4").op == MatchOp::NotIn);
  CHECK(exp("E-4").values == std::vector<std::string>{"a", "b"});
  CHECK(exp("E-5").value == "true");
  CHECK(exp("E-6").value == "false");
  REQUIRE(exp("E-7").regex);
  CHECK(RE2::PartialMatch("AB", *exp("E-7").regex));
}
