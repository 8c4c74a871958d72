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
                                    Executor& executor) {
  if (f.status != checks::Status::Drifted) return std::nullopt;
  const RuleMatch m = matchRule(f, set.rules, tier);
  ActionRecord rec;
  rec.check_id = f.check_id;
  rec.target = f.target;
  if (!m.rule) {
    rec.outcome = Outcome::NoRule;
    rec.reason = "no L1 rule matches this drift";
    return rec;
  }
  rec.rule_id = m.rule->id;
  if (!m.in_tier) {
    rec.outcome = Outcome::NotInTier;
    rec.reason = "rule acts in " + std::string(rules::toString(m.rule->tiers.front())) + ", the active tier is " +
                 std::string(rules::toString(tier));
    return rec;
  }
  if (m.rule->mode == rules::RuleMode::Audit) {
    rec.outcome = Outcome::Audited;
    rec.reason = "rule is in audit mode";
    return rec;
  }
  const rules::Check* check = set.findCheck(f.check_id);
  if (!check) return std::nullopt;  // impossible: findings come from the set's checks
  return executor.execute(*m.rule, f, *check);
}

// One line per record, with its fields for the journal (journalctl RULE_ID=... OUTCOME=...).
void logRecord(spdlog::logger& log, const ActionRecord& rec) {
  const bool bad = rec.outcome == Outcome::Failed || rec.outcome == Outcome::RolledBack ||
                   rec.outcome == Outcome::TimedOut || rec.outcome == Outcome::Refused;
  const auto level = bad ? spdlog::level::warn : spdlog::level::info;
  if (!log.should_log(level)) return;
  const std::string_view outcome = toString(rec.outcome);
  const std::string by = rec.rule_id.empty() ? "" : " by " + rec.rule_id;
  const std::string why = rec.reason.empty() ? "" : " (" + rec.reason + ")";
  core::log::event(log, level, {rec.check_id, rec.rule_id, rec.target, std::string(outcome)}, "{} on {}: {}{}{}",
                   rec.check_id, rec.target, outcome, by, why);
}

}  // namespace

std::vector<ActionRecord> healFindings(const std::vector<checks::Finding>& findings, const rules::RuleSet& set,
                                       rules::Tier tier, Executor& executor) {
  const auto log = core::log::logger("healing");
  std::vector<ActionRecord> out;
  for (const auto& f : findings) {
    auto rec = healOne(f, set, tier, executor);
    if (!rec) continue;
    logRecord(*log, *rec);
    out.push_back(std::move(*rec));
  }
  return out;
}

}  // namespace healing
