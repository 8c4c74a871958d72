// Rule-set variables (`vars:`): declarations, `{var.NAME}` substitution, site overrides with
// their bounds, the version of the rules in force, and the cache that must not mix them up.
#include <catch2/catch.hpp>

#include "rules/ruleset_cache.h"
#include "rules/ruleset_codec.h"
#include "rules_test_util.h"

using namespace rules;
using rulestest::has;

namespace {

const std::string kSsh =
    "vars:\n"
    "  var_sshd_max_auth_tries:\n"
    "    type: int\n"
    "    default: 4\n"
    "    min: 1\n"
    "    max: 10\n"
    "    description: MaxAuthTries\n"
    "  var_auditd_action:\n"
    "    type: string\n"
    "    default: keep_logs\n"
    "    allowed: [keep_logs, rotate]\n"
    "checks:\n"
    "  - id: SSH-4\n"
    "    title: at most {var.var_sshd_max_auth_tries} attempts\n"
    "    severity: medium\n"
    "    probe: {type: config_value, format: sshd, path: /etc/ssh/sshd_config, key: MaxAuthTries,\n"
    "            expect: {op: le, value: \"{var.var_sshd_max_auth_tries}\"}}\n"
    "  - id: AUD-1\n"
    "    title: t\n"
    "    severity: low\n"
    "    probe: {type: config_value, format: keyvalue, path: /etc/audit/auditd.conf, key: max_log_file_action,\n"
    "            expect: {op: in, values: [\"{var.var_auditd_action}\", KEEP_LOGS]}}\n"
    "rules:\n"
    "  - id: L1-SSH-4\n"
    "    name: limit to {var.var_sshd_max_auth_tries}\n"
    "    tiers: [standard]\n"
    "    match: [{field: check_id, op: eq, value: SSH-4}]\n"
    "    actions:\n"
    "      - {type: set_config_value, format: sshd, path: /etc/ssh/sshd_config, key: MaxAuthTries,\n"
    "         value: \"{var.var_sshd_max_auth_tries}\"}\n"
    "      - {type: alert, message: \"MaxAuthTries set to {var.var_sshd_max_auth_tries}\"}\n";

core::Result<RuleSet, RulesError> loadWith(const std::string& text, const VarOverrides& o) {
  return loadRuleSources({SourceFile{"ssh.yaml", text, ""}}, KnownTypes::all(), o);
}

VarOverrides override(const std::string& name, const std::string& value, int line = 7) {
  return {{name, VarOverride{value, SourcePos{"/etc/ca/agent.yaml", line, 3}}}};
}

const ConfigValueProbe& cv(const RuleSet& s, const std::string& id) { return *s.findCheck(id)->probe.as<ConfigValueProbe>(); }

}  // namespace

TEST_CASE("a variable's default is substituted in expectations, actions, titles and names") {
  const RuleSet s = rulestest::loadOk(kSsh, "ssh.yaml");
  REQUIRE(s.vars.size() == 2);
  CHECK(s.vars[0].name == "var_auditd_action");  // name order
  const Variable& v = *s.findVar("var_sshd_max_auth_tries");
  CHECK(v.type == VarType::Int);
  CHECK(v.value == "4");
  CHECK(v.default_value == "4");
  CHECK(v.source == "default");
  CHECK(*v.min == 1);
  CHECK(*v.max == 10);
  CHECK(v.pos.line == 2);
  CHECK(cv(s, "SSH-4").expect.op == MatchOp::Le);
  CHECK(cv(s, "SSH-4").expect.value == "4");
  CHECK(cv(s, "SSH-4").expect.number == 4);
  CHECK(cv(s, "AUD-1").expect.values == std::vector<std::string>{"keep_logs", "KEEP_LOGS"});
  CHECK(s.findCheck("SSH-4")->title == "at most 4 attempts");
  const L1Rule& r = *s.findRule("L1-SSH-4");
  CHECK(r.name == "limit to 4");
  CHECK(r.actions[0].as<SetConfigValueAction>()->value == "4");
  CHECK(r.actions[1].as<AlertAction>()->message == "MaxAuthTries set to 4");
  // Defaults only: the version is that of the files.
  CHECK(s.version == s.source_version);
  CHECK(s.version == ruleSetVersion({SourceFile{"ssh.yaml", kSsh, ""}}));
}

