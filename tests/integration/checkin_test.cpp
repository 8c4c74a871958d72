// The agent and the development central command together, both real binaries: `run --once`
// checks in over a unix socket before its cycle, the site's tier (set with the server's CLI while
// it runs) decides which rules act, and with the server gone the agent keeps the tier central
// command last gave it. The API key never appears in an output, a log or the evidence.
#include <sys/stat.h>

#include <map>
#include <set>

#include "central_process.h"
#include "fixture_host.h"

using nlohmann::json;
using testsupport::Central;
using testsupport::FixtureHost;
using testsupport::runAgent;

namespace {

constexpr const char* kSite = "clinic-7";

// The fixture's agent.yaml, connected: site_id, central.endpoint and the key file added.
std::string connectedConfig(const FixtureHost& host, const std::string& endpoint, const std::string& key_file) {
  std::string text = testsupport::slurp(host.config());
  const std::string central = "central:\n";
  const auto at = text.find(central);
  REQUIRE(at != std::string::npos);
  text.insert(at + central.size(), "  endpoint: \"" + endpoint + "\"\n  api_key_file: \"" + key_file +
                                       "\"\n  timeout: 20s\n");
  text = "site_id: " + std::string(kSite) + "\n" + text;
  const auto path = host.dir.path() / "connected.yaml";
  std::ofstream(path) << text;
  return path.string();
}

struct Run {
  int exit_code;
  json doc;
  std::string err;
};

Run runOnce(const std::string& config, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"run", "--once", "--json", "--config", config};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = runAgent(args);
  INFO(r.err);
  REQUIRE(!r.out.empty());
  return {r.exit_code, json::parse(r.out), r.err};
}

std::map<std::string, int> outcomes(const json& doc) {
  std::map<std::string, int> n;
  for (const auto& a : doc.at("actions")) ++n[a.at("outcome").get<std::string>()];
  return n;
}

std::vector<json> checkinRecords(const std::string& config) {
  auto r = runAgent({"evidence", "tail", "-n", "100000", "--json", "--config", config});
  REQUIRE(r.exit_code == 0);
  const json doc = json::parse(r.out);  // kept: a range-for over a temporary's member is use-after-free
  std::vector<json> out;
  for (const auto& rec : doc.at("records")) {
    if (rec.at("kind") == "checkin") out.push_back(rec);
  }
  return out;
}

}  // namespace

TEST_CASE("run --once checks in first: the site's tier acts in the cycle, a switch acts in the next, offline the last holds") {
  Central central;
  const std::string key = central.addSite(kSite, "standard");
  const auto key_file = (central.dir.path() / (std::string(kSite) + ".key")).string();
  central.start();
  FixtureHost host("linux", "all");
  const std::string config = connectedConfig(host, central.bound, key_file);

  // standard: the full_coverage rules do not act.
  const Run standard = runOnce(config);
  INFO(standard.err);
  CHECK(standard.exit_code == 1);
  CHECK(standard.doc.at("tier") == "standard");
  const auto by_standard = outcomes(standard.doc);
  CHECK(by_standard.count("not_in_tier") == 1);
  CHECK(standard.err.find("check-in with central command at " + central.bound + ": tier standard") != std::string::npos);
  const json appliances = central.appliances();
  REQUIRE(appliances.size() == 1);
  CHECK(appliances.dump().find(kSite) != std::string::npos);

  // The operator switches the site while both run: the next cycle plans what full_coverage adds.
  REQUIRE(central.cli({"tier", kSite, "full_coverage"}).exit_code == 0);
  const Run full = runOnce(config);
  INFO(full.err);
  CHECK(full.doc.at("tier") == "full_coverage");
  const auto by_full = outcomes(full.doc);
  CHECK(by_full.count("not_in_tier") == 0);
  CHECK(by_full.at("planned") > by_standard.at("planned"));
  CHECK(full.err.find("tier full_coverage (was standard)") != std::string::npos);

  // --tier decides for one CLI run; the site's tier is still what the agent reports and keeps.
  REQUIRE(central.cli({"tier", kSite, "standard"}).exit_code == 0);
  const Run flagged = runOnce(config, {"--tier", "full_coverage"});
  CHECK(flagged.doc.at("tier") == "full_coverage");
  CHECK(flagged.err.find("(--tier; the site's is standard)") != std::string::npos);
  const Run back = runOnce(config);
  CHECK(back.doc.at("tier") == "standard");
  CHECK(outcomes(back.doc) == by_standard);

  // Central command gone: the cycle runs all the same, on the tier central command last set.
  REQUIRE(central.cli({"tier", kSite, "full_coverage"}).exit_code == 0);
  CHECK(runOnce(config).doc.at("tier") == "full_coverage");
  CHECK(central.stop() == 0);
  const Run offline = runOnce(config);
  INFO(offline.err);
  CHECK(offline.exit_code == 1);
  CHECK(offline.doc.at("tier") == "full_coverage");
  CHECK(offline.err.find("failed (unavailable)") != std::string::npos);
  CHECK(offline.err.find("the tier stays full_coverage (from central command)") != std::string::npos);

  // The read-only commands show the tier in force, central command's, as a cycle would run it.
  const auto status = runAgent({"status", "--json", "--config", config});
  INFO(status.err);
  const json status_doc = json::parse(status.out);
  CHECK(status_doc.at("tier") == "full_coverage");
  CHECK(status_doc.at("tier_source") == "central command");
  const auto check = runAgent({"check", "--json", "--config", config});
  CHECK(json::parse(check.out).at("tier") == "full_coverage");

  // Each check-in is a `checkin` record: six that reached central command, one that did not.
  const auto records = checkinRecords(config);
  REQUIRE(records.size() == 6);
  int ok = 0, failed = 0;
  for (const auto& rec : records) {
    const auto& body = rec.at("body");
    (body.at("result") == "ok" ? ok : failed) += 1;
    CHECK(body.at("endpoint") == central.bound);
  }
  CHECK(ok == 5);
  CHECK(failed == 1);
  CHECK(records.back().at("body").at("error").at("kind") == "unavailable");
  CHECK(records[1].at("body").at("tier") == json{{"before", "standard"}, {"after", "full_coverage"}});

  // The key is in none of it: outputs, logs, the evidence and the agent's state files.
  for (const Run* r : {&standard, &full, &flagged, &back, &offline}) {
    CHECK(r->doc.dump().find(key) == std::string::npos);
    CHECK(r->err.find(key) == std::string::npos);
  }
  for (const auto& e : std::filesystem::recursive_directory_iterator(host.out / "state-agent")) {
    if (e.is_regular_file()) CHECK(testsupport::slurp(e.path()).find(key) == std::string::npos);
  }
}

TEST_CASE("run --once refuses an API key file others can read before anything is recorded (exit 2)") {
  Central central;
  central.addSite(kSite);
  const auto key_file = central.dir.path() / (std::string(kSite) + ".key");
  ::chmod(key_file.c_str(), 0644);
  FixtureHost host("linux", "none");
  const std::string config = connectedConfig(host, central.address, key_file.string());
  auto r = runAgent({"run", "--once", "--config", config});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(key_file.string()) != std::string::npos);
  CHECK(r.err.find("chmod 600") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(host.out / "state-agent" / "evidence"));
}
