// Rule-set variables through the binary: a site's agent.yaml `vars:` changes what a shipped
// check demands and what its L1 rule writes, `rules list` says which value is in force and
// where it came from, a value outside the bounds is a configuration error (exit 2) that names
// the line and the bounds, and the evidence records the values (they are part of the version).
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "fixture_host.h"
#include "support/run_process.h"

using nlohmann::json;
using testsupport::FixtureHost;
using testsupport::runAgent;

namespace {

// Appends a vars: section to the fixture's agent.yaml; returns its line number (1-based).
int setVar(const FixtureHost& host, const std::string& name, const std::string& value) {
  std::ifstream in(host.config());
  int lines = 0;
  for (std::string l; std::getline(in, l);) ++lines;
  std::ofstream out(host.config(), std::ios::app);
  out << "vars:\n  " << name << ": " << value << "\n";
  return lines + 2;
}

json finding(const std::string& out, const std::string& id) {
  const json doc = json::parse(out);
  for (const auto& f : doc["findings"]) if (f["check_id"] == id) return f;
  FAIL("no finding of " << id);
  return {};
}

const json* var(const json& list, const std::string& name) {
  for (const auto& v : list) if (v["name"] == name) return &v;
  return nullptr;
}

}  // namespace

TEST_CASE("rules list shows each variable, its value in force and where it came from") {
  FixtureHost host("linux", "none");
  auto def = runAgent({"rules", "list", "--json", "--config", host.config()});
  REQUIRE(def.exit_code == 0);
  const json listed = json::parse(def.out);
  const json* v = var(listed["vars"], "sshd_max_auth_tries_value");
  REQUIRE(v);
  CHECK((*v)["value"] == "4");
  CHECK((*v)["default"] == "4");
  CHECK((*v)["source"] == "default");
  CHECK((*v)["min"] == 1);
  CHECK((*v)["max"] == 10);
  const int line = setVar(host, "sshd_max_auth_tries_value", "2");
  auto tuned = runAgent({"rules", "list", "--config", host.config()});
  REQUIRE(tuned.exit_code == 0);
  INFO(tuned.out);
  CHECK(tuned.out.find("VARIABLES") != std::string::npos);
  CHECK(tuned.out.find("sshd_max_auth_tries_value        2          int 1..10 (" + host.config() + ":" +
                       std::to_string(line) + ", default 4)") != std::string::npos);
  CHECK(tuned.out.find("SSH allows 1 to 2 authentication attempts") != std::string::npos);
  auto cfg = runAgent({"config", "show", "--config", host.config()});
  CHECK(cfg.out.find("vars.sshd_max_auth_tries_value") != std::string::npos);
}

TEST_CASE("a site's value changes the verdict and the repair of the shipped check") {
  FixtureHost host("linux", "none");  // MaxAuthTries 3: compliant at the default of 4
  auto before = runAgent({"check", "--json", "--config", host.config()});
  CHECK(finding(before.out, "LIN-SSH-004")["status"] == "compliant");
  setVar(host, "sshd_max_auth_tries_value", "2");
  auto after = runAgent({"check", "--json", "--config", host.config()});
  const json f = finding(after.out, "LIN-SSH-004");
  CHECK(f["status"] == "drifted");
  CHECK(f["expected"] == "1..2");
  CHECK(f["actual"] == "3");
  CHECK(json::parse(after.out)["rules_version"] != json::parse(before.out)["rules_version"]);
  // The dry-run plan writes the site's value.
  auto plan = runAgent({"run", "--once", "--json", "--tier", "full_coverage", "--config", host.config()});
  INFO(plan.out);
  CHECK(plan.out.find("MaxAuthTries 2") != std::string::npos);
}

TEST_CASE("a value out of bounds, of the wrong type or unknown is exit 2 naming the line and the bounds") {
  FixtureHost host("linux", "none");
  const int line = setVar(host, "sshd_max_auth_tries_value", "11");
  auto r = runAgent({"check", "--config", host.config()});
  CHECK(r.exit_code == 2);
  INFO(r.err);
  CHECK(r.err.find("invalid vars: in " + host.config()) != std::string::npos);
  CHECK(r.err.find(host.config() + ":" + std::to_string(line) +
                   ":30: vars.sshd_max_auth_tries_value: 11 is out of bounds: sshd_max_auth_tries_value is an integer "
                   "in 1..10") != std::string::npos);
  CHECK(r.out.empty());
  FixtureHost other("linux", "none");
  setVar(other, "sshd_max_auth_tries_valu", "3");
  auto unknown = runAgent({"check", "--config", other.config()});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("did you mean 'sshd_max_auth_tries_value'?") != std::string::npos);
}

TEST_CASE("the evidence's rules record holds the values in force and both versions") {
  FixtureHost host("linux", "none");
  setVar(host, "sshd_max_auth_tries_value", "3");
  auto run = runAgent({"run", "--once", "--config", host.config()});
  REQUIRE(run.exit_code <= 1);
  auto tail = runAgent({"evidence", "tail", "-n", "500", "--json", "--config", host.config()});
  REQUIRE(tail.exit_code == 0);
  const json* rules = nullptr;
  json records = json::parse(tail.out)["records"];
  for (const auto& rec : records) if (rec["kind"] == "rules") rules = &rec;
  REQUIRE(rules);
  const json& body = (*rules)["body"];
  CHECK(body["vars"]["sshd_max_auth_tries_value"]["value"] == "3");
  CHECK(body["vars"]["sshd_max_auth_tries_value"]["default"] == "4");
  CHECK(body["version"] == (*rules)["rules_version"]);
  CHECK(body["source_version"] != body["version"]);
  CHECK(body["source_version"].get<std::string>().size() == 64);
}
