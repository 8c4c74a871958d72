// Each named limit, at and over its value.
#include <catch2/catch.hpp>

#include <fstream>

#include "rules_test_util.h"
#include "support/temp_dir.h"

using namespace rules;
using rulestest::has;

namespace {

// A check whose probe sits `levels` composite probes deep: the innermost probe map is at YAML
// depth 4 + 2 * levels (root map, checks list, check map, probe map, then list + map per level).
std::string nested(int levels, const std::string& innermost) {
  std::string probe = innermost;
  for (int i = 0; i < levels; ++i) probe = "{type: all, probes: [" + probe + "]}";
  return "checks:\n  - {id: C-1, title: t, severity: low, probe: " + probe + "}\n";
}

std::string compactCheck(std::size_t i) {
  return "- {id: C-" + std::to_string(i) + ", title: t, severity: low, probe: {type: time_sync}}\n";
}

}  // namespace

TEST_CASE("kMaxRuleDepth: nesting at the limit loads, one deeper is refused before parsing") {
  STATIC_REQUIRE(kMaxRuleDepth == 16);
  rulestest::loadOk(nested(6, "{type: time_sync}"));  // innermost map at depth 16
  auto deeper = rulestest::load(nested(6, "{type: sysctl, key: a.b, expect: {op: exists}}"));  // 17
  REQUIRE_FALSE(deeper.ok());
  CHECK(deeper.error().code == RulesErrc::Limit);
  CHECK(has(deeper.error().format(), "nesting deeper than 16 levels"));
  auto bomb = rulestest::load(std::string(100000, '[') + std::string(100000, ']'));
  REQUIRE_FALSE(bomb.ok());
  CHECK(bomb.error().code == RulesErrc::Limit);
}

TEST_CASE("kMaxRuleFileBytes: a file at the limit loads, one byte over is refused") {
  const std::string head = "checks:\n" + rulestest::check("C-1");
  std::string at = head + "#" + std::string(kMaxRuleFileBytes - head.size() - 2, 'x') + "\n";
  REQUIRE(at.size() == kMaxRuleFileBytes);
  rulestest::loadOk(at);
  auto over = rulestest::load(at + " ");
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().code == RulesErrc::Limit);
  CHECK(has(over.error().format(), "t.yaml: file is 1048577 bytes, over the limit of 1048576"));
}

TEST_CASE("kMaxRuleFileBytes: loadRulePath refuses a big file without reading it") {
  testsupport::TempDir dir;
  {
    std::ofstream big(dir.path() / "big.yaml", std::ios::binary);
    big.seekp(10 * 1024 * 1024 - 1);  // a sparse 10 MB file
    big.put('\n');
  }
  dir.write("ok.yaml", "checks:\n" + rulestest::check("C-1"));
  auto r = loadRulePath(dir.path().string(), KnownTypes::all());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == RulesErrc::Limit);
  CHECK(has(r.error().format(), "big.yaml: file is 10485760 bytes, over the limit of 1048576"));
}

TEST_CASE("kMaxRuleCount: checks, rules and waivers across the set") {
  STATIC_REQUIRE(kMaxRuleCount == 10000);
  std::string a = "checks:\n", b = "checks:\n";
  for (std::size_t i = 0; i < 5000; ++i) a += compactCheck(i);
  for (std::size_t i = 5000; i < kMaxRuleCount; ++i) b += compactCheck(i);
  auto ok = loadRuleSources({{"a.yaml", a, ""}, {"b.yaml", b, ""}}, KnownTypes::all());
  REQUIRE(ok.ok());
  CHECK(ok->checks.size() == kMaxRuleCount);
  auto over = loadRuleSources({{"a.yaml", a, ""}, {"b.yaml", b + compactCheck(99999), ""}}, KnownTypes::all());
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().code == RulesErrc::Limit);
  CHECK(has(over.error().format(), "b.yaml: the rule set holds more than 10000 checks, rules and waivers"));
}

TEST_CASE("kMaxRegexLength") {
  STATIC_REQUIRE(kMaxRegexLength == 1024);
  CHECK(compileRegex(std::string(kMaxRegexLength, 'a')).ok());
  auto r = compileRegex(std::string(kMaxRegexLength + 1, 'a'));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == "regex is 1025 bytes, over the limit of 1024");
}

TEST_CASE("kRegexMaxMem: a pattern too large for the budget fails to compile") {
  // Every repetition is within RE2's own limit of 1000; the compiled program is what is too big.
  auto r = compileRegex("\\pL{1000}");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == "invalid regex: pattern too large - compile failed");
  CHECK(compileRegex("\\pL{10}").ok());
  CHECK(compileRegex("^\\s*PermitRootLogin\\s+(yes|no)$").ok());
}

TEST_CASE("kMaxRuleFiles: file count in a set and in a directory") {
  std::vector<SourceFile> files;
  for (std::size_t i = 0; i <= kMaxRuleFiles; ++i) files.push_back({"f" + std::to_string(i) + ".yaml", "checks: []\n", ""});
  auto over = loadRuleSources(files, KnownTypes::all());
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().code == RulesErrc::Limit);
  CHECK(has(over.error().format(), "1001 rule files, over the limit of 1000"));
  files.pop_back();
  CHECK(loadRuleSources(files, KnownTypes::all()).ok());

  testsupport::TempDir dir;
  for (std::size_t i = 0; i <= kMaxRuleFiles; ++i) dir.write("d/f" + std::to_string(i) + ".yml", "checks: []\n");
  auto path = loadRulePath(dir.path().string(), KnownTypes::all());
  REQUIRE_FALSE(path.ok());
  CHECK(path.error().code == RulesErrc::Limit);
  CHECK(has(path.error().format(), "more than 1000 rule files"));
}

TEST_CASE("kMaxRuleSetBytes: the files of one set together") {
  const std::string one = "checks: []\n#" + std::string(kMaxRuleFileBytes - 13, 'x') + "\n";
  REQUIRE(one.size() == kMaxRuleFileBytes);
  std::vector<SourceFile> files;
  for (std::size_t i = 0; i < kMaxRuleSetBytes / kMaxRuleFileBytes; ++i) files.push_back({"f" + std::to_string(i) + ".yaml", one, ""});
  CHECK(loadRuleSources(files, KnownTypes::all()).ok());
  files.push_back({"last.yaml", "checks: []\n", ""});
  auto over = loadRuleSources(files, KnownTypes::all());
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().code == RulesErrc::Limit);
  CHECK(has(over.error().format(), "over the limit of 16777216"));
}

TEST_CASE("kMaxReportedProblems: a flood of problems is cut, with a count") {
  std::string text = "checks:\n";
  for (int i = 0; i < 300; ++i) text += "- {id: C-" + std::to_string(i) + ", title: t, severity: bad, probe: {type: time_sync}}\n";
  auto r = rulestest::load(text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().problems.size() == kMaxReportedProblems);
  CHECK(r.error().omitted == 100);
  CHECK(has(r.error().format(), "(100 more problems not shown)"));
}
