#pragma once
// The agent's side of a check-in: what it tells central command (the request, made from the
// agent's own state) and what it takes from the answer. For now that is the site's tier and the
// checks central command disables (the maintenance window, the intervals, bundles and orders come
// with the daemon and milestones C3-C5). The answer is kept in state_dir/central.json, so an agent
// that cannot reach central command keeps running what central command last said, not the
// file's defaults (design.md: "central command when connected"): an outage never changes a
// site's tier.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "central.pb.h"
#include "checkin/central_link.h"
#include "config/agent_config.h"
#include "core/result.h"
#include "core/state_dir.h"
#include "cycle/problem.h"
#include "platform/host_files.h"

namespace cycle {

namespace v1 = compliance::central::v1;

inline constexpr const char* kCentralStateFile = "central.json";

/// What central command decided for this appliance at the last check-in that succeeded.
struct CentralSettings {
  // Whose settings these are: they apply only to the same site at the same central command (a
  // site_id or endpoint changed in agent.yaml makes them stale until the next check-in).
  std::string site_id;
  std::string endpoint;
  config::Tier tier = config::Tier::Standard;
  std::vector<std::string> disabled_checks;  // in addition to agent.yaml checks.disabled
  std::uint64_t latest_bundle_version = 0;
  std::int64_t server_time_unix_ms = 0;
  std::int64_t received_at_unix_ms = 0;  // the agent's wall clock
  bool operator==(const CentralSettings&) const = default;
};

/// The settings of a validated answer (checkin::validateResponse passed: the tier is known),
/// for `cfg`'s site_id and central.endpoint.
CentralSettings settingsFrom(const v1::CheckInResponse& response, const config::AgentConfig& cfg,
                             std::int64_t received_at_unix_ms);

/// state_dir/central.json: nullopt when absent; an error naming the file when it cannot be read
/// or is not what saveCentralSettings writes.
core::Result<std::optional<CentralSettings>, std::string> loadCentralSettings(const core::StateDir& dir);
core::Status<std::string> saveCentralSettings(core::StateDir& dir, const CentralSettings& settings);

/// What state_dir/central.json holds for `cfg`, read-only: nothing when standalone (no
/// central.endpoint) or nothing is kept; `warning` says why a file that is there is not used
/// (unreadable, damaged, or kept for another site_id or endpoint).
struct KeptCentralSettings {
  std::optional<CentralSettings> settings;
  std::string warning;
};
KeptCentralSettings keptCentralSettings(const config::AgentConfig& cfg);

/// `base` (agent.yaml, environment, flags) with central command's settings: its tier, unless
/// `--tier` chose one for this run; its disabled checks added to the file's.
config::AgentConfig withCentralSettings(config::AgentConfig base, const CentralSettings& settings);

/// The link the configuration describes: nullptr when central.endpoint is empty (offline). A
/// configuration problem (no site_id, the API key file missing or readable by others, a TLS
/// file) is a Config problem naming the file; nothing is dialled yet.
core::Result<std::unique_ptr<checkin::CentralLink>, Problem> makeCentralLink(const config::AgentConfig& cfg);

/// Who this appliance is, from the configuration and the host: etc/hostname, etc/os-release's
/// VERSION_ID on NixOS, proc/uptime (each empty or 0 when the host does not say).
v1::Identity identityOf(const config::AgentConfig& cfg, const std::string& appliance_id,
                        const platform::HostFiles& files, bool nixos);

v1::Tier toProto(config::Tier tier);

}  // namespace cycle
