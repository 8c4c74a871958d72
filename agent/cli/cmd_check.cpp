// `check`: evaluate every check of the active rule set against the host root. Read-only: it
// takes no lock, writes nothing and never acts.
#include <unistd.h>

#include <cstdio>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/report.h"
#include "cli/setup.h"
#include "core/log.h"
#include "core/suggest.h"
#include "cycle/central.h"

namespace cli {

int runCheck(const GlobalOptions& global, const CheckOptions& options) {
  auto agent = loadAgent(global);
  if (!agent.ok()) return reportFailure(agent.error());
  // Connected, the tier and disabled checks are central command's (kept by the last check-in),
  // as the next cycle would run them; read-only, nothing is written.
  const cycle::KeptCentralSettings kept = cycle::keptCentralSettings(agent->config);
  if (!kept.warning.empty()) core::log::logger("cli")->warn("{}", kept.warning);
  if (kept.settings) agent->config = cycle::withCentralSettings(std::move(agent->config), *kept.settings);
  const config::AgentConfig& cfg = agent->config;
  const rules::RuleSet& set = agent->rules;
  if (options.check_id && !set.findCheck(*options.check_id)) {
    std::vector<std::string> ids;
    for (const auto& c : set.checks) ids.push_back(c.id);
    std::fprintf(stderr, "no check with id '%s' in %s%s\n", options.check_id->c_str(), cfg.rules.dir.c_str(),
                 core::didYouMean(*options.check_id, ids).c_str());
    return kExitUsage;
  }
  auto host = cycle::openHost(cfg);
  if (!host.ok()) return reportFailure(host.error());

  // Read-only and used in scripts: nothing above debug.
  core::log::logger("cli")->debug("check: tier {}, rules {}, host_root {}", config::toString(cfg.rules.tier), set.version,
                                  cfg.host_root);

  const platform::HostEnv env = (*host)->env();
  Report report{cycle::modeName(cfg), std::string(config::toString(cfg.rules.tier)), set.version,
                cycle::runActiveChecks(*agent, env, options.check_id)};
  const std::string out = global.json ? renderJson(report) : renderTable(report, colorWanted(STDOUT_FILENO), options.verbose, tableWidth(STDOUT_FILENO));
  std::fwrite(out.data(), 1, out.size(), stdout);
  return hasDriftOrErrors(report) ? kExitDrift : kExitOk;
}

}  // namespace cli