TEST_CASE("a site override is validated against the declaration and changes the version") {
  auto a = loadWith(kSsh, override("var_sshd_max_auth_tries", "3"));
  REQUIRE(a.ok());
  const Variable& v = *a->findVar("var_sshd_max_auth_tries");
  CHECK(v.value == "3");
  CHECK(v.source == "/etc/ca/agent.yaml:7");
  CHECK(v.overridden());
  CHECK(cv(*a, "SSH-4").expect.number == 3);
  CHECK(a->findRule("L1-SSH-4")->actions[0].as<SetConfigValueAction>()->value == "3");
  CHECK(a->source_version == ruleSetVersion({SourceFile{"ssh.yaml", kSsh, ""}}));
  CHECK(a->version != a->source_version);
  auto b = loadWith(kSsh, override("var_sshd_max_auth_tries", "5"));
  REQUIRE(b.ok());
  CHECK(b->version != a->version);
  // Written "+04" or "04": the same value in force, the same version.
  auto c = loadWith(kSsh, override("var_sshd_max_auth_tries", "03"));
  REQUIRE(c.ok());
  CHECK(c->version == a->version);
  // An override equal to the default: the rules in force are the shipped ones.
  auto d = loadWith(kSsh, override("var_sshd_max_auth_tries", "4"));
  REQUIRE(d.ok());
  CHECK(d->version == d->source_version);
}

TEST_CASE("an override outside the bounds, of the wrong type or unknown is refused at its position") {
  auto out = loadWith(kSsh, override("var_sshd_max_auth_tries", "11"));
  REQUIRE_FALSE(out.ok());
  CHECK(out.error().code == RulesErrc::Invalid);
  CHECK(out.error().format() ==
        "/etc/ca/agent.yaml:7:3: vars.var_sshd_max_auth_tries: 11 is out of bounds: var_sshd_max_auth_tries is an "
        "integer in 1..10 (declared at ssh.yaml:2)\n");
  CHECK(has(loadWith(kSsh, override("var_sshd_max_auth_tries", "0")).error().format(), "0 is out of bounds"));
  CHECK(has(loadWith(kSsh, override("var_sshd_max_auth_tries", "4.5")).error().format(),
            "'4.5' is not an integer in 1..10"));
  CHECK(has(loadWith(kSsh, override("var_auditd_action", "halt")).error().format(),
            "'halt' is not allowed: var_auditd_action is one of keep_logs, rotate"));
  CHECK(has(loadWith(kSsh, override("var_sshd_max_auth_trys", "3")).error().format(),
            "vars.var_sshd_max_auth_trys: the rules declare no variable 'var_sshd_max_auth_trys' (did you mean "
            "'var_sshd_max_auth_tries'?)"));
}

TEST_CASE("declarations are strict") {
  auto err = [](const std::string& vars) {
    return rulestest::loadErr("vars:\n" + vars + "checks:\n" + rulestest::check("C-1"));
  };
  CHECK(has(err("  Bad-Name: {type: int, default: 1}\n"), "invalid variable name 'Bad-Name'"));
  CHECK(has(err("  v: {type: float, default: 1}\n"), "vars.v.type: unknown type 'float'"));
  CHECK(has(err("  v: {type: int}\n"), "vars.v.default"));
  CHECK(has(err("  v: {type: int, default: 20, min: 1, max: 10}\n"), "20 is out of bounds"));
  CHECK(has(err("  v: {type: int, default: 5, min: 10, max: 1}\n"), "max is below min"));
  CHECK(has(err("  v: {type: int, default: 1, allowed: [a]}\n"), "allowed is for string variables"));
  CHECK(has(err("  v: {type: string, default: a, min: 1}\n"), "min and max are for int variables"));
  CHECK(has(err("  v: {type: string, default: c, allowed: [a, b]}\n"), "'c' is not allowed"));
  CHECK(has(err("  v: {type: string, default: \"{x}\"}\n"), "without { or }"));
  CHECK(has(err("  v: {type: int, default: 1, unit: s}\n"), "vars.v.unit"));
  CHECK(has(err("  v: 3\n"), "vars.v"));
  // Declared twice, in two files: refused naming the first.
  auto twice = loadRuleSources({{"a.yaml", "vars:\n  v: {type: int, default: 1}\n", ""},
                                {"b.yaml", "vars:\n  v: {type: int, default: 2}\n", ""}},
                               KnownTypes::all());
  REQUIRE_FALSE(twice.ok());
  CHECK(has(twice.error().format(), "b.yaml:2:3: vars.v: variable 'v' declared twice; first at a.yaml:2"));
}

