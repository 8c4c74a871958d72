// The live executor on real files in a fixture root, with fake systemctl/sshd: heals, backs up,
// re-checks, rolls back, and refuses exactly what a plan refuses.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "healing/healer.h"
#include "healing/live_executor.h"
#include "support/file_text.h"
#include "unit/checks/check_fixture.h"

using checks::Status;
using healing::Outcome;
using testsupport::CheckFixture;

using testsupport::slurp;

namespace {

struct LiveFixture : CheckFixture {
  std::vector<std::string> writable{"/etc/ssh", "/etc/sysctl.d", "/etc/issue", "/proc/sys"};
  fakes::FakeSleeper sleeper{clock};
  std::filesystem::path backups = dir.path() / "backups";
  core::PendingSyncs syncs;  // as a live pass has them (LiveExecutor: "Durability")

  std::vector<healing::ActionRecord> heal(const std::string& yaml) {
    const auto set = load(yaml);
    auto files = platform::LinuxHostFiles::open(root().string());
    REQUIRE(files.ok());
    platform::HostEnv env{**files, live, commands, clock};
    checks::ProbeContext ctx{**files, live, commands, clock, registry};
    const auto findings = checks::runChecks(set, ctx, {});
    healing::LiveExecutor exec(env, registry,
                               healing::ExecutorSettings{writable, std::chrono::seconds(5), std::chrono::seconds(5), ""},
                               backups.string(), sleeper, &syncs);
    return healing::healFindings(findings, set, rules::Tier::FullCoverage, exec);
  }
  int runs(const std::string& tool) const {
    int n = 0;
    for (const auto& c : commands.calls()) n += !c.argv.empty() && c.argv[0] == tool;
    return n;
  }
};

const std::string kSshCheck =
    "checks:\n  - {id: SSH-1, title: t, severity: high, hipaa: [x], probe: {type: config_value, format: sshd,\n"
    "     path: /etc/ssh/sshd_config, key: PermitRootLogin, default: prohibit-password, expect: {op: eq, value: \"no\"}}}\n";

std::string sshRule(const std::string& value = "no", const std::string& extra_steps = "",
                    const std::string& extra = "") {
  return "rules:\n  - id: L1-SSH-1\n    name: n\n    tiers: [standard]\n    verify_after: 2s\n"
         "    match: [{field: check_id, op: eq, value: SSH-1}, {field: status, op: eq, value: drifted}]\n"
         "    actions:\n      - {type: set_config_value, format: sshd, path: /etc/ssh/sshd_config, key: PermitRootLogin,\n"
         "         value: \"" + value + "\", validate: [sshd, -t, -f, \"{file}\"]}\n" + extra_steps + extra;
}

const std::string kOriginal = "# hardened\nPermitRootLogin yes\nMatch User x\n  X11Forwarding yes\n";

// The config edit of sshRule("no") as a step, and a rule of the given steps (no verify_after), for
// tests that put steps around it.
const std::string kSetNoStep =
    "      - {type: set_config_value, format: sshd, path: /etc/ssh/sshd_config, key: PermitRootLogin,\n"
    "         value: \"no\", validate: [sshd, -t, -f, \"{file}\"]}\n";

std::string sshRuleOf(const std::string& steps) {
  return "rules:\n  - id: L1-SSH-1\n    name: n\n    tiers: [standard]\n"
         "    match: [{field: check_id, op: eq, value: SSH-1}, {field: status, op: eq, value: drifted}]\n"
         "    actions:\n" + steps;
}

}  // namespace

