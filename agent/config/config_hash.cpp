#include "config/config_hash.h"

#include <string_view>

#include "core/sha256.h"

namespace config {
namespace {

// JSON string quoting: a value holding a newline or a quote cannot imitate another line, so two
// different configurations never share a canonical text.
std::string quote(std::string_view s) {
  static const char* hex = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

class Canon {
 public:
  void str(std::string_view key, std::string_view v) { line(key, quote(v)); }
  void boolean(std::string_view key, bool v) { line(key, v ? "true" : "false"); }
  void number(std::string_view key, long long v) { line(key, std::to_string(v)); }
  void duration(std::string_view key, milliseconds v) { line(key, std::to_string(v.count()) + "ms"); }
  void list(std::string_view key, const std::vector<std::string>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + quote(v[i]);
    line(key, s + "]");
  }
  std::string text() && { return std::move(out_); }

 private:
  void line(std::string_view key, const std::string& value) {
    out_.append(key);
    out_ += '=';
    out_ += value;
    out_ += '\n';
  }
  // Bump the version when the form changes, so old and new hashes are never compared as equal.
  std::string out_ = "compliance-agent-config/3\n";
};

}  // namespace

std::string canonicalConfigText(const AgentConfig& c) {
  Canon k;
  k.str("site_id", c.site_id);
  k.str("appliance_id", c.appliance_id);
  k.str("host_root", c.host_root);
  k.str("live_state", toString(c.live_state));
  k.str("platform", c.platform);
  k.str("state_dir", c.state_dir);
  k.str("log_level", toString(c.log_level));
  k.str("central.endpoint", c.central.endpoint);
  k.str("central.ca_file", c.central.ca_file);
  k.str("central.api_key_file", c.central.api_key_file);
  k.str("central.client_cert_file", c.central.client_cert_file);
  k.str("central.client_key_file", c.central.client_key_file);
  k.duration("central.checkin_interval", c.central.checkin_interval);
  k.duration("central.timeout", c.central.timeout);
  k.str("central.server_public_key", c.central.server_public_key);
  k.str("rules.dir", c.rules.dir);
  k.list("rules.trusted_keys", c.rules.trusted_keys);
  k.str("rules.tier", toString(c.rules.tier));
  k.duration("checks.interval", c.checks.interval);
  k.duration("checks.command_timeout", c.checks.command_timeout);
  k.list("checks.disabled", c.checks.disabled);
  k.boolean("healing.dry_run", c.healing.dry_run);
  k.list("healing.writable_paths", c.healing.writable_paths);
  k.str("healing.maintenance_window",
        c.healing.maintenance_window ? c.healing.maintenance_window->format() : std::string());
  k.number("healing.max_actions_per_hour", c.healing.max_actions_per_hour);
  k.duration("healing.attempt_window", c.healing.attempt_window);
  k.number("healing.flap_threshold", c.healing.flap_threshold);
  k.duration("healing.flap_window", c.healing.flap_window);
  k.duration("healing.command_timeout", c.healing.command_timeout);
  k.duration("healing.backup_retention", c.healing.backup_retention);
  k.number("evidence.retention_days", c.evidence.retention_days);
  k.number("evidence.max_disk_mb", c.evidence.max_disk_mb);
  k.number("evidence.segment_kb", c.evidence.segment_kb);
  k.str("metrics.textfile_dir", c.metrics.textfile_dir);
  k.boolean("gateway.enabled", c.gateway.enabled);
  k.str("gateway.listen", c.gateway.listen);
  k.str("gateway.cert_file", c.gateway.cert_file);
  k.str("gateway.key_file", c.gateway.key_file);
  // std::map iterates in name order. Names are quoted too: a config built in code is not held to
  // the file's [a-z0-9_-].
  for (const auto& [name, path] : c.tools) k.str("tools[" + quote(name) + "]", path);
  return std::move(k).text();
}

std::string configHash(const AgentConfig& cfg) { return core::sha256Hex(canonicalConfigText(cfg)); }

}  // namespace config
