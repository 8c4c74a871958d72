// `heal`: an operator's heal of one rule (`--rule`), and the guard controls (`--clear`,
// `--pause`, `--resume`). Every form takes the state_dir lock and records what it did as
// evidence, with the operator's uid as actor.
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "cli/commands.h"
#include "cli/actor.h"
#include "cli/exit_codes.h"
#include "cli/report.h"
#include "cli/setup.h"
#include "core/duration.h"
#include "core/log.h"
#include "core/suggest.h"
#include "cycle/agent.h"
#include "cycle/evidence_session.h"
#include "cycle/healing_session.h"
#include "evidence/retention.h"

namespace cli {
namespace {

void print(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

// " (did you mean 'L1-...'?)" for a rule id the active rules do not have.
std::string closestRule(const rules::RuleSet& set, const std::string& id) {
  std::vector<std::string> ids;
  for (const auto& r : set.rules) ids.push_back(r.id);
  return core::didYouMean(id, ids);
}

// RFC 3339 UTC ("2026-11-28T18:00:00Z", milliseconds optional) or a duration from now ("2h").
std::optional<core::Clock::WallTime> parseUntil(const std::string& text, core::Clock::WallTime now) {
  if (auto d = core::parseDuration(text); d.ok()) return now + *d;
  if (text.size() == 20 && text.back() == 'Z') return evidence::parseTimestamp(text.substr(0, 19) + ".000Z");
  return evidence::parseTimestamp(text);
}

// The guard controls: load, change, save, record.
int guardControl(const GlobalOptions& global, const HealOptions& options) {
  auto cfg = loadConfiguration(global);
  if (!cfg.ok()) return reportFailure(cfg.error());
  auto lock = cycle::lockStateDir(*cfg);
  if (!lock.ok()) return reportFailure(lock.error());
  cycle::startLogging(*cfg);
  core::SystemClock clock;
  auto guards = cycle::loadGuards(*cfg, clock);
  if (!guards.ok()) return reportFailure(guards.error());
  nlohmann::json body;
  std::string said;
  if (options.clear) {
    const int n = guards->clear(*options.clear, options.target);
    if (n == 0) {
      // Nothing held: say so, record nothing. A rule id the active rules do not know is a typo
      // (a rule removed since keeps its guard state, so n > 0 for it and it is cleared above).
      auto agent = cycle::loadAgentWith(*cfg, false);
      if (agent.ok() && !agent->rules.findRule(*options.clear)) {
        return reportFailure({kExitUsage, "heal --clear " + *options.clear +
                                              ": no such L1 rule in the active rules, and no guard state for it" +
                                              closestRule(agent->rules, *options.clear)});
      }
      print("no guard state for " + *options.clear + (options.target ? " on " + *options.target : "") +
            ": nothing cleared, nothing recorded\n");
      return kExitOk;
    }
    body = {{"event", "clear"}, {"rule_id", *options.clear}, {"target", options.target.value_or("")}, {"cleared", n}};
    said = "cleared the guards of " + *options.clear + (options.target ? " on " + *options.target : "") + " (" +
           std::to_string(n) + " entries)";
  } else if (options.pause) {
    std::optional<core::Clock::WallTime> until;
    if (options.until) {
      until = parseUntil(*options.until, clock.wallNow());
      if (!until || *until <= clock.wallNow()) {
        return reportFailure({kExitUsage, "--until " + *options.until +
                                              ": not a future time (RFC 3339 UTC) or a duration (90s, 5m, 2h, 1d)"});
      }
    }
    guards->pause(until, operatorActor());
    body = {{"event", "pause"}, {"until", until ? evidence::formatTimestamp(*until) : std::string()}};
    said = "healing paused" + (until ? " until " + evidence::formatTimestamp(*until) : std::string(" until `heal --resume`"));
  } else {
    if (!guards->paused()) {
      print("healing is not paused: nothing to resume, nothing recorded\n");
      return kExitOk;
    }
    guards->resume();
    body = {{"event", "resume"}};
    said = "healing resumed";
  }
  if (auto st = guards->save(); !st.ok()) return reportFailure({kExitRuntime, "healing guards: " + st.error().message});
  auto host = cycle::openHost(*cfg);
  if (!host.ok()) return reportFailure(host.error());
  auto session = cycle::openEvidence(*cfg, cycle::provenanceFor(*cfg, cycle::applianceId(*cfg, (*host)->env().files), ""), clock);
  if (!session.ok()) return reportFailure(session.error());
  auto durable = session->writer->appendDurable(evidence::Kind::Lifecycle, operatorActor(), body);
  if (!durable.ok()) return reportFailure({kExitRuntime, "evidence: " + durable.error().message});
  print(global.json ? body.dump() + "\n" : said + "\n");
  return kExitOk;
}

}  // namespace

int runHeal(const GlobalOptions& global, const HealOptions& options) {
  if (!options.rule) return guardControl(global, options);
  auto cfg = loadConfiguration(global);
  if (!cfg.ok()) return reportFailure(cfg.error());
  auto foundation = cycle::prepare(std::move(*cfg));
  if (!foundation.ok()) return reportFailure(foundation.error());
  // A rule the active rules do not have is refused before anything is recorded.
  const rules::RuleSet& set = foundation->agent.rules;
  if (!set.findRule(*options.rule)) {
    return reportFailure({kExitUsage, "heal --rule " + *options.rule + ": no such L1 rule in the active rules" +
                                          closestRule(set, *options.rule)});
  }
  const std::string actor = operatorActor();
  const std::string command = "heal --rule " + *options.rule + (options.target ? " --target " + *options.target : "");
  auto agent = cycle::Agent::start(std::move(*foundation), {command, actor});
  if (!agent.ok()) return reportFailure(agent.error());
  const config::AgentConfig& c = (*agent)->config();
  core::log::logger("cli")->info("{}: mode {}, by {}", command, cycle::modeName(c), actor);

  cycle::CycleResult healed = (*agent)->heal(*(*agent)->rules().findRule(*options.rule), options.target);
  if (healed.stopped) return reportFailure(*healed.stopped);
  auto durable = (*agent)->stop();
  if (healed.findings.empty() && !healed.rechecked) {
    std::fprintf(stderr, "%s: nothing to heal (no drifted finding the rule matches%s)\n", command.c_str(),
                 options.target ? " on that target" : "");
  }
  const Report report = reportOf(**agent, std::move(healed));
  const std::string out = global.json ? renderJson(report)
                                      : renderTable(report, colorWanted(STDOUT_FILENO), false, tableWidth(STDOUT_FILENO));
  print(out);
  if (!durable.ok()) return reportFailure(durable.error());
  return hasDriftOrErrors(report) ? kExitDrift : kExitOk;
}

}  // namespace cli
