#pragma once
// The typed rule model: what a rule file means once loaded and validated. Plain structs, no YAML
// types, so checks/ and healing/ depend on the model, never on the file format. Every value here
// has passed the validator (loader.h): paths are normalised absolute host paths, regexes are
// compiled, enums are in range, ids are unique and referenced checks exist.
//
// Field names follow the YAML keys (`max_mode`, `skip_comments` ...), so the public format (see
// the README's rule reference) and this header read the same.
#include <re2/re2.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace rules {

// ---------------------------------------------------------------------------------------------
// Enumerations. Each has a constexpr toString() giving the exact YAML spelling, which is also the
// spelling used in JSON output and evidence (one vocabulary end to end).

enum class Severity { Low, Medium, High, Critical };
/// `standard` is contained in `full_coverage`: see L1Rule::actsIn().
enum class Tier { Standard, FullCoverage };
enum class RuleMode { Enforce, Audit };
enum class Platform { Linux, Nixos };
/// Le, Ge and Between came last (appended, so the other values keep their numbers in caches).
enum class MatchOp { Eq, Ne, Contains, Regex, Gt, Lt, In, NotIn, Exists, Le, Ge, Between };
/// How config_value / set_config_value read and write a file; see the README for each dialect.
/// Keyword: "NAME value" lines split at the first blank, `#` comments, the last value wins
/// (login.defs(5)).
enum class ConfigFormat { Sshd, Sysctl, Ini, KeyValue, Keyword };
enum class ScanFind { Suid, Sgid, SuidSgid, WorldWritable };
enum class Protocol { Tcp, Udp };
/// A file probe's verdict on a file that does not exist (YAML `missing:`).
enum class MissingFile { Pass, Fail, NotApplicable };
/// config_value with several definitions of the key (YAML `conflict:`): the format's precedence
/// decides (sshd: the first, the others: the last), or differing values are drifted.
enum class Conflict { Precedence, Fail };
/// The type of a rule-set variable (YAML `vars:`): an integer with optional bounds, or a string
/// with an optional list of allowed values.
enum class VarType { Int, String };

constexpr std::string_view toString(Severity v) {
  switch (v) {
    case Severity::Low: return "low";
    case Severity::Medium: return "medium";
    case Severity::High: return "high";
    case Severity::Critical: return "critical";
  }
  return "?";
}
constexpr std::string_view toString(Tier v) {
  return v == Tier::Standard ? "standard" : "full_coverage";
}
constexpr std::string_view toString(RuleMode v) { return v == RuleMode::Enforce ? "enforce" : "audit"; }
constexpr std::string_view toString(Platform v) { return v == Platform::Linux ? "linux" : "nixos"; }
constexpr std::string_view toString(MatchOp v) {
  switch (v) {
    case MatchOp::Eq: return "eq";
    case MatchOp::Ne: return "ne";
    case MatchOp::Contains: return "contains";
    case MatchOp::Regex: return "regex";
    case MatchOp::Gt: return "gt";
    case MatchOp::Lt: return "lt";
    case MatchOp::In: return "in";
    case MatchOp::NotIn: return "not_in";
    case MatchOp::Exists: return "exists";
    case MatchOp::Le: return "le";
    case MatchOp::Ge: return "ge";
    case MatchOp::Between: return "between";
  }
  return "?";
}
/// The ops that compare numbers (`value` parsed at load time into Expectation::number).
constexpr bool isNumericOp(MatchOp op) {
  return op == MatchOp::Gt || op == MatchOp::Lt || op == MatchOp::Le || op == MatchOp::Ge || op == MatchOp::Between;
}
constexpr std::string_view toString(ConfigFormat v) {
  switch (v) {
    case ConfigFormat::Sshd: return "sshd";
    case ConfigFormat::Sysctl: return "sysctl";
    case ConfigFormat::Ini: return "ini";
    case ConfigFormat::KeyValue: return "keyvalue";
    case ConfigFormat::Keyword: return "keyword";
  }
  return "?";
}
constexpr std::string_view toString(ScanFind v) {
  switch (v) {
    case ScanFind::Suid: return "suid";
    case ScanFind::Sgid: return "sgid";
    case ScanFind::SuidSgid: return "suid_sgid";
    case ScanFind::WorldWritable: return "world_writable";
  }
  return "?";
}
constexpr std::string_view toString(Protocol v) { return v == Protocol::Tcp ? "tcp" : "udp"; }
constexpr std::string_view toString(MissingFile v) {
  switch (v) {
    case MissingFile::Pass: return "pass";
    case MissingFile::Fail: return "fail";
    case MissingFile::NotApplicable: return "not_applicable";
  }
  return "?";
}
constexpr std::string_view toString(Conflict v) {
  switch (v) {
    case Conflict::Precedence: return "precedence";
    case Conflict::Fail: return "fail";
  }
  return "?";
}

