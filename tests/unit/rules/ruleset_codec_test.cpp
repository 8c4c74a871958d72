// The binary rule-set codec (rules/ruleset_codec.h): round trips compared field by field through
// the same visitors the codec uses, and a decoder that refuses corrupt, truncated and hostile
// bytes cleanly.
#include <catch2/catch.hpp>

#include <cxxabi.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <typeinfo>

#include "rules/ruleset_codec.h"
#include "rules_test_util.h"

using namespace rules;
using rulestest::has;

namespace {

/// Concatenation without operator+ on temporaries (GCC 12 warns falsely about those at -O2).
std::string cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) out.append(p);
  return out;
}

std::string typeName(const std::type_info& t) {
  int status = 0;
  char* d = abi::__cxa_demangle(t.name(), nullptr, nullptr, &status);
  std::string s = status == 0 && d ? d : t.name();
  std::free(d);
  if (s.rfind("rules::", 0) == 0) s = s.substr(7);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Field-by-field comparison through codec::visitFields on two objects side by side: a field the
// visitors know is compared here too. The path of the first difference reads like
// "RuleSet#0[3].Check#6.ProbeSpec#2.FileRegexProbe#1": struct, then the field's position in its
// visitFields() line.

class Equal {
 public:
  bool equal() const { return diff_.empty(); }
  const std::string& diff() const { return diff_; }
  /// Pairs of (original, decoded) compiled regexes met on the way.
  std::vector<std::pair<const re2::RE2*, const re2::RE2*>> regexes;

  void operator()(const std::string& a, const std::string& b) {
    if (a != b) differ(cat({"'", a, "' vs '", b, "'"}));
  }
  template <class T>
    requires(std::is_arithmetic_v<T> || std::is_enum_v<T>)
  void operator()(const T& a, const T& b) {
    if (!(a == b)) differ("values differ");
  }
  template <class R, class P>
  void operator()(const std::chrono::duration<R, P>& a, const std::chrono::duration<R, P>& b) {
    if (a != b) differ(cat({std::to_string(a.count()), " vs ", std::to_string(b.count())}));
  }
  void operator()(const std::chrono::sys_days& a, const std::chrono::sys_days& b) {
    if (a != b) differ("dates differ");
  }
  template <class T>
  void operator()(const std::optional<T>& a, const std::optional<T>& b) {
    if (a.has_value() != b.has_value()) return differ("one optional is set, the other not");
    if (a) (*this)(*a, *b);
  }
  template <class T>
  void operator()(const std::vector<T>& a, const std::vector<T>& b) {
    if (a.size() != b.size()) return differ(cat({std::to_string(a.size()), " vs ", std::to_string(b.size()), " elements"}));
    for (std::size_t i = 0; i < a.size(); ++i) {
      path_.push_back(cat({"[", std::to_string(i), "]"}));
      (*this)(a[i], b[i]);
      path_.pop_back();
    }
  }
  void operator()(const std::map<std::string, std::string>& a, const std::map<std::string, std::string>& b) {
    if (a != b) differ("maps differ");
  }
  template <class... A>
  void operator()(const std::variant<A...>& a, const std::variant<A...>& b) {
    if (a.index() != b.index()) return differ(cat({"variant index ", std::to_string(a.index()), " vs ", std::to_string(b.index())}));
    std::visit([&](const auto& x) { (*this)(x, std::get<std::decay_t<decltype(x)>>(b)); }, a);
  }
  void operator()(const std::shared_ptr<const re2::RE2>& a, const std::shared_ptr<const re2::RE2>& b) {
    if ((a == nullptr) != (b == nullptr)) return differ("one regex is compiled, the other not");
    if (!a) return;
    if (a->pattern() != b->pattern()) return differ(cat({"regex '", a->pattern(), "' vs '", b->pattern(), "'"}));
    if (!b->ok()) return differ("decoded regex does not compile");
    if (a->options().max_mem() != b->options().max_mem() || a->options().encoding() != b->options().encoding() ||
        a->options().case_sensitive() != b->options().case_sensitive()) {
      return differ("regex options differ");
    }
    regexes.emplace_back(a.get(), b.get());
  }
  template <codec::HasFields T>
  void operator()(const T& a, const T& b) {
    path_.push_back(typeName(typeid(T)));
    Fields f{*this, path_.size() - 1, 0};
    codec::visitFields(f, a, b);
    path_.pop_back();
  }

 private:
  /// Passed to visitFields: numbers the fields of the struct at path_[slot].
  struct Fields {
    Equal& eq;
    std::size_t slot;
    int index;
    template <class T>
    void operator()(const T& a, const T& b) {
      const std::string saved = eq.path_[slot];
      eq.path_[slot] += cat({"#", std::to_string(index++)});
      eq(a, b);
      eq.path_[slot] = saved;
    }
  };

  void differ(const std::string& what) {
    if (!diff_.empty()) return;
    std::string p;
    for (const auto& s : path_) {
      if (!p.empty() && s[0] != '[') p += '.';
      p += s;
    }
    diff_ = cat({p, ": ", what});
  }

  std::vector<std::string> path_;
  std::string diff_;
};

/// Every field of `a` and `b` is equal (with a message naming the first difference otherwise).
void requireEqual(const RuleSet& a, const RuleSet& b, Equal* out = nullptr) {
  Equal eq;
  eq(a, b);
  INFO(eq.diff());
  REQUIRE(eq.equal());
  if (out) *out = std::move(eq);
}

/// Encodes, decodes (which must succeed), checks the decode re-encodes to the same bytes.
RuleSet roundTrip(const RuleSet& set) {
  const std::string bytes = encodeRuleSet(set);
  auto decoded = decodeRuleSet(bytes);
  if (!decoded.ok()) FAIL(decoded.error());
  CHECK(encodeRuleSet(*decoded) == bytes);
  return std::move(decoded).value();
}

// ---------------------------------------------------------------------------------------------
// Coverage of a set: which variant alternatives and which optional fields (set and unset) occur.

struct Coverage {
  std::set<std::string> probe_types, action_types;
  std::map<std::string, std::pair<int, int>> optionals;  // "Struct#field" -> (set, unset) counts
  std::map<std::string, std::pair<int, int>> regexes;    // likewise for compiled-regex fields

  void operator()(const std::string&) {}
  template <class T>
    requires(std::is_arithmetic_v<T> || std::is_enum_v<T>)
  void operator()(const T&) {}
  template <class R, class P>
  void operator()(const std::chrono::duration<R, P>&) {}
  void operator()(const std::chrono::sys_days&) {}
  void operator()(const std::map<std::string, std::string>&) {}
  void operator()(const std::shared_ptr<const re2::RE2>& re) { count(regexes, re != nullptr); }
  template <class T>
  void operator()(const std::optional<T>& o) {
    count(optionals, o.has_value());
    if (o) (*this)(*o);
  }
  template <class T>
  void operator()(const std::vector<T>& v) {
    for (const auto& e : v) (*this)(e);
  }
  template <class... A>
  void operator()(const std::variant<A...>& v) {
    std::visit([&](const auto& x) { (*this)(x); }, v);
  }
  template <codec::HasFields T>
  void operator()(const T& t) {
    if constexpr (std::is_same_v<T, ProbeSpec>) probe_types.insert(t.type);
    if constexpr (std::is_same_v<T, ActionSpec>) action_types.insert(t.type);
    Field f{*this, typeName(typeid(T)), 0};
    codec::visitFields(f, t);
  }

  struct Field {
    Coverage& c;
    std::string type;
    int index;
    template <class T>
    void operator()(const T& t) {
      const std::string saved = c.current;
      c.current = cat({type, "#", std::to_string(index++)});
      c(t);
      c.current = saved;
    }
  };
  std::string current;
  void count(std::map<std::string, std::pair<int, int>>& m, bool set) {
    auto& e = m[current];
    (set ? e.first : e.second)++;
  }
};

// ---------------------------------------------------------------------------------------------
// A set using every probe type, every action type, every expectation op, and every optional field
// both set and unset; two files, one of them a legacy JSON list (L1Rule::severity, legacy).

const char* kEveryType = R"~(
vars:
  v_int: {type: int, default: 3, min: 1, max: 9, description: d}
  v_str: {type: string, default: a, allowed: [a, b]}
checks:
  - id: P-EXISTS
    title: exists
    description: |
      Two lines
      of description.
    severity: low
    hipaa: ["164.312(a)(1)", "164.312(d)"]
    refs: {ssg: sshd_disable_root_login, cis: "5.1.20", stig: SV-230296r1017207_rule}
    probe: {type: file_exists, path: /etc/ssh/sshd_config}
    applies_if: {type: file_exists, path: /etc/ssh}
  - {id: P-ABSENT, title: absent, severity: critical, probe: {type: file_absent, path: /etc/hosts.equiv}}
  - {id: P-MODE, title: mode, severity: medium, probe: {type: file_mode, path: /etc/shadow, max_mode: "07640"}}
  - {id: P-OWNER, title: owner, severity: high, probe: {type: file_owner, path: /etc/shadow, owner: root, group: "42"},
     refs: {ssg: [file_owner_etc_shadow, file_groupowner_etc_shadow], cis: "7.1.5"}}
  - {id: P-OWNER-NOGROUP, title: owner, severity: high, probe: {type: file_owner, path: /etc/passwd, owner: "0"}}
  - id: P-REGEX
    title: regex
    severity: low
    probe: {type: file_regex, path: /etc/passwd, pattern: '^root:', present: false,
            skip_comments: false, comment_prefix: ";"}
  - {id: P-REGEX-DEFAULTS, title: regex defaults, severity: low, probe: {type: file_regex, path: /etc/passwd, pattern: 'x+y'}}
  - {id: P-REGEX-PATHS, title: regex paths, severity: low, probe: {type: file_regex, paths: [/etc/a, /etc/a.d], names: "*.rules", pattern: 'z'}}
  - {id: P-OWNER-GROUP, title: group owner, severity: high, probe: {type: file_owner, path: /etc/gshadow, group: shadow}}
  - id: P-CONFIG
    title: config
    severity: high
    probe:
      type: config_value
      path: /etc/ssh/sshd_config
      key: PermitRootLogin
      format: sshd
      default: prohibit-password
      expect: {op: eq, value: "no", ignore_case: true}
  - id: P-CONFIG-PATHS
    title: config paths
    severity: high
    probe: {type: config_value, paths: [/etc/sysctl.conf, /etc/sysctl.d], key: net.ipv4.ip_forward,
            format: sysctl, expect: {op: in, values: ["0", "2"]}}
  - {id: P-CONFIG-INI, title: ini, severity: low, probe: {type: config_value, path: /etc/x.ini, key: a, format: ini,
     section: main, expect: {op: regex, value: '^[0-9]+$'}}}
  - {id: P-CONFIG-KV, title: keyvalue, severity: low, probe: {type: config_value, path: /etc/default/x, key: A,
     format: keyvalue, expect: {op: gt, value: "10.5"}}}
  - {id: P-HASH, title: hash, severity: low, probe: {type: file_hash, path: /etc/issue,
     sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855}}
  - {id: P-SCAN, title: scan, severity: high, probe: {type: dir_scan, path: /usr, find: suid_sgid,
     allow: [/usr/bin/sudo, /usr/bin/passwd], exclude: [/usr/share], max_depth: 8, max_entries: 5000,
     cross_mounts: true}}
  - {id: P-SCAN-DEFAULTS, title: scan, severity: high, probe: {type: dir_scan, path: /, find: world_writable}}
  - {id: E-NE, title: t, severity: low, probe: {type: sysctl, key: a.b, expect: {op: ne, value: "1"}}}
  - {id: E-CONTAINS, title: t, severity: low, probe: {type: sysctl, key: a.b, expect: {op: contains, value: x, ignore_case: true}}}
  - {id: E-LT, title: t, severity: low, probe: {type: sysctl, key: a.b, expect: {op: lt, value: -3.25}}}
  - {id: E-LE, title: "at most {var.v_int}", severity: low, probe: {type: sysctl, key: a.b, expect: {op: le, value: "{var.v_int}"}}}
  - {id: E-GE, title: t, severity: low, probe: {type: sysctl, key: a.b, expect: {op: ge, value: "{var.v_int}0"}}}
  - {id: E-BETWEEN, title: t, severity: low, probe: {type: sysctl, key: a.b, expect: {op: between, values: ["1", "{var.v_int}"]}}}
  - {id: E-NOTIN, title: t, severity: low, probe: {type: sysctl, key: a.b, expect: {op: not_in, value: [a, b]}}}
  - {id: E-EXISTS, title: t, severity: low, probe: {type: sysctl, key: a.b, expect: {op: exists, value: false}}}
  - {id: E-REGEX-I, title: t, severity: low, probe: {type: sysctl, key: a.b, expect: {op: regex, value: '^ab$', ignore_case: true}}}
  - {id: P-UNIT, title: unit, severity: high, probe: {type: systemd_unit, unit: chronyd.service, active: true}}
  - {id: P-UNIT-ENABLED, title: unit, severity: high, probe: {type: systemd_unit, unit: "getty@tty1.service", enabled: false}}
  - {id: P-UNIT-BOTH, title: unit, severity: high, probe: {type: systemd_unit, unit: a.service, active: false, enabled: true}}
  - {id: P-PROC, title: process, severity: low, probe: {type: process_running, name: auditd}}
  - {id: P-PROC-NOT, title: process, severity: low, probe: {type: process_running, name: telnetd, running: false}}
  - {id: P-PORT, title: ports, severity: high, probe: {type: port_listening, protocol: tcp, ports: [23, "512-514", 65535]}}
  - {id: P-PORT-UDP, title: ports, severity: high, probe: {type: port_listening, protocol: udp, ports: [123], listening: true}}
  - {id: P-DISK, title: disk, severity: medium, probe: {type: disk_usage, mounts: [/, /var/], max_percent: 100}}
  - {id: P-CERT, title: cert, severity: medium, probe: {type: cert_expiry, path: /etc/ssl/certs/site.pem, min_days: 30}}
  - {id: P-CERT-AGENT, title: cert, severity: medium, probe: {type: cert_expiry, agent_file: central.client_cert_file, min_days: 14}}
  - {id: P-NIX, title: generation, severity: low, platforms: [nixos], probe: {type: nixos_generation}}
  - {id: P-TIME, title: time, severity: high, platforms: [linux], probe: {type: time_sync}}
  - id: P-CMD
    title: command
    severity: low
    probe: {type: command, argv: [nft, list, ruleset], expect_exit: 3, expect_output: 'chain\s+input', timeout: 15s}
  - {id: P-CMD-DEFAULTS, title: command, severity: low, probe: {type: command, argv: [sshd, -t]}}
  - id: P-ALL
    title: all
    severity: low
    probe:
      type: all
      target: ssh
      probes:
        - {type: file_exists, path: /etc/ssh/sshd_config}
        - type: any
          target: inner
          probes:
            - {type: process_running, name: sshd}
            - type: none
              probes: [{type: file_exists, path: /etc/nologin}]
    applies_if: {type: any, probes: [{type: time_sync}]}
rules:
  - id: R-1
    name: every action
    description: all of them
    tiers: [standard]
    match:
      - {field: check_id, op: eq, value: P-EXISTS}
      - {field: status, op: in, values: [drifted, error]}
      - {field: details.mode, op: regex, value: '^07', ignore_case: true}
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
      - {type: ensure_line, path: /etc/issue, line: "Authorized use only", validate: [check, "{file}"]}
      - {type: remove_line, path: /etc/hosts.equiv, pattern: '^\+', validate: [check, "{file}"]}
      - type: write_file
        path: /etc/motd
        content: |
          line one
          line two
        mode: "0644"
        owner: root
        group: "0"
        validate: [check, "{file}"]
      - {type: set_sysctl, key: net.ipv4.ip_forward, value: "0", persist_file: /etc/sysctl.d/60-agent.conf}
      - {type: run_command, argv: [nft, -f, /etc/nftables.conf, "{target}"], timeout: 30s}
      - {type: alert, message: "disk nearly full on {target}"}
      - {type: escalate, reason: needs a human}
      - {type: agent_heal, check_type: firewall, params: {profile: domain, zone: "a b"}, timeout: 5m}
    verify_after: 30s
    cooldown: 1h
    max_attempts: 5
    disruptive: true
    mode: audit
    priority: 7
  - id: R-DEFAULTS
    name: defaults
    tiers: [full_coverage]
    match: [{field: check_id, op: eq, value: P-ABSENT}]
    actions:
      - {type: set_file_mode, path: /etc/shadow, max_mode: "0640"}
      - {type: set_file_owner, path: /etc/passwd, owner: "0"}
      - {type: write_file, path: /etc/x, content: ""}
      - {type: run_command, argv: [nft, -c]}
      - {type: agent_heal, check_type: defender}
  - id: R-BOTH
    name: both tiers
    tiers: [standard, full_coverage]
    match: [{field: target, op: exists}, {field: details.n, op: gt, value: "+7"}]
    actions: [{type: alert, message: m}]
waivers:
  - {check_id: P-EXISTS, target: "*", reason: vendor, approved_by: j.doe, expires: 2027-03-31}
  - {check_id: P-MODE, target: /etc/x, reason: vendor, approved_by: j.doe, expires: "1969-12-30"}
)~";

