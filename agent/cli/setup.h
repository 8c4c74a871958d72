#pragma once
// The CLI's side of starting: the configuration from agent.yaml, the environment and the flags,
// and turning a problem into a message on stderr and an exit code (exit_codes.h). What is built
// from the configuration lives in cycle/ (foundation.h, agent.h).
#include <string>

#include "cli/global_options.h"
#include "config/agent_config.h"
#include "core/result.h"
#include "cycle/foundation.h"
#include "cycle/problem.h"

namespace cli {

/// Why a command stops early: the exit code (exit_codes.h) and a message for stderr.
struct Failure {
  int exit_code;
  std::string message;
};

/// The exit code of a problem of the cycle module: Config 2, Runtime 3, Busy 4.
int exitCodeOf(cycle::ProblemKind kind);
Failure toFailure(cycle::Problem problem);

/// agent.yaml + environment + flags. Fails with exit 2 and every problem found.
core::Result<config::AgentConfig, Failure> loadConfiguration(const GlobalOptions& global);

/// loadConfiguration, then cycle::loadAgentWith without writing the rules cache: what the
/// reading commands need.
core::Result<cycle::LoadedAgent, Failure> loadAgent(const GlobalOptions& global);

/// Prints the failure's message on stderr and returns its exit code.
int reportFailure(const Failure& failure);
int reportFailure(const cycle::Problem& problem);

}  // namespace cli
