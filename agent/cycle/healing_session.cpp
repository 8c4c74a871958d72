#include "cycle/healing_session.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string_view>

#include "core/log.h"
#include "cycle/cycle_recorder.h"
#include "core/duration.h"
#include "healing/backups.h"
#include "healing/dry_run_executor.h"
#include "healing/live_executor.h"
#include "healing/temp_sweep.h"

namespace cycle {

core::Result<healing::Guards, Problem> loadGuards(const config::AgentConfig& cfg, const core::Clock& clock) {
  healing::GuardSettings gs;
  gs.max_actions_per_hour = cfg.healing.max_actions_per_hour;
  gs.attempt_window = cfg.healing.attempt_window;
  gs.flap_threshold = cfg.healing.flap_threshold;
  gs.flap_window = cfg.healing.flap_window;
  if (cfg.healing.maintenance_window) {
    gs.maintenance_window = std::pair{cfg.healing.maintenance_window->start_minute,
                                      cfg.healing.maintenance_window->end_minute};
  } else {
    gs.maintenance_window.reset();
  }
  auto guards = healing::Guards::load(cfg.state_dir + "/" + kGuardsFile, gs, clock);
  if (!guards.ok()) return core::fail(Problem{ProblemKind::Runtime, "healing guards: " + guards.error().message});
  return std::move(*guards);
}

std::string backupsDir(const config::AgentConfig& cfg) { return cfg.state_dir + "/" + kBackupsDir; }

void pruneOldBackups(const std::string& dir, std::chrono::milliseconds retention, const core::Clock& clock) {
  const auto log = core::log::logger("healing");
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.wallNow().time_since_epoch()).count();
  auto pruned = healing::pruneBackups(dir, now_ms, retention);
  if (!pruned.ok()) {
    // Not fatal here: the next backup write refuses the same directory, failing that heal.
    log->error("backups: {}", pruned.error());
    return;
  }
  if (pruned->removed > 0) {
    log->info("backups: {} files older than {} removed from {}", pruned->removed, core::formatDuration(retention), dir);
  }
  for (const auto& p : pruned->problems) log->warn("backups: cannot remove {}", p);
}

core::Result<HealingSession, Problem> openHealing(const config::AgentConfig& cfg, const LoadedAgent& agent,
                                                  const platform::HostEnv& env) {
  HealingSession s;
  s.sleeper = std::make_unique<core::SystemSleeper>();
  const healing::ExecutorSettings settings{cfg.healing.writable_paths, cfg.healing.command_timeout,
                                           cfg.checks.command_timeout, cfg.central.client_cert_file};
  if (cfg.healing.dry_run) {
    s.executor = std::make_unique<healing::DryRunExecutor>(env, agent.probes, settings);
    return s;
  }
  auto guards = loadGuards(cfg, env.clock);
  if (!guards.ok()) return core::fail(std::move(guards.error()));
  s.syncs = std::make_unique<core::PendingSyncs>();
  s.guards = std::make_unique<healing::Guards>(std::move(*guards));
  s.guards->deferWriteAheadSync(s.syncs.get());
  if (auto p = s.guards->paused()) {
    core::log::logger("healing")->warn("healing is paused{} by {}: nothing acts until `heal --resume`",
                                       p->first ? " until " + evidence::formatTimestamp(*p->first) : std::string(),
                                       p->second.empty() ? std::string("an operator") : p->second);
  }
  s.executor = std::make_unique<healing::LiveExecutor>(env, agent.probes, settings, backupsDir(cfg), *s.sleeper,
                                                       s.syncs.get());
  return s;
}

namespace {

// Whether a record says something was done to the host, or handed to a human: then it is made
// durable before anything else acts. (not_in_tier, no_rule, audited, suppressed and planned
// records describe nothing done.)
bool actedOrTold(healing::Outcome o) {
  using healing::Outcome;
  return !(o == Outcome::NotInTier || o == Outcome::NoRule || o == Outcome::Audited || o == Outcome::Suppressed ||
           o == Outcome::Planned);
}

}  // namespace

core::Status<Problem> livePreflight(const config::AgentConfig& cfg) {
  if (cfg.healing.dry_run) return core::Ok{};
  const unsigned euid = ::geteuid();
  if (euid == 0) return core::Ok{};
  const std::string running = "running as uid " + std::to_string(euid);
  if (cfg.host_root == "/") {
    return core::fail(Problem{ProblemKind::Config, "live healing needs root (" + running +
                                              "): it changes root's files, owners and services; run it as root, "
                                              "or with --dry-run to plan only"});
  }
  // Another root (an image, a fixture): its owner may heal what it owns, nobody else.
  struct stat st {};
  if (::stat(cfg.host_root.c_str(), &st) != 0 || st.st_uid != euid) {
    return core::fail(Problem{ProblemKind::Config, "live healing of host_root " + cfg.host_root + " needs root or its owner (" +
                                              running + "); run it as root, or with --dry-run to plan only"});
  }
  return core::Ok{};
}

