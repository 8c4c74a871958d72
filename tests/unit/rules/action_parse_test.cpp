// Every action type parses from YAML into its struct; rule fields and their defaults; waivers.
#include <catch2/catch.hpp>

#include "rules_test_util.h"

using namespace rules;
using rulestest::loadOk;

namespace {

const char* kRules = R"~(
checks:
  - {id: C-1, title: t, severity: low, probe: {type: time_sync}}
rules:
  - id: R-1
    name: every action
    tiers: [standard]
    match:
      - {field: check_id, op: eq, value: C-1}
      - {field: status, op: in, values: [drifted, error]}
      - {field: details.mode, op: regex, value: '^07'}
    actions:
      - {type: restart_service, unit: chronyd.service}
      - {type: reload_service, unit: sshd.service}
      - {type: start_service, unit: "{target}"}
      - {type: enable_service, unit: auditd.service}
      - {type: set_file_mode, path: "{target}", mode: "0644"}
      - {type: set_file_owner, path: /etc/shadow, owner: root, group: shadow}
      - {type: set_config_value, path: /etc/ssh/sshd_config, key: PermitRootLogin, value: "no",
         format: sshd, validate: [sshd, -t, -f, "{file}"]}
      - {type: set_config_value, path: /etc/x.ini, key: k, value: "", format: ini, section: s}
      - {type: ensure_line, path: /etc/issue, line: "Authorized use only"}
      - {type: remove_line, path: /etc/hosts.equiv, pattern: '^\+', validate: [check, "{file}"]}
      - type: write_file
        path: /etc/motd
        content: |
          line one
          line two
        mode: "0644"
        owner: root
        group: "0"
      - {type: set_sysctl, key: net.ipv4.ip_forward, value: "0",
         persist_file: /etc/sysctl.d/60-agent.conf}
      - {type: run_command, argv: [nft, -f, /etc/nftables.conf, "{target}"], timeout: 30s}
      - {type: alert, message: "disk nearly full on {target}"}
      - {type: escalate, reason: needs a human}
      - {type: agent_heal, check_type: firewall, params: {profile: domain}, timeout: 5m}
    verify_after: 30s
    cooldown: 1h
    max_attempts: 5
    disruptive: true
    mode: audit
    priority: 7
  - id: R-DEFAULTS
    name: defaults
    tiers: [full_coverage]
    match: [{field: check_id, op: eq, value: C-1}]
    actions: [{type: alert, message: m}]
  - id: R-WRITE-MIN
    name: write_file minimal
    tiers: [standard, full_coverage]
    match: [{field: target, op: exists}]
    actions: [{type: write_file, path: /etc/x, content: ""}]
  - id: R-MASK
    name: clear excess mode bits
    tiers: [full_coverage]
    match: [{field: check_id, op: eq, value: C-1}]
    actions: [{type: set_file_mode, path: /etc/shadow, max_mode: "0640"}]
waivers:
  - {check_id: C-1, target: "*", reason: vendor, approved_by: j.doe, expires: 2027-03-31}
  - {check_id: C-1, target: /etc/x, reason: vendor, approved_by: j.doe, expires: "2026-02-28"}
)~";

const RuleSet& set() {
  static const RuleSet s = loadOk(kRules);
  return s;
}

const ActionSpec& action(std::size_t i) {
  const L1Rule* r = set().findRule("R-1");
  REQUIRE(r != nullptr);
  REQUIRE(i < r->actions.size());
  return r->actions[i];
}

}  // namespace

TEST_CASE("every action type in the format has a case here") {
  std::set<std::string> seen;
  for (const auto& a : set().findRule("R-1")->actions) seen.insert(a.type);
  for (auto t : kActionTypeNames) CHECK(seen.count(std::string(t)) == 1);
}