constexpr std::string_view toString(VarType v) { return v == VarType::Int ? "int" : "string"; }

/// Where a spec was written: file (as named to the loader), 1-based line and column (0: unknown).
struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;
};

// ---------------------------------------------------------------------------------------------
// Expectations and match conditions.

/// A comparison of one actual string value. Written `{op: eq, value: "no"}`.
struct Expectation {
  MatchOp op = MatchOp::Eq;
  /// eq ne contains: the operand. regex: the pattern source. gt lt le ge: the number as written.
  /// exists: "true" (the value must be present) or "false" (it must be absent); default "true".
  std::string value;
  /// in / not_in: the allowed (or refused) values. between: the two bounds as written. Empty for
  /// the other ops.
  std::vector<std::string> values;
  /// op == Regex: compiled once at load (RE2, linear time); matched unanchored (RE2::PartialMatch)
  /// unless the pattern anchors itself. Null for the other ops.
  std::shared_ptr<const re2::RE2> regex;
  /// op == Gt / Lt / Le / Ge: `value` parsed as a number at load time; the actual value must parse too,
  /// otherwise the comparison does not hold.
  double number = 0;
  /// op == Between: the bounds, inclusive (number <= actual <= number_max); `number` the lower.
  double number_max = 0;
  /// eq ne contains in not_in: compare ASCII case-insensitively (YAML key `ignore_case`).
  /// For regex use `(?i)` in the pattern instead.
  bool ignore_case = false;
};

/// One condition of an L1 rule's `match:` on a field of a Finding: `check_id`, `target`,
/// `status`, `severity`, `expected`, `actual`, or `details.<name>` (dotted).
struct MatchCondition {
  std::string field;
  Expectation expect;
  SourcePos pos;
};

// ---------------------------------------------------------------------------------------------
// Probes. One struct per `type:`; ProbeSpec holds exactly one of them. All `path` fields are
// normalised absolute host paths (host-root relative: see design "Host files").

