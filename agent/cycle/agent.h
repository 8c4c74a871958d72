#pragma once
// One agent, one owner of the cycle: what `run --once`, `heal --rule` and (next) the daemon run
// on. It is built in two steps by the composition root, the only place real implementations are
// chosen:
//
//   prepare(cfg)          the foundation: the live preflight, the state_dir lock, the rule set
//                         (validated, cached), the host. Nothing is recorded yet, so a command
//                         can still refuse (an unknown rule id) without leaving a trace.
//   Agent::start(...)     the evidence (key, store, writer; the lifecycle `start` record), the
//                         healing the mode chooses (dry-run plans, live acts behind one Guards
//                         and one PendingSyncs), the start-of-run sweep of temporaries.
//
// Then any number of runCycle() / heal() / checkIn() calls, and stop(). Everything reads one
// clock, the host environment's. The rule set stays the same for the life of the object (a swap
// between cycles comes with rule sync); the tier and the disabled checks change only at a
// check-in, so between cycles.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checks/finding.h"
#include "config/agent_config.h"
#include "core/result.h"
#include "checkin/central_link.h"
#include "cycle/central.h"
#include "cycle/evidence_session.h"
#include "cycle/foundation.h"
#include "cycle/healing_session.h"
#include "cycle/problem.h"
#include "cycle/cycle_recorder.h"
#include "healing/action_record.h"
#include "platform/host_env.h"
#include "platform/state_lock.h"

namespace cycle {

/// What prepare() builds: held by the Agent for its life.
struct Foundation {
  platform::StateLock lock;  // state_dir is this process's while the agent lives
  LoadedAgent agent;
  std::unique_ptr<platform::LinuxHostEnv> host;
};

/// The live preflight (before anything is tried), the state_dir lock and its ownership check,
/// the rules (the compiled cache written: the lock is held) and the host. Fails as
/// livePreflight, lockStateDir, liveStateDirCheck, loadAgentWith and openHost.
core::Result<Foundation, Problem> prepare(config::AgentConfig cfg);

/// What validate() checked, for its one line.
struct Validated {
  LoadedAgent agent;
  bool connected = false;  // central.endpoint set (and its link's files and key usable)
};

/// The validate-only mode of prepare() (the unit's ExecStartPre, `config validate`): the live
/// preflight, the rules (validated, no cache written), the host root, and the central link's
/// configuration (site_id, the API key file and its mode, the TLS files). Takes no lock, writes
/// nothing, dials nothing. Fails as prepare() and makeCentralLink do.
core::Result<Validated, Problem> validate(config::AgentConfig cfg);

/// Who runs the agent, for its lifecycle records: the command ("run --once", "heal --rule X")
/// and the actor ("agent", or the operator's "uid:N").
struct StartOptions {
  std::string command;
  std::string actor = "agent";
};

/// What a cycle or an operator's heal did. `findings` is the host after it: re-checked
/// (`rechecked`, with the first look in `findings_before`) when a live action may have changed it.
struct CycleResult {
  std::vector<checks::Finding> findings;
  std::vector<checks::Finding> findings_before;
  std::vector<healing::ActionRecord> actions;
  bool rechecked = false;
  /// Set when the cycle stopped early (what the checks saw could not be recorded, live; the
  /// guards could not be saved): nothing more was healed; the records so far are committed.
  std::optional<Problem> stopped;
};

/// What a check-in did.
struct CheckInResult {
  bool attempted = false;  // false: offline (no central.endpoint), nothing was sent
  std::optional<checkin::LinkError> error;  // it failed: the agent keeps what it has
  config::Tier tier_before = config::Tier::Standard;
  config::Tier tier_after = config::Tier::Standard;  // what the next cycle runs
};

class Agent {
 public:
  /// Opens the evidence and the healing of the configured mode on `foundation` and writes the
  /// lifecycle `start` record. Fails with a Runtime problem (key, store, guards).
  static core::Result<std::unique_ptr<Agent>, Problem> start(Foundation foundation, StartOptions options);

  const config::AgentConfig& config() const { return base_.agent.config; }
  const rules::RuleSet& rules() const { return base_.agent.rules; }
  const LoadedAgent& loaded() const { return base_.agent; }

  /// One cycle: evidence retention and (live) the backups past their retention pruned, the
  /// checks, their changes recorded, healing by the tier's rules through the mode's executor
  /// (live: behind the guards, each action's record durable before the next acts), the re-check
  /// after a live change, the cycle record. The cycle record's finish commits the cycle's
  /// records; whether that worked is logged and returned by stop() (for the last cycle).
  CycleResult runCycle();

  /// An operator's heal of `rule` (on `target` only, when given): its check's drifted findings
  /// the rule matches, each acted on through the mode's executor, ignoring tier, cooldown,
  /// attempt caps, flapping and the breaker, obeying the pause and the maintenance window; the
  /// same targets re-checked after a live change. The actor is StartOptions::actor.
  CycleResult heal(const rules::L1Rule& rule, const std::optional<std::string>& target);

  /// Hands the agent its link to central command (makeCentralLink; nullptr: offline).
  void connect(std::unique_ptr<checkin::CentralLink> link) { link_ = std::move(link); }

  /// Checks in with central command: who this appliance is, its tier, mode, evidence head and
  /// public key, the last cycle's counts and health. From the answer, the site's tier and the
  /// checks central command disables take effect at the next cycle (unless `--tier` chose the
  /// tier for this run) and are kept in state_dir/central.json. Success and failure are each a
  /// `checkin` evidence record and a log line; a failure changes nothing (offline, the agent
  /// keeps working on what it has). Offline (no link) it does nothing.
  CheckInResult checkIn();

  /// Writes the lifecycle `stop` record and makes every record durable; logs how the last
  /// runCycle() (when it was the last call) was recorded. Fails with a Runtime problem when the
  /// records are not durable or that cycle's could not be recorded: the caller's exit code says
  /// so. A second stop() does nothing.
  core::Status<Problem> stop();

  // The executor and the guards hold references into the object: it stays where it was made.
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;
  Agent(Agent&&) = delete;
  Agent& operator=(Agent&&) = delete;

 private:
  Agent(Foundation foundation, StartOptions options);
  // Connected (central.endpoint set): central.json's settings over the file's (start only).
  void applyKeptCentralSettings();

  Foundation base_;
  // agent.yaml, environment and flags as loaded: what central command's settings apply to.
  config::AgentConfig file_config_;
  StartOptions options_;
  platform::HostEnv env_;
  EvidenceSession evidence_;
  HealingSession healing_;
  // The record of the last call when it was runCycle() (reset by every call), for stop().
  std::optional<core::Result<CycleRecorded, RecordError>> last_recorded_;
  bool stopped_ = false;
  std::unique_ptr<checkin::CentralLink> link_;
  std::string appliance_id_;
  // What the next check-in reports of the last cycle (absent before the first).
  std::optional<v1::CycleSummary> last_cycle_;
  std::vector<std::string> last_health_;
};

}  // namespace cycle
