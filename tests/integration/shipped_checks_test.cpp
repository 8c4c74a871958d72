// Table-driven end-to-end test of the shipped rules: for every shipped check, a generated host
// where it is compliant and one where it drifts, checked through the real binary's --json output
// against tests/fixtures/expectations.json (see its "contract").
#include <unistd.h>

#include <map>
#include <set>

#include "fixture_host.h"

using nlohmann::json;
using testsupport::FixtureHost;
using testsupport::runAgent;

namespace {

// Findings of one `check --json` run, grouped by check id.
std::map<std::string, std::vector<json>> runCheck(const FixtureHost& host, int* exit_code = nullptr) {
  auto r = runAgent({"check", "--json", "--config", host.config()});
  INFO(r.err);
  REQUIRE((r.exit_code == 0 || r.exit_code == 1));
  if (exit_code) *exit_code = r.exit_code;
  const json doc = json::parse(r.out);
  std::map<std::string, std::vector<json>> by_check;
  for (const auto& f : doc.at("findings")) by_check[f.at("check_id").get<std::string>()].push_back(f);
  return by_check;
}

std::set<std::string> targetsOf(const std::vector<json>& findings, const std::string& status = "") {
  std::set<std::string> out;
  for (const auto& f : findings) {
    if (status.empty() || f.at("status") == status) out.insert(f.at("target").get<std::string>());
  }
  return out;
}

std::set<std::string> toSet(const json& list) {
  std::set<std::string> out;
  for (const auto& v : list) out.insert(v.get<std::string>());
  return out;
}

void expectPristine(const std::string& id, const json& want, const std::vector<json>& got) {
  INFO(id << " pristine; findings: " << json(got).dump());
  REQUIRE_FALSE(got.empty());
  for (const auto& f : got) CHECK(f.at("status") == want.at("status"));
  if (!want.at("targets").is_null()) CHECK(targetsOf(got) == toSet(want.at("targets")));
}

void expectDrifted(const std::string& id, const json& entry, const std::vector<json>& got) {
  const json& want = entry.at("drifted");
  if (want.at("status") != "drifted") return expectPristine(id, entry.at("pristine"), got);
  INFO(id << " drifted; findings: " << json(got).dump());
  CHECK(targetsOf(got, "drifted") == toSet(want.at("targets")));
  for (const auto& f : got) {
    if (f.at("status") != "drifted") {
      CHECK(f.at("status") == "compliant");
      continue;
    }
    if (want.contains("actual")) CHECK(f.at("actual") == want.at("actual"));
    if (want.contains("details")) {
      for (const auto& [k, v] : want.at("details").items()) CHECK(f.at("details").value(k, "") == v);
    }
  }
}

bool skip(const json& entry) { return entry.at("needs_root").get<bool>() && !testsupport::runningAsRoot(); }

}  // namespace

TEST_CASE("shipped checks: all compliant on the pristine host, both platforms") {
  const json expectations = testsupport::loadExpectations();
  for (const std::string platform : {"nixos", "linux"}) {
    INFO("platform " << platform);
    FixtureHost host(platform, "none");
    int exit_code = -1;
    const auto findings = runCheck(host, &exit_code);
    const json& table = expectations.at("platforms").at(platform);
    CHECK(findings.size() == table.size());
    for (const auto& [id, entry] : table.items()) {
      if (skip(entry)) continue;
      expectPristine(id, entry.at("pristine"), findings.count(id) ? findings.at(id) : std::vector<json>{});
    }
    if (testsupport::runningAsRoot()) CHECK(exit_code == 0);
  }
}

// One generated host and one check run per shipped check: each platform its own test case, so
// ctest -j runs the two side by side.
static void eachDriftAlone(const std::string& platform) {
  const json expectations = testsupport::loadExpectations();
  {
    const json& table = expectations.at("platforms").at(platform);
    for (const auto& [id, entry] : table.items()) {
      // Checks that are not for this platform are covered on the other one.
      if (skip(entry) || entry.at("drifted").at("status") != "drifted") continue;
      INFO("platform " << platform << ", drift " << id);
      FixtureHost host(platform, id);
      int exit_code = -1;
      const auto findings = runCheck(host, &exit_code);
      CHECK(exit_code == 1);
      for (const auto& [other, other_entry] : table.items()) {
        if (skip(other_entry)) continue;
        const auto& got = findings.count(other) ? findings.at(other) : std::vector<json>{};
        if (other == id) expectDrifted(other, other_entry, got);
        else expectPristine(other, other_entry.at("pristine"), got);
      }
    }
  }
}

TEST_CASE("shipped checks: each drift alone is found, with its target, and nothing else drifts (nixos)") {
  eachDriftAlone("nixos");
}

TEST_CASE("shipped checks: each drift alone is found, with its target, and nothing else drifts (linux)") {
  eachDriftAlone("linux");
}

TEST_CASE("shipped checks: every drift at once, and check writes nothing") {
  const json expectations = testsupport::loadExpectations();
  FixtureHost host("nixos", "all");
  const std::string before = FixtureHost::treeHash(host.root());
  const auto findings = runCheck(host);
  for (const auto& [id, entry] : expectations.at("platforms").at("nixos").items()) {
    if (skip(entry)) continue;
    expectDrifted(id, entry, findings.count(id) ? findings.at(id) : std::vector<json>{});
  }
  // check is read-only: the host tree is byte-identical and the agent's state_dir was not made.
  // (The stub tools log their calls under the fixture's state/, outside the root.)
  CHECK(FixtureHost::treeHash(host.root()) == before);
  CHECK_FALSE(std::filesystem::exists(host.out / "state-agent"));
}

// `refs:` through `rules list`: the JSON carries a refs object for every check (empty when none),
// and the table shows the references on a continuation line under the check's title.
TEST_CASE("rules list shows the shipped checks' benchmark references") {
  FixtureHost host("linux", "none");
  auto r = runAgent({"rules", "list", "--json", "--config", host.config()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json doc = json::parse(r.out);
  std::map<std::string, json> refs;
  for (const auto& c : doc.at("checks")) {
    REQUIRE(c.contains("refs"));
    CHECK(c.at("refs").is_object());
    refs[c.at("id").get<std::string>()] = c.at("refs");
  }
  CHECK(refs.at("LIN-SSH-001") == json({{"ssg", {"sshd_disable_root_login"}}, {"cis", "5.1.20"}}));
  CHECK(refs.at("LIN-ACC-009").at("ssg") == json::array({"accounts_no_uid_except_zero"}));
  CHECK(refs.at("LIN-TLS-001") == json::object());  // no benchmark rule: an empty object

  auto t = runAgent({"rules", "list", "--config", host.config()});
  REQUIRE(t.exit_code == 0);
  const auto at = t.out.find("LIN-SSH-001 ");
  REQUIRE(at != std::string::npos);
  const auto eol = t.out.find('\n', at);
  const auto next = t.out.substr(eol + 1, t.out.find('\n', eol + 1) - eol - 1);
  CHECK(next == std::string(29, ' ') + "ssg sshd_disable_root_login  cis 5.1.20");
}
