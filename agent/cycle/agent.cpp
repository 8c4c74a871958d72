#include "cycle/agent.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/log.h"
#include "core/state_dir.h"
#include "evidence/retention.h"
#include "healing/healer.h"
#include "healing/matcher.h"

namespace cycle {
namespace {

nlohmann::json lifecycleBody(const char* event, const std::string& command) {
  return {{"event", event}, {"command", command}, {"pid", static_cast<std::int64_t>(::getpid())}};
}

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
    auto kept = evidence::applyRetention(*session.storage, *session.writer, outbox->ackedSeq(), clock.wallNow(), policy);
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

// The last cycle as a check-in reports it: the counts of its JSON report's summary.
v1::CycleSummary cycleSummary(const CycleFacts& facts, const CycleResult& result, std::uint64_t record_seq) {
  v1::CycleSummary s;
  s.set_evidence_seq(record_seq);
  s.set_started_at_unix_ms(
      std::chrono::duration_cast<std::chrono::milliseconds>(facts.started.time_since_epoch()).count());
  s.set_duration_ms(static_cast<std::uint64_t>(std::max<std::int64_t>(facts.duration_ms, 0)));
  for (const auto& f : result.findings) {
    switch (f.status) {
      case checks::Status::Compliant: s.set_compliant(s.compliant() + 1); break;
      case checks::Status::Drifted: s.set_drifted(s.drifted() + 1); break;
      case checks::Status::Error: s.set_error(s.error() + 1); break;
      case checks::Status::NotApplicable: s.set_not_applicable(s.not_applicable() + 1); break;
      case checks::Status::Waived: s.set_waived(s.waived() + 1); break;
    }
  }
  auto& outcomes = *s.mutable_outcomes();
  for (const auto& a : result.actions) ++outcomes[std::string(healing::toString(a.outcome))];
  s.set_rules_version(facts.rules_version);
  return s;
}

nlohmann::json tierChange(config::Tier before, config::Tier after) {
  return {{"before", std::string(config::toString(before))}, {"after", std::string(config::toString(after))}};
}

}  // namespace

void Agent::applyKeptCentralSettings() {
  // Standalone (no endpoint), the file decides; connected, what central command last said holds
  // until it says otherwise, so an outage never changes the tier.
  const auto log = core::log::logger("checkin");
  const KeptCentralSettings kept = keptCentralSettings(file_config_);
  if (!kept.warning.empty()) log->warn("{}", kept.warning);
  if (!kept.settings) return;
  const CentralSettings& s = *kept.settings;
  base_.agent.config = withCentralSettings(file_config_, s);
  log->info("central command's settings of its last check-in: tier {}{}, {} checks disabled by it",
            config::toString(s.tier),
            config().rules.tier != s.tier ? " (not in force: --tier " + std::string(config::toString(config().rules.tier)) + ")"
                                          : std::string(),
            s.disabled_checks.size());
}

CheckInResult Agent::checkIn() {
  CheckInResult r;
  r.tier_before = r.tier_after = config().rules.tier;
  if (!link_) return r;
  r.attempted = true;
  const config::AgentConfig& cfg = config();
  const auto log = core::log::logger("checkin");
  evidence::Writer& writer = *evidence_.writer;

  v1::CheckInRequest req;
  *req.mutable_identity() =
      identityOf(cfg, appliance_id_, env_.files, detectPlatform(cfg, env_.files) == rules::Platform::Nixos);
  req.set_active_tier(toProto(cfg.rules.tier));
  req.set_mode(cfg.healing.dry_run ? v1::MODE_DRY_RUN : v1::MODE_LIVE);
  // The last durable record (the proto's evidence head): queued records may still be lost.
  const evidence::Head head = writer.durableHead();
  req.mutable_evidence_head()->set_seq(0);  // present even when empty: seq 0 says "no record yet"
  if (head.seq > 0) {
    const auto bytes = evidence::fromHex<32>(head.hash);
    if (bytes) {
      req.mutable_evidence_head()->set_seq(head.seq);
      req.mutable_evidence_head()->set_hash(bytes->data(), bytes->size());
    } else {
      log->error("evidence head {} has no hash of 64 hex digits: not reported", head.seq);
    }
  }
  if (last_cycle_) *req.mutable_last_cycle() = *last_cycle_;
  // Health as it is now: before the first cycle (run --once) the evidence's own flags; after a
  // cycle, the ones it found (over the disk cap included).
  for (const auto& flag : last_cycle_ ? last_health_ : evidence::healthFlags(writer, false)) {
    req.add_health()->set_code(flag);
  }
  const auto& key = evidence_.key->publicKey();
  req.set_evidence_public_key(key.data(), key.size());
  const auto now_ms = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(env_.clock.wallNow().time_since_epoch()).count();
  };
  req.set_sent_at_unix_ms(now_ms());

