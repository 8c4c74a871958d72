#pragma once
// The plan of one rule for one finding, made once and run by either executor: the dry-run
// executor records it and re-checks on its end state (`would_pass`); the live executor carries
// out exactly its steps. Every policy decision about what a step does is taken here, before
// anything on the host changes (the live run adds only what depends on the host at the time it
// acts: whether a backup can be taken, whether a restarted unit was running): the target
// substitution, writable_paths and the NixOS store, the sysctl allow-list,
// the edits (with their diffs), the validators on the candidate (check-only forms, read-only),
// the tools a step needs, the workstation gateway. A plan that is refused (or failed: the host
// could not be read) ends at that step, with nothing done.
//
// What the live run may assume: each file step's change was computed on the host as the earlier
// steps of the same plan leave it (on an overlay). The live run checks, before it backs up and
// writes a file, that the file is still as the plan's change found it (mode and owner, and the
// content when the change rewrites it); when it is not (an earlier command of the rule, or
// someone else, changed it since), the step fails and nothing computed from the old content is
// written.
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "checks/finding.h"
#include "healing/action_record.h"
#include "healing/file_change.h"
#include "healing/overlay_host_files.h"
#include "healing/planned_live_state.h"
#include "platform/host_env.h"
#include "rules/model.h"

namespace healing {

struct ExecutorSettings {
  std::vector<std::string> writable_paths;          // healing.writable_paths (normalised)
  std::chrono::milliseconds command_timeout{60'000};  // validators, run_command (healing.command_timeout)
  std::chrono::milliseconds probe_timeout{30'000};    // checks.command_timeout, for the re-check
  std::string agent_client_cert_file;                 // for cert_expiry re-checks
};

/// The action types the executors handle: the validator refuses every other type, so a rule
/// never names a step that has no handler. `agent_heal` is handled by refusing it (reason
/// kNoGatewayReason) until the gateway item dispatches it to workstation agents.
std::set<std::string> implementedActionTypes();

inline constexpr std::string_view kNoGatewayReason =
    "no workstation gateway: agent_heal is dispatched by the gateway, which this agent does not run yet";

/// One step of a plan: what the rule's action becomes on this host.
struct PlannedStep {
  enum class Kind {
    File,     // a file edit or a chmod/chown: `change`
    Sysctl,   // the persist file (`change`), then `value` written to `proc_path` (sysctl `key`)
    Command,  // run_command: `argv` with `timeout`
    Service,  // systemctl `verb` -- `unit`
    Note,     // alert, escalate: recorded, nothing runs
  };
  Kind kind = Kind::Note;
  std::size_t index = 0;  // in the rule's actions (reasons name step index + 1)
  std::string type;       // the action type
  rules::ActionTraits traits;
  std::optional<FileChange> change;
  std::string key, proc_path, value;
  std::vector<std::string> argv;
  std::chrono::milliseconds timeout{0};
  std::string verb, unit;
};

struct Plan {
  /// The rule, check and target; the steps as the report and the evidence show them; outcome
  /// `planned` (reason_code nix_managed when the fix is handed to a human instead), `refused`,
  /// or `failed` (host_error).
  ActionRecord record;
  /// Parallel to record.steps in a `planned` plan that is not nix_managed.
  std::vector<PlannedStep> steps;

  bool planned() const { return record.outcome == Outcome::Planned && record.reason_code != Reason::NixManaged; }
  /// Whether any step changes this host (false: only alerts and escalations).
  bool changesHost() const;
  bool escalates() const;
};

/// The host as a plan leaves it: an overlay of the host files and the unit states the plan's
/// service steps predict. Changes nothing on the host.
struct PlanView {
  explicit PlanView(const platform::HostEnv& env) : files(env.files), live(env.live) {}
  OverlayHostFiles files;
  PlannedLiveState live;
};

class Planner {
 public:
  Planner(platform::HostEnv env, const ExecutorSettings& settings) : env_(env), settings_(settings) {}

  /// Plans `rule`'s actions for `finding` on `view`, which is left holding the plan's end state.
  /// Never fails: every problem is the plan's outcome, with its reason.
  Plan plan(const rules::L1Rule& rule, const checks::Finding& finding, PlanView& view) const;

 private:
  platform::HostEnv env_;
  const ExecutorSettings& settings_;
};

}  // namespace healing
