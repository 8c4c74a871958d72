#include "healing/healer.h"

#include "healing/matcher.h"

namespace healing {

std::vector<ActionRecord> healFindings(const std::vector<checks::Finding>& findings, const rules::RuleSet& set,
                                       rules::Tier tier, Executor& executor) {
  std::vector<ActionRecord> out;
  for (const auto& f : findings) {
    const RuleMatch m = matchRule(f, set.rules, tier);
    ActionRecord rec;
    rec.check_id = f.check_id;
    rec.target = f.target;
    if (!m.rule) {
      if (f.status != checks::Status::Drifted) continue;
      rec.outcome = Outcome::NoRule;
      rec.reason = "no L1 rule matches this drift";
      out.push_back(std::move(rec));
      continue;
    }
    rec.rule_id = m.rule->id;
    if (!m.in_tier) {
      rec.outcome = Outcome::NotInTier;
      rec.reason = "rule acts in " + std::string(rules::toString(m.rule->tiers.front())) + ", the active tier is " +
                   std::string(rules::toString(tier));
      out.push_back(std::move(rec));
      continue;
    }
    if (m.rule->mode == rules::RuleMode::Audit) {
      rec.outcome = Outcome::Audited;
      rec.reason = "rule is in audit mode";
      out.push_back(std::move(rec));
      continue;
    }
    const rules::Check* check = set.findCheck(f.check_id);
    if (!check) continue;  // impossible: findings come from the set's checks
    out.push_back(executor.execute(*m.rule, f, *check));
  }
  return out;
}

}  // namespace healing
