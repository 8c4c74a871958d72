#pragma once
// What acting commands (`run --once`, `heal`) share: the executor the mode chooses (dry-run
// plans, live acts), the guards from state_dir/guards.json with the configuration's limits, and
// the hook that makes each heal record durable evidence as soon as it is made.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "checks/finding.h"
#include "cycle/foundation.h"
#include "core/clock.h"
#include "core/pending_syncs.h"
#include "evidence/writer.h"
#include "healing/action_record.h"
#include "healing/executor.h"
#include "healing/guards.h"
#include "platform/host_env.h"

namespace cycle {

inline constexpr const char* kGuardsFile = "guards.json";
inline constexpr const char* kBackupsDir = "backups";

/// Live only (nothing in dry-run), before anything is tried or recorded: whether this process
/// can do what live healing needs: root (it chowns, writes root's files, runs systemctl), or for
/// a host_root other than "/" (an image, a fixture) the owner of that root. A Config problem,
/// and one line.
core::Status<Problem> livePreflight(const config::AgentConfig& cfg);
/// Live only, once the state_dir lock is held: state_dir is a directory (not a link) of this
/// process's own uid that no group or other can write: its guards and backups decide what the
/// agent does next. A Config problem, one line.
core::Status<Problem> liveStateDirCheck(const config::AgentConfig& cfg);

/// The guards of state_dir with the configuration's limits. A Runtime problem for a guard
/// file that cannot be read or is not guard state (named in the message).
core::Result<healing::Guards, Problem> loadGuards(const config::AgentConfig& cfg, const core::Clock& clock);

struct HealingSession {
  std::unique_ptr<core::SystemSleeper> sleeper;
  /// Live only: the pass's pending syncs, shared by the guards' write-ahead save, the executor
  /// and the heal records, so that what can share a flush does (LiveExecutor: "Durability").
  std::unique_ptr<core::PendingSyncs> syncs;
  std::unique_ptr<healing::Guards> guards;      // live only: dry-run plans are not actions
  std::unique_ptr<healing::Executor> executor;
};

/// state_dir/backups: the live executor's backups of what it changed.
std::string backupsDir(const config::AgentConfig& cfg);

/// Removes the backups in `dir` older than `retention`; logs what it removed and any problem.
/// Live passes call it first (Agent::runCycle, Agent::heal), so a long-lived agent prunes too.
void pruneOldBackups(const std::string& dir, std::chrono::milliseconds retention, const core::Clock& clock);

/// The executor of the configured mode, and in live mode the guards, on `env` and its clock.
/// Fails as loadGuards.
core::Result<HealingSession, Problem> openHealing(const config::AgentConfig& cfg, const LoadedAgent& agent,
                                                  const platform::HostEnv& env);

/// A hook for HealOptions::on_record: each record becomes a `heal` record by `actor`, with the
/// finding it answers (from `findings`). The record of an action, alert or escalation is durable
/// at once, or with `syncs` (the session's) written at once and made durable by the next flush of
/// `syncs`, which the guards' next save pays for before anything more acts (Writer::commitLater).
/// A record of nothing done (not_in_tier, no_rule, audited, suppressed, planned) is only queued:
/// the next one, or the caller's commit, writes it. Returns false, and logs why, when the record
/// cannot be written or made durable: the caller then stops acting. With `due`, a record it says
/// is not due (an unchanged not_in_tier plan: CycleRecorder::planDue) is not written.
std::function<bool(const healing::ActionRecord&)> healRecorder(
    evidence::Writer& writer, const std::vector<checks::Finding>& findings, std::string actor,
    core::PendingSyncs* syncs = nullptr, std::function<bool(const healing::ActionRecord&)> due = {});

/// Live only (nothing in dry-run, which changes nothing): removes the temporaries a killed agent
/// left in the directories it writes (healing::sweepTemporaries) and records each removal as a
/// `lifecycle` `recovery` record, committed before healing starts; logs what it could not sweep.
void sweepHostTemporaries(const config::AgentConfig& cfg, const rules::RuleSet& rules, platform::HostFiles& files,
                          evidence::Writer& writer);


}  // namespace cycle
