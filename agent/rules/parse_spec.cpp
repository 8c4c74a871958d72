#include "rules/parse_spec.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <utility>

#include "core/duration.h"
#include "core/host_path.h"
#include "rules/regex.h"
#include "rules/vars.h"

namespace rules::detail {

bool hasControl(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

namespace {

using core::yaml::MapReader;
using core::yaml::YamlErrc;
using std::chrono::milliseconds;

constexpr std::string_view kTarget = "{target}";
constexpr std::string_view kFile = "{file}";
constexpr std::string_view kVarRef = "{var.";
// A command or verification that needs longer than this is a job, not a check or a heal step.
constexpr milliseconds kMaxStepTimeout = std::chrono::hours(1);
constexpr milliseconds kMaxCooldown = std::chrono::hours(24 * 30);
// /proc/<pid>/comm holds at most 15 bytes (TASK_COMM_LEN - 1): a longer name can never match.
constexpr std::size_t kMaxCommLength = 15;
constexpr std::size_t kMaxNameLength = 256;

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

std::string replaceAll(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

const char* kindName(const YAML::Node& n) {
  if (!n.IsDefined()) return "nothing";
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Null: return "null";
    default: return "nothing";
  }
}

std::string itemField(const std::string& base, std::size_t i) {
  return base + "[" + std::to_string(i) + "]";
}

bool isToolKey(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameLength || s.front() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.' || c == '+';
  });
}

// User or group: a numeric id, or a name as shadow-utils allows it (with Samba's trailing '$').
bool isAccount(std::string_view s) {
  if (s.empty() || s.size() > 64 || s.front() == '-') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.' || (c == '$' && i + 1 == s.size());
    if (!ok) return false;
  }
  return true;
}

// A file-name glob for file_regex `names`: one path component, `*` and `?` only (no bracket
// classes, no escapes), so what it matches is plain to a reader.
bool isNameGlob(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameLength || s == "." || s == "..") return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f || c == '/' || c == '[' || c == ']' || c == '\\') return false;
  }
  return true;
}

// Dotted sysctl names as /proc/sys spells them with '/' -> '.'. Components must be non-empty so
// the key can never walk out of /proc/sys.
bool isSysctlKey(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameLength || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok || (c == '.' && prev == '.')) return false;
    prev = c;
  }
  return true;
}

bool isConfigKey(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameLength) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f || c == '=' || c == '#' || c == '[' || c == ']') return false;
  }
  return true;
}

// refs: ComplianceAsCode rule ids are lower-case snake case; CIS sections dotted numbers; STIG ids
// (SV-230296r1017207_rule, RHEL-08-010550, V-238201) letters, digits, '-', '_' and '.'.
constexpr std::size_t kMaxRefLength = 128;
// SSG ids are a-z 0-9 _, and '-' where they name a kernel module (kernel_module_usb-storage_disabled).
bool isSsgRuleId(std::string_view s) {
  if (s.empty() || s.size() > kMaxRefLength || !(s.front() >= 'a' && s.front() <= 'z')) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; });
}
bool isCisSection(std::string_view s) {
  if (s.empty() || s.size() > 32 || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.') || (c == '.' && prev == '.')) return false;
    prev = c;
  }
  return true;
}
bool isStigId(std::string_view s) {
  if (s.empty() || s.size() > 64 || !((s.front() >= 'A' && s.front() <= 'Z') || (s.front() >= '0' && s.front() <= '9'))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  });
}

std::optional<Severity> parseSeverity(std::string_view s) {
  if (s == "low") return Severity::Low;
  if (s == "medium") return Severity::Medium;
  if (s == "high") return Severity::High;
  if (s == "critical") return Severity::Critical;
  return std::nullopt;
}