struct FileExistsProbe { std::string path; };
struct FileAbsentProbe { std::string path; };
struct FileModeProbe {
  std::string path;
  /// The file's permission bits must be a subset of this (YAML: octal string, e.g. "0640").
  unsigned max_mode = 0;
  /// A file that does not exist has no mode to be wrong: it passes (details.reason: absent), as
  /// the benchmarks judge it; whether it must exist is a check of its own (file_exists).
  MissingFile missing = MissingFile::Pass;
};
struct FileOwnerProbe {
  std::string path;
  /// User and group: names or numeric ids, as written. At least one of them is set; an unset
  /// one is not checked (SSG's group-owner rules check only the group).
  std::optional<std::string> owner;
  std::optional<std::string> group;
  MissingFile missing = MissingFile::Pass;  // as FileModeProbe
};
struct FileRegexProbe {
  /// YAML `path:` (one) or `paths:` (several), in order; never empty. A directory contributes
  /// its regular files (and links to them) whose name matches `names`, in name order: how
  /// augenrules reads /etc/audit/rules.d/*.rules and modprobe /etc/modprobe.d/*.conf.
  std::vector<std::string> paths;
  /// A glob (`*`, `?`) for the file names a directory contributes; a leading dot is matched
  /// only by a glob that starts with one.
  std::string names = "*.conf";
  std::string pattern;
  std::shared_ptr<const re2::RE2> regex;
  /// true: at least one line of any of the files must match; false: no line of any may match.
  bool present = true;
  /// Lines whose first non-blank characters are `comment_prefix` are ignored when true.
  bool skip_comments = true;
  std::string comment_prefix = "#";
};
struct ConfigValueProbe {
  /// YAML `path:` (one) or `paths:` (several), in order; a directory contributes its `*.conf`
  /// files in name order. Never empty.
  std::vector<std::string> paths;
  std::string key;
  ConfigFormat format = ConfigFormat::Sshd;
  std::string section;  // ini only; empty = outside any section
  /// The value the program uses when the key is absent. Absent and no default: drifted with
  /// actual "(absent)".
  std::optional<std::string> default_value;  // YAML `default`
  Expectation expect;
  /// YAML `explicit: true`: the key must be set in a file; the default does not count (a missing
  /// or commented-out key is drifted, details.reason saying which).
  bool explicit_setting = false;
  Conflict conflict = Conflict::Precedence;
};
struct FileHashProbe {
  std::string path;
  std::string sha256;  // 64 lowercase hex digits
};
struct DirScanProbe {
  std::string path;
  ScanFind find = ScanFind::Suid;
  std::vector<std::string> allow;    // host paths that are expected hits
  std::vector<std::string> exclude;  // path prefixes not descended into
  int max_depth = 16;
  int max_entries = 1'000'000;
  /// false: stay on the file system of `path` (find -xdev). true: enter other file systems too,
  /// except pseudo and network ones (platform/file_system_type.h).
  bool cross_mounts = false;
};
struct SysctlProbe {
  std::string key;  // dotted (net.ipv4.ip_forward), only [a-z0-9_.-]; read from /proc/sys
  Expectation expect;
};
struct SystemdUnitProbe {
  std::string unit;
  std::optional<bool> active;   // at least one of active / enabled is set
  std::optional<bool> enabled;
};
struct ProcessRunningProbe {
  std::string name;  // as in /proc/<pid>/comm
  bool running = true;
};
struct PortRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0;  // == first for a single port
};
struct PortListeningProbe {
  Protocol protocol = Protocol::Tcp;
  std::vector<PortRange> ports;
  /// false (default): none of these ports may be listening; true: each must be.
  bool listening = false;
};
struct DiskUsageProbe {
  std::vector<std::string> mounts;  // host paths; one finding per mount
  int max_percent = 90;             // 1..100
};
struct CertExpiryProbe {
  std::string path;        // a host file, or empty when agent_file is set
  std::string agent_file;  // only "central.client_cert_file": the agent's own cert (agent path)
  int min_days = 30;
};
struct NixosGenerationProbe {};
struct TimeSyncProbe {};
struct CommandProbe {
  /// argv[0] is a key of the config's `tools:` map (never a path: no '/').
  std::vector<std::string> argv;
  int expect_exit = 0;
  std::optional<std::string> expect_output;  // regex source
  std::shared_ptr<const re2::RE2> expect_output_regex;
  std::optional<std::chrono::milliseconds> timeout;  // absent: checks.command_timeout
};

struct ProbeSpec;
/// all / any / none over sub-probes. A vector of an incomplete type is allowed as a member
/// (C++17), which is what makes the recursion legal without pointers.
struct AllProbe {
  std::vector<ProbeSpec> probes;
  std::string target;  // empty: the check id is the target
};
struct AnyProbe {
  std::vector<ProbeSpec> probes;
  std::string target;
};
struct NoneProbe {
  std::vector<ProbeSpec> probes;
  std::string target;
};

using ProbeBody =
    std::variant<FileExistsProbe, FileAbsentProbe, FileModeProbe, FileOwnerProbe, FileRegexProbe,
                 ConfigValueProbe, FileHashProbe, DirScanProbe, SysctlProbe, SystemdUnitProbe,
                 ProcessRunningProbe, PortListeningProbe, DiskUsageProbe, CertExpiryProbe,
                 NixosGenerationProbe, TimeSyncProbe, CommandProbe, AllProbe, AnyProbe, NoneProbe>;