const char* kLegacy = R"([
  {"id": "L1-NTP-001", "name": "NTP Drift Remediation", "description": "Restart chronyd",
   "conditions": [{"field": "check_type", "operator": "eq", "value": "ntp_sync"},
                  {"field": "status", "operator": "in", "value": ["warning", "fail", "error"]}],
   "actions": ["restart_service:chronyd"], "severity": "critical",
   "cooldown_seconds": 300, "max_retries": 2}
])";

const RuleSet& everyType() {
  static const RuleSet set = [] {
    auto r = loadRuleSources({SourceFile{"a/every.yaml", kEveryType, "/srv/rules/a/every.yaml"},
                              SourceFile{"b/legacy.json", kLegacy, ""}},
                             KnownTypes::all());
    if (!r.ok()) FAIL(r.error().format());
    return std::move(r).value();
  }();
  return set;
}

const RuleSet& shipped() {
  static const RuleSet set = [] {
    auto r = loadRulePath(CA_SOURCE_DIR "/rules", KnownTypes::all());
    if (!r.ok()) FAIL(r.error().format());
    return std::move(r).value();
  }();
  return set;
}

/// A header with a valid magic and version, then `body`, sealed with its checksum.
std::string craft(const std::string& body) {
  std::string bytes(kRuleSetCodecMagic);
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<char>((kRuleSetCodecVersion >> (8 * i)) & 0xff));
  bytes.append(8, '\0');
  bytes += body;
  resealEncodedRuleSet(bytes);
  return bytes;
}