TEST_CASE("service actions") {
  CHECK(action(0).as<RestartServiceAction>()->unit == "chronyd.service");
  CHECK(action(1).as<ReloadServiceAction>()->unit == "sshd.service");
  CHECK(action(2).as<StartServiceAction>()->unit == "{target}");
  CHECK(action(3).as<EnableServiceAction>()->unit == "auditd.service");
  CHECK(action(0).type == "restart_service");
  CHECK(action(0).pos.line == 13);
}

TEST_CASE("file actions") {
  const auto* m = action(4).as<SetFileModeAction>();
  REQUIRE(m);
  CHECK(m->path == "{target}");
  CHECK(m->mode == 0644);
  CHECK_FALSE(m->max_mode.has_value());
  const auto* mask = set().findRule("R-MASK")->actions[0].as<SetFileModeAction>();
  REQUIRE(mask);
  CHECK(mask->max_mode == std::optional<unsigned>(0640));
  CHECK(mask->mode == 0640);
  const auto* o = action(5).as<SetFileOwnerAction>();
  REQUIRE(o);
  CHECK(o->owner == "root");
  CHECK(o->group == std::optional<std::string>("shadow"));
  const auto* c = action(6).as<SetConfigValueAction>();
  REQUIRE(c);
  CHECK(c->key == "PermitRootLogin");
  CHECK(c->value == "no");
  CHECK(c->format == ConfigFormat::Sshd);
  CHECK(c->validate == std::vector<std::string>{"sshd", "-t", "-f", "{file}"});
  const auto* ini = action(7).as<SetConfigValueAction>();
  REQUIRE(ini);
  CHECK(ini->value.empty());
  CHECK(ini->section == "s");
  CHECK(ini->validate.empty());
  CHECK(action(8).as<EnsureLineAction>()->line == "Authorized use only");
  const auto* rl = action(9).as<RemoveLineAction>();
  REQUIRE(rl);
  REQUIRE(rl->regex);
  CHECK(RE2::PartialMatch("+ +", *rl->regex));
  CHECK(rl->validate.size() == 2);
  const auto* w = action(10).as<WriteFileAction>();
  REQUIRE(w);
  CHECK(w->content == "line one\nline two\n");
  CHECK(w->mode == std::optional<unsigned>(0644));
  CHECK(w->owner == std::optional<std::string>("root"));
  CHECK(w->group == std::optional<std::string>("0"));
  const auto* wm = set().findRule("R-WRITE-MIN")->actions[0].as<WriteFileAction>();
  REQUIRE(wm);
  CHECK(wm->content.empty());
  CHECK_FALSE(wm->mode.has_value());
  CHECK_FALSE(wm->owner.has_value());
}

TEST_CASE("sysctl, command, alert, escalate, agent_heal actions") {
  const auto* s = action(11).as<SetSysctlAction>();
  REQUIRE(s);
  CHECK(s->key == "net.ipv4.ip_forward");
  CHECK(s->value == "0");
  CHECK(s->persist_file == "/etc/sysctl.d/60-agent.conf");
  const auto* r = action(12).as<RunCommandAction>();
  REQUIRE(r);
  CHECK(r->argv.size() == 4);
  CHECK(r->timeout == std::optional<std::chrono::milliseconds>(std::chrono::seconds(30)));
  CHECK(action(13).as<AlertAction>()->message == "disk nearly full on {target}");
  CHECK(action(14).as<EscalateAction>()->reason == "needs a human");
  const auto* h = action(15).as<AgentHealAction>();
  REQUIRE(h);
  CHECK(h->check_type == "firewall");
  CHECK(h->params.at("profile") == "domain");
  CHECK(h->timeout == std::optional<std::chrono::milliseconds>(std::chrono::minutes(5)));
}

