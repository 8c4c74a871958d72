// The start of a live run sweeps what a killed run left: the atomic writer's temporaries in the
// directories the agent writes, each removal a `lifecycle` `recovery` record. Dry-run leaves the
// host as it is, temporaries included; names that are not the writer's are never touched.
#include "fixture_host.h"

namespace fs = std::filesystem;
using nlohmann::json;
using testsupport::FixtureHost;

namespace {

const std::string kSshTemp = "/etc/ssh/.sshd_config.ca-tmp-0123456789abcdef";
const std::string kSysctlTemp = "/etc/sysctl.d/.60-compliance-agent.conf.ca-tmp-fedcba9876543210";
const std::string kNotOurs = "/etc/ssh/.sshd_config.ca-tmp-notours";

// The temporaries the store records as removed, in order.
std::vector<std::string> recordedRemovals(const fs::path& evidence_dir) {
  std::vector<std::string> out;
  std::vector<fs::path> segments;
  for (const auto& e : fs::directory_iterator(evidence_dir)) segments.push_back(e.path());
  std::sort(segments.begin(), segments.end());
  for (const auto& seg : segments) {
    std::istringstream in(testsupport::slurp(seg));
    for (std::string line; std::getline(in, line);) {
      const json r = json::parse(line);
      if (r.value("kind", "") == "lifecycle" && r["body"].value("event", "") == "recovery" &&
          r["body"].contains("temporary_removed")) {
        out.push_back(r["body"]["temporary_removed"].get<std::string>());
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("a live start removes the temporaries a killed run left, and records each as a recovery") {
  FixtureHost host("linux", "LIN-SSH-001,LIN-KRN-001");
  const fs::path root = host.root();
  const auto plant = [&] {
    testsupport::spit(root / kSshTemp.substr(1), "PermitRootLogin no\n");
    testsupport::spit(root / kSysctlTemp.substr(1), "net.ipv4.ip_forward = 0\n");
  };
  plant();
  testsupport::spit(root / kNotOurs.substr(1), "an operator's file\n");
  const std::vector<std::string> common{"--config", host.config(), "--tier", "full_coverage", "--json"};
  const auto agent = [&](std::vector<std::string> args) {
    args.insert(args.end(), common.begin(), common.end());
    return testsupport::runAgent(args);
  };

  // Dry-run is pure: nothing is removed.
  const std::string before = FixtureHost::treeHash(root);
  CHECK(agent({"run", "--once", "--dry-run"}).exit_code == 1);
  CHECK(FixtureHost::treeHash(root) == before);

  auto live = agent({"run", "--once", "--live"});
  INFO(live.err);
  CHECK(live.exit_code == 0);
  CHECK_FALSE(fs::exists(root / kSshTemp.substr(1)));
  CHECK_FALSE(fs::exists(root / kSysctlTemp.substr(1)));
  CHECK(fs::exists(root / kNotOurs.substr(1)));
  CHECK(live.err.find("removed " + kSshTemp) != std::string::npos);
  const fs::path evidence = host.out / "state-agent" / "evidence";
  std::vector<std::string> removed = recordedRemovals(evidence);
  std::sort(removed.begin(), removed.end());
  CHECK(removed == std::vector<std::string>{kSshTemp, kSysctlTemp});

  // An operator's live heal sweeps too.
  plant();
  auto op = agent({"heal", "--rule", "L1-LIN-SSH-001", "--live"});
  INFO(op.err);
  CHECK(op.exit_code == 0);
  CHECK_FALSE(fs::exists(root / kSshTemp.substr(1)));
  CHECK_FALSE(fs::exists(root / kSysctlTemp.substr(1)));
  CHECK(recordedRemovals(evidence).size() == 4);
  CHECK(testsupport::runAgent({"evidence", "verify", "--config", host.config()}).exit_code == 0);
}
