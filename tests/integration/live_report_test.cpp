// A live cycle reports and records the state after healing: the healed drifts are no longer
// counted as drifted, every live action carries `after`, and the evidence of the same cycle
// holds the flip to compliant (a scan hit's own episode closing), after the heal record.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "fixture_host.h"

using nlohmann::json;
using testsupport::FixtureHost;
using testsupport::runAgent;

namespace {

// LIN-SSH-004 (a config key) and LIN-FS-002 (a world-writable file under /etc, a scan hit),
// both healed in full_coverage; LIN-KRN-001 heals in standard, so in full_coverage too.
struct LiveHost : FixtureHost {
  LiveHost() : FixtureHost("linux", "LIN-SSH-004,LIN-FS-002,LIN-KRN-001") {}
  testsupport::ProcessResult run(std::vector<std::string> args) const {
    args.insert(args.end(), {"--config", config(), "--tier", "full_coverage"});
    return runAgent(args);
  }
};

std::map<std::string, int> countsOf(const json& findings) {
  std::map<std::string, int> n;
  for (const auto& f : findings) ++n[f["status"].get<std::string>()];
  return n;
}

}  // namespace

TEST_CASE("live: the report shows the state after the cycle, and every action carries after") {
  LiveHost host;
  auto live = host.run({"run", "--once", "--live", "--json"});
  INFO(live.err);
  const json doc = json::parse(live.out);
  int healed = 0;
  for (const auto& a : doc["actions"]) {
    INFO(a.dump());
    REQUIRE(a["after"].is_object());  // every live action, whatever its outcome
    CHECK(a["would_pass"].is_null());  // a plan's prediction: dry-run only
    if (a["outcome"] != "healed") continue;
    ++healed;
    CHECK(a["after"]["status"] == "compliant");
    // The healed target is not reported as drifted any more (a fixed scan hit is gone).
    for (const auto& f : doc["findings"]) {
      if (f["check_id"] == a["check_id"] && f["target"] == a["target"]) CHECK(f["status"] == "compliant");
    }
  }
  REQUIRE(healed >= 2);
  // The summary counts what is in the findings (after), with the counts before healing beside.
  const auto after = countsOf(doc["findings"]);
  CHECK(doc["summary"]["drifted"] == (after.count("drifted") ? after.at("drifted") : 0));
  REQUIRE(doc["summary"].contains("before_healing"));
  CHECK(doc["summary"]["before_healing"]["drifted"].get<int>() >= doc["summary"]["drifted"].get<int>() + healed);
  // Exit code: what remains after the cycle decides it.
  CHECK(live.exit_code == (doc["summary"]["drifted"].get<int>() + doc["summary"]["error"].get<int>() > 0 ? 1 : 0));

  auto dry = json::parse(host.run({"run", "--once", "--dry-run", "--json"}).out);
  CHECK_FALSE(dry["summary"].contains("before_healing"));
  for (const auto& a : dry["actions"]) {
    CHECK(a["after"].is_null());  // nothing was done
    CHECK(a["before"].is_object());
  }
}

TEST_CASE("live: the table counts after healing and does not show healed drifts as drifted") {
  LiveHost host;
  auto live = host.run({"run", "--once", "--live"});
  INFO(live.out << live.err);
  CHECK(live.out.find("(after healing)") != std::string::npos);
  CHECK(live.out.find("before healing: ") != std::string::npos);
  std::istringstream lines(live.out);
  for (std::string line; std::getline(lines, line);) {
    INFO(line);
    CHECK_FALSE((line.find("drifted") != std::string::npos && line.find("LIN-SSH-004") != std::string::npos));
  }
  auto dry = LiveHost().run({"run", "--once", "--dry-run"});
  CHECK(dry.out.find("(after healing)") == std::string::npos);  // nothing acted in a dry run
  CHECK(dry.out.find("before healing") == std::string::npos);
}

TEST_CASE("live: the heal's effect is in the evidence of the same cycle, a scan hit closing its own episode") {
  LiveHost host;
  auto live = host.run({"run", "--once", "--live", "--json"});
  INFO(live.err);
  const json doc = json::parse(live.out);
  auto tail = runAgent({"evidence", "tail", "-n", "100000", "--json", "--config", host.config()});
  REQUIRE(tail.exit_code == 0);
  const json records = json::parse(tail.out)["records"];
  // The records of the one cycle: from its start to its cycle record.
  std::vector<json> cycle;
  for (const auto& r : records) {
    cycle.push_back(r);
    if (r["kind"] == "cycle") break;
  }
  REQUIRE(cycle.back()["kind"] == "cycle");
  CHECK(cycle.back()["body"].contains("counts_before_healing"));
  CHECK(cycle.back()["body"]["counts"]["drifted"] == doc["summary"]["drifted"]);
  const auto position = [&](const std::string& kind, const std::string& check, const std::string& target,
                            const std::string& status) {
    for (std::size_t i = 0; i < cycle.size(); ++i) {
      const auto& b = cycle[i]["body"];
      if (cycle[i]["kind"] == kind && b.value("check_id", "") == check && b.value("target", "") == target &&
          (status.empty() || b.value(kind == "heal" ? "outcome" : "status", "") == status)) {
        return static_cast<long>(i);
      }
    }
    return -1L;
  };
  int scan_hits = 0;
  for (const auto& a : doc["actions"]) {
    if (a["outcome"] != "healed") continue;
    const std::string check = a["check_id"], target = a["target"];
    INFO(check << " " << target);
    const long heal = position("heal", check, target, "healed");
    const long flip = position("finding", check, target, "compliant");
    REQUIRE(heal >= 0);
    REQUIRE(flip > heal);  // recorded in the same cycle, after the heal
    const json& body = cycle[flip]["body"];
    CHECK(body["previous_status"] == "drifted");
    if (check == "LIN-FS-002") {
      ++scan_hits;
      CHECK(body["details"]["reason"] == "no_longer_reported");  // the hit itself, not the directory
    }
  }
  CHECK(scan_hits >= 1);
  CHECK(runAgent({"evidence", "verify", "--config", host.config()}).exit_code == 0);
}

