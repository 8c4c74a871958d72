#pragma once
// The agent's foundation, what every command and the daemon build first: logging, the host
// (files, live state, tools), the platform, the probe registry, the validated rule set and the
// state_dir lock. Each step fails with a Problem naming what is wrong.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checks/finding.h"
#include "checks/probe_registry.h"
#include "config/agent_config.h"
#include "cycle/problem.h"
#include "core/result.h"
#include "platform/host_env.h"
#include "platform/state_lock.h"
#include "rules/loader.h"

namespace cycle {

/// Configures logging from the loaded configuration (log_level, site_id): the journal with
/// structured fields when stderr is the journal (JOURNAL_STREAM), else stderr. Never stdout.
void startLogging(const config::AgentConfig& cfg);

/// Opens the host root and prepares tools and live state. A host_root that is not a directory that
/// can be opened is a Config problem; a kernel without openat2 a Runtime one.
core::Result<std::unique_ptr<platform::LinuxHostEnv>, Problem> openHost(const config::AgentConfig& cfg);

/// `platform:` from the config, else etc/os-release under the root (ID=nixos -> nixos), else linux.
rules::Platform detectPlatform(const config::AgentConfig& cfg, const platform::HostFiles& files);

/// The probe and action types this agent implements (the validator refuses the others).
rules::KnownTypes knownTypes(const checks::ProbeRegistry& probes);

/// Loads and validates the active rule set (rules.dir, or --rules), through the compiled cache in
/// state_dir/cache (stored only when `write_cache`: commands that hold the state_dir lock). A rule
/// set that fails validation is a Config problem listing every finding (file:line:col, field,
/// id); rule files that cannot be read a Runtime one.
core::Result<rules::RuleSet, Problem> loadRules(const config::AgentConfig& cfg, const rules::KnownTypes& known,
                                                bool write_cache);

/// What every command shares: the configuration (logging started with it), the probe registry
/// and the validated rule set (rules.dir, or --rules).
struct LoadedAgent {
  config::AgentConfig config;
  checks::ProbeRegistry probes;
  rules::RuleSet rules;
};
/// Starts logging and loads the rules (loadRules); `write_cache` only under the state_dir lock.
core::Result<LoadedAgent, Problem> loadAgentWith(config::AgentConfig cfg, bool write_cache);

/// Creates state_dir (0700) when missing and takes its exclusive lock: what every writing
/// command does first. Busy when another process holds it, Runtime otherwise.
core::Result<platform::StateLock, Problem> lockStateDir(const config::AgentConfig& cfg);

/// Runs the checks of the loaded rule set against the host (`only_check`: one check), with the
/// platform, disabled checks and probe settings of the configuration.
std::vector<checks::Finding> runActiveChecks(const LoadedAgent& agent, const platform::HostEnv& env,
                                             const std::optional<std::string>& only_check = std::nullopt);

/// The configured healing tier, as the rules name it.
inline rules::Tier activeTier(const config::AgentConfig& cfg) {
  return cfg.rules.tier == config::Tier::Standard ? rules::Tier::Standard : rules::Tier::FullCoverage;
}

/// "dry_run" or "live".
inline std::string modeName(const config::AgentConfig& cfg) { return cfg.healing.dry_run ? "dry_run" : "live"; }

}  // namespace cycle