  auto answer = link_->checkIn(req);
  nlohmann::json body{{"endpoint", cfg.central.endpoint}};
  if (!answer.ok()) {
    r.error = answer.error();
    body["result"] = "failed";
    body["error"] = {{"kind", std::string(checkin::toString(answer.error().kind))}, {"message", answer.error().message}};
    body["tier"] = tierChange(r.tier_before, r.tier_after);
    const auto source = cfg.origin.sources.find("rules.tier");
    log->warn("check-in with central command at {} failed ({}): {}; the tier stays {} (from {})",
              cfg.central.endpoint, checkin::toString(answer.error().kind), answer.error().message,
              config::toString(r.tier_before), source == cfg.origin.sources.end() ? "the default" : source->second);
    (void)writer.append(evidence::Kind::Checkin, options_.actor, body);
    return r;
  }
  const CentralSettings settings = settingsFrom(*answer, cfg, now_ms());
  core::PosixStateDir state_dir(cfg.state_dir);
  auto saved = saveCentralSettings(state_dir, settings);
  if (!saved.ok()) {
    // In force for this process all the same; a restart before the next check-in runs the old.
    log->error("central command's settings apply, but cannot be kept: {}", saved.error());
  }
  base_.agent.config = withCentralSettings(file_config_, settings);
  // The records from here on name the configuration that runs (its hash covers tier and checks).
  writer.setProvenance(provenanceFor(config(), appliance_id_, rules().version));
  r.tier_after = config().rules.tier;
  body["result"] = "ok";
  body["kept"] = saved.ok();
  body["site_tier"] = std::string(config::toString(settings.tier));
  body["tier"] = tierChange(r.tier_before, r.tier_after);
  body["disabled_checks"] = settings.disabled_checks;
  body["latest_bundle_version"] = settings.latest_bundle_version;
  body["server_time_unix_ms"] = settings.server_time_unix_ms;
  (void)writer.append(evidence::Kind::Checkin, options_.actor, body);
  if (r.tier_after != r.tier_before) {
    log->info("check-in with central command at {}: tier {} (was {}), from the next cycle", cfg.central.endpoint,
              config::toString(r.tier_after), config::toString(r.tier_before));
  } else {
    log->info("check-in with central command at {}: tier {}{}, {} checks disabled by it", cfg.central.endpoint,
              config::toString(r.tier_after),
              settings.tier != r.tier_after ? " (--tier; the site's is " + std::string(config::toString(settings.tier)) + ")" : "",
              settings.disabled_checks.size());
  }
  return r;
}

core::Result<Validated, Problem> validate(config::AgentConfig cfg) {
  if (auto ready = livePreflight(cfg); !ready.ok()) return core::fail(std::move(ready.error()));
  auto agent = loadAgentWith(std::move(cfg), false);
  if (!agent.ok()) return core::fail(std::move(agent.error()));
  auto host = openHost(agent->config);
  if (!host.ok()) return core::fail(std::move(host.error()));
  auto link = makeCentralLink(agent->config);
  if (!link.ok()) return core::fail(std::move(link.error()));
  const bool connected = *link != nullptr;
  return Validated{std::move(*agent), connected};
}

core::Result<Foundation, Problem> prepare(config::AgentConfig cfg) {
  // Live: refused before anything is tried or recorded when the agent cannot heal for real.
  if (auto ready = livePreflight(cfg); !ready.ok()) return core::fail(std::move(ready.error()));
  // Only one process writes state_dir at a time (evidence, guards, cache).
  auto lock = lockStateDir(cfg);
  if (!lock.ok()) return core::fail(std::move(lock.error()));
  if (auto own = liveStateDirCheck(cfg); !own.ok()) return core::fail(std::move(own.error()));
  auto agent = loadAgentWith(std::move(cfg), true);
  if (!agent.ok()) return core::fail(std::move(agent.error()));
  auto host = openHost(agent->config);
  if (!host.ok()) return core::fail(std::move(host.error()));
  return Foundation{std::move(*lock), std::move(*agent), std::move(*host)};
}

Agent::Agent(Foundation foundation, StartOptions options)
    : base_(std::move(foundation)), file_config_(base_.agent.config), options_(std::move(options)),
      env_(base_.host->env()) {}