std::string varint(std::uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

std::string decodeError(const std::string& bytes) {
  auto r = decodeRuleSet(bytes);
  if (r.ok()) FAIL("decoded, but should have been refused");
  CHECK(r.error().rfind("encoded rule set: ", 0) == 0);
  CHECK_FALSE(has(r.error(), "decoding failed"));  // no allocation failure caught on the way
  return r.error();
}

/// A set of one check with the probe `p` (no positions, so the bytes around it are predictable).
RuleSet oneCheck(ProbeSpec p) {
  RuleSet s;
  Check c;
  c.id = "C";
  c.probe = std::move(p);
  s.checks.push_back(std::move(c));
  return s;
}

template <class Body>
ProbeSpec probeOf(const std::string& type, Body body) {
  ProbeSpec p;
  p.type = type;
  p.body = std::move(body);
  return p;
}

template <class Body>
ActionSpec actionOf(const std::string& type, Body body) {
  ActionSpec a;
  a.type = type;
  a.body = std::move(body);
  return a;
}

Check& check(RuleSet& s, const std::string& id) {
  for (auto& c : s.checks)
    if (c.id == id) return c;
  FAIL("no check " << id);
  throw 0;
}

ProbeSpec timeSync() { return probeOf("time_sync", TimeSyncProbe{}); }

/// `levels` composite probes around a time_sync: levels + 1 probes deep.
ProbeSpec nestedProbe(int levels) {
  ProbeSpec p = timeSync();
  for (int i = 0; i < levels; ++i) {
    AllProbe all;
    all.probes.push_back(std::move(p));
    p = probeOf("all", std::move(all));
  }
  return p;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Round trips

TEST_CASE("codec: the hand-written set uses every probe type, action type and optional both ways") {
  Coverage cov;
  cov(everyType());
  for (auto t : kProbeTypeNames) CHECK(cov.probe_types.count(std::string(t)) == 1);
  for (auto t : kActionTypeNames) CHECK(cov.action_types.count(std::string(t)) == 1);
  // Every optional field the visitors reach, set somewhere and unset somewhere.
  CHECK(cov.optionals.size() == 18);
  for (const auto& [field, n] : cov.optionals) {
    INFO(field);
    CHECK(n.first > 0);
    CHECK(n.second > 0);
  }
  std::set<MatchOp> ops;
  auto walk = [&](const ProbeSpec& p) {
    if (auto s = p.as<SysctlProbe>()) ops.insert(s->expect.op);
    if (auto c = p.as<ConfigValueProbe>()) ops.insert(c->expect.op);
  };
  for (const auto& c : everyType().checks) walk(c.probe);
  for (const auto& r : everyType().rules)
    for (const auto& m : r.match) ops.insert(m.expect.op);
  CHECK(ops.size() == 12);
  CHECK(everyType().rules.back().legacy);
  CHECK(everyType().rules.back().severity == std::optional<Severity>(Severity::Critical));
}

TEST_CASE("codec: the hand-written set round-trips field by field") {
  const RuleSet& set = everyType();
  const RuleSet decoded = roundTrip(set);
  Equal eq;
  requireEqual(set, decoded, &eq);

  // Spot checks that the comparison saw what it should.
  CHECK(decoded.version == set.version);
  CHECK(decoded.version.size() == 64);
  CHECK(decoded.source_files == std::vector<std::string>{"/srv/rules/a/every.yaml", "b/legacy.json"});
  const Check* c = decoded.findCheck("P-EXISTS");
  REQUIRE(c != nullptr);
  CHECK(c->pos.file == "/srv/rules/a/every.yaml");
  CHECK(c->pos.line == 6);
  CHECK(decoded.findVar("v_int")->max == std::optional<std::int64_t>(9));
  CHECK(decoded.findCheck("E-LE")->title == "at most 3");
  CHECK(decoded.findCheck("E-BETWEEN")->probe.as<SysctlProbe>()->expect.number_max == 3);
  CHECK(c->probe.pos.line > 0);
  CHECK(c->probe.pos.column > 0);
  CHECK(c->description == "Two lines\nof description.\n");
  CHECK(decoded.findCheck("P-CONFIG-KV")->probe.as<ConfigValueProbe>()->expect.number == 10.5);
  CHECK(decoded.findCheck("E-LT")->probe.as<SysctlProbe>()->expect.number == -3.25);
  CHECK(decoded.findRule("R-1")->cooldown == std::chrono::hours(1));
  CHECK(decoded.waivers[1].expires == std::chrono::sys_days{std::chrono::year{1969} / 12 / 30});
  CHECK(decoded.rules.back().actions[0].pos.file == "b/legacy.json");

  // Regexes: recompiled from their pattern, with the loader's options, matching alike.
  REQUIRE(eq.regexes.size() == 8);
  const std::vector<std::string> samples = {
      "", "root:x:0:0", "xroot:", "xxy", "y", "42", "4a", "AB", "ab", "abc", "0755", "07", "+ +",
      "chain   input", "chaininput", "x\ny", "\xff\xfe", "PermitRootLogin no"};
  int matched = 0;
  for (const auto& [orig, dec] : eq.regexes) {
    INFO(orig->pattern());
    CHECK(dec->options().max_mem() == kRegexMaxMem);
    CHECK_FALSE(dec->options().log_errors());
    for (const auto& s : samples) {
      const bool m = RE2::PartialMatch(s, *orig);
      CHECK(RE2::PartialMatch(s, *dec) == m);
      matched += m;
    }
  }
  CHECK(matched >= 7);
  // ignore_case on a regex expectation is compiled into the pattern; the decode keeps it.
  const auto& ri = decoded.findCheck("E-REGEX-I")->probe.as<SysctlProbe>()->expect;
  CHECK(ri.value == "^ab$");
  REQUIRE(ri.regex);
  CHECK(RE2::FullMatch("AB", *ri.regex));
  CHECK(RE2::PartialMatch("+x", *decoded.findRule("R-1")->actions[9].as<RemoveLineAction>()->regex));
}

TEST_CASE("codec: the comparison notices a change in any kind of field") {
  const RuleSet& set = everyType();
  auto differs = [&](auto mutate) {
    RuleSet copy = set;
    mutate(copy);
    Equal eq;
    eq(set, copy);
    INFO(eq.diff());
    return !eq.equal() && !eq.diff().empty();
  };
  CHECK(differs([](RuleSet& s) { s.version[0] ^= 1; }));
  CHECK(differs([](RuleSet& s) { s.source_files.pop_back(); }));
  CHECK(differs([](RuleSet& s) { s.checks[3].probe.pos.column++; }));
  CHECK(differs([](RuleSet& s) { s.checks[0].applies_if.reset(); }));
  CHECK(differs([](RuleSet& s) { s.checks[0].refs.cis = "5.1.2"; }));
  CHECK(differs([](RuleSet& s) { s.checks[0].refs.stig.clear(); }));
  CHECK(differs([](RuleSet& s) { s.checks[0].refs.ssg.push_back("x"); }));
  CHECK(differs([](RuleSet& s) { s.checks[0].platforms.pop_back(); }));
  CHECK(differs([](RuleSet& s) { s.waivers[0].expires += std::chrono::days(1); }));
  CHECK(differs([](RuleSet& s) { s.rules[0].verify_after += std::chrono::milliseconds(1); }));
  CHECK(differs([](RuleSet& s) { s.rules[0].actions[15].body = AlertAction{"x"}; }));
  CHECK(differs([](RuleSet& s) { std::get<AgentHealAction>(s.rules[0].actions[15].body).params["q"] = "r"; }));
  CHECK(differs([](RuleSet& s) { std::get<FileRegexProbe>(check(s, "P-REGEX").probe.body).regex = compileRegex("^root").value(); }));
  CHECK(differs([](RuleSet& s) { std::get<FileRegexProbe>(check(s, "P-REGEX").probe.body).regex = nullptr; }));
  CHECK(differs([](RuleSet& s) { check(s, "P-CONFIG-KV").probe.body = ConfigValueProbe{}; }));
  CHECK(differs([](RuleSet& s) { std::get<ConfigValueProbe>(check(s, "P-CONFIG-KV").probe.body).expect.number = 1; }));
  CHECK(differs([](RuleSet& s) { std::get<CommandProbe>(check(s, "P-CMD").probe.body).timeout.reset(); }));
  CHECK(differs([](RuleSet& s) { s.rules.back().severity = Severity::Low; }));
  CHECK_FALSE(differs([](RuleSet&) {}));
}

TEST_CASE("codec: every shipped rule file round-trips field by field") {
  const RuleSet& set = shipped();
  REQUIRE(set.checks.size() > 10);
  REQUIRE_FALSE(set.source_files.empty());
  const RuleSet decoded = roundTrip(set);
  requireEqual(set, decoded);
  CHECK(decoded.version == set.version);
  CHECK(decoded.source_files == set.source_files);
}

TEST_CASE("codec: encoding is deterministic and an empty set round-trips") {
  CHECK(encodeRuleSet(everyType()) == encodeRuleSet(everyType()));
  const RuleSet empty;
  const std::string bytes = encodeRuleSet(empty);
  CHECK(bytes.size() == kRuleSetCodecHeaderBytes + 7);  // four empty lists, two versions, files
  CHECK(bytes.substr(0, 4) == "CARS");
  requireEqual(empty, roundTrip(empty));
}

TEST_CASE("codec: extreme values of every integer kind round-trip") {
  RuleSet s = oneCheck(probeOf("dir_scan", DirScanProbe{"/", ScanFind::SuidSgid, {}, {}, -1, 2147483647}));
  s.checks[0].probe.pos.line = std::numeric_limits<int>::min();
  s.checks[0].probe.pos.column = std::numeric_limits<int>::max();
  s.checks[0].probe.pos.file = std::string(1000, 'x');
  ProbeSpec ports = probeOf("port_listening", PortListeningProbe{Protocol::Udp, {{0, 65535}, {65535, 0}}, true});
  s.checks.push_back(s.checks[0]);
  s.checks[1].probe = ports;
  L1Rule r;
  r.verify_after = std::chrono::milliseconds(std::numeric_limits<std::int64_t>::min());
  r.cooldown = std::chrono::milliseconds(std::numeric_limits<std::int64_t>::max());
  r.actions.push_back(actionOf("set_file_mode", SetFileModeAction{"/x", 0xffffffffu, 0u}));
  MatchCondition cond;
  cond.field = "f";
  cond.expect = Expectation{MatchOp::Lt, "v", {}, nullptr, -1e308, false};
  r.match.push_back(cond);
  s.rules.push_back(r);
  Waiver w;
  w.check_id = "C";
  w.expires = std::chrono::sys_days{std::chrono::days(-1000000)};
  s.waivers.push_back(w);
  requireEqual(s, roundTrip(s));
}

// ---------------------------------------------------------------------------------------------
// Refusals

TEST_CASE("codec: truncation at every byte is refused cleanly") {
  const std::string bytes = encodeRuleSet(everyType());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    std::string cut = bytes.substr(0, n);
    INFO("cut at " << n << " of " << bytes.size());
    {
      // As stored: the header or the checksum stops it.
      auto r = decodeRuleSet(cut);
      REQUIRE_FALSE(r.ok());
      REQUIRE(r.error().rfind("encoded rule set: ", 0) == 0);
    }
    if (n >= kRuleSetCodecHeaderBytes) {
      // With a matching checksum: the structure stops it, as truncated.
      resealEncodedRuleSet(cut);
      auto r = decodeRuleSet(cut);
      REQUIRE_FALSE(r.ok());
      INFO(r.error());
      REQUIRE(has(r.error(), "truncated"));
    }
  }
}

TEST_CASE("codec: random byte flips never crash, and a decode that passes is exact") {
  const std::string bytes = encodeRuleSet(everyType());
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<std::size_t> pos(kRuleSetCodecHeaderBytes, bytes.size() - 1);
  std::uniform_int_distribution<int> bit(0, 7), flips(1, 4);
  int passed = 0, refused = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string m = bytes;
    const int n = flips(rng);
    for (int k = 0; k < n; ++k) m[pos(rng)] ^= static_cast<char>(1 << bit(rng));
    if (m == bytes) continue;
    // Unsealed, the checksum refuses every change.
    auto raw = decodeRuleSet(m);
    REQUIRE_FALSE(raw.ok());
    REQUIRE(has(raw.error(), "checksum"));
    resealEncodedRuleSet(m);
    auto r = decodeRuleSet(m);
    if (r.ok()) {
      ++passed;
      // Canonical: what decodes re-encodes to exactly these bytes.
      REQUIRE(encodeRuleSet(*r) == m);
    } else {
      ++refused;
      REQUIRE(r.error().rfind("encoded rule set: byte ", 0) == 0);
      REQUIRE_FALSE(has(r.error(), "decoding failed"));
    }
  }
  INFO("passed " << passed << ", refused " << refused);
  CHECK(passed > 0);
  CHECK(refused > 0);
}