TEST_CASE("a variable declared in one file is used in another, and a file may hold only vars") {
  auto set = loadRuleSources(
      {{"z-vars.yaml", "vars:\n  var_t: {type: int, default: 30}\n", ""},
       {"a.yaml",
        "checks:\n  - {id: C-1, title: t, severity: low, probe: {type: sysctl, key: net.x, expect: {op: ge, value: "
        "\"{var.var_t}\"}}}\n",
        ""}},
      KnownTypes::all());
  REQUIRE(set.ok());
  CHECK(set->findCheck("C-1")->probe.as<SysctlProbe>()->expect.number == 30);
}

TEST_CASE("references are refused where they are not substituted, unknown, or in a regex") {
  const std::string decl = "vars:\n  v: {type: int, default: 1}\n";
  auto err = [&](const std::string& checks) { return rulestest::loadErr(decl + "checks:\n" + checks); };
  CHECK(has(err("  - {id: C-1, title: t, severity: low, probe: {type: sysctl, key: net.x, expect: {op: eq, value: "
                "\"{var.w}\"}}}\n"),
            "unknown variable '{var.w}'"));
  CHECK(has(err("  - {id: C-1, title: t, severity: low, probe: {type: sysctl, key: net.x, expect: {op: regex, value: "
                "\"^{var.v}$\"}}}\n"),
            "a variable cannot be used in a regex pattern"));
  CHECK(has(err("  - {id: C-1, title: t, severity: low, probe: {type: file_mode, path: \"/etc/{var.v}\", max_mode: "
                "\"0600\"}}\n"),
            "variables ({var.NAME}) are not substituted in paths"));
  CHECK(has(err("  - {id: C-1, title: t, severity: low, probe: {type: systemd_unit, unit: \"{var.v}.service\", "
                "active: true}}\n"),
            "substituted only in"));
  CHECK(has(err("  - {id: C-1, title: t, severity: low, probe: {type: sysctl, key: net.x, expect: {op: eq, value: "
                "\"{var.v\"}}}\n"),
            "unterminated variable reference"));
}

TEST_CASE("between takes two inclusive bounds, variables allowed") {
  const RuleSet s = rulestest::loadOk(
      "vars:\n  v: {type: int, default: 4, min: 1, max: 10}\n"
      "checks:\n"
      "  - {id: C-1, title: t, severity: low, probe: {type: sysctl, key: net.x, expect: {op: between, values: [\"1\", "
      "\"{var.v}\"]}}}\n");
  const Expectation& e = s.checks[0].probe.as<SysctlProbe>()->expect;
  CHECK(e.op == MatchOp::Between);
  CHECK(e.number == 1);
  CHECK(e.number_max == 4);
  auto err = [](const std::string& values) {
    return rulestest::loadErr("checks:\n  - {id: C-1, title: t, severity: low, probe: {type: sysctl, key: net.x, "
                              "expect: {op: between, values: " + values + "}}}\n");
  };
  CHECK(has(err("[\"1\"]"), "between takes two bounds"));
  CHECK(has(err("[\"5\", \"1\"]"), "the low bound 5 is above the high bound 1"));
  CHECK(has(err("[\"1\", x]"), "'x' is not a number"));
}

