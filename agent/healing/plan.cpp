#include "healing/plan.h"

#include "checks/host_accounts.h"
#include "checks/redaction.h"
#include "healing/substitute.h"
#include "healing/unified_diff.h"

namespace healing {
namespace {

// A validator runs even in dry-run, so it must be a form that only checks the candidate: the
// tool and the flag that makes it read-only. Anything else (`nft -f`, `systemctl restart`) could
// change the host.
struct CheckOnlyForm {
  std::string_view tool;
  std::string_view flag;
};
constexpr CheckOnlyForm kCheckOnlyValidators[] = {
    {"sshd", "-t"}, {"nft", "-c"}, {"visudo", "-c"}, {"nginx", "-t"}, {"named-checkconf", ""}, {"chronyd", "-p"},
};
const std::string kCheckOnlyValidatorsText = "sshd -t, nft -c, visudo -c, nginx -t, named-checkconf, chronyd -p";

bool isCheckOnlyValidator(const std::vector<std::string>& argv) {
  for (const auto& form : kCheckOnlyValidators) {
    if (argv[0] != form.tool) continue;
    if (form.flag.empty()) return true;
    for (size_t i = 1; i < argv.size(); ++i) {
      if (argv[i] == form.flag) return true;
    }
  }
  return false;
}

// Plans print and (with evidence) record diffs: secrets are redacted as probes redact them, and
// a diff is bounded so a rewrite of a large file cannot flood a report.
constexpr std::size_t kMaxRecordedDiffBytes = 64 * 1024;

std::string recordedDiff(const FileChange& c) {
  const std::string diff = unifiedDiff(c.before, c.after, c.path, c.existed);
  if (diff.empty()) return diff;
  if (checks::isSensitivePath(c.path)) return std::string(checks::kRedacted) + " (content of " + c.path + ")";
  std::string out = checks::redactSecrets(diff);
  if (out.size() > kMaxRecordedDiffBytes) {
    out.resize(kMaxRecordedDiffBytes);
    out += "\n[diff truncated at " + std::to_string(kMaxRecordedDiffBytes) + " bytes]\n";
  }
  return out;
}

}  // namespace

std::set<std::string> implementedActionTypes() {
  std::set<std::string> out;
  for (auto name : rules::kActionTypeNames) out.insert(std::string(name));
  return out;
}


bool Plan::changesHost() const {
  for (const auto& s : steps) {
    if (s.traits.changes_host) return true;
  }
  return false;
}

bool Plan::escalates() const {
  for (const auto& s : steps) {
    if (s.type == "escalate") return true;
  }
  return false;
}

Plan Planner::plan(const rules::L1Rule& rule, const checks::Finding& finding, PlanView& view) const {
  Plan plan;
  ActionRecord& rec = plan.record;
  rec.rule_id = rule.id;
  rec.check_id = finding.check_id;
  rec.target = finding.target;
  rec.outcome = Outcome::Planned;

  OverlayHostFiles& overlay = view.files;
  checks::HostAccounts accounts(overlay);

  // A refusal ends the plan: the steps after it would run on a state the plan cannot reach. So
  // does a host error (the host, or its staged copy, could not be read or written): a failure of
  // the step, not a refusal of policy, so host_error always comes with `failed`.
  auto stopPlan = [&](StepRecord step, Reason code, std::string reason) {
    step.error = reason;
    rec.steps.push_back(std::move(step));
    rec.outcome = code == Reason::HostError ? Outcome::Failed : Outcome::Refused;
    rec.reason_code = code;
    rec.reason = std::move(reason);
  };
  // A step that cannot be planned ends the plan. A file that belongs to the NixOS configuration
  // is never edited in place: the plan is to hand it to a human (escalated when live).
  auto endOnStepError = [&](StepRecord step, const StepError& error) {
    if (error.code != StepErrc::NixManaged) return stopPlan(std::move(step), reasonOf(error.code), error.message);
    step.type = "escalate";
    step.description = error.message;
    rec.steps.push_back(std::move(step));
    rec.reason_code = Reason::NixManaged;
    rec.reason = error.message;
  };
  auto toolMissing = [&](const std::string& tool) -> std::string {
    auto p = env_.commands.toolPath(tool);
    return p.ok() ? std::string() : "tool '" + tool + "' is not available: " + p.error().message;
  };
  auto validate = [&](const std::vector<std::string>& argv, const std::string& path) -> std::pair<Reason, std::string> {
    if (argv.empty()) return {Reason::None, {}};
    if (!isCheckOnlyValidator(argv)) {
      return {Reason::NotAllowed,
              "validator [" + argv[0] + " ...] is not a known check-only form (" + kCheckOnlyValidatorsText + ")"};
    }
    if (auto missing = toolMissing(argv[0]); !missing.empty()) return {Reason::ToolMissing, missing};
    auto fd = overlay.openForRead(path);
    if (!fd.ok()) return {Reason::HostError, "cannot hand the candidate to the validator: " + fd.error().message};
    platform::CommandSpec spec;
    // The candidate is handed over as inherited descriptor 3; nothing is written on the host.
    for (const auto& a : argv) spec.argv.push_back(replacePlaceholder(a, "{file}", "/dev/fd/3"));
    spec.timeout = settings_.command_timeout;
    spec.input_fd = fd->get();
    auto res = env_.commands.run(spec);
    if (!res.ok()) return {Reason::ValidatorRejected, "validator " + argv[0] + " could not run: " + res.error().message};
    if (res->succeeded()) return {Reason::None, {}};
    const std::string why = res->timed_out ? "timed out" : "exit " + std::to_string(res->exit_code);
    return {Reason::ValidatorRejected,
            "validator " + argv[0] + " rejected the candidate (" + why + "): " + checks::excerpt(res->err + res->out)};
  };

  for (std::size_t i = 0; i < rule.actions.size(); ++i) {
    const rules::ActionSpec& raw = rule.actions[i];
    StepRecord step;
    step.type = raw.type;
    auto sub = substituteTarget(raw, finding.target);
    if (!sub.ok()) {
      stopPlan(std::move(step), Reason::BadTarget, sub.error());
      break;
    }
    const rules::ActionSpec& a = *sub;
    PlannedStep planned;
    planned.index = i;
    planned.type = a.type;
    planned.traits = rules::actionTraits(a);

    if (planned.traits.edits_files && !a.as<rules::SetSysctlAction>()) {
      auto change = computeFileChange(a, overlay, accounts, settings_.writable_paths);
      if (!change.ok()) {
        endOnStepError(std::move(step), change.error());
        break;
      }
      step.path = change->path;
      step.description = describeFileChange(a.type, *change);
      step.diff = recordedDiff(*change);
      if (auto st = applyFileChange(overlay, *change); !st.ok()) {
        stopPlan(std::move(step), Reason::HostError, change->path + ": " + st.error().message);
        break;
      }
      const std::vector<std::string>* validator = nullptr;
      if (const auto* s = a.as<rules::SetConfigValueAction>()) validator = &s->validate;
      if (const auto* s = a.as<rules::EnsureLineAction>()) validator = &s->validate;
      if (const auto* s = a.as<rules::RemoveLineAction>()) validator = &s->validate;
      if (const auto* s = a.as<rules::WriteFileAction>()) validator = &s->validate;
      if (validator && change->changesContent()) {
        if (auto [code, why] = validate(*validator, change->path); !why.empty()) {
          stopPlan(std::move(step), code, why);
          break;
        }
        step.argv = *validator;
      }
      planned.kind = PlannedStep::Kind::File;
      planned.change = std::move(*change);
    } else if (const auto* s = a.as<rules::SetSysctlAction>()) {
      auto change = computeSysctlPersist(*s, overlay, settings_.writable_paths);
      if (!change.ok()) {
        endOnStepError(std::move(step), change.error());
        break;
      }
      planned.key = s->key;
      planned.proc_path = sysctlProcPath(s->key);
      planned.value = s->value + "\n";
      step.path = change->path;
      step.description = "write " + s->value + " to " + planned.proc_path + "; persist in " + change->path;
      step.diff = recordedDiff(*change);
      auto st = applyFileChange(overlay, *change);
      if (st.ok()) st = overlay.writeFileAtomic(planned.proc_path, planned.value, 0644, 0, 0);
      if (!st.ok()) {
        stopPlan(std::move(step), Reason::HostError, st.error().message);
        break;
      }
      planned.kind = PlannedStep::Kind::Sysctl;
      planned.change = std::move(*change);
    } else if (const auto* s = std::get_if<rules::RunCommandAction>(&a.body)) {
      if (auto missing = toolMissing(s->argv[0]); !missing.empty()) {
        stopPlan(std::move(step), Reason::ToolMissing, missing);
        break;
      }
      step.argv = s->argv;
      step.description = "run " + s->argv[0];
      planned.kind = PlannedStep::Kind::Command;
      planned.argv = s->argv;
      planned.timeout = s->timeout.value_or(settings_.command_timeout);
    } else if (const auto* s = a.as<rules::AlertAction>()) {
      step.description = s->message;
    } else if (const auto* s = a.as<rules::EscalateAction>()) {
      step.description = s->reason;
    } else if (const auto* s = a.as<rules::AgentHealAction>()) {
      // Accepted in rules (a synced bundle may carry workstation rules), but only the gateway can
      // send a HealCommand; until it exists the honest outcome is a refusal, never a silent skip.
      step.description = "send a HealCommand (" + s->check_type + ") for " + finding.target +
                         " to its workstation agent";
      stopPlan(std::move(step), Reason::NoGateway, std::string(kNoGatewayReason));
      break;
    } else {
      std::string unit;
      std::visit([&](const auto& x) {
        if constexpr (std::is_base_of_v<rules::ServiceAction, std::decay_t<decltype(x)>>) unit = x.unit;
      }, a.body);
      if (unit.empty()) {
        stopPlan(std::move(step), Reason::NotPlannable, "action type '" + a.type + "' cannot be planned");
        break;
      }
      if (auto missing = toolMissing("systemctl"); !missing.empty()) {
        stopPlan(std::move(step), Reason::ToolMissing, missing);
        break;
      }
      const std::string verb = serviceVerb(a.type);
      step.unit = unit;
      step.argv = {"systemctl", verb, "--", unit};
      step.description = "systemctl " + verb + " " + unit;
      if (verb == "start" || verb == "restart") view.live.predictActive(unit);
      if (verb == "enable") view.live.predictEnabled(unit);
      planned.kind = PlannedStep::Kind::Service;
      planned.verb = verb;
      planned.unit = unit;
    }
    rec.steps.push_back(std::move(step));
    plan.steps.push_back(std::move(planned));
  }
  if (!plan.planned()) plan.steps.clear();
  return plan;
}

}  // namespace healing
