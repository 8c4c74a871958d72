#include "config/file_schema.h"

#include "core/host_path.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "core/duration.h"

namespace config::detail {
namespace {

using core::yaml::Diagnostics;
using core::yaml::MapReader;
using core::yaml::YamlErrc;

// Durations: intervals below a second would make the agent spin; nothing sensible is longer than
// a year, and the cap also catches values that core::parseDuration can no longer represent.
constexpr milliseconds kMinInterval{1000};
constexpr milliseconds kMinTimeout{1};
constexpr milliseconds kMaxDuration{366LL * 86'400'000};
// A backup is the way back from a heal gone wrong: kept at least long enough for someone to look.
constexpr milliseconds kMinBackupRetention{3'600'000};
// parseDuration wraps silently past ~2e11 days; more than 10 digits is refused before calling it.
constexpr std::size_t kMaxDurationDigits = 10;

bool hasControl(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

std::string quoted(std::string_view s) {
  std::string out = "'";
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "'";
}

// Splits on '/', dropping empty and "." components.
std::vector<std::string_view> components(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    const std::string_view c = path.substr(i, j - i);
    if (!c.empty() && c != ".") out.push_back(c);
    i = j + 1;
  }
  return out;
}

std::string joinAbsolute(const std::vector<std::string_view>& parts) {
  if (parts.empty()) return "/";
  std::string out;
  for (auto p : parts) {
    out += '/';
    out += p;
  }
  return out;
}

// site_id / appliance_id: they appear unquoted in log lines, metric labels and messages, so no
// whitespace or control characters. (This also catches yaml-cpp accepting a quoted string left
// unterminated at the end of a file, which swallows the following lines into the value.)
void readId(MapReader& m, const std::string& key, std::string& out) {
  auto s = m.str(key);
  if (!s) return;
  for (unsigned char c : *s) {
    if (c <= 0x20 || c == 0x7f) {
      m.badValue(key, "an id cannot contain spaces or control characters, got " + quoted(*s));
      return;
    }
  }
  out = *s;
}

void readAgentPath(MapReader& m, const std::string& key, std::string& out, bool allow_empty) {
  auto s = m.str(key);
  if (!s) return;
  if (s->empty()) {
    if (allow_empty) out.clear();
    else m.badValue(key, "must not be empty: give an absolute path");
    return;
  }
  std::string problem;
  auto p = normaliseAgentPath(*s, problem);
  if (!p) {
    m.badValue(key, problem);
    return;
  }
  out = *p;
}

void readDuration(MapReader& m, const std::string& key, milliseconds& out, milliseconds min) {
  auto s = m.str(key);
  if (!s) return;
  std::size_t digits = 0;
  while (digits < s->size() && (*s)[digits] >= '0' && (*s)[digits] <= '9') ++digits;
  if (digits > kMaxDurationDigits) {
    m.badValue(key, "duration " + quoted(*s) + " is too large; at most " + core::formatDuration(kMaxDuration));
    return;
  }
  auto d = core::parseDuration(*s);
  if (!d) {
    m.badValue(key, d.error().message);
    return;
  }
  if (*d < min) {
    m.badValue(key, "duration " + quoted(*s) + " is too short; at least " + core::formatDuration(min));
    return;
  }
  if (*d > kMaxDuration) {
    m.badValue(key, "duration " + quoted(*s) + " is too large; at most " + core::formatDuration(kMaxDuration));
    return;
  }
  out = *d;
}

void readInt(MapReader& m, const std::string& key, int& out, std::int64_t min, std::int64_t max) {
  auto v = m.integer(key);
  if (!v) return;
  if (*v < min || *v > max) {
    m.badValue(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                        ", got " + std::to_string(*v));
    return;
  }
  out = static_cast<int>(*v);
}

template <class E>
void readEnum(MapReader& m, const std::string& key, E& out,
              const std::function<std::optional<E>(std::string_view)>& parse, const char* accepted) {
  auto s = m.str(key);
  if (!s) return;
  auto v = parse(*s);
  if (!v) {
    m.badValue(key, "unknown value " + quoted(*s) + "; expected one of: " + accepted);
    return;
  }
  out = *v;
}

bool isHexKey(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return false;
  }
  return true;
}

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

constexpr const char* kHexKeyHelp = "expected an Ed25519 public key as 64 hex digits";

// The position of list item `i` of `key`, for messages about one item.
YAML::Mark itemMark(MapReader& m, const std::string& key, std::size_t i) {
  const YAML::Node list = m.node(key);
  if (list.IsDefined() && list.IsSequence() && i < list.size()) return list[i].Mark();
  return m.markOf(key);
}

std::string itemField(const MapReader& m, const std::string& key, std::size_t i) {
  return m.field(key) + "[" + std::to_string(i) + "]";
}

void readHexKeyList(MapReader& m, const std::string& key, std::vector<std::string>& out) {
  auto list = m.strList(key);
  if (!list) return;
  std::vector<std::string> keys;
  bool ok = true;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string& k = (*list)[i];
    if (!isHexKey(k)) {
      m.diagnostics().add(YamlErrc::BadValue, m.file(), itemMark(m, key, i), itemField(m, key, i),
                          std::string(kHexKeyHelp) + ", got " + quoted(k));
      ok = false;
      continue;
    }
    keys.push_back(lower(k));
  }
  if (ok) out = std::move(keys);
}