TEST_CASE("live: a config edit is backed up, written with its mode, re-checked after verify_after: healed") {
  LiveFixture fx;
  auto path = fx.write("etc/ssh/sshd_config", kOriginal, 0600);
  fx.commands.scriptOutput("sshd", "");
  fx.commands.scriptOutput("systemctl", "");
  auto recs = fx.heal(kSshCheck + sshRule("no", "      - {type: reload_service, unit: sshd.service}\n"));
  REQUIRE(recs.size() == 1);
  const auto& r = recs[0];
  INFO(r.reason);
  CHECK(r.outcome == Outcome::Healed);
  REQUIRE(r.after.has_value());
  CHECK(r.after->status == Status::Compliant);
  // The edit kept the rest of the file, and put the global key before the Match block.
  CHECK(slurp(path) == "# hardened\nPermitRootLogin no\nMatch User x\n  X11Forwarding yes\n");
  struct stat st{};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(fx.runs("sshd") == 1);       // the validator, on the candidate
  CHECK(fx.runs("systemctl") == 1);  // the reload
  CHECK(fx.sleeper.total() == std::chrono::seconds(2));
  // The backup holds the file as it was, and what it was.
  int backups = 0;
  for (const auto& e : std::filesystem::directory_iterator(fx.backups)) {
    ++backups;
    const std::string text = slurp(e.path());
    CHECK(text.substr(text.find('\n') + 1) == kOriginal);
  }
  CHECK(backups == 1);
  // What had to precede the change (the backup) was flushed with it; the file's new directory
  // entry is left for the heal record's commit to make durable.
  CHECK(fx.syncs.size() == 1);
}

TEST_CASE("live: a re-check that still fails restores the file byte for byte: rolled_back") {
  LiveFixture fx;
  auto path = fx.write("etc/ssh/sshd_config", kOriginal, 0600);
  fx.commands.scriptOutput("sshd", "");
  // The rule writes a value that does not satisfy the check.
  auto recs = fx.heal(kSshCheck + sshRule("without-password"));
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].outcome == Outcome::RolledBack);
  CHECK(recs[0].reason.find("every step restored") != std::string::npos);
  CHECK(slurp(path) == kOriginal);
}

TEST_CASE("live: after an irreversible step a failed re-check is failed, with the file restored") {
  LiveFixture fx;
  auto path = fx.write("etc/ssh/sshd_config", kOriginal, 0600);
  fx.commands.scriptOutput("sshd", "");
  fx.commands.scriptOutput("touch", "");
  auto recs = fx.heal(kSshCheck + sshRule("without-password", "      - {type: run_command, argv: [touch, /x]}\n"));
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].outcome == Outcome::Failed);
  CHECK(recs[0].reason.find("run_command touch") != std::string::npos);
  CHECK(recs[0].reason.find("cannot be undone") != std::string::npos);
  CHECK(slurp(path) == kOriginal);
}

TEST_CASE("live: a restart after an edit runs again on the restored file: rolled_back") {
  LiveFixture fx;
  auto path = fx.write("etc/ssh/sshd_config", kOriginal, 0600);
  fx.commands.scriptOutput("sshd", "");
  fx.live.setUnit("sshd.service", "active", "enabled");
  std::vector<std::string> seen;  // the file's content each time systemctl runs
  fx.commands.onRun("systemctl", [&](const platform::CommandSpec&) {
    seen.push_back(slurp(path));
    platform::CommandResult ok;
    ok.exit_code = 0;
    return fakes::FakeCommandRunner::Reply(ok);
  });
  auto recs = fx.heal(kSshCheck + sshRule("without-password", "      - {type: restart_service, unit: sshd.service}\n"));
  REQUIRE(recs.size() == 1);
  INFO(recs[0].reason);
  CHECK(recs[0].outcome == Outcome::RolledBack);
  CHECK(recs[0].reason.find("run again on the restored files") != std::string::npos);
  CHECK(slurp(path) == kOriginal);
  // Restarted on the edit, then again on the original.
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].find("PermitRootLogin without-password") != std::string::npos);
  CHECK(seen[1] == kOriginal);
  CHECK(fx.commands.argvs().back() == std::vector<std::string>{"systemctl", "restart", "--", "sshd.service"});
  // The evidence shows the rollback's restart as a step of its own.
  REQUIRE(recs[0].steps.size() == 3);
  CHECK(recs[0].steps[2].type == "restart_service");
  CHECK(recs[0].steps[2].description.rfind("rollback: systemctl restart sshd.service again", 0) == 0);
  CHECK(recs[0].steps[2].error.empty());
}