TEST_CASE("codec: a wrong magic, version or checksum is refused by name") {
  const std::string bytes = encodeRuleSet(everyType());
  std::string m = bytes;
  m[3] = 'X';
  CHECK(has(decodeError(m), "bad magic 'CARX', expected 'CARS'"));
  CHECK(has(decodeError(""), "bad magic"));
  CHECK(has(decodeError("CARS"), "truncated header: 4 bytes, 16 needed"));
  CHECK(has(decodeError("checks:\n  - {id: a}\n"), "bad magic 'chec'"));

  m = bytes;
  m[4] = static_cast<char>(kRuleSetCodecVersion + 1);
  CHECK(has(decodeError(m), "codec version " + std::to_string(kRuleSetCodecVersion + 1) +
                                ", this agent reads version " + std::to_string(kRuleSetCodecVersion)));
  m = bytes;
  m[7] = '\x80';
  CHECK(has(decodeError(m), "codec version " + std::to_string(0x80000000u + kRuleSetCodecVersion)));

  m = bytes;
  m[10] ^= 1;
  CHECK(has(decodeError(m), "checksum mismatch"));
  m = bytes;
  m.back() ^= 1;
  CHECK(has(decodeError(m), "checksum mismatch"));
}

TEST_CASE("codec: trailing bytes are refused") {
  std::string m = encodeRuleSet(everyType());
  const std::size_t size = m.size();
  m.push_back('\0');
  resealEncodedRuleSet(m);
  CHECK(has(decodeError(m), "byte " + std::to_string(size) + ": 1 trailing bytes after the rule set"));
}

