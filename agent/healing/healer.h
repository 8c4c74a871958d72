#pragma once
// One healing pass over a cycle's findings: matching, tier, audit mode, then the executor.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "checks/finding.h"
#include "healing/action_record.h"
#include "healing/executor.h"
#include "healing/guards.h"
#include "rules/model.h"

namespace healing {

struct HealOptions {
  /// Live healing: the guards are asked before every action (a hold is `suppressed` with its
  /// reason, plus one `escalated` record when the hold says so) and told of every action taken
  /// and every compliant finding. Dry-run passes none: plans are not actions. Each attempt is
  /// logged before its action changes anything (write-ahead: Guards::saveWriteAhead); the
  /// caller saves once after the pass.
  Guards* guards = nullptr;
  /// Called with each record as soon as it is made (before the next action): the evidence.
  /// False (the record could not be made durable) stops all further actions of the pass: they
  /// are `suppressed`, nothing acts without its record.
  std::function<bool(const ActionRecord&)> on_record;
};

/// The journal line of one action (logger "healing", with CHECK_ID, RULE_ID, TARGET, OUTCOME and
/// REASON_CODE), at warning when it went wrong or is for a human: what healFindings logs for each
/// record, for callers that act on drifts themselves (an operator's heal).
void logAction(const ActionRecord& rec);

/// `rule` acting (or planning) on the drifted finding `f` of `check` under the guards (none:
/// dry-run): a hold is `suppressed` (and sets `escalation` when the hold escalates, once per
/// episode); a non-empty `stopped` suppresses with that reason; otherwise the attempt is logged
/// (write-ahead; a failed log, or a failed flush of it, sets `stopped`) and the executor acts.
/// `operator_heal`: an operator's `heal --rule`, which ignores the loop guards (see Guards::decide).
ActionRecord actOnDrift(const rules::L1Rule& rule, const checks::Finding& f, const rules::Check& check,
                        Executor& executor, Guards* guards, bool operator_heal, std::string& stopped,
                        std::optional<ActionRecord>& escalation);

/// For each finding: a drift no rule matches is `no_rule`; a match outside the tier is
/// `not_in_tier`; an audit-mode rule is `audited`; a guard's hold is `suppressed`; otherwise the
/// executor acts (or plans). Only drifted findings are acted on; the others produce no record.
std::vector<ActionRecord> healFindings(const std::vector<checks::Finding>& findings, const rules::RuleSet& set,
                                       rules::Tier tier, Executor& executor, const HealOptions& options = {});

}  // namespace healing