TEST_CASE("live: a file that cannot be restored is failed, and the reload is not run again on a half-restored host") {
  LiveFixture fx;
  fx.write("etc/ssh/sshd_config", kOriginal, 0600);
  fx.commands.scriptOutput("sshd", "");
  fx.commands.scriptOutput("systemctl", "");
  // A later step fails after something took the file's directory away: the restore cannot write.
  fx.commands.onRun("breaker", [&](const platform::CommandSpec&) {
    std::filesystem::remove_all(fx.root() / "etc/ssh");
    std::ofstream(fx.root() / "etc/ssh") << "not a directory\n";
    platform::CommandResult r;
    r.exit_code = 1;
    return fakes::FakeCommandRunner::Reply(r);
  });
  auto recs = fx.heal(kSshCheck + sshRule("no", "      - {type: reload_service, unit: sshd.service}\n"
                                                "      - {type: run_command, argv: [breaker]}\n"));
  REQUIRE(recs.size() == 1);
  INFO(recs[0].reason);
  CHECK(recs[0].outcome == Outcome::Failed);
  CHECK(recs[0].reason.find("step 3 (run_command) failed") != std::string::npos);
  CHECK(recs[0].reason.find("restoring failed") != std::string::npos);
  CHECK(recs[0].reason.find("not run again on the half-restored files") != std::string::npos);
  CHECK(fx.runs("systemctl") == 1);  // the reload ran once, on the edit, and not again
}

TEST_CASE("live: a restart that started a stopped unit cannot be undone by restarting it: failed") {
  LiveFixture fx;
  auto path = fx.write("etc/ssh/sshd_config", kOriginal, 0600);
  fx.commands.scriptOutput("sshd", "");
  fx.commands.scriptOutput("systemctl", "");
  fx.live.setUnit("sshd.service", "inactive", "disabled");
  auto recs = fx.heal(kSshCheck + sshRule("without-password", "      - {type: restart_service, unit: sshd.service}\n"));
  REQUIRE(recs.size() == 1);
  INFO(recs[0].reason);
  CHECK(recs[0].outcome == Outcome::Failed);
  CHECK(recs[0].reason.find("restart_service sshd.service (the unit was not known to be running)") != std::string::npos);
  CHECK(slurp(path) == kOriginal);
  CHECK(fx.runs("systemctl") == 1);  // not restarted again: that would leave it running
}

TEST_CASE("live: a reload that fails again on the restored file is failed, saying so") {
  LiveFixture fx;
  auto path = fx.write("etc/ssh/sshd_config", kOriginal, 0600);
  fx.commands.scriptOutput("sshd", "");
  fx.commands.scriptOutput("systemctl", "");                           // the reload on the edit
  fx.commands.scriptOutput("systemctl", "", 1, "unit sshd.service gone");  // and again
  auto recs = fx.heal(kSshCheck + sshRule("without-password", "      - {type: reload_service, unit: sshd.service}\n"));
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].outcome == Outcome::Failed);
  CHECK(recs[0].reason.find("running reload sshd.service again failed") != std::string::npos);
  CHECK(slurp(path) == kOriginal);
  CHECK(fx.runs("systemctl") == 2);
}

