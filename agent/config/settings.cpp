#include "config/settings.h"

#include "core/duration.h"

namespace config {
namespace {

class Collector {
 public:
  void str(std::string key, std::string v) {
    Setting s;
    s.key = std::move(key);
    s.kind = Setting::Kind::String;
    s.str = std::move(v);
    out_.push_back(std::move(s));
  }
  void boolean(std::string key, bool v) {
    Setting s;
    s.key = std::move(key);
    s.kind = Setting::Kind::Bool;
    s.boolean = v;
    out_.push_back(std::move(s));
  }
  void number(std::string key, long long v) {
    Setting s;
    s.key = std::move(key);
    s.kind = Setting::Kind::Number;
    s.number = v;
    out_.push_back(std::move(s));
  }
  void duration(std::string key, milliseconds v) {
    Setting s;
    s.key = std::move(key);
    s.kind = Setting::Kind::Duration;
    s.number = v.count();
    out_.push_back(std::move(s));
  }
  void list(std::string key, std::vector<std::string> v) {
    Setting s;
    s.key = std::move(key);
    s.kind = Setting::Kind::List;
    s.list = std::move(v);
    out_.push_back(std::move(s));
  }
  std::vector<Setting> take() && { return std::move(out_); }

 private:
  std::vector<Setting> out_;
};

}  // namespace

std::vector<Setting> settingsOf(const AgentConfig& c) {
  Collector k;
  k.str("site_id", c.site_id);
  k.str("appliance_id", c.appliance_id);
  k.str("host_root", c.host_root);
  k.str("live_state", std::string(toString(c.live_state)));
  k.str("platform", c.platform);
  k.str("state_dir", c.state_dir);
  k.str("log_level", std::string(toString(c.log_level)));
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
  k.str("rules.tier", std::string(toString(c.rules.tier)));
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
  for (const auto& [name, path] : c.tools) k.str("tools." + name, path);  // std::map: name order
  for (const auto& [name, v] : c.vars) k.str("vars." + name, v.value);
  return std::move(k).take();
}

std::string displayValue(const Setting& s) {
  switch (s.kind) {
    case Setting::Kind::String: return s.str.empty() ? "\"\"" : s.str;
    case Setting::Kind::Bool: return s.boolean ? "true" : "false";
    case Setting::Kind::Number: return std::to_string(s.number);
    case Setting::Kind::Duration: return core::formatDuration(milliseconds(s.number));
    case Setting::Kind::List: {
      std::string out = "[";
      for (std::size_t i = 0; i < s.list.size(); ++i) {
        if (i) out += ", ";
        out += s.list[i];
      }
      return out + "]";
    }
  }
  return "";
}

std::string sourceOf(const AgentConfig& cfg, std::string_view key) {
  const auto it = cfg.origin.sources.find(std::string(key));
  if (it != cfg.origin.sources.end()) return it->second;
  if (key.substr(0, 6) == "tools.") return "default (" + std::string(toString(cfg.origin.tool_platform)) + " tools)";
  return "default";
}

}  // namespace config
