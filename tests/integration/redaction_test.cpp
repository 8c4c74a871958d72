// Secrets never leave the probe: a shadow hash, a private key, an API key and a token are planted
// in a host tree where checks read them and plans edit next to them; then every output of the
// agent (JSON and table stdout, logs at trace level, evidence, exports, every file it writes in
// state_dir) is searched for them: 0 hits. The test first proves that the secrets were read (the
// checks that read them drift, the plans that edit next to them have diffs), so it can fail.
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "fixture_host.h"

using nlohmann::json;
using testsupport::FixtureHost;
using testsupport::runAgent;
using testsupport::slurp;
using testsupport::spit;

namespace fs = std::filesystem;

namespace {

// The secrets. FIXTURESECRET is the salt make_host.py puts into clinic's shadow hash, with
// LIN-ACC-009 drifted into toor's shadow hash, and with LIN-ACC-027 drifted into sync's passwd hash.
const std::vector<std::string> kMarkers = {"FIXTURESECRET", "PRIVKEYMARKER", "APIKEYMARKER", "TOKENMARKER"};

const char* kSecretRules = R"yaml(checks:
  - id: TEST-SEC-001
    title: no private key material in the test key file
    severity: high
    hipaa: ["164.312(a)(1)"]
    probe: {type: file_regex, path: /etc/ssh/ssh_host_test_key, present: false, pattern: 'PRIVATE KEY|MARKER'}
  - id: TEST-SEC-002
    title: the clinic API key is rotated away
    severity: high
    hipaa: ["164.312(d)"]
    probe: {type: config_value, format: keyvalue, path: /etc/clinic/api.env, key: API_KEY, expect: {op: eq, value: none}}
  - id: TEST-SEC-003
    title: the sync token is cleared
    severity: high
    hipaa: ["164.312(d)"]
    probe: {type: config_value, format: ini, path: /etc/clinic/sync.ini, section: auth, key: token,
            expect: {op: eq, value: cleared}}
rules:
  - id: L1-TEST-SEC-002
    name: Rotate the API key
    tiers: [standard, full_coverage]
    match: [{field: check_id, op: eq, value: TEST-SEC-002}, {field: status, op: eq, value: drifted}]
    actions: [{type: set_config_value, format: keyvalue, path: /etc/clinic/api.env, key: API_KEY, value: none}]
  - id: L1-TEST-SEC-003
    name: Clear the token
    tiers: [standard, full_coverage]
    match: [{field: check_id, op: eq, value: TEST-SEC-003}, {field: status, op: eq, value: drifted}]
    actions: [{type: set_config_value, format: ini, path: /etc/clinic/sync.ini, section: auth, key: token,
               value: cleared}]
  - id: L1-TEST-SEC-010
    name: Add a locked account next to the hashes
    priority: 1
    tiers: [standard, full_coverage]
    match: [{field: check_id, op: eq, value: LIN-ACC-010}, {field: status, op: eq, value: drifted}]
    actions: [{type: ensure_line, path: /etc/shadow, line: "locked:!:19872::::::"}]
)yaml";

// Every marker found in `text`, with where.
std::vector<std::string> leaks(const std::string& where, const std::string& text) {
  std::vector<std::string> out;
  for (const auto& m : kMarkers) {
    if (text.find(m) != std::string::npos) out.push_back(m + " in " + where);
  }
  return out;
}

}  // namespace