/// Every probe type name the format defines, in ProbeBody order.
inline constexpr std::array<std::string_view, 20> kProbeTypeNames = {
    "file_exists",   "file_absent",   "file_mode",   "file_owner",      "file_regex",
    "config_value",  "file_hash",     "dir_scan",    "sysctl",          "systemd_unit",
    "process_running", "port_listening", "disk_usage", "cert_expiry",   "nixos_generation",
    "time_sync",     "command",       "all",         "any",             "none"};

struct ProbeSpec {
  std::string type;  // the YAML `type:`, one of kProbeTypeNames
  SourcePos pos;
  ProbeBody body;

  template <class T> const T* as() const { return std::get_if<T>(&body); }
};

// ---------------------------------------------------------------------------------------------
// Actions. String fields may contain the placeholder `{target}`, replaced at planning time by the
// finding's target (e.g. `set_file_mode: {path: "{target}", mode: "0644"}` for dir_scan hits); a
// path that contains it is validated here for its fixed part only, so the planner must validate
// the substituted path again (core::normaliseHostPath in core/host_path.h). A `validate` argv may contain
// `{file}`: where the validator reads the candidate file.

struct ServiceAction { std::string unit; };
struct RestartServiceAction : ServiceAction {};
struct ReloadServiceAction : ServiceAction {};
struct StartServiceAction : ServiceAction {};
struct EnableServiceAction : ServiceAction {};
struct SetFileModeAction {
  std::string path;
  /// YAML `mode` (octal string "0644"): the mode to set. With `max_mode` it holds the same value.
  unsigned mode = 0;
  /// YAML `max_mode`, instead of `mode`: clear only the bits outside it (new = old & max_mode),
  /// so a file that is already stricter in other bits keeps them: the natural fix for a
  /// file_mode drift.
  std::optional<unsigned> max_mode;
};
struct SetFileOwnerAction {
  std::string path;
  std::string owner;
  std::optional<std::string> group;
};
struct SetConfigValueAction {
  std::string path;
  std::string key;
  std::string value;
  ConfigFormat format = ConfigFormat::Sshd;
  std::string section;                // ini only
  std::vector<std::string> validate;  // argv run on the candidate; empty = none
};
struct EnsureLineAction {
  std::string path;
  std::string line;
  std::vector<std::string> validate;
};
struct RemoveLineAction {
  std::string path;
  std::string pattern;  // lines matching it are removed
  std::shared_ptr<const re2::RE2> regex;
  std::vector<std::string> validate;
};
struct WriteFileAction {
  std::string path;
  std::string content;
  std::optional<unsigned> mode;  // absent: keep the existing file's (0644 for a new file)
  std::optional<std::string> owner;
  std::optional<std::string> group;
  std::vector<std::string> validate;
};
struct SetSysctlAction {
  std::string key;
  std::string value;
  std::string persist_file;  // host path of the sysctl.d file that persists it
};
struct RunCommandAction {
  std::vector<std::string> argv;  // argv[0] a `tools:` key
  std::optional<std::chrono::milliseconds> timeout;  // absent: healing.command_timeout
};
struct AlertAction { std::string message; };
struct EscalateAction { std::string reason; };
/// Sends a HealCommand to a workstation agent through the gateway. Whether it is usable depends on
/// KnownTypes (the healing registry), like every other type.
struct AgentHealAction {
  std::string check_type;
  std::map<std::string, std::string> params;  // passed through to the workstation agent
  std::optional<std::chrono::milliseconds> timeout;  // absent: the gateway's default
};

using ActionBody =
    std::variant<RestartServiceAction, ReloadServiceAction, StartServiceAction,
                 EnableServiceAction, SetFileModeAction, SetFileOwnerAction, SetConfigValueAction,
                 EnsureLineAction, RemoveLineAction, WriteFileAction, SetSysctlAction,
                 RunCommandAction, AlertAction, EscalateAction, AgentHealAction>;

