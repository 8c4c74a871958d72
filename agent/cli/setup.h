#pragma once
// The steps every command shares, each turning a failure into an exit code and a message:
// configuration, the host (files, live state, tools), the platform, and the rule set.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checks/finding.h"
#include "checks/probe_registry.h"
#include "cli/global_options.h"
#include "config/agent_config.h"
#include "core/result.h"
#include "platform/host_env.h"
#include "platform/state_lock.h"
#include "rules/loader.h"

namespace cli {

/// Why a command stops early: the exit code (exit_codes.h) and a message for stderr.
struct Failure {
  int exit_code;
  std::string message;
};

/// agent.yaml + environment + flags. Fails with exit 2 and every problem found.
core::Result<config::AgentConfig, Failure> loadConfiguration(const GlobalOptions& global);

/// Configures logging from the loaded configuration (log_level, site_id): the journal with
/// structured fields when stderr is the journal (JOURNAL_STREAM), else stderr. Never stdout.
void startLogging(const config::AgentConfig& cfg);

/// Opens the host root and prepares tools and live state. Fails with exit 2 when host_root is
/// not a directory that can be opened.
core::Result<std::unique_ptr<platform::LinuxHostEnv>, Failure> openHost(const config::AgentConfig& cfg);

/// `platform:` from the config, else etc/os-release under the root (ID=nixos -> nixos), else linux.
rules::Platform detectPlatform(const config::AgentConfig& cfg, const platform::HostFiles& files);

/// The probe and action types this agent implements (the validator refuses the others).
rules::KnownTypes knownTypes(const checks::ProbeRegistry& probes);

/// Loads and validates the active rule set (rules.dir, or --rules), through the compiled cache in
/// state_dir/cache (stored only when `write_cache`: commands that hold the state_dir lock). Fails
/// with exit 2 listing every problem (file:line:col, field, id), or exit 3 when the files cannot
/// be read.
core::Result<rules::RuleSet, Failure> loadRules(const config::AgentConfig& cfg, const rules::KnownTypes& known,
                                                bool write_cache);

/// What the reading commands share: the configuration (logging started with it), the probe
/// registry and the validated rule set (rules.dir, or --rules). Fails as loadConfiguration /
/// loadRules.
struct LoadedAgent {
  config::AgentConfig config;
  checks::ProbeRegistry probes;
  rules::RuleSet rules;
};
core::Result<LoadedAgent, Failure> loadAgent(const GlobalOptions& global);
/// As loadAgent, with the configuration already loaded; `write_cache` only under the state lock.
core::Result<LoadedAgent, Failure> loadAgentWith(config::AgentConfig cfg, bool write_cache);

/// Creates state_dir (0700) when missing and takes its exclusive lock: what every writing
/// command does first. Fails with exit 4 when another process holds it, 3 otherwise.
core::Result<platform::StateLock, Failure> lockStateDir(const config::AgentConfig& cfg);

/// Runs the checks of the loaded rule set against the host (`only_check`: one check), with the
/// platform, disabled checks and probe settings of the configuration.
std::vector<checks::Finding> runActiveChecks(const LoadedAgent& agent, const platform::HostEnv& env,
                                             const std::optional<std::string>& only_check = std::nullopt);

/// Prints the failure's message on stderr and returns its exit code.
int reportFailure(const Failure& failure);

/// "dry_run" or "live".
inline std::string modeName(const config::AgentConfig& cfg) { return cfg.healing.dry_run ? "dry_run" : "live"; }

}  // namespace cli
