#include "cycle/central.h"

#include <algorithm>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "checkin/grpc_central_link.h"
#include "checks/config_formats.h"
#include "core/version.h"

namespace cycle {
namespace {

// The first line of a small host file, trimmed; "" when the host does not have it.
std::string firstLine(const platform::HostFiles& files, const std::string& path) {
  auto text = files.readFile(path, 4096);
  if (!text.ok()) return "";
  std::string line = text->substr(0, text->find('\n'));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.pop_back();
  return line;
}

}  // namespace

v1::Tier toProto(config::Tier tier) {
  return tier == config::Tier::Standard ? v1::TIER_STANDARD : v1::TIER_FULL_COVERAGE;
}

CentralSettings settingsFrom(const v1::CheckInResponse& response, const config::AgentConfig& cfg,
                             std::int64_t received_at_unix_ms) {
  CentralSettings s;
  s.site_id = cfg.site_id;
  s.endpoint = cfg.central.endpoint;
  s.tier = response.site_tier() == v1::TIER_FULL_COVERAGE ? config::Tier::FullCoverage : config::Tier::Standard;
  s.disabled_checks.assign(response.disabled_checks().begin(), response.disabled_checks().end());
  std::sort(s.disabled_checks.begin(), s.disabled_checks.end());
  s.disabled_checks.erase(std::unique(s.disabled_checks.begin(), s.disabled_checks.end()), s.disabled_checks.end());
  s.latest_bundle_version = response.latest_bundle_version();
  s.server_time_unix_ms = response.server_time_unix_ms();
  s.received_at_unix_ms = received_at_unix_ms;
  return s;
}

core::Result<std::optional<CentralSettings>, std::string> loadCentralSettings(const core::StateDir& dir) {
  auto text = dir.read(kCentralStateFile);
  if (!text.ok()) return core::fail(text.error());
  if (!*text) return std::optional<CentralSettings>();
  const std::string where = dir.pathOf(kCentralStateFile);
  try {
    const auto j = nlohmann::json::parse(**text);
    CentralSettings s;
    s.site_id = j.at("site_id").get<std::string>();
    s.endpoint = j.at("endpoint").get<std::string>();
    const auto tier = config::parseTier(j.at("tier").get<std::string>());
    if (!tier) return core::fail(where + ": field tier: not standard or full_coverage");
    s.tier = *tier;
    s.disabled_checks = j.at("disabled_checks").get<std::vector<std::string>>();
    s.latest_bundle_version = j.at("latest_bundle_version").get<std::uint64_t>();
    s.server_time_unix_ms = j.at("server_time_unix_ms").get<std::int64_t>();
    s.received_at_unix_ms = j.at("received_at_unix_ms").get<std::int64_t>();
    return std::optional<CentralSettings>(std::move(s));
  } catch (const nlohmann::json::exception& e) {
    return core::fail(where + ": not the agent's central command state: " + e.what());
  }
}

core::Status<std::string> saveCentralSettings(core::StateDir& dir, const CentralSettings& s) {
  const nlohmann::json j{{"site_id", s.site_id},
                         {"endpoint", s.endpoint},
                         {"tier", std::string(config::toString(s.tier))},
                         {"disabled_checks", s.disabled_checks},
                         {"latest_bundle_version", s.latest_bundle_version},
                         {"server_time_unix_ms", s.server_time_unix_ms},
                         {"received_at_unix_ms", s.received_at_unix_ms}};
  return dir.replace(kCentralStateFile, j.dump(2) + "\n");
}

KeptCentralSettings keptCentralSettings(const config::AgentConfig& cfg) {
  KeptCentralSettings out;
  if (cfg.central.endpoint.empty()) return out;
  core::PosixStateDir state_dir(cfg.state_dir);
  auto kept = loadCentralSettings(state_dir);
  if (!kept.ok()) {
    out.warning = kept.error() + ": ignored, agent.yaml's settings apply until the next check-in";
    return out;
  }
  if (!*kept) return out;
  const CentralSettings& s = **kept;
  if (s.site_id != cfg.site_id || s.endpoint != cfg.central.endpoint) {
    out.warning = state_dir.pathOf(kCentralStateFile) + ": kept for site " + s.site_id + " at " + s.endpoint +
                  ", not this configuration's (site " + cfg.site_id + " at " + cfg.central.endpoint +
                  "): ignored, agent.yaml's settings apply until the next check-in";
    return out;
  }
  out.settings = s;
  return out;
}

config::AgentConfig withCentralSettings(config::AgentConfig base, const CentralSettings& s) {
  const auto source = base.origin.sources.find("rules.tier");
  const bool flag_tier = source != base.origin.sources.end() && source->second.rfind("flag ", 0) == 0;
  if (!flag_tier) {
    base.rules.tier = s.tier;
    base.origin.sources["rules.tier"] = "central command";
  }
  auto& disabled = base.checks.disabled;
  for (const auto& id : s.disabled_checks) {
    if (std::find(disabled.begin(), disabled.end(), id) == disabled.end()) disabled.push_back(id);
  }
  return base;
}

core::Result<std::unique_ptr<checkin::CentralLink>, Problem> makeCentralLink(const config::AgentConfig& cfg) {
  if (cfg.central.endpoint.empty()) return std::unique_ptr<checkin::CentralLink>();
  auto link = checkin::makeGrpcCentralLink(cfg.site_id, cfg.central);
  if (!link.ok()) return core::fail(Problem{ProblemKind::Config, "central command link: " + link.error().message});
  return std::move(*link);
}

v1::Identity identityOf(const config::AgentConfig& cfg, const std::string& appliance_id,
                        const platform::HostFiles& files, bool nixos) {
  v1::Identity id;
  id.set_site_id(cfg.site_id);
  id.set_appliance_id(appliance_id);
  id.set_hostname(firstLine(files, "/etc/hostname"));
  id.set_agent_version(core::kAgentVersion);
  if (nixos) {
    if (auto text = files.readFile("/etc/os-release", 64 * 1024); text.ok()) {
      const auto parsed = checks::parseConfig(rules::ConfigFormat::KeyValue, *text);
      if (const auto v = checks::findConfigValue(rules::ConfigFormat::KeyValue, parsed, "VERSION_ID")) {
        id.set_nixos_version(v->value);
      }
    }
  }
  const std::string uptime = firstLine(files, "/proc/uptime");
  if (!uptime.empty()) id.set_uptime_seconds(std::strtoull(uptime.c_str(), nullptr, 10));
  return id;
}

}  // namespace cycle
