#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "healing/dry_run_executor.h"
#include "healing/healer.h"
#include "support/file_text.h"
#include "unit/checks/check_fixture.h"

using checks::Status;
using healing::Outcome;
using testsupport::CheckFixture;

using testsupport::slurp;

namespace {

// A fixture host plus a dry-run pass over one check and its rule.
struct PlanFixture : CheckFixture {
  std::vector<std::string> writable{"/etc/ssh", "/etc/sysctl.d", "/etc/shadow", "/etc/issue", "/etc"};

  std::vector<healing::ActionRecord> plan(const std::string& yaml, rules::Tier tier = rules::Tier::FullCoverage) {
    const auto set = load(yaml);
    auto files = platform::LinuxHostFiles::open(root().string());
    REQUIRE(files.ok());
    platform::HostEnv env{**files, live, commands, clock};
    checks::ProbeContext ctx{**files, live, commands, clock, registry};
    const auto findings = checks::runChecks(set, ctx, {});
    healing::DryRunExecutor exec(env, registry, healing::ExecutorSettings{writable, std::chrono::seconds(5),
                                                                          std::chrono::seconds(5), ""});
    return healing::healFindings(findings, set, tier, exec);
  }
};

const std::string kSshCheck =
    "checks:\n  - {id: SSH-1, title: t, severity: high, hipaa: [x], probe: {type: config_value, format: sshd,\n"
    "     path: /etc/ssh/sshd_config, key: PermitRootLogin, default: prohibit-password, expect: {op: eq, value: \"no\"}}}\n";

std::string sshRule(const std::string& extra = "") {
  return "rules:\n  - id: L1-SSH-1\n    name: n\n    tiers: [standard]\n"
         "    match: [{field: check_id, op: eq, value: SSH-1}, {field: status, op: eq, value: drifted}]\n"
         "    actions:\n      - {type: set_config_value, format: sshd, path: /etc/ssh/sshd_config, key: PermitRootLogin,\n"
         "         value: \"no\", validate: [sshd, -t, -f, \"{file}\"]}\n      - {type: reload_service, unit: sshd.service}\n" +
         extra;
}

}  // namespace

