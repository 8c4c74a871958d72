#pragma once
// What healing did (or, in dry-run, would do) about one finding: the rule, the outcome and every
// step with its exact effect. This is what `--json` prints under "actions" and what becomes a
// `heal` evidence record.
#include <optional>
#include <string>
#include <vector>

#include "checks/finding.h"
#include "healing/outcome.h"
#include "healing/reason.h"

namespace healing {

struct StepRecord {
  std::string type;                // the action type (set_config_value, restart_service, ...)
  std::string description;         // one line for humans: what the step does, with its values
  std::string path;                // file steps: the host path acted on ({target} substituted)
  std::string unit;                // service steps
  std::vector<std::string> argv;   // the command a step runs (tools: key first)
  std::string diff;                // file content steps: the unified diff of the change
  std::string error;               // the step that failed or was refused: why
};

struct ActionRecord {
  std::string rule_id;   // empty for no_rule
  std::string check_id;
  std::string target;    // the finding's target, never empty
  Outcome outcome = Outcome::NoRule;
  Reason reason_code = Reason::None;  // why, as a code (healing/reason.h): what machines match on
  std::string reason;                 // why, for humans: which step, file or guard, until when
  std::vector<StepRecord> steps;
  /// Dry-run only: whether the check passes on the overlay once the plan is applied.
  std::optional<bool> would_pass;
  /// Live only: the finding of the re-check after the steps ran (before any rollback).
  std::optional<checks::Finding> after;
};

/// Whether a live action may have changed the host (its steps ran, whatever came of them): the
/// host is checked again after a pass with one, so reports and evidence tell the state after.
inline bool mayHaveChangedHost(const ActionRecord& a) {
  return a.outcome == Outcome::Healed || a.outcome == Outcome::RolledBack || a.outcome == Outcome::Failed ||
         a.outcome == Outcome::TimedOut;
}

}  // namespace healing
