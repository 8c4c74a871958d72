#pragma once
// Why an action ended as it did, as a code: what check-in, metrics and scripts match on, while
// the record's `reason` keeps the human text beside it (which step, which file, until when).
// The codes are a public vocabulary (README, docs/evidence-format.md): add codes, never rename
// or reuse one.
#include <string_view>

namespace healing {

enum class Reason {
  None,               // healed, or a plan with nothing to explain
  // Nothing to act with.
  NoMatchingRule,     // no_rule: no L1 rule matches the drift
  OutsideTier,        // not_in_tier: the rule acts in another tier than the active one
  AuditMode,          // audited: the rule is in audit mode
  // Held back by a guard (suppressed; attempt_cap and flapping also escalate once).
  Paused, MaintenanceWindow, Flapping, CircuitBreaker, Cooldown, AttemptCap,
  HealingStopped,     // suppressed: guard state or evidence cannot be made durable this pass
  // Handed to a human.
  NixManaged,         // the file is in /nix/store: the fix belongs in the NixOS configuration
  RuleAlerts,         // alerted: the rule's steps only alert
  RuleEscalates,      // escalated: the rule's steps escalate
  // The plan is refused by policy (refused).
  BadTarget,          // {target} cannot be substituted safely into a step
  OutsideWritable,    // the path is not under healing.writable_paths
  NotAllowed,         // e.g. a sysctl key outside the allow-list
  BadEdit,            // the edit cannot be expressed (a value with a newline ...)
  ValidatorRejected,  // the rule's validator refused the candidate file, or could not judge it
  ToolMissing,        // a tool a step needs is not available
  NoGateway,          // agent_heal: no workstation gateway runs
  NotPlannable,       // an action type this agent cannot plan
  // It went wrong (failed, rolled_back).
  HostError,          // a file the plan needs cannot be read or changed
  NoBackup,           // nothing done: no backup can be taken
  StepFailed,         // a step failed; earlier file steps restored
  RecheckFailed,      // the steps ran and the re-check does not pass; restored where possible
  // Added later (codes are appended, never renumbered or renamed).
  DanglingLink,       // refused: the step's path is a symbolic link to nothing, never written through
};

constexpr std::string_view toString(Reason r) {
  switch (r) {
    case Reason::None: return "";
    case Reason::NoMatchingRule: return "no_matching_rule";
    case Reason::OutsideTier: return "outside_tier";
    case Reason::AuditMode: return "audit_mode";
    case Reason::Paused: return "paused";
    case Reason::MaintenanceWindow: return "maintenance_window";
    case Reason::Flapping: return "flapping";
    case Reason::CircuitBreaker: return "circuit_breaker";
    case Reason::Cooldown: return "cooldown";
    case Reason::AttemptCap: return "attempt_cap";
    case Reason::HealingStopped: return "healing_stopped";
    case Reason::NixManaged: return "nix_managed";
    case Reason::RuleAlerts: return "rule_alerts";
    case Reason::RuleEscalates: return "rule_escalates";
    case Reason::BadTarget: return "bad_target";
    case Reason::OutsideWritable: return "outside_writable";
    case Reason::NotAllowed: return "not_allowed";
    case Reason::BadEdit: return "bad_edit";
    case Reason::ValidatorRejected: return "validator_rejected";
    case Reason::ToolMissing: return "tool_missing";
    case Reason::NoGateway: return "no_gateway";
    case Reason::NotPlannable: return "not_plannable";
    case Reason::HostError: return "host_error";
    case Reason::NoBackup: return "no_backup";
    case Reason::StepFailed: return "step_failed";
    case Reason::RecheckFailed: return "recheck_failed";
    case Reason::DanglingLink: return "dangling_link";
  }
  return "?";
}

/// The last code, for tests that walk them all.
inline constexpr Reason kLastReason = Reason::DanglingLink;

}  // namespace healing
