#pragma once
// L1 matching: which rule acts on a finding. Every condition of a rule's `match:` must hold on
// the finding's fields; among the rules that match, the lowest `priority` wins (file order breaks
// ties), preferring rules that act in the active tier.
#include <vector>

#include "checks/finding.h"
#include "rules/model.h"

namespace healing {

struct RuleMatch {
  const rules::L1Rule* rule = nullptr;  // nullptr: no rule matches
  bool in_tier = false;                 // false with a rule: the best match is outside the tier
};

/// Whether every `match:` condition of `rule` holds on `finding`.
bool conditionsHold(const rules::L1Rule& rule, const checks::Finding& finding);

/// The rule to act on `finding` in tier `tier` (see the header comment).
RuleMatch matchRule(const checks::Finding& finding, const std::vector<rules::L1Rule>& rules, rules::Tier tier);

}  // namespace healing