void readIdList(MapReader& m, const std::string& key, std::vector<std::string>& out) {
  auto list = m.strList(key);
  if (!list) return;
  bool ok = true;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string& id = (*list)[i];
    bool bad = id.empty() || hasControl(id);
    for (char c : id) bad = bad || c == ' ';
    if (bad) {
      m.diagnostics().add(YamlErrc::BadValue, m.file(), itemMark(m, key, i), itemField(m, key, i),
                          "expected a check id (no spaces), got " + quoted(id));
      ok = false;
    }
  }
  if (ok) out = std::move(*list);
}

void readWritablePaths(MapReader& m, const std::string& key, std::vector<std::string>& out) {
  auto list = m.strList(key);
  if (!list) return;
  std::vector<std::string> paths;
  bool ok = true;
  for (std::size_t i = 0; i < list->size(); ++i) {
    std::string problem;
    auto p = normaliseHostPath((*list)[i], problem);
    if (!p) {
      m.diagnostics().add(YamlErrc::BadValue, m.file(), itemMark(m, key, i), itemField(m, key, i), problem);
      ok = false;
      continue;
    }
    paths.push_back(std::move(*p));
  }
  if (ok) out = std::move(paths);
}

// "host:port" with port 1-65535; an IPv6 host is bracketed ("[::1]:50051"). Returns a problem or "".
std::string hostPortProblem(std::string_view s) {
  const std::string help = "expected host:port (IPv6 in brackets: [::1]:50051), got " + quoted(s);
  std::size_t colon;
  if (!s.empty() && s.front() == '[') {
    const std::size_t close = s.find(']');
    if (close == std::string_view::npos || close == 1 || close + 1 >= s.size() || s[close + 1] != ':') return help;
    colon = close + 1;
  } else {
    colon = s.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || s.substr(0, colon).find(':') != std::string_view::npos) {
      return help;
    }
  }
  const std::string_view port = s.substr(colon + 1);
  if (port.empty() || port.size() > 5) return help;
  int n = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return help;
    n = n * 10 + (c - '0');
  }
  if (n < 1 || n > 65535) return "port must be 1-65535, got " + quoted(port);
  for (char c : s.substr(0, colon)) {
    if (c == ' ' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '/') return help;
  }
  return "";
}

void readEndpoint(MapReader& m, const std::string& key, std::string& out) {
  auto s = m.str(key);
  if (!s) return;
  if (s->empty()) {
    out.clear();
    return;
  }
  if (s->rfind("unix:", 0) == 0) {
    std::string problem;
    auto p = normaliseAgentPath(s->substr(5), problem);
    if (!p) {
      m.badValue(key, "unix socket: " + problem);
      return;
    }
    out = "unix:" + *p;
    return;
  }
  const std::string problem = hostPortProblem(*s);
  if (!problem.empty()) {
    m.badValue(key, problem + "; or unix:/path, or \"\" for offline");
    return;
  }
  out = *s;
}

bool validToolName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// tools: a map whose keys are the schema (tool names), so MapReader does not fit; the same
// checks are done by hand with the same positions.
void readTools(MapReader& root, AgentConfig& cfg) {
  const YAML::Node tools = root.node("tools");
  if (!tools.IsDefined()) return;
  Diagnostics& diag = root.diagnostics();
  const std::string& file = root.file();
  if (!tools.IsMap()) {
    diag.add(YamlErrc::Type, file, tools.Mark(), "tools", "expected a map of tool name to absolute path");
    return;
  }
  std::map<std::string, std::string> merged = cfg.tools;
  bool ok = true;
  for (const auto& kv : tools) {
    const YAML::Node& k = kv.first;
    const YAML::Node& v = kv.second;
    if (!k.IsScalar() || !validToolName(k.Scalar())) {
      const std::string name = k.IsScalar() ? k.Scalar() : std::string("(not a string)");
      diag.add(YamlErrc::BadValue, file, k.Mark(), "tools." + name,
               "tool names use only a-z, 0-9, '_' and '-', got " + quoted(name));
      ok = false;
      continue;
    }
    const std::string field = "tools." + k.Scalar();
    auto path = core::yaml::scalarString(v, file, field, diag);
    if (!path) {
      ok = false;
      continue;
    }
    std::string problem;
    auto p = normaliseAgentPath(*path, problem);
    if (!p) {
      diag.add(YamlErrc::BadValue, file, v.Mark(), field,
               problem + " (tools are never looked up in PATH)");
      ok = false;
      continue;
    }
    merged[k.Scalar()] = *p;
  }
  if (ok) cfg.tools = std::move(merged);
}