core::Result<std::unique_ptr<Agent>, Problem> Agent::start(Foundation foundation, StartOptions options) {
  std::unique_ptr<Agent> a(new Agent(std::move(foundation), std::move(options)));
  a->appliance_id_ = applianceId(a->config(), a->env_.files);
  a->applyKeptCentralSettings();
  const config::AgentConfig& cfg = a->config();
  // Evidence first: every record of the agent's life, the start included, is chained and signed.
  auto evidence = openEvidence(cfg, provenanceFor(cfg, a->appliance_id_, a->rules().version), a->env_.clock);
  if (!evidence.ok()) return core::fail(std::move(evidence.error()));
  a->evidence_ = std::move(*evidence);
  (void)a->evidence_.writer->append(evidence::Kind::Lifecycle, a->options_.actor,
                                    lifecycleBody("start", a->options_.command));
  // The guards (live) are loaded once, before the sweep: a guard file that is not guard state
  // stops the start (Runtime) with only the start record written.
  auto healing = openHealing(cfg, a->loaded(), a->env_);
  if (!healing.ok()) {
    (void)a->evidence_.writer->commit();
    return core::fail(std::move(healing.error()));
  }
  a->healing_ = std::move(*healing);
  sweepHostTemporaries(cfg, a->rules(), a->env_.files, *a->evidence_.writer);
  return a;
}

CycleResult Agent::runCycle() {
  const config::AgentConfig& cfg = config();
  const rules::RuleSet& set = rules();
  evidence::Writer& writer = *evidence_.writer;
  const auto log = core::log::logger("cycle");
  // The cycle's own time: from here (not from the agent's start) to its record.
  const auto started = env_.clock.wallNow();
  const auto steady_start = env_.clock.steadyNow();
  last_recorded_.reset();
  CycleResult result;
  if (!cfg.healing.dry_run) pruneOldBackups(backupsDir(cfg), cfg.healing.backup_retention, env_.clock);

  CycleFacts facts;
  facts.tier = std::string(config::toString(cfg.rules.tier));
  facts.started = started;
  facts.rules_version = set.version;
  facts.rules_source_version = set.source_version;
  for (const auto& v : set.vars) facts.vars[v.name] = {v.value, v.default_value, v.source};
  facts.rules_source = "shipped";
  facts.rule_checks = set.checks.size();
  facts.rule_count = set.rules.size();
  facts.health = applyEvidenceRetention(cfg, evidence_, env_.clock);
  facts.heal_records_written = !cfg.healing.dry_run;  // live: each one at the time of its action

  // The cycle's evidence in the order it happens: what the checks saw, the heals, the re-check.
  core::PosixStateDir state_dir(cfg.state_dir);
  CycleRecorder recorder(writer, state_dir, env_.clock.wallNow());
  result.findings = runActiveChecks(loaded(), env_);
  auto observed = recorder.observe(facts, result.findings);
  if (!observed.ok() && !cfg.healing.dry_run) {
    // No action without its evidence: what the checks saw could not even be written.
    (void)writer.commit();
    result.stopped = Problem{ProblemKind::Runtime, "evidence: what the checks saw cannot be recorded (" +
                                                       observed.error().message + "): nothing healed"};
    return result;
  }

  // Healing through the executor the mode chose. Live, the guards are consulted and saved, and
  // each record is made durable evidence at once, before the next action: an action is never
  // done without its record following it to disk.
  if (!healing_.guards) {
    result.actions = healing::healFindings(result.findings, set, activeTier(cfg), *healing_.executor);
  } else {
    healing::HealOptions heal_options;
    heal_options.guards = healing_.guards.get();
    heal_options.on_record = healRecorder(writer, result.findings, options_.actor, healing_.syncs.get(),
                                          [&recorder](const healing::ActionRecord& a) { return recorder.planDue(a); });
    result.actions = healing::healFindings(result.findings, set, activeTier(cfg), *healing_.executor, heal_options);
    if (auto st = healing_.guards->save(); !st.ok()) {
      (void)writer.commit();  // the records of the pass (some only queued) are kept
      result.stopped = Problem{ProblemKind::Runtime, "healing guards: " + st.error().message};
      return result;
    }
  }
  if (!cfg.healing.dry_run && std::any_of(result.actions.begin(), result.actions.end(), healing::mayHaveChangedHost)) {
    // The host changed: the result and the evidence tell the state after the cycle, re-checked.
    result.findings_before = std::move(result.findings);
    result.findings = runActiveChecks(loaded(), env_);
    result.rechecked = true;
  }
  const auto count = [&](checks::Status s) {
    return std::count_if(result.findings.begin(), result.findings.end(), [s](const auto& f) { return f.status == s; });
  };
  log->info("{} done: {} findings, {} drifted, {} error{}, {} actions", options_.command, result.findings.size(),
            count(checks::Status::Drifted), count(checks::Status::Error), result.rechecked ? " after healing" : "",
            result.actions.size());

  facts.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(env_.clock.steadyNow() - steady_start).count();
  last_recorded_ = observed.ok()
                       ? recorder.finish(facts, result.findings, result.rechecked ? &result.findings_before : nullptr,
                                         result.actions)
                       : core::Result<CycleRecorded, RecordError>(core::fail(observed.error()));
  last_cycle_ = cycleSummary(facts, result, last_recorded_->ok() ? (*last_recorded_)->last_seq : 0);
  last_health_ = facts.health;
  return result;
}

