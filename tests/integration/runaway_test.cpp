// Runaway through the real binary: a drift that comes back after every heal, over 60 live
// cycles, each one a new agent process (so the guards must persist): the agent heals it
// flap_threshold times, then suppresses it with exactly one escalation, and acts no more.
#include <fstream>
#include <sstream>

#include "fixture_host.h"

using nlohmann::json;
using testsupport::FixtureHost;
using testsupport::runAgent;
using testsupport::slurp;
using testsupport::spit;

namespace fs = std::filesystem;

namespace {



const char* kFlappy = R"yaml(checks:
  - id: T-FLAP-1
    title: a marker file exists
    severity: low
    hipaa: ["164.312(b)"]
    probe: {type: file_exists, path: /etc/issue.flap}
rules:
  - id: L1-T-FLAP-1
    name: recreate the marker
    tiers: [standard]
    cooldown: 0s
    max_attempts: 100
    match: [{field: check_id, op: eq, value: T-FLAP-1}, {field: status, op: eq, value: drifted}]
    actions:
      - {type: write_file, path: /etc/issue.flap, content: "here\n"}
)yaml";

}  // namespace

TEST_CASE("runaway: a drift that returns after every heal is healed flap_threshold times, then suppressed once") {
  FixtureHost host("linux", "none");
  const fs::path rules = host.dir.path() / "rules";
  spit(rules / "flappy.yaml", kFlappy);
  std::string cfg = slurp(host.config());
  cfg.replace(cfg.find("healing:\n  dry_run: true\n"), 25,
              "healing:\n  dry_run: true\n  writable_paths: [/etc/issue.flap]\n  flap_threshold: 3\n");
  spit(host.config(), cfg);
  int healed = 0, escalated = 0, suppressed = 0;
  for (int cycle = 0; cycle < 60; ++cycle) {
    auto r = runAgent({"run", "--once", "--live", "--json", "--config", host.config(), "--rules", rules.string()});
    INFO("cycle " << cycle << ": " << r.err);
    REQUIRE((r.exit_code == 0 || r.exit_code == 1));
    const json doc = json::parse(r.out);
    for (const auto& a : doc["actions"]) {
      healed += a["outcome"] == "healed";
      escalated += a["outcome"] == "escalated";
      suppressed += a["outcome"] == "suppressed";
    }
    fs::remove(host.root() / "etc/issue.flap");  // the drift comes back
  }
  CHECK(healed == 3);
  CHECK(escalated == 1);
  CHECK(suppressed == 57);
  // Cleared by an operator, it may act again.
  CHECK(runAgent({"heal", "--clear", "L1-T-FLAP-1", "--config", host.config()}).exit_code == 0);
  auto after = runAgent({"run", "--once", "--live", "--json", "--config", host.config(), "--rules", rules.string()});
  const json doc = json::parse(after.out);
  CHECK(doc["actions"][0]["outcome"] == "healed");
}
