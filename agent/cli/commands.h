#pragma once
// The subcommands. Each returns the process exit code; the CLI layer only parses and dispatches.
#include <optional>
#include <string>
#include <vector>

#include "cli/global_options.h"

namespace cli {

struct CheckOptions {
  std::optional<std::string> check_id;
  bool verbose = false;
};

/// `check [--check ID]`: runs the checks, never acts, never writes. 0 compliant, 1 drift/errors.
int runCheck(const GlobalOptions& global, const CheckOptions& options);

struct RunOptions {
  bool once = false;
};

/// `run --once`: one cycle (checks, then healing: planned in dry-run). Takes the state_dir lock
/// (exit 4 when busy). 0 when all compliant, 1 when drift or errors remain.
int runOnce(const GlobalOptions& global, const RunOptions& options);

/// `rules validate PATH...`: 0 when every path loads, 2 with every problem otherwise.
int runRulesValidate(const GlobalOptions& global, const std::vector<std::string>& paths);

/// `rules compile`: validates the configured rules and stores the compiled set in
/// state_dir/cache (as run and the daemon do), so read-only commands skip the YAML parse.
int runRulesCompile(const GlobalOptions& global);

/// `rules list [--tier T]`: the checks, and the L1 rules that act in the tier.
int runRulesList(const GlobalOptions& global);

/// `version`.
int runVersion(const GlobalOptions& global);

}  // namespace cli
