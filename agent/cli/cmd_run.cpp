// `run --once`: one full cycle: checks, then healing through the executor chosen by the mode.
// Until live healing lands (issue 4) only the dry-run executor exists and a live mode is refused.
#include <unistd.h>

#include <cstdio>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/report.h"
#include "cli/setup.h"
#include "healing/dry_run_executor.h"
#include "healing/healer.h"
#include "platform/state_lock.h"

namespace cli {

int runOnce(const GlobalOptions& global, const RunOptions& options) {
  if (!options.once) {
    std::fprintf(stderr, "run needs --once (the long-running form is `compliance-agent daemon`)\n");
    return kExitUsage;
  }
  auto agent = loadAgent(global);
  if (!agent.ok()) return reportFailure(agent.error());
  const config::AgentConfig& cfg = agent->config;
  if (!cfg.healing.dry_run) {
    std::fprintf(stderr,
                 "live healing is not available in this version (dry-run only; live mode set by %s): "
                 "run with --dry-run or HEALING_DRY_RUN=true\n",
                 std::string(config::toString(cfg.origin.dry_run_source)).c_str());
    return kExitUsage;
  }
  // Only one process writes state_dir at a time; run --once is a writer (evidence, guards).
  if (auto made = platform::ensureStateDir(cfg.state_dir); !made.ok()) {
    std::fprintf(stderr, "state_dir %s: %s\n", cfg.state_dir.c_str(), made.error().message.c_str());
    return kExitRuntime;
  }
  auto lock = platform::StateLock::acquire(cfg.state_dir);
  if (!lock.ok()) {
    std::fprintf(stderr, "%s\n", lock.error().message.c_str());
    return lock.error().code == platform::LockErrc::Busy ? kExitBusy : kExitRuntime;
  }
  auto host = openHost(cfg);
  if (!host.ok()) return reportFailure(host.error());

  const platform::HostEnv env = (*host)->env();
  Report report{modeName(cfg), std::string(config::toString(cfg.rules.tier)), agent->rules.version,
                runActiveChecks(*agent, env), {}};
  healing::ExecutorSettings settings{cfg.healing.writable_paths, cfg.healing.command_timeout,
                                     cfg.checks.command_timeout, cfg.central.client_cert_file};
  healing::DryRunExecutor executor(env, agent->probes, settings);
  const auto tier = cfg.rules.tier == config::Tier::Standard ? rules::Tier::Standard : rules::Tier::FullCoverage;
  report.actions = healing::healFindings(report.findings, agent->rules, tier, executor);

  const std::string out = global.json ? renderJson(report) : renderTable(report, isatty(STDOUT_FILENO) == 1, false);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return hasDriftOrErrors(report) ? kExitDrift : kExitOk;
}

}  // namespace cli