bool isMatchField(std::string_view f) {
  // The fields of a Finding (checks::Finding::field): a name it does not have could never match.
  static constexpr std::string_view kFields[] = {"check_id", "target", "status", "severity", "expected", "actual"};
  for (auto k : kFields) {
    if (f == k) return true;
  }
  constexpr std::string_view kDetails = "details.";
  if (f.substr(0, kDetails.size()) != kDetails || f.size() == kDetails.size()) return false;
  for (char c : f.substr(kDetails.size())) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<std::chrono::sys_days> parseDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto num = [&](std::size_t from, std::size_t len) -> std::optional<int> {
    int v = 0;
    for (std::size_t i = from; i < from + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  const auto y = num(0, 4), m = num(5, 2), d = num(8, 2);
  if (!y || !m || !d) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{*y}, std::chrono::month{unsigned(*m)},
                                        std::chrono::day{unsigned(*d)}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days{ymd};
}

// Field getters with the format's domain rules on top of MapReader. Each reports its own
// problems and returns a best-effort value, so parsing continues and finds the next problem.
class Spec {
 public:
  Spec(const YAML::Node& node, const std::string& field, Ctx& ctx)
      : m(node, ctx.file, field, ctx.diag), ctx_(ctx) {}

  MapReader m;

  void error(YamlErrc code, const YAML::Node& at, const std::string& field, const std::string& msg) {
    ctx_.diag.add(code, ctx_.file, at.IsDefined() ? at.Mark() : YAML::Mark::null_mark(), field, msg);
  }

  /// A single-line string (no control characters); `allow_empty` for values like "". With
  /// `vars`, `{var.NAME}` is replaced by the variable's value in force; without, a reference is
  /// refused (variables are substituted in values, titles and descriptions only).
  std::string text(const std::string& key, bool required, bool allow_empty = false, bool vars = false) {
    auto v = m.str(key, required);
    if (!v) return {};
    if (vars) {
      *v = withVars(*v, m.node(key), m.field(key));
    } else if (contains(*v, kVarRef)) {
      m.badValue(key, "variables ({var.NAME}) are substituted only in expectation and action values, titles and descriptions");
    }
    if (!allow_empty && v->empty()) m.badValue(key, "must not be empty");
    if (hasControl(*v)) m.badValue(key, "must be a single line without control characters");
    return *v;
  }

  /// Free text (file content, descriptions): any bytes but NUL; `{var.NAME}` substituted.
  std::string blob(const std::string& key, bool required) {
    auto v = m.str(key, required);
    if (!v) return {};
    if (contains(*v, std::string_view("\0", 1))) m.badValue(key, "must not contain NUL");
    return withVars(*v, m.node(key), m.field(key));
  }

  /// `text` with every `{var.NAME}` replaced (Ctx::vars); an unknown name is reported at `at`.
  std::string withVars(std::string text, const YAML::Node& at, const std::string& field) {
    static const std::vector<Variable> kNone;
    const std::string problem = substituteVars(text, ctx_.vars ? *ctx_.vars : kNone);
    if (!problem.empty()) error(YamlErrc::BadValue, at, field, problem);
    return text;
  }

  std::string id(const std::string& key) {
    std::string v = text(key, true);
    if (!v.empty() && !isValidId(v)) {
      m.badValue(key, "invalid id '" + v + "': use 1 to 128 of A-Z a-z 0-9 _ . : -, starting with a letter or digit");
    }
    return v;
  }

  std::string hostPath(const std::string& key, bool required, bool in_action) {
    auto v = m.str(key, required);
    if (!v) return {};
    const YAML::Node at = m.node(key);
    return checkHostPath(*v, at, m.field(key), in_action);
  }

  std::string checkHostPath(const std::string& v, const YAML::Node& at, const std::string& field,
                            bool in_action) {
    if (contains(v, kVarRef)) {
      error(YamlErrc::BadValue, at, field, "variables ({var.NAME}) are not substituted in paths");
      return v;
    }
    if (contains(v, kTarget)) {
      if (!in_action) {
        error(YamlErrc::BadValue, at, field, "the {target} placeholder is only substituted in actions");
        return v;
      }
      // The fixed part is checked now; the planner checks the substituted path again. A leading
      // {target} stands for an absolute path (file targets are).
      const std::string probe =
          replaceAll(v.rfind(kTarget, 0) == 0 ? "/" + v : v, kTarget, "T");
      if (contains(probe, "{") || contains(probe, "}")) {
        error(YamlErrc::BadValue, at, field, "unknown placeholder in '" + v + "'; only {target} is substituted");
      } else if (v != kTarget) {
        auto n = core::normaliseHostPath(probe);
        if (!n) error(YamlErrc::BadValue, at, field, replaceAll(n.error(), "'" + probe + "'", "'" + v + "'"));
      }
      return v;
    }
    if (in_action && (contains(v, "{") || contains(v, "}"))) {
      error(YamlErrc::BadValue, at, field, "unknown placeholder in '" + v + "'; only {target} is substituted");
      return v;
    }
    auto n = core::normaliseHostPath(v);
    if (!n) {
      error(YamlErrc::BadValue, at, field, n.error());
      return v;
    }
    return n.value();
  }

  std::vector<std::string> hostPathList(const std::string& key, bool required, bool non_empty) {
    std::vector<std::string> out;
    auto v = m.strList(key, required);
    if (!v) return out;
    const YAML::Node n = m.node(key);
    if (non_empty && v->empty()) m.badValue(key, "must not be empty");
    for (std::size_t i = 0; i < v->size(); ++i) {
      out.push_back(checkHostPath((*v)[i], n[i], itemField(m.field(key), i), false));
    }
    return out;
  }

  std::optional<unsigned> mode(const std::string& key, bool required) {
    auto v = m.str(key, required);
    if (!v) return std::nullopt;
    // 3 to 5 digits: "640", "0640", and "07775" (a leading 0 before the special bits).
    unsigned out = 0;
    bool ok = v->size() >= 3 && v->size() <= 5;
    for (char c : *v) {
      ok = ok && c >= '0' && c <= '7';
      out = out * 8 + unsigned(c - '0');
    }
    ok = ok && out <= 07777;
    if (!ok) {
      m.badValue(key, "invalid mode '" + *v + "': expected octal digits up to 07777, e.g. \"0640\"");
      return std::nullopt;
    }
    return out;
  }

  enum class ArgvKind { Probe, Action, Validate };

  std::vector<std::string> argv(const std::string& key, bool required, ArgvKind kind) {
    auto v = m.strList(key, required);
    if (!v) return {};
    const YAML::Node n = m.node(key);
    if (v->empty()) {
      m.badValue(key, "must not be empty");
      return {};
    }
    if (!isToolKey(v->front())) {
      error(YamlErrc::BadValue, n[0], itemField(m.field(key), 0),
            "'" + v->front() + "' is not a tools: key; argv[0] names a key of the config's tools: "
            "map, never a path");
    }
    bool has_file = false;
    for (std::size_t i = 1; i < v->size(); ++i) {
      const std::string& a = (*v)[i];
      const std::string f = itemField(m.field(key), i);
      if (hasControl(a)) error(YamlErrc::BadValue, n[i], f, "must not contain control characters");
      if (contains(a, kVarRef)) error(YamlErrc::BadValue, n[i], f, "variables ({var.NAME}) are not substituted in commands");
      has_file = has_file || contains(a, kFile);
      if (contains(a, kFile) && kind != ArgvKind::Validate) {
        error(YamlErrc::BadValue, n[i], f, "{file} is only substituted in a validate command");
      }
      if (contains(a, kTarget) && kind == ArgvKind::Probe) {
        error(YamlErrc::BadValue, n[i], f, "the {target} placeholder is only substituted in actions");
      }
    }
    if (kind == ArgvKind::Validate && !has_file) {
      m.badValue(key, "a validate command must read the candidate through {file}");
    }
    return *v;
  }

  std::string unit(const std::string& key, bool required, bool in_action) {
    std::string v = text(key, required);
    if (!v.empty() && !isValidUnit(v, in_action)) {
      m.badValue(key, "invalid unit name '" + v + "'" +
                          (contains(v, kTarget) && !in_action ? ": {target} is only substituted in actions" : ""));
    }
    return v;
  }

  std::string sysctlKey(const std::string& key, bool required, bool in_action) {
    std::string v = text(key, required);
    if (v.empty()) return v;
    if (in_action && v == kTarget) return v;
    if (!isSysctlKey(v)) {
      m.badValue(key, "invalid sysctl key '" + v + "': dotted components of a-z 0-9 _ -, e.g. net.ipv4.ip_forward");
    }
    return v;
  }

  std::string account(const std::string& key, bool required) {
    std::string v = text(key, required);
    if (!v.empty() && !isAccount(v)) {
      m.badValue(key, "invalid user or group '" + v + "': a name or a numeric id");
    }
    return v;
  }

  std::string configKey(const std::string& key, bool in_action) {
    std::string v = text(key, true);
    if (v.empty() || (in_action && v == kTarget)) return v;
    if (!isConfigKey(v)) m.badValue(key, "invalid key '" + v + "': no spaces, '=', '#', '[' or ']'");
    return v;
  }

  ConfigFormat format(const std::string& key) {
    auto v = m.str(key, true);
    if (!v) return ConfigFormat::Sshd;
    if (*v == "sshd") return ConfigFormat::Sshd;
    if (*v == "sysctl") return ConfigFormat::Sysctl;
    if (*v == "ini") return ConfigFormat::Ini;
    if (*v == "keyvalue") return ConfigFormat::KeyValue;
    if (*v == "keyword") return ConfigFormat::Keyword;
    m.badValue(key, "unknown format '" + *v + "'; expected sshd, sysctl, ini or keyvalue");
    return ConfigFormat::Sshd;
  }

  /// `section` is meaningful for ini only; anywhere else it would be silently ignored.
  std::string section(const std::string& key, ConfigFormat f) {
    std::string v = text(key, false);
    if (m.has(key) && f != ConfigFormat::Ini) m.badValue(key, "section is only used with format: ini");
    if (contains(v, "[") || contains(v, "]")) m.badValue(key, "write the section name without brackets");
    return v;
  }

  std::optional<milliseconds> duration(const std::string& key, milliseconds max) {
    auto v = m.str(key);
    if (!v) return std::nullopt;
    auto d = core::parseDuration(*v);
    if (!d) {
      m.badValue(key, d.error().message);
      return std::nullopt;
    }
    if (*d > max) {
      m.badValue(key, "'" + *v + "' is over the maximum of " + core::formatDuration(max));
      return std::nullopt;
    }
    return *d;
  }

  std::optional<std::int64_t> integer(const std::string& key, bool required, std::int64_t lo,
                                      std::int64_t hi) {
    auto v = m.integer(key, required);
    if (!v) return std::nullopt;
    if (*v < lo || *v > hi) {
      m.badValue(key, std::to_string(*v) + " is out of range " + std::to_string(lo) + ".." + std::to_string(hi));
      return std::nullopt;
    }
    return v;
  }

  std::shared_ptr<const re2::RE2> regex(const std::string& key, bool required, std::string& source) {
    auto v = m.str(key, required);
    if (!v) return nullptr;
    source = *v;
    if (contains(*v, kVarRef)) {
      // RE2 would take the reference as literal text: a pattern that never matches what was meant.
      m.badValue(key, "a variable cannot be used in a regex pattern; compare with an expectation (eq, in, le, between)");
      return nullptr;
    }
    auto re = compileRegex(*v);
    if (!re) {
      m.badValue(key, re.error());
      return nullptr;
    }
    return re.value();
  }

  /// Reads op / value / values / ignore_case of an expectation from this map.
  Expectation expectation() {
    Expectation e;
    auto op_text = m.str("op", true);
    const YAML::Node value = m.node("value");
    const YAML::Node values = m.node("values");
    e.ignore_case = m.boolean("ignore_case").value_or(false);
    if (!op_text) return e;
    auto op = parseMatchOp(*op_text);
    if (!op) {
      m.badValue("op", "unknown op '" + *op_text + "'; expected eq, ne, contains, regex, gt, lt, ge, le, between, in, not_in or exists");
      return e;
    }
    e.op = *op;
    if (e.ignore_case && (isNumericOp(e.op) || e.op == MatchOp::Exists)) {
      m.badValue("ignore_case", "ignore_case applies to eq, ne, contains, regex, in and not_in");
    }
    if (e.op == MatchOp::In || e.op == MatchOp::NotIn || e.op == MatchOp::Between) {
      if (value.IsDefined() && values.IsDefined()) {
        m.badValue("values", "give value or values, not both");
        return e;
      }
      const YAML::Node list = values.IsDefined() ? values : value;
      const std::string key = values.IsDefined() ? "values" : "value";
      if (!list.IsDefined()) {
        ctx_.diag.add(YamlErrc::MissingKey, ctx_.file, m.markOf("op"), m.field("values"),
                      std::string(toString(e.op)) + " needs a list of values");
        return e;
      }
      if (!list.IsSequence()) {
        error(YamlErrc::Type, list, m.field(key), std::string("expected a list, got ") + kindName(list));
        return e;
      }
      for (std::size_t i = 0; i < list.size(); ++i) {
        if (!list[i].IsScalar()) {
          error(YamlErrc::Type, list[i], itemField(m.field(key), i), std::string("expected a string, got ") + kindName(list[i]));
        } else {
          e.values.push_back(withVars(list[i].Scalar(), list[i], itemField(m.field(key), i)));
        }
      }
      if (list.size() == 0) m.badValue(key, "must not be empty");
    } else if (e.op == MatchOp::Exists) {
      if (values.IsDefined()) m.badValue("values", "exists takes no list");
      e.value = "true";
      if (value.IsDefined()) {
        auto b = m.boolean("value");
        if (b) e.value = *b ? "true" : "false";
      }
    } else {
      if (values.IsDefined()) m.badValue("values", "only in, not_in and between take a list of values");
      if (!value.IsDefined()) {
        ctx_.diag.add(YamlErrc::MissingKey, ctx_.file, m.markOf("op"), m.field("value"),
                      std::string(toString(e.op)) + " needs a value");
        return e;
      }
      if (!value.IsScalar()) {
        error(YamlErrc::Type, value, m.field("value"), std::string("expected a string, got ") + kindName(value));
        return e;
      }
      e.value = value.Scalar();
      if (e.op == MatchOp::Regex && contains(e.value, kVarRef)) {
        // A value pasted into a pattern would be read as regex syntax: compare with eq, in,
        // lt/le/gt/ge instead.
        m.badValue("value", "a variable cannot be used in a regex pattern; use eq, in, lt, le, gt or ge");
      } else {
        e.value = withVars(e.value, value, m.field("value"));
      }
    }
    const std::string problem = finishExpectation(e);
    if (!problem.empty()) m.badValue("value", problem);
    return e;
  }

  /// A list of maps, each handed to `f(item, field)`.
  template <class F>
  void list(const std::string& key, bool required, bool non_empty, F&& f) {
    const YAML::Node n = m.node(key, required);
    if (!n.IsDefined()) return;
    if (!n.IsSequence()) {
      error(YamlErrc::Type, n, m.field(key), std::string("expected a list, got ") + kindName(n));
      return;
    }
    if (non_empty && n.size() == 0) m.badValue(key, "must not be empty");
    for (std::size_t i = 0; i < n.size(); ++i) f(n[i], itemField(m.field(key), i));
  }

  Ctx& ctx() { return ctx_; }

 private:
  Ctx& ctx_;
};

// ---------------------------------------------------------------------------------------------
// Probes

ProbeSpec parseProbe(const YAML::Node& node, const std::string& field, Ctx& ctx);

std::vector<ProbeSpec> subProbes(Spec& s, Ctx& ctx) {
  std::vector<ProbeSpec> out;
  s.list("probes", true, true, [&](const YAML::Node& item, const std::string& f) {
    out.push_back(parseProbe(item, f, ctx));
  });
  return out;
}

std::vector<PortRange> ports(Spec& s) {
  std::vector<PortRange> out;
  auto v = s.m.strList("ports", true);
  if (!v) return out;
  const YAML::Node n = s.m.node("ports");
  if (v->empty()) s.m.badValue("ports", "must not be empty");
  auto port = [](std::string_view t) -> std::optional<std::uint16_t> {
    unsigned p = 0;
    const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), p);
    if (ec != std::errc() || ptr != t.data() + t.size() || t.empty() || p < 1 || p > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(p);
  };
  for (std::size_t i = 0; i < v->size(); ++i) {
    const std::string& t = (*v)[i];
    const std::size_t dash = t.find('-');
    auto first = port(std::string_view(t).substr(0, dash));
    auto last = dash == std::string::npos ? first : port(std::string_view(t).substr(dash + 1));
    if (!first || !last || *first > *last) {
      s.error(YamlErrc::BadValue, n[i], itemField(s.m.field("ports"), i),
              "invalid port '" + t + "': a number 1..65535 or a range like \"512-514\"");
      continue;
    }
    out.push_back(PortRange{*first, *last});
  }
  return out;
}

// The required `expect: {op, value}` of config_value and sysctl probes.
Expectation requiredExpectation(Spec& s, Ctx& ctx) {
  const YAML::Node node = s.m.node("expect", true);
  if (!node.IsDefined()) return {};
  Spec e(node, s.m.field("expect"), ctx);
  if (!e.m.valid()) return {};
  Expectation out = e.expectation();
  e.m.finish();
  return out;
}

// `missing: pass | fail | not_applicable` of a file probe.
MissingFile missingFile(Spec& s, MissingFile fallback) {
  const auto v = s.m.str("missing", false);
  if (!v) return fallback;
  for (const MissingFile m : {MissingFile::Pass, MissingFile::Fail, MissingFile::NotApplicable}) {
    if (*v == toString(m)) return m;
  }
  s.m.badValue("missing", "unknown value '" + *v + "'; expected pass, fail or not_applicable");
  return fallback;
}

ProbeBody probeBody(const std::string& type, Spec& s, Ctx& ctx) {
  if (type == "file_exists") return FileExistsProbe{s.hostPath("path", true, false)};
  if (type == "file_absent") return FileAbsentProbe{s.hostPath("path", true, false)};
  if (type == "file_mode") {
    FileModeProbe p;
    p.path = s.hostPath("path", true, false);
    p.max_mode = s.mode("max_mode", true).value_or(0);
    p.missing = missingFile(s, p.missing);
    return p;
  }
  if (type == "file_owner") {
    FileOwnerProbe p;
    p.path = s.hostPath("path", true, false);
    if (s.m.has("owner")) p.owner = s.account("owner", false);
    else s.m.node("owner");
    if (s.m.has("group")) p.group = s.account("group", false);
    else s.m.node("group");
    if (!s.m.has("owner") && !s.m.has("group")) s.m.badValue("owner", "give owner, group or both");
    p.missing = missingFile(s, p.missing);
    return p;
  }
  if (type == "file_regex") {
    FileRegexProbe p;
    const bool one = s.m.has("path"), many = s.m.has("paths");
    if (one == many) s.m.badValue(one ? "paths" : "path", "give exactly one of path and paths");
    if (one) p.paths.push_back(s.hostPath("path", false, false));
    else s.m.node("path");
    if (many) p.paths = s.hostPathList("paths", false, true);
    else s.m.node("paths");
    if (s.m.has("names")) {
      p.names = s.text("names", false);
      if (!p.names.empty() && !isNameGlob(p.names)) {
        s.m.badValue("names", "invalid glob '" + p.names + "': one file name with * and ?, no '/', '[', ']' or '\\'");
      }
    } else {
      s.m.node("names");
    }
    p.regex = s.regex("pattern", true, p.pattern);
    p.present = s.m.boolean("present").value_or(true);
    p.skip_comments = s.m.boolean("skip_comments").value_or(true);
    if (s.m.has("comment_prefix")) p.comment_prefix = s.text("comment_prefix", false);
    else s.m.node("comment_prefix");
    return p;
  }
  if (type == "config_value") {
    ConfigValueProbe p;
    const bool one = s.m.has("path"), many = s.m.has("paths");
    if (one == many) {
      s.m.badValue(one ? "paths" : "path", "give exactly one of path and paths");
    }
    if (one) p.paths.push_back(s.hostPath("path", false, false));
    else s.m.node("path");
    if (many) p.paths = s.hostPathList("paths", false, true);
    else s.m.node("paths");
    p.key = s.configKey("key", false);
    p.format = s.format("format");
    p.section = s.section("section", p.format);
    if (s.m.has("default")) p.default_value = s.text("default", false, true);
    else s.m.node("default");
    p.expect = requiredExpectation(s, ctx);
    p.explicit_setting = s.m.boolean("explicit").value_or(false);
    if (const auto c = s.m.str("conflict", false)) {
      if (*c == "fail") p.conflict = Conflict::Fail;
      else if (*c != "precedence") s.m.badValue("conflict", "unknown value '" + *c + "'; expected precedence or fail");
    }
    return p;
  }
  if (type == "file_hash") {
    FileHashProbe p;
    p.path = s.hostPath("path", true, false);
    p.sha256 = s.text("sha256", true);
    std::transform(p.sha256.begin(), p.sha256.end(), p.sha256.begin(),
                   [](char c) { return (c >= 'A' && c <= 'F') ? char(c - 'A' + 'a') : c; });
    const bool hex = p.sha256.size() == 64 &&
                     std::all_of(p.sha256.begin(), p.sha256.end(),
                                 [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
    if (!p.sha256.empty() && !hex) s.m.badValue("sha256", "expected 64 hex digits");
    return p;
  }
  if (type == "dir_scan") {
    DirScanProbe p;
    p.path = s.hostPath("path", true, false);
    auto find = s.m.str("find", true);
    if (find) {
      if (*find == "suid") p.find = ScanFind::Suid;
      else if (*find == "sgid") p.find = ScanFind::Sgid;
      else if (*find == "suid_sgid") p.find = ScanFind::SuidSgid;
      else if (*find == "world_writable") p.find = ScanFind::WorldWritable;
      else s.m.badValue("find", "unknown find '" + *find + "'; expected suid, sgid, suid_sgid or world_writable");
    }
    p.allow = s.hostPathList("allow", false, false);
    p.exclude = s.hostPathList("exclude", false, false);
    p.max_depth = int(s.integer("max_depth", false, 1, 64).value_or(p.max_depth));
    p.max_entries = int(s.integer("max_entries", false, 1, 10'000'000).value_or(p.max_entries));
    p.cross_mounts = s.m.boolean("cross_mounts").value_or(false);
    return p;
  }
  if (type == "sysctl") {
    SysctlProbe p;
    p.key = s.sysctlKey("key", true, false);
    p.expect = requiredExpectation(s, ctx);
    return p;
  }
  if (type == "systemd_unit") {
    SystemdUnitProbe p;
    p.unit = s.unit("unit", true, false);
    p.active = s.m.boolean("active");
    p.enabled = s.m.boolean("enabled");
    if (!s.m.has("active") && !s.m.has("enabled")) {
      s.m.badValue("active", "give active, enabled or both");
    }
    return p;
  }
  if (type == "process_running") {
    ProcessRunningProbe p;
    p.name = s.text("name", true);
    if (contains(p.name, "/")) s.m.badValue("name", "a process name (comm), not a path");
    if (p.name.size() > kMaxCommLength) {
      s.m.badValue("name", "'" + p.name + "' is longer than 15 bytes, so it can never match /proc/<pid>/comm");
    }
    p.running = s.m.boolean("running").value_or(true);
    return p;
  }
  if (type == "port_listening") {
    PortListeningProbe p;
    auto proto = s.m.str("protocol", true);
    if (proto) {
      if (*proto == "tcp") p.protocol = Protocol::Tcp;
      else if (*proto == "udp") p.protocol = Protocol::Udp;
      else s.m.badValue("protocol", "unknown protocol '" + *proto + "'; expected tcp or udp");
    }
    p.ports = ports(s);
    p.listening = s.m.boolean("listening").value_or(false);
    return p;
  }
  if (type == "disk_usage") {
    DiskUsageProbe p;
    p.mounts = s.hostPathList("mounts", true, true);
    p.max_percent = int(s.integer("max_percent", true, 1, 100).value_or(90));
    return p;
  }
  if (type == "cert_expiry") {
    CertExpiryProbe p;
    const bool path = s.m.has("path"), agent = s.m.has("agent_file");
    if (path == agent) s.m.badValue(path ? "agent_file" : "path", "give exactly one of path and agent_file");
    if (path) p.path = s.hostPath("path", false, false);
    else s.m.node("path");
    if (agent) {
      p.agent_file = s.text("agent_file", false);
      if (p.agent_file != "central.client_cert_file") {
        s.m.badValue("agent_file", "unknown agent file '" + p.agent_file + "'; expected central.client_cert_file");
      }
    } else {
      s.m.node("agent_file");
    }
    p.min_days = int(s.integer("min_days", true, 0, 3650).value_or(30));
    return p;
  }
  if (type == "nixos_generation") return NixosGenerationProbe{};
  if (type == "time_sync") return TimeSyncProbe{};
  if (type == "command") {
    CommandProbe p;
    p.argv = s.argv("argv", true, Spec::ArgvKind::Probe);
    p.expect_exit = int(s.integer("expect_exit", false, 0, 255).value_or(0));
    if (s.m.has("expect_output")) {
      std::string src;
      p.expect_output_regex = s.regex("expect_output", false, src);
      p.expect_output = src;
    } else {
      s.m.node("expect_output");
    }
    p.timeout = s.duration("timeout", kMaxStepTimeout);
    if (p.timeout && p.timeout->count() == 0) s.m.badValue("timeout", "must be more than 0s");
    return p;
  }
  if (type == "all" || type == "any" || type == "none") {
    auto probes = subProbes(s, ctx);
    std::string target;
    if (s.m.has("target")) target = s.text("target", false);
    else s.m.node("target");
    if (type == "all") return AllProbe{std::move(probes), std::move(target)};
    if (type == "any") return AnyProbe{std::move(probes), std::move(target)};
    return NoneProbe{std::move(probes), std::move(target)};
  }
  return FileExistsProbe{};  // unreachable: the caller checked the name
}

// The frame shared by probes and actions: position, a `type:` the format defines and this agent
// implements, then the type's own fields, then unknown keys.
template <class SpecT, class Names, class Body>
SpecT parseTyped(const YAML::Node& node, const std::string& field, Ctx& ctx, const char* kind, const Names& names,
                 const std::set<std::string>& implemented, Body&& body) {
  SpecT out;
  out.pos = posOf(ctx.file, node);
  Spec s(node, field, ctx);
  if (!s.m.valid()) return out;
  auto type = s.m.str("type", true);
  // Without a known type every other key would read as unknown: report the type alone.
  if (!type) return out;
  out.type = *type;
  if (std::find(names.begin(), names.end(), out.type) == names.end()) {
    s.m.badValue("type", std::string("unknown ") + kind + " type '" + out.type + "'");
    return out;
  }
  if (implemented.count(out.type) == 0) {
    s.m.badValue("type", std::string(kind) + " type '" + out.type + "' is not implemented in this agent");
    return out;
  }
  out.body = body(out.type, s);
  s.m.finish();
  return out;
}

ProbeSpec parseProbe(const YAML::Node& node, const std::string& field, Ctx& ctx) {
  return parseTyped<ProbeSpec>(node, field, ctx, "probe", kProbeTypeNames, ctx.known.probes,
                               [&](const std::string& type, Spec& s) { return probeBody(type, s, ctx); });
}

// ---------------------------------------------------------------------------------------------
// Actions

std::vector<std::string> validateArgv(Spec& s) {
  if (!s.m.has("validate")) {
    s.m.node("validate");
    return {};
  }
  return s.argv("validate", false, Spec::ArgvKind::Validate);
}

std::optional<std::string> optionalAccount(Spec& s, const std::string& key) {
  if (!s.m.has(key)) {
    s.m.node(key);
    return std::nullopt;
  }
  return s.account(key, false);
}

ActionBody actionBody(const std::string& type, Spec& s) {
  if (type == "restart_service") return RestartServiceAction{{s.unit("unit", true, true)}};
  if (type == "reload_service") return ReloadServiceAction{{s.unit("unit", true, true)}};
  if (type == "start_service") return StartServiceAction{{s.unit("unit", true, true)}};
  if (type == "enable_service") return EnableServiceAction{{s.unit("unit", true, true)}};
  if (type == "set_file_mode") {
    SetFileModeAction a;
    a.path = s.hostPath("path", true, true);
    const bool exact = s.m.has("mode"), mask = s.m.has("max_mode");
    if (exact == mask) s.m.badValue(exact ? "max_mode" : "mode", "give exactly one of mode and max_mode");
    if (mask) {
      a.max_mode = s.mode("max_mode", false);
      a.mode = a.max_mode.value_or(0);
      s.m.node("mode");
    } else {
      a.mode = s.mode("mode", false).value_or(0);
      s.m.node("max_mode");
    }
    return a;
  }
  if (type == "set_file_owner") {
    SetFileOwnerAction a;
    a.path = s.hostPath("path", true, true);
    a.owner = s.account("owner", true);
    a.group = optionalAccount(s, "group");
    return a;
  }
  if (type == "set_config_value") {
    SetConfigValueAction a;
    a.path = s.hostPath("path", true, true);
    a.key = s.configKey("key", true);
    // A newline in the value would write a second, unreviewed directive.
    a.value = s.text("value", true, true, true);
    a.format = s.format("format");
    a.section = s.section("section", a.format);
    a.validate = validateArgv(s);
    return a;
  }
  if (type == "ensure_line") {
    EnsureLineAction a;
    a.path = s.hostPath("path", true, true);
    a.line = s.text("line", true, false, true);
    a.validate = validateArgv(s);
    return a;
  }
  if (type == "remove_line") {
    RemoveLineAction a;
    a.path = s.hostPath("path", true, true);
    a.regex = s.regex("pattern", true, a.pattern);
    a.validate = validateArgv(s);
    return a;
  }
  if (type == "write_file") {
    WriteFileAction a;
    a.path = s.hostPath("path", true, true);
    a.content = s.blob("content", true);
    if (s.m.has("mode")) a.mode = s.mode("mode", false);
    else s.m.node("mode");
    a.owner = optionalAccount(s, "owner");
    a.group = optionalAccount(s, "group");
    a.validate = validateArgv(s);
    return a;
  }
  if (type == "set_sysctl") {
    SetSysctlAction a;
    a.key = s.sysctlKey("key", true, true);
    a.value = s.text("value", true, true, true);
    a.persist_file = s.hostPath("persist_file", true, true);
    return a;
  }
  if (type == "run_command") {
    RunCommandAction a;
    a.argv = s.argv("argv", true, Spec::ArgvKind::Action);
    a.timeout = s.duration("timeout", kMaxStepTimeout);
    if (a.timeout && a.timeout->count() == 0) s.m.badValue("timeout", "must be more than 0s");
    return a;
  }
  if (type == "alert") return AlertAction{s.text("message", true, false, true)};
  if (type == "escalate") return EscalateAction{s.text("reason", true, false, true)};
  if (type == "agent_heal") {
    AgentHealAction a;
    a.check_type = s.text("check_type", true);
    if (!a.check_type.empty() && !isToolKey(a.check_type) && a.check_type != kTarget) {
      s.m.badValue("check_type", "invalid check type '" + a.check_type + "'");
    }
    const YAML::Node params = s.m.node("params");
    if (params.IsDefined()) {
      if (!params.IsMap()) {
        s.error(YamlErrc::Type, params, s.m.field("params"), std::string("expected a map, got ") + kindName(params));
      } else {
        for (const auto& kv : params) {
          const std::string f = s.m.field("params") + "." + (kv.first.IsScalar() ? kv.first.Scalar() : "?");
          if (!kv.first.IsScalar() || !isToolKey(kv.first.Scalar())) {
            s.error(YamlErrc::BadValue, kv.first, f, "invalid parameter name");
          } else if (!kv.second.IsScalar()) {
            s.error(YamlErrc::Type, kv.second, f, std::string("expected a string, got ") + kindName(kv.second));
          } else if (hasControl(kv.second.Scalar())) {
            s.error(YamlErrc::BadValue, kv.second, f, "must be a single line without control characters");
          } else {
            a.params[kv.first.Scalar()] = s.withVars(kv.second.Scalar(), kv.second, f);
          }
        }
      }
    }
    a.timeout = s.duration("timeout", kMaxStepTimeout);
    return a;
  }
  return AlertAction{};  // unreachable: the caller checked the name
}

ActionSpec parseAction(const YAML::Node& node, const std::string& field, Ctx& ctx) {
  return parseTyped<ActionSpec>(node, field, ctx, "action", kActionTypeNames, ctx.known.actions,
                                [](const std::string& type, Spec& s) { return actionBody(type, s); });
}

MatchCondition parseCondition(const YAML::Node& node, const std::string& field, Ctx& ctx) {
  MatchCondition c;
  c.pos = posOf(ctx.file, node);
  Spec s(node, field, ctx);
  if (!s.m.valid()) return c;
  c.field = s.text("field", true);
  if (!c.field.empty() && !isMatchField(c.field)) {
    s.m.badValue("field", "unknown field '" + c.field +
                              "'; expected check_id, target, status, severity, expected, "
                              "actual or details.<name>");
  }
  c.expect = s.expectation();
  // Words from another vocabulary ("pass", "fail") would silently never match.
  std::vector<std::string> words = c.expect.values;
  if (c.expect.op == MatchOp::Eq || c.expect.op == MatchOp::Ne) words.push_back(c.expect.value);
  const bool enumerated = c.expect.op == MatchOp::Eq || c.expect.op == MatchOp::Ne ||
                          c.expect.op == MatchOp::In || c.expect.op == MatchOp::NotIn;
  if (enumerated && c.field == "status") {
    for (const auto& w : words) {
      if (!isFindingStatus(w)) {
        s.m.badValue("value", "unknown status '" + w + "'; expected compliant, drifted, error, not_applicable or waived");
      }
    }
  }
  if (enumerated && c.field == "severity") {
    for (const auto& w : words) {
      if (!parseSeverity(w)) s.m.badValue("value", "unknown severity '" + w + "'; expected low, medium, high or critical");
    }
  }
  s.m.finish();
  return c;
}

}  // namespace

bool isValidId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  const char f = id.front();
  if (!((f >= 'a' && f <= 'z') || (f >= 'A' && f <= 'Z') || (f >= '0' && f <= '9'))) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ':' || c == '-';
  });
}

