// `run --once`: one full cycle: checks, then healing through the executor chosen by the mode
// (dry-run plans; live acts behind the guards), all of it recorded as evidence.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "cli/commands.h"
#include "cli/evidence_session.h"
#include "cli/exit_codes.h"
#include "cli/healing_session.h"
#include "cli/report.h"
#include "cli/setup.h"
#include "core/log.h"
#include "evidence/cycle_recorder.h"
#include "evidence/retention.h"
#include "healing/healer.h"

namespace cli {
namespace {

// Prunes what central command holds and retention allows; returns the evidence health flags.
std::vector<std::string> applyEvidenceRetention(const config::AgentConfig& cfg, EvidenceSession& session,
                                                const core::Clock& clock) {
  const auto log = core::log::logger("evidence");
  bool over_cap = false;
  const std::string dir = outboxDir(cfg);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    log->error("evidence outbox: cannot create {}: {} (nothing is pruned)", dir, std::strerror(errno));
    return evidence::healthFlags(*session.writer, false);
  }
  core::PosixStateDir outbox_dir(dir);
  auto outbox = evidence::Outbox::open(outbox_dir, *session.storage);
  if (!outbox.ok()) {
    log->error("evidence outbox: {} (nothing is pruned)", outbox.error().message);
  } else {
    if (!outbox->cursorProblem().empty()) log->warn("evidence outbox: {}", outbox->cursorProblem());
    const evidence::RetentionPolicy policy{cfg.evidence.retention_days,
                                           static_cast<std::uint64_t>(cfg.evidence.max_disk_mb) << 20};
    auto kept = evidence::applyRetention(*session.storage, *session.writer, outbox->ackedSeq(),
                                         clock.wallNow(), policy);
    if (!kept.ok()) {
      log->error("evidence retention: {}", kept.error().message);
    } else {
      if (!kept->pruned.empty()) log->info("evidence retention: {} segments pruned", kept->pruned.size());
      over_cap = kept->over_cap;
      if (over_cap) {
        log->warn("evidence uses {} MiB, above evidence.max_disk_mb {}: unacknowledged records are kept ({})",
                  kept->bytes_total >> 20, cfg.evidence.max_disk_mb, evidence::kDiskCapFlag);
      }
    }
  }
  return evidence::healthFlags(*session.writer, over_cap);
}

// Healing for one cycle, through the executor the mode chooses (dry-run plans, live acts). Live,
// the guards are consulted and saved, and each record is made durable evidence at once, before
// the next action: an action is never done without its record following it to disk.
core::Result<std::vector<healing::ActionRecord>, Failure> healCycle(const config::AgentConfig& cfg,
                                                                    const LoadedAgent& agent,
                                                                    const platform::HostEnv& env,
                                                                    const std::vector<checks::Finding>& findings,
                                                                    evidence::Writer& writer,
                                                                    const evidence::CycleRecorder& recorder) {
  auto session = openHealing(cfg, agent, env);
  if (!session.ok()) return core::fail(std::move(session.error()));
  const auto tier = cfg.rules.tier == config::Tier::Standard ? rules::Tier::Standard : rules::Tier::FullCoverage;
  if (!session->guards) return healing::healFindings(findings, agent.rules, tier, *session->executor);
  healing::HealOptions options;
  options.guards = session->guards.get();
  options.on_record = healRecorder(writer, findings, "agent", session->syncs.get(),
                                   [&recorder](const healing::ActionRecord& a) { return recorder.planDue(a); });
  auto actions = healing::healFindings(findings, agent.rules, tier, *session->executor, options);
  if (auto st = session->guards->save(); !st.ok()) {
    return core::fail(Failure{kExitRuntime, "healing guards: " + st.error().message});
  }
  return actions;
}

}  // namespace