core::Status<Problem> liveStateDirCheck(const config::AgentConfig& cfg) {
  if (cfg.healing.dry_run) return core::Ok{};
  // Through a descriptor of the directory itself (no link followed), after the lock is taken:
  // what is checked is what the guards and backups are then written in.
  const int fd = ::open(cfg.state_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    return core::fail(Problem{ProblemKind::Config, "live healing refused: state_dir " + cfg.state_dir + ": " +
                                              (errno == ELOOP || errno == ENOTDIR ? "is not a directory (a link?)"
                                                                                  : std::strerror(errno))});
  }
  struct stat st {};
  const int got = ::fstat(fd, &st);
  const int fstat_errno = errno;  // close() may change it
  ::close(fd);
  const unsigned euid = ::geteuid();
  if (got != 0 || st.st_uid != euid || (st.st_mode & 022) != 0) {
    const std::string what = got != 0            ? std::string("cannot be examined: ") + std::strerror(fstat_errno)
                             : st.st_uid != euid ? "is owned by uid " + std::to_string(st.st_uid)
                                                 : "is writable by its group or others";
    return core::fail(Problem{ProblemKind::Config, "live healing refused: state_dir " + cfg.state_dir + " " + what +
                                              "; its guards and backups must be the agent's own (uid " +
                                              std::to_string(euid) + ", not group- or world-writable)"});
  }
  return core::Ok{};
}

std::function<bool(const healing::ActionRecord&)> healRecorder(
    evidence::Writer& writer, const std::vector<checks::Finding>& findings, std::string actor,
    core::PendingSyncs* syncs, std::function<bool(const healing::ActionRecord&)> due) {
  auto by_key = std::make_shared<std::map<std::pair<std::string, std::string>, const checks::Finding*>>();
  for (const auto& f : findings) (*by_key)[{f.check_id, f.target}] = &f;
  return [&writer, by_key, actor = std::move(actor), syncs, due = std::move(due)](const healing::ActionRecord& rec) {
    if (due && !due(rec)) return true;
    const auto it = by_key->find({rec.check_id, rec.target});
    const auto body = healBody(rec, it == by_key->end() ? nullptr : it->second);
    if (!actedOrTold(rec.outcome)) {
      // Nothing was done or handed over: the record need not cost a flush or a write of its
      // own; the next action's record, or the end of the pass, writes it with the rest.
      auto queued = writer.append(evidence::Kind::Heal, actor, body);
      if (queued.ok()) return true;
      core::log::logger("evidence")->error("evidence: the heal record of {} on {} cannot be written: {}", rec.rule_id,
                                           rec.target, queued.error().message);
      return false;
    }
    // Live: written now, durable with the flush the next action pays before its change (or the
    // pass's last guard save), before anything else changes (evidence::Writer::commitLater).
    auto durable = syncs ? writer.appendLater(evidence::Kind::Heal, actor, body, *syncs)
                         : writer.appendDurable(evidence::Kind::Heal, actor, body);
    if (!durable.ok()) {
      core::log::logger("evidence")->error("evidence: the heal record of {} on {} is not durable: {}", rec.rule_id,
                                           rec.target, durable.error().message);
      return false;
    }
    return true;
  };
}

void sweepHostTemporaries(const config::AgentConfig& cfg, const rules::RuleSet& rules, platform::HostFiles& files,
                          evidence::Writer& writer) {
  if (cfg.healing.dry_run) return;
  const auto log = core::log::logger("healing");
  const healing::SweepReport swept = healing::sweepTemporaries(files, cfg.healing.writable_paths, rules);
  for (const auto& path : swept.removed) {
    log->warn("removed {}: a temporary file a killed run left behind (recorded as a lifecycle recovery)", path);
    (void)writer.append(evidence::Kind::Lifecycle, "agent",
                        {{"event", "recovery"}, {"temporary_removed", path}});
  }
  for (const auto& p : swept.problems) log->warn("sweeping temporary files: {}", p);
  if (!swept.removed.empty()) {
    if (auto st = writer.commit(); !st.ok()) log->error("evidence: the recovery records are not durable: {}", st.error().message);
  }
}


}  // namespace cycle