CycleResult Agent::heal(const rules::L1Rule& rule, const std::optional<std::string>& target) {
  const rules::RuleSet& set = rules();
  const rules::Check* check = rule.matchedCheckId() ? set.findCheck(*rule.matchedCheckId()) : nullptr;
  const auto only = check ? std::optional(check->id) : std::nullopt;
  last_recorded_.reset();
  CycleResult result;
  if (!config().healing.dry_run) pruneOldBackups(backupsDir(config()), config().healing.backup_retention, env_.clock);
  // The drifts the rule answers: its check's findings (every check when it names none).
  for (auto& f : runActiveChecks(loaded(), env_, only)) {
    if (f.status != checks::Status::Drifted || !healing::conditionsHold(rule, f)) continue;
    if (target && f.target != *target) continue;
    result.findings.push_back(std::move(f));
  }
  const auto record = healRecorder(*evidence_.writer, result.findings, options_.actor, healing_.syncs.get());
  healing::Guards* guards = healing_.guards.get();
  std::string stopped;  // once set, nothing more acts: no action without its durable records
  const auto emit = [&](healing::ActionRecord rec) {
    healing::logAction(rec);
    if (!record(rec) && stopped.empty()) stopped = "healing stopped: an action's evidence record is not durable";
    result.actions.push_back(std::move(rec));
  };
  for (const auto& f : result.findings) {
    const rules::Check* of = set.findCheck(f.check_id);
    if (!of) continue;
    // An operator's heal ignores tier, cooldown, attempt caps, flapping and the breaker; it
    // obeys the mode (the executor), the pause and the maintenance window (the guards).
    std::optional<healing::ActionRecord> escalation;
    emit(healing::actOnDrift(rule, f, *of, *healing_.executor, guards, true, stopped, escalation));
    if (escalation) emit(std::move(*escalation));
  }
  if (guards) {
    if (auto st = guards->save(); !st.ok()) {
      (void)evidence_.writer->commit();  // the records of the pass (some only queued) are kept
      result.stopped = Problem{ProblemKind::Runtime, "healing guards: " + st.error().message};
      return result;
    }
  }
  if (!config().healing.dry_run &&
      std::any_of(result.actions.begin(), result.actions.end(), healing::mayHaveChangedHost)) {
    // What the result shows is the state after the heal: the same targets, checked again.
    result.findings_before = std::move(result.findings);
    result.rechecked = true;
    for (auto& f : runActiveChecks(loaded(), env_, only)) {
      const bool answered = std::any_of(result.findings_before.begin(), result.findings_before.end(),
                                        [&](const auto& b) { return b.check_id == f.check_id && b.target == f.target; });
      if (answered) result.findings.push_back(std::move(f));
    }
  }
  return result;
}

core::Status<Problem> Agent::stop() {
  if (stopped_) return core::Ok{};
  stopped_ = true;
  evidence::Writer& writer = *evidence_.writer;
  (void)writer.append(evidence::Kind::Lifecycle, options_.actor, lifecycleBody("stop", options_.command));
  auto durable = writer.commit();
  const auto log = core::log::logger("cycle");
  if (!last_recorded_) {
    if (!durable.ok()) return core::fail(Problem{ProblemKind::Runtime, "evidence: " + durable.error().message});
    return core::Ok{};
  }
  const auto& recorded = *last_recorded_;
  if (!recorded.ok() || !durable.ok()) {
    // The caller's report still goes out; its exit code says the cycle is not fully recorded.
    const auto flags = evidence::healthFlags(writer, false);
    const std::string why = !recorded.ok() ? recorded.error().message : durable.error().message;
    log->error("evidence: the cycle could not be recorded: {} ({} records not durable, lost on exit){}", why,
               writer.pendingCount(), flags.empty() ? std::string() : "; health: " + flags.front());
    return core::fail(Problem{ProblemKind::Runtime, "evidence: the cycle could not be recorded: " + why});
  }
  log->info("evidence: cycle recorded as seq {}..{} ({} finding changes{}), durable head {} {}", recorded->first_seq,
            recorded->last_seq, recorded->changed, recorded->snapshot ? ", snapshot" : "", durable->seq,
            durable->hash.substr(0, 16));
  return core::Ok{};
}

}  // namespace cycle
