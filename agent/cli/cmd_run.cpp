// `run --once`: one full cycle: checks, then healing through the executor chosen by the mode.
// Until live healing lands (issue 4) only the dry-run executor exists and a live mode is refused.
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/report.h"
#include "cli/setup.h"
#include "core/log.h"
#include "healing/dry_run_executor.h"
#include "healing/healer.h"

namespace cli {

int runOnce(const GlobalOptions& global, const RunOptions& options) {
  if (!options.once) {
    std::fprintf(stderr, "run needs --once (the long-running form is `compliance-agent daemon`)\n");
    return kExitUsage;
  }
  auto loaded_cfg = loadConfiguration(global);
  if (!loaded_cfg.ok()) return reportFailure(loaded_cfg.error());
  if (!loaded_cfg->healing.dry_run) {
    std::fprintf(stderr,
                 "live healing is not available in this version (dry-run only; live mode set by %s): "
                 "run with --dry-run or HEALING_DRY_RUN=true\n",
                 std::string(config::toString(loaded_cfg->origin.dry_run_source)).c_str());
    return kExitUsage;
  }
  // Only one process writes state_dir at a time; run --once is a writer (evidence, guards, cache).
  auto lock = lockStateDir(*loaded_cfg);
  if (!lock.ok()) return reportFailure(lock.error());
  auto agent = loadAgentWith(std::move(*loaded_cfg), true);
  if (!agent.ok()) return reportFailure(agent.error());
  const config::AgentConfig& cfg = agent->config;
  auto host = openHost(cfg);
  if (!host.ok()) return reportFailure(host.error());

  // design.md: the mode is logged at start, with what decided it.
  const auto log = core::log::logger("cli");
  log->info("run --once: mode {} (from {}), tier {}, rules {}, host_root {}", modeName(cfg),
            config::toString(cfg.origin.dry_run_source), config::toString(cfg.rules.tier), agent->rules.version,
            cfg.host_root);

  const platform::HostEnv env = (*host)->env();
  Report report{modeName(cfg), std::string(config::toString(cfg.rules.tier)), agent->rules.version,
                runActiveChecks(*agent, env), {}};
  healing::ExecutorSettings settings{cfg.healing.writable_paths, cfg.healing.command_timeout,
                                     cfg.checks.command_timeout, cfg.central.client_cert_file};
  healing::DryRunExecutor executor(env, agent->probes, settings);
  const auto tier = cfg.rules.tier == config::Tier::Standard ? rules::Tier::Standard : rules::Tier::FullCoverage;
  report.actions = healing::healFindings(report.findings, agent->rules, tier, executor);
  const auto count = [&](checks::Status s) {
    return std::count_if(report.findings.begin(), report.findings.end(), [s](const auto& f) { return f.status == s; });
  };
  log->info("run --once done: {} findings, {} drifted, {} error, {} actions", report.findings.size(),
            count(checks::Status::Drifted), count(checks::Status::Error), report.actions.size());

  const std::string out = global.json ? renderJson(report) : renderTable(report, isatty(STDOUT_FILENO) == 1, false);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return hasDriftOrErrors(report) ? kExitDrift : kExitOk;
}

}  // namespace cli
