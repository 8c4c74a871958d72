#include "healing/matcher.h"

#include "checks/expectation.h"

namespace healing {

bool conditionsHold(const rules::L1Rule& rule, const checks::Finding& finding) {
  for (const auto& c : rule.match) {
    if (!checks::satisfies(c.expect, finding.field(c.field))) return false;
  }
  return true;
}

RuleMatch matchRule(const checks::Finding& finding, const std::vector<rules::L1Rule>& rules, rules::Tier tier) {
  const rules::L1Rule* best_in_tier = nullptr;
  const rules::L1Rule* best_any = nullptr;
  for (const auto& r : rules) {
    if (!conditionsHold(r, finding)) continue;
    if (!best_any || r.priority < best_any->priority) best_any = &r;
    if (r.actsIn(tier) && (!best_in_tier || r.priority < best_in_tier->priority)) best_in_tier = &r;
  }
  if (best_in_tier) return {best_in_tier, true};
  return {best_any, false};
}

}  // namespace healing