TEST_CASE("planted secrets reach no output: JSON, tables, logs, evidence, exports, state files") {
  FixtureHost host("linux", "all");
  const fs::path root = host.root();
  spit(root / "etc/ssh/ssh_host_test_key",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUPRIVKEYMARKER0000000000000000\n"
        "-----END OPENSSH PRIVATE KEY-----\n");
  spit(root / "etc/clinic/api.env", "# clinic integration\nAPI_KEY=sk_live_APIKEYMARKER123456\nREGION=eu\n");
  spit(root / "etc/clinic/sync.ini", "[auth]\nuser = clinic\ntoken = ghp_TOKENMARKER456789\n");

  // The shipped rules plus the test's, and /etc/clinic writable so its plans carry diffs.
  const fs::path rules = host.dir.path() / "rules";
  fs::copy(fs::path(CA_SOURCE_DIR) / "rules", rules, fs::copy_options::recursive);
  spit(rules / "test/secrets.yaml", kSecretRules);
  std::string cfg = slurp(host.config());
  const std::string healing = "healing:\n  dry_run: true\n";
  REQUIRE(cfg.find(healing) != std::string::npos);
  cfg.replace(cfg.find(healing), healing.size(),
              "healing:\n  dry_run: true\n  writable_paths: [/etc/clinic, /etc/ssh, /etc/shadow, /etc/passwd, "
              "/etc/sysctl.d, /etc/audit, /etc/systemd/journald.conf, /etc/issue, /etc/issue.net]\n");
  spit(host.config(), cfg);
  const std::vector<std::string> common{"--config", host.config(), "--rules", rules.string(), "--log-level", "trace"};
  const auto agent = [&](std::vector<std::string> args) {
    args.insert(args.end(), common.begin(), common.end());
    return runAgent(args);
  };

  std::vector<std::string> found;
  const auto scan = [&](const std::string& what, const testsupport::ProcessResult& r) {
    for (auto& l : leaks(what + " stdout", r.out)) found.push_back(l);
    for (auto& l : leaks(what + " stderr", r.err)) found.push_back(l);
  };

  auto check_json = agent({"check", "--json"});
  scan("check --json", check_json);
  REQUIRE(check_json.exit_code == 1);
  scan("check -v", agent({"check", "-v"}));

  auto run_json = agent({"run", "--once", "--json", "--tier", "full_coverage"});
  scan("run --once --json", run_json);
  INFO(run_json.err);
  REQUIRE(run_json.exit_code == 1);
  scan("run --once", agent({"run", "--once", "--tier", "full_coverage"}));
  scan("evidence tail", agent({"evidence", "tail", "-n", "100000", "--json"}));
  scan("evidence tail (table)", agent({"evidence", "tail", "-n", "100000"}));
  const fs::path exported = host.dir.path() / "export.jsonl";
  auto exp = agent({"evidence", "export", "--since", "2000-01-01", "--until", "2100-01-01", "-o", exported.string()});
  REQUIRE(exp.exit_code == 0);
  scan("evidence export", exp);
  for (auto& l : leaks(exported.string(), slurp(exported))) found.push_back(l);
  std::size_t state_files = 0;
  for (const auto& e : fs::recursive_directory_iterator(host.out / "state-agent")) {
    if (!e.is_regular_file() || e.path().parent_path().filename() == "keys") continue;
    ++state_files;
    for (auto& l : leaks(e.path().string(), slurp(e.path()))) found.push_back(l);
  }
  CHECK(state_files >= 3);  // the evidence segment, recorded.json, the rules cache

  // The secrets were read and acted next to: otherwise 0 hits would prove nothing.
  const json doc = json::parse(run_json.out);
  std::map<std::string, std::string> status;
  for (const auto& f : doc["findings"]) status[f["check_id"].get<std::string>()] = f["status"].get<std::string>();
  CHECK(status["TEST-SEC-001"] == "drifted");
  CHECK(status["TEST-SEC-002"] == "drifted");
  CHECK(status["TEST-SEC-003"] == "drifted");
  CHECK(status["LIN-ACC-009"] == "drifted");
  CHECK(status["LIN-ACC-010"] == "drifted");
  CHECK(status["LIN-ACC-027"] == "drifted");  // quotes sync's passwd line, hash and all
  std::set<std::string> with_diff;
  for (const auto& a : doc["actions"]) {
    for (const auto& st : a["steps"]) {
      if (!st.value("diff", "").empty()) with_diff.insert(a["rule_id"].get<std::string>());
    }
  }
  CHECK(with_diff.count("L1-TEST-SEC-002") == 1);
  CHECK(with_diff.count("L1-TEST-SEC-003") == 1);
  CHECK(with_diff.count("L1-TEST-SEC-010") == 1);

  CAPTURE(found);
  CHECK(found.empty());
}
