#include "cli/setup.h"

#include <cstdio>

#include "cli/exit_codes.h"
#include "config/loader.h"

namespace cli {

int exitCodeOf(cycle::ProblemKind kind) {
  switch (kind) {
    case cycle::ProblemKind::Config: return kExitUsage;
    case cycle::ProblemKind::Runtime: return kExitRuntime;
    case cycle::ProblemKind::Busy: return kExitBusy;
  }
  return kExitRuntime;
}

Failure toFailure(cycle::Problem problem) { return Failure{exitCodeOf(problem.kind), std::move(problem.message)}; }

core::Result<config::AgentConfig, Failure> loadConfiguration(const GlobalOptions& g) {
  config::Overrides o;
  o.config_file = g.config_file;
  o.root = g.root;
  o.rules_dir = g.rules_dir;
  o.state_dir = g.state_dir;
  o.tier = g.tier;
  o.log_level = g.log_level;
  if (g.dry_run) o.dry_run = true;
  if (g.live) o.dry_run = false;
  auto cfg = config::loadConfig(o, config::fromProcessEnvironment());
  if (!cfg.ok()) return core::fail(Failure{kExitUsage, cfg.error().message});
  return std::move(*cfg);
}

core::Result<cycle::LoadedAgent, Failure> loadAgent(const GlobalOptions& global) {
  auto cfg = loadConfiguration(global);
  if (!cfg.ok()) return core::fail(std::move(cfg).error());
  auto agent = cycle::loadAgentWith(std::move(*cfg), false);
  if (!agent.ok()) return core::fail(toFailure(std::move(agent).error()));
  return std::move(*agent);
}

int reportFailure(const Failure& failure) {
  std::fprintf(stderr, "%s\n", failure.message.c_str());
  return failure.exit_code;
}

int reportFailure(const cycle::Problem& problem) { return reportFailure(toFailure(problem)); }

}  // namespace cli
