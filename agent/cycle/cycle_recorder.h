#pragma once
// What a check cycle leaves in the evidence (docs/evidence-format.md section 5): a `rules` record
// when the active rule set changed, a `finding` record for each finding whose status changed, a
// `snapshot` of every finding on the first cycle and then once a day, a `heal` record for every
// plan or action, and the `cycle` record with the summary and the digest of all findings.
//
// What was last recorded (statuses, rules version, snapshot time) is kept in a small state file
// outside the evidence directory, written after the cycle's records are durable: if it is lost,
// the next cycle records a snapshot and no changes, and nothing is missed.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "checks/finding.h"
#include "core/clock.h"
#include "core/result.h"
#include "core/state_dir.h"
#include "cycle/encode.h"
#include "evidence/writer.h"
#include "healing/action_record.h"

namespace cycle {

/// The file in state_dir where the recorder keeps what the last cycle recorded.
inline constexpr const char* kRecordedStateFile = "recorded.json";

/// How often a full snapshot is recorded.
inline constexpr std::chrono::hours kSnapshotInterval{24};

struct CycleFacts {
  std::string tier;
  core::Clock::WallTime started;
  std::int64_t duration_ms = 0;
  std::string rules_version;         // of the rules in force (RuleSet::version)
  std::string rules_source_version;  // of the files alone (RuleSet::source_version)
  std::string rules_source;  // shipped | bundle
  /// The rule set's variables: name -> {value, default, source}; part of the rules version.
  struct Var {
    std::string value, default_value, source;
  };
  std::map<std::string, Var> vars;
  std::size_t rule_checks = 0;
  std::size_t rule_count = 0;
  std::vector<std::string> health;  // health flags, e.g. evidence_disk_cap
  /// The heal records were already written one by one as the actions ran (live healing): the
  /// cycle record still counts their outcomes.
  bool heal_records_written = false;
};

struct CycleRecorded {
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;   // the cycle record
  std::size_t changed = 0;      // finding records
  bool snapshot = false;
  std::string findings_digest;
};

/// The body of a `finding` record (without previous_status) and of a snapshot entry.
nlohmann::json findingBody(const checks::Finding& finding);
/// The body of a `heal` record; `before` is the finding the action answers (may be null).
nlohmann::json healBody(const healing::ActionRecord& action, const checks::Finding* before);
/// SHA-256 hex of canon(list of findingBody, sorted by check_id then target).
std::string findingsDigest(const std::vector<checks::Finding>& findings);

enum class RecordErrc { Writer, State };
using RecordError = core::Error<RecordErrc>;

/// One cycle's records, in the order the cycle happens, so that a timeline read from the chain
/// is the host's: what the checks saw (before healing), the plans or actions, what the re-check
/// after healing saw, then the cycle record. Records are appended to the writer; `finish`
/// commits them (live heal records are made durable on their own, as they are acted on).
///
/// Each (check_id, target) pair is an episode: a `finding` record opens it when its status
/// changes, and when a check that ran cleanly no longer reports a pair that was drifted (or in
/// error) — a dir_scan hit whose file is gone or fixed, a file a glob no longer matches — a
/// `finding` record with status `compliant` and `details.reason: no_longer_reported` closes
/// it. A pair whose check did not run, or ended in error, stays as it was (nothing is known).
class CycleRecorder {
 public:
  /// Loads what the last cycle recorded from `state`'s kRecordedStateFile (a missing, damaged or
  /// unreadable file means a snapshot now and no changes). `now` decides whether this cycle
  /// records a snapshot. `state` must outlive the recorder.
  CycleRecorder(evidence::Writer& writer, core::StateDir& state, core::Clock::WallTime now);

  /// Before healing: a `rules` record when the rule set changed, then the finding records of
  /// what changed since the last recorded cycle.
  core::Status<RecordError> observe(const CycleFacts& facts, const std::vector<checks::Finding>& findings);

  /// Whether a plan's `heal` record is due: a `not_in_tier` plan that the last cycle recorded
  /// unchanged (same rule) is not recorded again, except in a snapshot cycle (once a day),
  /// when every plan is. Everything else is always due.
  bool planDue(const healing::ActionRecord& action) const;

  /// After healing: the finding records of what the re-check (`findings`, the state after the
  /// cycle) changed since `observe`, the heal records of `actions` that are due (unless
  /// `facts.heal_records_written`), a snapshot of `findings` when due, the cycle record (its
  /// counts and digest are of `findings`; `before` gives `counts_before_healing` when the
  /// state was re-checked; null when there was no re-check: `findings` are then the ones
  /// `observe` was given), then commit, then the state file.
  core::Result<CycleRecorded, RecordError> finish(const CycleFacts& facts, const std::vector<checks::Finding>& findings,
                                                  const std::vector<checks::Finding>* before,
                                                  const std::vector<healing::ActionRecord>& actions);

 private:
  struct State {
    bool present = false;
    std::string rules_version;
    std::string last_snapshot;  // ts
    std::map<std::string, std::string> statuses;  // check_id "\t" target -> status
    std::map<std::string, std::string> quiet_plans;  // key -> rule_id of a not_in_tier plan
  };
  core::Status<RecordError> append(evidence::Kind kind, const nlohmann::json& body);
  core::Status<RecordError> recordChanges(const std::vector<checks::Finding>& findings);

  evidence::Writer& writer_;
  core::StateDir& state_dir_;
  core::Clock::WallTime now_;
  State state_;
  bool snapshot_due_ = false;
  CycleRecorded out_;
};

/// The whole cycle at once, with no re-check (dry-run, and tests): observe, then finish with
/// the same findings.
core::Result<CycleRecorded, RecordError> recordCycle(evidence::Writer& writer, core::StateDir& state,
                                                     const CycleFacts& facts,
                                                     const std::vector<checks::Finding>& findings,
                                                     const std::vector<healing::ActionRecord>& actions,
                                                     core::Clock::WallTime now);

}  // namespace cycle
