#pragma once
// DryRunExecutor: makes the rule's plan (healing/plan.h: every step on a copy-on-write overlay of
// the host files, so several steps on one file chain; the exact diff of each file step; the
// validators on the candidate, read-only), re-runs the check against the overlay and the
// predicted unit states (`would_pass`), and changes nothing: no host file, no service, no command
// that acts, nothing sent. The outcome is `planned` (alert and escalate steps included), or
// `refused` (`failed` when the host could not be read).
#include "checks/probe_registry.h"
#include "healing/executor.h"
#include "healing/plan.h"
#include "platform/host_env.h"

namespace healing {

class DryRunExecutor final : public Executor {
 public:
  DryRunExecutor(platform::HostEnv env, const checks::ProbeRegistry& probes, ExecutorSettings settings)
      : env_(env), probes_(probes), settings_(std::move(settings)), planner_(env_, settings_) {}

  ActionRecord execute(const rules::L1Rule& rule, const checks::Finding& finding, const rules::Check& check) override;

 private:
  platform::HostEnv env_;
  const checks::ProbeRegistry& probes_;
  ExecutorSettings settings_;
  Planner planner_;  // after settings_, which it refers to
};

}  // namespace healing
