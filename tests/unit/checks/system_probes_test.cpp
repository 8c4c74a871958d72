#include <sys/stat.h>

#include "check_fixture.h"
#include "support/run_process.h"

using checks::Status;
using testsupport::CheckFixture;
using testsupport::oneCheck;

TEST_CASE("sysctl reads /proc/sys under the host root") {
  CheckFixture fx;
  fx.write("proc/sys/net/ipv4/ip_forward", "1\n");
  fx.write("proc/sys/kernel/kptr_restrict", "2\n");
  auto f = fx.runOne(oneCheck("{type: sysctl, key: net.ipv4.ip_forward, expect: {op: eq, value: \"0\"}}"));
  CHECK(f.status == Status::Drifted);
  CHECK(f.target == "net.ipv4.ip_forward");
  CHECK(f.actual == "1");
  f = fx.runOne(oneCheck("{type: sysctl, key: kernel.kptr_restrict, expect: {op: in, value: [\"1\", \"2\"]}}"));
  CHECK(f.status == Status::Compliant);
  f = fx.runOne(oneCheck("{type: sysctl, key: kernel.missing_one, expect: {op: eq, value: \"1\"}}"));
  CHECK(f.status == Status::Error);
}

TEST_CASE("systemd_unit, time_sync and disk_usage come from LiveState") {
  CheckFixture fx;
  fx.live.setUnit("sshd.service", "active", "enabled");
  fx.live.setUnit("auditd.service", "inactive", "disabled");
  fx.live.setTimeSync(platform::TimeSyncState{false, true});
  fx.live.setDisk("/", platform::DiskUsage{"/", 100, 95, 5, 95});
  fx.live.setDisk("/nix/store", platform::DiskUsage{"/", 100, 40, 60, 40});
  CHECK(fx.runOne(oneCheck("{type: systemd_unit, unit: sshd.service, active: true, enabled: true}")).status == Status::Compliant);
  auto f = fx.runOne(oneCheck("{type: systemd_unit, unit: auditd.service, active: true, enabled: true}"));
  CHECK(f.status == Status::Drifted);
  CHECK(f.actual == "inactive, disabled");
  f = fx.runOne(oneCheck("{type: systemd_unit, unit: nothere.service, active: true}"));
  CHECK(f.status == Status::Drifted);
  CHECK(f.actual == "not-found");
  f = fx.runOne(oneCheck("{type: time_sync}"));
  CHECK(f.status == Status::Drifted);
  CHECK(f.target == "time");
  auto disks = fx.run(oneCheck("{type: disk_usage, mounts: [/, /nix/store], max_percent: 89}"));
  REQUIRE(disks.size() == 2);
  CHECK(disks[0].target == "/");
  CHECK(disks[0].status == Status::Drifted);
  CHECK(disks[1].target == "/nix/store");
  CHECK(disks[1].status == Status::Compliant);
}

TEST_CASE("live probes are not_applicable, with the reason, when live state is not queried") {
  CheckFixture fx;
  fx.live.failAll(platform::LiveErrc::NotQueried, "live state is not queried when host_root is not /");
  auto f = fx.runOne(oneCheck("{type: time_sync}"));
  CHECK(f.status == Status::NotApplicable);
  CHECK(f.details["reason"].find("not queried") != std::string::npos);
  fx.live.failAll(platform::LiveErrc::ToolFailed, "systemctl exited 1");
  CHECK(fx.runOne(oneCheck("{type: systemd_unit, unit: a.service, active: true}")).status == Status::Error);
}

TEST_CASE("port_listening: one finding per prohibited listener, only LISTEN sockets count") {
  CheckFixture fx;
  const std::string header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
  fx.write("proc/net/tcp", header +
                               "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1\n"
                               "   1: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2\n"
                               "   2: 0A000001:C000 0A000002:0017 01 00000000:00000000 00:00000000 00000000     0        0 3\n");
  fx.write("proc/net/tcp6", header + "   0: 00000000000000000000000000000000:0202 00000000000000000000000000000000:0000 0A 0 0 0 0 0 4\n");
  auto f = fx.run(oneCheck("{type: port_listening, protocol: tcp, ports: [21, 23, \"512-514\", 3306], listening: false}"));
  REQUIRE(f.size() == 2);
  CHECK(f[0].target == "tcp/514");
  CHECK(f[1].target == "tcp/3306");
  CHECK(f[0].status == Status::Drifted);
  fx.write("proc/net/udp", header + "   0: 00000000:0045 00000000:0000 07 0 0 0 0 0 5\n");
  f = fx.run(oneCheck("{type: port_listening, protocol: udp, ports: [111], listening: false}"));
  REQUIRE(f.size() == 1);
  CHECK(f[0].status == Status::Compliant);
  CHECK(f[0].target == "udp");
}