// vars: rule-set variable name -> value. The names and values are the rules' to judge (they
// declare the variables, with types and bounds); here only the shape is checked.
void readVars(MapReader& root, AgentConfig& cfg) {
  const YAML::Node vars = root.node("vars");
  if (!vars.IsDefined() || vars.IsNull()) return;
  Diagnostics& diag = root.diagnostics();
  const std::string& file = root.file();
  if (!vars.IsMap()) {
    diag.add(YamlErrc::Type, file, vars.Mark(), "vars", "expected a map of rule variable name to value");
    return;
  }
  for (const auto& kv : vars) {
    const YAML::Node& k = kv.first;
    const std::string name = k.IsScalar() ? k.Scalar() : std::string("(not a string)");
    bool ok = k.IsScalar() && !name.empty() && name.size() <= 64 && name[0] >= 'a' && name[0] <= 'z';
    for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    if (!ok) {
      diag.add(YamlErrc::BadValue, file, k.Mark(), "vars." + name,
               "variable names use a-z, 0-9 and '_', starting with a letter, got " + quoted(name));
      continue;
    }
    auto value = core::yaml::scalarString(kv.second, file, "vars." + name, diag);
    if (!value) continue;
    const YAML::Mark m = kv.second.Mark();
    cfg.vars[name] = VarSetting{*value, m.line + 1, m.column + 1};
  }
}

// Two settings that only work together (a certificate and its key).
void requirePair(MapReader& m, const std::string& a, const std::string& va, const std::string& b,
                 const std::string& vb) {
  if (va.empty() == vb.empty()) return;
  const std::string& missing = va.empty() ? a : b;
  const std::string& given = va.empty() ? b : a;
  m.badValue(given, given + " is set but " + missing + " is not; set both or neither");
}

void readCentral(MapReader& root, CentralConfig& c) {
  MapReader m(root.node("central"), root.file(), root.field("central"), root.diagnostics(), true);
  readEndpoint(m, "endpoint", c.endpoint);
  readAgentPath(m, "ca_file", c.ca_file, true);
  readAgentPath(m, "api_key_file", c.api_key_file, true);
  readAgentPath(m, "client_cert_file", c.client_cert_file, true);
  readAgentPath(m, "client_key_file", c.client_key_file, true);
  readDuration(m, "checkin_interval", c.checkin_interval, kMinInterval);
  readDuration(m, "timeout", c.timeout, kMinTimeout);
  if (auto k = m.str("server_public_key")) {
    if (k->empty()) c.server_public_key.clear();
    else if (isHexKey(*k)) c.server_public_key = lower(*k);
    else m.badValue("server_public_key", std::string(kHexKeyHelp) + ", or \"\"; got " + quoted(*k));
  }
  requirePair(m, "client_cert_file", c.client_cert_file, "client_key_file", c.client_key_file);
  m.finish();
}

void readRules(MapReader& root, RulesConfig& r) {
  MapReader m(root.node("rules"), root.file(), root.field("rules"), root.diagnostics(), true);
  readAgentPath(m, "dir", r.dir, false);
  readHexKeyList(m, "trusted_keys", r.trusted_keys);
  readEnum<Tier>(m, "tier", r.tier, parseTier, "standard, full_coverage");
  m.finish();
}

void readChecks(MapReader& root, ChecksConfig& c) {
  MapReader m(root.node("checks"), root.file(), root.field("checks"), root.diagnostics(), true);
  readDuration(m, "interval", c.interval, kMinInterval);
  readDuration(m, "command_timeout", c.command_timeout, kMinTimeout);
  readIdList(m, "disabled", c.disabled);
  m.finish();
}