TEST_CASE("codec: crafted huge counts and lengths are refused without allocating") {
  // Body: checks count, then (for one check) its id's length.
  CHECK(has(decodeError(craft(varint(std::uint64_t(1) << 62))), "over the limit of 10000"));
  CHECK(has(decodeError(craft(varint(kMaxRuleCount + 1))), "a count of 10001 entries, over the limit of 10000"));
  CHECK(has(decodeError(craft(varint(kMaxRuleCount))), "truncated: a count of 10000 entries"));
  // (A count needs the bytes for that many of the smallest element: a check takes at least 15.)
  CHECK(has(decodeError(craft(varint(1) + std::string(10, '\0'))), "truncated: a count of 1 entries of at least"));
  const std::string padding(100, '\0');
  CHECK(has(decodeError(craft(varint(1) + varint(std::uint64_t(1) << 40) + padding)),
            "byte 17: a string of 1099511627776 bytes, over the limit of 1048576"));
  CHECK(has(decodeError(craft(varint(1) + varint(1 << 20) + padding)), "truncated: a string of 1048576 bytes, 100 left"));
  // Strings, hipaa etc. in lists: bounded by the bytes left (each takes at least one).
  // checks, rules, waivers, vars, version, source_version.
  const std::string empty_lists = varint(0) + varint(0) + varint(0) + varint(0) + varint(0) + varint(0);
  CHECK(has(decodeError(craft(empty_lists + varint(std::uint64_t(1) << 60))), "truncated: a count of 1152921504606846976 entries"));
  CHECK(has(decodeError(craft(empty_lists + varint(1001) + std::string(1001, '\0'))), "1001 source files, over the limit of 1000"));
  // The sum of checks, rules and waivers.
  RuleSet s;
  s.waivers.resize(5000);
  s.rules.resize(5001);
  CHECK(has(decodeError(encodeRuleSet(s)), "10001 checks, rules and waivers, over the limit of 10000"));
}

