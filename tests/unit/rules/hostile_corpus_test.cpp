// The hostile corpus (tests/hostile/rules, see its README.md): every file is refused with a clear
// error that names it, or (files named ok_*) loads; nothing crashes or hangs. The two files too
// big to commit, 10 MB and over kMaxRuleCount, are generated here.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "rules_test_util.h"
#include "support/temp_dir.h"

using namespace rules;
using rulestest::has;

namespace fs = std::filesystem;

namespace {

const fs::path kCorpus = CA_HOSTILE_RULES_DIR;

// What each refusal must say, beyond naming the file.
const std::map<std::string, std::string> kExpected = {
    {"truncated.yaml", "truncated.yaml:5:"},
    {"wrong_types.yaml", "checks[0].title: (C-1) expected a string, got a list"},
    {"deep_nesting.yaml", "nesting deeper than 16 levels"},
    {"billion_laughs.yaml", "YAML anchors are not allowed"},
    {"anchor.yaml", "YAML anchors are not allowed"},
    {"merge_key.yaml", "YAML anchors are not allowed"},
    {"regex_too_long.yaml", "checks[0].probe.pattern: (C-1) regex is 2400 bytes, over the limit of 1024"},
    {"regex_invalid.yaml", "checks[0].probe.pattern: (C-1) invalid regex: missing ]"},
    {"regex_backreference.yaml", "checks[0].probe.pattern: (C-1) invalid regex: invalid escape sequence: \\1"},
    {"regex_too_big.yaml", "checks[0].probe.pattern: (C-1) invalid regex: pattern too large - compile failed"},
    {"regex_repetition.yaml", "checks[0].probe.pattern: (C-1) invalid regex: invalid repetition size: {1000}"},
    {"path_dotdot.yaml", "checks[0].probe.path: (C-1) host path '/etc/ssh/../../root/.ssh/authorized_keys' has a '..' component"},
    {"path_relative.yaml", "checks[0].probe.path: (C-1) host path 'etc/passwd' is not absolute"},
    {"duplicate_ids.yaml", "duplicate_ids.yaml:3:5: checks[1].id: (C-1) duplicate check id 'C-1'; first defined at"},
    {"duplicate_keys.yaml", "duplicate_keys.yaml:5:47: checks[0].probe.path: duplicate key (first at line 5)"},
    {"unknown_keys.yaml", "unknown_keys.yaml:5:5: checks[0].sevrity: (C-1) unknown key"},
    {"unknown_probe_type.yaml", "checks[0].probe.type: (C-1) unknown probe type 'shell'"},
    {"unknown_action_type.yaml", "rules[0].actions[0].type: (R-1) unknown action type 'shell'"},
    {"wrong_tier.yaml", "rules[0].tiers: (R-1) unknown tier 'premium'; expected standard or full_coverage"},
    {"bad_severity.yaml", "checks[0].severity: (C-1) unknown severity 'severe'"},
    {"bad_refs.yaml", "checks[0].refs.ssg: (C-1) invalid SSG rule id 'xccdf_org.ssgproject.content_rule_x; rm -rf /'"},
    {"bad_op.yaml", "checks[0].probe.expect.op: (C-1) unknown op '=='"},
    {"bad_duration.yaml", "rules[0].cooldown: (R-1)"},
    {"empty.yaml", "empty rule file"},
    {"comments_only.yaml", "empty rule file"},
    {"binary_junk.yaml", "a rule file is text"},
    {"invalid_utf8.yaml", "invalid_utf8.yaml:2:26: a rule file is text: invalid UTF-8"},
    {"nul_byte.yaml", "nul_byte.yaml:2:24: a rule file is text: NUL byte found"},
    {"list_for_map.yaml", "checks[0].probe: (C-1) expected a map, got a list"},
    {"top_level_scalar.yaml", "expected a map with checks, rules or waivers"},
    {"rule_unknown_check.yaml", "rules[0].match[0]: (R-1) matches check_id 'C-404', which no check defines"},
    {"waiver_bad_date.yaml", "waivers[0].expires: (C-1) invalid date '2027-02-29'"},
    {"waiver_unknown_check.yaml", "waivers[0].check_id: (C-2) waiver for check 'C-2', which no check defines"},
    {"legacy_bad_action.json", "[0].actions[1]: (L1-SVC-001) action 'shell:rm -rf /' cannot be imported"},
    {"legacy_bad_operator.json", "rules[0].conditions[0].operator: (L1-X-001) unknown operator '~='"},
    {"json_truncated.json", "json_truncated.json:1:"},
    {"tab_indented.yaml", "tab_indented.yaml:2:2: illegal block entry (tabs cannot indent YAML; use spaces)"},
    {"multiple_documents.yaml", "only one YAML document per file is allowed"},
    {"argv_absolute_path.yaml", "checks[0].probe.argv[0]: (C-1) '/bin/sh' is not a tools: key"},
    {"config_value_newline.yaml", "rules[0].actions[0].value: (R-1) must be a single line without control characters"},
    {"unit_option_injection.yaml", "rules[0].actions[0].unit: (R-1) invalid unit name '--force'"},
    {"huge_integer.yaml", "rules[0].max_attempts: (R-1) expected an integer"},
    {"sysctl_key_traversal.yaml", "checks[0].probe.key: (C-1) invalid sysctl key '../../../etc/shadow'"},
    {"placeholder_in_probe.yaml", "checks[0].probe.path: (C-1) the {target} placeholder is only substituted in actions"},
    {"deep_probe_nesting.yaml", "nesting deeper than 16 levels"},
    {"bad_ports.yaml", "checks[0].probe.ports[3]: (C-1) invalid port '-22'"},
    {"control_chars_in_id.yaml", "checks[0].id: must be a single line without control characters"},
    {"status_vocabulary.yaml", "rules[0].match[1].value: (R-1) unknown status 'pass'"},
};

std::string readAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<fs::path> corpus() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(kCorpus)) {
    if (e.path().filename() != "README.md") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("hostile corpus: at least 25 files, each listed in the README and here") {
  const auto files = corpus();
  CHECK(files.size() >= 25);
  const std::string readme = readAll(kCorpus / "README.md");
  for (const auto& f : files) {
    const std::string name = f.filename().string();
    INFO(name);
    CHECK(has(readme, "`" + name + "`"));
    if (name.rfind("ok_", 0) != 0) CHECK(kExpected.count(name) == 1);
  }
  for (const auto& [name, _] : kExpected) {
    INFO(name);
    CHECK(fs::exists(kCorpus / name));
  }
}

TEST_CASE("hostile corpus: every file is refused clearly (or, ok_*, loads), quickly") {
  for (const auto& f : corpus()) {
    const std::string name = f.filename().string();
    const auto start = std::chrono::steady_clock::now();
    auto r = loadRulePath(f.string(), KnownTypes::all());
    const auto took = std::chrono::steady_clock::now() - start;
    INFO(name << (r.ok() ? std::string(" loaded") : "\n" + r.error().format()));
    CHECK(took < std::chrono::seconds(10));
    if (name.rfind("ok_", 0) == 0) {
      CHECK(r.ok());
      continue;
    }
    REQUIRE_FALSE(r.ok());
    const std::string out = r.error().format();
    CHECK(r.error().code != RulesErrc::Io);
    CHECK_FALSE(r.error().problems.empty());
    // Every problem names the file.
    for (const auto& p : r.error().problems) CHECK(p.file == f.string());
    auto it = kExpected.find(name);
    if (it != kExpected.end()) CHECK(has(out, it->second));
  }
}

TEST_CASE("hostile corpus: the same bytes under .yaml and .json names never crash") {
  for (const auto& f : corpus()) {
    const std::string text = readAll(f);
    for (const char* name : {"x.yaml", "x.json"}) {
      auto r = loadRuleSources({{name, text, ""}}, KnownTypes::all());
      if (!r.ok()) CHECK(has(r.error().format(), name));
    }
  }
}

TEST_CASE("hostile: catastrophic regexes match long lines in linear time") {
  auto r = loadRulePath((kCorpus / "ok_catastrophic_regex.yaml").string(), KnownTypes::all());
  REQUIRE(r.ok());
  const std::string line = std::string(200000, 'a') + "!";
  const std::string xs = std::string(200000, 'x');
  for (const auto& c : r->checks) {
    const auto* p = c.probe.as<FileRegexProbe>();
    REQUIRE(p != nullptr);
    const auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(RE2::PartialMatch(line, *p->regex));
    CHECK_FALSE(RE2::PartialMatch(xs, *p->regex));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  }
}

TEST_CASE("hostile: generated 10 MB file and an over-count set") {
  testsupport::TempDir dir;
  {
    // Real bytes, not a sparse file: a YAML list that would take long to build.
    std::ofstream big(dir.path() / "ten_mb.yaml", std::ios::binary);
    big << "checks:\n";
    const std::string line = "  - {id: C-1, title: t, severity: low, probe: {type: time_sync}}\n";
    for (std::size_t n = 8; n < 10 * 1024 * 1024; n += line.size()) big << line;
  }
  auto big = loadRulePath((dir.path() / "ten_mb.yaml").string(), KnownTypes::all());
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().code == RulesErrc::Limit);
  CHECK(has(big.error().format(), "ten_mb.yaml: file is "));
  auto mem = loadRuleSources({{"ten_mb.yaml", readAll(dir.path() / "ten_mb.yaml"), ""}}, KnownTypes::all());
  REQUIRE_FALSE(mem.ok());
  CHECK(mem.error().code == RulesErrc::Limit);

  fs::remove(dir.path() / "ten_mb.yaml");
  // kMaxRuleCount + 1 entries, split so that no single file is over the size limit.
  for (int f = 0; f < 3; ++f) {
    std::ofstream out(dir.path() / ("count" + std::to_string(f) + ".yaml"));
    out << "checks:\n";
    for (std::size_t i = 0; i < 3334; ++i) {
      out << "- {id: C-" << f << "-" << i << ", title: t, severity: low, probe: {type: time_sync}}\n";
    }
  }
  auto count = loadRulePath(dir.path().string(), KnownTypes::all());
  REQUIRE_FALSE(count.ok());
  CHECK(count.error().code == RulesErrc::Limit);
  CHECK(has(count.error().format(), "count2.yaml: the rule set holds more than 10000 checks, rules and waivers"));
}

// Not run by default: the shipped rules are written by others and may be mid-edit. Run with
// `unit_rules "[shipped]"` to validate them against the full format.
TEST_CASE("the shipped rules load", "[.shipped]") {
  const fs::path dir = fs::path(CA_SOURCE_DIR) / "rules";
  if (!fs::exists(dir)) return;
  auto r = loadRulePath(dir.string(), KnownTypes::all());
  if (!r.ok()) FAIL(r.error().format());
  CHECK_FALSE(r->checks.empty());
}