TEST_CASE("live: a restart with no file change before it cannot be rolled back: failed") {
  LiveFixture fx;
  fx.write("etc/ssh/sshd_config", "PermitRootLogin yes\n", 0600);
  fx.commands.scriptOutput("systemctl", "");
  const std::string rule =
      "rules:\n  - id: L1-SSH-R\n    name: n\n    tiers: [standard]\n"
      "    match: [{field: check_id, op: eq, value: SSH-1}, {field: status, op: eq, value: drifted}]\n"
      "    actions:\n      - {type: restart_service, unit: sshd.service}\n";
  auto recs = fx.heal(kSshCheck + rule);
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].outcome == Outcome::Failed);
  CHECK(recs[0].reason.find("restart_service sshd.service, which cannot be undone") != std::string::npos);
  CHECK(fx.runs("systemctl") == 1);
}

TEST_CASE("live: a step failing midway restores the earlier steps: failed, naming the step") {
  LiveFixture fx;
  auto path = fx.write("etc/ssh/sshd_config", kOriginal, 0600);
  fx.commands.scriptOutput("sshd", "");
  fx.commands.scriptOutput("systemctl", "", 1, "Job for sshd.service failed");
  auto recs = fx.heal(kSshCheck + sshRule("no", "      - {type: reload_service, unit: sshd.service}\n"));
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].outcome == Outcome::Failed);
  CHECK(recs[0].reason.find("step 2 (reload_service)") != std::string::npos);
  CHECK(recs[0].steps[1].error.find("exited 1") != std::string::npos);
  CHECK(slurp(path) == kOriginal);
  // The failed reload runs again once the file is back, so the service is on the old file.
  CHECK(fx.runs("systemctl") == 2);
  CHECK(recs[0].reason.find("run again on the restored files") == std::string::npos);  // it failed again
  CHECK(recs[0].reason.find("running reload sshd.service again failed") != std::string::npos);
}

TEST_CASE("live: a validator rejecting the candidate leaves the file untouched: refused") {
  LiveFixture fx;
  auto path = fx.write("etc/ssh/sshd_config", kOriginal, 0600);
  fx.commands.scriptOutput("sshd", "", 255, "line 2: Bad configuration option");
  auto recs = fx.heal(kSshCheck + sshRule());
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].outcome == Outcome::Refused);
  CHECK(slurp(path) == kOriginal);
  CHECK_FALSE(std::filesystem::exists(fx.backups));
}

TEST_CASE("live: a path outside writable_paths is refused with nothing written anywhere") {
  LiveFixture fx;
  fx.writable = {"/etc/issue"};
  auto path = fx.write("etc/ssh/sshd_config", kOriginal, 0600);
  fx.commands.scriptOutput("sshd", "");
  auto recs = fx.heal(kSshCheck + sshRule());
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].outcome == Outcome::Refused);
  CHECK(slurp(path) == kOriginal);
  CHECK(fx.runs("systemctl") == 0);
}

TEST_CASE("live: a created file is removed again when the re-check fails") {
  LiveFixture fx;
  const std::string yaml =
      "checks:\n  - {id: BAN-1, title: t, severity: low, hipaa: [x], probe: {type: file_regex, path: /etc/issue,\n"
      "     present: true, pattern: 'authori[sz]ed'}}\n"
      "rules:\n  - id: L1-BAN-1\n    name: n\n    tiers: [standard]\n"
      "    match: [{field: check_id, op: eq, value: BAN-1}, {field: status, op: eq, value: drifted}]\n"
      "    actions:\n      - {type: write_file, path: /etc/issue, content: \"welcome\\n\", mode: \"0644\"}\n";
  fx.mkdir("etc");
  auto recs = fx.heal(yaml);
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].outcome == Outcome::RolledBack);
  CHECK_FALSE(std::filesystem::exists(fx.root() / "etc/issue"));
}