int runOnce(const GlobalOptions& global, const RunOptions& options) {
  if (!options.once) {
    std::fprintf(stderr, "run needs --once (the long-running form is `compliance-agent daemon`)\n");
    return kExitUsage;
  }
  auto loaded_cfg = loadConfiguration(global);
  if (!loaded_cfg.ok()) return reportFailure(loaded_cfg.error());
  // Live: refused before anything is tried or recorded when the agent cannot heal for real.
  if (auto ready = livePreflight(*loaded_cfg); !ready.ok()) return reportFailure(ready.error());
  // Only one process writes state_dir at a time; run --once is a writer (evidence, guards, cache).
  auto lock = lockStateDir(*loaded_cfg);
  if (!lock.ok()) return reportFailure(lock.error());
  if (auto own = liveStateDirCheck(*loaded_cfg); !own.ok()) return reportFailure(own.error());
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
  // One clock for the whole cycle (the host environment's): the records, the guards, the
  // timeouts and the cycle's own times all read it.
  const auto started = env.clock.wallNow();
  const auto steady_start = env.clock.steadyNow();

  // Evidence first: every record of this cycle, the start included, is chained and signed.
  auto session = openEvidence(cfg, provenanceFor(cfg, applianceId(cfg, env.files), agent->rules.version), env.clock);
  if (!session.ok()) return reportFailure(session.error());
  evidence::Writer& writer = *session->writer;
  (void)writer.append(evidence::Kind::Lifecycle, "agent",
                      {{"event", "start"}, {"command", "run --once"}, {"pid", static_cast<std::int64_t>(::getpid())}});
  const std::vector<std::string> health = applyEvidenceRetention(cfg, *session, env.clock);
  sweepHostTemporaries(cfg, agent->rules, env.files, writer);

  evidence::CycleFacts facts;
  facts.tier = std::string(config::toString(cfg.rules.tier));
  facts.started = started;
  facts.rules_version = agent->rules.version;
  facts.rules_source_version = agent->rules.source_version;
  for (const auto& v : agent->rules.vars) facts.vars[v.name] = {v.value, v.default_value, v.source};
  facts.rules_source = "shipped";
  facts.rule_checks = agent->rules.checks.size();
  facts.rule_count = agent->rules.rules.size();
  facts.health = health;
  facts.heal_records_written = !cfg.healing.dry_run;  // live: each one at the time of its action

  // The cycle's evidence in the order it happens: what the checks saw, the heals, the re-check.
  core::PosixStateDir state_dir(cfg.state_dir);
  evidence::CycleRecorder recorder(writer, state_dir, env.clock.wallNow());
  Report report{modeName(cfg), facts.tier, agent->rules.version, runActiveChecks(*agent, env), {}};
  auto observed = recorder.observe(facts, report.findings);
  if (!observed.ok() && !cfg.healing.dry_run) {
    // No action without its evidence: what the checks saw could not even be written.
    (void)writer.commit();
    return reportFailure({kExitRuntime, "evidence: what the checks saw cannot be recorded (" +
                                            observed.error().message + "): nothing healed"});
  }
  auto healed = healCycle(cfg, *agent, env, report.findings, writer, recorder);
  if (!healed.ok()) {
    (void)writer.commit();  // the records of the pass (some only queued) are kept
    return reportFailure(healed.error());
  }
  report.actions = std::move(*healed);
  if (!cfg.healing.dry_run && std::any_of(report.actions.begin(), report.actions.end(), healing::mayHaveChangedHost)) {
    // The host changed: the report and the evidence tell the state after the cycle, re-checked.
    report.findings_before = std::move(report.findings);
    report.findings = runActiveChecks(*agent, env);
    report.rechecked = true;
  }
  const auto count = [&](checks::Status s) {
    return std::count_if(report.findings.begin(), report.findings.end(), [s](const auto& f) { return f.status == s; });
  };
  log->info("run --once done: {} findings, {} drifted, {} error{}, {} actions", report.findings.size(),
            count(checks::Status::Drifted), count(checks::Status::Error),
            report.rechecked ? " after healing" : "", report.actions.size());

  facts.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(env.clock.steadyNow() - steady_start).count();
  auto recorded = observed.ok() ? recorder.finish(facts, report.findings,
                                                  report.rechecked ? &report.findings_before : nullptr, report.actions)
                                : core::Result<evidence::CycleRecorded, evidence::RecordError>(core::fail(observed.error()));
  (void)writer.append(evidence::Kind::Lifecycle, "agent",
                      {{"event", "stop"}, {"command", "run --once"}, {"pid", static_cast<std::int64_t>(::getpid())}});
  auto durable = writer.commit();
  bool evidence_ok = true;
  if (!recorded.ok() || !durable.ok()) {
    // The report still goes out; the exit code says the cycle is not fully recorded.
    const auto flags = evidence::healthFlags(writer, false);
    log->error("evidence: the cycle could not be recorded: {} ({} records not durable, lost on exit){}",
               !recorded.ok() ? recorded.error().message : durable.error().message, writer.pendingCount(),
               flags.empty() ? std::string() : "; health: " + flags.front());
    evidence_ok = false;
  } else {
    log->info("evidence: cycle recorded as seq {}..{} ({} finding changes{}), durable head {} {}",
              recorded->first_seq, recorded->last_seq, recorded->changed, recorded->snapshot ? ", snapshot" : "",
              durable->seq, durable->hash.substr(0, 16));
  }

  const std::string out = global.json ? renderJson(report) : renderTable(report, colorWanted(STDOUT_FILENO), options.verbose, tableWidth(STDOUT_FILENO),
                                                options.diff || options.verbose);
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (!evidence_ok) return kExitRuntime;
  return hasDriftOrErrors(report) ? kExitDrift : kExitOk;
}

}  // namespace cli
