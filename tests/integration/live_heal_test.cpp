// Live healing through the real binary on a generated host with every shipped drift planted, stub
// systemctl/sshd/nft recording their argv: every rule whose dry-run plan would pass heals its
// drift (and only those), the host then passes those checks, and a second live cycle changes
// nothing and runs no acting command.
#include <fstream>
#include <map>
#include <sstream>

#include "fixture_host.h"

using nlohmann::json;
using testsupport::FixtureHost;
using testsupport::runAgent;
using testsupport::slurp;
using testsupport::spit;

namespace fs = std::filesystem;

namespace {


// The acting calls (start, restart, reload, enable ...) in the stubs' call log.
int actingCalls(const fs::path& log) {
  std::istringstream in(slurp(log));
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    for (const char* verb : {"systemctl start", "systemctl restart", "systemctl reload", "systemctl enable",
                             "systemctl stop", "nft -f"}) {
      if (line.rfind(verb, 0) == 0) ++n;
    }
  }
  return n;
}

}  // namespace

TEST_CASE("live: every drift whose plan would pass is healed, the rest is not, and a second cycle is a no-op") {
  FixtureHost host("linux", "all");
  std::string cfg = slurp(host.config());
  const std::string healing = "healing:\n  dry_run: true\n";
  REQUIRE(cfg.find(healing) != std::string::npos);
  cfg.replace(cfg.find(healing), healing.size(), "healing:\n  dry_run: true\n  max_actions_per_hour: 1000\n");
  std::ofstream(host.config(), std::ios::trunc) << cfg;
  const std::vector<std::string> common{"--config", host.config(), "--tier", "full_coverage", "--json"};
  const auto agent = [&](std::vector<std::string> args) {
    args.insert(args.end(), common.begin(), common.end());
    return runAgent(args);
  };

  // The dry-run plan first (pure: the host stays as it is).
  auto plan = agent({"run", "--once", "--dry-run"});
  REQUIRE(plan.exit_code == 1);
  std::map<std::string, bool> would_pass;
  const json planned = json::parse(plan.out);
  for (const auto& a : planned["actions"]) {
    if (a["outcome"] == "planned") would_pass[a["rule_id"].get<std::string>() + " " + a["target"].get<std::string>()] =
        a.value("would_pass", false);
  }
  REQUIRE(would_pass.size() >= 120);  // 126 planned with every shipped drift (issue 10)

  auto live = agent({"run", "--once", "--live"});
  INFO(live.err);
  REQUIRE((live.exit_code == 0 || live.exit_code == 1));
  const json done = json::parse(live.out);
  CHECK(done["mode"] == "live");
  int healed = 0;
  for (const auto& a : done["actions"]) {
    const std::string key = a["rule_id"].get<std::string>() + " " + a["target"].get<std::string>();
    if (!would_pass.count(key)) continue;
    INFO(key << ": " << a["outcome"] << " " << a["reason"]);
    // The dry-run's prediction and the live outcome agree.
    CHECK((a["outcome"] == "healed") == would_pass[key]);
    healed += a["outcome"] == "healed";
  }
  CHECK(healed >= 100);  // 108: all but escalations, alerts, the clock and the listeners

  // The healed checks pass now.
  auto after = agent({"check"});
  std::map<std::string, std::string> status;
  const json checked = json::parse(after.out);
  for (const auto& f : checked["findings"]) {
    status[f["check_id"].get<std::string>() + " " + f["target"].get<std::string>()] = f["status"];
  }
  for (const auto& a : done["actions"]) {
    if (a["outcome"] == "healed") {
      // Compliant, or gone (a scan hit that was removed is no longer a finding at all).
      const std::string key = a["check_id"].get<std::string>() + " " + a["target"].get<std::string>();
      INFO(key);
      CHECK((status.count(key) == 0 || status[key] == "compliant"));
    }
  }

  // Idempotent: a second live cycle writes nothing and runs no acting command.
  const std::string tree = FixtureHost::treeHash(host.root());
  const fs::path calls = host.out / "state" / "calls.log";
  const int acting_before = actingCalls(calls);
  auto again = agent({"run", "--once", "--live"});
  REQUIRE((again.exit_code == 0 || again.exit_code == 1));
  const json second = json::parse(again.out);
  for (const auto& a : second["actions"]) {
    INFO(a["rule_id"] << " " << a["target"]);
    CHECK(a["outcome"] != "healed");  // nothing left to heal: only what could not be healed remains
  }
  CHECK(FixtureHost::treeHash(host.root()) == tree);
  CHECK(actingCalls(calls) == acting_before);

  // Every heal is in the evidence, with its re-check, and the chain verifies.
  auto verify = runAgent({"evidence", "verify", "--config", host.config()});
  CHECK(verify.exit_code == 0);
  auto tail = runAgent({"evidence", "tail", "-n", "100000", "--json", "--config", host.config()});
  int heal_records = 0;
  const json records = json::parse(tail.out);
  for (const auto& r : records["records"]) {
    if (r["kind"] == "heal" && r["body"]["outcome"] == "healed") {
      ++heal_records;
      CHECK(r["mode"] == "live");
      CHECK(r["body"]["after"]["status"] == "compliant");
    }
  }
  CHECK(heal_records == healed);
}
