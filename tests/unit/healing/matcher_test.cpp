#include <catch2/catch.hpp>

#include "healing/healer.h"
#include "healing/matcher.h"
#include "rules/loader.h"

namespace {

rules::RuleSet load(const std::string& yaml) {
  auto set = rules::loadRuleSources({{"m.yaml", yaml, ""}}, rules::KnownTypes::all());
  if (!set.ok()) FAIL(set.error().format());
  return std::move(*set);
}

checks::Finding finding(const std::string& id, checks::Status status, const std::string& target = "/etc/x") {
  checks::Finding f;
  f.check_id = id;
  f.target = target;
  f.status = status;
  f.details["key"] = "PermitRootLogin";
  return f;
}

const char* kChecks =
    "checks:\n"
    "  - {id: C-1, title: t, severity: low, hipaa: [x], probe: {type: file_exists, path: /etc/x}}\n"
    "  - {id: C-2, title: t, severity: low, hipaa: [x], probe: {type: file_exists, path: /etc/y}}\n";

// Records what reached the executor instead of acting.
struct RecordingExecutor final : healing::Executor {
  std::vector<std::string> rules_run;
  healing::ActionRecord execute(const rules::L1Rule& rule, const checks::Finding& f, const rules::Check&) override {
    rules_run.push_back(rule.id);
    healing::ActionRecord r;
    r.rule_id = rule.id;
    r.check_id = f.check_id;
    r.target = f.target;
    r.outcome = healing::Outcome::Planned;
    return r;
  }
};

}  // namespace

TEST_CASE("matching: every condition must hold, lower priority wins, in-tier rules preferred") {
  const auto set = load(std::string(kChecks) +
                        "rules:\n"
                        "  - {id: R-LOW, name: n, tiers: [full_coverage], priority: 10, actions: [{type: alert, message: m}],\n"
                        "     match: [{field: check_id, op: eq, value: C-1}, {field: status, op: eq, value: drifted}]}\n"
                        "  - {id: R-STD, name: n, tiers: [standard], priority: 50, actions: [{type: alert, message: m}],\n"
                        "     match: [{field: check_id, op: eq, value: C-1}, {field: details.key, op: regex, value: '^Permit'}]}\n"
                        "  - {id: R-OTHER, name: n, tiers: [standard], actions: [{type: alert, message: m}],\n"
                        "     match: [{field: check_id, op: eq, value: C-1}, {field: target, op: eq, value: /nope}]}\n");
  const auto drift = finding("C-1", checks::Status::Drifted);
  auto full = healing::matchRule(drift, set.rules, rules::Tier::FullCoverage);
  REQUIRE(full.rule);
  CHECK(full.rule->id == "R-LOW");
  CHECK(full.in_tier);
  auto standard = healing::matchRule(drift, set.rules, rules::Tier::Standard);
  REQUIRE(standard.rule);
  CHECK(standard.rule->id == "R-STD");  // R-LOW is better but acts only in full_coverage
  CHECK(standard.in_tier);
  CHECK_FALSE(healing::matchRule(finding("C-2", checks::Status::Drifted), set.rules, rules::Tier::FullCoverage).rule);
}

TEST_CASE("healFindings: no_rule, not_in_tier, audited, and the executor for the rest") {
  const auto set = load(std::string(kChecks) +
                        "rules:\n"
                        "  - {id: R-FULL, name: n, tiers: [full_coverage], actions: [{type: alert, message: m}],\n"
                        "     match: [{field: check_id, op: eq, value: C-1}, {field: status, op: eq, value: drifted}]}\n"
                        "  - {id: R-AUDIT, name: n, tiers: [standard], mode: audit, actions: [{type: alert, message: m}],\n"
                        "     match: [{field: check_id, op: eq, value: C-2}, {field: status, op: eq, value: drifted}]}\n");
  RecordingExecutor exec;
  const std::vector<checks::Finding> findings{
      finding("C-1", checks::Status::Drifted), finding("C-2", checks::Status::Drifted),
      finding("C-2", checks::Status::Compliant, "/etc/y"), finding("C-9", checks::Status::Drifted, "/etc/z")};
  auto std_recs = healing::healFindings(findings, set, rules::Tier::Standard, exec);
  REQUIRE(std_recs.size() == 3);
  CHECK(std_recs[0].outcome == healing::Outcome::NotInTier);
  CHECK(std_recs[0].rule_id == "R-FULL");
  CHECK(std_recs[1].outcome == healing::Outcome::Audited);
  CHECK(std_recs[2].outcome == healing::Outcome::NoRule);
  CHECK(std_recs[2].target == "/etc/z");
  CHECK(exec.rules_run.empty());
  auto full_recs = healing::healFindings(findings, set, rules::Tier::FullCoverage, exec);
  CHECK(full_recs[0].outcome == healing::Outcome::Planned);
  CHECK(exec.rules_run == std::vector<std::string>{"R-FULL"});
  CHECK_FALSE(healing::countsAsHealed(healing::Outcome::Planned));
  CHECK_FALSE(healing::countsAsHealed(healing::Outcome::Alerted));
  CHECK_FALSE(healing::countsAsHealed(healing::Outcome::Escalated));
  CHECK(healing::countsAsHealed(healing::Outcome::Healed));
}
