// `run --once` through the real binary on generated hosts: every drift gets exactly one plan,
// the plan's would_pass is what the table below says, and the host stays byte-identical.
#include <map>
#include <set>

#include "fixture_host.h"
#include "platform/state_lock.h"

using nlohmann::json;
using testsupport::FixtureHost;
using testsupport::runAgent;

namespace {

json runOnce(const FixtureHost& host, const std::vector<std::string>& extra, int expect_exit = 1) {
  std::vector<std::string> args{"run", "--once", "--json", "--config", host.config()};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = runAgent(args);
  INFO(r.err);
  REQUIRE(r.exit_code == expect_exit);
  return json::parse(r.out);
}

// Drifts whose plan cannot make the check pass: escalations and alerts (a human fixes them), a
// restart that cannot be predicted to sync the clock, and NixOS store files (nix_managed). (A
// drift set in an sshd Include drop-in passes: the setting goes before the Include.)
const std::set<std::string> kCannotPass = {
    "APP-DISK-001", "APP-TIME-001", "LIN-ACC-009", "LIN-ACC-010", "LIN-ACC-027", "LIN-ACC-028", "LIN-ACC-029",
    "LIN-ACC-030", "LIN-CRN-015", "LIN-CRN-018", "LIN-FS-001", "LIN-FW-001", "LIN-FW-003", "LIN-FW-004",
    "LIN-FW-005", "LIN-FW-006", "LIN-FW-007", "LIN-FW-008", "LIN-LOG-005", "LIN-MNT-001", "LIN-MNT-002",
    "LIN-MNT-003", "LIN-MNT-004", "LIN-MNT-005", "LIN-MNT-006", "LIN-MNT-007", "LIN-MNT-008", "LIN-MNT-009",
    "LIN-NET-001", "LIN-NET-002", "LIN-SUD-003", "LIN-SUD-004", "LIN-SUD-005", "LIN-TLS-001", "NIX-GEN-001"};

}  // namespace

TEST_CASE("run --once plans every drift, with diffs and would_pass, and leaves the host byte-identical") {
  for (const std::string platform : {"nixos", "linux"}) {
    INFO("platform " << platform);
    FixtureHost host(platform, "all");
    const std::string before = FixtureHost::treeHash(host.root());
    const json doc = runOnce(host, {"--tier", "full_coverage"});
    CHECK(FixtureHost::treeHash(host.root()) == before);
    CHECK(doc.at("mode") == "dry_run");
    CHECK(doc.at("tier") == "full_coverage");

    std::map<std::pair<std::string, std::string>, json> actions;
    for (const auto& a : doc.at("actions")) {
      const auto key = std::make_pair(a.at("check_id").get<std::string>(), a.at("target").get<std::string>());
      CHECK(actions.count(key) == 0);  // one record per (check, target)
      actions[key] = a;
    }
    int drifted = 0;
    for (const auto& f : doc.at("findings")) {
      const auto key = std::make_pair(f.at("check_id").get<std::string>(), f.at("target").get<std::string>());
      INFO(key.first << " " << key.second);
      if (f.at("status") != "drifted") {
        CHECK(actions.count(key) == 0);
        continue;
      }
      ++drifted;
      REQUIRE(actions.count(key) == 1);
      const json& a = actions[key];
      CHECK(a.at("outcome") == "planned");
      CHECK(a.at("rule_id") == "L1-" + key.first);
      CHECK_FALSE(a.at("steps").empty());
      const bool nix_managed = a.at("reason_code") == "nix_managed";
      const bool can_pass = !kCannotPass.count(key.first) && !nix_managed;
      CHECK(a.at("would_pass") == can_pass);
    }
    CHECK(drifted == static_cast<int>(actions.size()));
    CHECK(doc.at("summary").at("outcomes").at("planned") == drifted);

    // The exact plan of one file edit: a unified diff of the candidate, then the reload.
    const json& ssh = actions[{"LIN-SSH-001", "/etc/ssh/sshd_config"}];
    CHECK(ssh.at("steps")[0].at("diff").get<std::string>().find("+PermitRootLogin no") != std::string::npos);
    CHECK(ssh.at("steps")[1].at("argv") == json::array({"systemctl", "reload", "--", "sshd.service"}));
    if (platform == "nixos") CHECK(actions[{"LIN-BAN-001", "/etc/issue"}].at("reason_code") == "nix_managed");
  }
}