/// Every action type name the format defines, in ActionBody order.
inline constexpr std::array<std::string_view, 15> kActionTypeNames = {
    "restart_service", "reload_service", "start_service",   "enable_service", "set_file_mode",
    "set_file_owner",  "set_config_value", "ensure_line",   "remove_line",    "write_file",
    "set_sysctl",      "run_command",    "alert",           "escalate",       "agent_heal"};

struct ActionSpec {
  std::string type;  // one of kActionTypeNames
  SourcePos pos;
  ActionBody body;

  template <class T> const T* as() const { return std::get_if<T>(&body); }
};

/// What the executor may assume about an action type.
struct ActionTraits {
  bool known = false;
  /// A backup can restore the state from before the step (file edits). Steps that change nothing
  /// on this host (alert, escalate) count as reversible: there is nothing to undo.
  bool reversible = false;
  /// Irreversible, but only makes a service pick up files (reload/restart): after the files are
  /// restored, running the step again restores the service's configuration too, so a failed
  /// re-check can still end `rolled_back`.
  bool applies_files = false;
  /// Writes a host file (goes through writable_paths, backup, validation, atomic replace).
  bool edits_files = false;
  /// Changes anything on this host at all (false: alert, escalate, agent_heal).
  bool changes_host = false;
};

/// Traits of an action type by name; `known` is false for a name not in kActionTypeNames.
constexpr ActionTraits actionTraits(std::string_view type) {
  //                    known  reversible applies_files edits_files changes_host
  if (type == "restart_service" || type == "reload_service") return {true, false, true, false, true};
  if (type == "start_service" || type == "enable_service") return {true, false, false, false, true};
  if (type == "set_file_mode" || type == "set_file_owner" || type == "set_config_value" ||
      type == "ensure_line" || type == "remove_line" || type == "write_file") {
    return {true, true, false, true, true};
  }
  // The persist file could be restored, but the live /proc/sys value was already in effect.
  if (type == "set_sysctl") return {true, false, false, true, true};
  if (type == "run_command") return {true, false, false, false, true};
  if (type == "alert" || type == "escalate") return {true, true, false, false, false};
  // Acts on a workstation, out of this host's rollback's reach.
  if (type == "agent_heal") return {true, false, false, false, false};
  return {};
}
inline ActionTraits actionTraits(const ActionSpec& a) { return actionTraits(a.type); }

// ---------------------------------------------------------------------------------------------
// Checks, L1 rules, waivers, the rule set.

/// A site-tunable value of the rule set (YAML `vars:`), referred to as `{var.NAME}` in
/// expectation values, action values, titles and descriptions; substituted when the set is
/// loaded, so probes and actions only ever see the value in force. Where a variable is the same
/// tunable as an SSG XCCDF value it carries that value's id as its name and its default, so a
/// site's SSG tailoring carries over.
struct Variable {
  std::string name;  // [a-z][a-z0-9_]*, at most 64
  VarType type = VarType::Int;
  std::string description;
  std::string default_value;  // canonical: an int in decimal
  std::optional<std::int64_t> min, max;  // int only; inclusive
  std::vector<std::string> allowed;      // string only; empty: any single-line value
  /// The value in force (canonical) and where it came from: "default", or the override's origin
  /// ("/etc/compliance-agent/agent.yaml:31").
  std::string value;
  std::string source = "default";
  SourcePos pos;

  bool overridden() const { return value != default_value; }
};

/// Where a check comes from in the public benchmarks (YAML `refs: {ssg: ..., cis: "..."}`), so
/// an auditor can hold the verdict against the rule it implements. Empty = not given.
struct CheckRefs {
  /// ComplianceAsCode (SCAP Security Guide) rule ids: sshd_disable_root_login. Several when the
  /// check covers several rules (owner and group owner: file_owner_X, file_groupowner_X).
  std::vector<std::string> ssg;
  std::string cis;   // a CIS benchmark section number: "5.2.10"
  std::string stig;  // a DISA STIG id: SV-230296r1017207_rule, RHEL-08-010550
  bool empty() const { return ssg.empty() && cis.empty() && stig.empty(); }
};

