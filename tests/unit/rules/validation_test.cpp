// Strict validation: every problem is reported with file:line:col, the field path and the id.
#include <catch2/catch.hpp>

#include "rules_test_util.h"

using namespace rules;
using rulestest::check;
using rulestest::has;
using rulestest::load;
using rulestest::loadErr;

TEST_CASE("an error names file, line, column, field and check id") {
  const std::string text =
      "checks:\n"
      "  - id: LIN-SSH-001\n"
      "    title: t\n"
      "    severity: high\n"
      "    probe:\n"
      "      type: config_value\n"
      "      path: /etc/ssh/sshd_config\n"
      "      key: PermitRootLogin\n"
      "      format: ssd\n"
      "      expect: {op: eq, value: \"no\"}\n";
  auto r = load(text, "rules/linux/ssh.yaml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == RulesErrc::Invalid);
  REQUIRE(r.error().problems.size() == 1);
  CHECK(r.error().format() ==
        "rules/linux/ssh.yaml:9:15: checks[0].probe.format: (LIN-SSH-001) unknown format 'ssd'; "
        "expected sshd, sysctl, ini or keyvalue\n");
}

TEST_CASE("all problems are reported at once, across entries and files") {
  const std::string a =
      "checks:\n"
      "  - {id: A-1, title: t, severity: huge, probe: {type: time_sync}}\n"
      "  - {id: A-2, title: t, severity: low, probe: {type: file_mode, path: etc/x, max_mode: \"0999\"}}\n"
      "  - {id: A-3, title: t, severity: low, probe: {type: file_mode, path: /x, max_mode: \"17777\"}}\n";
  const std::string b =
      "rules:\n"
      "  - {id: R-1, name: n, tiers: [gold], match: [{field: check_id, op: eq, value: A-1}],\n"
      "     actions: [{type: alert, message: m}], cooldown: 10 minutes}\n";
  auto r = loadRuleSources({{"b.yaml", b, ""}, {"a.yaml", a, ""}}, KnownTypes::all());
  REQUIRE_FALSE(r.ok());
  const std::string out = r.error().format();
  INFO(out);
  CHECK(r.error().problems.size() == 6);
  CHECK(has(out, "checks[2].probe.max_mode: (A-3) invalid mode '17777'"));
  // Files in name order, problems in document order.
  CHECK(out.find("a.yaml:2:") < out.find("a.yaml:3:"));
  CHECK(out.find("a.yaml:3:") < out.find("b.yaml:"));
  CHECK(has(out, "a.yaml:2:35: checks[0].severity: (A-1) unknown severity 'huge'"));
  CHECK(has(out, "checks[1].probe.path: (A-2) host path 'etc/x' is not absolute"));
  CHECK(has(out, "checks[1].probe.max_mode: (A-2) invalid mode '0999'"));
  CHECK(has(out, "b.yaml:2:31: rules[0].tiers: (R-1) unknown tier 'gold'; expected standard or full_coverage"));
  CHECK(has(out, "rules[0].cooldown: (R-1)"));
}

TEST_CASE("unknown keys and wrong types") {
  auto out = loadErr(
      "checks:\n"
      "  - id: C-1\n"
      "    title: [not, a, string]\n"
      "    severity: low\n"
      "    colour: blue\n"
      "    probe: {type: file_exists, path: /etc/x, mode: strict}\n");
  INFO(out);
  CHECK(has(out, "t.yaml:3:12: checks[0].title: (C-1) expected a string, got a list"));
  CHECK(has(out, "t.yaml:5:5: checks[0].colour: (C-1) unknown key"));
  CHECK(has(out, "checks[0].probe.mode: (C-1) unknown key"));
  auto types = loadErr(
      "rules:\n"
      "  - {id: R-1, name: n, tiers: standard, match: {field: status}, actions: [],\n"
      "     max_attempts: many, disruptive: maybe}\n");
  INFO(types);
  CHECK(has(types, "rules[0].tiers: (R-1) expected a list, got a scalar"));
  CHECK(has(types, "rules[0].match: (R-1) expected a list, got a map"));
  CHECK(has(types, "rules[0].actions: (R-1) must not be empty"));
  CHECK(has(types, "rules[0].max_attempts: (R-1) expected an integer, got 'many'"));
  CHECK(has(types, "rules[0].disruptive: (R-1) expected true or false, got 'maybe'"));
}

TEST_CASE("missing required keys") {
  auto out = loadErr("checks:\n  - {id: C-1, probe: {type: file_mode, path: /x}}\n");
  INFO(out);
  CHECK(has(out, "checks[0].title: (C-1) required key is missing"));
  CHECK(has(out, "checks[0].severity: (C-1) required key is missing"));
  CHECK(has(out, "checks[0].probe.max_mode: (C-1) required key is missing"));
  auto noid = loadErr("checks:\n  - {title: t, severity: low, probe: {type: time_sync}}\n");
  CHECK(has(noid, "t.yaml:2:5: checks[0].id: required key is missing"));
}

TEST_CASE("unknown and unimplemented probe and action types") {
  const std::string text = "checks:\n" + check("C-1") +
                           "  - {id: C-2, title: t, severity: low, probe: {type: file_exits, path: /x}}\n"
                           "  - {id: C-3, title: t, severity: low, probe: {type: dir_scan, path: /, find: suid}}\n"
                           "rules:\n"
                           "  - {id: R-1, name: n, tiers: [standard], match: [{field: check_id, op: eq, value: C-1}],\n"
                           "     actions: [{type: reboot}, {type: run_command, argv: [x]}]}\n";
  auto out = loadErr(text);
  INFO(out);
  CHECK(has(out, "t.yaml:3:54: checks[1].probe.type: (C-2) unknown probe type 'file_exits'"));
  CHECK(has(out, "rules[0].actions[0].type: (R-1) unknown action type 'reboot'"));
  // With every type known, dir_scan and run_command are fine.
  CHECK_FALSE(has(out, "C-3"));

  KnownTypes some = KnownTypes::all();
  some.probes.erase("dir_scan");
  some.actions.erase("run_command");
  auto r = loadRuleSources({{"t.yaml", text, ""}}, some);
  REQUIRE_FALSE(r.ok());
  const std::string limited = r.error().format();
  CHECK(has(limited, "checks[2].probe.type: (C-3) probe type 'dir_scan' is not implemented in this agent"));
  CHECK(has(limited, "rules[0].actions[1].type: (R-1) action type 'run_command' is not implemented in this agent"));
}

TEST_CASE("regexes: invalid, over-long, and catastrophic-looking ones") {
  auto bad = loadErr("checks:\n  - {id: C-1, title: t, severity: low, probe: {type: file_regex, path: /x, pattern: 'a(b'}}\n");
  CHECK(has(bad, "checks[0].probe.pattern: (C-1) invalid regex: missing ): a(b"));
  const std::string ok(kMaxRegexLength, 'a');
  rulestest::loadOk("checks:\n  - {id: C-1, title: t, severity: low, probe: {type: file_regex, path: /x, pattern: '" + ok + "'}}\n");
  auto longer = loadErr("checks:\n  - {id: C-1, title: t, severity: low, probe: {type: file_regex, path: /x, pattern: '" + ok + "a'}}\n");
  CHECK(has(longer, "regex is 1025 bytes, over the limit of 1024"));
  // RE2 runs this in linear time: accepted, and matching a long line returns at once.
  auto set = rulestest::loadOk("checks:\n  - {id: C-1, title: t, severity: low, probe: {type: file_regex, path: /x, pattern: '(a+)+$'}}\n");
  const auto* p = set.checks[0].probe.as<FileRegexProbe>();
  CHECK_FALSE(RE2::PartialMatch(std::string(100000, 'a') + "!", *p->regex));
  CHECK(RE2::PartialMatch(std::string(100000, 'a'), *p->regex));
  auto huge = loadErr("checks:\n  - {id: C-1, title: t, severity: low, probe: {type: file_regex, path: /x, pattern: '((a{100}){100}){100}'}}\n");
  CHECK(has(huge, "invalid regex"));
  auto match = loadErr("checks:\n" + check("C-1") +
                       "rules:\n  - {id: R-1, name: n, tiers: [standard], match: [{field: target, op: regex, value: '[z-a]'}],\n"
                       "     actions: [{type: alert, message: m}]}\n");
  CHECK(has(match, "rules[0].match[0].value: (R-1) invalid regex: invalid character class range: z-a"));
}

TEST_CASE("duplicate ids name both positions") {
  auto out = loadErr("checks:\n" + check("C-1") + check("C-1") +
                     "rules:\n"
                     "  - {id: R-1, name: n, tiers: [standard], match: [{field: check_id, op: eq, value: C-1}], actions: [{type: alert, message: m}]}\n"
                     "  - {id: R-1, name: n, tiers: [standard], match: [{field: check_id, op: eq, value: C-1}], actions: [{type: alert, message: m}]}\n");
  INFO(out);
  CHECK(has(out, "t.yaml:3:5: checks[1].id: (C-1) duplicate check id 'C-1'; first defined at t.yaml:2:5"));
  CHECK(has(out, "t.yaml:6:5: rules[1].id: (R-1) duplicate rule id 'R-1'; first defined at t.yaml:5:5"));
  // Across files too.
  auto r = loadRuleSources({{"a.yaml", "checks:\n" + check("C-1"), ""}, {"b.yaml", "checks:\n" + check("C-1"), ""}},
                           KnownTypes::all());
  REQUIRE_FALSE(r.ok());
  CHECK(has(r.error().format(), "b.yaml:2:5: checks[0].id: (C-1) duplicate check id 'C-1'; first defined at a.yaml:2:5"));
}

TEST_CASE("duplicate keys in one map are refused") {
  auto out = loadErr("checks:\n  - id: C-1\n    title: t\n    severity: low\n    severity: high\n    probe: {type: time_sync}\n");
  INFO(out);
  CHECK(has(out, "t.yaml:5:5: checks[0].severity: duplicate key (first at line 4)"));
}

TEST_CASE("references: rules and waivers must name existing checks") {
  auto out = loadErr("checks:\n" + check("C-1") +
                     "rules:\n"
                     "  - {id: R-1, name: n, tiers: [standard], match: [{field: check_id, op: eq, value: C-9}], actions: [{type: alert, message: m}]}\n"
                     "  - {id: R-2, name: n, tiers: [standard], match: [{field: check_id, op: in, values: [C-1, C-8]}], actions: [{type: alert, message: m}]}\n"
                     "waivers:\n"
                     "  - {check_id: C-7, target: '*', reason: r, approved_by: a, expires: 2030-01-01}\n"
                     "  - {check_id: C-1, target: /x, reason: r, approved_by: a, expires: 2030-01-01}\n"
                     "  - {check_id: C-1, target: /x, reason: r, approved_by: a, expires: 2031-01-01}\n");
  INFO(out);
  CHECK(has(out, "t.yaml:4:51: rules[0].match[0]: (R-1) matches check_id 'C-9', which no check defines"));
  CHECK(has(out, "rules[1].match[0]: (R-2) matches check_id 'C-8', which no check defines"));
  CHECK_FALSE(has(out, "'C-1', which"));
  CHECK(has(out, "t.yaml:7:5: waivers[0].check_id: (C-7) waiver for check 'C-7', which no check defines"));
  CHECK(has(out, "t.yaml:9:5: waivers[2]: (C-1) duplicate waiver for target '/x'; first at t.yaml:8:5"));
  // A rule for workstation findings (agent_heal) matches checks that live on the workstation.
  rulestest::loadOk("rules:\n  - {id: R-1, name: n, tiers: [standard], match: [{field: check_id, op: eq, value: firewall}],\n"
                    "     actions: [{type: agent_heal, check_type: firewall}]}\n");
}

TEST_CASE("values: tiers, severity, op, duration, dates, targets") {
  auto out = loadErr("checks:\n" + check("C-1") +
                     "rules:\n"
                     "  - {id: R-1, name: n, tiers: [], match: [{field: check_id, op: equals, value: C-1}], actions: [{type: alert, message: m}],\n"
                     "     verify_after: 2 hours, mode: maybe, priority: -1}\n"
                     "  - {id: R-2, name: n, tiers: [standard, standard], match: [{field: status, op: eq, value: fail}], actions: [{type: alert, message: m}]}\n"
                     "  - {id: R-3, name: n, tiers: [standard], match: [{field: checkid, op: eq, value: x}], actions: [{type: alert, message: m}]}\n"
                     "waivers:\n"
                     "  - {check_id: C-1, target: '', reason: r, approved_by: a, expires: 2027-02-30}\n"
                     "  - {check_id: C-1, target: x, reason: r, approved_by: a, expires: 31/03/2027}\n");
  INFO(out);
  CHECK(has(out, "rules[0].tiers: (R-1) must not be empty"));
  CHECK(has(out, "rules[0].match[0].op: (R-1) unknown op 'equals'; expected eq, ne, contains, regex, gt, lt, ge, le, between, in, not_in or exists"));
  CHECK(has(out, "rules[0].verify_after: (R-1)"));
  CHECK(has(out, "rules[0].mode: (R-1) unknown mode 'maybe'; expected enforce or audit"));
  CHECK(has(out, "rules[0].priority: (R-1) -1 is out of range 0..1000000"));
  CHECK(has(out, "rules[1].tiers: (R-2) tier 'standard' is listed twice"));
  CHECK(has(out, "rules[1].match[0].value: (R-2) unknown status 'fail'; expected compliant, drifted, error, not_applicable or waived"));
  CHECK(has(out, "rules[2].match[0].field: (R-3) unknown field 'checkid'"));
  CHECK(has(out, "waivers[0].target: (C-1) must not be empty"));
  CHECK(has(out, "waivers[0].expires: (C-1) invalid date '2027-02-30': expected YYYY-MM-DD"));
  CHECK(has(out, "waivers[1].expires: (C-1) invalid date '31/03/2027'"));
}

TEST_CASE("expectations: numbers for gt/lt, lists for in/not_in, no list elsewhere") {
  auto out = loadErr(
      "checks:\n"
      "  - {id: C-1, title: t, severity: low, probe: {type: sysctl, key: a.b, expect: {op: gt, value: ten}}}\n"
      "  - {id: C-2, title: t, severity: low, probe: {type: sysctl, key: a.b, expect: {op: in, value: x}}}\n"
      "  - {id: C-3, title: t, severity: low, probe: {type: sysctl, key: a.b, expect: {op: eq, values: [x]}}}\n"
      "  - {id: C-4, title: t, severity: low, probe: {type: sysctl, key: a.b, expect: {op: eq}}}\n"
      "  - {id: C-5, title: t, severity: low, probe: {type: sysctl, key: a.b, expect: {op: in, values: []}}}\n"
      "  - {id: C-6, title: t, severity: low, probe: {type: sysctl, key: a.b, expect: {op: lt, value: 'inf'}}}\n"
      "  - {id: C-7, title: t, severity: low, probe: {type: sysctl, key: a.b, expect: {op: gt, value: '1', ignore_case: true}}}\n");
  INFO(out);
  CHECK(has(out, "checks[0].probe.expect.value: (C-1) gt compares numbers; 'ten' is not a number"));
  CHECK(has(out, "checks[1].probe.expect.value: (C-2) expected a list, got a scalar"));
  CHECK(has(out, "checks[2].probe.expect.values: (C-3) only in, not_in and between take a list of values"));
  CHECK(has(out, "checks[3].probe.expect.value: (C-4) eq needs a value"));
  CHECK(has(out, "checks[4].probe.expect.values: (C-5) must not be empty"));
  CHECK(has(out, "checks[5].probe.expect.value: (C-6) lt compares numbers; 'inf' is not a number"));
  CHECK(has(out, "checks[6].probe.expect.ignore_case: (C-7) ignore_case applies to eq, ne, contains, regex, in and not_in"));
}

TEST_CASE("host paths: absolute, no '..', normalised, placeholders only in actions") {
  auto out = loadErr(
      "checks:\n"
      "  - {id: C-1, title: t, severity: low, probe: {type: file_exists, path: /etc/../shadow}}\n"
      "  - {id: C-2, title: t, severity: low, probe: {type: file_exists, path: \"/etc/{target}\"}}\n"
      "  - {id: C-3, title: t, severity: low, probe: {type: dir_scan, path: /, find: suid, allow: [/ok, ../x]}}\n"
      "  - {id: C-4, title: t, severity: low, probe: {type: file_exists, path: \"/etc/a\\tb\"}}\n"
      "rules:\n"
      "  - {id: R-1, name: n, tiers: [standard], match: [{field: target, op: exists}],\n"
      "     actions: [{type: set_file_mode, path: \"{target}/../x\", mode: \"0600\"},\n"
      "               {type: set_file_mode, path: \"/etc/{name}\", mode: \"0600\"},\n"
      "               {type: set_sysctl, key: net.ipv4.ip_forward, value: '0', persist_file: sysctl.d/x.conf}]}\n");
  INFO(out);
  CHECK(has(out, "t.yaml:2:73: checks[0].probe.path: (C-1) host path '/etc/../shadow' has a '..' component"));
  CHECK(has(out, "checks[1].probe.path: (C-2) the {target} placeholder is only substituted in actions"));
  CHECK(has(out, "checks[2].probe.allow[1]: (C-3) host path '../x' is not absolute"));
  CHECK(has(out, "checks[3].probe.path: (C-4) host path contains a control character"));
  CHECK(has(out, "rules[0].actions[0].path: (R-1) host path '{target}/../x' has a '..' component"));
  CHECK(has(out, "rules[0].actions[1].path: (R-1) unknown placeholder in '/etc/{name}'; only {target} is substituted"));
  CHECK(has(out, "rules[0].actions[2].persist_file: (R-1) host path 'sysctl.d/x.conf' is not absolute"));
}

TEST_CASE("commands: argv[0] is a tools key, {file} only in validators") {
  auto out = loadErr(
      "checks:\n" + check("C-1") +
      "  - {id: C-2, title: t, severity: low, probe: {type: command, argv: [/usr/bin/nft, list]}}\n"
      "  - {id: C-3, title: t, severity: low, probe: {type: command, argv: [nft, \"{target}\"], timeout: 0s}}\n"
      "rules:\n"
      "  - {id: R-1, name: n, tiers: [standard], match: [{field: check_id, op: eq, value: C-1}],\n"
      "     actions: [{type: run_command, argv: [\"./x\", \"{file}\"]},\n"
      "               {type: set_config_value, path: /etc/x, key: k, value: v, format: keyvalue, validate: [sshd, -t]},\n"
      "               {type: run_command, argv: []}]}\n");
  INFO(out);
  CHECK(has(out, "checks[1].probe.argv[0]: (C-2) '/usr/bin/nft' is not a tools: key; argv[0] names a key of the config's tools: map, never a path"));
  CHECK(has(out, "checks[2].probe.argv[1]: (C-3) the {target} placeholder is only substituted in actions"));
  CHECK(has(out, "checks[2].probe.timeout: (C-3) must be more than 0s"));
  CHECK(has(out, "rules[0].actions[0].argv[0]: (R-1) './x' is not a tools: key"));
  CHECK(has(out, "rules[0].actions[0].argv[1]: (R-1) {file} is only substituted in a validate command"));
  CHECK(has(out, "rules[0].actions[1].validate: (R-1) a validate command must read the candidate through {file}"));
  CHECK(has(out, "rules[0].actions[2].argv: (R-1) must not be empty"));
}

TEST_CASE("probe field rules") {
  auto out = loadErr(
      "checks:\n"
      "  - {id: C-1, title: t, severity: low, probe: {type: sysctl, key: ../../etc/shadow, expect: {op: eq, value: '1'}}}\n"
      "  - {id: C-2, title: t, severity: low, probe: {type: systemd_unit, unit: --now}}\n"
      "  - {id: C-3, title: t, severity: low, probe: {type: process_running, name: a-very-long-process-name}}\n"
      "  - {id: C-4, title: t, severity: low, probe: {type: port_listening, protocol: sctp, ports: [0, 70000, '9-3', x]}}\n"
      "  - {id: C-5, title: t, severity: low, probe: {type: disk_usage, mounts: [/], max_percent: 101}}\n"
      "  - {id: C-6, title: t, severity: low, probe: {type: cert_expiry, agent_file: central.ca_file, min_days: 1}}\n"
      "  - {id: C-7, title: t, severity: low, probe: {type: cert_expiry, path: /x, agent_file: central.client_cert_file, min_days: 1}}\n"
      "  - {id: C-8, title: t, severity: low, probe: {type: config_value, path: /x, paths: [/y], key: k, format: ini, expect: {op: exists}}}\n"
      "  - {id: C-9, title: t, severity: low, probe: {type: config_value, path: /x, key: k, format: sshd, section: s, expect: {op: exists}}}\n"
      "  - {id: C-10, title: t, severity: low, probe: {type: file_hash, path: /x, sha256: abc}}\n"
      "  - {id: C-11, title: t, severity: low, probe: {type: all, probes: []}}\n"
      "  - {id: C-12, title: t, severity: low, probe: {type: file_owner, path: /x, owner: 'root user'}}\n"
      "  - {id: C-13, title: t, severity: low, probe: {type: dir_scan, path: /, find: setuid, max_depth: 0, cross_mounts: sometimes}}\n"
      "  - {id: C-14, title: t, severity: low, platforms: [windows], probe: {type: time_sync}}\n"
      "  - {id: C-15, title: t, severity: low, probe: {type: file_owner, path: /x}}\n"
      "  - {id: C-16, title: t, severity: low, probe: {type: file_regex, path: /x, paths: [/y], pattern: a}}\n"
      "  - {id: C-17, title: t, severity: low, probe: {type: file_regex, paths: [], pattern: a}}\n"
      "  - {id: C-18, title: t, severity: low, probe: {type: file_regex, path: /x, names: '../*.rules', pattern: a}}\n"
      "  - {id: C-19, title: t, severity: low, probe: {type: file_regex, path: /x, names: '[a-z]*', pattern: a}}\n"
      "  - {id: C-20, title: t, severity: low, probe: {type: file_regex, paths: [/x, ../y], pattern: a}}\n");
  INFO(out);
  CHECK(has(out, "checks[0].probe.key: (C-1) invalid sysctl key '../../etc/shadow'"));
  CHECK(has(out, "checks[1].probe.unit: (C-2) invalid unit name '--now'"));
  CHECK(has(out, "checks[1].probe.active: (C-2) give active, enabled or both"));
  CHECK(has(out, "checks[2].probe.name: (C-3) 'a-very-long-process-name' is longer than 15 bytes"));
  CHECK(has(out, "checks[3].probe.protocol: (C-4) unknown protocol 'sctp'; expected tcp or udp"));
  CHECK(has(out, "checks[3].probe.ports[0]: (C-4) invalid port '0'"));
  CHECK(has(out, "checks[3].probe.ports[1]: (C-4) invalid port '70000'"));
  CHECK(has(out, "checks[3].probe.ports[2]: (C-4) invalid port '9-3'"));
  CHECK(has(out, "checks[3].probe.ports[3]: (C-4) invalid port 'x'"));
  CHECK(has(out, "checks[4].probe.max_percent: (C-5) 101 is out of range 1..100"));
  CHECK(has(out, "checks[5].probe.agent_file: (C-6) unknown agent file 'central.ca_file'; expected central.client_cert_file"));
  CHECK(has(out, "checks[6].probe.agent_file: (C-7) give exactly one of path and agent_file"));
  CHECK(has(out, "checks[7].probe.paths: (C-8) give exactly one of path and paths"));
  CHECK(has(out, "checks[8].probe.section: (C-9) section is only used with format: ini"));
  CHECK(has(out, "checks[9].probe.sha256: (C-10) expected 64 hex digits"));
  CHECK(has(out, "checks[10].probe.probes: (C-11) must not be empty"));
  CHECK(has(out, "checks[11].probe.owner: (C-12) invalid user or group 'root user'"));
  CHECK(has(out, "checks[12].probe.find: (C-13) unknown find 'setuid'; expected suid, sgid, suid_sgid or world_writable"));
  CHECK(has(out, "checks[12].probe.max_depth: (C-13) 0 is out of range 1..64"));
  CHECK(has(out, "checks[12].probe.cross_mounts: (C-13) expected true or false, got 'sometimes'"));
  CHECK(has(out, "checks[13].platforms: (C-14) unknown platform 'windows'; expected linux or nixos"));
  CHECK(has(out, "checks[14].probe.owner: (C-15) give owner, group or both"));
  CHECK(has(out, "checks[15].probe.paths: (C-16) give exactly one of path and paths"));
  CHECK(has(out, "checks[16].probe.paths: (C-17) must not be empty"));
  CHECK(has(out, "checks[17].probe.names: (C-18) invalid glob '../*.rules'"));
  CHECK(has(out, "checks[18].probe.names: (C-19) invalid glob '[a-z]*'"));
  CHECK(has(out, "checks[19].probe.paths[1]: (C-20)"));
}

TEST_CASE("action field rules") {
  auto out = loadErr(
      "checks:\n" + check("C-1") +
      "rules:\n"
      "  - id: R-1\n"
      "    name: n\n"
      "    tiers: [standard]\n"
      "    match: [{field: check_id, op: eq, value: C-1}]\n"
      "    actions:\n"
      "      - {type: set_config_value, path: /etc/x, key: 'a b', value: \"no\\nPermitRootLogin yes\", format: sshd}\n"
      "      - {type: ensure_line, path: /etc/x, line: \"a\\nb\"}\n"
      "      - {type: set_file_mode, path: /etc/x, mode: rw-r--r--}\n"
      "      - {type: set_file_mode, path: /etc/x, mode: '0600', max_mode: '0640'}\n"
      "      - {type: set_file_mode, path: /etc/x}\n"
      "      - {type: restart_service, unit: -sshd}\n"
      "      - {type: alert}\n"
      "      - {type: agent_heal, check_type: fw, params: [a]}\n"
      "      - {type: set_sysctl, key: 'Net.IPv4', value: '1', persist_file: /etc/sysctl.d/x.conf}\n");
  INFO(out);
  CHECK(has(out, "rules[0].actions[0].key: (R-1) invalid key 'a b'"));
  CHECK(has(out, "rules[0].actions[0].value: (R-1) must be a single line without control characters"));
  CHECK(has(out, "rules[0].actions[1].line: (R-1) must be a single line"));
  CHECK(has(out, "rules[0].actions[2].mode: (R-1) invalid mode 'rw-r--r--'"));
  CHECK(has(out, "rules[0].actions[3].max_mode: (R-1) give exactly one of mode and max_mode"));
  CHECK(has(out, "rules[0].actions[4].mode: (R-1) give exactly one of mode and max_mode"));
  CHECK(has(out, "rules[0].actions[5].unit: (R-1) invalid unit name '-sshd'"));
  CHECK(has(out, "rules[0].actions[6].message: (R-1) required key is missing"));
  CHECK(has(out, "rules[0].actions[7].params: (R-1) expected a map, got a list"));
  CHECK(has(out, "rules[0].actions[8].key: (R-1) invalid sysctl key 'Net.IPv4'"));
}

TEST_CASE("document shape: empty, scalar, no sections, unknown top-level keys") {
  CHECK(has(loadErr(""), "t.yaml: empty rule file: expected a map with checks, rules or waivers"));
  CHECK(has(loadErr("# only a comment\n"), "empty rule file"));
  CHECK(has(loadErr("just text\n"), "t.yaml:1:1: expected a map with checks, rules or waivers"));
  CHECK(has(loadErr("{}\n"), "the file holds no checks, rules, waivers or vars"));
  CHECK(has(loadErr("checks: []\nchecsk: []\n"), "t.yaml:2:1: checsk: unknown key"));
  CHECK(has(loadErr("checks: {id: x}\n"), "t.yaml:1:9: checks: expected a list"));
  CHECK(has(loadErr("checks:\n  - just a string\n"), "t.yaml:2:5: checks[0]: expected a map, got a scalar"));
  // An empty list is a valid, if pointless, file.
  CHECK(rulestest::load("checks: []\n").ok());
}

TEST_CASE("YAML-level refusals come through with a position") {
  auto alias = load("checks:\n  - &c {id: C-1, title: t, severity: low, probe: {type: time_sync}}\n  - *c\n");
  REQUIRE_FALSE(alias.ok());
  CHECK(alias.error().code == RulesErrc::Invalid);
  CHECK(has(alias.error().format(), "t.yaml:2:5: "));
  CHECK(has(alias.error().format(), "YAML anchors are not allowed"));
  auto syntax = load("checks:\n  - {id: C-1\n");
  REQUIRE_FALSE(syntax.ok());
  CHECK(has(syntax.error().format(), "t.yaml:"));
  CHECK(has(loadErr("checks: []\n---\nrules: []\n"), "only one YAML document per file is allowed"));
}

TEST_CASE("text must be UTF-8 without NUL") {
  CHECK(has(loadErr("checks:\n  - {id: C-1, title: \"caf\xe9\"}\n"), "t.yaml:2:26: a rule file is text: invalid UTF-8"));
  CHECK(has(loadErr(std::string("checks: []\n\0", 12)), "t.yaml:2:1: a rule file is text: NUL byte found"));
  CHECK(has(loadErr("checks: [] # \xed\xa0\x80\n"), "invalid UTF-8"));  // a surrogate
  CHECK(has(loadErr("checks: [] # \xc0\xaf\n"), "invalid UTF-8"));      // overlong '/'
  CHECK(has(loadErr("checks: [] # \xe2\x82"), "invalid UTF-8"));        // truncated
  rulestest::loadOk("checks:\n  - {id: C-1, title: \"caf\xc3\xa9 \xf0\x9f\x94\x92\", severity: low, probe: {type: time_sync}}\n");
}

TEST_CASE("JSON rule files get the same validation and positions") {
  const std::string json = R"({
  "checks": [
    {"id": "J-1", "title": "t", "severity": "low",
     "probe": {"type": "file_mode", "path": "/etc/shadow", "max_mode": "0640"}},
    {"id": "J-2", "title": "t", "severity": "low",
     "probe": {"type": "file_mode", "path": "/etc/shadow", "max_mode": 640, "extra": true}}
  ]
})";
  auto r = load(json, "x.json");
  REQUIRE_FALSE(r.ok());
  INFO(r.error().format());
  CHECK(r.error().problems.size() == 1);
  CHECK(has(r.error().format(), "x.json:6:77: checks[1].probe.extra: (J-2) unknown key"));
  const std::string tabs = "{\n\t\"checks\": [\n\t\t{\"id\": \"J-1\", \"title\": \"t\\u00e9\", \"severity\": \"low\",\n\t\t \"probe\": {\"type\": \"time_sync\"}}\n\t]\n}\n";
  auto t = rulestest::loadOk(tabs, "tabs.json");
  CHECK(t.checks.at(0).title == "t\xc3\xa9");
}