TEST_CASE("codec: malformed integers, flags and enums are refused") {
  const std::string four_empty = varint(0) + varint(0) + varint(0) + varint(0) + varint(0) + varint(0);
  CHECK(has(decodeError(craft(std::string(10, '\xff') + '\x01')), "a count does not fit in 64 bits"));
  CHECK(has(decodeError(craft(std::string("\x80\x00", 2))), "a count is not minimally encoded"));
  CHECK(has(decodeError(craft(std::string("\x80", 1))), "truncated: a count"));
  CHECK(has(decodeError(craft(four_empty + varint(0) + "x")), "1 trailing bytes"));

  RuleSet s = oneCheck(timeSync());
  s.checks[0].severity = static_cast<Severity>(4);
  CHECK(has(decodeError(encodeRuleSet(s)), "enum value 4 out of range 0..3"));
  s = oneCheck(probeOf("dir_scan", DirScanProbe{"/", static_cast<ScanFind>(9), {}, {}, 1, 1}));
  CHECK(has(decodeError(encodeRuleSet(s)), "enum value 9 out of range 0..3"));

  // A flag byte other than 0 or 1: systemd_unit's `active` flag.
  s = oneCheck(probeOf("systemd_unit", SystemdUnitProbe{"u", true, std::nullopt}));
  std::string bytes = encodeRuleSet(s);
  const std::size_t at = bytes.find(std::string("\x01u\x01\x01\x00", 5));
  REQUIRE(at != std::string::npos);
  bytes[at + 2] = 2;
  resealEncodedRuleSet(bytes);
  CHECK(has(decodeError(bytes), "a flag byte is 2, not 0 or 1"));
  // An integer out of its type's range: a port of 65536.
  s = oneCheck(probeOf("port_listening", PortListeningProbe{Protocol::Tcp, {{7, 7}}, false}));
  bytes = encodeRuleSet(s);
  const std::size_t p = bytes.find(std::string("\x00\x01\x07\x07", 4));
  REQUIRE(p != std::string::npos);
  bytes.replace(p + 2, 1, varint(65536));
  resealEncodedRuleSet(bytes);
  CHECK(has(decodeError(bytes), "integer 65536 out of range"));
}