struct Check {
  std::string id;
  std::string title;
  std::string description;  // optional
  std::vector<Platform> platforms{Platform::Linux, Platform::Nixos};
  Severity severity = Severity::Medium;
  std::vector<std::string> hipaa;  // HIPAA Security Rule citations, e.g. "164.312(a)(1)"
  ProbeSpec probe;
  /// The check is not_applicable when this probe does not pass.
  std::optional<ProbeSpec> applies_if;
  CheckRefs refs;  // optional
  SourcePos pos;

  bool runsOn(Platform p) const {
    for (Platform q : platforms) if (q == p) return true;
    return false;
  }
};

struct L1Rule {
  std::string id;
  std::string name;
  std::string description;  // optional
  std::vector<Tier> tiers;  // never empty
  std::vector<MatchCondition> match;  // all must hold; never empty
  std::vector<ActionSpec> actions;    // in order; never empty
  std::chrono::milliseconds verify_after{0};
  std::chrono::milliseconds cooldown{std::chrono::minutes(10)};
  int max_attempts = 3;
  bool disruptive = false;
  RuleMode mode = RuleMode::Enforce;
  int priority = 100;  // lower wins when several rules match
  /// Only from a legacy JSON import, which carries a severity per rule.
  std::optional<Severity> severity;
  /// Imported from the earlier platform's JSON list (legacy_import.h).
  bool legacy = false;
  SourcePos pos;

  /// Whether the rule may act when `active` is the site's tier: a rule listing `standard` acts
  /// in both tiers (standard is contained in full_coverage); one listing only `full_coverage`
  /// acts only there.
  bool actsIn(Tier active) const {
    for (Tier t : tiers) if (t == Tier::Standard || t == active) return true;
    return false;
  }
  /// The check id of a `{field: check_id, op: eq}` condition, or nullptr when there is none.
  const std::string* matchedCheckId() const {
    for (const auto& m : match)
      if (m.field == "check_id" && m.expect.op == MatchOp::Eq) return &m.expect.value;
    return nullptr;
  }
};

struct Waiver {
  std::string check_id;
  std::string target;  // "*" (every target) or one exact target; never empty
  std::string reason;
  std::string approved_by;
  std::chrono::sys_days expires;  // YAML: 2027-03-31; the waiver holds through that whole day
  SourcePos pos;

  /// Whether the waiver still holds on `today` (the appliance's date).
  bool activeOn(std::chrono::sys_days today) const { return today <= expires; }
  bool covers(std::string_view check, std::string_view tgt) const {
    return check == check_id && (target == "*" || target == tgt);
  }
};

struct RuleSet {
  std::vector<Check> checks;   // in file order, files in name order
  std::vector<L1Rule> rules;
  std::vector<Waiver> waivers;
  std::vector<Variable> vars;  // in name order
  /// The version of the rules in force: source_version when every variable has its default,
  /// else a SHA-256 over source_version and the values that differ (rules::ruleSetVersion), so
  /// a tuned site's evidence names rules that differ from the shipped ones.
  std::string version;
  /// SHA-256 (64 lowercase hex) over the sources in name order, each as
  /// "<name>\0<byte count>\0<bytes>": identical files give an identical version wherever they lie.
  std::string source_version;
  std::vector<std::string> source_files;  // as named in messages, in name order

  /// nullptr when absent. Linear: rule sets are small and lookups are per finding, not per line.
  const Check* findCheck(std::string_view id) const {
    for (const auto& c : checks) if (c.id == id) return &c;
    return nullptr;
  }
  const L1Rule* findRule(std::string_view id) const {
    for (const auto& r : rules) if (r.id == id) return &r;
    return nullptr;
  }
  const Variable* findVar(std::string_view name) const {
    for (const auto& v : vars) if (v.name == name) return &v;
    return nullptr;
  }
};

}  // namespace rules
