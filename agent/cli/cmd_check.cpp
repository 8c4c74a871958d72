// `check`: evaluate every check of the active rule set against the host root. Read-only: it
// takes no lock, writes nothing and never acts.
#include <unistd.h>

#include <cstdio>
#include <set>

#include "checks/check_runner.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/report.h"
#include "cli/setup.h"

namespace cli {

int runCheck(const GlobalOptions& global, const CheckOptions& options) {
  auto agent = loadAgent(global);
  if (!agent.ok()) return reportFailure(agent.error());
  const config::AgentConfig& cfg = agent->config;
  const rules::RuleSet& set = agent->rules;
  if (options.check_id && !set.findCheck(*options.check_id)) {
    std::fprintf(stderr, "no check with id '%s' in %s\n", options.check_id->c_str(), cfg.rules.dir.c_str());
    return kExitUsage;
  }
  auto host = openHost(cfg);
  if (!host.ok()) return reportFailure(host.error());

  const platform::HostEnv env = (*host)->env();
  checks::ProbeContext ctx{env.files, env.live, env.commands, env.clock, agent->probes};
  ctx.command_timeout = cfg.checks.command_timeout;
  ctx.agent_client_cert_file = cfg.central.client_cert_file;
  checks::RunOptions run;
  run.platform = detectPlatform(cfg, env.files);
  run.disabled = std::set<std::string>(cfg.checks.disabled.begin(), cfg.checks.disabled.end());
  run.only_check = options.check_id;

  Report report{modeName(cfg), std::string(config::toString(cfg.rules.tier)), set.version,
                checks::runChecks(set, ctx, run)};
  const std::string out = global.json ? renderJson(report) : renderTable(report, isatty(STDOUT_FILENO) == 1, options.verbose);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return hasDriftOrErrors(report) ? kExitDrift : kExitOk;
}

}  // namespace cli