void readHealing(MapReader& root, HealingConfig& h, ConfigOrigin& origin) {
  MapReader m(root.node("healing"), root.file(), root.field("healing"), root.diagnostics(), true);
  if (auto v = m.boolean("dry_run")) {
    h.dry_run = *v;
    origin.dry_run_source = DryRunSource::File;
  }
  readWritablePaths(m, "writable_paths", h.writable_paths);
  if (auto w = m.str("maintenance_window")) {
    if (w->empty()) {
      h.maintenance_window.reset();
    } else if (auto parsed = parseMaintenanceWindow(*w)) {
      h.maintenance_window = *parsed;
    } else {
      m.badValue("maintenance_window", parsed.error());
    }
  }
  readInt(m, "max_actions_per_hour", h.max_actions_per_hour, 1, 1'000'000);
  readDuration(m, "attempt_window", h.attempt_window, kMinTimeout);
  readInt(m, "flap_threshold", h.flap_threshold, 1, 1'000);
  readDuration(m, "flap_window", h.flap_window, kMinTimeout);
  readDuration(m, "command_timeout", h.command_timeout, kMinTimeout);
  readDuration(m, "backup_retention", h.backup_retention, kMinBackupRetention);
  m.finish();
}

void readEvidence(MapReader& root, EvidenceConfig& e) {
  MapReader m(root.node("evidence"), root.file(), root.field("evidence"), root.diagnostics(), true);
  readInt(m, "retention_days", e.retention_days, 1, 36'500);
  readInt(m, "max_disk_mb", e.max_disk_mb, 1, 1 << 30);
  readInt(m, "segment_kb", e.segment_kb, 16, 1 << 16);
  m.finish();
}

void readMetrics(MapReader& root, MetricsConfig& mc) {
  MapReader m(root.node("metrics"), root.file(), root.field("metrics"), root.diagnostics(), true);
  readAgentPath(m, "textfile_dir", mc.textfile_dir, true);
  m.finish();
}

void readGateway(MapReader& root, GatewayConfig& g) {
  MapReader m(root.node("gateway"), root.file(), root.field("gateway"), root.diagnostics(), true);
  if (auto v = m.boolean("enabled")) g.enabled = *v;
  if (auto s = m.str("listen")) {
    const std::string problem = hostPortProblem(*s);
    if (problem.empty()) g.listen = *s;
    else m.badValue("listen", problem);
  }
  readAgentPath(m, "cert_file", g.cert_file, true);
  readAgentPath(m, "key_file", g.key_file, true);
  requirePair(m, "cert_file", g.cert_file, "key_file", g.key_file);
  m.finish();
}

}  // namespace

std::optional<std::string> normaliseAgentPath(std::string_view path, std::string& problem) {
  if (path.empty() || path.front() != '/') {
    problem = "must be an absolute path, got " + quoted(path);
    return std::nullopt;
  }
  if (hasControl(path)) {
    problem = "control characters are not allowed in a path: " + quoted(path);
    return std::nullopt;
  }
  return joinAbsolute(components(path));
}

std::optional<std::string> normaliseHostPath(std::string_view path, std::string& problem) {
  // The rule loader's normaliser: writable_paths and rule paths must compare in one spelling.
  auto p = core::normaliseHostPath(path);
  if (!p.ok()) {
    problem = p.error() + " (host paths are written as if host_root were /)";
    return std::nullopt;
  }
  return std::move(*p);
}

void applyFile(const YAML::Node& doc, const std::string& file, AgentConfig& cfg, Diagnostics& diag) {
  MapReader root(doc, file, "", diag, /*allow_null=*/true);  // an empty file means all defaults
  readId(root, "site_id", cfg.site_id);
  readId(root, "appliance_id", cfg.appliance_id);
  readAgentPath(root, "host_root", cfg.host_root, false);
  readEnum<LiveStateMode>(root, "live_state", cfg.live_state, parseLiveStateMode, "auto, on, off");
  if (auto p = root.str("platform")) {
    if (p->empty() || *p == "nixos" || *p == "linux") cfg.platform = *p;
    else root.badValue("platform", "unknown platform " + quoted(*p) + "; expected nixos, linux, or \"\" to detect it");
  }
  readAgentPath(root, "state_dir", cfg.state_dir, false);
  readEnum<LogLevel>(root, "log_level", cfg.log_level, parseLogLevel, "trace, debug, info, warn, error");
  readCentral(root, cfg.central);
  readRules(root, cfg.rules);
  readChecks(root, cfg.checks);
  readHealing(root, cfg.healing, cfg.origin);
  readEvidence(root, cfg.evidence);
  readMetrics(root, cfg.metrics);
  readGateway(root, cfg.gateway);
  readTools(root, cfg);
  readVars(root, cfg);
  root.finish();
}

}  // namespace config::detail