bool isValidUnit(std::string_view unit, bool allow_target) {
  std::string u(unit);
  if (allow_target) u = replaceAll(u, kTarget, "T");
  if (u.empty() || u.size() > kMaxNameLength || u.front() == '-' || u.front() == '.') return false;
  return std::all_of(u.begin(), u.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
           c == '_' || c == '.' || c == '@' || c == '-' || c == '\\';
  });
}

bool isFindingStatus(std::string_view s) {
  return s == "compliant" || s == "drifted" || s == "error" || s == "not_applicable" || s == "waived";
}

std::optional<MatchOp> parseMatchOp(std::string_view s) {
  if (s == "eq") return MatchOp::Eq;
  if (s == "ne") return MatchOp::Ne;
  if (s == "contains") return MatchOp::Contains;
  if (s == "regex") return MatchOp::Regex;
  if (s == "gt") return MatchOp::Gt;
  if (s == "lt") return MatchOp::Lt;
  if (s == "le") return MatchOp::Le;
  if (s == "ge") return MatchOp::Ge;
  if (s == "between") return MatchOp::Between;
  if (s == "in") return MatchOp::In;
  if (s == "not_in") return MatchOp::NotIn;
  if (s == "exists") return MatchOp::Exists;
  return std::nullopt;
}

std::string finishExpectation(Expectation& e) {
  auto number = [&](const std::string& text, double& out) -> std::string {
    const char* b = text.data();
    const char* end = b + text.size();
    if (b != end && *b == '+') ++b;  // from_chars takes no '+', operators may write one
    if (b != end && *b == '-' && b != text.data()) b = end;  // "+-3" is not a number
    const auto [ptr, ec] = std::from_chars(b, end, out);
    if (b == end || ec != std::errc() || ptr != end || !std::isfinite(out)) {
      return std::string(toString(e.op)) + " compares numbers; '" + text + "' is not a number";
    }
    return {};
  };
  if (e.op == MatchOp::Between) {
    if (e.values.size() != 2) return "between takes two bounds, [low, high] (inclusive)";
    if (auto p = number(e.values[0], e.number); !p.empty()) return p;
    if (auto p = number(e.values[1], e.number_max); !p.empty()) return p;
    if (e.number > e.number_max) return "between: the low bound " + e.values[0] + " is above the high bound " + e.values[1];
  } else if (isNumericOp(e.op)) {
    if (auto p = number(e.value, e.number); !p.empty()) return p;
  }
  if (e.op == MatchOp::Regex) {
    auto re = compileRegex(e.ignore_case ? "(?i)" + e.value : e.value);
    if (!re) return re.error();
    e.regex = re.value();
  }
  if (hasControl(e.value)) return "must be a single line without control characters";
  return {};
}