TEST_CASE("heal --rule live reports the target checked again after the heal") {
  FixtureHost host("linux", "LIN-SSH-004");
  auto live = runAgent({"heal", "--rule", "L1-LIN-SSH-004", "--live", "--json", "--config", host.config()});
  INFO(live.err);
  CHECK(live.exit_code == 0);
  const json doc = json::parse(live.out);
  REQUIRE(doc["actions"].size() == 1);
  CHECK(doc["actions"][0]["after"]["status"] == "compliant");
  REQUIRE(doc["findings"].size() == 1);
  CHECK(doc["findings"][0]["status"] == "compliant");
  CHECK(doc["summary"]["before_healing"]["drifted"] == 1);
  auto table = runAgent({"heal", "--rule", "L1-LIN-SSH-004", "--live", "--config", host.config()});
  CHECK(table.exit_code == 0);  // nothing left: the second heal finds no drift
}

TEST_CASE("live preflight: not root, or a state_dir that is not the agent's own, is refused with nothing tried") {
  if (!testsupport::runningAsRoot()) {
    WARN("needs root to run the agent as another user and to chown");
    return;
  }
  FixtureHost host("linux", "LIN-SSH-004");
  const std::string before = FixtureHost::treeHash(host.root());
  // Readable (not writable) by nobody, as an operator's own checkout would be.
  for (auto p = host.out; p != p.root_path(); p = p.parent_path()) {
    std::filesystem::permissions(p, std::filesystem::perms::others_read | std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
  }
  std::filesystem::permissions(host.config(), std::filesystem::perms::others_read, std::filesystem::perm_options::add);
  const std::filesystem::path state = host.out / "state-agent";
  const auto evidenceRecords = [&] { return std::filesystem::exists(state / "evidence"); };
  const bool had_evidence = evidenceRecords();

  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"run", "--once", "--live"}, {"heal", "--rule", "L1-LIN-SSH-004", "--live"}}) {
    std::vector<std::string> argv{"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                  CA_AGENT_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--config", host.config()});
    auto r = testsupport::runProcess(argv);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    // The fixture's root is root's: neither root nor its owner may heal it.
    CHECK(r.err.find("needs root or its owner (running as uid 65534)") != std::string::npos);
    CHECK(r.err.find("restor") == std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);  // one line
  }
  // As root, a state_dir others can write, then one owned by someone else: refused too.
  std::filesystem::create_directories(state);
  std::filesystem::permissions(state, std::filesystem::perms::all);
  auto open = runAgent({"run", "--once", "--live", "--config", host.config()});
  CHECK(open.exit_code == 2);
  CHECK(open.err.find("is writable by its group or others") != std::string::npos);
  std::filesystem::permissions(state, std::filesystem::perms::owner_all);
  REQUIRE(::chown(state.c_str(), 65534, 65534) == 0);
  auto foreign = runAgent({"run", "--once", "--live", "--config", host.config()});
  CHECK(foreign.exit_code == 2);
  CHECK(foreign.err.find("is owned by uid 65534") != std::string::npos);
  CHECK(FixtureHost::treeHash(host.root()) == before);
  CHECK(evidenceRecords() == had_evidence);
  // Dry-run needs none of it: it plans as anyone.
  CHECK(runAgent({"run", "--once", "--dry-run", "--config", host.config()}).exit_code == 1);

  // A root that is not "/" (an image, a fixture) may be healed by its owner.
  REQUIRE(::lchown(host.out.c_str(), 65534, 65534) == 0);
  for (const auto& e : std::filesystem::recursive_directory_iterator(host.out)) {
    REQUIRE(::lchown(e.path().c_str(), 65534, 65534) == 0);
  }
  std::vector<std::string> argv{"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                CA_AGENT_BINARY, "run", "--once", "--live", "--config", host.config()};
  auto owner = testsupport::runProcess(argv);
  INFO(owner.err);
  CHECK((owner.exit_code == 0 || owner.exit_code == 1));
  CHECK(owner.err.find("live healing") == std::string::npos);
}