TEST_CASE("rule fields and defaults") {
  const L1Rule* r = set().findRule("R-1");
  CHECK(r->name == "every action");
  CHECK(r->tiers == std::vector<Tier>{Tier::Standard});
  REQUIRE(r->match.size() == 3);
  CHECK(r->match[0].field == "check_id");
  CHECK(r->match[1].expect.values == std::vector<std::string>{"drifted", "error"});
  CHECK(r->match[2].field == "details.mode");
  REQUIRE(r->match[2].expect.regex);
  CHECK(r->verify_after == std::chrono::seconds(30));
  CHECK(r->cooldown == std::chrono::hours(1));
  CHECK(r->max_attempts == 5);
  CHECK(r->disruptive);
  CHECK(r->mode == RuleMode::Audit);
  CHECK(r->priority == 7);
  CHECK_FALSE(r->legacy);
  REQUIRE(r->matchedCheckId() != nullptr);
  CHECK(*r->matchedCheckId() == "C-1");

  const L1Rule* d = set().findRule("R-DEFAULTS");
  CHECK(d->verify_after == std::chrono::milliseconds(0));
  CHECK(d->cooldown == std::chrono::minutes(10));
  CHECK(d->max_attempts == 3);
  CHECK_FALSE(d->disruptive);
  CHECK(d->mode == RuleMode::Enforce);
  CHECK(d->priority == 100);
  CHECK(set().findRule("R-WRITE-MIN")->matchedCheckId() == nullptr);
  CHECK(set().findRule("nope") == nullptr);
}

TEST_CASE("tiers: standard is contained in full_coverage") {
  const L1Rule* standard = set().findRule("R-1");
  const L1Rule* full = set().findRule("R-DEFAULTS");
  const L1Rule* both = set().findRule("R-WRITE-MIN");
  CHECK(standard->actsIn(Tier::Standard));
  CHECK(standard->actsIn(Tier::FullCoverage));
  CHECK_FALSE(full->actsIn(Tier::Standard));
  CHECK(full->actsIn(Tier::FullCoverage));
  CHECK(both->actsIn(Tier::Standard));
}

TEST_CASE("waivers: dates, targets, expiry") {
  using namespace std::chrono;
  REQUIRE(set().waivers.size() == 2);
  const Waiver& w = set().waivers[0];
  CHECK(w.check_id == "C-1");
  CHECK(w.target == "*");
  CHECK(w.reason == "vendor");
  CHECK(w.approved_by == "j.doe");
  CHECK(w.expires == sys_days{year{2027} / March / 31});
  CHECK(w.activeOn(sys_days{year{2027} / March / 31}));
  CHECK_FALSE(w.activeOn(sys_days{year{2027} / April / 1}));
  CHECK(w.covers("C-1", "/anything"));
  const Waiver& x = set().waivers[1];
  CHECK(x.expires == sys_days{year{2026} / February / 28});
  CHECK(x.covers("C-1", "/etc/x"));
  CHECK_FALSE(x.covers("C-1", "/etc/y"));
  CHECK_FALSE(x.covers("C-2", "/etc/x"));
}

TEST_CASE("action traits") {
  static_assert(actionTraits("reload_service").applies_files);
  static_assert(!actionTraits("reload_service").reversible);
  static_assert(actionTraits("set_config_value").reversible);
  static_assert(actionTraits("set_config_value").edits_files);
  static_assert(!actionTraits("set_sysctl").reversible);
  static_assert(!actionTraits("run_command").reversible);
  static_assert(!actionTraits("alert").changes_host);
  static_assert(!actionTraits("nope").known);
  for (auto t : kActionTypeNames) CHECK(actionTraits(t).known);
  CHECK(actionTraits(action(0)).applies_files);
  CHECK_FALSE(actionTraits(action(2)).applies_files);  // start_service: not a re-apply
}

TEST_CASE("enum spellings match the format") {
  CHECK(toString(Severity::Critical) == "critical");
  CHECK(toString(Tier::FullCoverage) == "full_coverage");
  CHECK(toString(MatchOp::NotIn) == "not_in");
  CHECK(toString(ConfigFormat::KeyValue) == "keyvalue");
  CHECK(toString(ScanFind::SuidSgid) == "suid_sgid");
  CHECK(toString(RuleMode::Audit) == "audit");
  CHECK(toString(Platform::Nixos) == "nixos");
  CHECK(toString(Protocol::Udp) == "udp");
}