TEST_CASE("dry-run plans a config edit with its exact diff, validates the candidate and changes nothing") {
  PlanFixture fx;
  const std::string original = "# hardened\nPermitRootLogin yes\nMatch User x\n  X11Forwarding yes\n";
  auto path = fx.write("etc/ssh/sshd_config", original, 0600);
  std::string seen_by_validator;
  fx.commands.onRun("sshd", [&](const platform::CommandSpec& spec) {
    // The validator reads the candidate through the inherited descriptor, never a host file.
    char buf[4096];
    const ssize_t n = pread(spec.input_fd, buf, sizeof buf, 0);
    seen_by_validator.assign(buf, n > 0 ? static_cast<size_t>(n) : 0);
    platform::CommandResult r;
    r.exit_code = 0;
    return fakes::FakeCommandRunner::Reply(r);
  });
  fx.commands.scriptOutput("systemctl", "");
  struct stat before {};
  REQUIRE(::stat(path.c_str(), &before) == 0);

  auto recs = fx.plan(kSshCheck + sshRule());
  REQUIRE(recs.size() == 1);
  const auto& r = recs[0];
  CHECK(r.outcome == Outcome::Planned);
  CHECK(r.rule_id == "L1-SSH-1");
  REQUIRE(r.would_pass.has_value());
  CHECK(*r.would_pass);
  REQUIRE(r.steps.size() == 2);
  CHECK(r.steps[0].diff.find("-PermitRootLogin yes\n+PermitRootLogin no\n") != std::string::npos);
  CHECK(r.steps[0].diff.find("--- a/etc/ssh/sshd_config") == 0);
  CHECK(r.steps[1].argv == std::vector<std::string>{"systemctl", "reload", "--", "sshd.service"});
  CHECK(seen_by_validator.find("PermitRootLogin no") != std::string::npos);
  REQUIRE(fx.commands.calls().size() == 1);  // only the validator ran: the reload is planned, not run
  CHECK(fx.commands.calls()[0].argv == std::vector<std::string>{"sshd", "-t", "-f", "/dev/fd/3"});
  CHECK(slurp(path) == original);
  struct stat after {};
  REQUIRE(::stat(path.c_str(), &after) == 0);
  CHECK(after.st_mode == before.st_mode);
  CHECK(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
}

TEST_CASE("dry-run refuses: a rejecting validator, a missing tool, a path outside writable_paths") {
  PlanFixture fx;
  fx.write("etc/ssh/sshd_config", "PermitRootLogin yes\n");
  fx.commands.scriptOutput("sshd", "", 255, "line 1: Bad configuration option");
  auto r = fx.plan(kSshCheck + sshRule())[0];
  CHECK(r.outcome == Outcome::Refused);
  CHECK(r.reason.find("validator sshd rejected") != std::string::npos);
  CHECK_FALSE(r.would_pass.has_value());

  PlanFixture nosystemctl;
  nosystemctl.write("etc/ssh/sshd_config", "PermitRootLogin yes\n");
  nosystemctl.commands.scriptOutput("sshd", "");
  r = nosystemctl.plan(kSshCheck + sshRule())[0];
  CHECK(r.outcome == Outcome::Refused);
  CHECK(r.reason.find("systemctl") != std::string::npos);

  PlanFixture narrow;
  narrow.writable = {"/etc/sysctl.d"};
  narrow.write("etc/ssh/sshd_config", "PermitRootLogin yes\n");
  narrow.commands.scriptOutput("sshd", "");
  narrow.commands.scriptOutput("systemctl", "");
  r = narrow.plan(kSshCheck + sshRule())[0];
  CHECK(r.outcome == Outcome::Refused);
  CHECK(r.reason.find("writable_paths") != std::string::npos);
}

TEST_CASE("a file that resolves into the Nix store is never planned in place: nix_managed") {
  PlanFixture fx;
  fx.write("nix/store/abc-sshd.conf", "PermitRootLogin yes\n", 0444);
  fx.symlink("/etc/static/ssh/sshd_config", "etc/ssh/sshd_config");
  fx.symlink("/nix/store/abc-sshd.conf", "etc/static/ssh/sshd_config");
  fx.commands.scriptOutput("sshd", "");
  fx.commands.scriptOutput("systemctl", "");
  auto r = fx.plan(kSshCheck + sshRule())[0];
  CHECK(r.outcome == Outcome::Planned);
  CHECK(r.reason_code == healing::Reason::NixManaged);
  CHECK(r.reason.find("/nix/store") != std::string::npos);  // the human text says where it resolves
  REQUIRE(r.steps.size() == 1);
  CHECK(r.steps[0].type == "escalate");
  CHECK(r.would_pass == std::optional<bool>(false));
}

TEST_CASE("set_file_mode max_mode clears only the excess bits, and {target} works for dir_scan hits") {
  PlanFixture fx;
  fx.write("etc/shadow", "x", 02600);
  fx.write("etc/app/ww.conf", "x", 0666);
  const std::string yaml =
      "checks:\n"
      "  - {id: M-1, title: t, severity: low, hipaa: [x], probe: {type: file_mode, path: /etc/shadow, max_mode: \"0640\"}}\n"
      "  - {id: W-1, title: t, severity: low, hipaa: [x], probe: {type: dir_scan, path: /etc, find: world_writable}}\n"
      "rules:\n"
      "  - {id: R-M, name: n, tiers: [standard], actions: [{type: set_file_mode, path: /etc/shadow, max_mode: \"0640\"}],\n"
      "     match: [{field: check_id, op: eq, value: M-1}, {field: status, op: eq, value: drifted}]}\n"
      "  - {id: R-W, name: n, tiers: [standard], actions: [{type: set_file_mode, path: \"{target}\", max_mode: \"07775\"}],\n"
      "     match: [{field: check_id, op: eq, value: W-1}, {field: status, op: eq, value: drifted}]}\n";
  auto recs = fx.plan(yaml);
  REQUIRE(recs.size() == 2);
  CHECK(recs[0].outcome == Outcome::Planned);
  CHECK(recs[0].steps[0].description == "chmod /etc/shadow 2600 -> 0600");
  CHECK(recs[0].would_pass == std::optional<bool>(true));
  CHECK(recs[1].target == "/etc/app/ww.conf");
  CHECK(recs[1].steps[0].path == "/etc/app/ww.conf");
  CHECK(recs[1].steps[0].description == "chmod /etc/app/ww.conf 0666 -> 0664");
  CHECK(recs[1].would_pass == std::optional<bool>(true));
  struct stat st {};
  REQUIRE(::stat((fx.root() / "etc/shadow").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 02600);
}

TEST_CASE("steps chain on the overlay, service steps predict unit states, set_sysctl is allow-listed") {
  PlanFixture fx;
  fx.write("etc/issue", "Welcome\n");
  fx.write("proc/sys/net/ipv4/ip_forward", "1\n");
  fx.write("proc/sys/kernel/modprobe", "/sbin/modprobe\n");
  fx.mkdir("etc/sysctl.d");
  fx.live.setUnit("auditd.service", "inactive", "disabled");
  fx.commands.scriptOutput("systemctl", "");
  const std::string yaml =
      "checks:\n"
      "  - {id: B-1, title: t, severity: low, hipaa: [x], probe: {type: all, probes: [\n"
      "      {type: file_regex, path: /etc/issue, pattern: '^Authorized'}, {type: file_regex, path: /etc/issue, pattern: '^Monitored'}]}}\n"
      "  - {id: A-1, title: t, severity: low, hipaa: [x], probe: {type: systemd_unit, unit: auditd.service, active: true, enabled: true}}\n"
      "  - {id: K-1, title: t, severity: low, hipaa: [x], probe: {type: sysctl, key: net.ipv4.ip_forward, expect: {op: eq, value: \"0\"}}}\n"
      "  - {id: K-2, title: t, severity: low, hipaa: [x], probe: {type: sysctl, key: kernel.modprobe, expect: {op: eq, value: /bin/true}}}\n"
      "rules:\n"
      "  - {id: R-B, name: n, tiers: [standard], match: [{field: check_id, op: eq, value: B-1}],\n"
      "     actions: [{type: ensure_line, path: /etc/issue, line: Authorized use only}, {type: ensure_line, path: /etc/issue, line: Monitored}]}\n"
      "  - {id: R-A, name: n, tiers: [standard], match: [{field: check_id, op: eq, value: A-1}, {field: status, op: eq, value: drifted}],\n"
      "     actions: [{type: start_service, unit: auditd.service}, {type: enable_service, unit: auditd.service}]}\n"
      "  - {id: R-K, name: n, tiers: [standard], match: [{field: check_id, op: eq, value: K-1}, {field: status, op: eq, value: drifted}],\n"
      "     actions: [{type: set_sysctl, key: net.ipv4.ip_forward, value: \"0\", persist_file: /etc/sysctl.d/60-ca.conf}]}\n"
      "  - {id: R-K2, name: n, tiers: [standard], match: [{field: check_id, op: eq, value: K-2}, {field: status, op: eq, value: drifted}],\n"
      "     actions: [{type: set_sysctl, key: kernel.modprobe, value: /bin/true, persist_file: /etc/sysctl.d/60-ca.conf}]}\n";
  auto recs = fx.plan(yaml);
  REQUIRE(recs.size() == 4);
  CHECK(recs[0].outcome == Outcome::Planned);
  REQUIRE(recs[0].steps.size() == 2);
  CHECK(recs[0].steps[1].diff.find("+Monitored") != std::string::npos);
  CHECK(recs[0].steps[1].diff.find("+Authorized") == std::string::npos);  // each diff is its own step's
  CHECK(recs[0].would_pass == std::optional<bool>(true));
  CHECK(recs[1].would_pass == std::optional<bool>(true));
  CHECK(recs[2].outcome == Outcome::Planned);
  CHECK(recs[2].steps[0].diff.find("--- /dev/null") == 0);
  CHECK(recs[2].steps[0].diff.find("+net.ipv4.ip_forward = 0") != std::string::npos);
  CHECK(recs[2].would_pass == std::optional<bool>(true));
  CHECK(recs[3].outcome == Outcome::Refused);
  CHECK(recs[3].reason.find("allow-list") != std::string::npos);
  CHECK(slurp(fx.root() / "proc/sys/net/ipv4/ip_forward") == "1\n");
  CHECK_FALSE(std::filesystem::exists(fx.root() / "etc/sysctl.d/60-ca.conf"));
  CHECK(slurp(fx.root() / "etc/issue") == "Welcome\n");
}

TEST_CASE("alert and escalate are planned, never sent, and would_pass stays false") {
  PlanFixture fx;
  fx.live.setTimeSync(platform::TimeSyncState{false, true});
  fx.commands.scriptOutput("systemctl", "");
  const std::string yaml =
      "checks:\n  - {id: T-1, title: t, severity: low, hipaa: [x], probe: {type: time_sync}}\n"
      "rules:\n  - {id: R-T, name: n, tiers: [standard], match: [{field: check_id, op: eq, value: T-1}, {field: status, op: eq, value: drifted}],\n"
      "     actions: [{type: restart_service, unit: chronyd.service}, {type: escalate, reason: \"clock {target} drifts\"}]}\n";
  auto r = fx.plan(yaml)[0];
  CHECK(r.outcome == Outcome::Planned);
  CHECK(r.steps[1].description == "clock time drifts");
  CHECK(r.would_pass == std::optional<bool>(false));  // a restart is not predicted to sync the clock
  CHECK(fx.commands.calls().empty());
}

TEST_CASE("agent_heal loads, and without a gateway its plan is refused with nothing run") {
  PlanFixture fx;
  fx.live.setTimeSync(platform::TimeSyncState{false, true});
  fx.commands.scriptOutput("systemctl", "");
  const std::string yaml =
      "checks:\n  - {id: T-1, title: t, severity: low, hipaa: [x], probe: {type: time_sync}}\n"
      "rules:\n  - {id: R-W, name: n, tiers: [standard], match: [{field: check_id, op: eq, value: T-1}, {field: status, op: eq, value: drifted}],\n"
      "     actions: [{type: restart_service, unit: chronyd.service}, {type: agent_heal, check_type: time}]}\n";
  auto recs = fx.plan(yaml);
  REQUIRE(recs.size() == 1);
  const auto& r = recs[0];
  CHECK(r.outcome == Outcome::Refused);
  CHECK(r.reason == healing::kNoGatewayReason);
  REQUIRE(r.steps.size() == 2);
  CHECK(r.steps[1].type == "agent_heal");
  CHECK(r.steps[1].description.find("HealCommand (time) for time") != std::string::npos);
  CHECK_FALSE(r.would_pass.has_value());
  CHECK(fx.commands.calls().empty());
  CHECK(healing::implementedActionTypes().count("agent_heal") == 1);
}

TEST_CASE("a validator must be a check-only form: it runs even in dry-run") {
  PlanFixture fx;
  fx.write("etc/nftables.conf", "table inet filter {}\n");
  fx.commands.scriptOutput("nft", "");
  const std::string check =
      "checks:\n  - {id: F-1, title: t, severity: low, hipaa: [x], probe: {type: file_regex, path: /etc/nftables.conf, "
      "pattern: '^# managed'}}\n";
  auto rule = [](const std::string& argv) {
    return "rules:\n  - {id: R-F, name: n, tiers: [standard], match: [{field: check_id, op: eq, value: F-1}],\n"
           "     actions: [{type: ensure_line, path: /etc/nftables.conf, line: '# managed', validate: " + argv + "}]}\n";
  };
  auto loads = fx.plan(check + rule("[nft, -f, \"{file}\"]"))[0];
  CHECK(loads.outcome == Outcome::Refused);
  CHECK(loads.reason.find("check-only") != std::string::npos);
  CHECK(fx.commands.calls().empty());  // refused before anything ran
  auto checks_only = fx.plan(check + rule("[nft, -c, -f, \"{file}\"]"))[0];
  CHECK(checks_only.outcome == Outcome::Planned);
  CHECK(fx.commands.calls().size() == 1);
}

TEST_CASE("targets with control characters are refused, dangling links are never written through") {
  PlanFixture fx;
  fx.write("etc/app/evil\nline", "x", 0666);
  fx.symlink("/etc/nowhere/x", "etc/issue");
  const std::string yaml =
      "checks:\n"
      "  - {id: W-1, title: t, severity: low, hipaa: [x], probe: {type: dir_scan, path: /etc/app, find: world_writable}}\n"
      "  - {id: I-1, title: t, severity: low, hipaa: [x], probe: {type: file_regex, path: /etc/issue, pattern: x}}\n"
      "rules:\n"
      "  - {id: R-W, name: n, tiers: [standard], actions: [{type: set_file_mode, path: \"{target}\", max_mode: \"0644\"}],\n"
      "     match: [{field: check_id, op: eq, value: W-1}, {field: status, op: eq, value: drifted}]}\n"
      "  - {id: R-I, name: n, tiers: [standard], actions: [{type: write_file, path: /etc/issue, content: \"x\\n\"}],\n"
      "     match: [{field: check_id, op: eq, value: I-1}, {field: status, op: eq, value: drifted}]}\n";
  auto recs = fx.plan(yaml);
  REQUIRE(recs.size() == 2);
  CHECK(recs[0].outcome == Outcome::Refused);
  CHECK(recs[0].reason.find("control character") != std::string::npos);
  CHECK(recs[1].outcome == Outcome::Refused);
  CHECK(recs[1].reason.find("dangling") != std::string::npos);
  CHECK(recs[1].reason_code == healing::Reason::DanglingLink);
}

TEST_CASE("rules act only on drifted findings, even when their match forgets the status") {
  PlanFixture fx;
  fx.write("etc/a", "x");
  const std::string yaml =
      "checks:\n  - {id: E-1, title: t, severity: low, hipaa: [x], probe: {type: file_exists, path: /etc/a}}\n"
      "rules:\n  - {id: R-E, name: n, tiers: [standard], match: [{field: check_id, op: eq, value: E-1}],\n"
      "     actions: [{type: alert, message: m}]}\n";
  CHECK(fx.plan(yaml).empty());  // compliant: no record, no plan
}

TEST_CASE("a file step whose file cannot be read fails: a host error is not a refusal of policy") {
  PlanFixture fx;
  fx.mkdir("etc");
  const std::string yaml =
      "checks:\n  - {id: G-1, title: t, severity: low, hipaa: [x], probe: {type: file_mode, path: /etc/gone, max_mode: \"0644\", missing: fail}}\n"
      "rules:\n  - {id: R-G, name: n, tiers: [standard], match: [{field: check_id, op: eq, value: G-1}, {field: status, op: eq, value: drifted}],\n"
      "     actions: [{type: set_file_mode, path: /etc/gone, max_mode: \"0644\"}]}\n";
  auto r = fx.plan(yaml).at(0);
  CHECK(r.outcome == Outcome::Failed);
  CHECK(r.reason.find("/etc/gone") != std::string::npos);
  REQUIRE(r.steps.size() == 1);
  CHECK_FALSE(r.steps[0].error.empty());
  CHECK_FALSE(r.would_pass.has_value());
  CHECK_FALSE(healing::countsAsHealed(r.outcome));
}