TEST_CASE("references in regex patterns and commands are refused, not kept as literal text") {
  const std::string decl = "vars:\n  v: {type: int, default: 1}\n";
  CHECK(has(rulestest::loadErr(decl + "checks:\n  - {id: C-1, title: t, severity: low, probe: {type: file_regex, path: /etc/x, "
                                      "pattern: '^a {var.v}$'}}\n"),
            "a variable cannot be used in a regex pattern"));
  CHECK(has(rulestest::loadErr(decl + "checks:\n  - {id: C-1, title: t, severity: low, probe: {type: command, argv: [df, "
                                      "\"-{var.v}\"]}}\n"),
            "variables ({var.NAME}) are not substituted in commands"));
}

TEST_CASE("integers: a sign after '+' is refused, a huge value is out of bounds, not 'not an integer'") {
  CHECK(has(loadWith(kSsh, override("var_sshd_max_auth_tries", "+-5")).error().format(), "'+-5' is not an integer"));
  CHECK(has(loadWith(kSsh, override("var_sshd_max_auth_tries", "99999999999999999999")).error().format(),
            "99999999999999999999 is out of bounds"));
  CHECK(loadWith(kSsh, override("var_sshd_max_auth_tries", "+4")).ok());
  CHECK(has(rulestest::loadErr("checks:\n  - {id: C-1, title: t, severity: low, probe: {type: sysctl, key: net.x, "
                               "expect: {op: le, value: \"+-3\"}}}\n"),
            "is not a number"));
}

TEST_CASE("le and ge compare numbers, inclusive") {
  const RuleSet s = rulestest::loadOk(
      "checks:\n"
      "  - {id: C-1, title: t, severity: low, probe: {type: sysctl, key: net.x, expect: {op: le, value: \"4\"}}}\n"
      "  - {id: C-2, title: t, severity: low, probe: {type: sysctl, key: net.y, expect: {op: ge, value: \"-1.5\"}}}\n");
  CHECK(s.checks[0].probe.as<SysctlProbe>()->expect.op == MatchOp::Le);
  CHECK(s.checks[1].probe.as<SysctlProbe>()->expect.number == -1.5);
  CHECK(has(rulestest::loadErr("checks:\n  - {id: C-1, title: t, severity: low, probe: {type: sysctl, key: net.x, "
                               "expect: {op: le, value: four}}}\n"),
            "le compares numbers; 'four' is not a number"));
}

TEST_CASE("the codec keeps variables and both versions") {
  auto a = loadWith(kSsh, override("var_sshd_max_auth_tries", "3"));
  REQUIRE(a.ok());
  auto back = decodeRuleSet(encodeRuleSet(*a));
  REQUIRE(back.ok());
  CHECK(back->version == a->version);
  CHECK(back->source_version == a->source_version);
  REQUIRE(back->vars.size() == 2);
  CHECK(back->findVar("var_sshd_max_auth_tries")->value == "3");
  CHECK(back->findVar("var_sshd_max_auth_tries")->source == "/etc/ca/agent.yaml:7");
  CHECK(back->findVar("var_auditd_action")->allowed == std::vector<std::string>{"keep_logs", "rotate"});
}

TEST_CASE("the cache key depends on the overrides, so a tuned set is never served untuned") {
  const std::vector<SourceFile> src{{"ssh.yaml", kSsh, ""}};
  const std::string v = ruleSetVersion(src);
  const auto known = KnownTypes::all();
  const std::string none = ruleSetCacheKey(v, src, known);
  CHECK(ruleSetCacheKey(v, src, known, override("var_sshd_max_auth_tries", "3")) != none);
  CHECK(ruleSetCacheKey(v, src, known, override("var_sshd_max_auth_tries", "3")) !=
        ruleSetCacheKey(v, src, known, override("var_sshd_max_auth_tries", "5")));
  // The position is in the cached set's messages too.
  CHECK(ruleSetCacheKey(v, src, known, override("var_sshd_max_auth_tries", "3", 7)) !=
        ruleSetCacheKey(v, src, known, override("var_sshd_max_auth_tries", "3", 8)));
}
