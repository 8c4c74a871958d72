#pragma once
// LiveExecutor: acts on the host. Every rule is first planned exactly as a dry-run plans it (on an
// overlay: the writable_paths policy, the validators on the candidate, nix_managed), so anything
// a plan refuses is refused here with nothing done. Then the steps run for real, in order:
//   - file steps: a backup of the file (content and metadata) in the backup directory, synced,
//     then the change (HostFiles::writeFileAtomic keeps the planned mode and owner, or a chown
//     and chmod alone); reversible;
//   - set_sysctl: the persist file as a file step, then the live value written into /proc/sys
//     (irreversible: the kernel used it at once);
//   - service steps (systemctl VERB -- UNIT) and run_command: irreversible;
//   - alert and escalate: recorded; a rule of only those is `alerted` / `escalated`.
// A failing step restores the earlier ones in reverse order: `failed`, naming the step. After
// the last step the executor waits the rule's verify_after and re-runs the check on the host:
// passing is `healed`; still drifting restores every reversible step in reverse order:
// `rolled_back`, or `failed` when an irreversible step ran. A reload or restart after a file
// change is the one irreversible step a rollback can undo (design.md: Outcomes): once the files
// are back it runs again, so the service runs the restored configuration; that is `rolled_back`
// (and on the failing-step path, `failed` with the service back on the old files).
#include <string>

#include "checks/probe_registry.h"
#include "core/clock.h"
#include "healing/dry_run_executor.h"
#include "healing/executor.h"
#include "platform/host_env.h"

namespace healing {

class LiveExecutor final : public Executor {
 public:
  /// `backup_dir`: where backups go (state_dir/backups; created 0700 when missing).
  LiveExecutor(platform::HostEnv env, const checks::ProbeRegistry& probes, ExecutorSettings settings,
               std::string backup_dir, core::Sleeper& sleeper)
      : env_(env), probes_(probes), settings_(std::move(settings)), backup_dir_(std::move(backup_dir)),
        sleeper_(sleeper) {}

  ActionRecord execute(const rules::L1Rule& rule, const checks::Finding& finding, const rules::Check& check) override;

 private:
  platform::HostEnv env_;
  const checks::ProbeRegistry& probes_;
  ExecutorSettings settings_;
  std::string backup_dir_;
  core::Sleeper& sleeper_;
};

}  // namespace healing
