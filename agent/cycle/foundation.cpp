#include "cycle/foundation.h"

#include <algorithm>

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <set>

#include "checks/check_runner.h"

#include "checks/config_formats.h"
#include "config/settings.h"
#include "core/install_paths.h"
#include "core/log.h"
#include "healing/plan.h"
#include "platform/caching_host_files.h"
#include "platform/state_lock.h"
#include "rules/ruleset_cache.h"

namespace cycle {

void startLogging(const config::AgentConfig& cfg) {
  core::log::LoggingOptions options;
  switch (cfg.log_level) {
    case config::LogLevel::Trace: options.level = spdlog::level::trace; break;
    case config::LogLevel::Debug: options.level = spdlog::level::debug; break;
    case config::LogLevel::Info: options.level = spdlog::level::info; break;
    case config::LogLevel::Warn: options.level = spdlog::level::warn; break;
    case config::LogLevel::Error: options.level = spdlog::level::err; break;
  }
  options.site_id = cfg.site_id;
  options.journal = core::log::stderrIsJournal();
  core::log::setupLogging(options);
}

core::Result<std::unique_ptr<platform::LinuxHostEnv>, Problem> openHost(const config::AgentConfig& cfg) {
  platform::LiveStateMode mode = platform::LiveStateMode::Auto;
  switch (cfg.live_state) {
    case config::LiveStateMode::Auto: mode = platform::LiveStateMode::Auto; break;
    case config::LiveStateMode::On: mode = platform::LiveStateMode::On; break;
    case config::LiveStateMode::Off: mode = platform::LiveStateMode::Off; break;
  }
  auto env = platform::LinuxHostEnv::open(cfg.host_root, cfg.tools, mode, cfg.checks.command_timeout);
  if (!env.ok()) {
    // A root that cannot be opened is the operator's to fix (2); a kernel without openat2 is not (3).
    const auto kind = env.error().code == platform::FsErrc::Unsupported ? ProblemKind::Runtime : ProblemKind::Config;
    return core::fail(Problem{kind, "host_root " + cfg.host_root + ": " + env.error().message});
  }
  return std::move(*env);
}

rules::Platform detectPlatform(const config::AgentConfig& cfg, const platform::HostFiles& files) {
  if (cfg.platform == "nixos") return rules::Platform::Nixos;
  if (cfg.platform == "linux") return rules::Platform::Linux;
  auto text = files.readFile("/etc/os-release", 64 * 1024);
  if (!text.ok()) return rules::Platform::Linux;
  const auto parsed = checks::parseConfig(rules::ConfigFormat::KeyValue, *text);
  const auto id = checks::findConfigValue(rules::ConfigFormat::KeyValue, parsed, "ID");
  return id && id->value == "nixos" ? rules::Platform::Nixos : rules::Platform::Linux;
}

rules::KnownTypes knownTypes(const checks::ProbeRegistry& probes) {
  rules::KnownTypes known;
  known.probes = probes.types();
  known.actions = healing::implementedActionTypes();
  return known;
}

core::Result<rules::RuleSet, Problem> loadRules(const config::AgentConfig& cfg, const rules::KnownTypes& known,
                                                bool write_cache) {
  // A path that is not there is the operator's to fix (2), not a broken rule set: name the two
  // settings that choose it and where this value came from.
  struct stat st {};
  if (::stat(cfg.rules.dir.c_str(), &st) != 0 && (errno == ENOENT || errno == ENOTDIR)) {
    return core::fail(Problem{ProblemKind::Config, "rules.dir " + cfg.rules.dir + " (" + config::sourceOf(cfg, "rules.dir") +
                                              ") does not exist: point rules.dir in agent.yaml, or --rules, at a "
                                              "rule directory or file (`cmake --install` puts the shipped rules in " +
                                              core::kInstalledRulesDir + ")"});
  }
  // The validated set is cached in state_dir by writers; readers only read the cache.
  const rules::CacheOptions cache{cfg.state_dir + "/cache", write_cache};
  rules::VarOverrides overrides;
  for (const auto& [name, v] : cfg.vars) {
    overrides[name] = rules::VarOverride{v.value, rules::SourcePos{cfg.origin.file, v.line, v.column}};
  }
  auto set = rules::loadRulePathCached(cfg.rules.dir, known, cache, overrides);
  if (!set.ok()) {
    const auto kind = set.error().code == rules::RulesErrc::Io ? ProblemKind::Runtime : ProblemKind::Config;
    // Problems only with agent.yaml's vars: are the operator's configuration, not the rules.
    const auto& problems = set.error().problems;
    const bool only_vars = !problems.empty() && std::all_of(problems.begin(), problems.end(), [&](const auto& p) {
      return !cfg.origin.file.empty() && p.file == cfg.origin.file;
    });
    const std::string what = only_vars ? "invalid vars: in " + cfg.origin.file + " for the rules in " + cfg.rules.dir
                                       : "invalid rules in " + cfg.rules.dir;
    return core::fail(Problem{kind, what + ":\n" + set.error().format()});
  }
  return std::move(*set);
}

core::Result<LoadedAgent, Problem> loadAgentWith(config::AgentConfig cfg, bool write_cache) {
  LoadedAgent agent{std::move(cfg), {}, {}};
  startLogging(agent.config);
  checks::registerBuiltinProbes(agent.probes);
  auto set = loadRules(agent.config, knownTypes(agent.probes), write_cache);
  if (!set.ok()) return core::fail(std::move(set).error());
  agent.rules = std::move(*set);
  return agent;
}

std::vector<checks::Finding> runActiveChecks(const LoadedAgent& agent, const platform::HostEnv& env,
                                             const std::optional<std::string>& only_check) {
  const config::AgentConfig& cfg = agent.config;
  // One cycle reads the same files many times (sshd_config for every SSH check): a snapshot.
  platform::CachingHostFiles files(env.files);
  checks::ProbeContext ctx{files, env.live, env.commands, env.clock, agent.probes};
  ctx.command_timeout = cfg.checks.command_timeout;
  ctx.agent_client_cert_file = cfg.central.client_cert_file;
  checks::RunOptions run;
  run.platform = detectPlatform(cfg, files);
  run.disabled = std::set<std::string>(cfg.checks.disabled.begin(), cfg.checks.disabled.end());
  run.only_check = only_check;
  return checks::runChecks(agent.rules, ctx, run);
}

core::Result<platform::StateLock, Problem> lockStateDir(const config::AgentConfig& cfg) {
  if (auto made = platform::ensureStateDir(cfg.state_dir); !made.ok()) {
    return core::fail(Problem{ProblemKind::Runtime, "state_dir " + cfg.state_dir + ": " + made.error().message});
  }
  auto lock = platform::StateLock::acquire(cfg.state_dir);
  if (!lock.ok()) {
    return core::fail(Problem{lock.error().code == platform::LockErrc::Busy ? ProblemKind::Busy : ProblemKind::Runtime,
                              lock.error().message});
  }
  return std::move(*lock);
}

}  // namespace cycle
