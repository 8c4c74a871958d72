// `heal` through the real binary: an operator's heal obeys the mode (plans in dry-run, acts
// live) and records the operator as actor; a pause stops run --once from acting until resumed.
#include <fstream>

#include "fixture_host.h"

using nlohmann::json;
using testsupport::FixtureHost;
using testsupport::runAgent;

TEST_CASE("heal --rule plans in dry-run, heals live, and records the operator as actor") {
  FixtureHost host("linux", "LIN-SSH-004,LIN-KRN-001");
  const std::string cfg = host.config();
  CHECK(runAgent({"heal", "--config", cfg}).exit_code == 2);  // needs one of its forms
  CHECK(runAgent({"heal", "--rule", "L1-NOPE", "--config", cfg}).exit_code == 2);
  CHECK(runAgent({"heal", "--resume", "--until", "2h", "--config", cfg}).exit_code == 2);

  const std::string before = FixtureHost::treeHash(host.root());
  auto plan = runAgent({"heal", "--rule", "L1-LIN-SSH-004", "--json", "--config", cfg});
  INFO(plan.err);
  CHECK(plan.exit_code == 1);  // planned: the drift remains
  const json planned = json::parse(plan.out);
  REQUIRE(planned["actions"].size() == 1);
  CHECK(planned["actions"][0]["outcome"] == "planned");
  CHECK(FixtureHost::treeHash(host.root()) == before);

  auto live = runAgent({"heal", "--rule", "L1-LIN-SSH-004", "--live", "--json", "--config", cfg});
  INFO(live.err);
  CHECK(live.exit_code == 0);
  const json healed = json::parse(live.out);
  REQUIRE(healed["actions"].size() == 1);
  CHECK(healed["actions"][0]["outcome"] == "healed");
  // Only that rule's drift: the sysctl drift is still there.
  auto check = runAgent({"check", "--json", "--config", cfg});
  const json found = json::parse(check.out);
  for (const auto& f : found["findings"]) {
    if (f["check_id"] == "LIN-SSH-004") CHECK(f["status"] == "compliant");
    if (f["check_id"] == "LIN-KRN-001") CHECK(f["status"] == "drifted");
  }
  auto tail = runAgent({"evidence", "tail", "-n", "100", "--json", "--config", cfg});
  const json records = json::parse(tail.out);
  bool operator_heal = false;
  for (const auto& r : records["records"]) {
    if (r["kind"] == "heal" && r["body"]["outcome"] == "healed") {
      operator_heal = true;
      CHECK(r["actor"] == "uid:" + std::to_string(::getuid()));
      CHECK(r["mode"] == "live");
    }
  }
  CHECK(operator_heal);
}

TEST_CASE("heal --pause stops live healing, recorded, until heal --resume") {
  FixtureHost host("linux", "LIN-KRN-001");
  const std::string cfg = host.config();
  CHECK(runAgent({"heal", "--pause", "--until", "yesterday", "--config", cfg}).exit_code == 2);
  REQUIRE(runAgent({"heal", "--pause", "--until", "2h", "--config", cfg}).exit_code == 0);
  const std::string before = FixtureHost::treeHash(host.root());
  auto paused = runAgent({"run", "--once", "--live", "--json", "--tier", "full_coverage", "--config", cfg});
  CHECK(paused.exit_code == 1);
  const json held = json::parse(paused.out);
  REQUIRE(held["actions"].size() == 1);
  CHECK(held["actions"][0]["outcome"] == "suppressed");
  CHECK(held["actions"][0]["reason"].get<std::string>().rfind("paused", 0) == 0);
  CHECK(FixtureHost::treeHash(host.root()) == before);
  // An operator's heal obeys the pause too.
  auto op = runAgent({"heal", "--rule", "L1-LIN-KRN-001", "--live", "--json", "--config", cfg});
  CHECK(json::parse(op.out)["actions"][0]["outcome"] == "suppressed");

  REQUIRE(runAgent({"heal", "--resume", "--config", cfg}).exit_code == 0);
  auto resumed = runAgent({"run", "--once", "--live", "--json", "--tier", "full_coverage", "--config", cfg});
  CHECK(resumed.exit_code == 0);
  CHECK(json::parse(resumed.out)["actions"][0]["outcome"] == "healed");

  auto tail = runAgent({"evidence", "tail", "-n", "100", "--json", "--config", cfg});
  const json records = json::parse(tail.out);
  std::vector<std::string> events;
  for (const auto& r : records["records"]) {
    if (r["kind"] == "lifecycle" && (r["body"]["event"] == "pause" || r["body"]["event"] == "resume")) {
      events.push_back(r["body"]["event"]);
      CHECK(r["actor"].get<std::string>().rfind("uid:", 0) == 0);
    }
  }
  CHECK(events == std::vector<std::string>{"pause", "resume"});
  CHECK(runAgent({"evidence", "verify", "--config", cfg}).exit_code == 0);
}
