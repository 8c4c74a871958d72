// The earlier platform's JSON rule lists.
#include <catch2/catch.hpp>

#include "rules/legacy_import.h"
#include "rules_test_util.h"

using namespace rules;
using rulestest::has;

namespace {

const char* kLegacy = R"([
  {"id": "L1-NTP-001", "name": "NTP Drift Remediation", "description": "Restart chronyd",
   "conditions": [{"field": "check_type", "operator": "eq", "value": "ntp_sync"},
                  {"field": "status", "operator": "in", "value": ["warning", "fail", "error"]}],
   "actions": ["restart_service:chronyd"], "severity": "medium",
   "cooldown_seconds": 300, "max_retries": 2, "source": "builtin"},
  {"id": "L1-DISK-001", "name": "Disk Space Alert",
   "conditions": [{"field": "details.percent", "operator": ">", "value": 90},
                  {"field": "status", "operator": "==", "value": "non_compliant"}],
   "actions": ["alert:disk_space_critical", "escalate", "reload_service:nginx.service"],
   "severity": "high"},
  {"id": "L1-DEFENDERUPDATES-001", "name": "Defender definitions",
   "conditions": [{"field": "check_type", "operator": "equals", "value": "defender"},
                  {"field": "details.x", "operator": "exists"},
                  {"field": "target", "operator": "regex", "value": "^ws-"},
                  {"field": "details.n", "operator": "<", "value": "3"},
                  {"field": "details.y", "operator": "!=", "value": "a"},
                  {"field": "details.z", "operator": "not_in", "value": ["a", "b"]},
                  {"field": "details.w", "operator": "contains", "value": "q"}],
   "actions": ["agent_heal:update_defender_definitions", "start_service:a", "enable_service:b"]}
])";

}  // namespace

TEST_CASE("a legacy list maps to L1 rules") {
  auto set = rulestest::loadOk(kLegacy, "legacy.json");
  REQUIRE(set.rules.size() == 3);
  const L1Rule& ntp = set.rules[0];
  CHECK(ntp.legacy);
  CHECK(ntp.id == "L1-NTP-001");
  CHECK(ntp.name == "NTP Drift Remediation");
  CHECK(ntp.description == "Restart chronyd");
  CHECK(ntp.tiers == std::vector<Tier>{Tier::Standard});
  CHECK(ntp.severity == std::optional<Severity>(Severity::Medium));
  CHECK(ntp.cooldown == std::chrono::seconds(300));
  CHECK(ntp.max_attempts == 2);
  REQUIRE(ntp.match.size() == 2);
  CHECK(ntp.match[0].field == "check_type");
  CHECK(ntp.match[0].expect.op == MatchOp::Eq);
  CHECK(ntp.match[0].expect.value == "ntp_sync");
  // "warning" and "fail" are both "drifted" here.
  CHECK(ntp.match[1].expect.op == MatchOp::In);
  CHECK(ntp.match[1].expect.values == std::vector<std::string>{"drifted", "error"});
  REQUIRE(ntp.actions.size() == 1);
  CHECK(ntp.actions[0].type == "restart_service");
  CHECK(ntp.actions[0].as<RestartServiceAction>()->unit == "chronyd");
  CHECK(ntp.actions[0].pos.file == "legacy.json");
  CHECK(ntp.actions[0].pos.line == 5);

  const L1Rule& disk = set.rules[1];
  CHECK(disk.tiers == std::vector<Tier>{Tier::Standard});
  CHECK(disk.cooldown == std::chrono::minutes(10));  // defaults
  CHECK(disk.max_attempts == 3);
  CHECK(disk.match[0].expect.op == MatchOp::Gt);
  CHECK(disk.match[0].expect.number == 90);
  CHECK(disk.match[1].expect.value == "drifted");
  CHECK(disk.actions[0].as<AlertAction>()->message == "disk_space_critical");
  CHECK(disk.actions[1].as<EscalateAction>()->reason == "Disk Space Alert");
  CHECK(disk.actions[2].as<ReloadServiceAction>()->unit == "nginx.service");

  const L1Rule& def = set.rules[2];
  CHECK(def.tiers == std::vector<Tier>{Tier::FullCoverage});
  CHECK_FALSE(def.severity.has_value());
  std::vector<MatchOp> ops;
  for (const auto& m : def.match) ops.push_back(m.expect.op);
  CHECK(ops == std::vector<MatchOp>{MatchOp::Eq, MatchOp::Exists, MatchOp::Regex, MatchOp::Lt,
                                    MatchOp::Ne, MatchOp::NotIn, MatchOp::Contains});
  CHECK(def.match[2].expect.regex != nullptr);
  CHECK(def.actions[0].as<AgentHealAction>()->check_type == "update_defender_definitions");
  CHECK(def.actions[1].as<StartServiceAction>() != nullptr);
  CHECK(def.actions[2].as<EnableServiceAction>() != nullptr);
}