SourcePos posOf(const std::string& file, const YAML::Node& node) {
  if (!node.IsDefined()) return SourcePos{file, 0, 0};
  const YAML::Mark m = node.Mark();
  return SourcePos{file, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0};
}

// `refs: {ssg: sshd_disable_root_login, cis: "5.2.10"}`: at least one key, each a string (a CIS
// section must be quoted: 5.2 would be a YAML number and 5.10 would read as 5.1).
static CheckRefs parseRefs(const YAML::Node& node, const std::string& field, Ctx& ctx) {
  CheckRefs r;
  Spec s(node, field, ctx);
  if (!s.m.valid()) return r;
  auto get = [&](const std::string& key, bool (*ok)(std::string_view), const char* what, const char* hint) {
    const YAML::Node n = s.m.node(key);
    if (n.IsDefined() && n.IsScalar() && n.Tag() == "?") {
      // An unquoted 5.2.10 is a string to YAML, but 5.2 is a float: refuse what a parser could
      // have turned into a number, so "5.10" never silently becomes 5.1 in another tool.
      const std::string& raw = n.Scalar();
      const bool numeric = !raw.empty() && std::all_of(raw.begin(), raw.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; }) &&
                           std::count(raw.begin(), raw.end(), '.') <= 1;
      if (numeric) {
        s.m.badValue(key, "'" + raw + "' reads as a number in YAML; quote it: \"" + raw + "\"");
        return std::string();
      }
    }
    std::string v = s.text(key, false);
    if (!v.empty() && !ok(v)) s.m.badValue(key, "invalid " + std::string(what) + " '" + v + "': " + hint);
    return v;
  };
  // ssg: one rule id, or a list of them (a check of owner and group implements two SSG rules).
  constexpr const char* kSsgHint = "up to 128 of a-z 0-9 _ -, starting with a letter, e.g. sshd_disable_root_login";
  if (const YAML::Node n = s.m.node("ssg"); n.IsDefined() && n.IsSequence()) {
    if (auto list = s.m.strList("ssg")) {
      if (list->empty()) s.m.badValue("ssg", "must not be empty (leave it out, or name a rule)");
      for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string& v = (*list)[i];
        if (!isSsgRuleId(v)) {
          s.error(YamlErrc::BadValue, n[i], itemField(s.m.field("ssg"), i), "invalid SSG rule id '" + v + "': " + kSsgHint);
        } else if (std::find(r.ssg.begin(), r.ssg.end(), v) != r.ssg.end()) {
          s.error(YamlErrc::BadValue, n[i], itemField(s.m.field("ssg"), i), "SSG rule '" + v + "' is listed twice");
        } else {
          r.ssg.push_back(v);
        }
      }
    }
  } else if (std::string v = get("ssg", isSsgRuleId, "SSG rule id", kSsgHint); !v.empty()) {
    r.ssg.push_back(std::move(v));
  }
  r.cis = get("cis", isCisSection, "CIS section", "dotted numbers, e.g. \"5.2.10\"");
  r.stig = get("stig", isStigId, "STIG id", "up to 64 of A-Z a-z 0-9 _ - ., e.g. SV-230296r1017207_rule");
  if (r.empty() && node.IsMap() && node.size() == 0) s.m.badValue("ssg", "refs must name at least one of ssg, cis, stig");
  s.m.finish();
  return r;
}