TEST_CASE("live: set_sysctl writes /proc/sys and persists it, and an alert-only rule is alerted") {
  LiveFixture fx;
  fx.write("proc/sys/net/ipv4/ip_forward", "1\n");
  fx.mkdir("etc/sysctl.d");
  const std::string yaml =
      "checks:\n  - {id: KRN-1, title: t, severity: high, hipaa: [x], probe: {type: sysctl, key: net.ipv4.ip_forward,\n"
      "     expect: {op: eq, value: \"0\"}}}\n"
      "  - {id: ALR-1, title: t, severity: low, hipaa: [x], probe: {type: file_exists, path: /etc/motd}}\n"
      "rules:\n  - id: L1-KRN-1\n    name: n\n    tiers: [standard]\n"
      "    match: [{field: check_id, op: eq, value: KRN-1}, {field: status, op: eq, value: drifted}]\n"
      "    actions:\n      - {type: set_sysctl, key: net.ipv4.ip_forward, value: \"0\", persist_file: /etc/sysctl.d/99-ca.conf}\n"
      "  - id: L1-ALR-1\n    name: n\n    tiers: [standard]\n"
      "    match: [{field: check_id, op: eq, value: ALR-1}, {field: status, op: eq, value: drifted}]\n"
      "    actions:\n      - {type: alert, message: no motd}\n";
  auto recs = fx.heal(yaml);
  REQUIRE(recs.size() == 2);
  std::map<std::string, healing::ActionRecord> by;
  for (const auto& r : recs) by[r.rule_id] = r;
  INFO(by["L1-KRN-1"].reason);
  CHECK(by["L1-KRN-1"].outcome == Outcome::Healed);
  CHECK(slurp(fx.root() / "proc/sys/net/ipv4/ip_forward") == "0\n");
  CHECK(slurp(fx.root() / "etc/sysctl.d/99-ca.conf").find("net.ipv4.ip_forward = 0") != std::string::npos);
  CHECK(by["L1-ALR-1"].outcome == Outcome::Alerted);
  CHECK_FALSE(healing::countsAsHealed(by["L1-ALR-1"].outcome));
}

TEST_CASE("live: steps that edit one file twice are written once, with one backup of the file as it was") {
  LiveFixture fx;
  auto path = fx.write("etc/ssh/sshd_config", kOriginal, 0600);
  fx.commands.scriptOutput("sshd", "");
  fx.commands.scriptOutput("systemctl", "");
  auto recs = fx.heal(kSshCheck + sshRule("no", "      - {type: ensure_line, path: /etc/ssh/sshd_config, line: \"# healed\"}\n"
                                                "      - {type: reload_service, unit: sshd.service}\n"));
  REQUIRE(recs.size() == 1);
  INFO(recs[0].reason);
  CHECK(recs[0].outcome == Outcome::Healed);
  const std::string now = slurp(path);
  CHECK(now.find("PermitRootLogin no\n") != std::string::npos);
  CHECK(now.find("# healed\n") != std::string::npos);
  int backups = 0;
  for (const auto& e : std::filesystem::directory_iterator(fx.backups)) {
    ++backups;
    const std::string text = slurp(e.path());
    CHECK(text.substr(text.find('\n') + 1) == kOriginal);  // the file before the heal, not between steps
  }
  CHECK(backups == 1);
  // A rollback restores it whole: the same two steps with a value the check refuses.
  LiveFixture again;
  auto p2 = again.write("etc/ssh/sshd_config", kOriginal, 0600);
  again.commands.scriptOutput("sshd", "");
  auto rolled = again.heal(kSshCheck + sshRule("without-password",
                                              "      - {type: ensure_line, path: /etc/ssh/sshd_config, line: \"# x\"}\n"));
  REQUIRE(rolled.size() == 1);
  CHECK(rolled[0].outcome == Outcome::RolledBack);
  CHECK(slurp(p2) == kOriginal);
}