TEST_CASE("codec: variant indexes are range-checked and must match the type name") {
  const std::string bytes = encodeRuleSet(oneCheck(timeSync()));
  // ProbeSpec: type "time_sync", pos {"", 0, 0}, body index 15.
  const std::string marker = std::string("\x09time_sync\x00\x00\x00\x0f", 14);
  const std::size_t at = bytes.find(marker);
  REQUIRE(at != std::string::npos);
  std::string m = bytes;
  m[at + 13] = 20;
  resealEncodedRuleSet(m);
  CHECK(has(decodeError(m), "type index 20 out of range 0..19"));
  m[at + 13] = 14;
  resealEncodedRuleSet(m);
  CHECK(has(decodeError(m), "probe type 'time_sync' does not match its body (nixos_generation)"));

  RuleSet s;
  L1Rule r;
  r.actions.push_back(actionOf("alert", EscalateAction{"x"}));
  s.rules.push_back(r);
  CHECK(has(decodeError(encodeRuleSet(s)), "action type 'alert' does not match its body (escalate)"));
}

TEST_CASE("codec: probe nesting is bounded by kMaxRuleDepth") {
  requireEqual(oneCheck(nestedProbe(kMaxRuleDepth - 1)), roundTrip(oneCheck(nestedProbe(kMaxRuleDepth - 1))));
  CHECK(has(decodeError(encodeRuleSet(oneCheck(nestedProbe(kMaxRuleDepth)))), "probes nested deeper than 16 levels"));
  CHECK(has(decodeError(encodeRuleSet(oneCheck(nestedProbe(1000)))), "probes nested deeper than 16 levels"));
  RuleSet s = oneCheck(timeSync());
  s.checks[0].applies_if = nestedProbe(kMaxRuleDepth);
  CHECK(has(decodeError(encodeRuleSet(s)), "probes nested deeper"));
}

