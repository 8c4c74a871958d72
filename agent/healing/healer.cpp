#include "healing/healer.h"

#include <optional>

#include "core/log.h"
#include "healing/matcher.h"

namespace healing {
namespace {

// The record for one finding, or nullopt when it needs none. Only drifts are healed: a rule
// whose match: forgets the status (legacy lists often do) must not act on compliant, waived,
// error or not_applicable findings.
std::optional<ActionRecord> healOne(const checks::Finding& f, const rules::RuleSet& set, rules::Tier tier,
                                    Executor& executor, Guards* guards, std::optional<ActionRecord>& escalation,
                                    std::string& stopped) {
  if (f.status != checks::Status::Drifted) return std::nullopt;
  const RuleMatch m = matchRule(f, set.rules, tier);
  ActionRecord rec;
  rec.check_id = f.check_id;
  rec.target = f.target;
  if (!m.rule) {
    rec.outcome = Outcome::NoRule;
    rec.reason_code = Reason::NoMatchingRule;
    rec.reason = "no L1 rule matches this drift";
    return rec;
  }
  rec.rule_id = m.rule->id;
  if (!m.in_tier) {
    rec.outcome = Outcome::NotInTier;
    rec.reason_code = Reason::OutsideTier;
    rec.reason = "rule acts in " + std::string(rules::toString(m.rule->tiers.front())) + ", the active tier is " +
                 std::string(rules::toString(tier));
    return rec;
  }
  if (m.rule->mode == rules::RuleMode::Audit) {
    rec.outcome = Outcome::Audited;
    rec.reason_code = Reason::AuditMode;
    rec.reason = "rule is in audit mode";
    return rec;
  }
  const rules::Check* check = set.findCheck(f.check_id);
  if (!check) return std::nullopt;  // impossible: findings come from the set's checks
  return actOnDrift(*m.rule, f, *check, executor, guards, false, stopped, escalation);
}

// One line per record, with its fields for the journal (journalctl RULE_ID=... OUTCOME=...).
void logRecord(spdlog::logger& log, const ActionRecord& rec) {
  // Until the central command link exists nothing carries an alert or an escalation to a human:
  // the log says so, at warning, so an operator reading the journal is the one who is told.
  const bool for_a_human = rec.outcome == Outcome::Alerted || rec.outcome == Outcome::Escalated;
  const bool bad = rec.outcome == Outcome::Failed || rec.outcome == Outcome::RolledBack ||
                   rec.outcome == Outcome::TimedOut || rec.outcome == Outcome::Refused || for_a_human;
  const auto level = bad ? spdlog::level::warn : spdlog::level::info;
  if (!log.should_log(level)) return;
  const std::string_view outcome = toString(rec.outcome);
  const std::string by = rec.rule_id.empty() ? "" : " by " + rec.rule_id;
  const std::string why = rec.reason.empty() ? "" : " (" + rec.reason + ")";
  const std::string delivery = for_a_human ? std::string(" ") + kNotDelivered : "";
  core::log::event(log, level, {rec.check_id, rec.rule_id, rec.target, std::string(outcome), std::string(toString(rec.reason_code))},
                   "{} on {}: {}{}{}{}",
                   rec.check_id, rec.target, outcome, by, why, delivery);
}

}  // namespace

void logAction(const ActionRecord& rec) { logRecord(*core::log::logger("healing"), rec); }

ActionRecord actOnDrift(const rules::L1Rule& rule, const checks::Finding& f, const rules::Check& check,
                        Executor& executor, Guards* guards, bool operator_heal, std::string& stopped,
                        std::optional<ActionRecord>& escalation) {
  ActionRecord rec;
  rec.rule_id = rule.id;
  rec.check_id = f.check_id;
  rec.target = f.target;
  rec.outcome = Outcome::Suppressed;
  if (guards) {
    if (!operator_heal) guards->noteDrift(rule.id, f.target);
    const GuardDecision d = guards->decide(rule, f.target, operator_heal);
    if (!d.allowed()) {
      rec.reason_code = reasonOf(d.hold);
      rec.reason = std::string(toString(d.hold)) + ": " + d.detail;
      if (d.escalate) {
        // Exactly once per episode: a human looks at it, the agent stops trying.
        ActionRecord e = rec;
        e.outcome = Outcome::Escalated;
        e.reason = std::string(toString(d.hold)) + ": handed to a human: " + d.detail;
        escalation = std::move(e);
      }
      return rec;
    }
  }
  if (!stopped.empty()) {
    rec.reason_code = Reason::HealingStopped;
    rec.reason = stopped;
    return rec;
  }
  if (guards) {
    // Write-ahead: the attempt is on disk before the action runs, so a crash or a kill in the
    // middle of it cannot make the next start act again as if nothing had happened.
    guards->beginAction(rule.id, f.target);
    if (auto st = guards->saveWriteAhead(); !st.ok()) {
      stopped = "healing stopped: the guard state cannot be saved (" + st.error().message + ")";
      rec.reason_code = Reason::HealingStopped;
      rec.reason = stopped;
      return rec;
    }
  }
  ActionRecord done = executor.execute(rule, f, check);
  // How it ended is kept in memory only: the caller's save at the end of the pass writes it. A
  // crash in between loses at most that ending (one flap not counted, or a hand-over repeated
  // after its cooldown), never the attempt itself; saving here too cost two more fsyncs per
  // action (a quarter of a repair's syncs).
  if (guards) {
    guards->endAction(rule.id, f.target, done.outcome);
    // The attempt's intent shares the action's flush before its change: when that flush failed,
    // the disk refuses what the next action would need.
    if (guards->writeAheadFailed()) stopped = "healing stopped: the guard state cannot be made durable";
  }
  return done;
}

std::vector<ActionRecord> healFindings(const std::vector<checks::Finding>& findings, const rules::RuleSet& set,
                                       rules::Tier tier, Executor& executor, const HealOptions& options) {
  const auto log = core::log::logger("healing");
  std::vector<ActionRecord> out;
  std::string stopped;  // once set, nothing more acts in this pass
  const auto emit = [&](ActionRecord rec) {
    logRecord(*log, rec);
    if (options.on_record && !options.on_record(rec) && stopped.empty()) {
      stopped = "healing stopped: an action's evidence record could not be made durable";
    }
    out.push_back(std::move(rec));
  };
  for (const auto& f : findings) {
    if (options.guards && f.status == checks::Status::Compliant) {
      // A target seen compliant ends an attempt-cap episode of the rules that heal its check.
      for (const auto& r : set.rules) {
        if (const auto* id = r.matchedCheckId(); id && *id == f.check_id) options.guards->noteCompliant(r.id, f.target);
      }
      continue;
    }
    std::optional<ActionRecord> escalation;
    auto rec = healOne(f, set, tier, executor, options.guards, escalation, stopped);
    if (!rec) continue;
    emit(std::move(*rec));
    if (escalation) emit(std::move(*escalation));
  }
  return out;
}

}  // namespace healing
