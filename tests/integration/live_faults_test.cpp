// Live healing faults through the real binary: a hanging command is killed with its children at
// its timeout and the cycle goes on; a step failing midway leaves the host byte-identical; a
// path outside writable_paths (directly or through a symlink) is refused with nothing written
// anywhere; a NixOS store-managed file is escalated, never edited.
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "fixture_host.h"

using nlohmann::json;
using testsupport::FixtureHost;
using testsupport::runAgent;
using testsupport::slurp;
using testsupport::spit;

namespace fs = std::filesystem;

namespace {



// The shipped rules plus `extra` as test/faults.yaml, and a config with a short command timeout
// and `tools` added.
struct FaultHost : FixtureHost {
  fs::path rules = dir.path() / "rules";
  FaultHost(const std::string& platform, const std::string& drift, const std::string& extra,
            const std::string& tools = "")
      : FixtureHost(platform, drift) {
    fs::copy(fs::path(CA_SOURCE_DIR) / "rules", rules, fs::copy_options::recursive);
    if (!extra.empty()) spit(rules / "test/faults.yaml", extra);
    std::string cfg = slurp(config());
    cfg.replace(cfg.find("tools:\n"), 7, "tools:\n" + tools);
    cfg.replace(cfg.find("healing:\n  dry_run: true\n"), 25,
                "healing:\n  dry_run: true\n  command_timeout: 2s\n  max_actions_per_hour: 1000\n");
    spit(config(), cfg);
  }
  json live() const {
    auto r = runAgent({"run", "--once", "--live", "--json", "--tier", "full_coverage", "--config", config(), "--rules",
                       rules.string()});
    INFO(r.err);
    REQUIRE((r.exit_code == 0 || r.exit_code == 1));
    return json::parse(r.out);
  }
  static json action(const json& doc, const std::string& rule) {
    for (const auto& a : doc["actions"]) {
      if (a["rule_id"] == rule) return a;
    }
    FAIL("no action of " << rule);
    return {};
  }
};

const char* kCheckAndRule = R"yaml(checks:
  - id: T-FAULT-1
    title: a marker file exists
    severity: low
    hipaa: ["164.312(b)"]
    probe: {type: file_exists, path: /etc/ca-fault-marker}
rules:
  - id: L1-T-FAULT-1
    name: fault case
    tiers: [standard]
    match: [{field: check_id, op: eq, value: T-FAULT-1}, {field: status, op: eq, value: drifted}]
    actions:
)yaml";

}  // namespace