TEST_CASE("codec: regexes must compile again and be where the model needs them") {
  // A pattern RE2 took but compileRegex refuses (over kMaxRegexLength).
  const std::string long_pattern(kMaxRegexLength + 1, 'a');
  RuleSet s = oneCheck(probeOf("file_regex", FileRegexProbe{{"/x"}, "*.conf", long_pattern, std::make_shared<const RE2>(long_pattern)}));
  CHECK(has(decodeError(encodeRuleSet(s)), "does not compile: regex is 1025 bytes, over the limit of 1024"));

  s = oneCheck(probeOf("file_regex", FileRegexProbe{{"/x"}, "*.conf", "a", nullptr}));
  CHECK(has(decodeError(encodeRuleSet(s)), "a file_regex probe has no compiled regex"));
  CommandProbe cmd;
  cmd.argv = {"x"};
  cmd.expect_output = "a";
  s = oneCheck(probeOf("command", cmd));
  CHECK(has(decodeError(encodeRuleSet(s)), "expect_output and its compiled regex disagree"));
  s = oneCheck(probeOf("sysctl", SysctlProbe{"a.b", Expectation{MatchOp::Regex, "a", {}, nullptr, 0, false}}));
  CHECK(has(decodeError(encodeRuleSet(s)), "an expectation with op regex has no compiled regex"));
  s = oneCheck(probeOf("sysctl", SysctlProbe{"a.b", Expectation{MatchOp::Eq, "a", {}, compileRegex("a").value(), 0, false}}));
  CHECK(has(decodeError(encodeRuleSet(s)), "an expectation with op eq has a compiled regex"));
  RuleSet rs;
  L1Rule r;
  r.actions.push_back(actionOf("remove_line", RemoveLineAction{"/x", "a", nullptr, {}}));
  rs.rules.push_back(r);
  CHECK(has(decodeError(encodeRuleSet(rs)), "a remove_line action has no compiled regex"));

  // Invalid in the bytes themselves: patch a compiled pattern "ab" into "a(".
  s = oneCheck(probeOf("file_regex", FileRegexProbe{{"/x"}, "*.conf", "zz", compileRegex("ab").value()}));
  std::string bytes = encodeRuleSet(s);
  const std::size_t at = bytes.find(std::string("\x01\x02" "ab", 4));
  REQUIRE(at != std::string::npos);
  bytes[at + 3] = '(';
  resealEncodedRuleSet(bytes);
  CHECK(has(decodeError(bytes), "regex 'a(' does not compile: invalid regex: missing )"));
}

TEST_CASE("codec: a map's keys must be in order") {
  RuleSet s;
  L1Rule r;
  r.actions.push_back(actionOf("agent_heal", AgentHealAction{"t", {{"a", "1"}, {"b", "2"}}, std::nullopt}));
  s.rules.push_back(r);
  std::string bytes = encodeRuleSet(s);
  const std::size_t at = bytes.find(std::string("\x01" "a\x01" "1\x01" "b\x01" "2", 8));
  REQUIRE(at != std::string::npos);
  bytes[at + 5] = 'a';
  resealEncodedRuleSet(bytes);
  CHECK(has(decodeError(bytes), "map key 'a' is not after the previous one"));
}

TEST_CASE("codec: the enum bounds match model.h") {
  // A switch-based toString() gives "?" past the last value: a value appended to the enum
  // without moving lastEnumValue() shows up here.
  auto past = [](auto last) { return toString(static_cast<decltype(last)>(static_cast<int>(last) + 1)); };
  CHECK(toString(codec::lastEnumValue(Severity{})) == "critical");
  CHECK(past(codec::lastEnumValue(Severity{})) == "?");
  CHECK(toString(codec::lastEnumValue(MatchOp{})) == "between");
  CHECK(past(codec::lastEnumValue(MatchOp{})) == "?");
  CHECK(toString(codec::lastEnumValue(ConfigFormat{})) == "keyword");
  CHECK(past(codec::lastEnumValue(ConfigFormat{})) == "?");
  CHECK(toString(codec::lastEnumValue(ScanFind{})) == "world_writable");
  CHECK(past(codec::lastEnumValue(ScanFind{})) == "?");
  CHECK(toString(codec::lastEnumValue(Tier{})) == "full_coverage");
  CHECK(toString(codec::lastEnumValue(RuleMode{})) == "audit");
  CHECK(toString(codec::lastEnumValue(Platform{})) == "nixos");
  CHECK(toString(codec::lastEnumValue(Protocol{})) == "udp");
  CHECK(toString(codec::lastEnumValue(VarType{})) == "string");
  STATIC_REQUIRE(std::variant_size_v<ProbeBody> == kProbeTypeNames.size());
  STATIC_REQUIRE(std::variant_size_v<ActionBody> == kActionTypeNames.size());
}

// ---------------------------------------------------------------------------------------------
// Timing, by hand in a release build:
//   CA_CODEC_BENCH=/tmp/h300.yaml unit_rules "[codec-bench]"
// (default: the shipped rules). Prints parse, encode and decode times.

TEST_CASE("codec: decode timing", "[.][codec-bench]") {
  const char* env = std::getenv("CA_CODEC_BENCH");
  const std::string path = env ? env : CA_SOURCE_DIR "/rules";
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  auto loaded = loadRulePath(path, KnownTypes::all());
  auto t1 = clock::now();
  if (!loaded.ok()) FAIL(loaded.error().format());
  const std::string bytes = encodeRuleSet(*loaded);
  auto t2 = clock::now();
  constexpr int kRounds = 50;
  std::size_t sink = 0;
  double best = 1e9, total = 0;
  for (int i = 0; i < kRounds; ++i) {
    auto a = clock::now();
    auto r = decodeRuleSet(bytes);
    auto b = clock::now();
    REQUIRE(r.ok());
    sink += r->checks.size();
    const double ms = std::chrono::duration<double, std::milli>(b - a).count();
    best = std::min(best, ms);
    total += ms;
  }
  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  WARN(path << ": " << loaded->checks.size() << " checks, " << loaded->rules.size() << " rules, "
            << bytes.size() << " bytes encoded; parse " << ms(t1 - t0) << " ms, encode " << ms(t2 - t1)
            << " ms, decode best " << best << " ms, mean " << total / kRounds << " ms (" << sink << ")");
}