TEST_CASE("the legacy format is recognised by shape, whatever the file is called") {
  auto wrapped = rulestest::loadOk(std::string("{\"rules\": ") + kLegacy + "}", "rules.yaml");
  CHECK(wrapped.rules.size() == 3);
  auto yaml = rulestest::loadOk(
      "- id: L1-SVC-001\n  name: n\n  conditions: [{field: status, operator: eq, value: fail}]\n"
      "  actions: ['restart_service:sshd']\n",
      "old.yml");
  CHECK(yaml.rules.at(0).legacy);
  CHECK(yaml.rules.at(0).match.at(0).expect.value == "drifted");
}

TEST_CASE("standard tier prefixes") {
  CHECK(legacyIsStandard("L1-TIME-001"));
  CHECK(legacyIsStandard("L1-SVC-003"));
  CHECK(legacyIsStandard("L1-DISK-001"));
  CHECK(legacyIsStandard("L1-FW-002"));
  CHECK(legacyIsStandard("L1-DEFENDER-001"));
  CHECK(legacyIsStandard("L1-NIXOS-001"));
  CHECK(legacyIsStandard("L1-FIREWALL-001"));
  CHECK(legacyIsStandard("L1-GENERATION-001"));
  CHECK_FALSE(legacyIsStandard("L1-DEFENDERUPDATES-001"));
  CHECK_FALSE(legacyIsStandard("L1-FWX-001"));
  CHECK_FALSE(legacyIsStandard("L1-PASSWORD-001"));
  CHECK_FALSE(legacyIsStandard("l1-time-001"));
}

TEST_CASE("legacy errors carry position and id") {
  const std::string bad = R"([
  {"id": "L1-FW-001", "name": "Firewall",
   "conditions": [{"field": "check_type", "operator": "like", "value": "fw"}],
   "actions": ["restore_firewall_baseline", "restart_service:", "alert:x"],
   "cooldown_seconds": -5, "max_retries": "three", "severity": "urgent", "enabled": true},
  {"id": "L1-X-001", "name": "x", "conditions": [], "actions": ["alert"]},
  {"id": "L1-Y-001", "name": "y", "conditions": [{"field": "status", "operator": "in", "value": "fail"}],
   "actions": [42, ["alert"]]}
])";
  auto r = rulestest::load(bad, "old.json");
  REQUIRE_FALSE(r.ok());
  const std::string out = r.error().format();
  INFO(out);
  CHECK(has(out, "old.json:3:55: [0].conditions[0].operator: (L1-FW-001) unknown operator 'like'"));
  CHECK(has(out, "old.json:4:16: [0].actions[0]: (L1-FW-001) action 'restore_firewall_baseline' cannot be imported"));
  CHECK(has(out, "[0].actions[1]: (L1-FW-001) 'restart_service' needs a unit: \"restart_service:chronyd\""));
  CHECK(has(out, "[0].cooldown_seconds: (L1-FW-001) out of range"));
  CHECK(has(out, "[0].max_retries: (L1-FW-001) expected an integer, got 'three'"));
  CHECK(has(out, "[0].severity: (L1-FW-001) unknown severity 'urgent'"));
  CHECK(has(out, "[0].enabled: (L1-FW-001) unknown key"));
  CHECK(has(out, "[1].conditions: (L1-X-001) expected a non-empty list"));
  CHECK(has(out, "[2].conditions[0].value: (L1-Y-001) in needs a non-empty list"));
  CHECK(has(out, "[2].actions[0]: (L1-Y-001)"));  // 42 is a scalar: "unknown action '42'"
  CHECK(has(out, "[2].actions[1]: (L1-Y-001) expected a string, got a list"));
}

TEST_CASE("legacy action types must be implemented by this agent") {
  KnownTypes k = KnownTypes::all();
  k.actions.erase("agent_heal");
  auto r = loadRuleSources({{"old.json", R"([{"id": "L1-A", "name": "a", "conditions": [{"field": "x", "operator": "eq", "value": 1}], "actions": ["agent_heal:fw"]}])", ""}}, k);
  REQUIRE_FALSE(r.ok());
  CHECK(has(r.error().format(), "(L1-A) action type 'agent_heal' is not implemented in this agent"));
}