TEST_CASE("live: a first step that fails has nothing to restore, and says so") {
  LiveFixture fx;
  auto path = fx.write("etc/ssh/sshd_config", kOriginal, 0600);
  fx.commands.scriptOutput("sshd", "");
  fx.commands.onRun("breaker", [](const platform::CommandSpec&) {
    platform::CommandResult r;
    r.exit_code = 1;
    return fakes::FakeCommandRunner::Reply(r);
  });
  auto recs = fx.heal(kSshCheck + sshRuleOf("      - {type: run_command, argv: [breaker]}\n" + kSetNoStep));
  REQUIRE(recs.size() == 1);
  INFO(recs[0].reason);
  CHECK(recs[0].outcome == Outcome::Failed);
  CHECK(recs[0].reason.find("step 1 (run_command) failed") != std::string::npos);
  CHECK(recs[0].reason.find("nothing to restore") != std::string::npos);
  CHECK(recs[0].reason.find("restored") == std::string::npos);  // nothing was, so nothing claims it
  CHECK(slurp(path) == kOriginal);
}

TEST_CASE("live: a file that changed after the plan was made is not written: failed, the newer content kept") {
  // The live run carries out the plan; it never writes content computed from a state that is gone
  // (an earlier command of the rule, or someone else, changed the file since).
  LiveFixture fx;
  auto path = fx.write("etc/ssh/sshd_config", kOriginal, 0600);
  fx.commands.scriptOutput("sshd", "");
  const std::string by_command = "PermitRootLogin yes\n# rewritten by the command\n";
  fx.commands.onRun("rewriter", [&](const platform::CommandSpec&) {
    std::ofstream(path, std::ios::trunc) << by_command;
    platform::CommandResult r;
    r.exit_code = 0;
    return fakes::FakeCommandRunner::Reply(r);
  });
  auto recs = fx.heal(kSshCheck + sshRuleOf("      - {type: run_command, argv: [rewriter]}\n" + kSetNoStep));
  REQUIRE(recs.size() == 1);
  INFO(recs[0].reason);
  CHECK(recs[0].outcome == Outcome::Failed);
  CHECK(recs[0].reason_code == healing::Reason::StepFailed);
  CHECK(recs[0].reason.find("step 2 (set_config_value) failed") != std::string::npos);
  CHECK(recs[0].reason.find("has changed since the plan was made") != std::string::npos);
  CHECK(recs[0].reason.find("run_command rewriter had run and cannot be undone") != std::string::npos);
  CHECK(slurp(path) == by_command);
  CHECK(fx.runs("sshd") == 1);  // the validator ran once, in the plan: the live run does not plan again
  bool any_backup = false;
  if (std::filesystem::exists(fx.backups)) {
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(fx.backups)) any_backup = true;
  }
  CHECK_FALSE(any_backup);  // nothing was backed up: the plan's "before" is not the file's
}

TEST_CASE("live: an edit and a chmod of one file, in either order, write the edited content with the new mode") {
  // The two steps are merged into one write; a chmod reads no content, so its empty before/after
  // must not be taken for the file's content (which wrote the file empty, or failed the heal).
  for (const bool chmod_first : {false, true}) {
    INFO("chmod first: " << chmod_first);
    LiveFixture fx;
    auto path = fx.write("etc/ssh/sshd_config", kOriginal, 0644);
    fx.commands.scriptOutput("sshd", "");
    const std::string chmod = "      - {type: set_file_mode, path: /etc/ssh/sshd_config, mode: \"0600\"}\n";
    auto recs = fx.heal(kSshCheck + sshRuleOf(chmod_first ? chmod + kSetNoStep : kSetNoStep + chmod));
    REQUIRE(recs.size() == 1);
    INFO(recs[0].reason);
    CHECK(recs[0].outcome == Outcome::Healed);
    CHECK(slurp(path) == "# hardened\nPermitRootLogin no\nMatch User x\n  X11Forwarding yes\n");
    struct stat st{};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    // One backup, of the file as it was: its content, so a rollback could put it back.
    int backups = 0;
    for (const auto& e : std::filesystem::directory_iterator(fx.backups)) {
      ++backups;
      const std::string text = slurp(e.path());
      CHECK(text.substr(text.find('\n') + 1) == kOriginal);
    }
    CHECK(backups == 1);
  }
}
