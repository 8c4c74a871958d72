#pragma once
// Runs the checks of a RuleSet: one Finding per check and target, applies_if gates, platform
// filtering, disabled checks and waivers. Read-only: it never changes the host.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "checks/finding.h"
#include "checks/probe_context.h"
#include "checks/probe_registry.h"
#include "rules/model.h"

namespace checks {

struct RunOptions {
  rules::Platform platform = rules::Platform::Linux;
  std::set<std::string> disabled;         // check ids not to run (reported not_applicable)
  std::optional<std::string> only_check;  // `check --check ID`
};

/// The target a check reports when its probe does not run (not applicable, disabled, gated):
/// the probe's own natural target, so a check keeps the same (id, target) key across runs.
std::string naturalTarget(const rules::ProbeSpec& spec, const std::string& check_id);

/// Evaluates `check` (applies_if first, then the probe) and returns its findings, before
/// waivers. `ctx.check_id` is set by this function.
std::vector<Finding> evaluateCheck(const rules::Check& check, ProbeContext& ctx);

/// Turns drifted findings covered by an active waiver into `waived` (details: waiver_reason,
/// waiver_approved_by, waiver_expires). An expired waiver no longer applies; it is named in
/// details.expired_waiver so the lapse is visible.
void applyWaivers(std::vector<Finding>& findings, const std::vector<rules::Waiver>& waivers,
                  std::chrono::sys_days today);

/// Runs every check of `set` that `options` selects, in rule-set order. Never fails: problems
/// are `error` findings.
std::vector<Finding> runChecks(const rules::RuleSet& set, ProbeContext& ctx, const RunOptions& options);

}  // namespace checks
