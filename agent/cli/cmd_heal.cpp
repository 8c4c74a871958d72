// `heal`: an operator's heal of one rule (`--rule`), and the guard controls (`--clear`,
// `--pause`, `--resume`). Every form takes the state_dir lock and records what it did as
// evidence, with the operator's uid as actor.
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "cli/commands.h"
#include "cli/evidence_session.h"
#include "cli/exit_codes.h"
#include "cli/healing_session.h"
#include "cli/report.h"
#include "cli/setup.h"
#include "core/duration.h"
#include "core/log.h"
#include "core/suggest.h"
#include "evidence/retention.h"
#include "healing/healer.h"
#include "healing/matcher.h"

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
  auto lock = lockStateDir(*cfg);
  if (!lock.ok()) return reportFailure(lock.error());
  startLogging(*cfg);
  core::SystemClock clock;
  auto guards = loadGuards(*cfg, clock);
  if (!guards.ok()) return reportFailure(guards.error());
  nlohmann::json body;
  std::string said;
  if (options.clear) {
    const int n = guards->clear(*options.clear, options.target);
    if (n == 0) {
      // Nothing held: say so, record nothing. A rule id the active rules do not know is a typo
      // (a rule removed since keeps its guard state, so n > 0 for it and it is cleared above).
      auto agent = loadAgentWith(*cfg, false);
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
  auto host = openHost(*cfg);
  if (!host.ok()) return reportFailure(host.error());
  auto session = openEvidence(*cfg, provenanceFor(*cfg, applianceId(*cfg, (*host)->env().files), ""), clock);
  if (!session.ok()) return reportFailure(session.error());
  auto durable = session->writer->appendDurable(evidence::Kind::Lifecycle, operatorActor(), body);
  if (!durable.ok()) return reportFailure({kExitRuntime, "evidence: " + durable.error().message});
  print(global.json ? body.dump() + "\n" : said + "\n");
  return kExitOk;
}

}  // namespace

int runHeal(const GlobalOptions& global, const HealOptions& options) {
  if (!options.rule) return guardControl(global, options);
  auto loaded = loadConfiguration(global);
  if (!loaded.ok()) return reportFailure(loaded.error());
  if (auto ready = livePreflight(*loaded); !ready.ok()) return reportFailure(ready.error());
  auto lock = lockStateDir(*loaded);
  if (!lock.ok()) return reportFailure(lock.error());
  if (auto own = liveStateDirCheck(*loaded); !own.ok()) return reportFailure(own.error());
  auto agent = loadAgentWith(std::move(*loaded), true);
  if (!agent.ok()) return reportFailure(agent.error());
  const config::AgentConfig& cfg = agent->config;
  const rules::L1Rule* rule = agent->rules.findRule(*options.rule);
  if (!rule) return reportFailure({kExitUsage, "heal --rule " + *options.rule + ": no such L1 rule in the active rules" +
                                                     closestRule(agent->rules, *options.rule)});
  const rules::Check* check = rule->matchedCheckId() ? agent->rules.findCheck(*rule->matchedCheckId()) : nullptr;
  auto host = openHost(cfg);
  if (!host.ok()) return reportFailure(host.error());
  const platform::HostEnv env = (*host)->env();
  auto session = openEvidence(cfg, provenanceFor(cfg, applianceId(cfg, env.files), agent->rules.version), env.clock);
  if (!session.ok()) return reportFailure(session.error());
  evidence::Writer& writer = *session->writer;
  const std::string actor = operatorActor();
  const std::string command = "heal --rule " + rule->id + (options.target ? " --target " + *options.target : "");
  (void)writer.append(evidence::Kind::Lifecycle, actor, {{"event", "start"}, {"command", command},
                                                         {"pid", static_cast<std::int64_t>(::getpid())}});
  core::log::logger("cli")->info("{}: mode {}, by {}", command, modeName(cfg), actor);
  sweepHostTemporaries(cfg, agent->rules, env.files, writer);

  // The drifts the rule answers: its check's findings (every check when it names none).
  Report report{modeName(cfg), std::string(config::toString(cfg.rules.tier)), agent->rules.version, {}, {}};
  for (auto& f : runActiveChecks(*agent, env, check ? std::optional(check->id) : std::nullopt)) {
    if (f.status != checks::Status::Drifted || !healing::conditionsHold(*rule, f)) continue;
    if (options.target && f.target != *options.target) continue;
    report.findings.push_back(std::move(f));
  }
  auto healing_session = openHealing(cfg, *agent, env);
  if (!healing_session.ok()) return reportFailure(healing_session.error());
  const auto record = healRecorder(writer, report.findings, actor, healing_session->syncs.get());
  healing::Guards* guards = healing_session->guards.get();
  std::string stopped;  // once set, nothing more acts: no action without its durable records
  const auto emit = [&](healing::ActionRecord rec) {
    if (!record(rec) && stopped.empty()) stopped = "healing stopped: an action's evidence record is not durable";
    report.actions.push_back(std::move(rec));
  };
  for (const auto& f : report.findings) {
    const rules::Check* of = agent->rules.findCheck(f.check_id);
    if (!of) continue;
    // An operator's heal ignores tier, cooldown, attempt caps, flapping and the breaker; it
    // obeys the mode (the executor), the pause and the maintenance window (the guards).
    std::optional<healing::ActionRecord> escalation;
    emit(healing::actOnDrift(*rule, f, *of, *healing_session->executor, guards, true, stopped, escalation));
    if (escalation) emit(std::move(*escalation));
  }
  if (healing_session->guards) {
    if (auto st = healing_session->guards->save(); !st.ok()) {
      (void)writer.commit();  // the records of the pass (some only queued) are kept
      return reportFailure({kExitRuntime, "healing guards: " + st.error().message});
    }
  }
  if (!cfg.healing.dry_run && std::any_of(report.actions.begin(), report.actions.end(), healing::mayHaveChangedHost)) {
    // What the report shows is the state after the heal: the same targets, checked again.
    report.findings_before = std::move(report.findings);
    report.rechecked = true;
    for (auto& f : runActiveChecks(*agent, env, check ? std::optional(check->id) : std::nullopt)) {
      const bool answered = std::any_of(report.findings_before.begin(), report.findings_before.end(),
                                        [&](const auto& b) { return b.check_id == f.check_id && b.target == f.target; });
      if (answered) report.findings.push_back(std::move(f));
    }
  }
  (void)writer.append(evidence::Kind::Lifecycle, actor, {{"event", "stop"}, {"command", command},
                                                         {"pid", static_cast<std::int64_t>(::getpid())}});
  auto durable = writer.commit();
  if (report.findings.empty() && !report.rechecked) {
    std::fprintf(stderr, "%s: nothing to heal (no drifted finding the rule matches%s)\n", command.c_str(),
                 options.target ? " on that target" : "");
  }
  const std::string out = global.json ? renderJson(report) : renderTable(report, colorWanted(STDOUT_FILENO), false, tableWidth(STDOUT_FILENO));
  print(out);
  if (!durable.ok()) return reportFailure({kExitRuntime, "evidence: " + durable.error().message});
  return hasDriftOrErrors(report) ? kExitDrift : kExitOk;
}

}  // namespace cli