Check parseCheck(const YAML::Node& node, const std::string& field, Ctx& ctx) {
  Check c;
  c.pos = posOf(ctx.file, node);
  Spec s(node, field, ctx);
  if (!s.m.valid()) return c;
  c.id = s.id("id");
  c.title = s.text("title", true, false, true);
  c.description = s.blob("description", false);
  if (auto p = s.m.strList("platforms")) {
    c.platforms.clear();
    if (p->empty()) s.m.badValue("platforms", "must not be empty (leave it out for both)");
    for (const auto& name : *p) {
      Platform pl = Platform::Linux;
      if (name == "nixos") pl = Platform::Nixos;
      else if (name != "linux") {
        s.m.badValue("platforms", "unknown platform '" + name + "'; expected linux or nixos");
        continue;
      }
      if (c.runsOn(pl)) s.m.badValue("platforms", "platform '" + name + "' is listed twice");
      else c.platforms.push_back(pl);
    }
  }
  if (auto sev = s.m.str("severity", true)) {
    auto v = parseSeverity(*sev);
    if (v) c.severity = *v;
    else s.m.badValue("severity", "unknown severity '" + *sev + "'; expected low, medium, high or critical");
  }
  if (auto h = s.m.strList("hipaa")) {
    for (const auto& cite : *h) {
      if (cite.empty() || hasControl(cite)) s.m.badValue("hipaa", "citations must be non-empty single lines");
    }
    c.hipaa = *h;
  }
  const YAML::Node probe = s.m.node("probe", true);
  if (probe.IsDefined()) c.probe = parseProbe(probe, s.m.field("probe"), ctx);
  const YAML::Node gate = s.m.node("applies_if");
  if (gate.IsDefined()) c.applies_if = parseProbe(gate, s.m.field("applies_if"), ctx);
  const YAML::Node refs = s.m.node("refs");
  if (refs.IsDefined()) c.refs = parseRefs(refs, s.m.field("refs"), ctx);
  s.m.finish();
  return c;
}

