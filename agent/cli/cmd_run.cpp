// `run --once`: one full cycle of the agent (cycle::Agent: checks, then healing through the
// executor the mode chooses, all of it recorded as evidence), and its report.
#include <unistd.h>

#include <cstdio>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/report.h"
#include "cli/setup.h"
#include "core/log.h"
#include "cycle/agent.h"

namespace cli {

int runOnce(const GlobalOptions& global, const RunOptions& options) {
  if (!options.once) {
    std::fprintf(stderr, "run needs --once (the long-running form is `compliance-agent daemon`)\n");
    return kExitUsage;
  }
  auto cfg = loadConfiguration(global);
  if (!cfg.ok()) return reportFailure(cfg.error());
  auto foundation = cycle::prepare(std::move(*cfg));
  if (!foundation.ok()) return reportFailure(foundation.error());
  // The link is made before anything is recorded: a bad API key file is a configuration error.
  auto link = cycle::makeCentralLink(foundation->agent.config);
  if (!link.ok()) return reportFailure(link.error());
  auto agent = cycle::Agent::start(std::move(*foundation), {"run --once", "agent"});
  if (!agent.ok()) return reportFailure(agent.error());
  // Connected, the check-in comes first: the site's tier applies to this cycle.
  (*agent)->connect(std::move(*link));
  (void)(*agent)->checkIn();
  {
    // design.md: the mode is logged at start, with what decided it (and the tier in force).
    const config::AgentConfig& c = (*agent)->config();
    const auto tier_source = c.origin.sources.find("rules.tier");
    core::log::logger("cli")->info("run --once: mode {} (from {}), tier {}{}, rules {}, host_root {}",
                                   cycle::modeName(c), config::toString(c.origin.dry_run_source),
                                   config::toString(c.rules.tier),
                                   tier_source == c.origin.sources.end() ? "" : " (from " + tier_source->second + ")",
                                   (*agent)->rules().version, c.host_root);
  }

  cycle::CycleResult cycle = (*agent)->runCycle();
  if (cycle.stopped) return reportFailure(*cycle.stopped);
  // The report goes out even when the evidence is not fully recorded (logged by stop()); the
  // exit code says so.
  const bool evidence_ok = (*agent)->stop().ok();

  const Report report = reportOf(**agent, std::move(cycle));
  const std::string out =
      global.json ? renderJson(report)
                  : renderTable(report, colorWanted(STDOUT_FILENO), options.verbose, tableWidth(STDOUT_FILENO),
                                options.diff || options.verbose);
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (!evidence_ok) return kExitRuntime;
  return hasDriftOrErrors(report) ? kExitDrift : kExitOk;
}

}  // namespace cli