TEST_CASE("run --once in the standard tier: full_coverage rules are not_in_tier, drifts without rules are no_rule") {
  FixtureHost host("nixos", "LIN-SSH-001,APP-SVC-001");
  const json doc = runOnce(host, {});
  CHECK(doc.at("tier") == "standard");
  std::map<std::string, std::string> outcome;
  for (const auto& a : doc.at("actions")) outcome[a.at("check_id").get<std::string>()] = a.at("outcome").get<std::string>();
  CHECK(outcome == std::map<std::string, std::string>{{"APP-SVC-001", "planned"}, {"LIN-SSH-001", "not_in_tier"}});

  // A rule set with a check and no rule: the drift is reported as no_rule.
  testsupport::TempDir rules_dir{"ca-rules"};
  rules_dir.write("r.yaml", "checks:\n  - {id: X-1, title: t, severity: low, hipaa: [x], "
                            "probe: {type: file_exists, path: /etc/not-there}}\n");
  const json lone = runOnce(host, {"--rules", rules_dir.path().string()});
  REQUIRE(lone.at("actions").size() == 1);
  CHECK(lone.at("actions")[0].at("outcome") == "no_rule");
  CHECK(lone.at("actions")[0].at("target") == "/etc/not-there");
}

TEST_CASE("run --once takes its mode from the flag, then HEALING_DRY_RUN, and refuses a busy state_dir") {
  FixtureHost host("nixos", "none");
  auto live = runAgent({"run", "--once", "--live", "--json", "--config", host.config()});
  CHECK(live.exit_code == 0);  // pristine host: nothing to heal
  CHECK(nlohmann::json::parse(live.out)["mode"] == "live");
  auto env_live = runAgent({"run", "--once", "--json", "--config", host.config()}, {{"HEALING_DRY_RUN", "false"}});
  CHECK(env_live.exit_code == 0);
  CHECK(nlohmann::json::parse(env_live.out)["mode"] == "live");
  auto flag_wins = runAgent({"run", "--once", "--json", "--dry-run", "--config", host.config()},
                            {{"HEALING_DRY_RUN", "false"}});
  CHECK(nlohmann::json::parse(flag_wins.out)["mode"] == "dry_run");
  auto bad_env = runAgent({"run", "--once", "--config", host.config()}, {{"HEALING_DRY_RUN", "maybe"}});
  CHECK(bad_env.exit_code == 2);
  CHECK(bad_env.err.find("HEALING_DRY_RUN") != std::string::npos);

  const std::string state = (host.out / "state-agent").string();
  auto ok = runAgent({"run", "--once", "--config", host.config()});
  CHECK(ok.exit_code == 0);  // pristine host: all compliant
  CHECK(std::filesystem::is_directory(state));
  CHECK((std::filesystem::status(state).permissions() & std::filesystem::perms::all) == std::filesystem::perms::owner_all);

  auto held = platform::StateLock::acquire(state);
  REQUIRE(held.ok());
  auto busy = runAgent({"run", "--once", "--config", host.config()});
  CHECK(busy.exit_code == 4);
  CHECK(busy.err.find("busy") != std::string::npos);
}

TEST_CASE("an action's JSON in the report is its heal record's body in the evidence") {
  FixtureHost host("nixos", "all");
  const json doc = runOnce(host, {"--tier", "full_coverage"});
  std::map<std::pair<std::string, std::string>, json> actions;
  std::set<std::string> codes;
  for (const auto& a : doc.at("actions")) {
    actions[{a.at("check_id").get<std::string>(), a.at("target").get<std::string>()}] = a;
    codes.insert(a.at("reason_code").get<std::string>());
  }
  // The fixture's drifts end in more than one way, each with its code beside the text.
  CHECK(codes.count("") == 1);  // plain plans
  CHECK(codes.count("nix_managed") == 1);
  auto tail = runAgent({"evidence", "tail", "-n", "100000", "--json", "--config", host.config()});
  REQUIRE(tail.exit_code == 0);
  int heal_records = 0;
  const json records = json::parse(tail.out);
  for (const auto& r : records.at("records")) {
    if (r.at("kind") != "heal") continue;
    ++heal_records;
    const json& body = r.at("body");
    const auto it = actions.find({body.at("check_id").get<std::string>(), body.at("target").get<std::string>()});
    REQUIRE(it != actions.end());
    INFO(body.dump());
    CHECK(body == it->second);  // one encoder: the same fields, values and nulls
    CHECK_FALSE(body.at("before").is_null());
  }
  CHECK(heal_records == static_cast<int>(actions.size()));
}
