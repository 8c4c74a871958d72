#include "healing/dry_run_executor.h"

#include "checks/check_runner.h"

namespace healing {

ActionRecord DryRunExecutor::execute(const rules::L1Rule& rule, const checks::Finding& finding,
                                     const rules::Check& check) {
  PlanView view(env_);
  Plan plan = planner_.plan(rule, finding, view);
  ActionRecord rec = std::move(plan.record);
  if (rec.outcome == Outcome::Refused || rec.outcome == Outcome::Failed) return rec;
  if (rec.reason_code == Reason::NixManaged) {
    rec.would_pass = false;  // handed to a human: nothing this plan does fixes it
    return rec;
  }
  // Re-check on the overlay: would the check pass for this target once the plan is applied?
  checks::ProbeContext ctx{view.files, view.live, env_.commands, env_.clock, probes_};
  ctx.command_timeout = settings_.probe_timeout;
  ctx.agent_client_cert_file = settings_.agent_client_cert_file;
  rec.would_pass = recheckPasses(checks::evaluateCheck(check, ctx), finding.target);
  return rec;
}

}  // namespace healing