TEST_CASE("live fault: a hanging command is killed with its children at its timeout, and the cycle goes on") {
  testsupport::TempDir tmp{"ca-hang"};
  const fs::path pidfile = tmp.path() / "child.pid";
  const fs::path hang = tmp.path() / "hang.sh";
  spit(hang, "#!/bin/sh\nsleep 300 &\necho $! > " + pidfile.string() + "\nwait\n");
  fs::permissions(hang, fs::perms::owner_all);
  FaultHost host("linux", "LIN-KRN-001",
                 std::string(kCheckAndRule) + "      - {type: run_command, argv: [hang]}\n",
                 "  hang: " + hang.string() + "\n");
  const auto t0 = std::chrono::steady_clock::now();
  const json doc = host.live();
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  const json a = FaultHost::action(doc, "L1-T-FAULT-1");
  CHECK(a["outcome"] == "failed");
  CHECK(a["reason"].get<std::string>().find("timed out") != std::string::npos);
  CHECK(elapsed < std::chrono::seconds(60));
  // The cycle went on: the other drift was healed after it.
  CHECK(FaultHost::action(doc, "L1-LIN-KRN-001")["outcome"] == "healed");
  // The stub's child is gone too.
  const int child = std::stoi(slurp(pidfile));
  bool gone = false;
  for (int i = 0; i < 50 && !gone; ++i) {
    gone = ::kill(child, 0) != 0;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(gone);
}

TEST_CASE("live fault: a step failing midway leaves the host byte-identical") {
  FaultHost host("linux", "LIN-SSH-004", "");
  // The reload after the sshd_config edit fails: the edit is undone.
  fs::create_directories(host.out / "state" / "fail");
  spit(host.out / "state" / "fail" / "sshd.service", "");
  const std::string before = FixtureHost::treeHash(host.root());
  const std::string config_before = slurp(host.root() / "etc/ssh/sshd_config");
  const json a = FaultHost::action(host.live(), "L1-LIN-SSH-004");
  CHECK(a["outcome"] == "failed");
  CHECK(a["reason"].get<std::string>().find("step 2") != std::string::npos);
  CHECK(slurp(host.root() / "etc/ssh/sshd_config") == config_before);
  CHECK(FixtureHost::treeHash(host.root()) == before);
}

TEST_CASE("live fault: a reload after an edit that does not fix the drift runs again on the restored file") {
  FaultHost host("linux", "none",
                 std::string(kCheckAndRule) +
                     "      - {type: ensure_line, path: /etc/ssh/sshd_config, line: \"# touched by a fault rule\"}\n"
                     "      - {type: reload_service, unit: sshd.service}\n");
  const std::string before = FixtureHost::treeHash(host.root());
  spit(host.out / "state" / "calls.log", "");
  const json a = FaultHost::action(host.live(), "L1-T-FAULT-1");
  INFO(a.dump());
  CHECK(a["outcome"] == "rolled_back");
  CHECK(a["reason"].get<std::string>().find("run again on the restored files") != std::string::npos);
  CHECK(FixtureHost::treeHash(host.root()) == before);
  // Reloaded once on the edit and once on the restored file.
  const std::string calls = slurp(host.out / "state" / "calls.log");
  std::size_t reloads = 0;
  for (auto at = calls.find("systemctl reload -- sshd.service"); at != std::string::npos;
       at = calls.find("systemctl reload -- sshd.service", at + 1)) {
    ++reloads;
  }
  CHECK(reloads == 2);
}

TEST_CASE("live fault: an agent_heal rule loads and is refused without a gateway, with nothing done") {
  FaultHost host("linux", "none",
                 std::string(kCheckAndRule) + "      - {type: restart_service, unit: sshd.service}\n"
                                              "      - {type: agent_heal, check_type: firewall}\n");
  const std::string before = FixtureHost::treeHash(host.root());
  spit(host.out / "state" / "calls.log", "");
  const json a = FaultHost::action(host.live(), "L1-T-FAULT-1");
  INFO(a.dump());
  CHECK(a["outcome"] == "refused");
  CHECK(a["reason"].get<std::string>().find("no workstation gateway") != std::string::npos);
  CHECK(FixtureHost::treeHash(host.root()) == before);
  CHECK(slurp(host.out / "state" / "calls.log").find("restart") == std::string::npos);
}

TEST_CASE("live: old backups are pruned at the start of a live run, and a backups directory open to others fails the heal") {
  using namespace std::chrono;
  const auto now_ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  {
    FaultHost host("linux", "LIN-SSH-004", "");
    const fs::path backups = host.out / "state-agent" / "backups";
    fs::create_directories(backups);
    fs::permissions(backups, fs::perms::owner_all, fs::perm_options::replace);
    const std::string old_name = std::to_string(now_ms - 31LL * 86'400'000) + "-L1-OLD-1-0000000000000000.json";
    const std::string recent_name = std::to_string(now_ms - 3'600'000) + "-L1-NEW-1-0000000000000000.json";
    spit(backups / old_name, "{}\n");
    spit(backups / recent_name, "{}\n");
    spit(backups / "README", "kept\n");
    CHECK(FaultHost::action(host.live(), "L1-LIN-SSH-004")["outcome"] == "healed");
    CHECK_FALSE(fs::exists(backups / old_name));
    CHECK(fs::exists(backups / recent_name));
    CHECK(fs::exists(backups / "README"));
    int fresh = 0;
    for (const auto& e : fs::directory_iterator(backups)) fresh += e.path().filename().string().find("L1-LIN-SSH-004") != std::string::npos;
    CHECK(fresh >= 1);
  }
  {
    FaultHost host("linux", "LIN-SSH-004", "");
    const fs::path backups = host.out / "state-agent" / "backups";
    fs::create_directories(backups);
    fs::permissions(backups, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                 fs::perms::others_read | fs::perms::others_exec,
                    fs::perm_options::replace);
    const std::string before = FixtureHost::treeHash(host.root());
    const json a = FaultHost::action(host.live(), "L1-LIN-SSH-004");
    INFO(a.dump());
    CHECK(a["outcome"] == "failed");
    CHECK(a["reason"].get<std::string>().find("chmod 700 " + backups.string()) != std::string::npos);
    CHECK(FixtureHost::treeHash(host.root()) == before);
    CHECK(fs::is_empty(backups));
  }
}

TEST_CASE("live fault: outside writable_paths, directly or through a symlink, is refused with nothing written") {
  testsupport::TempDir outside{"ca-outside"};
  const fs::path victim = outside.path() / "victim";
  spit(victim, "untouched\n");
  // T-FAULT-2: /etc/issue.net is a link pointing far up: it resolves inside the root (to the
  // victim's path there), never to the real file outside, and that resolved path is not writable.
  const std::string second_check =
      "  - id: T-FAULT-2\n    title: issue.net says pwned\n    severity: low\n    hipaa: [\"164.312(b)\"]\n"
      "    probe: {type: file_regex, path: /etc/issue.net, present: true, pattern: pwned}\n";
  std::string yaml = std::string(kCheckAndRule) +
                     "      - {type: write_file, path: /etc/hosts.allow, content: \"ALL: ALL\\n\"}\n"
                     "  - id: L1-T-FAULT-2\n    name: via a link\n    tiers: [standard]\n"
                     "    match: [{field: check_id, op: eq, value: T-FAULT-2}, {field: status, op: eq, value: drifted}]\n"
                     "    actions:\n      - {type: write_file, path: /etc/issue.net, content: \"pwned\\n\"}\n";
  yaml.insert(yaml.find("rules:\n"), second_check);
  FaultHost host("linux", "none", yaml);
  fs::remove(host.root() / "etc/issue.net");
  fs::create_symlink("../../../../../../../../.." + victim.string(), host.root() / "etc/issue.net");
  std::string cfg = slurp(host.config());
  cfg.replace(cfg.find("  command_timeout: 2s\n"), 21, "  command_timeout: 2s\n  writable_paths: [/etc/issue.net, /etc/ssh]\n");
  spit(host.config(), cfg);
  const std::string before = FixtureHost::treeHash(host.root());
  const json doc = host.live();
  CHECK(FaultHost::action(doc, "L1-T-FAULT-1")["outcome"] == "refused");
  CHECK(FaultHost::action(doc, "L1-T-FAULT-2")["outcome"] == "refused");
  CHECK(FixtureHost::treeHash(host.root()) == before);
  CHECK(slurp(victim) == "untouched\n");
  CHECK_FALSE(fs::exists(host.out / "state-agent" / "backups"));
}

TEST_CASE("live fault: a NixOS store-managed file is escalated as nix_managed, never edited") {
  // On the NixOS fixture /etc/issue is a link into /nix/store.
  FaultHost host("nixos", "LIN-BAN-001", "");
  const std::string before = FixtureHost::treeHash(host.root());
  const json a = FaultHost::action(host.live(), "L1-LIN-BAN-001");
  CHECK(a["outcome"] == "escalated");
  CHECK(a["reason_code"] == "nix_managed");
  CHECK(FixtureHost::treeHash(host.root()) == before);
}