L1Rule parseRule(const YAML::Node& node, const std::string& field, Ctx& ctx) {
  L1Rule r;
  r.pos = posOf(ctx.file, node);
  Spec s(node, field, ctx);
  if (!s.m.valid()) return r;
  r.id = s.id("id");
  r.name = s.text("name", true, false, true);
  r.description = s.blob("description", false);
  if (auto tiers = s.m.strList("tiers", true)) {
    if (tiers->empty()) s.m.badValue("tiers", "must not be empty: list standard, full_coverage or both");
    for (const auto& t : *tiers) {
      Tier tier = Tier::Standard;
      if (t == "full_coverage") tier = Tier::FullCoverage;
      else if (t != "standard") {
        s.m.badValue("tiers", "unknown tier '" + t + "'; expected standard or full_coverage");
        continue;
      }
      if (std::find(r.tiers.begin(), r.tiers.end(), tier) != r.tiers.end()) {
        s.m.badValue("tiers", "tier '" + t + "' is listed twice");
      } else {
        r.tiers.push_back(tier);
      }
    }
  }
  s.list("match", true, true, [&](const YAML::Node& item, const std::string& f) {
    r.match.push_back(parseCondition(item, f, ctx));
  });
  s.list("actions", true, true, [&](const YAML::Node& item, const std::string& f) {
    r.actions.push_back(parseAction(item, f, ctx));
  });
  r.verify_after = s.duration("verify_after", kMaxStepTimeout).value_or(milliseconds(0));
  r.cooldown = s.duration("cooldown", kMaxCooldown).value_or(std::chrono::minutes(10));
  r.max_attempts = int(s.integer("max_attempts", false, 1, 1000).value_or(3));
  r.disruptive = s.m.boolean("disruptive").value_or(false);
  if (auto mode = s.m.str("mode")) {
    if (*mode == "audit") r.mode = RuleMode::Audit;
    else if (*mode != "enforce") s.m.badValue("mode", "unknown mode '" + *mode + "'; expected enforce or audit");
  }
  r.priority = int(s.integer("priority", false, 0, 1'000'000).value_or(100));
  s.m.finish();
  return r;
}

Waiver parseWaiver(const YAML::Node& node, const std::string& field, Ctx& ctx) {
  Waiver w;
  w.pos = posOf(ctx.file, node);
  Spec s(node, field, ctx);
  if (!s.m.valid()) return w;
  w.check_id = s.id("check_id");
  w.target = s.text("target", true);
  w.reason = s.text("reason", true);
  w.approved_by = s.text("approved_by", true);
  if (auto e = s.m.str("expires", true)) {
    auto d = parseDate(*e);
    if (d) w.expires = *d;
    else s.m.badValue("expires", "invalid date '" + *e + "': expected YYYY-MM-DD");
  }
  s.m.finish();
  return w;
}

}  // namespace rules::detail

namespace rules::detail {

void mergeWithId(const core::yaml::Diagnostics& from, const std::string& id,
                 core::yaml::Diagnostics& to) {
  for (auto e : from.errors()) {
    // A malformed id is reported on its own; repeating it in every message would only add noise.
    if (isValidId(id)) e.message = "(" + id + ") " + e.message;
    to.add(std::move(e));
  }
}

}  // namespace rules::detail
