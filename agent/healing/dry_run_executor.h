#pragma once
// DryRunExecutor: plans every step on a copy-on-write overlay of the host files (so several
// steps on one file chain), records the exact diff of each file step, runs the validators on the
// candidate (read-only), re-runs the check against the overlay and the predicted unit states
// (`would_pass`), and changes nothing: no host file, no service, no command that acts, nothing
// sent. The outcome is `planned` (alert and escalate steps included), or `refused`.
#include <chrono>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "checks/probe_registry.h"
#include "healing/executor.h"
#include "platform/host_env.h"

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

class DryRunExecutor final : public Executor {
 public:
  DryRunExecutor(platform::HostEnv env, const checks::ProbeRegistry& probes, ExecutorSettings settings)
      : env_(env), probes_(probes), settings_(std::move(settings)) {}

  ActionRecord execute(const rules::L1Rule& rule, const checks::Finding& finding, const rules::Check& check) override;

 private:
  platform::HostEnv env_;
  const checks::ProbeRegistry& probes_;
  ExecutorSettings settings_;
};

}  // namespace healing
