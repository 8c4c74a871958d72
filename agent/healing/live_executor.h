#pragma once
// LiveExecutor: acts on the host. Every rule is first planned exactly as a dry-run plans it
// (healing/plan.h, on an overlay: the writable_paths policy, the validators on the candidate,
// nix_managed), so anything a plan refuses is refused here with nothing done. Then the plan's
// steps run for real, in order (a file the plan read that has changed since is not written: the
// step fails):
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
//
// Durability, and what each flush covers (a heal must keep: the guards' attempt and the backup
// durable before the change; no file ever torn; the change durable before its record, and the
// record before the next action changes anything). With the pass's PendingSyncs, a heal with one
// file step pays ONE flush where it paid eight:
//   1. the guards' write-ahead save appends the attempt's intent to guards.intents, its flush
//      left pending, due before the change; the previous heal's record (written to the evidence
//      segment at once: evidence::Writer::commitLater) and that heal's host directory entry are
//      pending too;
//   2. the backup file and its directory entry are written and left pending, due before the
//      change; the new content is written without a name (O_TMPFILE); then ONE flush covers
//      the intent, the backup, the new content and the previous heal's entry and record (a
//      syncfs where they share a file system, as state_dir and /etc do on an appliance; the
//      records' file system last), and only then does the content get its name and replace the
//      file: nothing the change depends on can be lost after it, and the previous record is
//      durable before this change;
//   3. the host directory's entry (the rename) is left pending, due before the record; the heal
//      record is written and left pending too, both due before the next change: the next
//      heal's flush (or the pass's guard save at its end) makes them durable, the segment last,
//      so a durable record never describes a change a power cut could undo. A power cut before
//      that flush loses the record of a heal whose attempt the guards hold (write-ahead), as a
//      kill in the middle of the heal would.
// Commands and service steps flush what is due before a change first, so the backup and the
// attempt precede them too. A rollback's restore writes pay their own flushes (the rare path).
#include <string>

#include "checks/probe_registry.h"
#include "core/clock.h"
#include "healing/executor.h"
#include "healing/plan.h"
#include "platform/host_env.h"

namespace healing {

class LiveExecutor final : public Executor {
 public:
  /// `backup_dir`: where backups go (state_dir/backups; created 0700 when missing). `syncs`
  /// (may be null: every write then pays for its own flushes): the healing pass's pending syncs,
  /// shared with the guards' write-ahead save and the heal records (see "Durability" above).
  LiveExecutor(platform::HostEnv env, const checks::ProbeRegistry& probes, ExecutorSettings settings,
               std::string backup_dir, core::Sleeper& sleeper, core::PendingSyncs* syncs = nullptr)
      : env_(env), probes_(probes), settings_(std::move(settings)), backup_dir_(std::move(backup_dir)),
        sleeper_(sleeper), syncs_(syncs), planner_(env_, settings_) {}

  ActionRecord execute(const rules::L1Rule& rule, const checks::Finding& finding, const rules::Check& check) override;

 private:
  platform::HostEnv env_;
  const checks::ProbeRegistry& probes_;
  ExecutorSettings settings_;
  std::string backup_dir_;
  core::Sleeper& sleeper_;
  core::PendingSyncs* syncs_;
  Planner planner_;  // after settings_, which it refers to
};

}  // namespace healing
