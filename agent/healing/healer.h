#pragma once
// One healing pass over a cycle's findings: matching, tier, audit mode, then the executor.
#include <vector>

#include "checks/finding.h"
#include "healing/action_record.h"
#include "healing/executor.h"
#include "rules/model.h"

namespace healing {

/// For each finding: a drift no rule matches is `no_rule`; a match outside the tier is
/// `not_in_tier`; an audit-mode rule is `audited`; otherwise the executor acts (or plans).
/// Only drifted findings are considered; the others produce no record.
std::vector<ActionRecord> healFindings(const std::vector<checks::Finding>& findings, const rules::RuleSet& set,
                                       rules::Tier tier, Executor& executor);

}  // namespace healing