TEST_CASE("process_running reads /proc/<pid>/comm") {
  CheckFixture fx;
  fx.write("proc/1/comm", "systemd\n");
  fx.write("proc/412/comm", "sshd\n");
  fx.write("proc/self/comm", "sshd\n");  // not a pid
  CHECK(fx.runOne(oneCheck("{type: process_running, name: sshd}")).actual == "1 running");
  CHECK(fx.runOne(oneCheck("{type: process_running, name: telnetd, running: false}")).status == Status::Compliant);
  CHECK(fx.runOne(oneCheck("{type: process_running, name: chronyd}")).status == Status::Drifted);
}

TEST_CASE("dir_scan: each unexpected hit is a finding, links not followed, allow and exclude") {
  CheckFixture fx;
  fx.write("usr/bin/sudo", "x", 04755);
  fx.write("usr/local/bin/backdoor", "x", 04755);
  fx.write("opt/skip/suid", "x", 06755);
  fx.write("usr/bin/plain", "x", 0755);
  fx.symlink("/usr/local/bin/backdoor", "usr/bin/link-to-backdoor");
  auto f = fx.run(oneCheck("{type: dir_scan, path: /, find: suid_sgid, allow: [/usr/bin/sudo], exclude: [/opt/skip]}"));
  REQUIRE(f.size() == 1);
  CHECK(f[0].target == "/usr/local/bin/backdoor");
  CHECK(f[0].status == Status::Drifted);
  CHECK(f[0].actual == "4755");
  fx.write("etc/ww", "x", 0666);
  fx.mkdir("etc/tmpish", 01777);
  f = fx.run(oneCheck("{type: dir_scan, path: /etc, find: world_writable}"));
  REQUIRE(f.size() == 1);
  CHECK(f[0].target == "/etc/ww");
  f = fx.run(oneCheck("{type: dir_scan, path: /, find: suid_sgid, max_entries: 3}"));
  CHECK(f.back().status == Status::Error);
}

TEST_CASE("nixos_generation: /run/current-system must resolve into /nix/store") {
  CheckFixture fx;
  fx.mkdir("nix/store/abc-nixos-system");
  fx.symlink("/nix/store/abc-nixos-system", "run/current-system");
  auto f = fx.runOne(oneCheck("{type: nixos_generation}"));
  CHECK(f.status == Status::Compliant);
  CHECK(f.target == "system");
  std::filesystem::remove(fx.root() / "run/current-system");
  fx.mkdir("home/u/result");
  fx.symlink("/home/u/result", "run/current-system");
  CHECK(fx.runOne(oneCheck("{type: nixos_generation}")).status == Status::Drifted);
}

TEST_CASE("command probe: exit code and output regex through the tools map") {
  CheckFixture fx;
  fx.commands.scriptOutput("nft", "table inet filter\n", 0);
  auto f = fx.runOne(oneCheck("{type: command, argv: [nft, list, ruleset], expect_exit: 0, expect_output: 'table inet'}"));
  CHECK(f.status == Status::Compliant);
  CHECK(f.target == "T-1");
  REQUIRE(fx.commands.calls().size() == 1);
  CHECK(fx.commands.calls()[0].argv == std::vector<std::string>{"nft", "list", "ruleset"});
  fx.commands.scriptError("nope", platform::CommandErrc::UnknownTool, "tool 'nope' is not in tools:");
  CHECK(fx.runOne(oneCheck("{type: command, argv: [nope]}")).status == Status::Error);
}

TEST_CASE("cert_expiry: the agent's own certificate, days left against the clock") {
  CheckFixture fx;
  const auto key = fx.dir.path() / "k.pem";
  const auto cert = fx.dir.path() / "c.pem";
  auto r = testsupport::runProcess({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                    "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=t", "-days", "10",
                                    "-keyout", key.string(), "-out", cert.string()});
  REQUIRE(r.exit_code == 0);
  fx.clock.setWall(std::chrono::system_clock::now());
  const std::string probe = "{type: cert_expiry, agent_file: central.client_cert_file, min_days: 30}";
  auto f = fx.runOne(oneCheck(probe));
  CHECK(f.status == Status::NotApplicable);  // not configured
  fx.cert_file = cert.string();
  f = fx.runOne(oneCheck(probe));
  CHECK(f.status == Status::Drifted);
  CHECK(f.target == "central.client_cert_file");
  fx.clock.setWall(std::chrono::system_clock::now() - std::chrono::hours(24 * 30));
  CHECK(fx.runOne(oneCheck("{type: cert_expiry, agent_file: central.client_cert_file, min_days: 5}")).status == Status::Compliant);
}
