#include "healing/live_executor.h"

#include <algorithm>
#include <optional>

#include "checks/check_runner.h"
#include "checks/redaction.h"
#include "healing/backups.h"
#include "healing/file_change.h"

namespace healing {
namespace {

// Whether the file is as `c` found it: its mode and owner, and its content when `c` changes it
// (a file `c` creates: not there). Used before a write (the plan's change was computed from that
// state) and in a rollback (a step that failed before it changed anything has nothing to put
// back).
enum class Sameness { Same, Changed, Unknown };
struct FileSameness {
  Sameness is = Sameness::Same;
  std::string error;  // Unknown: why the file could not be compared
};

FileSameness compareWith(const platform::HostFiles& files, const FileChange& c) {
  if (!c.existed) {
    auto there = files.exists(c.path);
    if (!there.ok()) return {Sameness::Unknown, there.error().message};
    return {*there ? Sameness::Changed : Sameness::Same, {}};
  }
  auto st = files.stat(c.path);
  if (!st.ok()) {
    if (st.error().code == platform::FsErrc::NotFound) return {Sameness::Changed, {}};
    return {Sameness::Unknown, st.error().message};
  }
  if (st->mode != c.mode_before || st->uid != c.uid_before || st->gid != c.gid_before) return {Sameness::Changed, {}};
  if (!c.changesContent()) return {};
  auto content = files.readFile(c.path, c.before.size() + 1);
  if (!content.ok()) {
    if (content.error().code == platform::FsErrc::TooLarge) return {Sameness::Changed, {}};
    return {Sameness::Unknown, content.error().message};
  }
  return {*content == c.before ? Sameness::Same : Sameness::Changed, {}};
}

bool unchangedSince(const platform::HostFiles& files, const FileChange& c) {
  return compareWith(files, c).is == Sameness::Same;
}

// Puts one file back; "" or why it could not.
std::string restore(platform::HostFiles& files, const FileChange& c) {
  if (!c.existed) {
    auto st = files.removeFile(c.path);
    // Not there: the step that would have created it failed before it did.
    return st.ok() || st.error().code == platform::FsErrc::NotFound ? "" : st.error().message;
  }
  FileChange back = c;
  std::swap(back.before, back.after);
  std::swap(back.mode_before, back.mode_after);
  std::swap(back.uid_before, back.uid_after);
  std::swap(back.gid_before, back.gid_after);
  if (c.changesContent()) {
    // Content and metadata together, as they were.
    auto st = files.writeFileAtomic(c.path, c.before, c.mode_before, c.uid_before, c.gid_before);
    return st.ok() ? "" : st.error().message;
  }
  auto st = applyFileChange(files, back);
  return st.ok() ? "" : st.error().message;
}

}  // namespace

ActionRecord LiveExecutor::execute(const rules::L1Rule& rule, const checks::Finding& finding,
                                   const rules::Check& check) {
  // 1. The plan: every policy decision and validator verdict, made on an overlay (healing/plan.h).
  // What runs below is this plan's steps, never a second computation of them.
  Plan plan;
  {
    PlanView view(env_);
    plan = planner_.plan(rule, finding, view);
  }
  ActionRecord rec = std::move(plan.record);
  if (rec.outcome == Outcome::Refused || rec.outcome == Outcome::Failed) return rec;
  if (rec.reason_code == Reason::NixManaged) {
    rec.outcome = Outcome::Escalated;  // handed to a human: the fix belongs in the NixOS config
    return rec;
  }
  if (!plan.changesHost()) {
    const bool escalates = plan.escalates();
    rec.outcome = escalates ? Outcome::Escalated : Outcome::Alerted;
    rec.reason_code = escalates ? Reason::RuleEscalates : Reason::RuleAlerts;
    return rec;
  }

  // 2. The steps, for real.
  std::vector<FileChange> undo;
  std::string irreversible;  // the first irreversible step that ran, other than a reload/restart
  // Reloads and restarts that ran (or failed) after a file change: once the files are restored
  // they run again, so the service runs the restored configuration too (design.md: Outcomes).
  struct Reapply {
    std::string type, verb, unit;
  };
  std::vector<Reapply> reapply;  // in the order they ran
  // File steps are merged per file and written once, just before the next step that is not a
  // file step (or after the last step): a rule whose steps edit one file twice (remove the old
  // lines, then ensure the new one) pays one backup and one write, with one flush before it,
  // instead of one of each per step. The plan computed each step on the result of the ones
  // before it.
  std::vector<std::pair<std::size_t, FileChange>> pending;  // (last step that changed it, merged change)
  const auto now_ms = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(env_.clock.wallNow().time_since_epoch()).count();
  };
  const auto runSystemctl = [&](const std::string& verb, const std::string& unit) -> std::string {
    platform::CommandSpec spec;
    spec.argv = {"systemctl", verb, "--", unit};
    spec.timeout = settings_.command_timeout;
    auto res = env_.commands.run(spec);
    if (!res.ok()) return res.error().message;
    if (res->succeeded()) return "";
    return "systemctl " + verb + " " + unit + (res->timed_out ? " timed out" : " exited " + std::to_string(res->exit_code)) +
           (res->err.empty() ? "" : ": " + checks::excerpt(res->err));
  };
  // Restores every file step in reverse order, then runs the reloads/restarts again when a file
  // was restored. Says what was put back, or what went wrong, for the outcome's reason.
  struct Restored {
    std::string files;    // "" or why a file could not be restored
    std::string reapply;  // "" or why running a reload/restart again failed
    bool reapplied = false;
    bool skipped_reapply = false;
    std::size_t put_back = 0;  // files that had changed and were restored
    bool ok() const { return files.empty() && reapply.empty(); }
    std::string text(const std::string& what) const {
      if (put_back == 0 && !reapplied && ok()) return "nothing to restore: no file had been changed";
      if (!files.empty()) {
        return "restoring failed: " + files +
               (skipped_reapply ? "; the reload/restart was not run again on the half-restored files" : "");
      }
      if (!reapply.empty()) return what + ", but " + reapply;
      return what + (reapplied ? ", and the reload/restart run again on the restored files" : "");
    }
  };
  const auto rollback = [&]() {
    Restored r;
    for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
      // A step that failed before it changed its file (a write refused outright) has nothing to
      // put back: trying would only fail the same way and claim a restore that never mattered.
      if (unchangedSince(env_.files, *it)) continue;
      ++r.put_back;
      if (auto why = restore(env_.files, *it); !why.empty()) r.files += (r.files.empty() ? "" : "; ") + why;
    }
    undo.clear();
    // With a file left half-restored, reloading would hand the service a state nobody chose.
    if (r.put_back > 0 && r.files.empty()) {
      for (const auto& again : reapply) {
        r.reapplied = true;
        // In the record too: the evidence shows every command that ran, the rollback's included.
        StepRecord step;
        step.type = again.type;
        step.unit = again.unit;
        step.argv = {"systemctl", again.verb, "--", again.unit};
        step.description = "rollback: systemctl " + again.verb + " " + again.unit + " again, on the restored files";
        if (auto why = runSystemctl(again.verb, again.unit); !why.empty()) {
          step.error = why;
          r.reapply += (r.reapply.empty() ? "running " : "; running ") + again.verb + " " + again.unit + " again failed: " + why;
        }
        rec.steps.push_back(std::move(step));
      }
    } else if (!reapply.empty()) {
      r.skipped_reapply = true;
    }
    reapply.clear();
    return r;
  };
  const auto fail = [&](std::size_t index, const std::string& message) {
    if (index < rec.steps.size()) rec.steps[index].error = message;
    const Restored restored = rollback();
    rec.outcome = Outcome::Failed;
    rec.reason_code = Reason::StepFailed;
    rec.reason = "step " + std::to_string(index + 1) + " (" + rule.actions[index].type + ") failed: " + message + "; " +
                 restored.text("earlier file steps restored") +
                 (irreversible.empty() ? "" : "; " + irreversible + " had run and cannot be undone");
    return rec;
  };
  // A file step's planned change, merged into what is staged for that file already (the content
  // and metadata before the heal, the latest after).
  const auto stage = [&](std::size_t index, const FileChange& c) {
    if (!c.changesAnything()) return;
    auto it = std::find_if(pending.begin(), pending.end(), [&](const auto& p) { return p.second.path == c.path; });
    if (it == pending.end()) {
      pending.emplace_back(index, c);
      return;
    }
    it->first = index;
    FileChange& merged = it->second;
    merged.creates = merged.creates || c.existed || c.creates;
    // A chmod/chown read no content: the content is the other steps' (the first content step's
    // `before` is the file's content as the plan found it, the metadata steps before it did not
    // change that).
    if (c.content_read) {
      if (!merged.content_read) {
        merged.before = c.before;
        merged.content_read = true;
      }
      merged.after = c.after;
    }
    merged.mode_after = c.mode_after;
    merged.uid_after = c.uid_after;
    merged.gid_after = c.gid_after;
  };
  const auto applyFile = [&](std::size_t index, const FileChange& change) -> std::string {
    if (!change.changesAnything()) return "";
    // The plan was computed from this file as it was then; content computed from an older state
    // must never replace a newer one (nor be what the backup keeps).
    const FileSameness now = compareWith(env_.files, change);
    if (now.is == Sameness::Unknown) return change.path + ": cannot be compared with the plan: " + now.error;
    if (now.is == Sameness::Changed) {
      return change.path + " has changed since the plan was made (by an earlier step or by someone else): not written";
    }
    if (auto why = writeBackup(backup_dir_, rule.id, index + 1, change, now_ms(), syncs_); !why.empty()) return why;
    if (auto st = applyFileChange(env_.files, change, syncs_); !st.ok()) {
      // A partial metadata change (chown done, chmod failed) is undone with the rest.
      undo.push_back(change);
      return st.error().message;
    }
    undo.push_back(change);
    return "";
  };

  // Writes what is staged to the host, file by file (a backup, then the write). Returns the step
  // to blame and why, when a write fails; the files written before it are in `undo`.
  const auto writeStaged = [&]() -> std::optional<std::pair<std::size_t, std::string>> {
    std::vector<std::pair<std::size_t, FileChange>> files;
    files.swap(pending);
    for (const auto& [index, change] : files) {
      if (auto why = applyFile(index, change); !why.empty()) return std::pair{index, why};
    }
    return std::nullopt;
  };
  // What must precede any change (the guards' attempt, a backup) is durable before a command,
  // a service action or a kernel write runs. "" or why not.
  const auto settle = [&]() -> std::string {
    if (!syncs_) return "";
    auto flushed = syncs_->flushBeforeChange();
    return flushed.ok() ? "" : "nothing more done: the guard state or a backup cannot be made durable: " + flushed.error();
  };

  // The backup directory is checked before anything runs: a rule that restarts a service before
  // its first file step must not get that far and then find it cannot back the file up.
  const bool edits_files = std::any_of(rule.actions.begin(), rule.actions.end(),
                                       [](const rules::ActionSpec& a) { return rules::actionTraits(a).edits_files; });
  if (edits_files) {
    if (auto why = checkBackupDir(backup_dir_); !why.empty()) {
      rec.outcome = Outcome::Failed;
      rec.reason_code = Reason::NoBackup;
      rec.reason = "nothing done: no backup can be taken: " + why;
      return rec;
    }
  }

  for (const PlannedStep& step : plan.steps) {
    const std::size_t i = step.index;
    if (step.kind != PlannedStep::Kind::File && step.kind != PlannedStep::Kind::Sysctl) {
      if (auto failed = writeStaged()) return fail(failed->first, failed->second);
    }
    switch (step.kind) {
      case PlannedStep::Kind::File:
        stage(i, *step.change);
        break;  // written with the next step that is not a file step, or after the last
      case PlannedStep::Kind::Sysctl:
        stage(i, *step.change);
        if (auto failed = writeStaged()) return fail(failed->first, failed->second);
        if (auto why = settle(); !why.empty()) return fail(i, why);
        if (auto st = env_.files.writeInPlace(step.proc_path, step.value); !st.ok()) return fail(i, st.error().message);
        if (irreversible.empty()) irreversible = "set_sysctl " + step.key;
        break;
      case PlannedStep::Kind::Command: {
        platform::CommandSpec spec;
        spec.argv = step.argv;
        spec.timeout = step.timeout;
        if (auto why = settle(); !why.empty()) return fail(i, why);
        auto res = env_.commands.run(spec);
        if (irreversible.empty()) irreversible = "run_command " + step.argv[0];
        if (!res.ok()) return fail(i, res.error().message);
        if (!res->succeeded()) {
          return fail(i, step.argv[0] + (res->timed_out ? " timed out" : " exited " + std::to_string(res->exit_code)) +
                             (res->err.empty() ? "" : ": " + checks::excerpt(res->err)));
        }
        break;
      }
      case PlannedStep::Kind::Note:
        break;  // recorded in the plan's step; nothing to run
      case PlannedStep::Kind::Service: {
        if (auto why = settle(); !why.empty()) return fail(i, why);
        // A reload/restart only makes the service pick up files: undone by running it again once
        // the files are back. Only after a file change (else there is nothing it could restore),
        // and a restart only of a unit that was running: restarting starts a stopped unit, and
        // running it again would leave it running.
        const bool after_files = step.traits.applies_files && !undo.empty();
        bool was_running = true;
        if (after_files && step.verb == "restart") {
          auto state = env_.live.unitState(step.unit);
          was_running = state.ok() && state->active_state == "active";
        }
        if (after_files && was_running) {
          reapply.push_back({step.type, step.verb, step.unit});
        } else if (irreversible.empty()) {
          irreversible = step.type + " " + step.unit + (was_running ? "" : " (the unit was not known to be running)");
        }
        if (auto why = runSystemctl(step.verb, step.unit); !why.empty()) return fail(i, why);
        break;
      }
    }
  }

  if (auto failed = writeStaged()) return fail(failed->first, failed->second);

  // 3. Verify: the check again, on the host, after verify_after.
  if (rule.verify_after.count() > 0) sleeper_.sleepFor(rule.verify_after);
  checks::ProbeContext ctx{env_.files, env_.live, env_.commands, env_.clock, probes_};
  ctx.command_timeout = settings_.probe_timeout;
  ctx.agent_client_cert_file = settings_.agent_client_cert_file;
  const auto results = checks::evaluateCheck(check, ctx);
  for (const auto& f : results) {
    if (f.target == finding.target) rec.after = f;
  }
  const bool pass = recheckPasses(results, finding.target);
  if (pass) {
    if (!rec.after) {
      // A target that is no longer reported at all (a scan hit removed) is compliant by absence.
      checks::Finding gone;
      gone.check_id = finding.check_id;
      gone.target = finding.target;
      gone.status = checks::Status::Compliant;
      gone.severity = finding.severity;
      gone.hipaa = finding.hipaa;
      gone.expected = finding.expected;
      gone.actual = "no longer found";
      rec.after = gone;
    }
    rec.outcome = Outcome::Healed;
    return rec;
  }
  const std::string still = rec.after ? "the re-check still finds " + std::string(checks::toString(rec.after->status)) +
                                            (rec.after->actual.empty() ? "" : " (" + rec.after->actual + ")")
                                      : "the re-check does not pass";
  const Restored restored = rollback();
  rec.reason_code = Reason::RecheckFailed;
  if (!irreversible.empty()) {
    rec.outcome = Outcome::Failed;
    rec.reason = still + " after " + irreversible + ", which cannot be undone; " + restored.text("file steps restored");
  } else {
    rec.outcome = restored.ok() ? Outcome::RolledBack : Outcome::Failed;
    rec.reason = still + "; " + restored.text(restored.ok() ? "every step restored" : "the files restored");
  }
  return rec;
}

}  // namespace healing
